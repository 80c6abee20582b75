-- Users added to or removed from a segment by hand, on top of what its
-- filter and references select: JSON arrays of public user ids.
ALTER TABLE segments ADD COLUMN added_users TEXT NOT NULL DEFAULT '[]';
ALTER TABLE segments ADD COLUMN removed_users TEXT NOT NULL DEFAULT '[]';
