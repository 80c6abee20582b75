// Package sqldb implements Roster's services on SQLite (modernc.org/sqlite)
// and PostgreSQL (pgx) through database/sql. Queries are plain SQL written
// with ? placeholders and rebound to $n for PostgreSQL; only the migrations
// and a few type encodings differ between the two dialects.
package sqldb

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver

	"roster"
)

// Dialect is the SQL dialect of a DB.
type Dialect int

// The two dialects Roster supports.
const (
	SQLite Dialect = iota
	Postgres
)

func (d Dialect) String() string {
	if d == Postgres {
		return "postgres"
	}
	return "sqlite"
}

//go:embed migrations
var migrationsFS embed.FS

// DB is an open Roster database. Writes go through one writer pool (a single
// connection on SQLite, which allows one writer at a time anyway); reads use
// a separate pool so they never wait behind a long write.
type DB struct {
	Dialect Dialect
	Config  Config // what Open was given
	write   *sql.DB
	// partialSchema: a test migrated the database only part way, before
	// the webhook tables; writes emit no webhook events.
	partialSchema bool
	read          *sql.DB

	// Now is the clock; each transaction reads it once so that every row a
	// transaction writes carries the same time. Tests replace it.
	Now func() time.Time

	// OnCommit, when set, is called after each commit that changed users,
	// with their store ids and the change log seqs the commit wrote. The
	// query index sets it to apply its own node's writes at once (and to
	// skip those seqs when it follows the log); other nodes' writes reach
	// it through the change log.
	OnCommit func(userIDs, seqs []int64)
	// OnRefsCommit, when set, is called with the users whose tags or
	// groups alone changed; when nil, OnCommit gets them too.
	OnRefsCommit func(userIDs, seqs []int64)

	// Mail renders the messages the store queues on its own: a
	// confirmation when a user is created or their email changes, a
	// notice to the old address (confirm.go). NewAccountService sets it
	// when it is nil; a store without one queues none of these.
	// WakeMail, when set, is called after a commit that queued one.
	Mail     roster.MailRenderer
	WakeMail func()

	policy policyCache // the account policy (settings_accounts.go)
	events eventCache  // the event settings and partitions (event_store.go)
}

// Config says which database to open: PostgreSQL when DatabaseURL is set,
// else SQLite in DataDir.
type Config struct {
	DataDir     string
	DatabaseURL string
	// WriterCacheMiB sizes SQLite's writer page cache; 0 is 32 MiB, right
	// for a serving process, as memory the cache grows stays. The pure-Go
	// driver's allocator rounds each cached page (4 KiB and a header) up
	// to 8 KiB, so a cache costs twice its size in memory. Bulk writers
	// (seed, import) take more, so that fewer of their transaction's
	// pages are read back or spilled to the WAL before the commit.
	WriterCacheMiB int
	// CheckpointPages, when set, lets SQLite's write-ahead log grow to that
	// many pages before it is copied into the database. An import's
	// commits rewrite the same index pages again and again; checkpointing
	// them every 1,000 pages (the default) cost a million-row import a
	// third of its time.
	CheckpointPages int
}

