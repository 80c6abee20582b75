package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"roster"
)

// Backup writes a consistent copy of the SQLite database to path while
// others go on reading and writing (VACUUM INTO: one read transaction, so
// the copy is the database as of one moment, compacted). path must not
// exist. PostgreSQL is refused: pg_dump is the tool for it.
func (db *DB) Backup(ctx context.Context, path string) error {
	if db.Dialect != SQLite {
		return roster.Errorf(roster.EINVALID, "Backup copies an SQLite database; for PostgreSQL use pg_dump.")
	}
	if _, err := os.Stat(path); err == nil {
		return roster.Errorf(roster.ECONFLICT, "%s exists: a backup never overwrites a file.", path)
	}
	// The readers are query_only, which VACUUM INTO refuses; on the writer
	// it is still only a read transaction of the database, which writers
	// in other processes (a running server) do not wait for.
	if _, err := db.write.ExecContext(ctx, "VACUUM INTO ?", path); err != nil {
		os.Remove(path) // what SQLite wrote before it failed, if anything
		return fmt.Errorf("backup: %w", err)
	}
	return nil
}

// CheckBackup checks that the file at path is a whole SQLite database
// written by Roster: it passes SQLite's integrity check and has Roster's
// schema. It returns the number of migrations the backup has.
func CheckBackup(ctx context.Context, path string) (int, error) {
	if err := registerSQLiteFuncs(); err != nil {
		return 0, err
	}
	if _, err := os.Stat(path); err != nil {
		return 0, roster.Errorf(roster.ENOTFOUND, "No backup at %s.", path)
	}
	c, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=query_only(1)")
	if err != nil {
		return 0, fmt.Errorf("check backup: %w", err)
	}
	defer c.Close()
	var ok string
	if err := c.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&ok); err != nil || ok != "ok" {
		if err == nil {
			err = errors.New(ok)
		}
		return 0, roster.Errorf(roster.EINVALID, "%s is not a sound SQLite database: %v", path, err)
	}
	var n int
	if err := c.QueryRowContext(ctx, "SELECT count(*) FROM schema_migrations").Scan(&n); err != nil {
		return 0, roster.Errorf(roster.EINVALID, "%s is not a Roster database: it has no schema_migrations table.", path)
	}
	return n, nil
}

// Restore puts the backup at from in place of the SQLite database of
// dataDir, which no process may have open (stop Roster first). A database
// already there is kept beside it, renamed with the time, never deleted;
// it returns that name ("" when there was none).
func Restore(ctx context.Context, dataDir, from string) (string, error) {
	if _, err := CheckBackup(ctx, from); err != nil {
		return "", err
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return "", fmt.Errorf("restore: %w", err)
	}
	target := filepath.Join(dataDir, "roster.db")
	// Copy first, beside the target, so that a failure leaves it as it was.
	tmp := target + ".restoring"
	if err := copyFile(from, tmp); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("restore: %w", err)
	}
	var kept string
	if _, err := os.Stat(target); err == nil {
		kept = target + ".before-restore-" + time.Now().UTC().Format("20060102T150405Z")
		if err := os.Rename(target, kept); err != nil {
			os.Remove(tmp)
			return "", fmt.Errorf("restore: %w", err)
		}
		// The write-ahead log and its index belong to the old database.
		for _, ext := range []string{"-wal", "-shm"} {
			if _, err := os.Stat(target + ext); err == nil {
				if err := os.Rename(target+ext, kept+ext); err != nil {
					return "", fmt.Errorf("restore: %w", err)
				}
			}
		}
	}
	if err := os.Rename(tmp, target); err != nil {
		return "", fmt.Errorf("restore: %w", err)
	}
	return kept, nil
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := out.ReadFrom(in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
