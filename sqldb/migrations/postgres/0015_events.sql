-- Events: what users do in the operator's app, append-only, partitioned by
-- month of their time (sqldb creates the partitions ahead of the events
-- that need them and retention drops whole old ones). The primary key
-- includes the time, as a partitioned table's must; the idempotency keys
-- live in event_keys, one row per user and key, so that a retried event is
-- never stored twice whatever its time.
CREATE TABLE events (
	user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	at      TIMESTAMPTZ NOT NULL,
	key     TEXT NOT NULL,
	type    TEXT NOT NULL,
	props   JSONB,
	PRIMARY KEY (user_id, at, key)
) PARTITION BY RANGE (at);

CREATE TABLE event_keys (
	user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	key     TEXT NOT NULL,
	at      TIMESTAMPTZ NOT NULL,
	PRIMARY KEY (user_id, key)
);
CREATE INDEX event_keys_at ON event_keys (at);

-- When a user was first seen: the time of their first event, or as imported.
ALTER TABLE users ADD COLUMN first_seen TIMESTAMPTZ;
