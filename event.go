package roster

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Events are what users do in the operator's app, sent through the events
// API in batches: a visit, a page view, an interaction, a sign-in, an error
// or a type of the operator's own. They are stored append-only; the user's
// last visit, last interaction and first seen follow from them in the same
// transaction as their insert.

// Built-in event types.
const (
	EventVisit       = "visit"
	EventPageView    = "page_view"   // properties: path, title, feature
	EventInteraction = "interaction" // properties: kind (post, comment, like, ...)
	EventSignIn      = "sign_in"
	EventError       = "error" // properties: message, code, app_version
)

// BuiltinEventTypes lists the built-in event types.
func BuiltinEventTypes() []string {
	return []string{EventVisit, EventPageView, EventInteraction, EventSignIn, EventError}
}

// Limits of the events API.
const (
	// MaxEventBatch is how many events one request may carry.
	MaxEventBatch = 1000
	// MaxEventProps is the largest properties object, in bytes of JSON.
	MaxEventProps = 8 << 10
	// MaxEventFuture is how far ahead of now an event's time may be.
	MaxEventFuture = 7 * 24 * time.Hour
	// MaxEventKey is the longest idempotency id and type name.
	MaxEventKey = 200
)

// EventUser names the user an event is about: by public id, client id or
// email (the first one given is used).
type EventUser struct {
	ID       string `json:"id,omitempty"`
	ClientID string `json:"client_id,omitempty"`
	Email    string `json:"email,omitempty"`
}

// Event is one thing a user did.
type Event struct {
	// UserID is the user's internal id, once the store has resolved User.
	UserID int64     `json:"-"`
	User   EventUser `json:"user"`
	Type   string    `json:"type"`
	At     time.Time `json:"time"`
	// Key is the idempotency id: a second event of the same user with the
	// same key is a retry and is not stored again.
	Key   string          `json:"id"`
	Props json.RawMessage `json:"properties,omitempty"`
}

// Prop returns the string property name of e, or "".
func (e *Event) Prop(name string) string {
	if len(e.Props) == 0 {
		return ""
	}
	var m map[string]any
	if json.Unmarshal(e.Props, &m) != nil {
		return ""
	}
	switch v := m[name].(type) {
	case string:
		return v
	case float64:
		return fmt.Sprint(v)
	}
	return ""
}

// EventSettings say which event types count as what, which types are
// accepted and how long events are kept.
type EventSettings struct {
	// VisitTypes are the types whose events set a user's last visit and
	// count as visits.
	VisitTypes []string `json:"visit_types"`
	// InteractionTypes are the types whose events set a user's last
	// interaction and count as interactions.
	InteractionTypes []string `json:"interaction_types"`
	// Restrict, when true, refuses events of a type that is neither
	// built in nor listed in CustomTypes.
	Restrict    bool     `json:"restrict_types"`
	CustomTypes []string `json:"custom_types"`
	// RetentionMonths is how many months events are kept.
	RetentionMonths int `json:"retention_months"`
}

// DefaultEventSettings are the settings before the operator changes them.
func DefaultEventSettings() EventSettings {
	return EventSettings{
		VisitTypes:       []string{EventVisit, EventPageView, EventSignIn},
		InteractionTypes: []string{EventInteraction},
		RetentionMonths:  13,
	}
}

// IsVisit reports whether events of type t count as visits.
func (s EventSettings) IsVisit(t string) bool { return slices.Contains(s.VisitTypes, t) }

// IsInteraction reports whether events of type t count as interactions.
func (s EventSettings) IsInteraction(t string) bool { return slices.Contains(s.InteractionTypes, t) }

// Validate checks the settings, naming the field at fault.
func (s EventSettings) Validate() error {
	fe := FieldErrors{}
	for key, list := range map[string][]string{"visit_types": s.VisitTypes, "interaction_types": s.InteractionTypes, "custom_types": s.CustomTypes} {
		for _, t := range list {
			if msg := checkEventType(t); msg != "" {
				fe.Add(key, msg)
			}
		}
	}
	if s.RetentionMonths < 1 || s.RetentionMonths > 120 {
		fe.Add("retention_months", "must be between 1 and 120")
	}
	return fe.Err()
}

// checkEventType returns what is wrong with a type name, or "".
func checkEventType(t string) string {
	switch {
	case t == "":
		return "a type is required"
	case len(t) > MaxEventKey:
		return fmt.Sprintf("a type is at most %d characters", MaxEventKey)
	}
	for _, r := range t {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '_' && r != '.' && r != '-' {
			return fmt.Sprintf("%q is not a type name (lower-case letters, digits, _ . -)", t)
		}
	}
	return ""
}

// Check validates e against the settings at now and fills the defaults
// (the time). It returns an EINVALID error naming the field at fault.
func (s EventSettings) Check(e *Event, now time.Time) error {
	fe := FieldErrors{}
	if e.User.ID == "" && e.User.ClientID == "" && e.User.Email == "" {
		fe.Add("user", "a user is required: id, client_id or email")
	}
	if msg := checkEventType(e.Type); msg != "" {
		fe.Add("type", msg)
	} else if s.Restrict && !slices.Contains(BuiltinEventTypes(), e.Type) && !slices.Contains(s.CustomTypes, e.Type) {
		fe.Add("type", fmt.Sprintf("%q is not an accepted event type", e.Type))
	}
	switch {
	case e.At.IsZero():
		e.At = now
	case e.At.After(now.Add(MaxEventFuture)):
		fe.Add("time", "is more than 7 days in the future")
	case e.At.Year() < 1970:
		fe.Add("time", "is before 1970")
	}
	e.At = e.At.UTC().Truncate(time.Millisecond)
	if len(e.Key) > MaxEventKey {
		fe.Add("id", fmt.Sprintf("is at most %d characters", MaxEventKey))
	}
	if len(e.Props) > 0 {
		p := strings.TrimSpace(string(e.Props))
		switch {
		case len(p) > MaxEventProps:
			fe.Add("properties", fmt.Sprintf("are %d bytes; at most %d are accepted", len(p), MaxEventProps))
		case p == "null":
			e.Props = nil
		case !strings.HasPrefix(p, "{") || !json.Valid([]byte(p)):
			fe.Add("properties", "must be a JSON object")
		}
	}
	return fe.Err()
}

// EventResult is the outcome of one event of a batch that was refused.
type EventResult struct {
	Index int   `json:"index"`
	Err   error `json:"-"`
}

// EventBatchResult is what a batch came to: how many events were accepted
// (new ones and retries of stored ones) and, by index, why the others were
// refused.
type EventBatchResult struct {
	Accepted int
	// Stored counts the accepted events that were new.
	Stored  int
	Refused []EventResult
}

// EventService stores events.
type EventService interface {
	// RecordEvents validates and stores a batch. Each event is accepted or
	// refused on its own; an error is returned only when the batch as a
	// whole failed (nothing of it is stored then).
	RecordEvents(ctx context.Context, events []Event) (EventBatchResult, error)
	// UserEvents returns a user's events before a time (zero: any), newest
	// first, at most limit, of the given types (none: all).
	UserEvents(ctx context.Context, userID int64, before time.Time, types []string, limit int) ([]Event, error)
	// EventSettings returns the settings in force.
	EventSettings(ctx context.Context) (EventSettings, error)
	// SetEventSettings validates and saves the settings.
	SetEventSettings(ctx context.Context, s EventSettings) error
	// PruneEvents deletes the events older than the retention period,
	// returning how many went.
	PruneEvents(ctx context.Context) (int64, error)
}

// JobPruneEvents is the job kind that applies the events' retention.
const JobPruneEvents JobKind = "prune_events"
