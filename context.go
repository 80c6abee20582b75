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
