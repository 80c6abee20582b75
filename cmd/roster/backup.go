package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"roster/sqldb"
)

// errPostgresBackup says where PostgreSQL's backups come from.
var errPostgresBackup = errors.New("roster backup and restore copy the embedded SQLite database; with ROSTER_DATABASE_URL, back up PostgreSQL with pg_dump and restore with pg_restore (see README)")

// runBackup is `roster backup [--out FILE]`: a consistent copy of the
// SQLite database, taken while the server runs.
func runBackup(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	m := &Main{Config: DefaultConfig()}
	var out string
	err := parse("backup", args, &m.Config, false, stdout, stderr, getenv, func(fs *flag.FlagSet) {
		fs.StringVar(&out, "out", "", "the file to write; it must not exist (default roster-backup-TIME.db in the current directory)")
	})
	if err != nil {
		return err
	}
	if m.Config.DatabaseURL != "" {
		return errPostgresBackup
	}
	if _, err := os.Stat(filepath.Join(m.Config.DataDir, "roster.db")); err != nil {
		return fmt.Errorf("no Roster database in %s (ROSTER_DATA, --data)", m.Config.DataDir)
	}
	if out == "" {
		out = "roster-backup-" + time.Now().UTC().Format("20060102T150405Z") + ".db"
	}
	if err := m.open(ctx, stderr); err != nil {
		return err
	}
	defer m.Close()
	began := time.Now()
	if err := m.DB.Backup(ctx, out); err != nil {
		return err
	}
	st, err := os.Stat(out)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Backup written to %s (%d bytes) in %s.\n", out, st.Size(), time.Since(began).Round(time.Millisecond))
	return nil
}

// runRestore is `roster restore FILE`: the backup replaces the SQLite
// database of the data directory, whose old database is kept beside it.
func runRestore(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	m := &Main{Config: DefaultConfig()}
	var from string
	if len(args) > 0 && !helpAsked(args[:1]) && len(args[0]) > 0 && args[0][0] != '-' {
		from, args = args[0], args[1:]
	}
	if err := parse("restore", args, &m.Config, false, stdout, stderr, getenv, nil); err != nil {
		return err
	}
	if from == "" {
		return errors.New("which backup? usage: roster restore FILE [--data DIR]")
	}
	if m.Config.DatabaseURL != "" {
		return errPostgresBackup
	}
	kept, err := sqldb.Restore(ctx, m.Config.DataDir, from)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Restored %s into %s.\n", from, m.Config.DataDir)
	if kept != "" {
		fmt.Fprintf(stdout, "The database it replaced is kept as %s.\n", kept)
	}
	return nil
}
