package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"roster"
	"roster/sqldb"
	"roster/sqldb/sqldbtest"
)

// TestAPI_InputRule: text from outside is valid UTF-8 without control
// characters, within its length; every refusal names the problem and the
// field, echoes at most about a hundred characters of a bad value, and is
// never a silent rewrite.
func TestAPI_InputRule(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ts := mustOpenServer(t, db)
		id := ts.createUser(t, `{"email":"ada@example.com"}`)
		group := ts.createGroup(t, `{"name":"Club"}`)
		admin := roster.RoleAdmin
		long := strings.Repeat("Z", 100000)
		for _, sc := range []struct {
			name, method, path, body string
			status                   int
			want                     []string
		}{
			{"invalid UTF-8", "PATCH", "/api/v1/users/{id}", "{\"city\":\"Par\xffis\"}", 400, []string{`city`, `UTF-8`}},
			{"lone surrogate", "PATCH", "/api/v1/users/{id}", `{"city":"\ud800"}`, 400, []string{`city`, `surrogate`}},
			{"lone low surrogate", "POST", "/api/v1/tags", `{"name":"a\udc00b","color":"#aabbcc"}`, 400, []string{`name`, `surrogate`}},
			{"surrogate pair is fine", "PATCH", "/api/v1/users/{id}", `{"city":"\ud83d\ude00 town"}`, 200, []string{`😀 town`}},
			{"escaped backslash is not an escape", "PATCH", "/api/v1/users/{id}", `{"bio":"C:\\ud800"}`, 200, nil},
			{"NUL in a user field", "PATCH", "/api/v1/users/{id}", `{"city":"a\u0000b"}`, 400, []string{`city`, `NUL`}},
			{"control character in text", "PATCH", "/api/v1/users/{id}", `{"city":"a\u0007b"}`, 422, []string{`"city":`, `control`}},
			{"NUL in a field label", "POST", "/api/v1/fields", `{"key":"nick","label":"Ni\u0000ck","type":"text"}`, 400, []string{`label`}},
			{"control in a field label", "POST", "/api/v1/fields", `{"key":"nick","label":"Ni\u001bck","type":"text"}`, 422, []string{`"label":`}},
			{"control in a group description", "PATCH", "/api/v1/groups/{group}", `{"description":"x\u0001y"}`, 422, []string{`"description":`}},
			{"newline in a group description is fine", "PATCH", "/api/v1/groups/{group}", `{"description":"line one\nline two"}`, 200, nil},
			{"control in a segment query", "POST", "/api/v1/segments", `{"name":"S","q":"city:Paris\u0002"}`, 422, []string{`"q":`}},
			{"long bad country", "PATCH", "/api/v1/users/{id}", `{"country":"` + long + `"}`, 422, []string{`"country":`}},
			{"long bad choice", "POST", "/api/v1/users", `{"email":"x@example.com","birth_date":"` + long + `"}`, 422, []string{`"birth_date":`}},
			{"date as a phone", "PATCH", "/api/v1/users/{id}", `{"mobile_phone":"2025-02-30"}`, 422, []string{`"mobile_phone":`}},
			{"date as a phone, day first", "PATCH", "/api/v1/users/{id}", `{"mobile_phone":"30.02.2025"}`, 422, []string{`"mobile_phone":`}},
			{"a phone is a phone", "PATCH", "/api/v1/users/{id}", `{"mobile_phone":"+33 6 12 34 56 78"}`, 200, nil},
			{"a phone with a trunk prefix", "PATCH", "/api/v1/users/{id}", `{"home_phone":"+44 (0)20 7946-0958"}`, 200, nil},
			{"export: empty column names", "GET", "/api/v1/users/export.csv?columns=,", "", 400, []string{`columns`}},
			{"export: a trailing comma", "GET", "/api/v1/users/export.csv?columns=email,", "", 400, []string{`columns`}},
			{"repeated parameter", "GET", "/api/v1/users?q=a&q=b", "", 400, []string{`parameter \"q\"`, `given 2 times`}},
			{"repeated parameter on export", "GET", "/api/v1/users/export.csv?columns=email&columns=city", "", 400, []string{`columns`}},
			{"repeated parameter on the audit", "GET", "/api/v1/audit?action=a&action=b", "", 400, []string{`action`}},
			{"malformed query", "GET", "/api/v1/users?q=%zz", "", 400, []string{`malformed`}},
		} {
			t.Run(sc.name, func(t *testing.T) {
				path := strings.ReplaceAll(strings.ReplaceAll(sc.path, "{id}", id), "{group}", fmt.Sprint(group.ID))
				st, body := ts.do(t, admin, sc.method, path, sc.body)
				if st != sc.status {
					t.Fatalf("status %d, want %d: %.300s", st, sc.status, body)
				}
				for _, w := range sc.want {
					if !strings.Contains(body, w) {
						t.Errorf("body lacks %s: %.300s", w, body)
					}
				}
				if strings.Contains(body, strings.Repeat("Z", 200)) {
					t.Errorf("the answer echoes a long value (%d bytes)", len(body))
				}
				if strings.Contains(body, "\ufffd") {
					t.Errorf("the answer holds U+FFFD: %.300s", body)
				}
			})
		}
		// Nothing was stored with U+FFFD.
		_, out := ts.do(t, admin, "GET", "/api/v1/users/"+id, "")
		if strings.Contains(out, "\ufffd") || strings.Contains(out, `\ufffd`) {
			t.Errorf("a user holds U+FFFD: %s", out)
		}
	})
}

// TestPages_InputRule: pages follow the same rules: a repeated query
// parameter is refused (the filter panel's checkboxes excepted), and a form
// too large is answered 413 as too large, not as an expired form.
func TestPages_InputRule(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ts := mustOpenServer(t, db)
		b := newBrowser(t, ts)
		b.signIn(roster.RoleAdmin, "/")
		wantStatus(t, "repeated q", b.get("/users?q=a&q=b"), http.StatusBadRequest)
		wantStatus(t, "status checkboxes", b.get("/users?f.status.v=active&f.status.v=banned"), http.StatusOK)

		form := url.Values{"name": {"big"}, "color": {"#aabbcc"}, "pad": {strings.Repeat("x", 10<<20)}}
		page := b.get("/tags")
		form.Set("csrf", formValue(t, csrfInput, page.Body))
		resp := b.post("/tags", form, nil)
		if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(resp.Body, "too large") || strings.Contains(resp.Body, "expired") {
			t.Errorf("10 MB form: %d %.500s", resp.StatusCode, resp.Body)
		}
	})
}
