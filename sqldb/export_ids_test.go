package sqldb

import (
	"context"
	"database/sql"
)

// QueryForTest runs a read on the writer connection, for tests that look
// at the schema itself (sqlite_master, information_schema).
func (db *DB) QueryForTest(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return db.write.QueryContext(ctx, db.rebind(q), args...)
}

// MigrateUpTo applies the pending migrations named up to last, so that a
// test can fill a database on an older schema and then migrate it.
func (db *DB) MigrateUpTo(ctx context.Context, last string) error {
	if _, err := db.write.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)`); err != nil {
		return err
	}
	pending, err := db.pendingMigrations(ctx)
	if err != nil {
		return err
	}
	db.partialSchema = last < "0014"
	for _, name := range pending {
		if name > last {
			break
		}
		if err := db.migrateFile(ctx, name); err != nil {
			return err
		}
	}
	return nil
}
