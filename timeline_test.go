package roster

import (
	"fmt"
	"testing"
	"time"
)

func TestEventActivities_Sessions(t *testing.T) {
	set := DefaultEventSettings()
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	ev := func(typ string, d time.Duration, key string) Event {
		return Event{Type: typ, At: t0.Add(d), Key: key}
	}
	// Newest first. A gap of exactly 30 minutes keeps a session (v5, v4);
	// 31 minutes starts a new one (v3). An interaction inside a session
	// stays an item of its own.
	events := []Event{
		ev("visit", 100*time.Minute, "v5"),
		ev("visit", 70*time.Minute, "v4"),
		ev("interaction", 65*time.Minute, "i1"),
		ev("page_view", 39*time.Minute, "v3"),
		ev("visit", 0, "v1"),
	}
	items, open := EventActivities(events, set)
	var got string
	for _, a := range items {
		got += fmt.Sprintf("%s:%s ", a.Kind, a.Cursor)
	}
	if got != "visit:e:v5 event:e:i1 visit:e:v3 visit:e:v1 " {
		t.Errorf("items: %s", got)
	}
	if !open.Equal(t0) {
		t.Errorf("open session at %v", open)
	}
	if items[0].Title != "Session: 2 events over 30 minutes" {
		t.Errorf("title %q", items[0].Title)
	}
	// The oldest session may go on in older events even after an
	// interaction; without visits nothing is open.
	if _, open := EventActivities(events[:3], set); !open.Equal(t0.Add(100 * time.Minute)) {
		t.Errorf("open %v, want the session of v5", open)
	}
	if _, open := EventActivities(events[2:3], set); !open.IsZero() {
		t.Errorf("open %v without visits", open)
	}
	// A run longer than MaxSessionEvents is cut.
	var long []Event
	for i := 0; i < MaxSessionEvents+1; i++ {
		long = append(long, ev("visit", -time.Duration(i)*time.Second, fmt.Sprint(i)))
	}
	if items, _ := EventActivities(long, set); len(items) != 2 {
		t.Errorf("%d items for a run of %d", len(items), len(long))
	}
}
