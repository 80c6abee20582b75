-- An invite link remembers the user's status before the invite, so that
-- revoking the invite puts it back ('' when unknown: pending).
ALTER TABLE link_tokens ADD COLUMN prior_status TEXT NOT NULL DEFAULT '';
