-- The active-account rule and email confirmation: when an address was
-- confirmed and when a password was last set (which renews an expired
-- account), and links of purpose 'confirm'. SQLite cannot change a CHECK
-- constraint, so link_tokens is rebuilt (as in 0006_ids.sql), keeping its
-- rows, ids and index. The account policy lives in the settings table
-- under 'accounts' (JSON), written on first change.

ALTER TABLE users ADD COLUMN email_confirmed_at TEXT;
ALTER TABLE users ADD COLUMN password_set_at TEXT;

CREATE TABLE link_tokens_new (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	token_hash  TEXT NOT NULL UNIQUE,      -- hex SHA-256 of the 256-bit token
	purpose     TEXT NOT NULL CHECK (purpose IN ('invite', 'reset', 'confirm')),
	user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	created_at  TEXT NOT NULL,
	expires_at  TEXT NOT NULL,
	used_at     TEXT,
	revoked_at  TEXT
);
INSERT INTO link_tokens_new (id, token_hash, purpose, user_id, created_at, expires_at, used_at, revoked_at)
	SELECT id, token_hash, purpose, user_id, created_at, expires_at, used_at, revoked_at FROM link_tokens;
DROP TABLE link_tokens;
ALTER TABLE link_tokens_new RENAME TO link_tokens;
CREATE INDEX link_tokens_user ON link_tokens (user_id, purpose);
