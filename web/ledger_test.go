package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"roster"
	"roster/sqldb"
	"roster/sqldb/sqldbtest"
)

// runScenarios runs API scenarios in order, {id} standing for user id.
func runScenarios(t *testing.T, ts *testServer, id string, scs []scenario) {
	t.Helper()
	for _, sc := range scs {
		t.Run(sc.name, func(t *testing.T) {
			status, body := ts.do(t, sc.role, sc.method, strings.ReplaceAll(sc.path, "{id}", id), sc.body)
			if status != sc.status {
				t.Fatalf("status = %d, want %d; body %s", status, sc.status, body)
			}
			for _, w := range sc.want {
				if !strings.Contains(body, w) {
					t.Errorf("body lacks %s: %s", w, body)
				}
			}
			for _, w := range sc.notWant {
				if strings.Contains(body, w) {
					t.Errorf("body has %s: %s", w, body)
				}
			}
		})
	}
}

func TestAPI_Points(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ts := mustOpenServer(t, db)
		id := ts.createUser(t, `{"email":"ada@example.com","points":5}`)
		admin, support, viewer := roster.RoleAdmin, roster.RoleSupport, roster.RoleViewer
		runScenarios(t, ts, id, []scenario{
			{name: "opening balance", role: viewer, method: "GET", path: "/api/v1/users/{id}/points", status: 200,
				want: []string{`"balances":{"points":5}`, `"amount":5`, `"reason":"opening balance"`, `"source":"automation"`, `"next_cursor":""`}},
			{name: "add", role: support, method: "POST", path: "/api/v1/users/{id}/points", body: `{"amount":20,"reason":"won the quiz","idempotency_key":"q-1"}`, status: 201,
				want: []string{`"amount":20`, `"balance":25`, `"source":"api"`, `"actor":"support@staff.example.com"`, `"user_id":"` + id + `"`}},
			{name: "retry", role: support, method: "POST", path: "/api/v1/users/{id}/points", body: `{"amount":20,"reason":"won the quiz","idempotency_key":"q-1"}`, status: 200,
				want: []string{`"balance":25`}},
			{name: "key reused", role: support, method: "POST", path: "/api/v1/users/{id}/points", body: `{"amount":21,"reason":"won the quiz","idempotency_key":"q-1"}`, status: 409,
				want: []string{`"idempotency_key":"was used for a different change (20 points)"`}},
			{name: "below zero", role: support, method: "POST", path: "/api/v1/users/{id}/points", body: `{"amount":-26,"reason":"refund","idempotency_key":"r-1"}`, status: 422,
				want: []string{`"amount":"would take the balance below zero (it is 25)"`}},
			{name: "missing", role: support, method: "POST", path: "/api/v1/users/{id}/points", body: `{"reason":""}`, status: 422,
				want: []string{`"amount":"is required"`, `"idempotency_key":"is required`}},
			{name: "no reason", role: support, method: "POST", path: "/api/v1/users/{id}/points", body: `{"amount":1,"reason":" ","idempotency_key":"n-1"}`, status: 422,
				want: []string{`"reason":"is required"`}},
			{name: "zero", role: support, method: "POST", path: "/api/v1/users/{id}/points", body: `{"amount":0,"reason":"x","idempotency_key":"z-1"}`, status: 422,
				want: []string{`"amount":"must not be zero"`}},
			{name: "not a number", role: support, method: "POST", path: "/api/v1/users/{id}/points", body: `{"amount":"lots","reason":"x","idempotency_key":"z-2"}`, status: 422,
				want: []string{`"amount":"must be a whole number"`}},
			{name: "fraction", role: support, method: "POST", path: "/api/v1/users/{id}/points", body: `{"amount":1.5,"reason":"x","idempotency_key":"z-3"}`, status: 422,
				want: []string{`"amount":"must be a whole number"`}},
			{name: "unknown member", role: support, method: "POST", path: "/api/v1/users/{id}/points", body: `{"amount":1,"reason":"x","idempotency_key":"z-4","note":"x"}`, status: 400,
				want: []string{`note`}},
			{name: "unknown counter", role: support, method: "POST", path: "/api/v1/users/{id}/points", body: `{"amount":1,"reason":"x","counter":"stars","idempotency_key":"z-5"}`, status: 422,
				want: []string{`"counter":"\"stars\" is not a counter"`}},
			{name: "unknown user", role: support, method: "POST", path: "/api/v1/users/u_nope/points", body: `{"amount":1,"reason":"x","idempotency_key":"z-6"}`, status: 404},
			{name: "viewer cannot", role: viewer, method: "POST", path: "/api/v1/users/{id}/points", body: `{"amount":1,"reason":"x","idempotency_key":"z-7"}`, status: 403},
			{name: "patch refused", role: admin, method: "PATCH", path: "/api/v1/users/{id}", body: `{"points":100}`, status: 422,
				want: []string{`"points":"is changed through the points ledger: add or remove points with a reason: POST /api/v1/users/{id}/points"`}},
			{name: "counter", role: admin, method: "POST", path: "/api/v1/counters", body: `{"key":"credits","label":"Credits","allow_negative":true}`, status: 201,
				want: []string{`"key":"credits"`, `"allow_negative":true`}},
			{name: "counter taken", role: admin, method: "POST", path: "/api/v1/counters", body: `{"key":"credits","label":"Credits"}`, status: 409},
			{name: "counter bad", role: admin, method: "POST", path: "/api/v1/counters", body: `{"key":"Bad key","label":""}`, status: 422,
				want: []string{`"key":"must be`, `"label":"is required"`}},
			{name: "support cannot define", role: support, method: "POST", path: "/api/v1/counters", body: `{"key":"stamps","label":"Stamps"}`, status: 403},
			{name: "counters", role: viewer, method: "GET", path: "/api/v1/counters", status: 200, want: []string{`"key":"points"`, `"key":"credits"`}},
			{name: "credits below zero", role: support, method: "POST", path: "/api/v1/users/{id}/points", body: `{"amount":-4,"reason":"advance","counter":"credits","idempotency_key":"c-1"}`, status: 201,
				want: []string{`"balance":-4`, `"counter":"credits"`}},
			{name: "balances", role: viewer, method: "GET", path: "/api/v1/users/{id}/points", status: 200, want: []string{`"balances":{"credits":-4,"points":25}`}},
			{name: "one counter", role: viewer, method: "GET", path: "/api/v1/users/{id}/points?counter=credits", status: 200, want: []string{`"counter":"credits"`}, notWant: []string{`"counter":"points"`}},
			{name: "bad counter filter", role: viewer, method: "GET", path: "/api/v1/users/{id}/points?counter=nope", status: 400},
			{name: "bad cursor", role: viewer, method: "GET", path: "/api/v1/users/{id}/points?cursor=abc", status: 400, want: []string{"cursor"}},
			{name: "bad limit", role: viewer, method: "GET", path: "/api/v1/users/{id}/points?limit=0", status: 400, want: []string{"limit"}},
		})
		// Cursor pages walk every entry once, newest first.
		var seen []float64
		path := "/api/v1/users/" + id + "/points?limit=1"
		for range 10 {
			st, out := ts.do(t, roster.RoleViewer, "GET", path, "")
			if st != 200 {
				t.Fatalf("page: %d %s", st, out)
			}
			var page struct {
				Entries []map[string]any `json:"entries"`
				Next    string           `json:"next_cursor"`
			}
			if err := json.Unmarshal([]byte(out), &page); err != nil {
				t.Fatal(err)
			}
			for _, e := range page.Entries {
				seen = append(seen, e["amount"].(float64))
			}
			if page.Next == "" {
				break
			}
			path = "/api/v1/users/" + id + "/points?limit=1&cursor=" + page.Next
		}
		if len(seen) != 3 || seen[0] != -4 || seen[1] != 20 || seen[2] != 5 {
			t.Errorf("pages = %v, want [-4 20 5]", seen)
		}
	})
}

