package sqldb

import (
	"context"
	"database/sql"

	"roster"
)

// UserRows returns every row of userSelect, in id order, for the
// benchmarks of package sqldb_test, which need a database to fill.
func UserRows(db *DB) (*sql.Rows, error) {
	return db.query(context.Background(), userSelect+" ORDER BY id")
}

// NewUserScan returns a function that scans one row of UserRows.
func NewUserScan() func(row interface{ Scan(...any) error }, reg *roster.Registry) (*roster.User, error) {
	return newUserScanner().scan
}
