-- Mail: the outbox of messages to send, written in the same transaction as
-- their cause; single-use links (invites, password resets), stored only as
-- hashes; and request counters for the self-service reset form.

CREATE TABLE outbox (
	id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	message_id      TEXT NOT NULL UNIQUE,  -- RFC 5322 Message-ID, the same on every attempt
	user_id         BIGINT REFERENCES users (id) ON DELETE CASCADE,
	recipient       TEXT NOT NULL,
	template        TEXT NOT NULL,
	subject         TEXT NOT NULL,
	body_text       TEXT NOT NULL,
	body_html       TEXT NOT NULL,
	status          TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sending', 'sent', 'failed')),
	attempts        INTEGER NOT NULL DEFAULT 0,
	last_error      TEXT NOT NULL DEFAULT '',
	next_attempt_at TIMESTAMPTZ NOT NULL,         -- queued: when due; sending: when the lease ends
	lease_owner     TEXT NOT NULL DEFAULT '',
	created_at      TIMESTAMPTZ NOT NULL,
	sent_at         TIMESTAMPTZ
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
CREATE INDEX outbox_user ON outbox (user_id);

CREATE TABLE link_tokens (
	id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	token_hash  TEXT NOT NULL UNIQUE,      -- hex SHA-256 of the 256-bit token
	purpose     TEXT NOT NULL CHECK (purpose IN ('invite', 'reset')),
	user_id     BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	created_at  TIMESTAMPTZ NOT NULL,
	expires_at  TIMESTAMPTZ NOT NULL,
	used_at     TIMESTAMPTZ,
	revoked_at  TIMESTAMPTZ
);
CREATE INDEX link_tokens_user ON link_tokens (user_id, purpose);

-- Requests per key (an address, a client) in the current window.
CREATE TABLE request_counts (
	key          TEXT PRIMARY KEY,
	count        INTEGER NOT NULL,
	window_start TIMESTAMPTZ NOT NULL
);
