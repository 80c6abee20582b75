package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"

	"roster"
)

// Ensure LedgerService implements the domain interface.
var _ roster.LedgerService = (*LedgerService)(nil)

// LedgerService keeps counters and their ledgers.
type LedgerService struct {
	db *DB
}

// NewLedgerService returns a LedgerService on db.
func NewLedgerService(db *DB) *LedgerService { return &LedgerService{db: db} }

const ledgerSelect = "SELECT id, user_id, counter, amount, balance, reason, source, COALESCE(actor_id, 0), actor, COALESCE(idempotency_key, ''), at FROM ledger"

func scanLedger(rows interface{ Scan(...any) error }) (*roster.LedgerEntry, error) {
	e := &roster.LedgerEntry{}
	err := rows.Scan(&e.ID, &e.UserID, &e.Counter, &e.Amount, &e.Balance, &e.Reason, &e.Source, &e.ActorID, &e.Actor, &e.IdempotencyKey, timeScan{&e.At})
	return e, err
}

// lockUserID returns the store id of the user with public id, locking the
// row on PostgreSQL until tx ends: changes of one user's balances queue
// behind one another, and a retried idempotency key finds the first
// change committed.
func (tx *Tx) lockUserID(ctx context.Context, publicID string) (int64, error) {
	var id int64
	err := tx.queryRow(ctx, "SELECT id FROM users WHERE public_id = ?"+tx.db.forUpdate(), publicID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, roster.Errorf(roster.ENOTFOUND, "User not found.")
	}
	return id, formatError(err, "find user")
}

// ChangePoints applies c in one transaction: the balance and its entry.
func (s *LedgerService) ChangePoints(ctx context.Context, userID string, c roster.PointsChange) (*roster.LedgerEntry, bool, error) {
	c.Normalize()
	if err := c.Validate(); err != nil {
		return nil, false, err
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return nil, false, err
	}
	defer tx.Rollback()
	uid, err := tx.lockUserID(ctx, userID)
	if err != nil {
		return nil, false, err
	}
	if c.IdempotencyKey != "" {
		prior, err := scanLedger(tx.queryRow(ctx, ledgerSelect+" WHERE user_id = ? AND idempotency_key = ?", uid, c.IdempotencyKey))
		switch {
		case err == nil:
			if prior.Counter != c.Counter || prior.Amount != c.Amount || prior.Reason != c.Reason {
				return nil, false, &roster.Error{Code: roster.ECONFLICT, Message: "This idempotency key was used for a different change.",
					Fields: map[string]string{"idempotency_key": "was used for a different change (" + strconv.FormatInt(prior.Amount, 10) + " " + prior.Counter + ")"}, Position: -1}
			}
			return prior, true, nil
		case !errors.Is(err, sql.ErrNoRows):
			return nil, false, formatError(err, "change points")
		}
	}
	e, err := tx.changeBalance(ctx, uid, c)
	if err != nil {
		return nil, false, err
	}
	changes := map[string]roster.Change{c.Counter: {Before: e.Balance - e.Amount, After: e.Balance}}
	if err := tx.audit(ctx, "user.points", "user", userID, changes, c.Reason); err != nil {
		return nil, false, err
	}
	if err := tx.commit(); err != nil {
		return nil, false, err
	}
	return e, false, nil
}

