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

// InsertOldUser inserts a user with raw SQL, naming only the columns every
// schema has: for tests that fill a database on an old schema, which the
// store's own INSERT (every column of today) no longer fits.
func (db *DB) InsertOldUser(ctx context.Context, email string) (*roster.User, error) {
	u := &roster.User{PublicID: roster.NewPublicID(), Email: email, FirstName: "Zoé", Points: 10}
	now := db.timeArg(db.Now().UTC())
	err := db.write.QueryRowContext(ctx, db.rebind("INSERT INTO users (public_id, email, first_name, points, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id"),
		u.PublicID, u.Email, u.FirstName, u.Points, now, now).Scan(&u.ID)
	return u, err
}

// InsertOldSegment inserts a segment naming only the columns an older
// schema has (before 0021's users added and removed by hand), as
// InsertOldUser does for users.
func (db *DB) InsertOldSegment(ctx context.Context, name string) error {
	now := db.timeArg(db.Now().UTC())
	_, err := db.write.ExecContext(ctx, db.rebind("INSERT INTO segments (name, q, includes, excludes, created_at, updated_at) VALUES (?, '', '[]', '[]', ?, ?)"),
		name, now, now)
	return err
}

// SetBeforeUpdateCommit makes s call f as an update is about to commit;
// an error from f fails the update, which rolls back.
func SetBeforeUpdateCommit(s *UserService, f func() error) { s.beforeUpdateCommit = f }
