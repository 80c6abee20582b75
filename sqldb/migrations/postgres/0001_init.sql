-- Same schema as the SQLite one, in PostgreSQL's native types.
CREATE TABLE users (
	id                  BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	public_id           TEXT NOT NULL UNIQUE,
	client_id           TEXT UNIQUE,
	app_id              TEXT NOT NULL DEFAULT '',
	stripe_id           TEXT NOT NULL DEFAULT '',
	email               TEXT UNIQUE,
	email_confirmed     BOOLEAN NOT NULL DEFAULT FALSE,
	first_name          TEXT NOT NULL DEFAULT '',
	last_name           TEXT NOT NULL DEFAULT '',
	mobile_phone        TEXT NOT NULL DEFAULT '',
	home_phone          TEXT NOT NULL DEFAULT '',
	bio                 TEXT NOT NULL DEFAULT '',
	birth_date          DATE,
	city                TEXT NOT NULL DEFAULT '',
	country             TEXT NOT NULL DEFAULT '',
	addresses           JSONB NOT NULL DEFAULT '[]',
	profile_image_url   TEXT NOT NULL DEFAULT '',
	cover_image_url     TEXT NOT NULL DEFAULT '',
	social_links        JSONB NOT NULL DEFAULT '[]',
	store_location      TEXT NOT NULL DEFAULT '',
	teams               JSONB NOT NULL DEFAULT '[]',
	push_tokens         JSONB NOT NULL DEFAULT '[]',
	created_at          TIMESTAMPTZ NOT NULL,
	updated_at          TIMESTAMPTZ NOT NULL,
	last_interaction    TIMESTAMPTZ,
	last_visit          TIMESTAMPTZ,
	last_login          TIMESTAMPTZ,
	points              BIGINT NOT NULL DEFAULT 0,
	roles               JSONB NOT NULL DEFAULT '[]',
	badges              JSONB NOT NULL DEFAULT '[]',
	missions            JSONB NOT NULL DEFAULT '[]',
	instagram_followers BIGINT NOT NULL DEFAULT 0,
	tiktok_followers    BIGINT NOT NULL DEFAULT 0,
	youtube_followers   BIGINT NOT NULL DEFAULT 0,
	total_followers     BIGINT GENERATED ALWAYS AS (instagram_followers + tiktok_followers + youtube_followers) STORED,
	status              TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'banned', 'invited', 'pending')),
	newsletter          BOOLEAN NOT NULL DEFAULT FALSE,
	newsletter_at       TIMESTAMPTZ,
	password_hash       TEXT NOT NULL DEFAULT '',
	custom              JSONB NOT NULL DEFAULT '{}'
);

CREATE TABLE user_changes (
	seq     BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	user_id BIGINT NOT NULL,
	kind    TEXT NOT NULL,
	at      TIMESTAMPTZ NOT NULL
);

CREATE TABLE custom_fields (
	id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	key        TEXT NOT NULL UNIQUE,
	label      TEXT NOT NULL,
	type       TEXT NOT NULL,
	required   BOOLEAN NOT NULL DEFAULT FALSE,
	choices    JSONB NOT NULL DEFAULT '[]',
	position   INTEGER NOT NULL DEFAULT 0,
	retired    BOOLEAN NOT NULL DEFAULT FALSE,
	created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE staff (
	id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	email         TEXT NOT NULL UNIQUE,
	name          TEXT NOT NULL DEFAULT '',
	role          TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'manager', 'support', 'viewer')),
	password_hash TEXT NOT NULL,
	time_zone     TEXT NOT NULL DEFAULT 'UTC',
	active        BOOLEAN NOT NULL DEFAULT TRUE,
	created_at    TIMESTAMPTZ NOT NULL,
	updated_at    TIMESTAMPTZ NOT NULL,
	last_login_at TIMESTAMPTZ
);

CREATE TABLE sessions (
	id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	token_hash   TEXT NOT NULL UNIQUE,
	staff_id     BIGINT NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
	created_at   TIMESTAMPTZ NOT NULL,
	last_seen_at TIMESTAMPTZ NOT NULL,
	ip           TEXT NOT NULL DEFAULT '',
	user_agent   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_staff ON sessions (staff_id);

CREATE TABLE api_tokens (
	id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	token_hash   TEXT NOT NULL UNIQUE,
	staff_id     BIGINT NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
	name         TEXT NOT NULL,
	prefix       TEXT NOT NULL,
	created_at   TIMESTAMPTZ NOT NULL,
	last_used_at TIMESTAMPTZ,
	revoked_at   TIMESTAMPTZ
);
CREATE INDEX api_tokens_staff ON api_tokens (staff_id);

CREATE TABLE login_failures (
	key          TEXT PRIMARY KEY,
	failures     INTEGER NOT NULL,
	last_failure TIMESTAMPTZ NOT NULL
);

CREATE TABLE audit_log (
	id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	at          TIMESTAMPTZ NOT NULL,
	actor_id    BIGINT NOT NULL DEFAULT 0,
	actor       TEXT NOT NULL,
	action      TEXT NOT NULL,
	target_type TEXT NOT NULL DEFAULT '',
	target_id   TEXT NOT NULL DEFAULT '',
	changes     JSONB NOT NULL DEFAULT '{}',
	note        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_target ON audit_log (target_type, target_id, id);
CREATE INDEX audit_log_actor ON audit_log (actor_id, id);
CREATE INDEX audit_log_action ON audit_log (action, id);