func TestAPI_NotesAndTasks(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ts := mustOpenServer(t, db)
		id := ts.createUser(t, `{"email":"ada@example.com","first_name":"Ada"}`)
		support, viewer := roster.RoleSupport, roster.RoleViewer
		st, out := ts.do(t, support, "POST", "/api/v1/users/"+id+"/notes", `{"body":"Likes **tea**. <script>alert(1)</script> [x](javascript:alert(1))","pinned":true}`)
		if st != http.StatusCreated {
			t.Fatalf("create note: %d %s", st, out)
		}
		var note struct{ ID int64 }
		json.Unmarshal([]byte(out), &note)
		nid := itoa(note.ID)
		yesterday := time.Now().UTC().AddDate(0, 0, -1).Format(time.DateOnly)
		runScenarios(t, ts, id, []scenario{
			{name: "notes", role: viewer, method: "GET", path: "/api/v1/users/{id}/notes", status: 200,
				want: []string{`"pinned":true`, `"author":"support@staff.example.com"`,
					`"html":"\u003cp\u003eLikes \u003cstrong\u003etea\u003c/strong\u003e. \u0026lt;script\u0026gt;alert(1)\u0026lt;/script\u0026gt; x)\u003c/p\u003e"`},
				notWant: []string{`href=\"javascript`}},
			{name: "empty note", role: support, method: "POST", path: "/api/v1/users/{id}/notes", body: `{"body":"  "}`, status: 422, want: []string{`"body":"is required"`}},
			{name: "long note", role: support, method: "POST", path: "/api/v1/users/{id}/notes", body: `{"body":"` + strings.Repeat("a", 10001) + `"}`, status: 422, want: []string{`"body":"is longer than 10,000 characters"`}},
			{name: "note wrong type", role: support, method: "POST", path: "/api/v1/users/{id}/notes", body: `{"body":5}`, status: 422, want: []string{`"body":"must be text"`}},
			{name: "edit", role: support, method: "PATCH", path: "/api/v1/users/{id}/notes/" + nid, body: `{"body":"Likes green tea."}`, status: 200, want: []string{`"version":2`}},
			{name: "history", role: viewer, method: "GET", path: "/api/v1/users/{id}/notes/" + nid, status: 200,
				want: []string{`"versions":[{"version":2,"body":"Likes green tea."`, `{"version":1,"body":"Likes **tea**.`}},
			{name: "viewer cannot note", role: viewer, method: "POST", path: "/api/v1/users/{id}/notes", body: `{"body":"x"}`, status: 403},
			{name: "unknown note", role: support, method: "PATCH", path: "/api/v1/users/{id}/notes/99999", body: `{"body":"x"}`, status: 404},
			{name: "note id not a number", role: support, method: "DELETE", path: "/api/v1/users/{id}/notes/abc", status: 404},
			{name: "task", role: support, method: "POST", path: "/api/v1/users/{id}/tasks", body: `{"title":"Call back","due":"` + yesterday + `"}`, status: 201,
				want: []string{`"assignee":"support@staff.example.com"`, `"due":"` + yesterday + `"`, `"user_name":"Ada"`, `"done":false`}},
			{name: "task no title", role: support, method: "POST", path: "/api/v1/users/{id}/tasks", body: `{"title":""}`, status: 422, want: []string{`"title":"is required"`}},
			{name: "task bad due", role: support, method: "POST", path: "/api/v1/users/{id}/tasks", body: `{"title":"x","due":"tomorrow"}`, status: 422, want: []string{`"due":"\"tomorrow\" is not a date in the form YYYY-MM-DD"`}},
			{name: "task due number", role: support, method: "POST", path: "/api/v1/users/{id}/tasks", body: `{"title":"x","due":5}`, status: 422, want: []string{`"due":"must be a day`}},
			{name: "task unknown assignee", role: support, method: "POST", path: "/api/v1/users/{id}/tasks", body: `{"title":"x","assignee_id":99999}`, status: 422, want: []string{`"assignee_id":"is not an active staff account"`}},
			{name: "task done on create", role: support, method: "POST", path: "/api/v1/users/{id}/tasks", body: `{"title":"x","done":true}`, status: 422, want: []string{`"done":"cannot be set on a new task"`}},
			{name: "my open tasks", role: support, method: "GET", path: "/api/v1/tasks?assignee=me&status=open", status: 200, want: []string{`"title":"Call back"`}},
			{name: "another's tasks", role: viewer, method: "GET", path: "/api/v1/tasks?assignee=me", status: 200, want: []string{`"tasks":[]`}},
			{name: "bad status", role: viewer, method: "GET", path: "/api/v1/tasks?status=later", status: 400, want: []string{"status must be open or done"}},
			{name: "bad assignee", role: viewer, method: "GET", path: "/api/v1/tasks?assignee=bob", status: 400, want: []string{"assignee"}},
			{name: "user tasks", role: viewer, method: "GET", path: "/api/v1/users/{id}/tasks?status=open", status: 200, want: []string{`"title":"Call back"`}},
			{name: "tasks of unknown user", role: viewer, method: "GET", path: "/api/v1/users/u_nope/tasks", status: 404},
			{name: "notes of unknown user", role: viewer, method: "GET", path: "/api/v1/users/u_nope/notes", status: 404},
		})
		_, out = ts.do(t, support, "GET", "/api/v1/tasks?assignee=me&status=open", "")
		var list struct{ Tasks []struct{ ID int64 } }
		json.Unmarshal([]byte(out), &list)
		if len(list.Tasks) != 1 {
			t.Fatalf("tasks = %s", out)
		}
		tid := itoa(list.Tasks[0].ID)
		runScenarios(t, ts, id, []scenario{
			{name: "done", role: support, method: "PATCH", path: "/api/v1/users/{id}/tasks/" + tid, body: `{"done":true,"due":null}`, status: 200, want: []string{`"done":true`, `"done_at":`}, notWant: []string{`"due"`}},
			{name: "no open tasks", role: support, method: "GET", path: "/api/v1/tasks?assignee=me&status=open", status: 200, want: []string{`"tasks":[]`}},
			{name: "delete task", role: support, method: "DELETE", path: "/api/v1/users/{id}/tasks/" + tid, status: 204},
			{name: "delete note", role: support, method: "DELETE", path: "/api/v1/users/{id}/notes/" + nid, status: 204},
			{name: "note gone", role: viewer, method: "GET", path: "/api/v1/users/{id}/notes/" + nid, status: 404},
		})
	})
}

