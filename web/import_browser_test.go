package web_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"roster"
	"roster/csvio"
	"roster/jobs"
	"roster/sqldb"
	"roster/sqldb/sqldbtest"
)

// importTemplate downloads the import template in the browser, from the
// link of the template page, and returns its header.
func importTemplate(t *testing.T, tab context.Context, base string) []string {
	t.Helper()
	navigate(t, tab, base, "/users/import/template")
	href := eval[string](t, tab, `document.getElementById("download-template").getAttribute("href")`)
	body, err := chromedp.Run(tab, chromedp.Evaluate[string](`fetch(`+jsString(href)+`).then(r => r.ok ? r.text() : Promise.reject(r.status))`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("download the template from %s: %v", href, err)
	}
	body = strings.TrimPrefix(body, "\ufeff")
	if strings.HasPrefix(body, "sep=") {
		body = body[strings.IndexByte(body, '\n')+1:]
	}
	header, err := csv.NewReader(strings.NewReader(body)).Read()
	if err != nil {
		t.Fatalf("template: %v\n%s", err, body)
	}
	return header
}

// fillTemplate writes rows into the template's columns: each row's values
// by field key, matched to the header by key or label.
func fillTemplate(t *testing.T, header []string, rows []map[string]string) []byte {
	t.Helper()
	labels := map[string]string{}
	for _, f := range roster.BuiltinFields() {
		labels[strings.ToLower(f.Label)] = f.Key
	}
	keys := make([]string, len(header))
	found := map[string]bool{}
	for i, h := range header {
		k := strings.TrimSpace(h)
		if key, ok := labels[strings.ToLower(k)]; ok {
			k = key
		}
		keys[i], found[k] = k, true
	}
	for _, k := range []string{"email", "first_name", "last_name", "city"} {
		if !found[k] {
			t.Fatalf("the template has no %s column: %q", k, header)
		}
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write(header)
	for _, r := range rows {
		rec := make([]string, len(keys))
		for i, k := range keys {
			rec[i] = r[k]
		}
		w.Write(rec)
	}
	w.Flush()
	return buf.Bytes()
}

// TestImportBrowser is a new operator's first import in Chromium: the
// template filled with three users, one with a bad email; a dry run that
// names the bad row; the file fixed and imported for real, the progress
// page following the job by itself; the three users in the table; then the
// filtered table exported and imported into an empty Roster, giving the
// same users.
func TestImportBrowser(t *testing.T) {
	db := sqldbtest.MustOpenDB(t, sqldb.SQLite)
	// One row a transaction, and a pause after each, so that the progress
	// page sees the import run, even on a loaded machine.
	ts := mustOpenImportServer(t, db, csvio.Limits{}, func(im *jobs.Importer) {
		im.Config.TxRows = 1
		im.Progress = func(*roster.Job) { time.Sleep(1500 * time.Millisecond) }
	})
	people := []map[string]string{
		{"email": "marie.curie@walkthrough.test", "first_name": "Marie", "last_name": "Curie", "city": "Paris"},
		{"email": "alan.turing@walkthrough.test", "first_name": "Alan", "last_name": "Turing", "city": "London"},
		{"email": "grace.hopper(at)walkthrough.test", "first_name": "Grace", "last_name": "Hopper", "city": "New York"},
	}

	tab := chromiumTab(t)
	navigate(t, tab, ts.URL, "/signin")
	run(t, tab, "sign in", chromedp.SendKeys(chromedp.ID("email"), "manager@staff.example.com"),
		chromedp.SendKeys(chromedp.ID("password"), staffPassword+"\n"))
	waitFor(t, tab, "signed in", `location.pathname === "/"`)

	// The template, filled with three users, the third with a bad email.
	header := importTemplate(t, tab, ts.URL)
	dir := t.TempDir()
	file := filepath.Join(dir, "people.csv")
	if err := os.WriteFile(file, fillTemplate(t, header, people), 0o644); err != nil {
		t.Fatal(err)
	}

	// From the user table to the import form.
	navigate(t, tab, ts.URL, "/users")
	run(t, tab, "open the import form", chromedp.Click(chromedp.ID("import-users")))
	waitFor(t, tab, "import form", `location.pathname === "/users/import" && document.getElementById("import-file") !== null`)
	if !eval[bool](t, tab, `document.getElementById("import-dry-run").checked`) {
		t.Fatal("dry run is not checked by default")
	}
	if got := eval[string](t, tab, `document.querySelector('input[name="mode"]:checked').value`); got != "upsert" {
		t.Errorf("default mode %q, want upsert", got)
	}
	snap(t, tab, "import-form")

	// The dry run: one error, naming row 4 and the email column.
	upload := func(what, path string) {
		t.Helper()
		run(t, tab, what, chromedp.SetUploadFiles(chromedp.ID("import-file"), []string{path}),
			chromedp.Click(chromedp.ID("import-submit")))
		waitFor(t, tab, what+": the import's page", `/^\/imports\/\d+$/.test(location.pathname) && document.readyState !== "loading"`)
	}
	upload("dry run", file)
	finished := `document.getElementById("import-summary") !== null`
	waitForLong(t, tab, "dry run finished", finished)
	snap(t, tab, "import-dry-run")
	if got := eval[string](t, tab, `document.getElementById("import-summary").textContent`); !strings.Contains(got, "2 would be created") || !strings.Contains(got, "1 failed") {
		t.Errorf("dry run summary %q, want 2 would be created and 1 failed", got)
	}
	cells := eval[[]string](t, tab, `[...document.querySelectorAll("#failed-rows tbody tr")].map(tr => [...tr.cells].map(c => c.textContent.trim()).join("|"))`)
	if len(cells) != 1 || !strings.HasPrefix(cells[0], "4|email|grace.hopper(at)walkthrough.test|") {
		t.Fatalf("failed rows %q, want one: row 4, the email column", cells)
	}
	if !eval[bool](t, tab, `document.getElementById("failed-csv") !== null && document.getElementById("import-run") !== null`) {
		t.Error("the dry run's page lacks the failed rows CSV link or the Import this file button")
	}

	// Fix the row, upload again without the dry run: the progress page
	// follows the import by itself and shows the outcome.
	people[2]["email"] = "grace.hopper@walkthrough.test"
	fixed := filepath.Join(dir, "people-fixed.csv")
	if err := os.WriteFile(fixed, fillTemplate(t, header, people), 0o644); err != nil {
		t.Fatal(err)
	}
	navigate(t, tab, ts.URL, "/users/import")
	run(t, tab, "dry run off", chromedp.Click(chromedp.ID("import-dry-run")))
	upload("import", fixed)
	if !eval[bool](t, tab, `document.getElementById("import-live") !== null && document.getElementById("import-progress") instanceof HTMLProgressElement`) {
		t.Fatal("the import's page shows no progress bar while it runs")
	}
	// The numbers move in place, then the page reloads on its own.
	run(t, tab, "mark the page", chromedp.Evaluate[chromedp.Void](`window.notReloaded = true`))
	waitForLong(t, tab, "counts updated in place", `window.notReloaded === true && Number(document.querySelector('#import-live [data-count="read"]').textContent) >= 1`)
	snap(t, tab, "import-progress")
	waitForLong(t, tab, "import finished by itself", `window.notReloaded === undefined && `+finished)
	snap(t, tab, "import-done")
	if got := eval[string](t, tab, `document.getElementById("import-summary").textContent`); !strings.Contains(got, "Imported: 3 created, 0 updated, 0 failed.") {
		t.Errorf("import summary %q, want 3 created", got)
	}

	// The three users are in the table.
	run(t, tab, "find them in the table", chromedp.Click(chromedp.ID("import-find")))
	waitFor(t, tab, "user table", `location.pathname === "/users" && document.getElementById("match-count") !== null`)
	for _, p := range people {
		run(t, tab, "search "+p["email"], chromedp.SetValue(chromedp.ID("q"), p["email"]), chromedp.Submit(chromedp.ID("q")))
		waitFor(t, tab, "results for "+p["email"], fmt.Sprintf(`new URLSearchParams(location.search).get("q") === %s && document.readyState === "complete" && document.getElementById("match-count") !== null`, jsString(p["email"])))
		if got := eval[string](t, tab, `document.getElementById("match-count").textContent.trim()`); got != "1" {
			t.Errorf("search %s: %s users, want 1", p["email"], got)
		}
		if !eval[bool](t, tab, fmt.Sprintf(`document.querySelector("table.users-table tbody").textContent.includes(%s)`, jsString(p["email"]))) {
			t.Errorf("search %s: the table does not show the user", p["email"])
		}
	}
	snap(t, tab, "import-users")

	// Then the filtered table, exported from its Export panel with all
	// columns, imported into an empty Roster: the same users come out.
	navigate(t, tab, ts.URL, "/users?q="+url.QueryEscape("city:Paris,London"))
	if got := eval[string](t, tab, `document.getElementById("match-count").textContent.trim()`); got != "2" {
		t.Fatalf("city:Paris,London shows %s users, want 2", got)
	}
	run(t, tab, "open the export panel", chromedp.Click(chromedp.ID("export")),
		chromedp.Click(`input[name="columns"][value=""]`))
	exported, err := chromedp.Run(tab, chromedp.Evaluate[string](`(() => {
		const form = document.querySelector(".export-panel form");
		return fetch(form.action + "?" + new URLSearchParams(new FormData(form))).then(r => r.ok ? r.text() : Promise.reject(r.status));
	})()`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("export from the panel: %v", err)
	}
	if n := strings.Count(strings.TrimSpace(exported), "\n"); n != 2 {
		t.Fatalf("the export has %d rows, want 2:\n%s", n, exported)
	}
	exportFile := filepath.Join(dir, "users-export.csv")
	if err := os.WriteFile(exportFile, []byte(exported), 0o644); err != nil {
		t.Fatal(err)
	}
	db2 := sqldbtest.MustOpenDB(t, sqldb.SQLite)
	empty := mustOpenImportServer(t, db2, csvio.Limits{})
	navigate(t, tab, empty.URL, "/signin")
	run(t, tab, "sign in to the empty Roster", chromedp.SendKeys(chromedp.ID("email"), "manager@staff.example.com"),
		chromedp.SendKeys(chromedp.ID("password"), staffPassword+"\n"))
	waitFor(t, tab, "signed in", `location.pathname === "/"`)
	navigate(t, tab, empty.URL, "/users/import")
	run(t, tab, "dry run off", chromedp.Click(chromedp.ID("import-dry-run")))
	upload("import the export", exportFile)
	waitForLong(t, tab, "import of the export finished", finished)
	if got := eval[string](t, tab, `document.getElementById("import-summary").textContent`); !strings.Contains(got, "Imported: 2 created, 0 updated, 0 failed.") {
		t.Errorf("import of the export: %q, want 2 created", got)
	}
	snap(t, tab, "import-export-roundtrip")
	want, got := usersByEmail(t, db), usersByEmail(t, db2)
	for _, p := range people[:2] {
		w, g := want[p["email"]], got[p["email"]]
		if g == nil {
			t.Errorf("%s is missing from the empty Roster after the import", p["email"])
			continue
		}
		w.ID, g.ID, w.UpdatedAt, g.UpdatedAt = 0, 0, time.Time{}, time.Time{}
		if !reflect.DeepEqual(w, g) {
			t.Errorf("%s differs after export and import:\n%+v\n%+v", p["email"], w, g)
		}
	}
	if len(got) != 2 {
		t.Errorf("the empty Roster has %d users after the import, want 2", len(got))
	}
}

// usersByEmail reads every user of db.
func usersByEmail(t *testing.T, db *sqldb.DB) map[string]*roster.User {
	t.Helper()
	out := map[string]*roster.User{}
	err := sqldb.NewUserService(db).ScanUsers(context.Background(), 0, 1000, func(u *roster.User) error {
		out[u.Email] = u
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// waitForLong is waitFor with room for an import's chunks.
func waitForLong(t *testing.T, ctx context.Context, what, expr string) {
	t.Helper()
	poll(t, ctx, what, expr, 90*time.Second)
}
