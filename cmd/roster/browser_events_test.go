package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// timelineSteps: events sent through the API show on the user's timeline
// at once (well within a second), grouped in a session under today's
// heading, and "Last access" in the profile header opens the timeline.
func timelineSteps(t *testing.T, b *browser, base, token string) {
	ctx := b.step(t, b.tab)
	c := &http.Client{Timeout: 10 * time.Second}
	code, created := apiCall(t, c, http.MethodPost, base+"/api/v1/users", token, `{"email":"timeline.browser@example.com","first_name":"Tim"}`)
	if code != http.StatusCreated {
		t.Fatalf("create user: %d %v", code, created)
	}
	id := created["id"].(string)
	openOK(t, ctx, base+"/users/"+id)
	if got := text(t, ctx, "#last-access"); got != "never" {
		t.Errorf("before any event: Last access says %q, want never", got)
	}

	now := time.Now().UTC()
	var evs []string
	for i, page := range []string{"Home", "Shop", "Cart"} {
		evs = append(evs, fmt.Sprintf(`{"user":{"id":%q},"type":"page_view","time":%q,"id":"bt-%d","properties":{"path":"/%s","title":%q,"feature":"shop"}}`,
			id, now.Add(time.Duration(i-3)*time.Minute).Format(time.RFC3339Nano), i, strings.ToLower(page), page))
	}
	evs = append(evs, fmt.Sprintf(`{"user":{"id":%q},"type":"interaction","time":%q,"id":"bt-i","properties":{"kind":"comment"}}`, id, now.Add(-30*time.Second).Format(time.RFC3339Nano)))
	sent := time.Now()
	code, res := apiCall(t, c, http.MethodPost, base+"/api/v1/events", token, `{"events":[`+strings.Join(evs, ",")+`]}`)
	if code != http.StatusOK || res["accepted"] != float64(4) {
		t.Fatalf("events: %d %v", code, res)
	}

	// Last access opens the timeline, which already shows the events.
	openOK(t, ctx, base+"/users/"+id)
	if status := clickAndLoad(t, ctx, "Last access", chromedp.ID("last-access")); status != http.StatusOK {
		t.Fatalf("Last access: status %d", status)
	}
	if u := here(t, ctx); u.Path != "/users/"+id+"/activity" {
		t.Errorf("Last access led to %s, want the Activity tab", u)
	}
	tl := text(t, ctx, "ol.timeline")
	if took := time.Since(sent); took > time.Second {
		t.Errorf("the timeline showed the events %s after they were sent, want within a second", took)
	}
	for _, want := range []string{"Session: 3 events over 2 minutes", "Pages: Home, Shop, Cart", "Features: shop", "Interaction: comment", "user.create"} {
		if !strings.Contains(tl, want) {
			t.Errorf("the timeline lacks %q:\n%s", want, tl)
		}
	}
	// Grouped by day: today's heading comes first (the staff zone is UTC
	// here, the account's default).
	if got, want := text(t, ctx, "ol.timeline li.timeline-day h3"), now.Format("Monday 2 January 2006"); got != want {
		t.Errorf("first day heading %q, want %q", got, want)
	}
	// Filtered to sessions, only the session is left.
	if status := clickAndLoad(t, ctx, "the Session filter", byText("a", "Session")); status != http.StatusOK {
		t.Fatalf("Session filter: status %d", status)
	}
	if tl := text(t, ctx, "ol.timeline"); !strings.Contains(tl, "Session: 3 events") || strings.Contains(tl, "Interaction") || strings.Contains(tl, "user.create") {
		t.Errorf("filtered to sessions:\n%s", tl)
	}
	b.shot(t, ctx, "timeline")
}
