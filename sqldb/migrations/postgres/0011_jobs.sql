-- Job kinds other than import: what the job does in one line (audited and
-- listed), how many items it has (its progress), and its counts by name.
ALTER TABLE jobs ADD COLUMN note TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN total BIGINT NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN tally TEXT NOT NULL DEFAULT '{}';