func TestPages_LedgerNotesTasks(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ts := mustOpenServer(t, db)
		id := ts.createUser(t, `{"email":"ada@example.com","first_name":"Ada","points":3}`)
		b := newBrowser(t, ts)
		b.signIn(roster.RoleSupport, "/")
		profile := "/users/" + id

		resp := b.postForm(profile, profile+"/points", url.Values{"direction": {"add"}, "amount": {"12"}, "reason": {"helped <b>newcomers</b>"}})
		wantStatus(t, "add points", resp, http.StatusSeeOther)
		resp = b.postForm(profile, profile+"/points", url.Values{"direction": {"remove"}, "amount": {"100"}, "reason": {"shop"}})
		wantStatus(t, "too many", resp, http.StatusUnprocessableEntity)
		wantContains(t, "too many", resp.Body, "would take the balance below zero (it is 15)", `value="shop"`)
		resp = b.postForm(profile, profile+"/points", url.Values{"amount": {"ten"}, "reason": {"x"}})
		wantStatus(t, "not a number", resp, http.StatusUnprocessableEntity)
		wantContains(t, "not a number", resp.Body, "amount must be a whole number above zero")
		resp = b.postForm(profile, profile+"/points", url.Values{"amount": {"1"}, "reason": {""}})
		wantStatus(t, "no reason", resp, http.StatusUnprocessableEntity)
		wantContains(t, "no reason", resp.Body, "reason is required")

		resp = b.postForm(profile, profile+"/notes", url.Values{"body": {"Prefers **email**.\n<img src=x onerror=alert(1)>"}, "pinned": {"true"}})
		wantStatus(t, "add note", resp, http.StatusSeeOther)
		resp = b.postForm(profile, profile+"/notes", url.Values{"body": {""}})
		wantStatus(t, "empty note", resp, http.StatusUnprocessableEntity)
		wantContains(t, "empty note", resp.Body, "body is required")

		ann := roster.Staff{}
		st, err := sqldb.NewStaffService(db).FindStaffByEmail(t.Context(), "support@staff.example.com")
		if err != nil {
			t.Fatal(err)
		}
		ann = *st
		yesterday := time.Now().UTC().AddDate(0, 0, -2).Format(time.DateOnly)
		for _, f := range []url.Values{
			{"title": {"Later"}, "assignee_id": {itoa(ann.ID)}},
			{"title": {"Call back"}, "due": {yesterday}, "assignee_id": {itoa(ann.ID)}},
		} {
			wantStatus(t, "add task", b.postForm(profile, profile+"/tasks", f), http.StatusSeeOther)
		}
		resp = b.postForm(profile, profile+"/tasks", url.Values{"title": {"x"}, "due": {"soon"}, "assignee_id": {itoa(ann.ID)}})
		wantStatus(t, "bad due", resp, http.StatusUnprocessableEntity)
		wantContains(t, "bad due", resp.Body, `due &#34;soon&#34; is not a date`)

		resp = b.get(profile)
		wantStatus(t, "profile", resp, http.StatusOK)
		wantContains(t, "profile", resp.Body, `id="balance-points">15<`, "helped &lt;b&gt;newcomers&lt;/b&gt;", "+12",
			"<strong>email</strong>", "&lt;img src=x", `class="pill">Pinned`, "Call back", "overdue", `href="/tasks"`,
			`<span class="ro" id="v-points">15</span>`)
		wantLacks(t, "profile", resp.Body, "<img src=x", `name="v.points"`)

		resp = b.get("/tasks")
		wantStatus(t, "my tasks", resp, http.StatusOK)
		wantContains(t, "my tasks", resp.Body, "My tasks", `href="/users/`+id+`#tasks">Ada</a>`)
		if i, j := strings.Index(resp.Body, "Call back"), strings.Index(resp.Body, "Later"); i < 0 || j < 0 || i > j {
			t.Errorf("overdue task not first: %d %d", i, j)
		}
		resp = b.get("/")
		wantContains(t, "dashboard", resp.Body, "My tasks due", "1 task due today or overdue")

		// The generic editor no longer sets points.
		resp = b.postForm(profile, profile, url.Values{"field": {"points"}, "v.points": {"999"}})
		wantStatus(t, "edit points", resp, http.StatusUnprocessableEntity)
		wantContains(t, "edit points", resp.Body, "cannot be changed here")

		viewer := newBrowser(t, ts)
		viewer.signIn(roster.RoleViewer, "/")
		resp = viewer.get(profile)
		wantContains(t, "viewer profile", resp.Body, `id="balance-points">15<`, "<strong>email</strong>")
		wantLacks(t, "viewer profile", resp.Body, `action="/users/`+id+`/points"`, `action="/users/`+id+`/notes"`)
	})
}
