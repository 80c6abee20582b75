package roster

import "context"

// Actor is who performs an action, for the audit log.
type Actor struct {
	StaffID int64
	Label   string // staff email, "cli" or "system"
	Role    Role
}

type actorKey struct{}

// NewContextWithActor returns a context carrying a.
func NewContextWithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFromContext returns the actor in ctx, or the system actor.
func ActorFromContext(ctx context.Context) Actor {
	if a, ok := ctx.Value(actorKey{}).(Actor); ok {
		return a
	}
	return Actor{Label: "system"}
}

// StaffActor is the actor for a signed-in staff account.
func StaffActor(s *Staff) Actor {
	return Actor{StaffID: s.ID, Label: s.Email, Role: s.Role}
}

// MayManageOwners reports whether a may act on an owner's access: make an
// owner, change an owner's role, activation or password, make or revoke an
// owner's API tokens. Only an owner may, or Roster itself (the CLI, the
// system), which acts without a staff account.
func (a Actor) MayManageOwners() bool {
	return a.StaffID == 0 || a.Role.Can(PermManageOwners)
}
