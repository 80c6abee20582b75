-- Mail: the outbox of messages to send, written in the same transaction as
-- their cause; single-use links (invites, password resets), stored only as
-- hashes; and request counters for the self-service reset form.

CREATE TABLE outbox (
	id              INTEGER PRIMARY KEY AUTOINCREMENT,
	message_id      TEXT NOT NULL UNIQUE,  -- RFC 5322 Message-ID, the same on every attempt
	user_id         INTEGER REFERENCES users (id) ON DELETE CASCADE,
	recipient       TEXT NOT NULL,
	template        TEXT NOT NULL,
	subject         TEXT NOT NULL,
	body_text       TEXT NOT NULL,
	body_html       TEXT NOT NULL,
	status          TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sending', 'sent', 'failed')),
	attempts        INTEGER NOT NULL DEFAULT 0,
	last_error      TEXT NOT NULL DEFAULT '',
	next_attempt_at TEXT NOT NULL,         -- queued: when due; sending: when the lease ends
	lease_owner     TEXT NOT NULL DEFAULT '',
	created_at      TEXT NOT NULL,
	sent_at         TEXT
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
CREATE INDEX outbox_user ON outbox (user_id);

CREATE TABLE link_tokens (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	token_hash  TEXT NOT NULL UNIQUE,      -- hex SHA-256 of the 256-bit token
	purpose     TEXT NOT NULL CHECK (purpose IN ('invite', 'reset')),
	user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	created_at  TEXT NOT NULL,
	expires_at  TEXT NOT NULL,
	used_at     TEXT,
	revoked_at  TEXT
);
CREATE INDEX link_tokens_user ON link_tokens (user_id, purpose);

-- Requests per key (an address, a client) in the current window.
CREATE TABLE request_counts (
	key          TEXT PRIMARY KEY,
	count        INTEGER NOT NULL,
	window_start TEXT NOT NULL
);
