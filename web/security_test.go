package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"roster"
	"roster/sqldb"
	"roster/sqldb/sqldbtest"
)

// TestStaffSecurity_OwnerRoutes: an owner requires two-factor sign-in,
// after which an admin without it is sent to enrol from every page (not
// from the API, whose tokens are their own credential) while a viewer is
// not; an owner resets a second factor, audited; an admin may end a
// viewer's sessions but not an owner's; a bad subscription is refused with
// its fields named.
func TestStaffSecurity_OwnerRoutes(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ts := mustOpenServer(t, db)
		staff := sqldb.NewStaffService(db)
		ctx := context.Background()
		find := func(role roster.Role) *roster.Staff {
			s, err := staff.FindStaffByEmail(ctx, string(role)+"@staff.example.com")
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		owner, admin, viewer := newBrowser(t, ts), newBrowser(t, ts), newBrowser(t, ts)
		owner.signIn(roster.RoleOwner, "/")
		admin.signIn(roster.RoleAdmin, "/")
		viewer.signIn(roster.RoleViewer, "/")

		w := &world{ts: ts, db: db, staff: staff, ctx: ctx}
		if resp := owner.post("/settings/two-factor", url.Values{"csrf": {owner.csrf()}, "required": {"true"}}, nil); resp.StatusCode != http.StatusConflict ||
			!strings.Contains(resp.Body, "Turn on two-factor sign-in for your own account first") {
			t.Fatalf("an owner without two-factor requires it: %d", resp.StatusCode)
		}
		w.enrolTwoFactor(t, find(roster.RoleOwner))
		if resp := owner.post("/settings/two-factor", url.Values{"csrf": {owner.csrf()}, "required": {"true"}}, nil); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("require two-factor: %d", resp.StatusCode)
		}
		wantIn(t, "the staff page", owner.get("/settings/staff").Body, "is <strong>required</strong> for owners and admins")
		for _, path := range []string{"/users", "/settings/staff", "/account/devices"} {
			if resp := admin.get(path); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/account/two-factor" {
				t.Errorf("an admin without two-factor opens %s: %d to %q, want 303 to /account/two-factor", path, resp.StatusCode, resp.Header.Get("Location"))
			}
		}
		wantIn(t, "the enrolment page", admin.get("/account/two-factor").Body, `id="must-enrol"`, `id="begin-two-factor"`)
		if st, _ := ts.do(t, roster.RoleAdmin, "GET", "/api/v1/tags", ""); st != http.StatusOK {
			t.Errorf("the API with an admin token: %d", st)
		}
		if resp := viewer.get("/users"); resp.StatusCode != http.StatusOK {
			t.Errorf("a viewer is not required to enrol: %d", resp.StatusCode)
		}
		a := find(roster.RoleAdmin)
		w.enrolTwoFactor(t, a)
		if resp := admin.get("/users"); resp.StatusCode != http.StatusOK {
			t.Errorf("an enrolled admin: %d", resp.StatusCode)
		}
		// Turn the rule off, then reset the admin's second factor.
		if resp := owner.post("/settings/two-factor", url.Values{"csrf": {owner.csrf()}, "required": {"false"}}, nil); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("stop requiring: %d", resp.StatusCode)
		}
		wantIn(t, "the admin's devices, as the owner", owner.get("/settings/staff/"+itoa(a.ID)+"/devices").Body, `id="reset-two-factor"`)
		if resp := owner.post("/settings/staff/"+itoa(a.ID)+"/two-factor/reset", url.Values{"csrf": {owner.csrf()}}, nil); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("reset: %d %s", resp.StatusCode, resp.Body)
		}
		if tf, _ := staff.TwoFactor(ctx, a.ID); tf.Enabled {
			t.Error("the admin's second factor survived the reset")
		}
		entries, _ := sqldb.NewAuditService(db).FindAuditEntries(ctx, roster.AuditFilter{Action: "staff.two_factor.reset"})
		if len(entries) != 1 || entries[0].Actor != "owner@staff.example.com" || entries[0].TargetID != itoa(a.ID) {
			t.Errorf("reset audit entries: %+v", entries)
		}
		if entries, _ := sqldb.NewAuditService(db).FindAuditEntries(ctx, roster.AuditFilter{Action: "settings.two_factor_required"}); len(entries) != 2 {
			t.Errorf("%d settings.two_factor_required entries, want 2", len(entries))
		}

		// An admin ends a viewer's sessions, not an owner's.
		o, v := find(roster.RoleOwner), find(roster.RoleViewer)
		if resp := admin.post("/settings/staff/"+itoa(o.ID)+"/devices/end-all", url.Values{"csrf": {admin.csrf()}}, nil); resp.StatusCode != http.StatusForbidden {
			t.Errorf("an admin ends an owner's sessions: %d", resp.StatusCode)
		}
		if resp := owner.get("/users"); resp.StatusCode != http.StatusOK {
			t.Errorf("the owner was signed out: %d", resp.StatusCode)
		}
		if st, out := ts.do(t, roster.RoleAdmin, "GET", "/api/v1/staff/"+itoa(v.ID)+"/sessions", ""); st != http.StatusOK || !strings.Contains(out, `"sessions":[{"id":`) {
			t.Errorf("the viewer's sessions in the API: %d %s", st, out)
		}
		if st, _ := ts.do(t, roster.RoleSupport, "GET", "/api/v1/staff/"+itoa(v.ID)+"/sessions", ""); st != http.StatusForbidden {
			t.Errorf("support lists staff sessions: %d", st)
		}
		if st, _ := ts.do(t, roster.RoleAdmin, "DELETE", "/api/v1/staff/"+itoa(o.ID)+"/sessions", ""); st != http.StatusForbidden {
			t.Errorf("an admin ends an owner's sessions through the API: %d", st)
		}
		wantIn(t, "the viewer's devices, as the admin", admin.get("/settings/staff/"+itoa(v.ID)+"/devices").Body, "Sign out every device", `id="session-`)
		if resp := admin.post("/settings/staff/"+itoa(v.ID)+"/devices/end-all", url.Values{"csrf": {admin.csrf()}}, nil); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("an admin ends a viewer's sessions: %d", resp.StatusCode)
		}
		if resp := viewer.get("/users"); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/signin") {
			t.Errorf("the viewer after their sessions ended: %d to %s", resp.StatusCode, resp.Header.Get("Location"))
		}

		// Web notifications: a bad subscription names its fields; a good
		// one is listed with remove.
		bad := url.Values{"csrf": {admin.csrf()}, "endpoint": {"http://push.example.com/x"}, "p256dh": {"short"}, "auth": {"x"}, "alerts": {"import.done"}}
		resp := admin.post("/account/push", bad, nil)
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("a bad subscription: %d", resp.StatusCode)
		}
		wantIn(t, "a bad subscription", resp.Body, "must be the https URL of a push service")
		none := testSubscription("https://push.example.com/y")
		none.Del("alerts")
		none.Set("csrf", admin.csrf())
		wantIn(t, "no alerts", admin.post("/account/push", none, nil).Body, "must name at least one alert")
		good := testSubscription("https://push.example.com/z")
		good.Set("csrf", admin.csrf())
		if resp := admin.post("/account/push", good, nil); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("subscribe: %d %s", resp.StatusCode, resp.Body)
		}
		wantIn(t, "the devices page", admin.get("/account/devices").Body, "An import I started finished or failed", `/delete"`, `data-vapid-key="`+ts.Web.VAPIDPublicKey+`"`)
	})
}
