-- Webhooks: endpoints, the events each wants, the webhook outbox (one row
-- per event and subscribed endpoint, written in the transaction of the
-- change) and the delivery log (one row per request).

CREATE TABLE webhook_endpoints (
	id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	url           TEXT NOT NULL,
	description   TEXT NOT NULL DEFAULT '',
	secret        TEXT NOT NULL,            -- whsec_ and base64
	enabled       INTEGER NOT NULL DEFAULT 1, -- 0 or 1
	disabled_reason TEXT NOT NULL DEFAULT '',
	failures      INTEGER NOT NULL DEFAULT 0, -- failed attempts in a row
	failing_since TIMESTAMPTZ,                    -- the first of them
	created_at    TIMESTAMPTZ NOT NULL,
	updated_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE webhook_subscriptions (
	endpoint_id BIGINT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
	event       TEXT NOT NULL,
	PRIMARY KEY (event, endpoint_id)
);

CREATE TABLE webhook_deliveries (
	id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	endpoint_id     BIGINT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
	event           TEXT NOT NULL,
	user_id         BIGINT,                   -- no reference: user.deleted outlives the user
	user_public_id  TEXT NOT NULL DEFAULT '',
	data            TEXT NOT NULL DEFAULT '{}',
	status          TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sending', 'delivered', 'failed')),
	attempts        INTEGER NOT NULL DEFAULT 0,
	last_error      TEXT NOT NULL DEFAULT '',
	next_attempt_at TIMESTAMPTZ NOT NULL,    -- queued: when due; sending: when the lease ends
	lease_owner     TEXT NOT NULL DEFAULT '',
	created_at      TIMESTAMPTZ NOT NULL,
	delivered_at    TIMESTAMPTZ
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_order ON webhook_deliveries (endpoint_id, user_id, id);

CREATE TABLE webhook_attempts (
	id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	delivery_id BIGINT NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
	endpoint_id BIGINT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
	at          TIMESTAMPTZ NOT NULL,
	status_code INTEGER NOT NULL DEFAULT 0,
	duration_ms INTEGER NOT NULL DEFAULT 0,
	response    TEXT NOT NULL DEFAULT '',    -- at most 1 KiB
	error       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id);
