-- Tags, groups and their codes, segments and Members of the Month.

CREATE TABLE tags (
	id         INTEGER PRIMARY KEY,
	name       TEXT NOT NULL,          -- names may repeat
	color      TEXT NOT NULL,
	created_at TEXT NOT NULL
);

-- Who carries which tag; a user's tags show newest first.
CREATE TABLE user_tags (
	user_id  INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	tag_id   INTEGER NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
	added_at TEXT NOT NULL,
	PRIMARY KEY (user_id, tag_id)
) WITHOUT ROWID;
CREATE INDEX user_tags_tag ON user_tags (tag_id);

-- "groups" is an SQL keyword; the table is user_groups.
CREATE TABLE user_groups (
	id            INTEGER PRIMARY KEY,
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
CREATE UNIQUE INDEX user_groups_name ON user_groups (lower(name));

-- Codes are stored hashed, like every other secret; hint is their start.
CREATE TABLE group_codes (
	id         INTEGER PRIMARY KEY,
	group_id   INTEGER NOT NULL REFERENCES user_groups (id) ON DELETE CASCADE,
	code_hash  TEXT NOT NULL UNIQUE,
	hint       TEXT NOT NULL,
	max_uses   INTEGER NOT NULL DEFAULT 0, -- 0: unlimited
	uses       INTEGER NOT NULL DEFAULT 0,
	starts_at  TEXT,
	expires_at TEXT,
	created_at TEXT NOT NULL
);
CREATE INDEX group_codes_group ON group_codes (group_id);

CREATE TABLE group_members (
	user_id   INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	group_id  INTEGER NOT NULL REFERENCES user_groups (id) ON DELETE CASCADE,
	via       TEXT NOT NULL CHECK (via IN ('self', 'code', 'staff', 'import')),
	code_id   INTEGER,                 -- no foreign key: how one joined outlives a revoked code
	joined_at TEXT NOT NULL,
	PRIMARY KEY (user_id, group_id)
) WITHOUT ROWID;
CREATE INDEX group_members_group ON group_members (group_id);

CREATE TABLE segments (
	id         INTEGER PRIMARY KEY,
	name       TEXT NOT NULL,
	q          TEXT NOT NULL DEFAULT '',
	includes   TEXT NOT NULL DEFAULT '[]',
	excludes   TEXT NOT NULL DEFAULT '[]',
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX segments_name ON segments (lower(name));

CREATE TABLE members_of_month (
	month      TEXT PRIMARY KEY,       -- YYYY-MM
	user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	citation   TEXT NOT NULL DEFAULT '',
	named_by   TEXT NOT NULL,
	created_at TEXT NOT NULL
);
CREATE INDEX members_of_month_user ON members_of_month (user_id);
