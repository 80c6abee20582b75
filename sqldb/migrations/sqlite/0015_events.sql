-- Events: what users do in the operator's app, append-only, keyed by
-- (user, time) so that a user's timeline is one range of the table. A
-- retried event (same user and idempotency key) is not stored twice.
CREATE TABLE events (
	user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	at      TEXT NOT NULL,
	key     TEXT NOT NULL,
	type    TEXT NOT NULL,
	props   TEXT,                 -- a JSON object, NULL when none
	PRIMARY KEY (user_id, at, key)
) WITHOUT ROWID;
CREATE UNIQUE INDEX events_key ON events (user_id, key);

-- When a user was first seen: the time of their first event, or as imported.
ALTER TABLE users ADD COLUMN first_seen TEXT;
