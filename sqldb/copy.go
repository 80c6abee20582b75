package sqldb

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"roster"
)

// PostgreSQL loads rows fastest with COPY, which cannot return the ids the
// identity column gives. So a large batch is copied into a temporary table
// of the same columns and moved into users with one INSERT ... SELECT that
// returns them: two statements instead of one parsed per 200 rows.

// copyThreshold is the batch size from which COPY beats multi-row inserts.
const copyThreshold = 500

// beginConn starts a write transaction on a connection of its own, so that
// the driver's COPY can run inside it (PostgreSQL only; elsewhere it is
// begin).
func (db *DB) beginConn(ctx context.Context) (*Tx, error) {
	if db.Dialect != Postgres {
		return db.begin(ctx)
	}
	conn, err := db.write.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("begin: %w", err)
	}
	return &Tx{Tx: tx, db: db, conn: conn, now: db.Now().UTC().Truncate(time.Millisecond)}, nil
}

// Rollback rolls tx back and gives its own connection back to the pool.
func (tx *Tx) Rollback() error {
	err := tx.Tx.Rollback()
	tx.release()
	return err
}

func (tx *Tx) release() {
	if tx.conn != nil {
		tx.conn.Close()
		tx.conn = nil
	}
}

// dateColumns are the positions in userColumns of the date columns.
var dateColumns = func() []int {
	var out []int
	for i := range userFields {
		if _, ok := userFields[i].Addr(&roster.User{}).(*roster.Date); ok {
			out = append(out, i)
		}
	}
	return out
}()

// copyUsers inserts users with COPY; the users are valid and their public
// ids, times and status are filled. With skipTaken, as insertUsers.
func (tx *Tx) copyUsers(ctx context.Context, users []*roster.User, skipTaken bool) error {
	rows := make([][]any, len(users))
	byPublic := make(map[string]*roster.User, len(users))
	for i, u := range users {
		args, err := tx.db.userArgs(u)
		if err != nil {
			return fmt.Errorf("create users: %w", err)
		}
		// COPY encodes by column type; a date travels as a time.
		for _, j := range dateColumns {
			if d := userFields[j].Addr(u).(*roster.Date); !d.IsZero() {
				args[j] = d.In(time.UTC)
			}
		}
		rows[i] = args
		byPublic[u.PublicID] = u
	}
	cols := strings.Join(userColumns, ", ")
	if _, err := tx.exec(ctx, "CREATE TEMP TABLE IF NOT EXISTS users_load ON COMMIT DROP AS SELECT "+cols+" FROM users WITH NO DATA"); err != nil {
		return formatError(err, "create users")
	}
	err := tx.conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("copy users: driver connection is %T", dc)
		}
		_, err := c.Conn().CopyFrom(ctx, pgx.Identifier{"users_load"}, userColumns, pgx.CopyFromRows(rows))
		return err
	})
	if err != nil {
		return formatError(err, "copy users")
	}
	conflict := ""
	if skipTaken {
		conflict = " ON CONFLICT DO NOTHING"
	}
	rs, err := tx.query(ctx, "INSERT INTO users ("+cols+") SELECT "+cols+" FROM users_load"+conflict+" RETURNING id, public_id")
	if err != nil {
		return formatError(err, "create users")
	}
	defer rs.Close() // closed at the loop's end too: the transaction goes on
	n := 0
	for rs.Next() {
		var id int64
		var pub string
		if err := rs.Scan(&id, &pub); err != nil {
			return formatError(err, "create users")
		}
		if u := byPublic[pub]; u != nil {
			u.ID = id
			n++
		}
	}
	err = rs.Err()
	rs.Close()
	if err != nil {
		return formatError(err, "create users")
	}
	if !skipTaken && n != len(users) {
		return fmt.Errorf("create users: copied %d of %d", n, len(users))
	}
	if _, err := tx.exec(ctx, "TRUNCATE users_load"); err != nil {
		return formatError(err, "create users")
	}
	return nil
}