// Open opens the database described by cfg. It does not migrate.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	db := &DB{Config: cfg, Now: func() time.Time { return time.Now().UTC() }}
	if cfg.DatabaseURL != "" {
		db.Dialect = Postgres
		pool, err := sql.Open("pgx", cfg.DatabaseURL)
		if err != nil {
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		pool.SetMaxOpenConns(20)
		pool.SetMaxIdleConns(10)
		pool.SetConnMaxIdleTime(5 * time.Minute)
		db.write, db.read = pool, pool
	} else {
		if cfg.DataDir == "" {
			return nil, fmt.Errorf("open sqlite: no data directory")
		}
		if err := registerSQLiteFuncs(); err != nil {
			return nil, fmt.Errorf("open sqlite: %w", err)
		}
		if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
			return nil, fmt.Errorf("open sqlite: %w", err)
		}
		path := filepath.Join(cfg.DataDir, "roster.db")
		// busy_timeout comes first so that the pragmas after it wait for a
		// lock instead of failing when another process (a CLI seeding next
		// to a running server) holds it. foreign_keys is off by default in
		// SQLite and must be set per connection. synchronous=NORMAL is safe
		// in WAL mode: a power loss may lose the last commits, never
		// corrupt the file.
		// temp_store=MEMORY keeps statement journals of multi-row inserts
		// off the disk.
		pragmas := "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_pragma=temp_store(MEMORY)"
		cacheMiB := 32
		if cfg.WriterCacheMiB > 0 {
			cacheMiB = cfg.WriterCacheMiB
		}
		writer := "file:" + path + "?" + pragmas + "&_pragma=cache_size(-" + strconv.Itoa(cacheMiB*1024) + ")&_txlock=immediate"
		if cfg.CheckpointPages > 0 {
			writer += "&_pragma=wal_autocheckpoint(" + strconv.Itoa(cfg.CheckpointPages) + ")"
		}
		w, err := sql.Open("sqlite", writer)
		if err != nil {
			return nil, fmt.Errorf("open sqlite: %w", err)
		}
		// One writer: SQLite serialises writes anyway, and a single
		// connection makes BEGIN IMMEDIATE queue in Go instead of spinning
		// on SQLITE_BUSY.
		w.SetMaxOpenConns(1)
		w.SetConnMaxIdleTime(0)
		r, err := sql.Open("sqlite", "file:"+path+"?"+pragmas+"&_pragma=cache_size(-8192)&_pragma=query_only(1)")
		if err != nil {
			w.Close()
			return nil, fmt.Errorf("open sqlite: %w", err)
		}
		r.SetMaxOpenConns(8)
		db.write, db.read = w, r
	}
	if err := db.write.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", db.Dialect, err)
	}
	return db, nil
}

// Close closes both pools.
func (db *DB) Close() error {
	err := db.write.Close()
	if db.read != db.write {
		if err2 := db.read.Close(); err == nil {
			err = err2
		}
	}
	return err
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	return db.read.PingContext(ctx)
}

// Tx is a write transaction with the time it started, which every row it
// writes uses.
type Tx struct {
	*sql.Tx
	db          *DB
	now         time.Time
	conn        *sql.Conn // its own connection, when it needs the driver's (beginConn)
	changed     []int64   // users changed in this transaction
	changedRefs []int64   // users whose tags or groups only changed
	seqs        []int64   // the change log seqs of changed, when observed
	refSeqs     []int64   // and of changedRefs
	mailed      bool      // a message was queued (confirm.go)
	stmts       map[string]*sql.Stmt
	// importing is set by an import: the points of the users it writes
	// are ledger entries from the import.
	importing bool
}

// begin starts a write transaction.
func (db *DB) begin(ctx context.Context) (*Tx, error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	return &Tx{Tx: tx, db: db, now: db.Now().UTC().Truncate(time.Millisecond)}, nil
}

// exec runs a statement written with ? placeholders.
func (tx *Tx) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return tx.ExecContext(ctx, tx.db.rebind(q), args...)
}

func (tx *Tx) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return tx.QueryContext(ctx, tx.db.rebind(q), args...)
}

// prepare returns the statement query builds, prepared once per
// transaction under key: parsing a 200-row INSERT costs more than running
// it. The transaction's end closes the statements.
func (tx *Tx) prepare(ctx context.Context, key string, query func() string) (*sql.Stmt, error) {
	if st, ok := tx.stmts[key]; ok {
		return st, nil
	}
	st, err := tx.PrepareContext(ctx, tx.db.rebind(query()))
	if err != nil {
		return nil, err
	}
	if tx.stmts == nil {
		tx.stmts = map[string]*sql.Stmt{}
	}
	tx.stmts[key] = st
	return st, nil
}

func (tx *Tx) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	return tx.QueryRowContext(ctx, tx.db.rebind(q), args...)
}

