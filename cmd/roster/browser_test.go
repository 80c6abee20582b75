package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"roster/web/browsertest"
)

// TestBrowser drives the back-office in a real headless Chromium through
// the product's acceptance scenarios. It starts the real program once
// (serve --demo on SQLite), signs in as the demo owner and runs each
// scenario as a subtest in the same tab; the viewer gets a browser context
// of its own, with its own cookies.
//
// Chromium is ROSTER_TEST_CHROMIUM, else /usr/bin/chromium; without one the
// test skips, except in CI (CI=true), where it fails. Screenshots of the
// main pages go to artifacts/screenshots/ under the repository root, and a
// screenshot of the page at the moment a scenario failed goes there as
// failed-NAME.png.

// browserStepTimeout bounds each scenario, so that a hang fails it instead
// of blocking the suite.
const browserStepTimeout = 2 * time.Minute

// browser is the signed-in tab shared by the scenarios.
type browser struct {
	tab  context.Context // the chromedp context of the owner's tab
	base string          // http://host:port of the server
}

// step returns a context for one scenario in tab, with its deadline, and
// saves a screenshot of the page if the scenario fails.
func (b *browser) step(t *testing.T, tab context.Context) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(tab, browserStepTimeout)
	t.Cleanup(cancel)
	browsertest.OnFailure(t, tab)
	return ctx
}

// shot saves a screenshot of the whole page as NAME.png.
func (b *browser) shot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	browsertest.Snap(t, ctx, name)
}

// open loads url in the tab and returns the HTTP status of the document.
func open(t *testing.T, ctx context.Context, url string) int64 {
	t.Helper()
	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(url))
	if err != nil {
		t.Fatalf("open %s: %v", url, err)
	}
	return resp.Status
}

// openOK loads url and fails unless the document's status is 200.
func openOK(t *testing.T, ctx context.Context, url string) {
	t.Helper()
	if status := open(t, ctx, url); status != http.StatusOK {
		t.Fatalf("open %s: got status %d, want 200", url, status)
	}
}

// clickAndLoad clicks the element sel (what names it in messages) and waits
// for the page it leads to; it returns the status of the document (after
// redirects: a form that redirects gives the status of the page it
// redirects to).
func clickAndLoad[S chromedp.Selectable](t *testing.T, ctx context.Context, what string, sel S) int64 {
	t.Helper()
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(sel))
	if err != nil {
		t.Fatalf("click %s (%v): %v", what, sel, err)
	}
	if resp == nil {
		t.Fatalf("click %s (%v): no document loaded", what, sel)
	}
	return resp.Status
}