// changeBalance adds c.Amount to the user uid's counter and writes its
// ledger entry. The balance is changed by one statement that reads and
// writes it, so no concurrent change is lost; a balance that would go
// below zero (when the counter forbids it) or past MaxCount is refused.
func (tx *Tx) changeBalance(ctx context.Context, uid int64, c roster.PointsChange) (*roster.LedgerEntry, error) {
	var allowNegative bool
	err := tx.queryRow(ctx, "SELECT allow_negative FROM counters WHERE key = ?", c.Counter).Scan(&allowNegative)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, &roster.Error{Code: roster.EINVALID, Message: "No such counter.", Fields: map[string]string{"counter": roster.Quote(c.Counter) + " is not a counter"}, Position: -1}
	} else if err != nil {
		return nil, formatError(err, "change points")
	}
	var after int64
	if c.Counter == roster.PointsCounter {
		allowNegative = false // the points field is never negative
		err = tx.queryRow(ctx, "UPDATE users SET points = points + ?, updated_at = ? WHERE id = ? RETURNING points",
			c.Amount, tx.db.timeArg(tx.now), uid).Scan(&after)
		if err == nil {
			err = tx.logChange(ctx, uid, roster.ChangeUpsert)
		}
	} else {
		err = tx.queryRow(ctx, `INSERT INTO user_counters (user_id, counter, balance) VALUES (?, ?, ?)
			ON CONFLICT (user_id, counter) DO UPDATE SET balance = user_counters.balance + excluded.balance RETURNING balance`,
			uid, c.Counter, c.Amount).Scan(&after)
	}
	if err != nil {
		return nil, formatError(err, "change points")
	}
	before := after - c.Amount
	switch {
	case after < 0 && !allowNegative:
		return nil, amountError(fmt.Sprintf("would take the balance below zero (it is %d)", before))
	case after > roster.MaxCount || after < -roster.MaxCount:
		return nil, amountError(fmt.Sprintf("would take the balance out of range (it is %d)", before))
	}
	return tx.insertLedger(ctx, uid, c, after)
}

func amountError(msg string) error {
	return &roster.Error{Code: roster.EINVALID, Message: "The amount " + msg + ".", Fields: map[string]string{"amount": msg}, Position: -1}
}

// insertLedger writes the entry of a change that took the user's balance
// to balance, by the actor in ctx.
func (tx *Tx) insertLedger(ctx context.Context, uid int64, c roster.PointsChange, balance int64) (*roster.LedgerEntry, error) {
	a := roster.ActorFromContext(ctx)
	e := &roster.LedgerEntry{UserID: uid, Counter: c.Counter, Amount: c.Amount, Balance: balance, Reason: c.Reason,
		Source: c.Source, ActorID: a.StaffID, Actor: a.Label, IdempotencyKey: c.IdempotencyKey, At: tx.now}
	var actorID, key any
	if a.StaffID != 0 {
		actorID = a.StaffID
	}
	if c.IdempotencyKey != "" {
		key = c.IdempotencyKey
	}
	id, err := tx.insert(ctx, "INSERT INTO ledger (user_id, counter, amount, balance, reason, source, actor_id, actor, idempotency_key, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		uid, e.Counter, e.Amount, e.Balance, e.Reason, e.Source, actorID, e.Actor, key, tx.db.timeArg(tx.now))
	if err != nil {
		return nil, formatError(err, "write ledger")
	}
	e.ID = id
	return e, nil
}

// openingBalances writes the ledger entry of each user among ids that was
// stored with points: the entry that makes the balance the ledger's sum.
func (tx *Tx) openingBalances(ctx context.Context, ids []int64, reason, source string) error {
	if len(ids) == 0 {
		return nil
	}
	list, arg, err := tx.db.idList(ids)
	if err != nil {
		return err
	}
	a := roster.ActorFromContext(ctx)
	var actorID any
	if a.StaffID != 0 {
		actorID = a.StaffID
	}
	_, err = tx.exec(ctx, `INSERT INTO ledger (user_id, counter, amount, balance, reason, source, actor_id, actor, at)
		SELECT id, 'points', points, points, ?, ?, ?, ?, ? FROM users WHERE id IN (SELECT id FROM `+list+` l) AND points <> 0`,
		reason, source, actorID, a.Label, tx.db.timeArg(tx.now), arg)
	return formatError(err, "write ledger")
}

// setPoints records, after an import wrote a user's points, the entry
// that takes the balance from before to after.
func (tx *Tx) setPoints(ctx context.Context, uid, before, after int64) error {
	if before == after {
		return nil
	}
	_, err := tx.insertLedger(ctx, uid, roster.PointsChange{Counter: roster.PointsCounter, Amount: after - before, Reason: "import", Source: roster.LedgerImport}, after)
	return err
}

// FindLedger returns a user's entries, newest first.
func (s *LedgerService) FindLedger(ctx context.Context, userID, counter string, before int64, limit int) ([]*roster.LedgerEntry, error) {
	if limit <= 0 || limit > 500 {
		limit = 500
	}
	q, args := ledgerSelect+" WHERE user_id = (SELECT id FROM users WHERE public_id = ?)", []any{userID}
	if counter != "" {
		q, args = q+" AND counter = ?", append(args, counter)
	}
	if before > 0 {
		q, args = q+" AND id < ?", append(args, before)
	}
	rows, err := s.db.query(ctx, q+" ORDER BY id DESC LIMIT ?", append(args, limit)...)
	if err != nil {
		return nil, formatError(err, "find ledger")
	}
	defer rows.Close()
	var out []*roster.LedgerEntry
	for rows.Next() {
		e, err := scanLedger(rows)
		if err != nil {
			return nil, formatError(err, "find ledger")
		}
		out = append(out, e)
	}
	return out, formatError(rows.Err(), "find ledger")
}

// Balances returns a user's balance of every counter, points first.
func (s *LedgerService) Balances(ctx context.Context, userID string) ([]roster.Balance, error) {
	var uid, points int64
	if err := s.db.queryRow(ctx, "SELECT id, points FROM users WHERE public_id = ?", userID).Scan(&uid, &points); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, roster.Errorf(roster.ENOTFOUND, "User not found.")
		}
		return nil, formatError(err, "balances")
	}
	rows, err := s.db.query(ctx, `SELECT c.key, c.label, c.allow_negative, c.created_at, COALESCE(b.balance, 0) FROM counters c
		LEFT JOIN user_counters b ON b.counter = c.key AND b.user_id = ? ORDER BY c.key <> 'points', c.created_at, c.key`, uid)
	if err != nil {
		return nil, formatError(err, "balances")
	}
	defer rows.Close()
	var out []roster.Balance
	for rows.Next() {
		var b roster.Balance
		if err := rows.Scan(&b.Counter.Key, &b.Counter.Label, &b.Counter.AllowNegative, timeScan{&b.Counter.CreatedAt}, &b.Balance); err != nil {
			return nil, formatError(err, "balances")
		}
		if b.Counter.Key == roster.PointsCounter {
			b.Balance = points
		}
		out = append(out, b)
	}
	return out, formatError(rows.Err(), "balances")
}

