package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"roster"
)

// Helpers of the route tests for the staff security routes: sessions,
// second factors and push subscriptions made straight in the store.

// staffSession starts a session of staff and returns its id and token.
func (w *world) staffSession(t *testing.T, staff *roster.Staff) (int64, string) {
	t.Helper()
	tok, err := w.staff.CreateSession(w.ctx, staff.ID, "192.0.2.50", "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0")
	if err != nil {
		t.Fatal(err)
	}
	sess, _, err := w.staff.FindSession(w.ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	return sess.ID, tok
}

// staffSessionsOf describes the sessions of staff, for scope checks.
func (w *world) staffSessionsOf(t *testing.T, staff *roster.Staff) string {
	t.Helper()
	ss, err := w.staff.FindSessions(w.ctx, staff.ID)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, s := range ss {
		ids = append(ids, s.ID)
	}
	return fmt.Sprintf("staff %d sessions %v", staff.ID, ids)
}

// enrolTwoFactor turns two-factor sign-in on for staff in the store and
// returns its secret and recovery codes.
func (w *world) enrolTwoFactor(t *testing.T, staff *roster.Staff) ([]byte, []string) {
	t.Helper()
	ctx := roster.NewContextWithActor(context.Background(), roster.StaffActor(staff))
	b32, err := w.staff.BeginTwoFactor(ctx, staff.ID)
	if err != nil {
		t.Fatal(err)
	}
	secret, err := roster.ParseTOTPSecret(b32)
	if err != nil {
		t.Fatal(err)
	}
	codes, err := w.staff.ConfirmTwoFactor(ctx, staff.ID, roster.TOTP(secret, time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	return secret, codes
}

// testSubscription is a push subscription as a browser gives it (the
// keys need only the right form here).
func testSubscription(endpoint string) url.Values {
	return url.Values{"endpoint": {endpoint}, "p256dh": {"B" + strings.Repeat("A", 86)}, "auth": {"AAAAAAAAAAAAAAAAAAAAAA"},
		"alerts": {string(roster.AlertImportDone)}}
}

var secretRe = regexp.MustCompile(`id="totp-secret">([A-Z2-7]+)<`)

// securityAuditRoutes are the rows of auditRoutes for the security routes.
var securityAuditRoutes = map[string][]auditCase{
	"POST /signin/code": {{none: "the second step of a sign-in, audited with the password as staff.sign_in", do: func(t *testing.T, w *world) []wantEntry {
		st := w.newStaff(t)
		secret, _ := w.enrolTwoFactor(t, st)
		b := newBrowser(t, w.ts)
		resp := b.post("/signin", url.Values{"email": {st.Email}, "password": {staffPassword}, "next": {"/"}}, nil)
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/signin/code") {
			t.Fatalf("password step: %d to %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		w.markNow(t)
		// The enrolment used this step's code: the next one is valid too.
		resp = b.post("/signin/code", url.Values{"code": {roster.TOTP(secret, time.Now().Add(roster.TOTPPeriod))}, "next": {"/"}}, nil)
		if resp.StatusCode != http.StatusSeeOther || b.sessionCookie() == "" {
			t.Fatalf("code step: %d, session %q; %.300s", resp.StatusCode, b.sessionCookie(), resp.Body)
		}
		return nil
	}}},
	"POST /account/two-factor": {
		{name: "begin", none: "a new secret, not in force until a code confirms it", do: func(t *testing.T, w *world) []wantEntry {
			w.page(t, "/account/two-factor", url.Values{"op": {"begin"}}, http.StatusOK)
			return nil
		}},
		{name: "confirm", do: func(t *testing.T, w *world) []wantEntry {
			resp := w.page(t, "/account/two-factor", url.Values{"op": {"begin"}}, http.StatusOK)
			m := secretRe.FindStringSubmatch(resp.Body)
			if m == nil {
				t.Fatalf("no secret on the enrolment page:\n%.500s", resp.Body)
			}
			secret, _ := roster.ParseTOTPSecret(m[1])
			w.page(t, "/account/two-factor", url.Values{"op": {"confirm"}, "secret": {m[1]}, "code": {roster.TOTP(secret, time.Now())}}, http.StatusOK)
			return []wantEntry{{Action: "staff.two_factor.enable", TargetType: "staff", TargetID: itoa(w.actor.ID)}}
		}, after: func(t *testing.T, w *world) {
			if err := w.staff.ResetTwoFactor(w.ctx, w.actor.ID); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "disable", do: func(t *testing.T, w *world) []wantEntry {
			_, codes := w.enrolTwoFactor(t, w.actor)
			w.page(t, "/account/two-factor", url.Values{"op": {"disable"}, "current_password": {staffPassword}, "code": {codes[0]}}, http.StatusSeeOther)
			return []wantEntry{{Action: "staff.two_factor.recovery_code", TargetType: "staff", TargetID: itoa(w.actor.ID)},
				{Action: "staff.two_factor.disable", TargetType: "staff", TargetID: itoa(w.actor.ID)}}
		}},
	},
	"POST /account/devices/{session}/end": {{none: "the staff member's own session: no data changes", do: func(t *testing.T, w *world) []wantEntry {
		id, _ := w.staffSession(t, w.actor)
		w.page(t, "/account/devices/"+itoa(id)+"/end", url.Values{}, http.StatusSeeOther)
		return nil
	}}},
	"POST /account/devices/end-all": {{none: "the staff member's own sessions: no data changes", do: func(t *testing.T, w *world) []wantEntry {
		w.staffSession(t, w.actor)
		w.page(t, "/account/devices/end-all", url.Values{}, http.StatusSeeOther)
		return nil
	}}},
	"POST /account/push": {{none: "the staff member's own browser and its alerts, a preference", do: func(t *testing.T, w *world) []wantEntry {
		w.page(t, "/account/push", testSubscription("https://push.example.com/audit"), http.StatusSeeOther)
		return nil
	}}},
	"POST /account/push/{id}/delete": {{none: "the staff member's own browser, a preference", do: func(t *testing.T, w *world) []wantEntry {
		w.page(t, "/account/push", testSubscription("https://push.example.com/audit-delete"), http.StatusSeeOther)
		subs, err := w.ts.Web.Push.FindPushSubscriptions(w.ctx, w.actor.ID)
		if err != nil || len(subs) == 0 {
			t.Fatalf("subscriptions: %v", err)
		}
		w.page(t, "/account/push/"+itoa(subs[0].ID)+"/delete", url.Values{}, http.StatusSeeOther)
		return nil
	}}},
	"POST /settings/staff/{id}/devices/{session}/end": {{do: func(t *testing.T, w *world) []wantEntry {
		st := w.newStaff(t)
		id, _ := w.staffSession(t, st)
		w.page(t, "/settings/staff/"+itoa(st.ID)+"/devices/"+itoa(id)+"/end", url.Values{}, http.StatusSeeOther)
		return []wantEntry{{Action: "staff.session.end", TargetType: "staff", TargetID: itoa(st.ID), Note: "session " + itoa(id)}}
	}}},
	"POST /settings/staff/{id}/devices/end-all": {{do: func(t *testing.T, w *world) []wantEntry {
		st := w.newStaff(t)
		w.staffSession(t, st)
		w.staffSession(t, st)
		w.page(t, "/settings/staff/"+itoa(st.ID)+"/devices/end-all", url.Values{}, http.StatusSeeOther)
		return []wantEntry{{Action: "staff.session.end_all", TargetType: "staff", TargetID: itoa(st.ID), Note: "2 sessions"}}
	}}},
	"POST /settings/staff/{id}/two-factor/reset": {{none: "an owner's act: the world's actor, an admin, is refused (TestTwoFactor_Browser and TestStaffSecurity_OwnerRoutes check an owner's)",
		do: func(t *testing.T, w *world) []wantEntry {
			st := w.newStaff(t)
			w.enrolTwoFactor(t, st)
			w.markNow(t)
			w.page(t, "/settings/staff/"+itoa(st.ID)+"/two-factor/reset", url.Values{}, http.StatusForbidden)
			return nil
		}}},
	"POST /settings/two-factor": {{none: "an owner's act: the world's actor, an admin, is refused (TestStaffSecurity_OwnerRoutes checks an owner's)",
		do: func(t *testing.T, w *world) []wantEntry {
			w.page(t, "/settings/two-factor", url.Values{"required": {"true"}}, http.StatusForbidden)
			return nil
		}}},
}

// securityAPIAuditRoutes are the rows for the staff sessions API.
var securityAPIAuditRoutes = map[string][]auditCase{
	"DELETE /api/v1/staff/{id}/sessions": {{do: func(t *testing.T, w *world) []wantEntry {
		st := w.newStaff(t)
		w.staffSession(t, st)
		if out := w.api(t, "DELETE", "/api/v1/staff/"+itoa(st.ID)+"/sessions", "", http.StatusOK); !strings.Contains(out, `"ended":1`) {
			t.Errorf("answer %s", out)
		}
		return []wantEntry{{Action: "staff.session.end_all", TargetType: "staff", TargetID: itoa(st.ID), Note: "1 sessions"}}
	}}},
	"DELETE /api/v1/staff/{id}/sessions/{session_id}": {{do: func(t *testing.T, w *world) []wantEntry {
		st := w.newStaff(t)
		id, _ := w.staffSession(t, st)
		w.api(t, "DELETE", "/api/v1/staff/"+itoa(st.ID)+"/sessions/"+itoa(id), "", http.StatusNoContent)
		return []wantEntry{{Action: "staff.session.end", TargetType: "staff", TargetID: itoa(st.ID), Note: "session " + itoa(id)}}
	}}},
}

func init() {
	for k, v := range securityAPIAuditRoutes {
		auditRoutes[k] = v
	}
	scopeRoutes["DELETE /api/v1/staff/{id}/sessions/{session_id}"] = scopeCase{status: http.StatusNotFound, make: sessionOfAnotherStaff}
	for k, v := range securityAuditRoutes {
		auditRoutes[k] = v
	}
	scopeRoutes["POST /settings/staff/{id}/devices/{session}/end"] = scopeCase{status: http.StatusNotFound, make: sessionOfAnotherStaff}
}

// sessionOfAnotherStaff is staff A with a session, and a session of B.
func sessionOfAnotherStaff(t *testing.T, w *world) (map[string]string, func(t *testing.T) string) {
	a, b := w.newStaff(t), w.newStaff(t)
	w.staffSession(t, a)
	id, _ := w.staffSession(t, b)
	return map[string]string{"id": itoa(a.ID), "session": itoa(id), "session_id": itoa(id)}, func(t *testing.T) string {
		return w.staffSessionsOf(t, a) + " " + w.staffSessionsOf(t, b)
	}
}
