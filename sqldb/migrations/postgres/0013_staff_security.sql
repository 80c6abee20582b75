-- Staff security: two-factor sign-in (TOTP) with recovery codes, the
-- pending second step of a sign-in, and Web Push notifications for staff
-- with their own outbox. Staff sessions already record their user agent,
-- client address and last-seen time (0001), which the Devices page shows.

-- A staff account's TOTP secret, encrypted with a key of the settings
-- table. confirmed_at is NULL while enrolment waits for its first code;
-- last_step is the newest 30-second step whose code was accepted, so that
-- a code works once.
CREATE TABLE staff_two_factor (
	id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	staff_id     BIGINT NOT NULL UNIQUE REFERENCES staff (id) ON DELETE CASCADE,
	secret       TEXT NOT NULL,
	confirmed_at TIMESTAMPTZ,
	last_step    BIGINT NOT NULL DEFAULT 0,
	created_at   TIMESTAMPTZ NOT NULL
);

-- Single-use recovery codes, stored as hashes.
CREATE TABLE staff_recovery_codes (
	id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	staff_id  BIGINT NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
	code_hash TEXT NOT NULL,
	used_at   TIMESTAMPTZ,
	UNIQUE (staff_id, code_hash)
);

-- A sign-in whose password was right and whose second step is pending.
CREATE TABLE signin_challenges (
	id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	token_hash TEXT NOT NULL UNIQUE,
	staff_id   BIGINT NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
	created_at TIMESTAMPTZ NOT NULL
);

-- A browser subscribed to Web Push for a staff account, and the alerts
-- it wants (a comma-separated list of roster.PushAlert).
CREATE TABLE push_subscriptions (
	id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	staff_id     BIGINT NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
	endpoint     TEXT NOT NULL UNIQUE,
	p256dh       TEXT NOT NULL,
	auth         TEXT NOT NULL,
	alerts       TEXT NOT NULL,
	user_agent   TEXT NOT NULL DEFAULT '',
	created_at   TIMESTAMPTZ NOT NULL,
	last_sent_at TIMESTAMPTZ
);
CREATE INDEX push_subscriptions_staff ON push_subscriptions (staff_id);

-- Notifications to push, written in the same transaction as their cause
-- and delivered by a worker with the mail outbox's lease and retry rules.
CREATE TABLE push_outbox (
	id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	subscription_id BIGINT NOT NULL REFERENCES push_subscriptions (id) ON DELETE CASCADE,
	alert           TEXT NOT NULL,
	title           TEXT NOT NULL,
	body            TEXT NOT NULL,
	status          TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sending', 'sent', 'failed')),
	attempts        INTEGER NOT NULL DEFAULT 0,
	last_error      TEXT NOT NULL DEFAULT '',
	next_attempt_at TIMESTAMPTZ NOT NULL,
	lease_owner     TEXT NOT NULL DEFAULT '',
	created_at      TIMESTAMPTZ NOT NULL,
	sent_at         TIMESTAMPTZ
);
CREATE INDEX push_outbox_due ON push_outbox (status, next_attempt_at);
