package web_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"roster"
	"roster/jobs"
	"roster/sqldb"
	"roster/sqldb/sqldbtest"
	"roster/web"
)

// newestJob returns the id of the newest job of kind.
func (w *world) newestJob(t *testing.T, kind roster.JobKind) int64 {
	t.Helper()
	js, err := w.jobs.FindJobs(w.ctx, kind, 1)
	if err != nil || len(js) == 0 {
		t.Fatalf("no %s job: %v", kind, err)
	}
	return js[0].ID
}

// inviteJob queues the bulk invite of a new user and returns its job id.
func (w *world) inviteJob(t *testing.T) int64 {
	t.Helper()
	id, _ := w.user(t, "invite-job")
	u, err := w.users.FindUserByID(w.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	j, err := w.ts.Web.Invites.StartInvites(w.ctx, []int64{u.ID}, "test")
	if err != nil {
		t.Fatal(err)
	}
	return j.ID
}

// TestBulkInvite: the table's bulk panel offers the invite; the
// confirmation page states the count and the skips; confirming queues a
// job whose page and API show its counts; the API refuses bad filters by
// name; revoke answers the status the user is back to.
func TestBulkInvite(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		js := sqldb.NewJobService(db)
		ts := mustOpenServerWith(t, db, func(s *web.Server) { s.Jobs = js })
		ctx := roster.NewContextWithActor(t.Context(), roster.Actor{Label: "test"})
		users := sqldb.NewUserService(db)
		var pending string
		for _, u := range []struct {
			u  roster.User
			pw string
		}{
			{roster.User{Email: "pending@example.com", Status: roster.StatusPending, Country: "FR"}, ""},
			{roster.User{Email: "banned@example.com", Status: roster.StatusBanned, Country: "FR"}, ""},
			{roster.User{ClientID: "no-email", Country: "FR"}, ""},
			{roster.User{Email: "accepted@example.com", Country: "FR"}, "a good password"},
			{roster.User{Email: "elsewhere@example.com", Status: roster.StatusPending, Country: "BE"}, ""},
		} {
			if err := users.CreateUser(ctx, &u.u, u.pw); err != nil {
				t.Fatal(err)
			}
			if u.u.Email == "pending@example.com" {
				pending = u.u.PublicID
			}
		}
		runner := jobs.NewRunner(&jobs.Importer{Jobs: js, Fields: sqldb.NewFieldService(db), Log: slog.New(slog.DiscardHandler)})
		runner.Handle(roster.JobInvite, &jobs.Inviter{Invites: ts.Web.Invites, Batch: 2})

		admin := newBrowser(t, ts)
		admin.signIn(roster.RoleAdmin, "/")
		wantContains(t, "users table", admin.page("/users?q=country:FR"), `action="/users/bulk/invite"`, "Invite these users…")
		confirm := admin.page("/users/bulk/invite?q=country:FR")
		wantContains(t, "confirmation", confirm, "Invite 1 user?", "<code>country:FR</code>: 4 users", "1 without an email address", "1 banned", "1 who accepted an invite already")
		resp := admin.postForm("/users/bulk/invite?q=country:FR", "/users/bulk/invite", url.Values{"q": {"country:FR"}})
		loc := resp.Header.Get("Location")
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/invites/") {
			t.Fatalf("confirm: %d to %q\n%s", resp.StatusCode, loc, resp.Body)
		}
		wantContains(t, "queued job", admin.page(loc), "waiting to run", `http-equiv="refresh"`, "invite 1 of 4 users matching country:FR")
		runner.RunQueued(ctx)
		done := admin.page(loc)
		wantContains(t, "job done", done, `id="invite-status">done`, "4</span> of 4 users done", `id="invite-sent">1</strong> invited`, "1 skipped (banned)", "1 skipped (without an email)")
		wantLacks(t, "job done", done, `http-equiv="refresh"`)
		if u, _ := users.FindUserByID(ctx, pending); u.Status != roster.StatusInvited {
			t.Errorf("pending@ after the job: %s, want invited", u.Status)
		}

		// The profile offers to resend and to revoke the invitation.
		wantContains(t, "invited profile", admin.page("/users/"+pending), "Resend the invitation…", "Revoke the invitation…", `action="/users/`+pending+`/invite/revoke"`)

		// The API: the same invite (a resend for pending@), then its job.
		st, body := ts.do(t, roster.RoleAdmin, "POST", "/api/v1/users/invite", `{"q":"country:FR"}`)
		var j struct {
			ID     int64            `json:"id"`
			Kind   string           `json:"kind"`
			Status string           `json:"status"`
			Total  int64            `json:"total"`
			Tally  map[string]int64 `json:"tally"`
			URL    string           `json:"url"`
		}
		if err := json.Unmarshal([]byte(body), &j); st != http.StatusAccepted || err != nil || j.Kind != "invite" || j.Total != 4 || j.Status != "queued" {
			t.Fatalf("POST /api/v1/users/invite: %d %s", st, body)
		}
		if strings.Contains(body, `"ids"`) {
			t.Errorf("the job's answer lists the users' store ids: %s", body)
		}
		runner.RunQueued(ctx)
		st, body = ts.do(t, roster.RoleAdmin, "GET", j.URL, "")
		if err := json.Unmarshal([]byte(body), &j); st != http.StatusOK || err != nil || j.Status != "done" || j.Tally["invited"] != 1 || j.Tally["skipped_accepted"] != 1 {
			t.Fatalf("GET %s: %d %s", j.URL, st, body)
		}
		for _, c := range []struct{ body, want string }{
			{`{}`, `"q":"is required`},
			{`{"q":"country:"}`, `"q":`},
			{`{"q":"email:nobody@example.com"}`, "No users match"},
			{`{"q":"country:FR","ids":[1]}`, "ids"},
		} {
			if st, body := ts.do(t, roster.RoleAdmin, "POST", "/api/v1/users/invite", c.body); st < 400 || st >= 500 || !strings.Contains(body, c.want) {
				t.Errorf("POST /api/v1/users/invite %s: %d %s, want a 4xx naming %s", c.body, st, body, c.want)
			}
		}
		if st, body := ts.do(t, roster.RoleAdmin, "GET", fmt.Sprintf("/api/v1/invites/%d", j.ID+100), ""); st != http.StatusNotFound {
			t.Errorf("a missing invite job: %d %s", st, body)
		}

		// Revoke: the status before the first invite comes back.
		if st, body := ts.do(t, roster.RoleAdmin, "DELETE", "/api/v1/users/"+pending+"/invite", ""); st != http.StatusOK || body != `{"status":"pending"}`+"\n" {
			t.Errorf("revoke: %d %q", st, body)
		}
		if st, body := ts.do(t, roster.RoleAdmin, "DELETE", "/api/v1/users/"+pending+"/invite", ""); st != http.StatusConflict || !strings.Contains(body, "no open invite") {
			t.Errorf("revoke again: %d %s", st, body)
		}
		// From the profile, a user with no open invite: the page says why.
		resp = admin.postForm("/users/"+pending, "/users/"+pending+"/invite/revoke", url.Values{})
		wantStatus(t, "revoke from the profile, not invited", resp, http.StatusConflict)
		wantContains(t, "revoke from the profile, not invited", resp.Body, "no open invite")
		wantLacks(t, "profile after the revoke", admin.page("/users/"+pending), "Revoke the invitation…")
	})
}
