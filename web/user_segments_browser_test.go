package web_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"roster"
	"roster/sqldb"
	"roster/sqldb/sqldbtest"
)

// TestUserSegmentsBrowser walks the profile's segment toggle in Chromium:
// Bob, not French, is added to the French segment by its toggle, is then
// found by segment:#ID in the table (the segment's link on the profile),
// and is removed again by the same toggle.
func TestUserSegmentsBrowser(t *testing.T) {
	db := sqldbtest.MustOpenDB(t, sqldb.SQLite)
	ts := mustOpenServer(t, db)
	ts.createUser(t, `{"email":"ann@example.com","first_name":"Ann","country":"FR"}`)
	bob := ts.createUser(t, `{"email":"bob@example.com","first_name":"Bob","country":"US"}`)
	french := decode[segmentBody](t, ts.call(t, roster.RoleAdmin, "POST", "/api/v1/segments", `{"name":"French","q":"country:FR"}`, 201))

	tab := chromiumTab(t)
	navigate(t, tab, ts.URL, "/signin")
	run(t, tab, "sign in", chromedp.SendKeys(chromedp.ID("email"), "manager@staff.example.com"),
		chromedp.SendKeys(chromedp.ID("password"), staffPassword+"\n"))
	waitFor(t, tab, "signed in", `location.pathname === "/"`)

	row := fmt.Sprintf(`document.querySelector("#segment-%d")`, french.ID)
	toggle := row + `.querySelector('button[role="switch"]')`
	state := func(checked string) string {
		return fmt.Sprintf(`document.readyState !== "loading" && location.pathname === "/users/%s" && !!%s && %s.getAttribute("aria-checked") === %q`, bob, row, toggle, checked)
	}
	table := func(want bool) {
		t.Helper()
		mouseTo(t, tab, row+`.querySelector("a")`, true)
		waitFor(t, tab, "the table filtered by the segment", `document.readyState !== "loading" && location.pathname === "/users" && !!document.querySelector("#match-count")`)
		if q := eval[string](t, tab, `new URLSearchParams(location.search).get("q")`); q != fmt.Sprintf("segment:#%d", french.ID) {
			t.Fatalf("the segment's link filters by %q", q)
		}
		body := eval[string](t, tab, `document.querySelector("table").innerText`)
		count := eval[string](t, tab, `document.querySelector("#match-count").textContent`)
		if got := containsAll(body, "ann@example.com", "bob@example.com"); got != want || count != map[bool]string{true: "2", false: "1"}[want] {
			t.Fatalf("segment:#%d shows %s users, Bob in it %v, want %v:\n%s", french.ID, count, got, want, body)
		}
	}

	navigate(t, tab, ts.URL, "/users/"+bob)
	waitFor(t, tab, "Bob not in French", state("false"))
	snap(t, tab, "profile-segments-off")
	mouseTo(t, tab, toggle, true)
	waitFor(t, tab, "Bob added to French", state("true"))
	if by := eval[string](t, tab, row+`.innerText`); !containsAll(by, "added by hand") {
		t.Errorf("the segment row says %q", by)
	}
	snap(t, tab, "profile-segments-on")
	table(true)

	navigate(t, tab, ts.URL, "/users/"+bob)
	waitFor(t, tab, "Bob in French", state("true"))
	mouseTo(t, tab, toggle, true)
	waitFor(t, tab, "Bob removed from French", state("false"))
	table(false)
}

// containsAll reports whether s holds every one of subs.
func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
