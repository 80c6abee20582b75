package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"

	"roster"
	"roster/sqldb"
	"roster/sqldb/sqldbtest"
	"roster/web/browsertest"
)

// The tags of the user table and the bulk actions in a real headless
// Chromium: tags.js is most of what is tested here. Like the browser test
// of cmd/roster it runs on SQLite only, skips without Chromium (fails in
// CI), and leaves screenshots in artifacts/screenshots/.

// chromiumTab starts a headless Chromium and returns a tab whose context
// ends with the test, and saves a screenshot if the test fails.
func chromiumTab(t *testing.T) context.Context {
	t.Helper()
	tab := browsertest.Tab(t, 1400, 900)
	ctx, cancel := context.WithTimeout(tab, 90*time.Second)
	t.Cleanup(cancel)
	browsertest.OnFailure(t, tab)
	return ctx
}

func snap(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	browsertest.Snap(t, ctx, name)
}

func run(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func eval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// waitFor polls expr until it is true, for up to 30 seconds (a loaded
// machine under the race detector is slow).
func waitFor(t *testing.T, ctx context.Context, what, expr string) {
	t.Helper()
	poll(t, ctx, what, expr, 30*time.Second)
}

// poll evaluates expr every 50 ms until it is true, for up to limit. A
// page that navigates (a form sent, a page reloading itself) destroys the
// context an evaluation runs in: that evaluation is tried again, as the
// condition may be about the page that comes next.
func poll(t *testing.T, ctx context.Context, what, expr string, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	var last error
	for {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr))
		if err == nil && ok {
			return
		}
		if err != nil {
			if ctx.Err() != nil {
				t.Fatalf("%s: %v", what, err)
			}
			last = err
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still not true after %s: %s (last error: %v)", what, limit, expr, last)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// navigate loads path and waits for the document.
func navigate(t *testing.T, ctx context.Context, base, path string) {
	t.Helper()
	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(base+path))
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	if resp.Status != 200 {
		t.Fatalf("open %s: status %d", path, resp.Status)
	}
}

// mouseTo moves the mouse over the centre of the element expr names, as a
// person would, and clicks when click is true.
func mouseTo(t *testing.T, ctx context.Context, expr string, click bool) {
	t.Helper()
	run(t, ctx, "scroll to "+expr, chromedp.Evaluate[chromedp.Void](`(`+expr+`).scrollIntoView({block: "nearest"})`))
	time.Sleep(100 * time.Millisecond) // the fixed tag panel follows scrolls on the next frame
	xy := eval[[]float64](t, ctx, `(() => { const r = (`+expr+`).getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2]; })()`)
	if click {
		run(t, ctx, "click "+expr, chromedp.MouseClickXY(xy[0], xy[1]))
	} else {
		run(t, ctx, "hover "+expr, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, xy[0], xy[1]))
	}
}

