package roster

import (
	"context"
	"regexp"
	"strings"
	"time"
)

// Counter is a balance every user holds: points, built in, and any the
// operator defines (credits, stamps, ...). A balance changes only through
// its ledger: each change is a LedgerEntry with an amount, a reason, who
// made it and when, and the balance is the sum of the entries. Points are
// kept on the user (the points field) so that the table and the index
// filter and sort on them; the other counters' balances are kept apart and
// shown on the profile and in the API.
type Counter struct {
	Key   string `json:"key"`
	Label string `json:"label"`
	// AllowNegative lets a change take the balance below zero; otherwise
	// such a change is refused. Points never go below zero.
	AllowNegative bool      `json:"allow_negative"`
	CreatedAt     time.Time `json:"created_at,omitzero"`
}

// PointsCounter is the key of the built-in counter, the points field.
const PointsCounter = "points"

// The sources of a ledger entry: who made the change.
const (
	LedgerStaff      = "staff"      // a staff member on the profile
	LedgerAPI        = "api"        // an API client
	LedgerImport     = "import"     // a CSV import setting the balance
	LedgerAutomation = "automation" // Roster itself (the opening balance of a new user)
)

// LedgerSources lists the sources in display order.
var LedgerSources = []string{LedgerStaff, LedgerAPI, LedgerImport, LedgerAutomation}

// Limits of a ledger change.
const (
	MaxReasonLen         = 500
	MaxIdempotencyKeyLen = 200
)

// LedgerEntry is one change of a user's counter.
type LedgerEntry struct {
	ID      int64  `json:"id"`
	UserID  int64  `json:"-"` // the store's id of the user
	Counter string `json:"counter"`
	Amount  int64  `json:"amount"`
	// Balance is the counter's balance after this change.
	Balance        int64     `json:"balance"`
	Reason         string    `json:"reason"`
	Source         string    `json:"source"`
	ActorID        int64     `json:"-"`
	Actor          string    `json:"actor"`
	IdempotencyKey string    `json:"idempotency_key,omitempty"`
	At             time.Time `json:"at"`
}

// PointsChange asks to add Amount (negative: remove) to a user's Counter
// ("" is points) for Reason. A change with an IdempotencyKey is applied
// once per user and key: a retry returns the first change.
type PointsChange struct {
	Counter        string
	Amount         int64
	Reason         string
	Source         string
	IdempotencyKey string
}

// Normalize trims the text members and defaults the counter to points.
func (c *PointsChange) Normalize() {
	c.Counter = strings.TrimSpace(c.Counter)
	if c.Counter == "" {
		c.Counter = PointsCounter
	}
	c.Reason = strings.TrimSpace(c.Reason)
	c.IdempotencyKey = strings.TrimSpace(c.IdempotencyKey)
}

// Validate checks c's members, naming each bad one (EINVALID).
func (c PointsChange) Validate() error {
	fe := FieldErrors{}
	switch {
	case c.Amount == 0:
		fe.Add("amount", "must not be zero")
	case c.Amount > MaxCount || c.Amount < -MaxCount:
		fe.Add("amount", "is too large")
	}
	switch {
	case c.Reason == "":
		fe.Add("reason", "is required")
	case len([]rune(c.Reason)) > MaxReasonLen:
		fe.Add("reason", "is longer than 500 characters")
	}
	if len(c.IdempotencyKey) > MaxIdempotencyKeyLen {
		fe.Add("idempotency_key", "is longer than 200 characters")
	}
	known := false
	for _, s := range LedgerSources {
		known = known || s == c.Source
	}
	if !known {
		fe.Add("source", "must be one of staff, api, import, automation")
	}
	return fe.Err()
}

// counterKey is the form of a counter's key: what a filter and a JSON key
// can name.
var counterKey = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

// Validate checks a new counter (EINVALID naming the member).
func (c *Counter) Validate() error {
	c.Key, c.Label = strings.TrimSpace(c.Key), strings.TrimSpace(c.Label)
	fe := FieldErrors{}
	if !counterKey.MatchString(c.Key) {
		fe.Add("key", "must be 1 to 40 lower-case letters, digits or _, starting with a letter")
	}
	switch {
	case c.Label == "":
		fe.Add("label", "is required")
	case len([]rune(c.Label)) > MaxNameLen:
		fe.Add("label", "is longer than 100 characters")
	}
	return fe.Err()
}

// Balance is a user's balance of one counter.
type Balance struct {
	Counter Counter `json:"counter"`
	Balance int64   `json:"balance"`
}

// LedgerService keeps counters and their ledgers. Users are named by public
// id (ENOTFOUND when there is none).
type LedgerService interface {
	// ChangePoints applies c to the user's counter: one ledger entry and
	// the new balance, in one transaction, audited as "user.points".
	// Concurrent changes never lose one another. It returns the entry and
	// whether it is an earlier change returned for a retried key.
	// EINVALID: a bad member; a balance going below zero when the counter
	// does not allow it (field "amount"); an unknown counter. ECONFLICT: a
	// key used before for a different change.
	ChangePoints(ctx context.Context, userID string, c PointsChange) (*LedgerEntry, bool, error)
	// FindLedger returns a user's entries newest first, of one counter
	// ("" all), with an id below before (0: from the newest), at most limit.
	FindLedger(ctx context.Context, userID, counter string, before int64, limit int) ([]*LedgerEntry, error)
	// Balances returns a user's balance of every counter, points first.
	Balances(ctx context.Context, userID string) ([]Balance, error)
	// Counters lists the counters, points first.
	Counters(ctx context.Context) ([]Counter, error)
	// CreateCounter defines a counter (audited). ECONFLICT: the key is
	// taken (by a counter or a field).
	CreateCounter(ctx context.Context, c *Counter) error
}
