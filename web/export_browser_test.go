package web_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"roster/sqldb"
	"roster/sqldb/sqldbtest"
)

// TestExportBrowser drives the table's Export panel in Chromium: it keeps
// the view's filter and sort, offers every column (chosen by default) or
// the visible ones and a BOM, and its form downloads that CSV; the template page and the profile's
// data link work from the browser too.
func TestExportBrowser(t *testing.T) {
	db := sqldbtest.MustOpenDB(t, sqldb.SQLite)
	ts := mustOpenServer(t, db)
	ada := ts.createUser(t, `{"email":"ada@example.com","first_name":"-Ada","country":"FR","points":30}`)
	ts.createUser(t, `{"email":"bob@example.com","first_name":"Bob","country":"FR","points":10}`)
	ts.createUser(t, `{"email":"cy@example.com","first_name":"Cy","country":"US","points":50}`)

	tab := chromiumTab(t)
	navigate(t, tab, ts.URL, "/signin")
	run(t, tab, "sign in", chromedp.SendKeys(chromedp.ID("email"), "manager@staff.example.com"),
		chromedp.SendKeys(chromedp.ID("password"), staffPassword+"\n"))
	waitFor(t, tab, "signed in", `location.pathname === "/"`)

	navigate(t, tab, ts.URL, "/users?q=country:FR&sort=-points")
	form := `document.querySelector('.export-panel form')`
	if eval[bool](t, tab, form+`.checkVisibility()`) {
		t.Fatal("the export form shows before Export is clicked")
	}
	mouseTo(t, tab, `document.querySelector("#export")`, true)
	waitFor(t, tab, "export panel open", form+`.checkVisibility()`)
	snap(t, tab, "export-panel")

	// What the form asks for, and what that answers, from the page.
	download := func() string {
		t.Helper()
		return fetchText(t, tab, `(async () => {
			const f = `+form+`;
			const url = f.action + "?" + new URLSearchParams(new FormData(f));
			const r = await fetch(url);
			const b = new Uint8Array(await r.arrayBuffer());
			// TextDecoder drops a BOM: say whether there was one.
			const bom = b[0] === 0xEF && b[1] === 0xBB && b[2] === 0xBF ? "BOM " : "";
			return r.status + " " + r.headers.get("Content-Disposition") + "\n" + bom + new TextDecoder().decode(b);
		})()`)
	}
	// Every column by default.
	got := download()
	if _, body, _ := strings.Cut(got, "\n"); !strings.HasPrefix(got, `200 attachment; filename="users-`) ||
		!strings.HasPrefix(body, "id,client_id,app_id,stripe_id,email,") || !strings.Contains(body, ",'-Ada,") {
		t.Fatalf("all columns by default:\n%.300s", got)
	}

	mouseTo(t, tab, form+`.querySelector('input[name="columns"]:not([value=""])')`, true)
	mouseTo(t, tab, form+`.querySelector('input[name="bom"]')`, true)
	got = download()
	if _, body, _ := strings.Cut(got, "\n"); !strings.HasPrefix(body, "BOM id,client_id,created_at,points,email,") || !strings.Contains(body, "ada@example.com") {
		t.Errorf("visible columns with a BOM:\n%.300s", got)
	}
	lines := strings.Split(strings.TrimSpace(got), "\n")
	if len(lines) != 4 || !strings.Contains(lines[2], "ada@example.com") || !strings.Contains(lines[3], "bob@example.com") {
		t.Errorf("the export is not the view (FR, by points descending):\n%s", got)
	}

	// The template page, from the table's link.
	href := eval[string](t, tab, `document.querySelector("#import-template").getAttribute("href")`)
	if href != "/users/import/template" {
		t.Fatalf("Download template links to %q", href)
	}
	navigate(t, tab, ts.URL, href)
	if n := eval[int](t, tab, `document.querySelectorAll("table.template-columns tbody tr").length`); n < 30 {
		t.Errorf("the template page lists %d columns", n)
	}
	snap(t, tab, "import-template")
	tmpl := fetchText(t, tab, `fetch(document.querySelector("#download-template").href).then(r => r.text())`)
	if !strings.HasPrefix(tmpl, "client_id,app_id,") || strings.Count(tmpl, "\n") != 2 {
		t.Errorf("template download:\n%s", tmpl)
	}

	// The profile's data link.
	navigate(t, tab, ts.URL, "/users/"+ada)
	data := fetchText(t, tab, `fetch(document.querySelector("#download-data").href).then(r => r.text())`)
	if !strings.Contains(data, `"email": "ada@example.com"`) || !strings.Contains(data, `"audit": [`) {
		t.Errorf("data download:\n%.500s", data)
	}
}

// fetchText evaluates expr, a promise of a string, in the page.
func fetchText(t *testing.T, ctx context.Context, expr string) string {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}