func TestTagBrowser(t *testing.T) {
	db := sqldbtest.MustOpenDB(t, sqldb.SQLite)
	ts := mustOpenServer(t, db)
	target := ts.createUser(t, `{"email":"target@example.com","country":"FR"}`)
	for i := range 3 {
		ts.createUser(t, fmt.Sprintf(`{"email":"other%d@example.com","country":"FR"}`, i))
	}
	ts.createUser(t, `{"email":"belgian@example.com","country":"BE"}`)
	ctx := roster.NewContextWithActor(context.Background(), roster.Actor{Label: "test"})
	tags := sqldb.NewTagService(db)
	old := &roster.Tag{Name: "Old"}
	alpha := &roster.Tag{Name: "Alpha", Color: "#c11574"}
	for _, tag := range []*roster.Tag{old, alpha} {
		if err := tags.CreateTag(ctx, tag); err != nil {
			t.Fatal(err)
		}
	}
	if err := tags.TagUser(ctx, target, old.ID); err != nil {
		t.Fatal(err)
	}

	tab := chromiumTab(t)
	navigate(t, tab, ts.URL, "/signin")
	run(t, tab, "sign in", chromedp.SendKeys(chromedp.ID("email"), "manager@staff.example.com"),
		chromedp.SendKeys(chromedp.ID("password"), staffPassword+"\n"))
	waitFor(t, tab, "signed in", `location.pathname === "/"`)

	const name = "Early bird 🚀"
	row := fmt.Sprintf(`document.querySelector('a[href="/users/%s"]').closest("tr")`, target)
	cell := row + `.querySelector("td.tags")`
	chipNames := func() []string {
		return eval[[]string](t, tab, `[...`+cell+`.querySelectorAll(".tag-list .tag .tag-name")].map(b => b.textContent)`)
	}
	wantChips := func(what string, want ...string) {
		t.Helper()
		if got := chipNames(); strings.Join(got, "|") != strings.Join(want, "|") {
			t.Fatalf("%s: chips %q, want %q", what, got, want)
		}
	}

	navigate(t, tab, ts.URL, "/users?q=country:FR")
	wantChips("at first", "Old")
	// "+ Add a tag" shows only when the cell is hovered.
	addLink := cell + `.querySelector("a.tag-add")`
	if v := eval[string](t, tab, `getComputedStyle(`+addLink+`).visibility`); v != "hidden" {
		t.Fatalf(`"+ Add a tag" before hovering: visibility %q, want hidden`, v)
	}
	mouseTo(t, tab, cell, false)
	waitFor(t, tab, `"+ Add a tag" on hover`, `getComputedStyle(`+addLink+`).visibility === "visible"`)
	run(t, tab, "mark the page", chromedp.Evaluate[chromedp.Void](`window.notReloaded = true`))
	mouseTo(t, tab, addLink, true)
	waitFor(t, tab, "panel in the cell", cell+`.querySelector("#tag-panel") !== null && `+cell+`.querySelector("#tag-panel").checkVisibility()`)
	snap(t, tab, "tags-panel")

	// + Create new tag, then Cancel returns to the list, then create for real.
	mouseTo(t, tab, cell+`.querySelector(".tag-create > summary")`, true)
	waitFor(t, tab, "name input", `document.activeElement && document.activeElement.id === "tag-new-name"`)
	if eval[bool](t, tab, cell+`.querySelector(".tag-pick").checkVisibility()`) {
		t.Fatal("the tag list still shows while creating a tag")
	}
	mouseTo(t, tab, cell+`.querySelector(".tag-cancel")`, true)
	waitFor(t, tab, "back to the list", cell+`.querySelector(".tag-pick").checkVisibility()`)
	mouseTo(t, tab, cell+`.querySelector(".tag-create > summary")`, true)
	waitFor(t, tab, "name input again", `document.activeElement && document.activeElement.id === "tag-new-name"`)
	run(t, tab, "type the name", chromedp.SendKeys(chromedp.ID("tag-new-name"), name))
	if got := eval[string](t, tab, `document.getElementById("tag-new-name").value`); got != name {
		t.Fatalf("typed %q, input holds %q", name, got)
	}
	mouseTo(t, tab, cell+`.querySelector(".tag-new button.primary")`, true)
	waitFor(t, tab, "new tag first", cell+`.querySelector(".tag-list .tag-name")?.textContent === `+jsString(name))
	wantChips("after creating", name, "Old")
	if !eval[bool](t, tab, `window.notReloaded === true`) {
		t.Fatal("the page reloaded")
	}

	// Assign a second tag from the list, found with the filter.
	mouseTo(t, tab, cell, false)
	mouseTo(t, tab, addLink, true)
	waitFor(t, tab, "panel again", cell+`.querySelector("#tag-panel") !== null`)
	if !eval[bool](t, tab, `[...document.querySelectorAll(".tag-options button")].some(b => b.dataset.name === `+jsString(name)+`)`) {
		t.Fatal("the new tag is not in the panel's list")
	}
	run(t, tab, "filter tags", chromedp.SendKeys(chromedp.ID("tag-filter"), "alp"))
	waitFor(t, tab, "filtered list", `[...document.querySelectorAll(".tag-options li")].filter(li => !li.hidden).length === 1`)
	mouseTo(t, tab, `document.querySelector('.tag-options button[data-name="Alpha"]')`, true)
	waitFor(t, tab, "Alpha first", cell+`.querySelector(".tag-list .tag-name")?.textContent === "Alpha"`)
	wantChips("after assigning Alpha", "Alpha", name, "Old")
	if !eval[bool](t, tab, `window.notReloaded === true`) {
		t.Fatal("the page reloaded")
	}
	snap(t, tab, "tags-table")

	// It persisted, in that order, and the filter finds the user by it.
	navigate(t, tab, ts.URL, "/users?q=country:FR")
	wantChips("after a reload", "Alpha", name, "Old")
	navigate(t, tab, ts.URL, "/users?q="+url.QueryEscape(`tags:"`+name+`"`))
	if got := eval[string](t, tab, `document.getElementById("match-count").textContent`); got != "1" {
		t.Fatalf("tags:%q matches %s users, want 1", name, got)
	}
	if !eval[bool](t, tab, fmt.Sprintf(`document.querySelector('a[href="/users/%s"]') !== null`, target)) {
		t.Fatalf("tags:%q does not show the user", name)
	}

	// Remove: the chip shows its × when clicked.
	chip := cell + `.querySelector(".tag-list .tag:nth-child(2)")`
	cross := chip + `.querySelector(".tag-remove button")`
	if eval[bool](t, tab, cross+`.checkVisibility()`) {
		t.Fatal("× shows before the chip is clicked")
	}
	mouseTo(t, tab, chip+`.querySelector(".tag-name")`, true)
	waitFor(t, tab, "× shown", cross+`.checkVisibility()`)
	mouseTo(t, tab, cross, true)
	waitFor(t, tab, "chip removed", cell+`.querySelectorAll(".tag-list .tag").length === 2`)
	wantChips("after removing", "Alpha", "Old")
	navigate(t, tab, ts.URL, "/users/"+target)
	if got := eval[[]string](t, tab, `[...document.querySelectorAll("#tags .tag-name")].map(b => b.textContent)`); strings.Join(got, "|") != "Alpha|Old" {
		t.Fatalf("profile after removal: %q, want [Alpha Old]", got)
	}

	// Bulk: add Alpha to every FR user, with a confirmation stating the count.
	navigate(t, tab, ts.URL, "/users?q=country:FR")
	if got := eval[string](t, tab, `document.getElementById("match-count").textContent`); got != "4" {
		t.Fatalf("country:FR matches %s, want 4", got)
	}
	mouseTo(t, tab, `document.querySelector(".bulk-panel > summary")`, true)
	run(t, tab, "choose Alpha", chromedp.SetValue(chromedp.ID("bulk-tag"), fmt.Sprint(alpha.ID)))
	mouseTo(t, tab, `document.querySelector('.bulk-forms button[value="tag-add"]')`, true)
	waitFor(t, tab, "confirmation page", `location.pathname === "/users/bulk" && document.readyState !== "loading"`)
	if got := eval[string](t, tab, `document.querySelector(".bulk-question").textContent.trim()`); got != "Add the tag Alpha to 4 users?" {
		t.Fatalf("confirmation: %q", got)
	}
	snap(t, tab, "tags-bulk-confirm")
	mouseTo(t, tab, `document.querySelector(".bulk-confirm button.primary")`, true)
	waitFor(t, tab, "back on the table", `location.pathname === "/users" && document.readyState !== "loading"`)
	if got := eval[string](t, tab, `document.querySelector(".flash")?.textContent ?? ""`); !strings.HasPrefix(got, "Tagged 3 users with Alpha.") {
		t.Fatalf("flash %q, want Tagged 3 users with Alpha. (the fourth had it)", got)
	}
	navigate(t, tab, ts.URL, "/users?q="+url.QueryEscape("tags:Alpha"))
	if got := eval[string](t, tab, `document.getElementById("match-count").textContent`); got != "4" {
		t.Fatalf("tags:Alpha matches %s users after the bulk action, want 4", got)
	}

	navigate(t, tab, ts.URL, "/tags")
	snap(t, tab, "tags-page")
}

// jsString is s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
