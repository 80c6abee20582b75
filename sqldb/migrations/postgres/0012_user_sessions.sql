-- User sessions: what the member API authenticates with. Tokens are stored
-- hashed. A session is one family: a refresh replaces both of its tokens,
-- and a refresh token that was already used ends the session.
CREATE TABLE user_sessions (
	id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	user_id      BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	token_hash   TEXT NOT NULL UNIQUE,
	refresh_hash TEXT UNIQUE,              -- NULL: no refresh token
	device_name  TEXT NOT NULL DEFAULT '',
	platform     TEXT NOT NULL DEFAULT '',
	app_version  TEXT NOT NULL DEFAULT '',
	user_agent   TEXT NOT NULL DEFAULT '',
	client_addr  TEXT NOT NULL DEFAULT '',
	created_at   TIMESTAMPTZ NOT NULL,
	last_used_at TIMESTAMPTZ NOT NULL,
	expires_at   TIMESTAMPTZ NOT NULL,            -- the absolute expiry
	ended_at     TIMESTAMPTZ,                     -- signed out or revoked
	end_reason   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX user_sessions_user ON user_sessions (user_id);

-- Refresh tokens already rotated away: using one again ends its session.
CREATE TABLE user_session_refreshed (
	refresh_hash TEXT PRIMARY KEY,
	session_id   BIGINT NOT NULL REFERENCES user_sessions (id) ON DELETE CASCADE
);

-- Every end of sessions, in order: each node reads the rows past the last
-- it saw (at most once a second) and drops those sessions from its cache.
-- session_id NULL: every session of the user.
CREATE TABLE user_session_ends (
	seq        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	user_id    BIGINT NOT NULL,
	session_id BIGINT,
	ended_at   TIMESTAMPTZ NOT NULL
);

-- Push tokens as records: the provider, the token, the session (device)
-- it was registered from, and the last successful send.
CREATE TABLE user_push_tokens (
	id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	user_id      BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	provider     TEXT NOT NULL CHECK (provider IN ('fcm', 'apns', 'webpush')),
	token        TEXT NOT NULL,
	session_id   BIGINT REFERENCES user_sessions (id) ON DELETE SET NULL,
	created_at   TIMESTAMPTZ NOT NULL,
	last_sent_at TIMESTAMPTZ
);
CREATE UNIQUE INDEX user_push_tokens_token ON user_push_tokens (user_id, provider, token);

-- The tokens the users table held as JSON become records: ios is APNs,
-- web is Web Push, anything else FCM.
INSERT INTO user_push_tokens (user_id, provider, token, created_at)
SELECT u.id,
       CASE lower(coalesce(j.value ->> 'platform', ''))
            WHEN 'ios' THEN 'apns' WHEN 'apns' THEN 'apns'
            WHEN 'web' THEN 'webpush' WHEN 'webpush' THEN 'webpush'
            ELSE 'fcm' END,
       j.value ->> 'token', u.created_at
FROM users u, jsonb_array_elements(CASE WHEN jsonb_typeof(u.push_tokens) = 'array' THEN u.push_tokens ELSE '[]'::jsonb END) j
WHERE coalesce(j.value ->> 'token', '') <> ''
ON CONFLICT DO NOTHING;
