package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"roster"
	"roster/sqldb"
	"roster/sqldb/sqldbtest"
)

type searchBody struct {
	Total int `json:"total"`
	Users []struct {
		ID    string `json:"id"`
		Email string `json:"email"`
	} `json:"users"`
	NextCursor *string `json:"next_cursor"`
}

func (ts *testServer) search(t *testing.T, params url.Values) (int, searchBody, string) {
	t.Helper()
	st, body := ts.do(t, roster.RoleViewer, "GET", "/api/v1/users?"+params.Encode(), "")
	var sb searchBody
	if st == http.StatusOK {
		if err := json.Unmarshal([]byte(body), &sb); err != nil {
			t.Fatalf("search body: %v: %s", err, body)
		}
	}
	return st, sb, body
}

func emails(sb searchBody) []string {
	var out []string
	for _, u := range sb.Users {
		out = append(out, u.Email)
	}
	return out
}

// TestAPI_Search checks the search endpoint's shape and a filter on every
// built-in field type through q=.
func TestAPI_Search(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ts := mustOpenServer(t, db)
		for _, body := range []string{
			`{"email":"zoe@example.com","first_name":"Zoé","last_name":"Lefèvre","country":"FR","city":"Paris","points":6000,"roles":["vip","member"],"newsletter":true,"birth_date":"1990-05-01","last_visit":"2025-03-15T10:00:00Z","mobile_phone":"+33 6 12 34 56 78","addresses":[{"line1":"1 rue de Rivoli"}]}`,
			`{"email":"bob@gmail.com","first_name":"Bob","country":"BE","city":"Bruxelles","points":10,"roles":["member"],"status":"banned","birth_date":"2001-01-01","last_visit":"2025-02-28T23:00:00Z"}`,
			`{"email":"ann@example.org","first_name":"Ann","country":"US","city":"New York","points":5000,"instagram_followers":300,"email_confirmed":true}`,
		} {
			ts.createUser(t, body)
		}
		for _, tc := range []struct {
			q, sort string
			want    []string
		}{
			{"", "email", []string{"ann@example.org", "bob@gmail.com", "zoe@example.com"}},
			{"zoe", "", []string{"zoe@example.com"}},
			{"LEFEVRE", "", []string{"zoe@example.com"}},
			{"612345678", "", []string{"zoe@example.com"}},
			{"country:FR,BE", "email", []string{"bob@gmail.com", "zoe@example.com"}},
			{"country:FR country:US", "email", []string{"ann@example.org", "zoe@example.com"}},
			{"-country:FR", "email", []string{"ann@example.org", "bob@gmail.com"}},
			{`city:"new york"`, "", []string{"ann@example.org"}},
			{"email:~gmail", "", []string{"bob@gmail.com"}},
			{"points:>5000", "", []string{"zoe@example.com"}},
			{"points:5000..6000", "-points", []string{"zoe@example.com", "ann@example.org"}},
			{"last_visit:2025-03-01..2025-03-31", "", []string{"zoe@example.com"}},
			{"birth_date:<2000-01-01", "", []string{"zoe@example.com"}},
			{"newsletter:true", "", []string{"zoe@example.com"}},
			{"email_confirmed:yes", "", []string{"ann@example.org"}},
			{"status:banned", "", []string{"bob@gmail.com"}},
			{"roles:vip+member", "", []string{"zoe@example.com"}},
			{"-roles:vip", "email", []string{"ann@example.org", "bob@gmail.com"}},
			{"roles:none", "", []string{"ann@example.org"}},
			{"addresses:any", "", []string{"zoe@example.com"}},
			{"total_followers:>=300", "", []string{"ann@example.org"}},
			{"mobile_phone:none", "email", []string{"ann@example.org", "bob@gmail.com"}},
		} {
			t.Run(tc.q+" "+tc.sort, func(t *testing.T) {
				st, sb, body := ts.search(t, url.Values{"q": {tc.q}, "sort": {tc.sort}})
				if st != 200 {
					t.Fatalf("status %d: %s", st, body)
				}
				if got := emails(sb); !slices.Equal(got, tc.want) || sb.Total != len(tc.want) {
					t.Errorf("got %v (total %d), want %v", got, sb.Total, tc.want)
				}
				if sb.NextCursor != nil {
					t.Errorf("next_cursor on the only page: %s", body)
				}
			})
		}

		t.Run("TimeZone", func(t *testing.T) {
			// 2025-02-28 23:00 UTC is already March 1st in Paris.
			_, sb, _ := ts.search(t, url.Values{"q": {"last_visit:2025-03-01..2025-03-31"}, "tz": {"Europe/Paris"}, "sort": {"email"}})
			if got := emails(sb); !slices.Equal(got, []string{"bob@gmail.com", "zoe@example.com"}) {
				t.Errorf("in Paris: %v", got)
			}
		})

		t.Run("Cursors", func(t *testing.T) {
			var all []string
			params := url.Values{"sort": {"-points"}, "limit": {"1"}}
			for range 5 {
				st, sb, body := ts.search(t, params)
				if st != 200 || sb.Total != 3 {
					t.Fatalf("%d %s", st, body)
				}
				all = append(all, emails(sb)...)
				if sb.NextCursor == nil {
					break
				}
				params.Set("cursor", *sb.NextCursor)
			}
			if want := []string{"zoe@example.com", "ann@example.org", "bob@gmail.com"}; !slices.Equal(all, want) {
				t.Fatalf("pages gave %v, want %v", all, want)
			}
			_, sb, _ := ts.search(t, url.Values{"sort": {"-points"}, "limit": {"1"}})
			cur := *sb.NextCursor
			// Forged: one character of the signature changed, and the
			// same signature with its unused last bits set (which a
			// lenient decoder reads as the same bytes).
			flip := map[byte]string{'A': "B"}[cur[len(cur)-3]]
			if flip == "" {
				flip = "A"
			}
			padded := cur[:len(cur)-1] + string("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[strings.IndexByte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", cur[len(cur)-1])|1])
			for name, p := range map[string]url.Values{
				"forged":     {"sort": {"-points"}, "cursor": {cur[:len(cur)-3] + flip + cur[len(cur)-2:]}},
				"padded":     {"sort": {"-points"}, "cursor": {padded}},
				"other sort": {"sort": {"points"}, "cursor": {cur}},
				"other q":    {"sort": {"-points"}, "q": {"country:FR"}, "cursor": {cur}},
				"garbage":    {"cursor": {"not-a-cursor"}},
			} {
				st, _, body := ts.search(t, p)
				if st != 400 || !strings.Contains(body, `"code":"invalid"`) {
					t.Errorf("%s cursor: %d %s", name, st, body)
				}
			}
		})

		t.Run("BadInput", func(t *testing.T) {
			for _, tc := range []struct {
				params url.Values
				want   string
			}{
				{url.Values{"q": {"cuntry:FR"}}, `did you mean country?`},
				{url.Values{"q": {"zoe cuntry:FR"}}, `"position":4`},
				{url.Values{"q": {`city:"Paris`}}, `"position":5`},
				{url.Values{"q": {"points:lots"}}, `not a whole number`},
				{url.Values{"q": {"city:>5"}}, `not available`},
				{url.Values{"q": {"created_at:2025-13-01"}}, `not a date`},
				{url.Values{"sort": {"bio"}}, `cannot be sorted`},
				{url.Values{"sort": {"nope"}}, `unknown field`},
				{url.Values{"limit": {"0"}}, `limit`},
				{url.Values{"limit": {"501"}}, `limit`},
				{url.Values{"tz": {"Mars/Olympus"}}, `time zone`},
				{url.Values{"page": {"2"}}, `unknown parameter`},
			} {
				st, _, body := ts.search(t, tc.params)
				if st != 400 || !strings.Contains(body, tc.want) || !strings.Contains(body, `"code":"invalid"`) {
					t.Errorf("%v: %d %s, want 400 with %s", tc.params, st, body, tc.want)
				}
			}
		})

		t.Run("JSON", func(t *testing.T) {
			st, body := ts.do(t, roster.RoleViewer, "POST", "/api/v1/users/search",
				`{"conditions":[{"field":"country","op":"eq","values":["FR","BE"]}],"sort":"email","limit":1}`)
			if st != 200 || !strings.Contains(body, `"total":2`) || !strings.Contains(body, "bob@gmail.com") || !strings.Contains(body, "next_cursor") {
				t.Errorf("%d %s", st, body)
			}
			st, body = ts.do(t, roster.RoleViewer, "POST", "/api/v1/users/search", `{"q":"zoe"}`)
			if st != 200 || !strings.Contains(body, `"total":1`) {
				t.Errorf("%d %s", st, body)
			}
			st, body = ts.do(t, roster.RoleViewer, "POST", "/api/v1/users/search", `{"conditions":[{"field":"country","op":"like"}]}`)
			if st != 400 {
				t.Errorf("bad op: %d %s", st, body)
			}
		})

		t.Run("WritesVisibleAtOnce", func(t *testing.T) {
			ts.createUser(t, `{"email":"new@example.com","country":"FR"}`)
			_, sb, _ := ts.search(t, url.Values{"q": {"country:FR"}})
			if sb.Total != 2 {
				t.Errorf("after a create: total %d, want 2", sb.Total)
			}
		})
	})
}