// Counters lists the counters, points first.
func (s *LedgerService) Counters(ctx context.Context) ([]roster.Counter, error) {
	rows, err := s.db.query(ctx, "SELECT key, label, allow_negative, created_at FROM counters ORDER BY key <> 'points', created_at, key")
	if err != nil {
		return nil, formatError(err, "counters")
	}
	defer rows.Close()
	var out []roster.Counter
	for rows.Next() {
		var c roster.Counter
		if err := rows.Scan(&c.Key, &c.Label, &c.AllowNegative, timeScan{&c.CreatedAt}); err != nil {
			return nil, formatError(err, "counters")
		}
		out = append(out, c)
	}
	return out, formatError(rows.Err(), "counters")
}

// CreateCounter defines a counter.
func (s *LedgerService) CreateCounter(ctx context.Context, c *roster.Counter) error {
	if err := c.Validate(); err != nil {
		return err
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	reg, err := loadRegistry(ctx, tx, s.db)
	if err != nil {
		return err
	}
	taken := &roster.Error{Code: roster.ECONFLICT, Message: "This key is taken.", Fields: map[string]string{"key": "is already taken"}, Position: -1}
	if _, ok := reg.Field(c.Key); ok || roster.IsBuiltinKey(c.Key) {
		return taken
	}
	c.CreatedAt = tx.now
	if _, err := tx.exec(ctx, "INSERT INTO counters (key, label, allow_negative, created_at) VALUES (?, ?, ?, ?)",
		c.Key, c.Label, c.AllowNegative, tx.db.timeArg(tx.now)); err != nil {
		if roster.ErrorCode(formatError(err, "")) == roster.ECONFLICT {
			return taken
		}
		return formatError(err, "create counter")
	}
	changes := map[string]roster.Change{"key": {After: c.Key}, "label": {After: c.Label}, "allow_negative": {After: c.AllowNegative}}
	if err := tx.audit(ctx, "counter.create", "counter", c.Key, changes, ""); err != nil {
		return err
	}
	return tx.commit()
}
