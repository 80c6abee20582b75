package web_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"roster"
	"roster/sqldb"
	"roster/sqldb/sqldbtest"
)

// startChromium starts a headless Chromium with a fresh profile and
// returns its tab; it skips the test when there is no Chromium (CI=true
// makes that a failure, as in cmd/roster's browser tests).
func startChromium(t *testing.T) context.Context {
	t.Helper()
	path := os.Getenv("ROSTER_TEST_CHROMIUM")
	if path == "" {
		path = "/usr/bin/chromium"
	}
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("no Chromium at %s", path)
		}
		t.Skipf("no Chromium at %s: set ROSTER_TEST_CHROMIUM", path)
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.Flag("no-first-run", true),
		chromedp.WindowSize(1280, 900), chromedp.UserDataDir(t.TempDir()))
	tab, cancelTab := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancelTab(); cancelAlloc() })
	ctx, cancel := context.WithTimeout(tab, 90*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// TestGroupBrowser drives the groups and segments pages in Chromium: a
// private group and its codes, a join with one of them, the members view
// and the profile; then "Save as segment" from a filtered table.
func TestGroupBrowser(t *testing.T) {
	db := sqldbtest.MustOpenDB(t, sqldb.SQLite)
	ts := mustOpenServer(t, db)
	uid := ts.createUser(t, `{"email":"joiner@example.com","first_name":"Jo","country":"FR"}`)
	for i, c := range []string{"FR", "FR", "GB"} {
		ts.createUser(t, fmt.Sprintf(`{"email":"u%d@example.com","country":%q}`, i, c))
	}
	ctx := startChromium(t)
	run := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	text := func(css string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf("document.querySelector(%q).innerText.trim()", css)))
		if err != nil {
			t.Fatalf("text of %s: %v", css, err)
		}
		return v
	}
	location := func() string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Location())
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	run("sign in",
		chromedp.Navigate(ts.URL+"/signin"),
		chromedp.SendKeys(chromedp.CSS("#email"), string(roster.RoleManager)+"@staff.example.com"),
		chromedp.SendKeys(chromedp.CSS("#password"), staffPassword),
		chromedp.Submit(chromedp.CSS("#password")),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/groups"]`)))

	// (a) A private group, three single-use codes, a join with one.
	run("create group",
		chromedp.Navigate(ts.URL+"/groups"),
		chromedp.SendKeys(chromedp.CSS("#g-name"), "Insiders"),
		chromedp.SetValue(chromedp.CSS("#g-join"), "code"),
		chromedp.Click(chromedp.CSS(`#group-new button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#codes-new")))
	groupURL := location()
	run("generate codes",
		chromedp.Click(chromedp.CSS("#mode-many")),
		chromedp.SetValue(chromedp.CSS("#code-count"), "3"),
		chromedp.Click(chromedp.CSS("#generate-codes")),
		chromedp.WaitVisible(chromedp.CSS("#generated-codes")))
	list := strings.Fields(text("#generated-codes"))
	if len(list) != 3 {
		t.Fatalf("generated codes %q, want 3", list)
	}
	gid := mustAtoi(t, groupURL[strings.LastIndex(groupURL, "/")+1:])
	if st, body := ts.do(t, roster.RoleAdmin, "POST", fmt.Sprintf("/api/v1/groups/%d/join", gid), fmt.Sprintf(`{"user_id":%q,"code":%q}`, uid, list[1])); st >= 300 {
		t.Fatalf("join by API: %d %s", st, body)
	}
	run("members view",
		chromedp.Navigate(groupURL),
		chromedp.Click(chromedp.CSS("#view-members")),
		chromedp.WaitVisible(chromedp.CSS("#match-count")))
	if count := text("#match-count"); count != "1" {
		t.Errorf("members view: %s users, want 1", count)
	}
	run("profile",
		chromedp.Navigate(ts.URL+"/users/"+uid),
		chromedp.WaitVisible(chromedp.CSS("#memberships")))
	if via := text("#memberships .gp-via"); !strings.EqualFold(via, "code") {
		t.Errorf("profile: joined via %q, want code", via)
	}

	// (b) Save the filtered table as a segment; its count is the table's.
	run("table", chromedp.Navigate(ts.URL+"/users?q=country%3AFR"), chromedp.WaitVisible(chromedp.CSS("#match-count")))
	total := text("#match-count")
	run("save as segment",
		chromedp.Click(chromedp.CSS("#save-segment")),
		chromedp.WaitVisible(chromedp.CSS("#segment-name")),
		chromedp.SendKeys(chromedp.CSS("#segment-name"), "French"),
		chromedp.Click(chromedp.CSS("#save-segment-submit")),
		chromedp.WaitVisible(chromedp.CSS("#segment-count")))
	segCount := text("#segment-count")
	run("view members",
		chromedp.Click(chromedp.CSS("#view-members")),
		chromedp.WaitVisible(chromedp.CSS("#match-count")))
	membersCount, loc := text("#match-count"), location()
	if total != "3" || segCount != total || membersCount != total {
		t.Errorf("table %s, segment %s, members view %s: want 3 each", total, segCount, membersCount)
	}
	if !strings.Contains(loc, "q=segment%3A%23") {
		t.Errorf("members view at %s, want the table filtered by segment:#ID", loc)
	}
}
