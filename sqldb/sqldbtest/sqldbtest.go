// Package sqldbtest opens throwaway, migrated Roster databases for tests:
// SQLite in t.TempDir() always, and PostgreSQL (a fresh schema in the
// database named by ROSTER_TEST_DATABASE_URL) when make test provides one.
// In CI (CI=true) a missing PostgreSQL fails the test instead of skipping.
package sqldbtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	"roster/sqldb"
)

// EnvDatabaseURL names the PostgreSQL database tests create schemas in.
const EnvDatabaseURL = "ROSTER_TEST_DATABASE_URL"

// Dialects lists the dialects tests run on.
var Dialects = []sqldb.Dialect{sqldb.SQLite, sqldb.Postgres}

// ForEachDB runs fn as a subtest named after each dialect, each with a fresh
// database, so that one suite covers both stores.
func ForEachDB(t *testing.T, fn func(t *testing.T, db *sqldb.DB)) {
	t.Helper()
	for _, d := range Dialects {
		t.Run(d.String(), func(t *testing.T) {
			fn(t, MustOpenDB(t, d))
		})
	}
}

// MustOpenDB returns a fresh, migrated database of dialect d, closed (and,
// for PostgreSQL, dropped) when the test ends.
func MustOpenDB(tb testing.TB, d sqldb.Dialect) *sqldb.DB {
	tb.Helper()
	ctx := context.Background()
	cfg := sqldb.Config{DataDir: tb.TempDir()}
	if d == sqldb.Postgres {
		cfg = sqldb.Config{DatabaseURL: FreshSchema(tb)}
	}
	db, err := sqldb.Open(ctx, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		tb.Fatal(err)
	}
	return db
}

// PostgresURL returns the test database URL, skipping (or, in CI, failing)
// tb when there is none.
func PostgresURL(tb testing.TB) string {
	tb.Helper()
	u := os.Getenv(EnvDatabaseURL)
	if u == "" {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("%s is not set: in CI the PostgreSQL tests must run (use make test)", EnvDatabaseURL)
		}
		tb.Skipf("%s not set; run make test for the PostgreSQL half of the suite", EnvDatabaseURL)
	}
	return u
}

// FreshSchema creates a schema of its own for tb, dropped when tb ends, and
// returns a URL whose connections use it: tests in parallel never see each
// other's tables. For tests that need raw connections next to a DB.
func FreshSchema(tb testing.TB) string {
	tb.Helper()
	base := PostgresURL(tb)
	b := make([]byte, 6)
	rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		tb.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		tb.Fatalf("create schema: %v", err)
	}
	tb.Cleanup(func() {
		a, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer a.Close()
		_, _ = a.Exec("DROP SCHEMA " + schema + " CASCADE") // a schema left behind is only litter
	})
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
