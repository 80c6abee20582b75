package roster

import (
	"context"
	"time"
)

// ChangeKind says what happened to a user.
type ChangeKind string

// Change kinds.
const (
	ChangeUpsert ChangeKind = "upsert" // created or changed: reload the user
	ChangeDelete ChangeKind = "delete"
	// ChangeRefs: only the user's tags or groups changed. Readers reload
	// just those (bulk tagging touches 100,000 users at a time).
	ChangeRefs ChangeKind = "refs"
)

// UserChange is one row of the change log, written in the same transaction as
// the data it describes. Seq grows with every change; readers that follow
// the log (the query index on every node) remember the last Seq they applied.
type UserChange struct {
	Seq    int64
	UserID int64
	Kind   ChangeKind
	At     time.Time
}

// ChangeLog is read by whoever keeps a copy of the users current.
type ChangeLog interface {
	// ChangesSince returns up to limit changes with Seq > seq, in Seq order.
	ChangesSince(ctx context.Context, seq int64, limit int) ([]UserChange, error)
	// LastChange returns the highest Seq, or 0.
	LastChange(ctx context.Context) (int64, error)
}
