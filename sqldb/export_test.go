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

// EnqueueInTx queues a message to recipient in a transaction that then
// commits, or rolls back when commit is false: how the external tests see
// that a message lives and dies with its cause's transaction.
func (db *DB) EnqueueInTx(ctx context.Context, r roster.MailRenderer, recipient string, commit bool) error {
	tx, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.enqueue(ctx, r, 0, recipient, roster.TemplateInvite, roster.MailData{LinkPath: "/u/invite/test"}); err != nil {
		return err
	}
	if !commit {
		return nil
	}
	return tx.commit()
}

// SetAfterPasswordCheck makes s call f when a sign-in's password matched,
// before the sign-in writes: a test makes a change land exactly there.
func SetAfterPasswordCheck(s *UserService, f func()) { s.afterPasswordCheck = f }
