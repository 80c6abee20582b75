-- Jobs: long work with stored progress (imports), so that a process killed
-- in the middle is resumed from its last committed chunk.

CREATE TABLE jobs (
	id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	kind        TEXT NOT NULL,
	status      TEXT NOT NULL,
	options     TEXT NOT NULL DEFAULT '{}',
	file_name   TEXT NOT NULL DEFAULT '',
	file_size   BIGINT NOT NULL DEFAULT 0,
	file_sha256 TEXT NOT NULL DEFAULT '',
	file_path   TEXT NOT NULL DEFAULT '',  -- the CLI's own file; uploads are in job_files
	file_job    BIGINT,                    -- whose job_files hold the upload
	header      TEXT NOT NULL DEFAULT '[]', -- the file's header row
	unknown     TEXT NOT NULL DEFAULT '[]',
	position    BIGINT NOT NULL DEFAULT 1, -- last spreadsheet row committed; 1 is the header
	byte_offset BIGINT NOT NULL DEFAULT 0,
	rows_read   BIGINT NOT NULL DEFAULT 0,
	created     BIGINT NOT NULL DEFAULT 0,
	updated     BIGINT NOT NULL DEFAULT 0,
	unchanged   BIGINT NOT NULL DEFAULT 0,
	failed      BIGINT NOT NULL DEFAULT 0,
	error       TEXT NOT NULL DEFAULT '',
	staff_id    BIGINT,
	actor       TEXT NOT NULL DEFAULT '',
	owner       TEXT NOT NULL DEFAULT '',
	heartbeat_at TIMESTAMPTZ,
	created_at  TIMESTAMPTZ NOT NULL,
	started_at  TIMESTAMPTZ,
	finished_at TIMESTAMPTZ,
	updated_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX jobs_kind ON jobs (kind, id);
CREATE INDEX jobs_file ON jobs (file_sha256);

-- An uploaded file in chunks of 1 MiB, so that any node can run the job.
CREATE TABLE job_files (
	job_id BIGINT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
	seq    INTEGER NOT NULL,
	data   BYTEA NOT NULL,
	PRIMARY KEY (job_id, seq)
);

-- The rows a job did not apply, with their reasons and cells.
CREATE TABLE job_failed_rows (
	job_id  BIGINT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
	row_num BIGINT NOT NULL,
	errors  TEXT NOT NULL,
	cells   TEXT NOT NULL,
	PRIMARY KEY (job_id, row_num)
);
