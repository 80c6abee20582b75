package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"roster"
	"roster/password"
	"roster/sqldb"
	"roster/sqldb/sqldbtest"
)

// TestPages_UserActions covers the profile's actions beyond editing: ban
// with a reason, reset a password, delete after confirming.
func TestPages_UserActions(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ts := mustOpenServer(t, db)
		id := ts.createUser(t, `{"email":"pat@example.com","first_name":"Pat"}`)
		profile := "/users/" + id
		users := sqldb.NewUserService(db)

		support := newBrowser(t, ts)
		support.signIn(roster.RoleSupport, "/")

		t.Run("Ban", func(t *testing.T) {
			b := support.with(t)
			resp := b.postForm(profile, profile+"/status", url.Values{"status": {"banned"}, "reason": {"spam <b>links</b>"}})
			wantRedirect(t, "ban", resp, profile)
			u, _ := users.FindUserByID(context.Background(), id)
			if u.Status != roster.StatusBanned {
				t.Fatalf("status %q, want banned", u.Status)
			}
			act := b.get(profile + "/activity")
			wantContains(t, "activity", act.Body, "spam &lt;b&gt;links&lt;/b&gt;")
		})

		t.Run("ResetPassword", func(t *testing.T) {
			b := support.with(t)
			resp := b.postForm(profile, profile+"/password", url.Values{})
			wantStatus(t, "reset", resp, http.StatusOK)
			m := regexp.MustCompile(`<code class="big">([^<]+)</code>`).FindStringSubmatch(resp.Body)
			if m == nil {
				t.Fatalf("no new password shown:\n%s", resp.Body)
			}
			u, _ := users.FindUserByID(context.Background(), id)
			if err := password.Verify(m[1], u.PasswordHash); err != nil {
				t.Errorf("the password shown is not the user's: %v", err)
			}
			entries, _ := sqldb.NewAuditService(db).FindAuditEntries(context.Background(), roster.AuditFilter{TargetID: id, Action: "user.update"})
			if len(entries) == 0 || entries[0].Note != "password reset by staff" || entries[0].Actor != "support@staff.example.com" {
				t.Errorf("audit: %+v", entries)
			}
			// The password is shown once: the profile does not show it again.
			if strings.Contains(b.get(profile).Body, m[1]) {
				t.Error("the new password is shown again")
			}
		})

		t.Run("ViewerCannot", func(t *testing.T) {
			v := newBrowser(t, ts)
			v.signIn(roster.RoleViewer, "/")
			page := v.get(profile)
			wantLacks(t, "viewer profile", page.Body, "/password", "/status", "/delete", `name="v.`)
			csrf := formValue(t, csrfInput, page.Body)
			for _, path := range []string{"/password", "/status", "/delete"} {
				resp := v.post(profile+path, url.Values{"csrf": {csrf}, "status": {"active"}, "confirm": {"pat@example.com"}}, nil)
				wantStatus(t, "viewer POST "+path, resp, http.StatusForbidden)
			}
		})

		t.Run("DeleteNeedsConfirmation", func(t *testing.T) {
			admin := newBrowser(t, ts)
			admin.signIn(roster.RoleAdmin, "/")
			resp := admin.postForm(profile, profile+"/delete", url.Values{"confirm": {"someone@else.com"}})
			wantStatus(t, "delete unconfirmed", resp, http.StatusUnprocessableEntity)
			if _, err := users.FindUserByID(context.Background(), id); err != nil {
				t.Fatalf("deleted without confirmation: %v", err)
			}
			resp = admin.postForm(profile, profile+"/delete", url.Values{"confirm": {"PAT@example.com"}})
			wantRedirect(t, "delete", resp, "/users")
			if _, err := users.FindUserByID(context.Background(), id); roster.ErrorCode(err) != roster.ENOTFOUND {
				t.Fatalf("still there: %v", err)
			}
			if got := admin.get(profile); got.StatusCode != http.StatusNotFound {
				t.Errorf("deleted profile: %d", got.StatusCode)
			}
		})
	})
}

// TestPages_FilterPanel checks that the Fields panel turns its controls
// into the filter text: "after" excludes its day, "until" includes its day,
// and the panel adds to the conditions already there.
func TestPages_FilterPanel(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ts := mustOpenServer(t, db)
		b := newBrowser(t, ts)
		b.signIn(roster.RoleViewer, "/")
		for _, tc := range []struct {
			params url.Values
			want   string
		}{
			{url.Values{"f.created_at.from": {"2025-02-28"}, "f.created_at.to": {"2025-03-31"}}, "country:FR created_at:2025-03-01..2025-03-31"},
			{url.Values{"f.points.from": {"5001"}}, "country:FR points:>=5001"},
			{url.Values{"f.last_visit.to": {"2025-01-31"}}, "country:FR last_visit:<=2025-01-31"},
			{url.Values{"f.roles.op": {"none"}, "f.roles.v": {"vip, staff"}}, "country:FR -roles:vip,staff"},
			{url.Values{"f.badges.op": {"all"}, "f.badges.v": {"a,b"}}, "country:FR badges:a+b"},
			{url.Values{"f.city.op": {"contains"}, "f.city.v": {"new york"}}, `country:FR city:~"new york"`},
			{url.Values{"f.status.v": {"active", "banned"}}, "country:FR status:active,banned"},
			{url.Values{"f.newsletter.v": {"true"}}, "country:FR newsletter:true"},
			{url.Values{"f.bio.op": {"empty"}}, "country:FR bio:none"},
		} {
			tc.params.Set("panel", "1")
			tc.params.Set("q", "country:FR")
			resp := b.get("/users?" + tc.params.Encode())
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("%v: status %d", tc.params, resp.StatusCode)
			}
			loc, _ := url.Parse(resp.Header.Get("Location"))
			if got := loc.Query().Get("q"); got != tc.want {
				t.Errorf("%v: q = %q, want %q", tc.params, got, tc.want)
			}
		}
		resp := b.get("/users?panel=1&f.created_at.from=2025-13-45")
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(resp.Body, "is not a date") {
			t.Errorf("bad date in the panel: %d", resp.StatusCode)
		}
	})
}

// TestPages_TableBadParameters: a bad page size, page or sort is named on
// the page with a 400, never a 500, and the table still shows.
func TestPages_TableBadParameters(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ts := mustOpenServer(t, db)
		ts.createUser(t, `{"email":"one@example.com"}`)
		b := newBrowser(t, ts)
		b.signIn(roster.RoleViewer, "/")
		for path, want := range map[string]string{
			"/users?limit=7":                         "page size",
			"/users?page=zero":                       "not a page number",
			"/users?sort=bio":                        "cannot be sorted",
			"/users?q=cuntry:FR":                     "did you mean country",
			"/users?q=" + url.QueryEscape(`city:"x`): "unterminated",
		} {
			resp := b.get(path)
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(resp.Body, want) {
				t.Errorf("%s: %d, want 400 with %q", path, resp.StatusCode, want)
			}
		}
		if resp := b.get("/users?page=99"); resp.StatusCode != http.StatusOK || !strings.Contains(resp.Body, "No users match") {
			t.Errorf("a page past the end: %d", resp.StatusCode)
		}
	})
}