// insert runs an INSERT ... RETURNING id and returns the id.
func (tx *Tx) insert(ctx context.Context, q string, args ...any) (int64, error) {
	var id int64
	err := tx.queryRow(ctx, q+" RETURNING id", args...).Scan(&id)
	return id, err
}

// query runs a read outside a transaction on the read pool.
func (db *DB) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return db.read.QueryContext(ctx, db.rebind(q), args...)
}

func (db *DB) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	return db.read.QueryRowContext(ctx, db.rebind(q), args...)
}

// forUpdate locks the rows a read selects until the transaction ends, on
// PostgreSQL. SQLite needs no lock: its one writer serialises transactions.
func (db *DB) forUpdate() string {
	if db.Dialect == Postgres {
		return " FOR UPDATE"
	}
	return ""
}

// countRows runs q in tx and counts the rows it returns (COUNT(*) cannot be
// combined with FOR UPDATE).
func countRows(ctx context.Context, tx *Tx, q string, args ...any) (int, error) {
	rows, err := tx.query(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		n++
	}
	return n, rows.Err()
}

// rebind turns ? placeholders into $1, $2, ... for PostgreSQL. Our queries
// never hold a literal question mark.
func (db *DB) rebind(q string) string {
	if db.Dialect != Postgres || !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
		} else {
			b.WriteByte(q[i])
		}
	}
	return b.String()
}

// Migrate applies the embedded migrations that the database has not seen,
// each in its own transaction, in order.
func (db *DB) Migrate(ctx context.Context) error {
	if _, err := db.write.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if db.Dialect == Postgres {
		// Nodes starting together must not apply the same migration twice.
		conn, err := db.write.Conn(ctx)
		if err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(7472801)`); err != nil {
			return fmt.Errorf("migrate: lock: %w", err)
		}
		// Closing the connection releases the lock too, should this fail.
		defer func() { _, _ = conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock(7472801)`) }()
	}
	pending, err := db.pendingMigrations(ctx)
	if err != nil {
		return err
	}
	for _, name := range pending {
		if err := db.migrateFile(ctx, name); err != nil {
			return err
		}
	}
	return nil
}

func (db *DB) migrationNames() ([]string, error) {
	names, err := fs.Glob(migrationsFS, "migrations/"+db.Dialect.String()+"/*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	for i, n := range names {
		names[i] = filepath.Base(n)
	}
	return names, nil
}

func (db *DB) pendingMigrations(ctx context.Context) ([]string, error) {
	names, err := db.migrationNames()
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	rows, err := db.write.QueryContext(ctx, `SELECT name FROM schema_migrations`)
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	defer rows.Close()
	done := map[string]bool{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("migrate: %w", err)
		}
		done[n] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	var pending []string
	for _, n := range names {
		if !done[n] {
			pending = append(pending, n)
		}
	}
	return pending, nil
}

