-- Ids are never reused. On SQLite an INTEGER PRIMARY KEY without
-- AUTOINCREMENT takes the largest id plus one, so deleting the newest user,
-- tag, token... handed its id to the next one. Each table with an integer
-- id is rebuilt with AUTOINCREMENT (SQLite's documented table rebuild:
-- create the new table, copy, drop, rename, recreate the indexes), keeping
-- its rows, ids, constraints and indexes. sqlite_sequence starts at each
-- table's largest id. The migration runner runs SQLite migrations with
-- foreign key enforcement off (a DROP TABLE would otherwise delete the
-- rows that refer to it) and checks every foreign key before it commits.
-- PostgreSQL's identity columns never reuse a value: nothing to do there.

CREATE TABLE users_new (
	id                  INTEGER PRIMARY KEY AUTOINCREMENT,
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
INSERT INTO users_new (id, public_id, client_id, app_id, stripe_id, email, email_confirmed, first_name, last_name, mobile_phone, home_phone, bio, birth_date, city, country, addresses, profile_image_url, cover_image_url, social_links, store_location, teams, push_tokens, created_at, updated_at, last_interaction, last_visit, last_login, points, roles, badges, missions, instagram_followers, tiktok_followers, youtube_followers, status, newsletter, newsletter_at, password_hash, custom)
	SELECT id, public_id, client_id, app_id, stripe_id, email, email_confirmed, first_name, last_name, mobile_phone, home_phone, bio, birth_date, city, country, addresses, profile_image_url, cover_image_url, social_links, store_location, teams, push_tokens, created_at, updated_at, last_interaction, last_visit, last_login, points, roles, badges, missions, instagram_followers, tiktok_followers, youtube_followers, status, newsletter, newsletter_at, password_hash, custom FROM users;
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;

CREATE TABLE custom_fields_new (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	key        TEXT NOT NULL UNIQUE,
	label      TEXT NOT NULL,
	type       TEXT NOT NULL,
	required   INTEGER NOT NULL DEFAULT 0,
	choices    TEXT NOT NULL DEFAULT '[]',
	position   INTEGER NOT NULL DEFAULT 0,
	retired    INTEGER NOT NULL DEFAULT 0,
	created_at TEXT NOT NULL
);
INSERT INTO custom_fields_new (id, key, label, type, required, choices, position, retired, created_at)
	SELECT id, key, label, type, required, choices, position, retired, created_at FROM custom_fields;
DROP TABLE custom_fields;
ALTER TABLE custom_fields_new RENAME TO custom_fields;

CREATE TABLE staff_new (
	id            INTEGER PRIMARY KEY AUTOINCREMENT,
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
INSERT INTO staff_new (id, email, name, role, password_hash, time_zone, active, created_at, updated_at, last_login_at)
	SELECT id, email, name, role, password_hash, time_zone, active, created_at, updated_at, last_login_at FROM staff;
DROP TABLE staff;
ALTER TABLE staff_new RENAME TO staff;

CREATE TABLE sessions_new (
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	token_hash   TEXT NOT NULL UNIQUE,
	staff_id     INTEGER NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
	created_at   TEXT NOT NULL,
	last_seen_at TEXT NOT NULL,
	ip           TEXT NOT NULL DEFAULT '',
	user_agent   TEXT NOT NULL DEFAULT ''
);
INSERT INTO sessions_new (id, token_hash, staff_id, created_at, last_seen_at, ip, user_agent)
	SELECT id, token_hash, staff_id, created_at, last_seen_at, ip, user_agent FROM sessions;
DROP TABLE sessions;
ALTER TABLE sessions_new RENAME TO sessions;
CREATE INDEX sessions_staff ON sessions (staff_id);

CREATE TABLE api_tokens_new (
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	token_hash   TEXT NOT NULL UNIQUE,
	staff_id     INTEGER NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
	name         TEXT NOT NULL,
	prefix       TEXT NOT NULL,
	created_at   TEXT NOT NULL,
	last_used_at TEXT,
	revoked_at   TEXT
);
INSERT INTO api_tokens_new (id, token_hash, staff_id, name, prefix, created_at, last_used_at, revoked_at)
	SELECT id, token_hash, staff_id, name, prefix, created_at, last_used_at, revoked_at FROM api_tokens;
DROP TABLE api_tokens;
ALTER TABLE api_tokens_new RENAME TO api_tokens;
CREATE INDEX api_tokens_staff ON api_tokens (staff_id);

CREATE TABLE audit_log_new (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	at          TEXT NOT NULL,
	actor_id    INTEGER NOT NULL DEFAULT 0,
	actor       TEXT NOT NULL,
	action      TEXT NOT NULL,
	target_type TEXT NOT NULL DEFAULT '',
	target_id   TEXT NOT NULL DEFAULT '',
	changes     TEXT NOT NULL DEFAULT '{}',
	note        TEXT NOT NULL DEFAULT ''
);
INSERT INTO audit_log_new (id, at, actor_id, actor, action, target_type, target_id, changes, note)
	SELECT id, at, actor_id, actor, action, target_type, target_id, changes, note FROM audit_log;
DROP TABLE audit_log;
ALTER TABLE audit_log_new RENAME TO audit_log;
CREATE INDEX audit_log_target ON audit_log (target_type, target_id, id);
CREATE INDEX audit_log_actor ON audit_log (actor_id, id);
CREATE INDEX audit_log_action ON audit_log (action, id);

CREATE TABLE tags_new (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	name       TEXT NOT NULL,          -- names may repeat
	color      TEXT NOT NULL,
	created_at TEXT NOT NULL
);
INSERT INTO tags_new (id, name, color, created_at)
	SELECT id, name, color, created_at FROM tags;
DROP TABLE tags;
ALTER TABLE tags_new RENAME TO tags;

CREATE TABLE user_groups_new (
	id            INTEGER PRIMARY KEY AUTOINCREMENT,
	name          TEXT NOT NULL,
	description   TEXT NOT NULL DEFAULT '',
	starts_at     TEXT,
	stops_at      TEXT,
	user_viewable INTEGER NOT NULL DEFAULT 0,
	join_type     TEXT NOT NULL CHECK (join_type IN ('open', 'code')),
	position      INTEGER NOT NULL DEFAULT 0,
	properties    TEXT NOT NULL DEFAULT '{}',
	smart_rank    INTEGER,             -- place in the smart type list; NULL: not on it
	created_at    TEXT NOT NULL,
	updated_at    TEXT NOT NULL
);
INSERT INTO user_groups_new (id, name, description, starts_at, stops_at, user_viewable, join_type, position, properties, smart_rank, created_at, updated_at)
	SELECT id, name, description, starts_at, stops_at, user_viewable, join_type, position, properties, smart_rank, created_at, updated_at FROM user_groups;
DROP TABLE user_groups;
ALTER TABLE user_groups_new RENAME TO user_groups;
CREATE UNIQUE INDEX user_groups_name ON user_groups (lower(name));

CREATE TABLE group_codes_new (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	group_id   INTEGER NOT NULL REFERENCES user_groups (id) ON DELETE CASCADE,
	code_hash  TEXT NOT NULL UNIQUE,
	hint       TEXT NOT NULL,
	max_uses   INTEGER NOT NULL DEFAULT 0, -- 0: unlimited
	uses       INTEGER NOT NULL DEFAULT 0,
	starts_at  TEXT,
	expires_at TEXT,
	created_at TEXT NOT NULL
);
INSERT INTO group_codes_new (id, group_id, code_hash, hint, max_uses, uses, starts_at, expires_at, created_at)
	SELECT id, group_id, code_hash, hint, max_uses, uses, starts_at, expires_at, created_at FROM group_codes;
DROP TABLE group_codes;
ALTER TABLE group_codes_new RENAME TO group_codes;
CREATE INDEX group_codes_group ON group_codes (group_id);

CREATE TABLE segments_new (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	name       TEXT NOT NULL,
	q          TEXT NOT NULL DEFAULT '',
	includes   TEXT NOT NULL DEFAULT '[]',
	excludes   TEXT NOT NULL DEFAULT '[]',
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL
);
INSERT INTO segments_new (id, name, q, includes, excludes, created_at, updated_at)
	SELECT id, name, q, includes, excludes, created_at, updated_at FROM segments;
DROP TABLE segments;
ALTER TABLE segments_new RENAME TO segments;
CREATE UNIQUE INDEX segments_name ON segments (lower(name));

CREATE TABLE jobs_new (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	kind        TEXT NOT NULL,
	status      TEXT NOT NULL,
	options     TEXT NOT NULL DEFAULT '{}',
	file_name   TEXT NOT NULL DEFAULT '',
	file_size   INTEGER NOT NULL DEFAULT 0,
	file_sha256 TEXT NOT NULL DEFAULT '',
	file_path   TEXT NOT NULL DEFAULT '',  -- the CLI's own file; uploads are in job_files
	file_job    INTEGER,                   -- whose job_files hold the upload
	header      TEXT NOT NULL DEFAULT '[]', -- the file's header row
	unknown     TEXT NOT NULL DEFAULT '[]',
	position    INTEGER NOT NULL DEFAULT 1, -- last spreadsheet row committed; 1 is the header
	byte_offset INTEGER NOT NULL DEFAULT 0,
	rows_read   INTEGER NOT NULL DEFAULT 0,
	created     INTEGER NOT NULL DEFAULT 0,
	updated     INTEGER NOT NULL DEFAULT 0,
	unchanged   INTEGER NOT NULL DEFAULT 0,
	failed      INTEGER NOT NULL DEFAULT 0,
	error       TEXT NOT NULL DEFAULT '',
	staff_id    INTEGER,
	actor       TEXT NOT NULL DEFAULT '',
	owner       TEXT NOT NULL DEFAULT '',
	heartbeat_at TEXT,
	created_at  TEXT NOT NULL,
	started_at  TEXT,
	finished_at TEXT,
	updated_at  TEXT NOT NULL
);
INSERT INTO jobs_new (id, kind, status, options, file_name, file_size, file_sha256, file_path, file_job, header, unknown, position, byte_offset, rows_read, created, updated, unchanged, failed, error, staff_id, actor, owner, heartbeat_at, created_at, started_at, finished_at, updated_at)
	SELECT id, kind, status, options, file_name, file_size, file_sha256, file_path, file_job, header, unknown, position, byte_offset, rows_read, created, updated, unchanged, failed, error, staff_id, actor, owner, heartbeat_at, created_at, started_at, finished_at, updated_at FROM jobs;
DROP TABLE jobs;
ALTER TABLE jobs_new RENAME TO jobs;
CREATE INDEX jobs_kind ON jobs (kind, id);
CREATE INDEX jobs_file ON jobs (file_sha256);
