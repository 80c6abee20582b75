-- User sessions: what the member API authenticates with. Tokens are stored
-- hashed. A session is one family: a refresh replaces both of its tokens,
-- and a refresh token that was already used ends the session.
CREATE TABLE user_sessions (
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	token_hash   TEXT NOT NULL UNIQUE,
	refresh_hash TEXT UNIQUE,              -- NULL: no refresh token
	device_name  TEXT NOT NULL DEFAULT '',
	platform     TEXT NOT NULL DEFAULT '',
	app_version  TEXT NOT NULL DEFAULT '',
	user_agent   TEXT NOT NULL DEFAULT '',
	client_addr  TEXT NOT NULL DEFAULT '',
	created_at   TEXT NOT NULL,
	last_used_at TEXT NOT NULL,
	expires_at   TEXT NOT NULL,            -- the absolute expiry
	ended_at     TEXT,                     -- signed out or revoked
	end_reason   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX user_sessions_user ON user_sessions (user_id);

-- Refresh tokens already rotated away: using one again ends its session.
CREATE TABLE user_session_refreshed (
	refresh_hash TEXT PRIMARY KEY,
	session_id   INTEGER NOT NULL REFERENCES user_sessions (id) ON DELETE CASCADE
) WITHOUT ROWID;

-- Every end of sessions, in order: each node reads the rows past the last
-- it saw (at most once a second) and drops those sessions from its cache.
-- session_id NULL: every session of the user.
CREATE TABLE user_session_ends (
	seq        INTEGER PRIMARY KEY AUTOINCREMENT,
	user_id    INTEGER NOT NULL,
	session_id INTEGER,
	ended_at   TEXT NOT NULL
);

-- Push tokens as records: the provider, the token, the session (device)
-- it was registered from, and the last successful send.
CREATE TABLE user_push_tokens (
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	provider     TEXT NOT NULL CHECK (provider IN ('fcm', 'apns', 'webpush')),
	token        TEXT NOT NULL,
	session_id   INTEGER REFERENCES user_sessions (id) ON DELETE SET NULL,
	created_at   TEXT NOT NULL,
	last_sent_at TEXT
);
CREATE UNIQUE INDEX user_push_tokens_token ON user_push_tokens (user_id, provider, token);

-- The tokens the users table held as JSON become records: ios is APNs,
-- web is Web Push, anything else FCM.
INSERT INTO user_push_tokens (user_id, provider, token, created_at)
SELECT u.id,
       CASE lower(coalesce(json_extract(j.value, '$.platform'), ''))
            WHEN 'ios' THEN 'apns' WHEN 'apns' THEN 'apns'
            WHEN 'web' THEN 'webpush' WHEN 'webpush' THEN 'webpush'
            ELSE 'fcm' END,
       json_extract(j.value, '$.token'), u.created_at
FROM users u, json_each(u.push_tokens) j
WHERE json_valid(u.push_tokens) AND coalesce(json_extract(j.value, '$.token'), '') <> ''
ON CONFLICT DO NOTHING;