func (db *DB) migrateFile(ctx context.Context, name string) error {
	body, err := migrationsFS.ReadFile("migrations/" + db.Dialect.String() + "/" + name)
	if err != nil {
		return fmt.Errorf("migrate %s: %w", name, err)
	}
	// One connection for the whole migration: on SQLite, foreign key
	// enforcement is a setting of the connection, and it can only change
	// outside a transaction.
	conn, err := db.write.Conn(ctx)
	if err != nil {
		return fmt.Errorf("migrate %s: %w", name, err)
	}
	defer conn.Close()
	if db.Dialect == SQLite {
		// A table rebuild (create, copy, drop, rename) must not let the
		// DROP delete or refuse the rows that refer to the table: SQLite's
		// documented procedure turns enforcement off for the migration,
		// then checks every foreign key before committing.
		if _, err := conn.ExecContext(ctx, "PRAGMA foreign_keys = OFF"); err != nil {
			return fmt.Errorf("migrate %s: %w", name, err)
		}
		// The connection goes back to the pool: enforcement must come
		// back on; should that fail, the next statement finds out.
		defer func() { _, _ = conn.ExecContext(context.Background(), "PRAGMA foreign_keys = ON") }()
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate %s: %w", name, err)
	}
	defer func() { _ = tx.Rollback() }() // a no-op after the commit
	if _, err := tx.ExecContext(ctx, string(body)); err != nil {
		return fmt.Errorf("migrate %s: %w", name, err)
	}
	if db.Dialect == SQLite {
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM pragma_foreign_key_check").Scan(&n); err != nil {
			return fmt.Errorf("migrate %s: foreign key check: %w", name, err)
		}
		if n > 0 {
			return fmt.Errorf("migrate %s: %d rows break a foreign key", name, n)
		}
	}
	if _, err := tx.ExecContext(ctx, db.rebind(`INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)`), name, time.Now().UTC().Format(time.RFC3339)); err != nil {
		return fmt.Errorf("migrate %s: %w", name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrate %s: %w", name, err)
	}
	if db.Dialect == SQLite {
		if _, err := conn.ExecContext(ctx, "PRAGMA foreign_keys = ON"); err != nil {
			return fmt.Errorf("migrate %s: %w", name, err)
		}
	}
	return nil
}

// SchemaCurrent reports whether every embedded migration has been applied:
// a node must not serve on a schema older (or newer) than its code.
func (db *DB) SchemaCurrent(ctx context.Context) (bool, error) {
	pending, err := db.pendingMigrations(ctx)
	if err != nil {
		return false, err
	}
	return len(pending) == 0, nil
}

// CheckIntegrity runs the database's own consistency checks: SQLite's
// integrity and foreign key checks; on PostgreSQL, which enforces its
// constraints as it writes, that the unique keys hold and the change log
// knows every user.
func (db *DB) CheckIntegrity(ctx context.Context) error {
	var checks []string
	if db.Dialect == SQLite {
		var res string
		if err := db.write.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&res); err != nil {
			return fmt.Errorf("integrity check: %w", err)
		}
		if res != "ok" {
			return fmt.Errorf("integrity check: %s", res)
		}
		checks = append(checks, "SELECT COUNT(*) FROM pragma_foreign_key_check")
	}
	checks = append(checks,
		"SELECT COUNT(*) FROM (SELECT email FROM users WHERE email IS NOT NULL GROUP BY email HAVING COUNT(*) > 1) d",
		"SELECT COUNT(*) FROM (SELECT client_id FROM users WHERE client_id IS NOT NULL GROUP BY client_id HAVING COUNT(*) > 1) d",
		"SELECT COUNT(*) FROM users WHERE id NOT IN (SELECT user_id FROM user_changes)")
	for _, q := range checks {
		var n int
		if err := db.write.QueryRowContext(ctx, q).Scan(&n); err != nil {
			return fmt.Errorf("integrity check: %w", err)
		}
		if n != 0 {
			return fmt.Errorf("integrity check: %d rows break %q", n, q)
		}
	}
	return nil
}

// eachRow calls fn for every row of rows, then closes them, returning the
// first error of fn, of the iteration or of closing. The rows are closed
// when it returns, so that the transaction or connection can go on.
func eachRow(rows *sql.Rows, fn func() error) error {
	defer rows.Close()
	for rows.Next() {
		if err := fn(); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return rows.Close()
}

// scanIDs reads the first column of every row as an id, and closes rows.
func scanIDs(rows *sql.Rows) ([]int64, error) {
	var ids []int64
	err := eachRow(rows, func() error {
		var id int64
		err := rows.Scan(&id)
		ids = append(ids, id)
		return err
	})
	return ids, err
}

// Pools returns the connection pools by name, for their statistics:
// "write" and "read" on SQLite, "main" on PostgreSQL (one pool serves
// both).
func (db *DB) Pools() map[string]*sql.DB {
	if db.read == db.write {
		return map[string]*sql.DB{"main": db.write}
	}
	return map[string]*sql.DB{"write": db.write, "read": db.read}
}
