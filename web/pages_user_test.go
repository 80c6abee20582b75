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
