package roster

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// A user's timeline merges what every ActivitySource gives. Events become
// items here: visits (the types the settings count as visits) collapse
// into sessions, a gap of SessionGap starting a new one; every other event
// is an item of its own.

// Activity kinds of the events and audit sources.
const (
	KindVisit = "visit" // a session of visits and page views
	KindEvent = "event" // any other event: an interaction, an error, ...
	KindStaff = "staff" // a staff action on the user (the audit log)
)

// ActivityKinds is an optional interface of an ActivitySource: the kinds
// of the items it gives, so that a timeline filtered by kind asks only the
// sources that can match.
type ActivityKinds interface {
	ActivityKinds() []string
}

// SessionGap is the pause between two visits that starts a new session.
const SessionGap = 30 * time.Minute

// MaxSessionEvents bounds the events one session item gathers; a longer
// run of visits becomes several items.
const MaxSessionEvents = 1000

// EventActivities turns events (newest first) into timeline items, newest
// first. The oldest session may go on in older events than these: open is
// its time (its newest event's); zero when there is no session.
func EventActivities(events []Event, set EventSettings) (items []Activity, open time.Time) {
	var run []Event // the session being gathered, newest first
	flush := func() {
		if len(run) > 0 {
			items = append(items, sessionActivity(run))
			run = nil
		}
	}
	for _, e := range events {
		if !set.IsVisit(e.Type) {
			items = append(items, eventActivity(e))
			continue
		}
		if len(run) > 0 && (run[len(run)-1].At.Sub(e.At) > SessionGap || len(run) >= MaxSessionEvents) {
			flush()
		}
		run = append(run, e)
	}
	if len(run) > 0 {
		open = run[0].At
	}
	flush()
	// A session's time is its newest event, which may be newer than the
	// events between its own: keep the items newest first.
	sort.SliceStable(items, func(i, j int) bool { return items[i].At.After(items[j].At) })
	return items, open
}

// sessionActivity is the item of one session: run, newest first.
func sessionActivity(run []Event) Activity {
	newest, oldest := run[0], run[len(run)-1]
	var pages, features []string
	seen := map[string]bool{}
	for i := len(run) - 1; i >= 0; i-- {
		e := &run[i]
		if p := firstNonEmpty(e.Prop("title"), e.Prop("path")); p != "" && !seen["p"+p] {
			seen["p"+p] = true
			pages = append(pages, p)
		}
		if f := e.Prop("feature"); f != "" && !seen["f"+f] {
			seen["f"+f] = true
			features = append(features, f)
		}
	}
	title := "Visit"
	if n := len(run); n > 1 {
		title = fmt.Sprintf("Session: %d events over %s", n, DurationWords(newest.At.Sub(oldest.At).Round(time.Minute)))
		if newest.At.Sub(oldest.At) < time.Minute {
			title = fmt.Sprintf("Session: %d events", n)
		}
	}
	var detail []string
	if len(pages) > 0 {
		detail = append(detail, "Pages: "+strings.Join(limitList(pages, 12), ", "))
	}
	if len(features) > 0 {
		detail = append(detail, "Features: "+strings.Join(limitList(features, 12), ", "))
	}
	return Activity{At: newest.At, Kind: KindVisit, Title: title, Detail: strings.Join(detail, ". "),
		Actor: "user", Cursor: "e:" + newest.Key}
}

// eventActivity is the item of an event that is not a visit.
func eventActivity(e Event) Activity {
	a := Activity{At: e.At, Kind: KindEvent, Actor: "user", Cursor: "e:" + e.Key}
	switch e.Type {
	case EventInteraction:
		a.Title = "Interaction"
		if k := e.Prop("kind"); k != "" {
			a.Title += ": " + k
		}
	case EventError:
		a.Title = "Error"
		var d []string
		for _, k := range []string{"message", "code", "app_version"} {
			if v := e.Prop(k); v != "" {
				d = append(d, k+": "+v)
			}
		}
		a.Detail = strings.Join(d, ", ")
	case EventSignIn:
		a.Title = "Signed in"
	default:
		a.Title = "Event: " + e.Type
	}
	if a.Detail == "" && len(e.Props) > 0 && e.Type != EventInteraction {
		a.Detail = string(e.Props)
		if len(a.Detail) > 300 {
			a.Detail = a.Detail[:300] + "…"
		}
	}
	return a
}

// AuditActivity is the timeline item of a staff action on a user.
func AuditActivity(e *AuditEntry) Activity {
	a := Activity{At: e.At, Kind: KindStaff, Title: e.Action, Actor: e.Actor, Cursor: fmt.Sprintf("a:%d", e.ID)}
	keys := make([]string, 0, len(e.Changes))
	for k := range e.Changes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var d []string
	if e.Note != "" {
		d = append(d, e.Note)
	}
	for _, k := range keys {
		c := e.Changes[k]
		d = append(d, fmt.Sprintf("%s: %s → %s", k, changeWords(c.Before), changeWords(c.After)))
	}
	a.Detail = strings.Join(d, "; ")
	return a
}

// changeWords shows a value of a change in words: "—" for none.
func changeWords(v any) string {
	if v == nil || v == "" {
		return "—"
	}
	return fmt.Sprint(v)
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

// limitList keeps the first n of s and says how many more there were.
func limitList(s []string, n int) []string {
	if len(s) <= n {
		return s
	}
	return append(s[:n:n], fmt.Sprintf("%d more", len(s)-n))
}
