-- Times are UTC text in one fixed-width form (2006-01-02T15:04:05.000Z) so
-- that they sort as text; dates are YYYY-MM-DD; sets and structured values
-- are JSON arrays; custom field values are one JSON object per user.
CREATE TABLE users (
	id                  INTEGER PRIMARY KEY,
	public_id           TEXT NOT NULL UNIQUE,
	client_id           TEXT UNIQUE,          -- NULL when absent: many users may lack one
	app_id              TEXT NOT NULL DEFAULT '',
	stripe_id           TEXT NOT NULL DEFAULT '',
	email               TEXT UNIQUE,          -- lower case; NULL when absent
	email_confirmed     INTEGER NOT NULL DEFAULT 0,
	first_name          TEXT NOT NULL DEFAULT '',
	last_name           TEXT NOT NULL DEFAULT '',
	mobile_phone        TEXT NOT NULL DEFAULT '',
	home_phone          TEXT NOT NULL DEFAULT '',
	bio                 TEXT NOT NULL DEFAULT '',
	birth_date          TEXT,
	city                TEXT NOT NULL DEFAULT '',
	country             TEXT NOT NULL DEFAULT '',
	addresses           TEXT NOT NULL DEFAULT '[]',
	profile_image_url   TEXT NOT NULL DEFAULT '',
	cover_image_url     TEXT NOT NULL DEFAULT '',
	social_links        TEXT NOT NULL DEFAULT '[]',
	store_location      TEXT NOT NULL DEFAULT '',
	teams               TEXT NOT NULL DEFAULT '[]',
	push_tokens         TEXT NOT NULL DEFAULT '[]',
	created_at          TEXT NOT NULL,
	updated_at          TEXT NOT NULL,
	last_interaction    TEXT,
	last_visit          TEXT,
	last_login          TEXT,
	points              INTEGER NOT NULL DEFAULT 0,
	roles               TEXT NOT NULL DEFAULT '[]',
	badges              TEXT NOT NULL DEFAULT '[]',
	missions            TEXT NOT NULL DEFAULT '[]',
	instagram_followers INTEGER NOT NULL DEFAULT 0,
	tiktok_followers    INTEGER NOT NULL DEFAULT 0,
	youtube_followers   INTEGER NOT NULL DEFAULT 0,
	-- Derived in the schema so that it can never be out of step.
	total_followers     INTEGER GENERATED ALWAYS AS (instagram_followers + tiktok_followers + youtube_followers) VIRTUAL,
	status              TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'banned', 'invited', 'pending')),
	newsletter          INTEGER NOT NULL DEFAULT 0,
	newsletter_at       TEXT,
	password_hash       TEXT NOT NULL DEFAULT '',
	custom              TEXT NOT NULL DEFAULT '{}'
);

-- The change log: one row per change to a user, in the same transaction.
-- The query index follows it by seq.
CREATE TABLE user_changes (
	seq     INTEGER PRIMARY KEY AUTOINCREMENT,
	user_id INTEGER NOT NULL,
	kind    TEXT NOT NULL,
	at      TEXT NOT NULL
);

CREATE TABLE custom_fields (
	id         INTEGER PRIMARY KEY,
	key        TEXT NOT NULL UNIQUE,
	label      TEXT NOT NULL,
	type       TEXT NOT NULL,
	required   INTEGER NOT NULL DEFAULT 0,
	choices    TEXT NOT NULL DEFAULT '[]',
	position   INTEGER NOT NULL DEFAULT 0,
	retired    INTEGER NOT NULL DEFAULT 0,
	created_at TEXT NOT NULL
);

CREATE TABLE staff (
	id            INTEGER PRIMARY KEY,
	email         TEXT NOT NULL UNIQUE,
	name          TEXT NOT NULL DEFAULT '',
	role          TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'manager', 'support', 'viewer')),
	password_hash TEXT NOT NULL,
	time_zone     TEXT NOT NULL DEFAULT 'UTC',
	active        INTEGER NOT NULL DEFAULT 1,
	created_at    TEXT NOT NULL,
	updated_at    TEXT NOT NULL,
	last_login_at TEXT
);

CREATE TABLE sessions (
	id           INTEGER PRIMARY KEY,
	token_hash   TEXT NOT NULL UNIQUE,
	staff_id     INTEGER NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
	created_at   TEXT NOT NULL,
	last_seen_at TEXT NOT NULL,
	ip           TEXT NOT NULL DEFAULT '',
	user_agent   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_staff ON sessions (staff_id);

CREATE TABLE api_tokens (
	id           INTEGER PRIMARY KEY,
	token_hash   TEXT NOT NULL UNIQUE,
	staff_id     INTEGER NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
	name         TEXT NOT NULL,
	prefix       TEXT NOT NULL,
	created_at   TEXT NOT NULL,
	last_used_at TEXT,
	revoked_at   TEXT
);
CREATE INDEX api_tokens_staff ON api_tokens (staff_id);

-- Failed sign-ins per account email and per client address, shared by all
-- nodes so that throttling holds behind a load balancer.
CREATE TABLE login_failures (
	key          TEXT PRIMARY KEY,
	failures     INTEGER NOT NULL,
	last_failure TEXT NOT NULL
);

CREATE TABLE audit_log (
	id          INTEGER PRIMARY KEY,
	at          TEXT NOT NULL,
	actor_id    INTEGER NOT NULL DEFAULT 0,
	actor       TEXT NOT NULL,
	action      TEXT NOT NULL,
	target_type TEXT NOT NULL DEFAULT '',
	target_id   TEXT NOT NULL DEFAULT '',
	changes     TEXT NOT NULL DEFAULT '{}',
	note        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_target ON audit_log (target_type, target_id, id);
CREATE INDEX audit_log_actor ON audit_log (actor_id, id);
CREATE INDEX audit_log_action ON audit_log (action, id);
