package roster

import (
	"context"
	"time"
)

// AuditEntry records one staff action: who did what to which target, and the
// fields it changed. Secrets never appear in it: a changed password is
// recorded as changed, without values.
type AuditEntry struct {
	ID         int64
	At         time.Time
	ActorID    int64  // staff account id; 0 for the system or the CLI
	Actor      string // email of the staff, or "cli", "system"
	Action     string // "user.create", "user.update", "staff.create", ...
	TargetType string // "user", "staff", "field", "token"
	TargetID   string
	Changes    map[string]Change
	Note       string // a reason, a count, a filter
}

// Change is a field's value before and after an action.
type Change struct {
	Before any `json:"before"`
	After  any `json:"after"`
}

// Redacted stands for a secret in audit entries.
const Redacted = "[redacted]"

// AuditFilter selects audit entries; zero fields match everything.
type AuditFilter struct {
	ActorID    *int64
	Action     string
	TargetType string
	TargetID   string
	Since      time.Time
	Until      time.Time
	Limit      int
	BeforeID   int64 // entries older than this id, for paging
}

// AuditService reads the audit log. Entries are written by the services in
// the same transaction as the change they describe; Record writes those of
// actions that change nothing (an export, a download of a user's data).
type AuditService interface {
	FindAuditEntries(ctx context.Context, f AuditFilter) ([]*AuditEntry, error)
	// Record writes e for the actor in ctx, stamped with the store's clock;
	// e's ID, At, ActorID and Actor are ignored.
	Record(ctx context.Context, e AuditEntry) error
}

// DiffUsers returns the fields of reg whose values differ between a and b,
// with both values. updated_at and passwords are not compared.
func DiffUsers(reg *Registry, a, b *User) map[string]Change {
	changes := map[string]Change{}
	for _, f := range reg.Fields {
		if f.Key == "updated_at" || f.Type == TypePassword {
			continue
		}
		va, vb := a.Get(f.Key), b.Get(f.Key)
		if FormatText(f.Type, va) != FormatText(f.Type, vb) {
			changes[f.Key] = Change{Before: va, After: vb}
		}
	}
	return changes
}
