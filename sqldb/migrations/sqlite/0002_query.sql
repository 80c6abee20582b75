-- roster_fold and roster_fold_phone are Go functions registered with the
-- driver (sqldb/query.go), so only the settings table is created here.
-- Settings shared by every node, such as the key that signs page cursors.
CREATE TABLE settings (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
);
