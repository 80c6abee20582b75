package sqldb

import (
	"context"

	"roster"
)

// Ensure ChangeLog implements the domain interface.
var _ roster.ChangeLog = (*ChangeLog)(nil)

// ChangeLog reads the user change log.
type ChangeLog struct {
	db *DB
}

// NewChangeLog returns a ChangeLog on db.
func NewChangeLog(db *DB) *ChangeLog { return &ChangeLog{db: db} }

// ChangesSince returns up to limit changes after seq, in order.
func (c *ChangeLog) ChangesSince(ctx context.Context, seq int64, limit int) ([]roster.UserChange, error) {
	rows, err := c.db.query(ctx, "SELECT seq, user_id, kind, at FROM user_changes WHERE seq > ? ORDER BY seq LIMIT ?", seq, limit)
	if err != nil {
		return nil, formatError(err, "changes since")
	}
	defer rows.Close()
	var out []roster.UserChange
	for rows.Next() {
		var ch roster.UserChange
		if err := rows.Scan(&ch.Seq, &ch.UserID, (*string)(&ch.Kind), timeScan{&ch.At}); err != nil {
			return nil, formatError(err, "changes since")
		}
		out = append(out, ch)
	}
	return out, formatError(rows.Err(), "changes since")
}

// LastChange returns the highest seq, or 0.
func (c *ChangeLog) LastChange(ctx context.Context) (int64, error) {
	var seq int64
	err := c.db.queryRow(ctx, "SELECT COALESCE(MAX(seq), 0) FROM user_changes").Scan(&seq)
	return seq, formatError(err, "last change")
}

// logChange appends one change for userID to the log, in tx.
func (tx *Tx) logChange(ctx context.Context, userID int64, kind roster.ChangeKind) error {
	if err := tx.appendChanges(ctx, "VALUES (?, ?, ?)", false, userID, string(kind), tx.db.timeArg(tx.now)); err != nil {
		return err
	}
	tx.changed = append(tx.changed, userID)
	return nil
}

// logChanges appends one change per user with a single short statement:
// the ids travel as one JSON array, so SQLite parses the statement once
// whatever the batch size.
func (tx *Tx) logChanges(ctx context.Context, users []*roster.User, kind roster.ChangeKind) error {
	if len(users) == 0 {
		return nil
	}
	ids := make([]int64, len(users))
	for i, u := range users {
		ids[i] = u.ID
	}
	list, arg, err := tx.db.idList(ids)
	if err != nil {
		return err
	}
	if err := tx.appendChanges(ctx, "SELECT id, ?, ? FROM "+list+" l", false, string(kind), tx.db.timeArg(tx.now), arg); err != nil {
		return err
	}
	tx.changed = append(tx.changed, ids...)
	return nil
}

// appendChanges inserts change log rows from source. When a commit
// observer is set, it keeps their seqs for it: the index reloads the users
// at once and then needs not reload them again when it follows the log.
func (tx *Tx) appendChanges(ctx context.Context, source string, refs bool, args ...any) error {
	q := "INSERT INTO user_changes (user_id, kind, at) " + source
	if tx.db.OnCommit == nil && tx.db.OnRefsCommit == nil {
		_, err := tx.exec(ctx, q, args...)
		return formatError(err, "log changes")
	}
	rows, err := tx.query(ctx, q+" RETURNING seq", args...)
	if err != nil {
		return formatError(err, "log changes")
	}
	defer rows.Close()
	for rows.Next() {
		var seq int64
		if err := rows.Scan(&seq); err != nil {
			return formatError(err, "log changes")
		}
		if refs {
			tx.refSeqs = append(tx.refSeqs, seq)
		} else {
			tx.seqs = append(tx.seqs, seq)
		}
	}
	return formatError(rows.Err(), "log changes")
}

// commit commits tx and then tells the DB's observer which users changed,
// so that this node's index is current before the write call returns.
func (tx *Tx) commit() error {
	err := tx.Commit()
	tx.release()
	if err != nil {
		return formatError(err, "commit")
	}
	changed, refs, seqs, refSeqs := tx.changed, tx.changedRefs, tx.seqs, tx.refSeqs
	if tx.db.OnRefsCommit == nil {
		changed, seqs = append(changed, refs...), append(seqs, refSeqs...)
		refs = nil
	}
	if fn := tx.db.OnCommit; fn != nil && len(changed) > 0 {
		fn(changed, seqs)
	}
	if fn := tx.db.OnRefsCommit; fn != nil && len(refs) > 0 {
		fn(refs, refSeqs)
	}
	if fn := tx.db.WakeMail; fn != nil && tx.mailed {
		fn()
	}
	return nil
}