// act runs actions that return nothing; what names them in messages.
func act(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// js evaluates expr in the page and decodes its value into T.
func js[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// fill empties the text control matching the CSS selector and types s
// into it, as a user would. (chromedp's SetValue cannot set "": v0.23.0
// drops an empty string argument, so the page gets undefined.)
func fill(t *testing.T, ctx context.Context, css, s string) {
	t.Helper()
	act(t, ctx, "empty "+css, chromedp.WaitVisible(chromedp.CSS(css)),
		chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.querySelector(%s).value = ""`, jsString(css))))
	act(t, ctx, fmt.Sprintf("type %q in %s", s, css), chromedp.SendKeys(chromedp.CSS(css), s))
}

// jsString is s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// byText selects the elements tag whose whole text (spaces normalized) is
// text, as a user finds a button or a link by what it says.
func byText(tag, text string) chromedp.Search {
	return chromedp.Search(fmt.Sprintf(`//%s[normalize-space(.)=%s]`, tag, jsString(text)))
}

// here returns the address of the page in the tab.
func here(t *testing.T, ctx context.Context) *url.URL {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatalf("location: %v", err)
	}
	u, err := url.Parse(s)
	if err != nil {
		t.Fatalf("location %q: %v", s, err)
	}
	return u
}

// text returns the trimmed text of the first element matching the CSS
// selector, or "" when there is none.
func text(t *testing.T, ctx context.Context, css string) string {
	t.Helper()
	return js[string](t, ctx, fmt.Sprintf(`(document.querySelector(%s)?.textContent ?? "").trim()`, jsString(css)))
}

// exists reports whether an element matches the CSS selector.
func exists(t *testing.T, ctx context.Context, css string) bool {
	t.Helper()
	return js[bool](t, ctx, fmt.Sprintf(`document.querySelector(%s) !== null`, jsString(css)))
}

// value returns the value of the form control matching the CSS selector.
func value(t *testing.T, ctx context.Context, css string) string {
	t.Helper()
	return js[string](t, ctx, fmt.Sprintf(`document.querySelector(%s)?.value ?? "<no such control>"`, jsString(css)))
}

var countRE = regexp.MustCompile(`^\d{1,3}(,\d{3})*$`)

// matchCount reads the number of matching users shown above the table.
func matchCount(t *testing.T, ctx context.Context) int {
	t.Helper()
	s := text(t, ctx, "#match-count")
	if !countRE.MatchString(s) {
		t.Fatalf("#match-count: got %q, want digits grouped by commas", s)
	}
	n, err := strconv.Atoi(strings.ReplaceAll(s, ",", ""))
	if err != nil {
		t.Fatalf("#match-count %q: %v", s, err)
	}
	return n
}

// headerLabels returns the labels of the table's columns.
func headerLabels(t *testing.T, ctx context.Context) []string {
	t.Helper()
	return js[[]string](t, ctx, `[...document.querySelectorAll("table.users-table thead th")].map(th => {
		const a = th.querySelector("a.sort");
		return (a ? a.firstChild.textContent : th.textContent).trim();
	})`)
}

// columnIndex returns the 1-based position of the column whose label is
// label, for :nth-child selectors.
func columnIndex(t *testing.T, ctx context.Context, label string) int {
	t.Helper()
	labels := headerLabels(t, ctx)
	for i, l := range labels {
		if l == label {
			return i + 1
		}
	}
	t.Fatalf("the table has no %q column; columns: %q", label, labels)
	return 0
}

// columnValues returns the text of each row's cell in the column labelled
// label.
func columnValues(t *testing.T, ctx context.Context, label string) []string {
	t.Helper()
	i := columnIndex(t, ctx, label)
	return js[[]string](t, ctx, fmt.Sprintf(`[...document.querySelectorAll("table.users-table tbody tr")].map(tr => (tr.children[%d]?.textContent ?? "").trim())`, i-1))
}

// rowIDs returns the user ids linked from the table's rows.
func rowIDs(t *testing.T, ctx context.Context) []string {
	t.Helper()
	return js[[]string](t, ctx, `[...document.querySelectorAll("table.users-table tbody tr td:first-child a")].map(a => a.getAttribute("href").replace(/^\/users\//, ""))`)
}

// points parses a Points cell ("12,345").
func points(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(strings.ReplaceAll(s, ",", ""))
	if err != nil {
		t.Fatalf("Points cell %q is not a number", s)
	}
	return n
}

// apiTotal asks the JSON API how many users match q.
func apiTotal(t *testing.T, base, token, q string) int {
	t.Helper()
	c := &http.Client{Timeout: 10 * time.Second}
	code, body := apiCall(t, c, http.MethodGet, base+"/api/v1/users?limit=1&q="+url.QueryEscape(q), token, "")
	if code != http.StatusOK {
		t.Fatalf("GET /api/v1/users?q=%s: got %d, want 200: %v", q, code, body)
	}
	total, ok := body["total"].(float64)
	if !ok {
		t.Fatalf("GET /api/v1/users?q=%s: no total in %v", q, body)
	}
	return int(total)
}

// signIn fills and submits the sign-in form and returns the status of the
// page it leads to.
func signIn(t *testing.T, ctx context.Context, base, email, pw string) int64 {
	t.Helper()
	openOK(t, ctx, base+"/signin")
	fill(t, ctx, "#email", email)
	fill(t, ctx, "#password", pw)
	return clickAndLoad(t, ctx, "Sign in", chromedp.CSS(`form[action="/signin"] button[type=submit]`))
}

// wantDashboard checks that the tab shows the dashboard signed in as email.
func wantDashboard(t *testing.T, ctx context.Context, email string) {
	t.Helper()
	if u := here(t, ctx); u.Path != "/" {
		t.Fatalf("after signing in: at %s, want the dashboard /", u)
	}
	if !exists(t, ctx, `header.top nav a[href="/"][aria-current="page"]`) {
		t.Errorf("after signing in: the Dashboard nav link is not the current page")
	}
	if got := text(t, ctx, "header.top .who"); got != email {
		t.Errorf("after signing in: the header names %q, want %q", got, email)
	}
}

func TestBrowser(t *testing.T) {
	browsertest.Path(t)
	began := time.Now()
	dir := t.TempDir()
	srv := startServe(t, nil, "serve", "--demo", "--addr", "127.0.0.1:0", "--data", dir)
	out := srv.stdout.String()
	em, pm := demoEmailRE.FindStringSubmatch(out), demoPasswordRE.FindStringSubmatch(out)
	if em == nil || pm == nil {
		t.Fatalf("demo banner: no Email:/Password: lines in stdout:\n%s", out)
	}
	email, pw := em[1], pm[1]
	t.Logf("server ready after %s", time.Since(began).Round(time.Millisecond))

	// An API token of the demo owner, to compare the pages with the API.
	tokOut, _ := mustCLI(t, nil, "", "token", "create", "--staff", email, "--name", "browser-test", "--data", dir)
	token := strings.TrimSpace(tokOut)
	if !strings.HasPrefix(token, "rst_") {
		t.Fatalf("token create: got %q, want a token starting with rst_", tokOut)
	}

	shots := browsertest.Dir(t)
	stale, _ := filepath.Glob(filepath.Join(shots, "failed-*.png"))
	for _, f := range stale {
		os.Remove(f) // from an earlier run
	}
	b := &browser{tab: browsertest.Tab(t, 1280, 900), base: srv.base}
	base := srv.base
	t.Logf("browser ready after %s", time.Since(began).Round(time.Millisecond))
	defer func() { t.Logf("browser test took %s", time.Since(began).Round(time.Millisecond)) }()

	if !t.Run("sign in", func(t *testing.T) {
		ctx := b.step(t, b.tab)
		// Signed out, the back-office sends to the sign-in page.
		openOK(t, ctx, base+"/users")
		if u := here(t, ctx); u.Path != "/signin" {
			t.Fatalf("GET /users signed out: at %s, want /signin", u)
		}
		if status := signIn(t, ctx, base, email, "wrong-password-123"); status != http.StatusUnauthorized {
			t.Errorf("sign in with a wrong password: got status %d, want 401", status)
		}
		if got := text(t, ctx, `.signin [role="alert"]`); !strings.Contains(got, "Invalid email or password") {
			t.Errorf("sign in with a wrong password: alert says %q, want %q", got, "Invalid email or password")
		}
		if status := signIn(t, ctx, base, email, pw); status != http.StatusOK {
			t.Errorf("sign in: got status %d, want 200", status)
		}
		wantDashboard(t, ctx, email)
	}) {
		t.FailNow()
	}

	t.Run("filter by two countries and a points range", func(t *testing.T) {
		ctx := b.step(t, b.tab)
		openOK(t, ctx, base+"/users")
		b.shot(t, ctx, "users-table")
		act(t, ctx, "open the Fields panel", chromedp.Click(chromedp.CSS(`#fields-panel > summary`)))
		act(t, ctx, "fill the Country and Points controls",
			chromedp.SetValue(chromedp.ID("f-country-op"), "eq"),
			chromedp.SendKeys(chromedp.ID("f-country-v"), "FR, BE"),
			chromedp.SendKeys(chromedp.ID("f-points-from"), "1000"),
			chromedp.SendKeys(chromedp.ID("f-points-to"), "50000"),
		)
		if got := text(t, ctx, "#f-country-op option:checked"); got != "equals" {
			t.Errorf("Country control: the chosen operator reads %q, want %q", got, "equals")
		}
		if status := clickAndLoad(t, ctx, "Apply", chromedp.CSS(`#fields-panel button[type=submit]`)); status != http.StatusOK {
			t.Fatalf("Apply: got status %d, want 200", status)
		}
		u := here(t, ctx)
		q := u.Query().Get("q")
		for _, want := range []string{"country:FR,BE", "points:1000..50000"} {
			if !strings.Contains(q, want) {
				t.Errorf("after Apply: q=%q (URL %s), want it to contain %q", q, u, want)
			}
		}
		if u.Query().Has("panel") {
			t.Errorf("after Apply: URL %s still has the panel parameter, want the canonical table URL", u)
		}
		if got := value(t, ctx, "#q"); got != q {
			t.Errorf("after Apply: the search box holds %q, want the filter %q", got, q)
		}
		chips := js[[]string](t, ctx, `[...document.querySelectorAll("ul.chips li code")].map(c => c.textContent.trim())`)
		if len(chips) != 2 {
			t.Errorf("after Apply: chips %q, want one for the countries and one for the points", chips)
		}
		shown := matchCount(t, ctx)
		if want := apiTotal(t, base, token, q); shown != want {
			t.Errorf("after Apply: the page counts %d users, the API %d for q=%q", shown, want, q)
		}
		if shown == 0 {
			t.Errorf("after Apply: no users match; the demo data should have French and Belgian users with 1000 to 50000 points")
		}
		for i, c := range columnValues(t, ctx, "Country") {
			if c != "FR" && c != "BE" {
				t.Errorf("after Apply: row %d has country %q, want FR or BE", i+1, c)
			}
		}
		for i, p := range columnValues(t, ctx, "Points") {
			if n := points(t, p); n < 1000 || n > 50000 {
				t.Errorf("after Apply: row %d has %d points, want 1000 to 50000", i+1, n)
			}
		}
		b.shot(t, ctx, "users-filtered")
	})

	t.Run("sort by a column then clear sorting", func(t *testing.T) {
		ctx := b.step(t, b.tab)
		openOK(t, ctx, base+"/users")
		col := columnIndex(t, ctx, "Points")
		th := fmt.Sprintf("table.users-table thead th:nth-child(%d)", col)
		sortLink := chromedp.CSS(th + " a.sort")

		for _, tc := range []struct{ sort, ariaSort string }{{"points", "ascending"}, {"-points", "descending"}} {
			if status := clickAndLoad(t, ctx, "the Points sort link", sortLink); status != http.StatusOK {
				t.Fatalf("sort %s: got status %d, want 200", tc.sort, status)
			}
			if u := here(t, ctx); u.Query().Get("sort") != tc.sort {
				t.Errorf("after clicking Points: URL %s, want sort=%s", u, tc.sort)
			}
			attr, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(th), "aria-sort"))
			if err != nil {
				t.Fatal(err)
			}
			if attr.Value != tc.ariaSort {
				t.Errorf("sort %s: the Points header has aria-sort=%q, want %q", tc.sort, attr.Value, tc.ariaSort)
			}
			vals := columnValues(t, ctx, "Points")
			if len(vals) < 2 {
				t.Fatalf("sort %s: %d rows, want a full page", tc.sort, len(vals))
			}
			for i := 1; i < len(vals); i++ {
				prev, cur := points(t, vals[i-1]), points(t, vals[i])
				if (tc.sort == "points" && prev > cur) || (tc.sort == "-points" && prev < cur) {
					t.Errorf("sort %s: row %d has %d points and row %d has %d", tc.sort, i, prev, i+1, cur)
					break
				}
			}
		}
		if status := clickAndLoad(t, ctx, "Clear sorting", byText("a", "Clear sorting")); status != http.StatusOK {
			t.Fatalf("Clear sorting: got status %d, want 200", status)
		}
		if u := here(t, ctx); u.Query().Has("sort") {
			t.Errorf("after Clear sorting: URL %s still has a sort parameter", u)
		}
		// Back in the default order, newest first: only Created is marked.
		sorted := js[[]string](t, ctx, `[...document.querySelectorAll("table.users-table thead th[aria-sort]")].map(th => th.querySelector("a.sort").firstChild.textContent.trim() + " " + th.getAttribute("aria-sort"))`)
		if len(sorted) != 1 || sorted[0] != "Created descending" {
			t.Errorf("after Clear sorting: headers marked sorted %q, want only the default order (Created descending)", sorted)
		}
	})

	t.Run("clear filters", func(t *testing.T) {
		ctx := b.step(t, b.tab)
		openOK(t, ctx, base+"/users?q="+url.QueryEscape("country:FR,BE points:1000..50000"))
		if !exists(t, ctx, "ul.chips") {
			t.Fatalf("with a filter: no chips (ul.chips) above the table")
		}
		if status := clickAndLoad(t, ctx, "Clear filters", byText("a", "Clear filters")); status != http.StatusOK {
			t.Fatalf("Clear filters: got status %d, want 200", status)
		}
		if exists(t, ctx, "ul.chips") {
			t.Errorf("after Clear filters: chips are still shown: %q", text(t, ctx, "ul.chips"))
		}
		if u := here(t, ctx); u.Query().Get("q") != "" {
			t.Errorf("after Clear filters: URL %s still has a filter", u)
		}
		if got := value(t, ctx, "#q"); got != "" {
			t.Errorf("after Clear filters: the search box holds %q, want it empty", got)
		}
		n := matchCount(t, ctx)
		if n != 10000 {
			t.Errorf("after Clear filters: the page counts %d users, want the 10,000 demo users", n)
		}
		if want := apiTotal(t, base, token, ""); n != want {
			t.Errorf("after Clear filters: the page counts %d users, the API %d", n, want)
		}
	})

	t.Run("choose columns and see them after a reload", func(t *testing.T) {
		ctx := b.step(t, b.tab)
		openOK(t, ctx, base+"/users")
		has := slices.Contains[[]string]
		if l := headerLabels(t, ctx); !has(l, "Client ID") || has(l, "Bio") {
			t.Fatalf("default columns %q: want Client ID and not Bio", l)
		}
		const clientID, bio = `details.columns-panel input[name=col][value=client_id]`, `details.columns-panel input[name=col][value=bio]`
		act(t, ctx, "open the Columns panel", chromedp.Click(chromedp.CSS(`details.columns-panel > summary`)))
		if !js[bool](t, ctx, fmt.Sprintf(`document.querySelector(%s).checked && !document.querySelector(%s).checked`, jsString(clientID), jsString(bio))) {
			t.Fatalf("Columns panel: want Client ID checked and Bio unchecked to begin with")
		}
		act(t, ctx, "uncheck Client ID and check Bio", chromedp.Click(chromedp.CSS(clientID)), chromedp.Click(chromedp.CSS(bio)))
		if status := clickAndLoad(t, ctx, "Show these columns", byText("button", "Show these columns")); status != http.StatusOK {
			t.Fatalf("Show these columns: got status %d, want 200", status)
		}
		check := func(when string) {
			t.Helper()
			l := headerLabels(t, ctx)
			if !has(l, "Bio") || has(l, "Client ID") {
				t.Errorf("%s: columns %q, want Bio and not Client ID", when, l)
			}
		}
		check("after Show these columns")
		if u := here(t, ctx); u.Query().Has("cols") {
			t.Errorf("after Show these columns: URL %s has cols=, want the choice saved, not in the URL", u)
		}
		b.shot(t, ctx, "users-columns")
		act(t, ctx, "reload", chromedp.Reload())
		check("after a reload")
		openOK(t, ctx, base+"/users")
		check("on a plain /users")

		// Back to the default columns, for the scenarios that follow.
		act(t, ctx, "open the Columns panel", chromedp.Click(chromedp.CSS(`details.columns-panel > summary`)))
		if status := clickAndLoad(t, ctx, "Default columns", byText("button", "Default columns")); status != http.StatusOK {
			t.Fatalf("Default columns: got status %d, want 200", status)
		}
		if l := headerLabels(t, ctx); !has(l, "Client ID") || has(l, "Bio") {
			t.Errorf("after Default columns: columns %q, want Client ID and not Bio", l)
		}
	})

	t.Run("open a profile, enter a bad value, correct it and save", func(t *testing.T) {
		ctx := b.step(t, b.tab)
		openOK(t, ctx, base+"/users")
		ids := rowIDs(t, ctx)
		if len(ids) == 0 {
			t.Fatalf("the table has no rows")
		}
		if status := clickAndLoad(t, ctx, "the first row's link", chromedp.CSS(`table.users-table tbody tr:first-child td:first-child a`)); status != http.StatusOK {
			t.Fatalf("open the profile: got status %d, want 200", status)
		}
		if u := here(t, ctx); u.Path != "/users/"+ids[0] {
			t.Fatalf("after clicking the first row: at %s, want /users/%s", u, ids[0])
		}
		b.shot(t, ctx, "profile")
		before := value(t, ctx, "#v-country")
		good := "FR"
		if before == good {
			good = "BE" // "FR" would change nothing
		}
		save := byText("button", "Save Contact")

		fill(t, ctx, "#v-country", "XX")
		if status := clickAndLoad(t, ctx, "Save Contact", save); status != http.StatusUnprocessableEntity {
			t.Errorf("save country XX: got status %d, want 422", status)
		}
		if got := js[string](t, ctx, `(document.querySelector("#v-country")?.closest(".field")?.querySelector(".field-error")?.textContent ?? "").trim()`); !strings.Contains(got, "country code") {
			t.Errorf("save country XX: the error next to Country says %q, want it to mention %q", got, "country code")
		}
		if got := value(t, ctx, "#v-country"); got != "XX" {
			t.Errorf("save country XX: the Country input holds %q, want the typed XX kept", got)
		}
		attr, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.ID("v-country"), "aria-invalid"))
		if err != nil {
			t.Fatal(err)
		}
		if attr.Value != "true" {
			t.Errorf("save country XX: the Country input has aria-invalid=%q, want true", attr.Value)
		}
		if got := text(t, ctx, `main [role="alert"]`); !strings.Contains(got, "Not saved") {
			t.Errorf("save country XX: the page's alert says %q, want it to say Not saved", got)
		}
		b.shot(t, ctx, "profile-error")

		fill(t, ctx, "#v-country", good)
		if status := clickAndLoad(t, ctx, "Save Contact", save); status != http.StatusOK {
			t.Errorf("save country %s: got status %d, want 200", good, status)
		}
		if u := here(t, ctx); u.Path != "/users/"+ids[0] {
			t.Errorf("after saving: at %s, want /users/%s", u, ids[0])
		}
		if got := text(t, ctx, "p.flash"); got != "Saved." {
			t.Errorf("after saving: the flash says %q, want %q", got, "Saved.")
		}
		if got := value(t, ctx, "#v-country"); got != good {
			t.Errorf("after saving: the Country input holds %q, want %s", got, good)
		}
		if exists(t, ctx, ".field-error") {
			t.Errorf("after saving: the page still shows a field error: %q", text(t, ctx, ".field-error"))
		}
	})

	t.Run("events show on the timeline; Last access opens it", func(t *testing.T) {
		timelineSteps(t, b, base, token)
	})

	t.Run("ban a user and see the status in the table", func(t *testing.T) {
		ctx := b.step(t, b.tab)
		openOK(t, ctx, base+"/users?q=status:active")
		ids := rowIDs(t, ctx)
		if len(ids) == 0 {
			t.Fatalf("no active users in the table")
		}
		id := ids[0]
		if status := clickAndLoad(t, ctx, "the first active user's link", chromedp.CSS(`table.users-table tbody tr:first-child td:first-child a`)); status != http.StatusOK {
			t.Fatalf("open the profile: got status %d, want 200", status)
		}
		badge := "header.profile-head h1 .status"
		if got := text(t, ctx, badge); got != "active" {
			t.Fatalf("profile of %s: the status badge says %q, want active", id, got)
		}
		const reason = "Spam in the forum (browser test)"
		act(t, ctx, "type a reason", chromedp.SendKeys(chromedp.ID("reason"), reason))
		if status := clickAndLoad(t, ctx, "Ban", byText("button", "Ban")); status != http.StatusOK {
			t.Fatalf("Ban: got status %d, want 200", status)
		}
		if got := text(t, ctx, badge); got != "banned" {
			t.Errorf("after Ban: the status badge says %q, want banned", got)
		}
		if got := text(t, ctx, "p.flash"); !strings.Contains(got, "banned") {
			t.Errorf("after Ban: the flash says %q, want it to say banned", got)
		}
		openOK(t, ctx, base+"/users/"+id+"/activity")
		if got := text(t, ctx, "ol.timeline"); !strings.Contains(got, reason) {
			t.Errorf("Activity tab after Ban: %q does not show the reason %q", got, reason)
		}

		openOK(t, ctx, base+"/users?q=status:banned")
		if !slices.Contains(rowIDs(t, ctx), id) {
			t.Errorf("/users?q=status:banned: %s is not in the table", id)
		}

		// The same through the Banned link above the table.
		openOK(t, ctx, base+"/users")
		if status := clickAndLoad(t, ctx, "the Banned status link", chromedp.Search(`//nav[contains(@class,"status-filter")]//a[normalize-space(.)="Banned"]`)); status != http.StatusOK {
			t.Fatalf("Banned link: got status %d, want 200", status)
		}
		if u := here(t, ctx); u.Query().Get("q") != "status:banned" {
			t.Errorf("after the Banned link: URL %s, want q=status:banned", u)
		}
		if got := text(t, ctx, `nav.status-filter a[aria-current="true"]`); got != "Banned" {
			t.Errorf("after the Banned link: the current status link is %q, want Banned", got)
		}
		if !slices.Contains(rowIDs(t, ctx), id) {
			t.Errorf("after the Banned link: %s is not in the table", id)
		}
		for i, s := range columnValues(t, ctx, "Status") {
			if s != "banned" {
				t.Errorf("after the Banned link: row %d has status %q", i+1, s)
			}
		}
		if n, want := matchCount(t, ctx), apiTotal(t, base, token, "status:banned"); n != want {
			t.Errorf("after the Banned link: the page counts %d, the API %d", n, want)
		}
	})

	t.Run("add a user", func(t *testing.T) {
		ctx := b.step(t, b.tab)
		openOK(t, ctx, base+"/users")
		if status := clickAndLoad(t, ctx, "+ Add user", byText("a", "+ Add user")); status != http.StatusOK {
			t.Fatalf("+ Add user: got status %d, want 200", status)
		}
		newEmail := fmt.Sprintf("browser-%d@example.com", time.Now().UnixNano())
		act(t, ctx, "fill the new user's form",
			chromedp.SendKeys(chromedp.ID("n-email"), newEmail),
			chromedp.SendKeys(chromedp.ID("n-first_name"), "Browsa"),
			chromedp.Click(chromedp.CSS(`input[name=generate]`)),
		)
		if status := clickAndLoad(t, ctx, "Add user", chromedp.CSS(`form[action="/users"] button[type=submit]`)); status != http.StatusCreated {
			t.Errorf("Add user: got status %d, want 201", status)
		}
		secret := text(t, ctx, ".secret code")
		if len(secret) < 10 {
			t.Errorf("Add user with a generated password: the page shows %q, want the password (at least 10 characters)", secret)
		}
		if got := text(t, ctx, ".secret"); !strings.Contains(got, "Browsa") {
			t.Errorf("Add user: the confirmation %q does not name the user", got)
		}
		b.shot(t, ctx, "user-new")

		openOK(t, ctx, base+"/users")
		act(t, ctx, "type the email in the search box", chromedp.Click(chromedp.ID("q")))
		resp, err := chromedp.RunResponse(ctx, chromedp.SendKeys(chromedp.ID("q"), newEmail+"\n"))
		if err != nil {
			t.Fatalf("search %s: %v", newEmail, err)
		}
		if resp.Status != http.StatusOK {
			t.Errorf("search %s: got status %d, want 200", newEmail, resp.Status)
		}
		if u := here(t, ctx); u.Query().Get("q") != newEmail {
			t.Errorf("search: URL %s, want q=%s", u, newEmail)
		}
		if n := matchCount(t, ctx); n != 1 {
			t.Errorf("search %s: the page counts %d users, want 1", newEmail, n)
		}
		if got := columnValues(t, ctx, "Email"); len(got) != 1 || got[0] != newEmail {
			t.Errorf("search %s: the Email column holds %q", newEmail, got)
		}
	})

	t.Run("a viewer sees no edit controls", func(t *testing.T) {
		mustCLI(t, nil, "viewer-password-1\n", "staff", "create", "--email", "v@example.com", "--role", "viewer", "--data", dir)
		// A browser context of its own: other cookies than the owner's.
		vtab, cancel := chromedp.NewContext(b.tab, chromedp.WithNewBrowserContext())
		t.Cleanup(cancel) // after step's cleanup, which may take a screenshot
		if err := chromedp.Do(vtab); err != nil {
			t.Fatalf("open a tab in a new browser context: %v", err)
		}
		ctx := b.step(t, vtab)
		if status := signIn(t, ctx, base, "v@example.com", "viewer-password-1"); status != http.StatusOK {
			t.Errorf("sign in as the viewer: got status %d, want 200", status)
		}
		wantDashboard(t, ctx, "v@example.com")

		openOK(t, ctx, base+"/users")
		if exists(t, ctx, `a[href="/users/new"]`) {
			t.Errorf("/users as a viewer: the + Add user link is shown")
		}
		ids := rowIDs(t, ctx)
		if len(ids) == 0 {
			t.Fatalf("/users as a viewer: no rows")
		}
		id := ids[0]
		if status := clickAndLoad(t, ctx, "the first row's link", chromedp.CSS(`table.users-table tbody tr:first-child td:first-child a`)); status != http.StatusOK {
			t.Fatalf("open the profile as a viewer: got status %d, want 200", status)
		}
		statusBefore := text(t, ctx, "header.profile-head h1 .status")
		if n := js[int](t, ctx, `document.querySelectorAll('[name^="v."]').length`); n != 0 {
			t.Errorf("profile as a viewer: %d inputs named v.*, want none", n)
		}
		if js[bool](t, ctx, `[...document.querySelectorAll("button")].some(b => ["Ban", "Set active"].includes(b.textContent.trim()))`) {
			t.Errorf("profile as a viewer: a Ban or Set active button is shown")
		}
		if exists(t, ctx, `form[action$="/delete"]`) || exists(t, ctx, `#reason`) {
			t.Errorf("profile as a viewer: the delete form or the status reason is shown")
		}
		if !exists(t, ctx, "dl.fields") {
			t.Errorf("profile as a viewer: the fields are not shown (no dl.fields)")
		}

		// A forged request from the viewer's page, with a valid CSRF token.
		forge := func(path string, form map[string]string) int {
			t.Helper()
			f, _ := json.Marshal(form)
			return js[int](t, ctx, fmt.Sprintf(`(async () => {
				const body = new URLSearchParams(%s);
				body.set("csrf", document.querySelector("input[name=csrf]").value);
				const r = await fetch(%s, {method: "POST", body});
				return r.status;
			})()`, f, jsString(path)))
		}
		if got := forge("/users/"+id+"/status", map[string]string{"status": "banned", "reason": "forged"}); got != http.StatusForbidden {
			t.Errorf("POST /users/%s/status from the viewer's page: got %d, want 403", id, got)
		}
		if got := forge("/users/"+id, map[string]string{"field": "country", "v.country": "DE"}); got != http.StatusForbidden {
			t.Errorf("POST /users/%s from the viewer's page: got %d, want 403", id, got)
		}
		openOK(t, ctx, base+"/users/"+id)
		if got := text(t, ctx, "header.profile-head h1 .status"); got != statusBefore {
			t.Errorf("after the forged requests: the status is %q, was %q", got, statusBefore)
		}
	})

	t.Run("no script runs from user data", func(t *testing.T) {
		ctx := b.step(t, b.tab)
		const name, city = `<img src=x onerror=alert(1)>`, `<script>alert(1)</script>`
		xssEmail := fmt.Sprintf("xss-%d@example.com", time.Now().UnixNano())
		body, _ := json.Marshal(map[string]string{"email": xssEmail, "first_name": name, "city": city})
		code, created := apiCall(t, &http.Client{Timeout: 10 * time.Second}, http.MethodPost, base+"/api/v1/users", token, string(body))
		if code != http.StatusCreated {
			t.Fatalf("POST /api/v1/users: got %d, want 201: %v", code, created)
		}
		id, _ := created["id"].(string)

		// Record and dismiss every JavaScript dialog.
		lctx, stop := context.WithCancel(ctx)
		var mu sync.Mutex
		var dialogs []string
		seen := func() []string {
			mu.Lock()
			defer mu.Unlock()
			return append([]string(nil), dialogs...)
		}
		events := chromedp.Events(lctx, page.JavascriptDialogOpening)
		done := make(chan struct{})
		go func() {
			defer close(done)
			for ev, err := range events {
				if err != nil {
					return
				}
				mu.Lock()
				dialogs = append(dialogs, ev.Message)
				mu.Unlock()
				chromedp.Call(lctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
			}
		}()
		defer func() { stop(); <-done }()

		// The listener sees a dialog when there is one.
		openOK(t, ctx, base+"/users?q="+url.QueryEscape(xssEmail))
		act(t, ctx, "open a probe alert", chromedp.Evaluate[chromedp.Void](`setTimeout(() => alert("probe"), 0)`))
		for deadline := time.Now().Add(20 * time.Second); len(seen()) == 0; {
			if time.Now().After(deadline) {
				t.Fatalf("the dialog listener did not see a probe alert within 20s")
			}
			time.Sleep(20 * time.Millisecond)
		}
		mu.Lock()
		dialogs = nil
		mu.Unlock()

		// The table filtered to the user.
		openOK(t, ctx, base+"/users?q="+url.QueryEscape(xssEmail))
		if n := matchCount(t, ctx); n != 1 {
			t.Fatalf("/users?q=%s: the page counts %d users, want 1", xssEmail, n)
		}
		if got := columnValues(t, ctx, "City"); len(got) != 1 || got[0] != city {
			t.Errorf("/users?q=%s: the City column shows %q, want the text %q", xssEmail, got, city)
		}
		if n := js[int](t, ctx, `document.querySelectorAll("main script, main img").length`); n != 0 {
			t.Errorf("/users?q=%s: %d script or img elements in the page's content, want none", xssEmail, n)
		}
		b.shot(t, ctx, "users-xss")

		// The profile.
		if status := clickAndLoad(t, ctx, "the user's link", chromedp.CSS(`table.users-table tbody tr:first-child td:first-child a`)); status != http.StatusOK {
			t.Fatalf("open the profile: got status %d, want 200", status)
		}
		if u := here(t, ctx); u.Path != "/users/"+id {
			t.Errorf("after clicking the row: at %s, want /users/%s", u, id)
		}
		if got := text(t, ctx, "header.profile-head h1"); !strings.Contains(got, name) {
			t.Errorf("profile: the heading reads %q, want it to show the text %q", got, name)
		}
		if got := value(t, ctx, "#v-first_name"); got != name {
			t.Errorf("profile: the First name input holds %q, want %q", got, name)
		}
		if got := value(t, ctx, "#v-city"); got != city {
			t.Errorf("profile: the City input holds %q, want %q", got, city)
		}
		if n := js[int](t, ctx, `[...document.images].filter(i => i.getAttribute("src") === "x").length + document.querySelectorAll("main script").length`); n != 0 {
			t.Errorf("profile: %d injected img or script elements, want none", n)
		}
		b.shot(t, ctx, "profile-xss")

		// The dashboard may list recent users too.
		open(t, ctx, base+"/")
		act(t, ctx, "let late scripts run", chromedp.Sleep(300*time.Millisecond))
		if d := seen(); len(d) != 0 {
			t.Errorf("JavaScript dialogs opened from user data: %q", d)
		}
	})

	t.Run("invite a user from the profile and accept it through the Outbox", func(t *testing.T) {
		inviteThroughOutbox(t, b, token)
	})

	t.Run("add points with a reason, a note and a task, and find the task on My tasks", func(t *testing.T) {
		ledgerOnProfile(t, b, token)
	})
}
