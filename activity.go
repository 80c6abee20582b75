package roster

import (
	"context"
	"time"
)

// Activity is one item of a user's timeline: an event they sent, a staff
// action on them, a note, a task, a points change, a message sent to them.
type Activity struct {
	At     time.Time
	Kind   string // "event", "visit", "staff", "note", "task", "points", "message", ...
	Title  string // one line, as the timeline shows it
	Detail string // more text, may be ""
	Actor  string // who did it: a staff email, "user", "api", "import", "system"
	Link   string // a back-office path for more, may be ""
	Cursor string // opaque position of this item within its source, for paging
}

// ActivitySource gives a user's activity of some kinds, newest first, before a
// time (zero: now), at most limit items.
type ActivitySource interface {
	UserActivity(ctx context.Context, userID int64, before time.Time, limit int) ([]Activity, error)
}
