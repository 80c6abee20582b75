package web_test

import (
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"roster"
	"roster/sqldb"
	"roster/sqldb/sqldbtest"
)

// TestSearchHints: two bounds on one field combine with OR; the table says
// so under the search box with a link to the range, and the API answers
// the same advice beside the results.
func TestSearchHints(t *testing.T) {
	db := sqldbtest.MustOpenDB(t, sqldb.SQLite)
	ts := mustOpenServer(t, db)
	for _, body := range []string{`{"email":"a@example.com","points":3}`, `{"email":"b@example.com","points":7}`, `{"email":"c@example.com","points":12}`} {
		ts.createUser(t, body)
	}
	staff := newBrowser(t, ts)
	staff.signIn(roster.RoleViewer, "/")

	page := staff.get("/users?q=" + url.QueryEscape("points:>5 points:<10"))
	wantStatus(t, "table", page, http.StatusOK)
	wantContains(t, "table", page.Body, `class="search-hint"`, "combine with OR", "every user with a value", "Use points:5..10")
	fix := `/users?q=` + url.QueryEscape("points:5..10")
	if !strings.Contains(html.UnescapeString(page.Body), `href="`+fix) {
		t.Errorf("the hint does not link to %s:\n%s", fix, page.Body)
	}
	fixed := staff.get(fix)
	wantStatus(t, "table with the range", fixed, http.StatusOK)
	wantLacks(t, "table with the range", fixed.Body, `class="search-hint"`)
	wantContains(t, "table with the range", fixed.Body, "b@example.com")
	wantLacks(t, "table with the range", fixed.Body, "a@example.com", "c@example.com")

	st, body := ts.do(t, roster.RoleViewer, "GET", "/api/v1/users?q="+url.QueryEscape("points:>5 points:<10"), "")
	var resp struct {
		Total int `json:"total"`
		Hints []struct {
			Field, Message, Suggest string
		} `json:"hints"`
	}
	if st != http.StatusOK || json.Unmarshal([]byte(body), &resp) != nil {
		t.Fatalf("API search: %d %s", st, body)
	}
	if resp.Total != 3 || len(resp.Hints) != 1 || resp.Hints[0].Field != "points" || resp.Hints[0].Suggest != "points:5..10" {
		t.Errorf("API search with two bounds: %s", body)
	}
	if _, body := ts.do(t, roster.RoleViewer, "GET", "/api/v1/users?q="+url.QueryEscape("points:5..10"), ""); strings.Contains(body, `"hints"`) {
		t.Errorf("API search with a range: hints in %s", body)
	}
}
