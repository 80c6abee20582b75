-- Jobs: long work with stored progress (imports), so that a process killed
-- in the middle is resumed from its last committed chunk.

CREATE TABLE jobs (
	id          INTEGER PRIMARY KEY,
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
CREATE INDEX jobs_kind ON jobs (kind, id);
CREATE INDEX jobs_file ON jobs (file_sha256);

-- An uploaded file in chunks of 1 MiB, so that any node can run the job.
CREATE TABLE job_files (
	job_id INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
	seq    INTEGER NOT NULL,
	data   BLOB NOT NULL,
	PRIMARY KEY (job_id, seq)
) WITHOUT ROWID;

-- The rows a job did not apply, with their reasons and cells.
CREATE TABLE job_failed_rows (
	job_id  INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
	row_num INTEGER NOT NULL,
	errors  TEXT NOT NULL,
	cells   TEXT NOT NULL,
	PRIMARY KEY (job_id, row_num)
) WITHOUT ROWID;
