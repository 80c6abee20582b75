package roster

import "context"

// Actor is who performs an action, for the audit log.
type Actor struct {
	StaffID int64
	Label   string // staff email, "cli" or "system"
	Role    Role
	// Via is how the staff member acted when it is not the back-office
	// or the API: "scim" for an identity provider provisioning with
	// their token. The audit log records it with each entry.
	Via string
}

type actorKey struct{}

// NewContextWithActor returns a context carrying a.
func NewContextWithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// UserActing returns ctx with the user userID as its actor: a user's own
// action (a join from the app, a password set from a link). Through a
// staff member's token the label names both, "user u_1 (through
// ann@example.com)", and the staff id stays so that the audit log's staff
// filter finds it; from a hosted page, where nobody is signed in, the
// label is the user alone.
func UserActing(ctx context.Context, userID string) context.Context {
	a, ok := ctx.Value(actorKey{}).(Actor)
	if !ok || a.StaffID == 0 {
		return NewContextWithActor(ctx, Actor{Label: "user " + userID})
	}
	a.Label = "user " + userID + " (through " + a.Label + ")"
	return NewContextWithActor(ctx, a)
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
