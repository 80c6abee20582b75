package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"roster"
	"roster/sqldb"
	"roster/sqldb/sqldbtest"
)

// TestAPI_ActivityCounters: visits_30d and interactions_30d follow the
// events sent, in the user JSON, filters and sorts, and change as days
// pass with no write.
func TestAPI_ActivityCounters(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ts := mustOpenServer(t, db)
		zoe := ts.createUser(t, `{"email":"zoe@example.com"}`)
		ann := ts.createUser(t, `{"email":"ann@example.com"}`)
		now := time.Now().UTC().Truncate(time.Second)
		today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
		at := func(t time.Time) string { return t.Format(time.RFC3339) }
		ts.sendEvents(t,
			`{"user":{"id":"`+zoe+`"},"type":"visit","time":"`+at(now.Add(-time.Minute))+`","id":"z1"}`,
			// The 30th UTC day back, the first of the window.
			`{"user":{"id":"`+zoe+`"},"type":"page_view","time":"`+at(today.AddDate(0, 0, -29).Add(12*time.Hour))+`","id":"z2"}`,
			`{"user":{"id":"`+zoe+`"},"type":"interaction","time":"`+at(now.Add(-2*time.Minute))+`","id":"z3"}`,
			`{"user":{"id":"`+zoe+`"},"type":"interaction","time":"`+at(today.AddDate(0, 0, -40))+`","id":"z4"}`,
			`{"user":{"id":"`+zoe+`"},"type":"error","id":"z5"}`,
			`{"user":{"id":"`+ann+`"},"type":"sign_in","time":"`+at(today.AddDate(0, 0, -10))+`","id":"a1"}`,
		)
		counts := func(id string) (int64, int64) {
			t.Helper()
			var u struct {
				Visits       *int64 `json:"visits_30d"`
				Interactions *int64 `json:"interactions_30d"`
			}
			st, body := ts.do(t, roster.RoleViewer, "GET", "/api/v1/users/"+id, "")
			if err := json.Unmarshal([]byte(body), &u); st != http.StatusOK || err != nil || u.Visits == nil || u.Interactions == nil {
				t.Fatalf("user %s: %d %v %s", id, st, err, body)
			}
			return *u.Visits, *u.Interactions
		}
		find := func(q, sort string) []string {
			t.Helper()
			st, sb, body := ts.search(t, url.Values{"q": {q}, "sort": {sort}})
			if st != http.StatusOK {
				t.Fatalf("%s: %d %s", q, st, body)
			}
			return emails(sb)
		}
		if v, i := counts(zoe); v != 2 || i != 1 {
			t.Errorf("zoe: visits_30d %d interactions_30d %d, want 2 and 1", v, i)
		}
		for _, tc := range []struct {
			q, sort string
			want    []string
		}{
			{"visits_30d:>=2", "", []string{"zoe@example.com"}},
			{"visits_30d:1", "", []string{"ann@example.com"}},
			{"interactions_30d:0", "", []string{"ann@example.com"}},
			{"visits_30d:1..5", "-visits_30d", []string{"zoe@example.com", "ann@example.com"}},
		} {
			if got := find(tc.q, tc.sort); !slices.Equal(got, tc.want) {
				t.Errorf("%s sort %q: %v, want %v", tc.q, tc.sort, got, tc.want)
			}
		}

		// The users page shows them as columns and filters on them.
		b := newBrowser(t, ts)
		b.signIn(roster.RoleViewer, "/users")
		page := b.get("/users?q=visits_30d%3A%3E%3D2&cols=email,visits_30d,interactions_30d")
		wantStatus(t, "users page", page, http.StatusOK)
		wantContains(t, "users page", page.Body, "Visits (30 days)", "Interactions (30 days)", "zoe@example.com")
		if strings.Contains(page.Body, "ann@example.com") {
			t.Errorf("visits_30d:>=2 shows ann")
		}

		// Two days later, with no write: zoe's page view is 31 days old.
		clock := ts.DB.Now
		ts.DB.Now = func() time.Time { return now.AddDate(0, 0, 2) }
		defer func() { ts.DB.Now = clock }()
		if v, i := counts(zoe); v != 1 || i != 1 {
			t.Errorf("two days later, zoe: visits_30d %d interactions_30d %d, want 1 and 1", v, i)
		}
		if got := find("visits_30d:>=2", ""); len(got) != 0 {
			t.Errorf("two days later, visits_30d:>=2: %v", got)
		}
		if got := find("visits_30d:1", "email"); !slices.Equal(got, []string{"ann@example.com", "zoe@example.com"}) {
			t.Errorf("two days later, visits_30d:1: %v", got)
		}

		// Read-only, and a bad value is named.
		if st, body := ts.do(t, roster.RoleAdmin, "PATCH", "/api/v1/users/"+zoe, `{"visits_30d":5}`); st != http.StatusUnprocessableEntity || !strings.Contains(body, "visits_30d") {
			t.Errorf("set visits_30d: %d %s", st, body)
		}
		if st, _, body := ts.search(t, url.Values{"q": {"interactions_30d:many"}}); st < 400 || st >= 500 || !strings.Contains(body, "interactions_30d") {
			t.Errorf("bad value: %d %s", st, body)
		}
		// The fields list describes them for the Fields panel.
		_, body := ts.do(t, roster.RoleViewer, "GET", "/api/v1/fields", "")
		var fields struct {
			Fields []roster.Field `json:"fields"`
		}
		json.Unmarshal([]byte(body), &fields)
		n := 0
		for _, f := range fields.Fields {
			if f.Key == "visits_30d" || f.Key == "interactions_30d" {
				n++
				if f.Type != roster.TypeInteger || !f.ReadOnly || !f.Filterable || !f.Sortable {
					t.Errorf("field %+v", f)
				}
			}
		}
		if n != 2 {
			t.Errorf("fields: %d of the counters in %.300s", n, body)
		}
	})
}
