package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"roster"
	"roster/sqldb"
	"roster/sqldb/sqldbtest"
)

// wantEntry is an audit entry a request must write, by the actor. Changes
// lists exactly the fields the entry records (nil: none), each with its
// value before and after (anyValue: any value but null); Note, when set,
// must occur in the entry's note.
type wantEntry struct {
	Action, TargetType, TargetID string
	Changes                      map[string]roster.Change
	Note                         string
	// Actor, when set, is the entry's actor label: a user acting through
	// the actor's token (joins and leaves are the user's own), whose
	// actor id is the staff member's, or on a hosted page (Hosted), where
	// no staff member acts.
	Actor  string
	Hosted bool
}

// scimUser is SCIM's core User schema.
const scimUser = "urn:ietf:params:scim:schemas:core:2.0:User"

// anyValue stands for a value a test cannot know (a generated colour).
const anyValue = "<any value>"

// auditCase performs one route once as the world's actor and returns the
// entries it must have written, in order. A case with a reason in none
// writes nothing auditable and returns none: the test then checks that no
// entry was written.
type auditCase struct {
	name  string
	none  string
	do    func(t *testing.T, w *world) []wantEntry
	after func(t *testing.T, w *world) // undoes what later cases must not see
}

// chg is a change from before to after.
func chg(before, after any) roster.Change { return roster.Change{Before: before, After: after} }

// secrets are the plain passwords the cases send: no entry may hold one,
// nor a password hash.
var secrets = []string{"new secret password", "user-password-1", staffPassword, "another-password-2", "argon2", "pbkdf2"}

// auditRoutes has a row for every route that may write, keyed by its
// pattern. TestRoutes_WritesAreAudited fails for a route without one.
var auditRoutes = map[string][]auditCase{
	// Sign-in and the staff member's own things.
	"POST /signin": {{do: func(t *testing.T, w *world) []wantEntry {
		b := newBrowser(t, w.ts)
		w.markNow(t)
		b.signIn(roster.RoleAdmin, "/")
		return []wantEntry{{Action: "staff.sign_in", TargetType: "staff", TargetID: itoa(w.actor.ID)}}
	}}},
	"POST /signout": {{none: "ends the browser's own session: no data changes", do: func(t *testing.T, w *world) []wantEntry {
		b := newBrowser(t, w.ts)
		b.signIn(roster.RoleAdmin, "/")
		form := url.Values{"csrf": {b.csrf()}}
		w.markNow(t)
		if resp := b.post("/signout", form, nil); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("sign out: %d", resp.StatusCode)
		}
		return nil
	}}},
	"POST /users/columns": {{none: "the staff member's own column choice, a preference", do: func(t *testing.T, w *world) []wantEntry {
		w.page(t, "/users/columns", url.Values{"col": {"email", "city"}}, http.StatusSeeOther)
		return nil
	}}},
	"POST /account": {
		{name: "time zone", do: func(t *testing.T, w *world) []wantEntry {
			w.page(t, "/account", url.Values{"op": {"time_zone"}, "time_zone": {"Europe/Paris"}}, http.StatusSeeOther)
			return []wantEntry{{Action: "staff.update", TargetType: "staff", TargetID: itoa(w.actor.ID),
				Changes: map[string]roster.Change{"time_zone": chg("UTC", "Europe/Paris")}}}
		}},
		{name: "password", do: func(t *testing.T, w *world) []wantEntry {
			w.page(t, "/account", url.Values{"op": {"password"}, "current_password": {staffPassword},
				"new_password": {"another-password-2"}, "confirm_password": {"another-password-2"}}, http.StatusSeeOther)
			return []wantEntry{{Action: "staff.password", TargetType: "staff", TargetID: itoa(w.actor.ID),
				Changes: map[string]roster.Change{"password": chg(roster.Redacted, roster.Redacted)}}}
		}, after: func(t *testing.T, w *world) {
			// Back to the password the other cases sign in with, which
			// ends the browser's session.
			pw := staffPassword
			if _, err := w.staff.UpdateStaff(w.ctx, w.actor.ID, roster.StaffUpdate{Password: &pw}); err != nil {
				t.Fatal(err)
			}
			w.b.with(t).signIn(roster.RoleAdmin, "/")
		}},
	},
	"/": {{none: "the page-not-found answer", do: func(t *testing.T, w *world) []wantEntry {
		w.page(t, "/no-such-page", url.Values{}, http.StatusNotFound)
		return nil
	}}},
	"/api": {{none: "the API's not-found answer for /api itself", do: func(t *testing.T, w *world) []wantEntry {
		w.api(t, "POST", "/api", `{}`, http.StatusNotFound)
		return nil
	}}},
	"/api/": {{none: "the API's not-found answer", do: func(t *testing.T, w *world) []wantEntry {
		w.api(t, "POST", "/api/v1/no-such-route", `{}`, http.StatusNotFound)
		return nil
	}}},

	// Mail: links sent by staff, and used on the hosted pages.
	"POST /users/{id}/password-reset": {{do: func(t *testing.T, w *world) []wantEntry {
		u, _ := w.user(t, "reset-page")
		w.page(t, "/users/"+u+"/password-reset", url.Values{}, http.StatusSeeOther)
		return []wantEntry{{Action: "user.password_reset_send", TargetType: "user", TargetID: u}}
	}}},
	"POST /api/v1/users/{id}/password-reset": {{do: func(t *testing.T, w *world) []wantEntry {
		u, _ := w.user(t, "reset-api")
		w.api(t, "POST", "/api/v1/users/"+u+"/password-reset", "", http.StatusAccepted)
		return []wantEntry{{Action: "user.password_reset_send", TargetType: "user", TargetID: u}}
	}}},
	"POST /users/{id}/invite": {{do: func(t *testing.T, w *world) []wantEntry {
		u, _ := w.user(t, "invite-page")
		w.page(t, "/users/"+u+"/invite", url.Values{}, http.StatusSeeOther)
		return []wantEntry{{Action: "user.invite", TargetType: "user", TargetID: u, Changes: map[string]roster.Change{"status": chg("active", "invited")}}}
	}}},
	"POST /api/v1/users/{id}/invite": {{do: func(t *testing.T, w *world) []wantEntry {
		u, _ := w.user(t, "invite-api")
		w.api(t, "POST", "/api/v1/users/"+u+"/invite", "", http.StatusAccepted)
		return []wantEntry{{Action: "user.invite", TargetType: "user", TargetID: u, Changes: map[string]roster.Change{"status": chg("active", "invited")}}}
	}}},
	"POST /users/{id}/invite/revoke": {{do: func(t *testing.T, w *world) []wantEntry {
		u, _ := w.user(t, "revoke-page")
		if _, err := w.ts.Web.Accounts.InviteUser(w.ctx, u); err != nil {
			t.Fatal(err)
		}
		w.markNow(t)
		w.page(t, "/users/"+u+"/invite/revoke", url.Values{}, http.StatusSeeOther)
		return []wantEntry{{Action: "user.invite_revoke", TargetType: "user", TargetID: u, Changes: map[string]roster.Change{"status": chg("invited", "active")}}}
	}}},
	"DELETE /api/v1/users/{id}/invite": {{do: func(t *testing.T, w *world) []wantEntry {
		u, _ := w.user(t, "revoke-api")
		if _, err := w.ts.Web.Accounts.InviteUser(w.ctx, u); err != nil {
			t.Fatal(err)
		}
		w.markNow(t)
		w.api(t, "DELETE", "/api/v1/users/"+u+"/invite", "", http.StatusOK)
		return []wantEntry{{Action: "user.invite_revoke", TargetType: "user", TargetID: u, Changes: map[string]roster.Change{"status": chg("invited", "active")}}}
	}}},
	"POST /users/bulk/invite": {{do: func(t *testing.T, w *world) []wantEntry {
		_, email := w.user(t, "invite-bulk")
		w.page(t, "/users/bulk/invite", url.Values{"q": {"email:" + email}}, http.StatusSeeOther)
		return []wantEntry{{Action: "jobs.invite", TargetType: "job", TargetID: itoa(w.newestJob(t, roster.JobInvite)), Note: "invite 1 of 1 users matching email:" + email}}
	}}},
	"POST /api/v1/users/invite": {{do: func(t *testing.T, w *world) []wantEntry {
		_, email := w.user(t, "invite-bulk-api")
		w.api(t, "POST", "/api/v1/users/invite", fmt.Sprintf(`{"q":"email:%s"}`, email), http.StatusAccepted)
		return []wantEntry{{Action: "jobs.invite", TargetType: "job", TargetID: itoa(w.newestJob(t, roster.JobInvite)), Note: "invite 1 of 1 users matching email:" + email}}
	}}},
	"POST /invites/{id}/cancel": {{do: func(t *testing.T, w *world) []wantEntry {
		id := w.inviteJob(t)
		w.markNow(t)
		w.page(t, "/invites/"+itoa(id)+"/cancel", url.Values{}, http.StatusSeeOther)
		return []wantEntry{{Action: "jobs.invite_canceled", TargetType: "job", TargetID: itoa(id), Note: "canceled by " + w.actor.Email}}
	}}},
	"POST /api/v1/invites/{id}/cancel": {{do: func(t *testing.T, w *world) []wantEntry {
		id := w.inviteJob(t)
		w.markNow(t)
		w.api(t, "POST", "/api/v1/invites/"+itoa(id)+"/cancel", "", http.StatusOK)
		return []wantEntry{{Action: "jobs.invite_canceled", TargetType: "job", TargetID: itoa(id), Note: "canceled by " + w.actor.Email}}
	}}},
	"POST /u/reset": {
		{name: "known address", do: func(t *testing.T, w *world) []wantEntry {
			u, email := w.user(t, "reset-self")
			w.hosted(t, "/u/reset", url.Values{"email": {email}}, http.StatusOK)
			return []wantEntry{{Action: "user.password_reset_request", TargetType: "user", TargetID: u, Actor: "user " + u, Hosted: true}}
		}},
		{name: "unknown address", none: "nothing happens to an address without an account (and the answer is the same)", do: func(t *testing.T, w *world) []wantEntry {
			w.hosted(t, "/u/reset", url.Values{"email": {w.name("nobody") + "@example.com"}}, http.StatusOK)
			return nil
		}},
	},
	"POST /u/reset/{token}": {{do: func(t *testing.T, w *world) []wantEntry {
		u, email := w.user(t, "reset-use")
		if _, err := w.ts.Web.Accounts.SendPasswordReset(w.ctx, u); err != nil {
			t.Fatal(err)
		}
		link := w.mailLink(t, email)
		w.hosted(t, link, url.Values{"password": {"new secret password"}, "password_again": {"new secret password"}}, http.StatusOK)
		return []wantEntry{{Action: "user.password_reset", TargetType: "user", TargetID: u, Actor: "user " + u, Hosted: true,
			Changes: map[string]roster.Change{"password": chg("[redacted]", "[redacted]")}}}
	}}},
	"POST /u/invite/{token}": {{do: func(t *testing.T, w *world) []wantEntry {
		u, email := w.user(t, "invite-use")
		if _, err := w.ts.Web.Accounts.InviteUser(w.ctx, u); err != nil {
			t.Fatal(err)
		}
		link := w.mailLink(t, email)
		w.hosted(t, link, url.Values{"password": {"new secret password"}, "password_again": {"new secret password"}}, http.StatusOK)
		return []wantEntry{{Action: "user.invite_accept", TargetType: "user", TargetID: u, Actor: "user " + u, Hosted: true,
			Changes: map[string]roster.Change{"status": chg("invited", "active"), "password": chg("[redacted]", "[redacted]")}}}
	}}},
	"POST /users/{id}/confirmation": {{do: func(t *testing.T, w *world) []wantEntry {
		u, email := w.user(t, "confirm-send-page")
		w.page(t, "/users/"+u+"/confirmation", url.Values{}, http.StatusSeeOther)
		return []wantEntry{{Action: "user.confirmation_send", TargetType: "user", TargetID: u, Note: email}}
	}}},
	"POST /api/v1/users/{id}/confirmation": {{do: func(t *testing.T, w *world) []wantEntry {
		u, email := w.user(t, "confirm-send-api")
		w.api(t, "POST", "/api/v1/users/"+u+"/confirmation", "", http.StatusAccepted)
		return []wantEntry{{Action: "user.confirmation_send", TargetType: "user", TargetID: u, Note: email}}
	}}},
	"POST /users/{id}/confirm": {{do: func(t *testing.T, w *world) []wantEntry {
		u, _ := w.user(t, "confirm-mark-page")
		w.page(t, "/users/"+u+"/confirm", url.Values{"reason": {"confirmed on the phone"}}, http.StatusSeeOther)
		return []wantEntry{{Action: "user.email_confirm", TargetType: "user", TargetID: u, Note: "confirmed on the phone",
			Changes: map[string]roster.Change{"email_confirmed": chg(false, true)}}}
	}}},
	"POST /api/v1/users/{id}/confirm": {{do: func(t *testing.T, w *world) []wantEntry {
		u, _ := w.user(t, "confirm-mark-api")
		w.api(t, "POST", "/api/v1/users/"+u+"/confirm", `{"reason":"replied from the address"}`, http.StatusOK)
		return []wantEntry{{Action: "user.email_confirm", TargetType: "user", TargetID: u, Note: "replied from the address",
			Changes: map[string]roster.Change{"email_confirmed": chg(false, true)}}}
	}}},
	"POST /u/confirm/{token}": {{do: func(t *testing.T, w *world) []wantEntry {
		u, email := w.user(t, "confirm-use")
		if _, err := w.ts.Web.Accounts.SendConfirmation(w.ctx, u); err != nil {
			t.Fatal(err)
		}
		link := w.mailLink(t, email)
		w.hosted(t, link, url.Values{}, http.StatusOK)
		return []wantEntry{{Action: "user.email_confirm", TargetType: "user", TargetID: u, Actor: "user " + u, Hosted: true, Note: email,
			Changes: map[string]roster.Change{"email_confirmed": chg(false, true)}}}
	}}},
	"POST /settings/accounts": {{do: func(t *testing.T, w *world) []wantEntry {
		p, err := w.ts.DB.AccountPolicy(w.ctx)
		if err != nil {
			t.Fatal(err)
		}
		w.page(t, "/settings/accounts", url.Values{"expiry_months": {itoa(int64(p.ExpiryMonths + 1))}, "invite_hours": {itoa(int64(p.InviteTTL / time.Hour))},
			"confirm_hours": {itoa(int64(p.ConfirmTTL / time.Hour))}, "reset_minutes": {itoa(int64(p.ResetTTL / time.Minute))}}, http.StatusSeeOther)
		return []wantEntry{{Action: "settings.accounts", TargetType: "settings", TargetID: "accounts",
			Changes: map[string]roster.Change{"expiry_months": chg(float64(p.ExpiryMonths), float64(p.ExpiryMonths+1))}}}
	}}},
	"PUT /api/v1/settings/accounts": {{do: func(t *testing.T, w *world) []wantEntry {
		p, err := w.ts.DB.AccountPolicy(w.ctx)
		if err != nil {
			t.Fatal(err)
		}
		reset := int64(p.ResetTTL/time.Minute) + 5
		w.api(t, "PUT", "/api/v1/settings/accounts", `{"reset_ttl_minutes":`+itoa(reset)+`}`, http.StatusOK)
		return []wantEntry{{Action: "settings.accounts", TargetType: "settings", TargetID: "accounts",
			Changes: map[string]roster.Change{"reset_ttl_minutes": chg(float64(reset-5), float64(reset))}}}
	}}},
	"POST /settings/email/{id}/{op}": {{do: func(t *testing.T, w *world) []wantEntry {
		u, _ := w.user(t, "retry")
		m := w.failedMessage(t, u)
		w.markNow(t)
		w.page(t, fmt.Sprintf("/settings/email/%d/retry", m), url.Values{}, http.StatusSeeOther)
		return []wantEntry{{Action: "outbox.retry", TargetType: "message", TargetID: itoa(m), Changes: map[string]roster.Change{"status": chg("failed", "queued")}}}
	}}},

	// Mail settings and templates.
	"POST /settings/email/settings": {{do: func(t *testing.T, w *world) []wantEntry {
		w.page(t, "/settings/email/settings", url.Values{"product_name": {"Acme Page"}, "from_name": {"Acme"}, "from_address": {"Roster@Acme.example"}}, http.StatusSeeOther)
		return []wantEntry{{Action: "settings.mail", TargetType: "settings", TargetID: "mail", Changes: map[string]roster.Change{
			"product_name": chg("", "Acme Page"), "from_name": chg("", "Acme"), "from_address": chg("", "roster@acme.example")}}}
	}, after: resetMailSettings}},
	"PUT /api/v1/mail/settings": {{do: func(t *testing.T, w *world) []wantEntry {
		w.api(t, "PUT", "/api/v1/mail/settings", `{"product_name":"Acme API","from_name":"","from_address":""}`, http.StatusOK)
		return []wantEntry{{Action: "settings.mail", TargetType: "settings", TargetID: "mail", Changes: map[string]roster.Change{"product_name": chg("", "Acme API")}}}
	}, after: resetMailSettings}},
	"POST /settings/email/templates/{name}": {
		{name: "save", do: func(t *testing.T, w *world) []wantEntry {
			w.page(t, "/settings/email/templates/welcome", url.Values{"op": {"save"}, "subject": {"Hi {{.Name}}"}, "text": {"Hello"}, "html": {"<p>Hello</p>"}}, http.StatusSeeOther)
			return []wantEntry{{Action: "mail.template_update", TargetType: "mail_template", TargetID: "welcome", Changes: map[string]roster.Change{
				"subject": chg("Welcome to {{.ProductName}}", "Hi {{.Name}}"), "text": chg(anyValue, "5 characters"), "html": chg(anyValue, "12 characters")}}}
		}},
		{name: "reset", do: func(t *testing.T, w *world) []wantEntry {
			w.page(t, "/settings/email/templates/welcome", url.Values{"op": {"reset"}}, http.StatusSeeOther)
			return []wantEntry{{Action: "mail.template_reset", TargetType: "mail_template", TargetID: "welcome", Note: "reset to the default", Changes: map[string]roster.Change{
				"subject": chg("Hi {{.Name}}", "Welcome to {{.ProductName}}"), "text": chg("5 characters", anyValue), "html": chg("12 characters", anyValue)}}}
		}},
		{name: "refused", none: "a template that does not pass the checks is not saved", do: func(t *testing.T, w *world) []wantEntry {
			w.page(t, "/settings/email/templates/welcome", url.Values{"op": {"save"}, "subject": {"Hi {{.Nmae}}"}, "text": {"x"}, "html": {"x"}}, http.StatusUnprocessableEntity)
			return nil
		}},
		{name: "preview", none: "a preview saves nothing", do: func(t *testing.T, w *world) []wantEntry {
			w.page(t, "/settings/email/templates/welcome", url.Values{"op": {"preview"}, "subject": {"Hi {{.Name}}"}, "text": {"x"}, "html": {"x"}}, http.StatusOK)
			return nil
		}},
	},
	"PUT /api/v1/mail/templates/{name}": {{do: func(t *testing.T, w *world) []wantEntry {
		w.api(t, "PUT", "/api/v1/mail/templates/welcome", `{"subject":"Hey {{.Name}}","text":"Hello","html":"<p>Hello</p>"}`, http.StatusOK)
		return []wantEntry{{Action: "mail.template_update", TargetType: "mail_template", TargetID: "welcome", Changes: map[string]roster.Change{
			"subject": chg("Welcome to {{.ProductName}}", "Hey {{.Name}}"), "text": chg(anyValue, "5 characters"), "html": chg(anyValue, "12 characters")}}}
	}, after: resetWelcome}},
	"DELETE /api/v1/mail/templates/{name}": {{do: func(t *testing.T, w *world) []wantEntry {
		if _, err := w.ts.Web.MailSettings.SaveMailTemplate(w.ctx, "welcome", roster.MailTemplateSource{Subject: "Yo", Text: "Hello", HTML: "<p>Hello</p>"}); err != nil {
			t.Fatal(err)
		}
		w.api(t, "DELETE", "/api/v1/mail/templates/welcome", "", http.StatusOK)
		return []wantEntry{{Action: "mail.template_reset", TargetType: "mail_template", TargetID: "welcome", Note: "reset to the default", Changes: map[string]roster.Change{
			"subject": chg("Yo", "Welcome to {{.ProductName}}"), "text": chg("5 characters", anyValue), "html": chg("12 characters", anyValue)}}}
	}}},

	// Users, pages.
	"POST /users": {{do: func(t *testing.T, w *world) []wantEntry {
		email := w.name("page-new") + "@example.com"
		resp := w.page(t, "/users", url.Values{"email": {email}, "first_name": {"Pat"}, "password": {"user-password-1"}}, http.StatusSeeOther)
		id := strings.TrimPrefix(resp.Header.Get("Location"), "/users/")
		return []wantEntry{{Action: "user.create", TargetType: "user", TargetID: id, Changes: newUserChanges(map[string]roster.Change{
			"email": chg(nil, email), "first_name": chg(nil, "Pat"), "password": chg(nil, roster.Redacted),
		})}}
	}}},
	"POST /users/{id}": {{do: func(t *testing.T, w *world) []wantEntry {
		id, _ := w.user(t, "page-upd")
		w.page(t, "/users/"+id, url.Values{"field": {"city"}, "v.city": {"Oslo"}}, http.StatusSeeOther)
		return []wantEntry{{Action: "user.update", TargetType: "user", TargetID: id, Changes: map[string]roster.Change{"city": chg("", "Oslo")}}}
	}}},
	"POST /users/{id}/status": {{do: func(t *testing.T, w *world) []wantEntry {
		id, _ := w.user(t, "page-ban")
		w.page(t, "/users/"+id+"/status", url.Values{"status": {"banned"}, "reason": {"spam"}}, http.StatusSeeOther)
		return []wantEntry{{Action: "user.update", TargetType: "user", TargetID: id, Changes: map[string]roster.Change{"status": chg("active", "banned")}, Note: "spam"}}
	}}},
	"POST /users/{id}/password": {{do: func(t *testing.T, w *world) []wantEntry {
		id, _ := w.user(t, "page-pw")
		w.page(t, "/users/"+id+"/password", url.Values{}, http.StatusOK)
		return []wantEntry{{Action: "user.update", TargetType: "user", TargetID: id,
			Changes: map[string]roster.Change{"password": chg(roster.Redacted, roster.Redacted)}, Note: "password reset by staff"}}
	}}},
	"POST /users/{id}/delete": {{do: func(t *testing.T, w *world) []wantEntry {
		id, email := w.user(t, "page-del")
		w.page(t, "/users/"+id+"/delete", url.Values{"confirm": {email}}, http.StatusSeeOther)
		return []wantEntry{{Action: "user.delete", TargetType: "user", TargetID: id, Note: email}}
	}}},

	// User sessions and push tokens, staff's side.
	"POST /users/{id}/sessions/end": {{do: func(t *testing.T, w *world) []wantEntry {
		u, _ := w.user(t, "page-signout-all")
		w.session(t, u)
		w.session(t, u)
		w.page(t, "/users/"+u+"/sessions/end", url.Values{}, http.StatusSeeOther)
		return []wantEntry{{Action: "user.sessions_end", TargetType: "user", TargetID: u, Note: "2 sessions"}}
	}}},
	"POST /users/{id}/sessions/{session}/end": {{do: func(t *testing.T, w *world) []wantEntry {
		u, _ := w.user(t, "page-signout")
		_, id := w.session(t, u)
		w.page(t, "/users/"+u+"/sessions/"+itoa(id)+"/end", url.Values{}, http.StatusSeeOther)
		return []wantEntry{{Action: "user.session_end", TargetType: "user", TargetID: u, Note: "session " + itoa(id)}}
	}}},
	"POST /users/{id}/push-tokens/{token}/delete": {{do: func(t *testing.T, w *world) []wantEntry {
		u, _ := w.user(t, "page-push")
		tok := w.pushToken(t, u, "page-token")
		w.page(t, "/users/"+u+"/push-tokens/"+itoa(tok)+"/delete", url.Values{}, http.StatusSeeOther)
		return []wantEntry{{Action: "user.push_token_delete", TargetType: "user", TargetID: u}}
	}}},
	"DELETE /api/v1/users/{id}/sessions": {{do: func(t *testing.T, w *world) []wantEntry {
		u, _ := w.user(t, "api-signout-all")
		w.session(t, u)
		w.api(t, "DELETE", "/api/v1/users/"+u+"/sessions", "", http.StatusOK)
		return []wantEntry{{Action: "user.sessions_end", TargetType: "user", TargetID: u, Note: "1 sessions"}}
	}}},
	"DELETE /api/v1/users/{id}/sessions/{session_id}": {{do: func(t *testing.T, w *world) []wantEntry {
		u, _ := w.user(t, "api-signout")
		_, id := w.session(t, u)
		w.api(t, "DELETE", "/api/v1/users/"+u+"/sessions/"+itoa(id), "", http.StatusNoContent)
		return []wantEntry{{Action: "user.session_end", TargetType: "user", TargetID: u, Note: "session " + itoa(id)}}
	}}},
	"DELETE /api/v1/users/{id}/push-tokens/{token_id}": {{do: func(t *testing.T, w *world) []wantEntry {
		u, _ := w.user(t, "api-push")
		tok := w.pushToken(t, u, "api-token")
		w.api(t, "DELETE", "/api/v1/users/"+u+"/push-tokens/"+itoa(tok), "", http.StatusNoContent)
		return []wantEntry{{Action: "user.push_token_delete", TargetType: "user", TargetID: u}}
	}}},
	"PUT /api/v1/settings/member": {{do: func(t *testing.T, w *world) []wantEntry {
		p, err := w.ts.Web.Sessions.MemberPolicy(w.ctx)
		if err != nil {
			t.Fatal(err)
		}
		idle := int64(p.IdleTTL/time.Minute) - 5
		w.api(t, "PUT", "/api/v1/settings/member", `{"idle_ttl_minutes":`+itoa(idle)+`}`, http.StatusOK)
		return []wantEntry{{Action: "settings.member", TargetType: "settings", TargetID: "member",
			Changes: map[string]roster.Change{"idle_ttl_minutes": chg(float64(idle+5), float64(idle))}}}
	}}},

	"POST /settings/accounts/member": {{do: func(t *testing.T, w *world) []wantEntry {
		w.memberPolicy(t, func(p *roster.MemberPolicy) {
			def := roster.DefaultMemberPolicy()
			p.SignIn, p.Refresh, p.IdleTTL, p.AbsoluteTTL = false, false, def.IdleTTL, def.AbsoluteTTL
		})
		w.page(t, "/settings/accounts/member", url.Values{"member_sign_in": {"1"}, "idle_days": {"10"}, "absolute_days": {"90"}}, http.StatusSeeOther)
		return []wantEntry{{Action: "settings.member", TargetType: "settings", TargetID: "member",
			Changes: map[string]roster.Change{"member_sign_in": chg(false, true), "idle_ttl_minutes": chg(float64(43200), float64(14400))}}}
	}}},
	"POST /settings/fields/member-editable": {{do: func(t *testing.T, w *world) []wantEntry {
		w.memberPolicy(t, func(p *roster.MemberPolicy) { p.EditableFields = nil })
		w.page(t, "/settings/fields/member-editable", url.Values{"editable": {"city", "bio"}}, http.StatusSeeOther)
		return []wantEntry{{Action: "settings.member", TargetType: "settings", TargetID: "member",
			Changes: map[string]roster.Change{"editable_fields": chg([]any{}, []any{"city", "bio"})}}}
	}}},
	// The member API: the user acting on their own account.
	"POST /api/member/v1/sign-in": {{none: "a sign-in is not a change to audit (like POST /api/v1/users/authenticate)", do: func(t *testing.T, w *world) []wantEntry {
		_, email := w.userWithPassword(t, "member-signin")
		w.memberPolicy(t, func(p *roster.MemberPolicy) { p.SignIn = true })
		w.member(t, "", "POST", "/api/member/v1/sign-in", `{"login":"`+email+`","password":"user-password-1"}`, http.StatusOK)
		return nil
	}}},
	"POST /api/member/v1/refresh": {{none: "new tokens for a session: nothing of the account changes", do: func(t *testing.T, w *world) []wantEntry {
		u, _ := w.user(t, "member-refresh")
		w.memberPolicy(t, func(p *roster.MemberPolicy) { p.Refresh = true })
		_, tok, err := w.ts.Web.Sessions.StartSession(w.ctx, w.storeID(t, u), roster.UserDevice{})
		if err != nil {
			t.Fatal(err)
		}
		w.member(t, "", "POST", "/api/member/v1/refresh", `{"refresh_token":"`+tok.Refresh+`"}`, http.StatusOK)
		return nil
	}}},
	"PATCH /api/member/v1/me": {{do: func(t *testing.T, w *world) []wantEntry {
		u, _ := w.user(t, "member-patch")
		tok, _ := w.session(t, u)
		w.memberPolicy(t, func(p *roster.MemberPolicy) { p.EditableFields = []string{"city"} })
		w.member(t, tok, "PATCH", "/api/member/v1/me", `{"city":"Lyon"}`, http.StatusOK)
		return []wantEntry{{Action: "user.update", TargetType: "user", TargetID: u, Actor: "user " + u, Hosted: true,
			Changes: map[string]roster.Change{"city": chg("", "Lyon")}}}
	}}},
	"POST /api/member/v1/password": {{do: func(t *testing.T, w *world) []wantEntry {
		u, _ := w.userWithPassword(t, "member-password")
		tok, _ := w.session(t, u)
		w.member(t, tok, "POST", "/api/member/v1/password", `{"current_password":"user-password-1","new_password":"another-password-2"}`, http.StatusNoContent)
		return []wantEntry{{Action: "user.update", TargetType: "user", TargetID: u, Actor: "user " + u, Hosted: true,
			Changes: map[string]roster.Change{"password": chg(roster.Redacted, roster.Redacted)}}}
	}}},
	"POST /api/member/v1/groups/{id}/join": {{do: func(t *testing.T, w *world) []wantEntry {
		u, _ := w.user(t, "member-joiner")
		tok, _ := w.session(t, u)
		g := w.viewableGroup(t, "Coded", roster.JoinCode)
		c := w.code(t, g.ID)
		w.member(t, tok, "POST", "/api/member/v1/groups/"+itoa(g.ID)+"/join", `{"code":"`+c.Code+`"}`, http.StatusOK)
		return []wantEntry{{Action: "group.join", TargetType: "user", TargetID: u, Note: g.Name + " with code " + c.Hint, Actor: "user " + u, Hosted: true}}
	}}},
	"POST /api/member/v1/groups/{id}/leave": {{do: func(t *testing.T, w *world) []wantEntry {
		u, _ := w.user(t, "member-leaver")
		tok, _ := w.session(t, u)
		g := w.viewableGroup(t, "Open", roster.JoinOpen, u)
		w.member(t, tok, "POST", "/api/member/v1/groups/"+itoa(g.ID)+"/leave", "", http.StatusNoContent)
		return []wantEntry{{Action: "group.leave", TargetType: "user", TargetID: u, Note: fmt.Sprintf("%s (#%d)", g.Name, g.ID), Actor: "user " + u, Hosted: true}}
	}}},
	"POST /api/member/v1/push-tokens": {{none: "a device registering its own push token: the profile lists it with its session", do: func(t *testing.T, w *world) []wantEntry {
		u, _ := w.user(t, "member-push")
		tok, _ := w.session(t, u)
		w.member(t, tok, "POST", "/api/member/v1/push-tokens", `{"provider":"fcm","token":"abc"}`, http.StatusCreated)
		return nil
	}}},
	"DELETE /api/member/v1/push-tokens/{id}": {{none: "a device removing its own push token", do: func(t *testing.T, w *world) []wantEntry {
		u, _ := w.user(t, "member-unpush")
		tok, _ := w.session(t, u)
		id := w.pushToken(t, u, "member-token")
		w.member(t, tok, "DELETE", "/api/member/v1/push-tokens/"+itoa(id), "", http.StatusNoContent)
		return nil
	}}},
	"DELETE /api/member/v1/sessions": {{none: "a user signing themselves out everywhere", do: func(t *testing.T, w *world) []wantEntry {
		u, _ := w.user(t, "member-out-all")
		tok, _ := w.session(t, u)
		w.member(t, tok, "DELETE", "/api/member/v1/sessions", "", http.StatusNoContent)
		return nil
	}}},
	"DELETE /api/member/v1/sessions/{id}": {{none: "a user signing one of their devices out", do: func(t *testing.T, w *world) []wantEntry {
		u, _ := w.user(t, "member-out-one")
		tok, _ := w.session(t, u)
		_, other := w.session(t, u)
		w.member(t, tok, "DELETE", "/api/member/v1/sessions/"+itoa(other), "", http.StatusNoContent)
		return nil
	}}},
	"POST /api/member/v1/sign-out": {{none: "a user signing out", do: func(t *testing.T, w *world) []wantEntry {
		u, _ := w.user(t, "member-out")
		tok, _ := w.session(t, u)
		w.member(t, tok, "POST", "/api/member/v1/sign-out", "", http.StatusNoContent)
		return nil
	}}},

	// Users, API.
	"POST /api/v1/users": {{do: func(t *testing.T, w *world) []wantEntry {
		email := w.name("api-new") + "@example.com"
		id := idOf(t, w.api(t, "POST", "/api/v1/users", fmt.Sprintf(`{"email":%q,"points":5,"password":"new secret password"}`, email), http.StatusCreated))
		return []wantEntry{{Action: "user.create", TargetType: "user", TargetID: id, Changes: newUserChanges(map[string]roster.Change{
			"email": chg(nil, email), "points": chg(nil, 5), "password": chg(nil, roster.Redacted),
		})}}
	}}},
	"PATCH /api/v1/users/{id}": {{do: func(t *testing.T, w *world) []wantEntry {
		id, _ := w.user(t, "api-upd")
		w.api(t, "PATCH", "/api/v1/users/"+id, `{"city":"Lyon","password":"new secret password"}`, http.StatusOK)
		return []wantEntry{{Action: "user.update", TargetType: "user", TargetID: id, Changes: map[string]roster.Change{
			"city": chg("", "Lyon"), "password": chg(roster.Redacted, roster.Redacted),
		}}}
	}}},
	"DELETE /api/v1/users/{id}": {{do: func(t *testing.T, w *world) []wantEntry {
		id, email := w.user(t, "api-del")
		w.api(t, "DELETE", "/api/v1/users/"+id, "", http.StatusNoContent)
		return []wantEntry{{Action: "user.delete", TargetType: "user", TargetID: id, Note: email}}
	}}},
	"POST /api/v1/users/search": {{none: "a search: it reads only", do: func(t *testing.T, w *world) []wantEntry {
		w.api(t, "POST", "/api/v1/users/search", `{"q":"country:FR"}`, http.StatusOK)
		return nil
	}}},
	"POST /api/v1/events": {{none: "what end users did in the operator's app, not staff actions; the events are the record, and last_visit and last_interaction move on the user",
		do: func(t *testing.T, w *world) []wantEntry {
			u, _ := w.user(t, "events")
			w.api(t, "POST", "/api/v1/events", `{"events":[{"user":{"id":"`+u+`"},"type":"visit","id":"v1"}]}`, http.StatusOK)
			return nil
		}}},
	"PUT /api/v1/settings/events": {{do: func(t *testing.T, w *world) []wantEntry {
		w.api(t, "PUT", "/api/v1/settings/events", `{"retention_months":14}`, http.StatusOK)
		return []wantEntry{{Action: "settings.events", TargetType: "settings", TargetID: "events",
			Changes: map[string]roster.Change{"retention_months": chg(float64(13), float64(14))}}}
	}}},
	"POST /api/v1/users/authenticate": {{none: "an end user signing in through the operator's app, not a staff action; last_login is on the user",
		do: func(t *testing.T, w *world) []wantEntry {
			u := &roster.User{Email: w.name("login") + "@example.com"}
			if err := w.users.CreateUser(w.ctx, u, "user-password-1"); err != nil {
				t.Fatal(err)
			}
			w.api(t, "POST", "/api/v1/users/authenticate", fmt.Sprintf(`{"login":%q,"password":"user-password-1"}`, u.Email), http.StatusOK)
			return nil
		}}},

	// Custom fields.
	"POST /settings/fields": {{do: func(t *testing.T, w *world) []wantEntry {
		key := w.name("pagefield")
		w.page(t, "/settings/fields", url.Values{"key": {key}, "label": {"Page field"}, "type": {"text"}}, http.StatusSeeOther)
		return []wantEntry{{Action: "field.create", TargetType: "field", TargetID: key, Changes: map[string]roster.Change{
			"key": chg(nil, key), "label": chg(nil, "Page field"), "type": chg(nil, "text"), "required": chg(nil, false),
		}}}
	}}},
	"POST /settings/fields/{key}": {
		{name: "edit", do: func(t *testing.T, w *world) []wantEntry {
			f := w.field(t, "editfield")
			w.page(t, "/settings/fields/"+f.Key, url.Values{"op": {"edit"}, "label": {"New label"}, "position": {itoa(int64(f.Position))}}, http.StatusSeeOther)
			return []wantEntry{{Action: "field.update", TargetType: "field", TargetID: f.Key, Changes: map[string]roster.Change{"label": chg("Old label", "New label")}}}
		}},
		{name: "retire", do: func(t *testing.T, w *world) []wantEntry {
			f := w.field(t, "retirefield")
			w.page(t, "/settings/fields/"+f.Key, url.Values{"op": {"retire"}, "retired": {"true"}}, http.StatusSeeOther)
			return []wantEntry{{Action: "field.update", TargetType: "field", TargetID: f.Key, Changes: map[string]roster.Change{"retired": chg(false, true)}}}
		}},
	},
	"POST /api/v1/fields": {{do: func(t *testing.T, w *world) []wantEntry {
		key := w.name("apifield")
		w.api(t, "POST", "/api/v1/fields", fmt.Sprintf(`{"key":%q,"label":"Nickname","type":"choice","choices":["a","b"]}`, key), http.StatusCreated)
		return []wantEntry{{Action: "field.create", TargetType: "field", TargetID: key, Changes: map[string]roster.Change{
			"key": chg(nil, key), "label": chg(nil, "Nickname"), "type": chg(nil, "choice"), "required": chg(nil, false), "choices": chg(nil, []string{"a", "b"}),
		}}}
	}}},
	"PATCH /api/v1/fields/{key}": {{do: func(t *testing.T, w *world) []wantEntry {
		f := w.field(t, "apieditfield")
		w.api(t, "PATCH", "/api/v1/fields/"+f.Key, `{"label":"New label"}`, http.StatusOK)
		return []wantEntry{{Action: "field.update", TargetType: "field", TargetID: f.Key, Changes: map[string]roster.Change{"label": chg("Old label", "New label")}}}
	}}},

	// Staff and tokens.
	"POST /settings/staff": {{do: func(t *testing.T, w *world) []wantEntry {
		email := w.name("newstaff") + "@staff.example.com"
		w.page(t, "/settings/staff", url.Values{"email": {email}, "name": {"Sam"}, "role": {"support"}, "password": {"another-password-2"}}, http.StatusSeeOther)
		st, err := w.staff.FindStaffByEmail(w.ctx, email)
		if err != nil {
			t.Fatal(err)
		}
		return []wantEntry{{Action: "staff.create", TargetType: "staff", TargetID: itoa(st.ID), Changes: map[string]roster.Change{
			"email": chg(nil, email), "name": chg(nil, "Sam"), "role": chg(nil, "support"), "password": chg(nil, roster.Redacted),
		}}}
	}}},
	"POST /settings/staff/{id}": {
		{name: "role", do: func(t *testing.T, w *world) []wantEntry {
			st := w.newStaff(t)
			w.page(t, "/settings/staff/"+itoa(st.ID), url.Values{"op": {"role"}, "role": {"support"}}, http.StatusSeeOther)
			return []wantEntry{{Action: "staff.update", TargetType: "staff", TargetID: itoa(st.ID), Changes: map[string]roster.Change{"role": chg("viewer", "support")}}}
		}},
		{name: "deactivate", do: func(t *testing.T, w *world) []wantEntry {
			st := w.newStaff(t)
			w.page(t, "/settings/staff/"+itoa(st.ID), url.Values{"op": {"active"}, "active": {"false"}}, http.StatusSeeOther)
			return []wantEntry{{Action: "staff.update", TargetType: "staff", TargetID: itoa(st.ID), Changes: map[string]roster.Change{"active": chg(true, false)}}}
		}},
	},
	"POST /settings/tokens": {{do: func(t *testing.T, w *world) []wantEntry {
		st := w.newStaff(t)
		w.page(t, "/settings/tokens", url.Values{"name": {"ci"}, "staff_id": {itoa(st.ID)}}, http.StatusCreated)
		toks, err := w.staff.FindTokens(w.ctx, st.ID)
		if err != nil || len(toks) != 1 {
			t.Fatalf("tokens of %d: %v %v", st.ID, toks, err)
		}
		return []wantEntry{{Action: "token.create", TargetType: "token", TargetID: itoa(toks[0].ID),
			Changes: map[string]roster.Change{"name": chg(nil, "ci"), "staff_id": chg(nil, st.ID)}}}
	}}},
	"POST /settings/tokens/{id}/revoke": {{do: func(t *testing.T, w *world) []wantEntry {
		st := w.newStaff(t)
		tok, _, err := w.staff.CreateToken(w.ctx, st.ID, "old")
		if err != nil {
			t.Fatal(err)
		}
		w.page(t, "/settings/tokens/"+itoa(tok.ID)+"/revoke", url.Values{}, http.StatusSeeOther)
		return []wantEntry{{Action: "token.revoke", TargetType: "token", TargetID: itoa(tok.ID)}}
	}}},

	// Webhooks: Settings → Webhooks and the API.
	"POST /settings/webhooks": {{do: func(t *testing.T, w *world) []wantEntry {
		_, recv := w.webhooks(t)
		u := recv.URL + "/" + w.name("page")
		w.page(t, "/settings/webhooks", url.Values{"url": {u}, "events": {"user.deleted", "user.created"}}, http.StatusCreated)
		return []wantEntry{{Action: "webhook.create", TargetType: "webhook", TargetID: itoa(w.webhookByURL(t, u)),
			Changes: map[string]roster.Change{"url": chg(nil, u), "events": chg(nil, []string{"user.created", "user.deleted"}), "enabled": chg(nil, true), "secret": chg(nil, roster.Redacted)}}}
	}}},
	"POST /settings/webhooks/{id}": {{do: func(t *testing.T, w *world) []wantEntry {
		e := w.webhook(t)
		w.page(t, "/settings/webhooks/"+itoa(e.ID), url.Values{"url": {e.URL}, "description": {"edited"}, "events": {"user.created"}}, http.StatusSeeOther)
		return []wantEntry{{Action: "webhook.update", TargetType: "webhook", TargetID: itoa(e.ID), Changes: map[string]roster.Change{"description": chg("", "edited")}}}
	}}},
	"POST /settings/webhooks/{id}/enabled": {{do: func(t *testing.T, w *world) []wantEntry {
		e := w.webhook(t)
		w.page(t, "/settings/webhooks/"+itoa(e.ID)+"/enabled", url.Values{"enabled": {"0"}}, http.StatusSeeOther)
		return []wantEntry{{Action: "webhook.update", TargetType: "webhook", TargetID: itoa(e.ID), Changes: map[string]roster.Change{"enabled": chg(true, false)}}}
	}}},
	"POST /settings/webhooks/{id}/rotate-secret": {{do: func(t *testing.T, w *world) []wantEntry {
		e := w.webhook(t)
		w.page(t, "/settings/webhooks/"+itoa(e.ID)+"/rotate-secret", url.Values{}, http.StatusOK)
		return []wantEntry{{Action: "webhook.rotate_secret", TargetType: "webhook", TargetID: itoa(e.ID), Changes: map[string]roster.Change{"secret": chg(roster.Redacted, roster.Redacted)}}}
	}}},
	"POST /settings/webhooks/{id}/delete": {{do: func(t *testing.T, w *world) []wantEntry {
		e := w.webhook(t)
		w.page(t, "/settings/webhooks/"+itoa(e.ID)+"/delete", url.Values{}, http.StatusSeeOther)
		return []wantEntry{{Action: "webhook.delete", TargetType: "webhook", TargetID: itoa(e.ID), Changes: map[string]roster.Change{"url": chg(e.URL, nil)}}}
	}}},
	"POST /settings/webhooks/{id}/deliveries/{delivery}/replay": {{do: func(t *testing.T, w *world) []wantEntry {
		e, d := w.deliveredWebhook(t)
		w.page(t, "/settings/webhooks/"+itoa(e.ID)+"/deliveries/"+itoa(d.ID)+"/replay", url.Values{}, http.StatusSeeOther)
		return []wantEntry{{Action: "webhook.replay", TargetType: "webhook_delivery", TargetID: itoa(d.ID),
			Changes: map[string]roster.Change{"status": chg("delivered", "queued")}, Note: "endpoint " + itoa(e.ID)}}
	}}},
	"POST /api/v1/webhooks": {{do: func(t *testing.T, w *world) []wantEntry {
		_, recv := w.webhooks(t)
		u := recv.URL + "/" + w.name("api")
		w.api(t, "POST", "/api/v1/webhooks", `{"url":"`+u+`","events":["user.updated"]}`, http.StatusCreated)
		return []wantEntry{{Action: "webhook.create", TargetType: "webhook", TargetID: itoa(w.webhookByURL(t, u)),
			Changes: map[string]roster.Change{"url": chg(nil, u), "events": chg(nil, []string{"user.updated"}), "enabled": chg(nil, true), "secret": chg(nil, roster.Redacted)}}}
	}}},
	"PATCH /api/v1/webhooks/{id}": {{do: func(t *testing.T, w *world) []wantEntry {
		e := w.webhook(t)
		w.api(t, "PATCH", "/api/v1/webhooks/"+itoa(e.ID), `{"events":["user.created","user.banned"]}`, http.StatusOK)
		return []wantEntry{{Action: "webhook.update", TargetType: "webhook", TargetID: itoa(e.ID),
			Changes: map[string]roster.Change{"events": chg([]string{"user.created"}, []string{"user.created", "user.banned"})}}}
	}}},
	"DELETE /api/v1/webhooks/{id}": {{do: func(t *testing.T, w *world) []wantEntry {
		e := w.webhook(t)
		w.api(t, "DELETE", "/api/v1/webhooks/"+itoa(e.ID), "", http.StatusNoContent)
		return []wantEntry{{Action: "webhook.delete", TargetType: "webhook", TargetID: itoa(e.ID), Changes: map[string]roster.Change{"url": chg(e.URL, nil)}}}
	}}},
	"POST /api/v1/webhooks/{id}/rotate-secret": {{do: func(t *testing.T, w *world) []wantEntry {
		e := w.webhook(t)
		w.api(t, "POST", "/api/v1/webhooks/"+itoa(e.ID)+"/rotate-secret", "", http.StatusOK)
		return []wantEntry{{Action: "webhook.rotate_secret", TargetType: "webhook", TargetID: itoa(e.ID), Changes: map[string]roster.Change{"secret": chg(roster.Redacted, roster.Redacted)}}}
	}}},
	"POST /api/v1/webhooks/{id}/deliveries/{delivery}/replay": {{do: func(t *testing.T, w *world) []wantEntry {
		e, d := w.deliveredWebhook(t)
		w.api(t, "POST", "/api/v1/webhooks/"+itoa(e.ID)+"/deliveries/"+itoa(d.ID)+"/replay", "", http.StatusAccepted)
		return []wantEntry{{Action: "webhook.replay", TargetType: "webhook_delivery", TargetID: itoa(d.ID),
			Changes: map[string]roster.Change{"status": chg("delivered", "queued")}, Note: "endpoint " + itoa(e.ID)}}
	}}},

	// Tags, pages.
	"POST /tags": {{do: func(t *testing.T, w *world) []wantEntry {
		name := w.name("PageTag")
		w.page(t, "/tags", url.Values{"name": {name}, "color": {"#067647"}}, http.StatusSeeOther)
		id := w.findTag(t, name)
		return []wantEntry{{Action: "tag.create", TargetType: "tag", TargetID: itoa(id), Changes: map[string]roster.Change{"name": chg(nil, name), "color": chg(nil, "#067647")}}}
	}}},
	"POST /tags/{id}": {{do: func(t *testing.T, w *world) []wantEntry {
		id := w.tag(t, "Before")
		old := w.tagName(t, id)
		w.page(t, "/tags/"+itoa(id), url.Values{"name": {"After"}}, http.StatusSeeOther)
		return []wantEntry{{Action: "tag.update", TargetType: "tag", TargetID: itoa(id), Changes: map[string]roster.Change{"name": chg(old, "After")}}}
	}}},
	"POST /tags/{id}/delete": {{do: func(t *testing.T, w *world) []wantEntry {
		u, _ := w.user(t, "tagged")
		id := w.tag(t, "Doomed", u)
		name := w.tagName(t, id)
		w.page(t, "/tags/"+itoa(id)+"/delete", url.Values{}, http.StatusSeeOther)
		return []wantEntry{{Action: "tag.delete", TargetType: "tag", TargetID: itoa(id), Changes: map[string]roster.Change{"name": chg(name, nil)}, Note: "taken off 1 users"}}
	}}},
	"POST /users/{id}/tags": {
		{name: "existing tag", do: func(t *testing.T, w *world) []wantEntry {
			u, _ := w.user(t, "page-tag")
			id := w.tag(t, "Chip")
			name := w.tagName(t, id)
			w.page(t, "/users/"+u+"/tags", url.Values{"tag": {itoa(id)}}, http.StatusSeeOther)
			return []wantEntry{{Action: "user.tag", TargetType: "user", TargetID: u, Note: fmt.Sprintf("%s (#%d)", name, id)}}
		}},
		{name: "new tag", do: func(t *testing.T, w *world) []wantEntry {
			u, _ := w.user(t, "page-newtag")
			name := w.name("Fresh")
			w.page(t, "/users/"+u+"/tags", url.Values{"name": {name}}, http.StatusSeeOther)
			id := w.findTag(t, name)
			return []wantEntry{
				{Action: "tag.create", TargetType: "tag", TargetID: itoa(id), Changes: map[string]roster.Change{"name": chg(nil, name), "color": chg(nil, anyValue)}},
				{Action: "user.tag", TargetType: "user", TargetID: u, Note: fmt.Sprintf("%s (#%d)", name, id)},
			}
		}},
	},
	"POST /users/{id}/tags/{tag}/remove": {{do: func(t *testing.T, w *world) []wantEntry {
		u, _ := w.user(t, "page-untag")
		id := w.tag(t, "Off", u)
		w.page(t, "/users/"+u+"/tags/"+itoa(id)+"/remove", url.Values{}, http.StatusSeeOther)
		return []wantEntry{{Action: "user.untag", TargetType: "user", TargetID: u, Note: fmt.Sprintf("%s (#%d)", w.tagName(t, id), id)}}
	}}},
	"POST /users/bulk": {
		{name: "tag-add", do: func(t *testing.T, w *world) []wantEntry {
			_, email := w.user(t, "bulk")
			id := w.tag(t, "Bulk")
			w.page(t, "/users/bulk", url.Values{"action": {"tag-add"}, "tag": {itoa(id)}, "q": {"email:" + email}}, http.StatusSeeOther)
			return []wantEntry{{Action: "tag.apply", TargetType: "tag", TargetID: itoa(id), Note: "tagged 1 of 1 users; filter: email:" + email}}
		}},
		{name: "tag-remove", do: func(t *testing.T, w *world) []wantEntry {
			u, email := w.user(t, "bulk")
			id := w.tag(t, "Bulk", u)
			w.page(t, "/users/bulk", url.Values{"action": {"tag-remove"}, "tag": {itoa(id)}, "q": {"email:" + email}}, http.StatusSeeOther)
			return []wantEntry{{Action: "tag.remove", TargetType: "tag", TargetID: itoa(id), Note: "untagged 1 of 1 users; filter: email:" + email}}
		}},
		{name: "group-add", do: func(t *testing.T, w *world) []wantEntry {
			_, email := w.user(t, "bulk")
			g := w.group(t, "Bulk", roster.JoinOpen)
			w.page(t, "/users/bulk", url.Values{"action": {"group-add"}, "group": {itoa(g.ID)}, "q": {"email:" + email}}, http.StatusSeeOther)
			return []wantEntry{{Action: "group.add_members", TargetType: "group", TargetID: itoa(g.ID), Note: "added 1 of 1 users; filter: email:" + email}}
		}},
		{name: "group-remove", do: func(t *testing.T, w *world) []wantEntry {
			u, email := w.user(t, "bulk")
			g := w.group(t, "Bulk", roster.JoinOpen, u)
			w.page(t, "/users/bulk", url.Values{"action": {"group-remove"}, "group": {itoa(g.ID)}, "q": {"email:" + email}}, http.StatusSeeOther)
			return []wantEntry{{Action: "group.remove_members", TargetType: "group", TargetID: itoa(g.ID), Note: "removed 1 of 1 users; filter: email:" + email}}
		}},
	},

	// Tags, API.
	"POST /api/v1/tags": {{do: func(t *testing.T, w *world) []wantEntry {
		name := w.name("ApiTag")
		id := idOf(t, w.api(t, "POST", "/api/v1/tags", fmt.Sprintf(`{"name":%q,"color":"#175cd3"}`, name), http.StatusCreated))
		return []wantEntry{{Action: "tag.create", TargetType: "tag", TargetID: id, Changes: map[string]roster.Change{"name": chg(nil, name), "color": chg(nil, "#175cd3")}}}
	}}},
	"PATCH /api/v1/tags/{id}": {{do: func(t *testing.T, w *world) []wantEntry {
		id := w.tag(t, "Before")
		old := w.tagName(t, id)
		w.api(t, "PATCH", "/api/v1/tags/"+itoa(id), `{"name":"After","color":"#067647"}`, http.StatusOK)
		return []wantEntry{{Action: "tag.update", TargetType: "tag", TargetID: itoa(id), Changes: map[string]roster.Change{
			"name": chg(old, "After"), "color": chg("#175cd3", "#067647")}}}
	}}},
	"DELETE /api/v1/tags/{id}": {{do: func(t *testing.T, w *world) []wantEntry {
		u, _ := w.user(t, "tagged")
		id := w.tag(t, "Doomed", u)
		name := w.tagName(t, id)
		w.api(t, "DELETE", "/api/v1/tags/"+itoa(id), "", http.StatusOK)
		return []wantEntry{{Action: "tag.delete", TargetType: "tag", TargetID: itoa(id), Changes: map[string]roster.Change{"name": chg(name, nil)}, Note: "taken off 1 users"}}
	}}},
	"POST /api/v1/tags/{id}/apply": {{do: func(t *testing.T, w *world) []wantEntry {
		_, email := w.user(t, "apply")
		id := w.tag(t, "Apply")
		w.api(t, "POST", "/api/v1/tags/"+itoa(id)+"/apply", fmt.Sprintf(`{"q":"email:%s"}`, email), http.StatusOK)
		return []wantEntry{{Action: "tag.apply", TargetType: "tag", TargetID: itoa(id), Note: "tagged 1 of 1 users; filter: email:" + email}}
	}}},
	"POST /api/v1/tags/{id}/remove": {{do: func(t *testing.T, w *world) []wantEntry {
		u, email := w.user(t, "unapply")
		id := w.tag(t, "Unapply", u)
		w.api(t, "POST", "/api/v1/tags/"+itoa(id)+"/remove", fmt.Sprintf(`{"q":"email:%s"}`, email), http.StatusOK)
		return []wantEntry{{Action: "tag.remove", TargetType: "tag", TargetID: itoa(id), Note: "untagged 1 of 1 users; filter: email:" + email}}
	}}},
	"POST /api/v1/users/{id}/tags": {{do: func(t *testing.T, w *world) []wantEntry {
		u, _ := w.user(t, "api-tag")
		id := w.tag(t, "One")
		w.api(t, "POST", "/api/v1/users/"+u+"/tags", fmt.Sprintf(`{"tag_id":%d}`, id), http.StatusOK)
		return []wantEntry{{Action: "user.tag", TargetType: "user", TargetID: u, Note: fmt.Sprintf("%s (#%d)", w.tagName(t, id), id)}}
	}}},
	"DELETE /api/v1/users/{id}/tags/{tag_id}": {{do: func(t *testing.T, w *world) []wantEntry {
		u, _ := w.user(t, "api-untag")
		id := w.tag(t, "One", u)
		w.api(t, "DELETE", "/api/v1/users/"+u+"/tags/"+itoa(id), "", http.StatusOK)
		return []wantEntry{{Action: "user.untag", TargetType: "user", TargetID: u, Note: fmt.Sprintf("%s (#%d)", w.tagName(t, id), id)}}
	}}},

	// Groups, codes and members, pages.
	"POST /groups": {{do: func(t *testing.T, w *world) []wantEntry {
		name := w.name("PageGroup")
		resp := w.page(t, "/groups", url.Values{"name": {name}, "description": {"About"}, "join_type": {"open"}, "order": {"2"}}, http.StatusSeeOther)
		id := strings.TrimPrefix(resp.Header.Get("Location"), "/groups/")
		return []wantEntry{{Action: "group.create", TargetType: "group", TargetID: id, Changes: map[string]roster.Change{
			"name": chg("", name), "description": chg("", "About"), "join_type": chg("", "open"), "order": chg(0, 2)}}}
	}}},
	"POST /groups/{id}": {{do: func(t *testing.T, w *world) []wantEntry {
		g := w.group(t, "Before", roster.JoinOpen)
		after := w.name("After")
		w.page(t, "/groups/"+itoa(g.ID), url.Values{"name": {after}, "join_type": {"code"}}, http.StatusSeeOther)
		return []wantEntry{{Action: "group.update", TargetType: "group", TargetID: itoa(g.ID), Changes: map[string]roster.Change{
			"name": chg(g.Name, after), "join_type": chg("open", "code")}}}
	}}},
	"POST /groups/{id}/delete": {{do: func(t *testing.T, w *world) []wantEntry {
		g := w.group(t, "Doomed", roster.JoinOpen)
		w.page(t, "/groups/"+itoa(g.ID)+"/delete", url.Values{"confirm": {g.Name}}, http.StatusSeeOther)
		return []wantEntry{{Action: "group.delete", TargetType: "group", TargetID: itoa(g.ID), Changes: map[string]roster.Change{"name": chg(g.Name, nil)}}}
	}}},
	"POST /groups/{id}/codes": {{do: func(t *testing.T, w *world) []wantEntry {
		g := w.group(t, "Coded", roster.JoinCode)
		w.page(t, "/groups/"+itoa(g.ID)+"/codes", url.Values{"mode": {"many"}, "count": {"2"}}, http.StatusOK)
		return []wantEntry{{Action: "group.codes", TargetType: "group", TargetID: itoa(g.ID), Note: "2 codes"}}
	}}},
	"POST /groups/{id}/codes.csv": {{none: "sends back as a file the codes the page shows: nothing is made or changed", do: func(t *testing.T, w *world) []wantEntry {
		g := w.group(t, "Coded", roster.JoinCode)
		w.page(t, "/groups/"+itoa(g.ID)+"/codes.csv", url.Values{"code": {"ABCD-EFGH-JKLM"}}, http.StatusOK)
		return nil
	}}},
	"POST /groups/{id}/codes/{code}/delete": {{do: func(t *testing.T, w *world) []wantEntry {
		g := w.group(t, "Coded", roster.JoinCode)
		c := w.code(t, g.ID)
		w.page(t, fmt.Sprintf("/groups/%d/codes/%d/delete", g.ID, c.ID), url.Values{}, http.StatusSeeOther)
		return []wantEntry{{Action: "group.code_delete", TargetType: "group", TargetID: itoa(g.ID), Note: "code " + c.Hint}}
	}}},
	"POST /users/{id}/groups": {{do: func(t *testing.T, w *world) []wantEntry {
		u, _ := w.user(t, "page-join")
		g := w.group(t, "Team", roster.JoinCode)
		w.page(t, "/users/"+u+"/groups", url.Values{"group_id": {itoa(g.ID)}}, http.StatusSeeOther)
		return []wantEntry{{Action: "group.add_member", TargetType: "user", TargetID: u, Note: fmt.Sprintf("%s (#%d)", g.Name, g.ID)}}
	}}},
	"POST /users/{id}/groups/{group}/remove": {{do: func(t *testing.T, w *world) []wantEntry {
		u, _ := w.user(t, "page-leave")
		g := w.group(t, "Team", roster.JoinOpen, u)
		w.page(t, fmt.Sprintf("/users/%s/groups/%d/remove", u, g.ID), url.Values{}, http.StatusSeeOther)
		return []wantEntry{{Action: "group.remove_member", TargetType: "user", TargetID: u, Note: fmt.Sprintf("%s (#%d)", g.Name, g.ID)}}
	}}},
	"POST /users/{id}/segments/{segment}": {{name: "add", do: func(t *testing.T, w *world) []wantEntry {
		u, _ := w.user(t, "page-segment-add")
		sg := w.segment(t, "Picked")
		w.page(t, fmt.Sprintf("/users/%s/segments/%d", u, sg.ID), url.Values{"member": {"1"}}, http.StatusSeeOther)
		return []wantEntry{{Action: "segment.add_member", TargetType: "user", TargetID: u, Note: fmt.Sprintf("%s (#%d)", sg.Name, sg.ID)}}
	}}, {name: "remove", do: func(t *testing.T, w *world) []wantEntry {
		u, _ := w.user(t, "page-segment-remove")
		sg := w.segment(t, "Dropped")
		w.page(t, fmt.Sprintf("/users/%s/segments/%d", u, sg.ID), url.Values{"member": {"0"}}, http.StatusSeeOther)
		return []wantEntry{{Action: "segment.remove_member", TargetType: "user", TargetID: u, Note: fmt.Sprintf("%s (#%d)", sg.Name, sg.ID)}}
	}}},
	"POST /settings/smart-types": {{do: func(t *testing.T, w *world) []wantEntry {
		g := w.group(t, "Smart", roster.JoinOpen)
		before := w.smartTypes(t)
		w.page(t, "/settings/smart-types", url.Values{"group": {itoa(g.ID)}, "on." + itoa(g.ID): {"1"}}, http.StatusSeeOther)
		return []wantEntry{{Action: "smart_types.update", TargetType: "group", TargetID: "", Changes: map[string]roster.Change{"groups": chg(before, []int64{g.ID})}}}
	}}},

	// Groups, API.
	"POST /api/v1/groups": {{do: func(t *testing.T, w *world) []wantEntry {
		name := w.name("ApiGroup")
		id := idOf(t, w.api(t, "POST", "/api/v1/groups", fmt.Sprintf(`{"name":%q,"join_type":"code","user_viewable":true,"properties":{"level":3}}`, name), http.StatusCreated))
		return []wantEntry{{Action: "group.create", TargetType: "group", TargetID: id, Changes: map[string]roster.Change{
			"name": chg("", name), "join_type": chg("", "code"), "user_viewable": chg(false, true), "properties": chg(map[string]any{}, map[string]any{"level": 3})}}}
	}}},
	"PATCH /api/v1/groups/{id}": {{do: func(t *testing.T, w *world) []wantEntry {
		g := w.group(t, "Before", roster.JoinOpen)
		after := w.name("After")
		w.api(t, "PATCH", "/api/v1/groups/"+itoa(g.ID), fmt.Sprintf(`{"name":%q,"stops_at":"2030-01-01T00:00:00Z"}`, after), http.StatusOK)
		return []wantEntry{{Action: "group.update", TargetType: "group", TargetID: itoa(g.ID), Changes: map[string]roster.Change{
			"name": chg(g.Name, after), "stops_at": chg(nil, "2030-01-01T00:00:00Z")}}}
	}}},
	"DELETE /api/v1/groups/{id}": {{do: func(t *testing.T, w *world) []wantEntry {
		g := w.group(t, "Doomed", roster.JoinOpen)
		w.api(t, "DELETE", "/api/v1/groups/"+itoa(g.ID), "", http.StatusNoContent)
		return []wantEntry{{Action: "group.delete", TargetType: "group", TargetID: itoa(g.ID), Changes: map[string]roster.Change{"name": chg(g.Name, nil)}}}
	}}},
	// SCIM: the same entries as the API's, noted "via: scim".
	"POST /scim/v2/Users": {{do: func(t *testing.T, w *world) []wantEntry {
		email := w.name("scim-new") + "@example.com"
		id := idOf(t, w.api(t, "POST", "/scim/v2/Users", fmt.Sprintf(`{"schemas":[%q],"userName":%q,"name":{"givenName":"Sam"}}`, scimUser, email), http.StatusCreated))
		return []wantEntry{{Action: "user.create", TargetType: "user", TargetID: id, Note: "via: scim", Changes: newUserChanges(map[string]roster.Change{
			"email": chg(nil, email), "first_name": chg(nil, "Sam"),
		})}}
	}}},
	"PUT /scim/v2/Users/{id}": {{do: func(t *testing.T, w *world) []wantEntry {
		id, email := w.user(t, "scim-put")
		w.api(t, "PUT", "/scim/v2/Users/"+id, fmt.Sprintf(`{"schemas":[%q],"userName":%q,"name":{"familyName":"Lee"}}`, scimUser, email), http.StatusOK)
		return []wantEntry{{Action: "user.update", TargetType: "user", TargetID: id, Note: "via: scim", Changes: map[string]roster.Change{"last_name": chg("", "Lee")}}}
	}}},
	"PATCH /scim/v2/Users/{id}": {{do: func(t *testing.T, w *world) []wantEntry {
		id, _ := w.user(t, "scim-patch")
		w.api(t, "PATCH", "/scim/v2/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":"False"}]}`, http.StatusOK)
		return []wantEntry{{Action: "user.update", TargetType: "user", TargetID: id, Note: "via: scim", Changes: map[string]roster.Change{"status": chg("active", "banned")}}}
	}}},
	"DELETE /scim/v2/Users/{id}": {{do: func(t *testing.T, w *world) []wantEntry {
		id, email := w.user(t, "scim-del")
		w.api(t, "DELETE", "/scim/v2/Users/"+id, "", http.StatusNoContent)
		return []wantEntry{{Action: "user.delete", TargetType: "user", TargetID: id, Note: "via: scim; " + email}}
	}}},
	"POST /scim/v2/Groups": {{do: func(t *testing.T, w *world) []wantEntry {
		u, _ := w.user(t, "scim-member")
		name := w.name("ScimGroup")
		id := idOf(t, w.api(t, "POST", "/scim/v2/Groups", fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":%q,"members":[{"value":%q}]}`, name, u), http.StatusCreated))
		return []wantEntry{
			{Action: "group.create", TargetType: "group", TargetID: id, Note: "via: scim", Changes: map[string]roster.Change{"name": chg("", name), "join_type": chg("", "open")}},
			{Action: "group.add_member", TargetType: "user", TargetID: u, Note: fmt.Sprintf("via: scim; %s (#%s)", name, id)},
		}
	}}},
	"PUT /scim/v2/Groups/{id}": {{do: func(t *testing.T, w *world) []wantEntry {
		u, _ := w.user(t, "scim-left")
		g := w.group(t, "ScimPut", roster.JoinOpen, u)
		w.api(t, "PUT", "/scim/v2/Groups/"+itoa(g.ID), fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":%q,"members":[]}`, g.Name), http.StatusOK)
		return []wantEntry{{Action: "group.remove_member", TargetType: "user", TargetID: u, Note: fmt.Sprintf("via: scim; %s (#%d)", g.Name, g.ID)}}
	}}},
	"PATCH /scim/v2/Groups/{id}": {{do: func(t *testing.T, w *world) []wantEntry {
		g := w.group(t, "ScimPatch", roster.JoinOpen)
		after := w.name("ScimPatched")
		w.api(t, "PATCH", "/scim/v2/Groups/"+itoa(g.ID), fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"displayName":%q}}]}`, after), http.StatusOK)
		return []wantEntry{{Action: "group.update", TargetType: "group", TargetID: itoa(g.ID), Note: "via: scim", Changes: map[string]roster.Change{"name": chg(g.Name, after)}}}
	}}},
	"DELETE /scim/v2/Groups/{id}": {{do: func(t *testing.T, w *world) []wantEntry {
		g := w.group(t, "ScimDoomed", roster.JoinOpen)
		w.api(t, "DELETE", "/scim/v2/Groups/"+itoa(g.ID), "", http.StatusNoContent)
		return []wantEntry{{Action: "group.delete", TargetType: "group", TargetID: itoa(g.ID), Note: "via: scim", Changes: map[string]roster.Change{"name": chg(g.Name, nil)}}}
	}}},
	"/scim/v2": {{none: "SCIM's not-found answer for /scim/v2 itself", do: func(t *testing.T, w *world) []wantEntry {
		w.api(t, "POST", "/scim/v2", `{}`, http.StatusNotFound)
		return nil
	}}},
	"/scim/v2/": {{none: "SCIM's not-found answer", do: func(t *testing.T, w *world) []wantEntry {
		w.api(t, "POST", "/scim/v2/Nothing", `{}`, http.StatusNotFound)
		return nil
	}}},
	"POST /api/v1/groups/{id}/codes": {{do: func(t *testing.T, w *world) []wantEntry {
		g := w.group(t, "Coded", roster.JoinCode)
		w.api(t, "POST", "/api/v1/groups/"+itoa(g.ID)+"/codes", `{"count":3,"max_uses":1}`, http.StatusCreated)
		return []wantEntry{{Action: "group.codes", TargetType: "group", TargetID: itoa(g.ID), Note: "3 codes"}}
	}}},
	"DELETE /api/v1/groups/{id}/codes/{code_id}": {{do: func(t *testing.T, w *world) []wantEntry {
		g := w.group(t, "Coded", roster.JoinCode)
		c := w.code(t, g.ID)
		w.api(t, "DELETE", fmt.Sprintf("/api/v1/groups/%d/codes/%d", g.ID, c.ID), "", http.StatusNoContent)
		return []wantEntry{{Action: "group.code_delete", TargetType: "group", TargetID: itoa(g.ID), Note: "code " + c.Hint}}
	}}},
	"POST /api/v1/groups/{id}/join": {{do: func(t *testing.T, w *world) []wantEntry {
		u, _ := w.user(t, "joiner")
		g := w.group(t, "Coded", roster.JoinCode)
		c := w.code(t, g.ID)
		w.api(t, "POST", "/api/v1/groups/"+itoa(g.ID)+"/join", fmt.Sprintf(`{"user_id":%q,"code":%q}`, u, c.Code), http.StatusOK)
		return []wantEntry{{Action: "group.join", TargetType: "user", TargetID: u, Note: g.Name + " with code " + c.Hint,
			Actor: "user " + u + " (through " + w.actor.Email + ")"}}
	}}},
	"POST /api/v1/groups/{id}/leave": {{do: func(t *testing.T, w *world) []wantEntry {
		u, _ := w.user(t, "leaver")
		g := w.group(t, "Open", roster.JoinOpen, u)
		w.api(t, "POST", "/api/v1/groups/"+itoa(g.ID)+"/leave", fmt.Sprintf(`{"user_id":%q}`, u), http.StatusNoContent)
		return []wantEntry{{Action: "group.leave", TargetType: "user", TargetID: u, Note: fmt.Sprintf("%s (#%d)", g.Name, g.ID),
			Actor: "user " + u + " (through " + w.actor.Email + ")"}}
	}}},
	"POST /api/v1/groups/{id}/members": {{do: func(t *testing.T, w *world) []wantEntry {
		_, email := w.user(t, "bulkadd")
		g := w.group(t, "Bulk", roster.JoinOpen)
		w.api(t, "POST", "/api/v1/groups/"+itoa(g.ID)+"/members", fmt.Sprintf(`{"q":"email:%s"}`, email), http.StatusOK)
		return []wantEntry{{Action: "group.add_members", TargetType: "group", TargetID: itoa(g.ID), Note: "added 1 of 1 users; filter: email:" + email}}
	}}},
	"POST /api/v1/groups/{id}/members/remove": {{do: func(t *testing.T, w *world) []wantEntry {
		u, email := w.user(t, "bulkremove")
		g := w.group(t, "Bulk", roster.JoinOpen, u)
		w.api(t, "POST", "/api/v1/groups/"+itoa(g.ID)+"/members/remove", fmt.Sprintf(`{"q":"email:%s"}`, email), http.StatusOK)
		return []wantEntry{{Action: "group.remove_members", TargetType: "group", TargetID: itoa(g.ID), Note: "removed 1 of 1 users; filter: email:" + email}}
	}}},
	"POST /api/v1/groups/{id}/members/{user_id}": {{do: func(t *testing.T, w *world) []wantEntry {
		u, _ := w.user(t, "added")
		g := w.group(t, "Team", roster.JoinCode)
		w.api(t, "POST", fmt.Sprintf("/api/v1/groups/%d/members/%s", g.ID, u), "", http.StatusOK)
		return []wantEntry{{Action: "group.add_member", TargetType: "user", TargetID: u, Note: fmt.Sprintf("%s (#%d)", g.Name, g.ID)}}
	}}},
	"DELETE /api/v1/groups/{id}/members/{user_id}": {{do: func(t *testing.T, w *world) []wantEntry {
		u, _ := w.user(t, "removed")
		g := w.group(t, "Team", roster.JoinCode, u)
		w.api(t, "DELETE", fmt.Sprintf("/api/v1/groups/%d/members/%s", g.ID, u), "", http.StatusNoContent)
		return []wantEntry{{Action: "group.remove_member", TargetType: "user", TargetID: u, Note: fmt.Sprintf("%s (#%d)", g.Name, g.ID)}}
	}}},
	"PUT /api/v1/smart-types": {{do: func(t *testing.T, w *world) []wantEntry {
		g := w.group(t, "Smart", roster.JoinOpen)
		before := w.smartTypes(t)
		w.api(t, "PUT", "/api/v1/smart-types", fmt.Sprintf(`{"groups":[%d]}`, g.ID), http.StatusOK)
		return []wantEntry{{Action: "smart_types.update", TargetType: "group", TargetID: "", Changes: map[string]roster.Change{"groups": chg(before, []int64{g.ID})}}}
	}}},

	// Segments.
	"POST /segments": {{do: func(t *testing.T, w *world) []wantEntry {
		name := w.name("PageSeg")
		resp := w.page(t, "/segments", url.Values{"name": {name}, "q": {"country:FR"}}, http.StatusSeeOther)
		id := strings.TrimPrefix(resp.Header.Get("Location"), "/segments/")
		return []wantEntry{{Action: "segment.create", TargetType: "segment", TargetID: id, Changes: map[string]roster.Change{
			"name": chg("", name), "q": chg("", "country:FR")}}}
	}}},
	"POST /segments/{id}": {{do: func(t *testing.T, w *world) []wantEntry {
		sg := w.segment(t, "Before")
		after := w.name("After")
		w.page(t, "/segments/"+itoa(sg.ID), url.Values{"name": {after}, "q": {"country:BE"}}, http.StatusSeeOther)
		return []wantEntry{{Action: "segment.update", TargetType: "segment", TargetID: itoa(sg.ID), Changes: map[string]roster.Change{
			"name": chg(sg.Name, after), "q": chg("country:FR", "country:BE")}}}
	}}},
	"POST /segments/{id}/delete": {{do: func(t *testing.T, w *world) []wantEntry {
		sg := w.segment(t, "Doomed")
		w.page(t, "/segments/"+itoa(sg.ID)+"/delete", url.Values{}, http.StatusSeeOther)
		return []wantEntry{{Action: "segment.delete", TargetType: "segment", TargetID: itoa(sg.ID), Changes: map[string]roster.Change{
			"name": chg(sg.Name, nil), "q": chg("country:FR", nil)}}}
	}}},
	"POST /api/v1/segments": {{do: func(t *testing.T, w *world) []wantEntry {
		g := w.group(t, "Inc", roster.JoinOpen)
		name := w.name("ApiSeg")
		id := idOf(t, w.api(t, "POST", "/api/v1/segments", fmt.Sprintf(`{"name":%q,"q":"country:FR","include":[{"type":"group","id":%d}]}`, name, g.ID), http.StatusCreated))
		return []wantEntry{{Action: "segment.create", TargetType: "segment", TargetID: id, Changes: map[string]roster.Change{
			"name": chg("", name), "q": chg("", "country:FR"), "include": chg([]any{}, []any{map[string]any{"type": "group", "id": g.ID}})}}}
	}}},
	"PUT /api/v1/segments/{id}": {{do: func(t *testing.T, w *world) []wantEntry {
		sg := w.segment(t, "Before")
		after := w.name("After")
		w.api(t, "PUT", "/api/v1/segments/"+itoa(sg.ID), fmt.Sprintf(`{"name":%q,"q":"country:FR"}`, after), http.StatusOK)
		return []wantEntry{{Action: "segment.update", TargetType: "segment", TargetID: itoa(sg.ID), Changes: map[string]roster.Change{"name": chg(sg.Name, after)}}}
	}}},
	"DELETE /api/v1/segments/{id}": {{do: func(t *testing.T, w *world) []wantEntry {
		sg := w.segment(t, "Doomed")
		w.api(t, "DELETE", "/api/v1/segments/"+itoa(sg.ID), "", http.StatusNoContent)
		return []wantEntry{{Action: "segment.delete", TargetType: "segment", TargetID: itoa(sg.ID), Changes: map[string]roster.Change{
			"name": chg(sg.Name, nil), "q": chg("country:FR", nil)}}}
	}}},

	// Member of the Month.
	"POST /member-of-the-month": {{do: func(t *testing.T, w *world) []wantEntry {
		u, _ := w.user(t, "monthly")
		w.page(t, "/member-of-the-month", url.Values{"month": {"2025-01"}, "user": {u}, "citation": {"Kind"}}, http.StatusSeeOther)
		return []wantEntry{{Action: "month.name", TargetType: "user", TargetID: u, Changes: map[string]roster.Change{
			"user": chg(nil, u), "citation": chg(nil, "Kind")}, Note: "Member of the Month 2025-01"}}
	}}},
	"POST /api/v1/member-of-the-month": {{do: func(t *testing.T, w *world) []wantEntry {
		u, _ := w.user(t, "monthly")
		w.api(t, "POST", "/api/v1/member-of-the-month", fmt.Sprintf(`{"month":"2025-02","user_id":%q,"citation":"Brave"}`, u), http.StatusCreated)
		return []wantEntry{{Action: "month.name", TargetType: "user", TargetID: u, Changes: map[string]roster.Change{
			"user": chg(nil, u), "citation": chg(nil, "Brave")}, Note: "Member of the Month 2025-02"}}
	}}},

	// Subscribers: a preview reads; applying makes a job (the paste's
	// own subscribers.paste entry is written by its last batch, which
	// the jobs package's test runs).
	"POST /users/subscribers/preview": {{none: "a preview: it reads only", do: func(t *testing.T, w *world) []wantEntry {
		_, email := w.user(t, "paste-preview")
		w.page(t, "/users/subscribers/preview", url.Values{"addresses": {email}, "mode": {"subscribe"}}, http.StatusOK)
		return nil
	}}},
	"POST /api/v1/subscribers/preview": {{none: "a preview: it reads only", do: func(t *testing.T, w *world) []wantEntry {
		_, email := w.user(t, "paste-preview-api")
		w.api(t, "POST", "/api/v1/subscribers/preview", `{"addresses":["`+email+`"],"mode":"subscribe"}`, http.StatusOK)
		return nil
	}}},
	"POST /users/subscribers/apply": {{do: func(t *testing.T, w *world) []wantEntry {
		_, email := w.user(t, "paste-apply")
		resp := w.page(t, "/users/subscribers/apply", url.Values{"addresses": {email}, "mode": {"subscribe"}, "consent": {"At the fair"}}, http.StatusSeeOther)
		id := strings.TrimPrefix(resp.Header.Get("Location"), "/users/subscribers?job=")
		return []wantEntry{{Action: "jobs.subscribers", TargetType: "job", TargetID: id, Note: "subscribe 1 pasted addresses"}}
	}}},
	"POST /api/v1/subscribers/apply": {{do: func(t *testing.T, w *world) []wantEntry {
		_, email := w.user(t, "paste-apply-api")
		body := w.api(t, "POST", "/api/v1/subscribers/apply", `{"addresses":"`+email+`","mode":"unsubscribe"}`, http.StatusAccepted)
		return []wantEntry{{Action: "jobs.subscribers", TargetType: "job", TargetID: idOf(t, body), Note: "unsubscribe 1 pasted addresses"}}
	}}},
	"POST /u/unsubscribe/{token}": {
		{name: "subscribed", do: func(t *testing.T, w *world) []wantEntry {
			u := &roster.User{Email: w.name("unsub") + "@example.com", Newsletter: true}
			if err := w.users.CreateUser(w.ctx, u, ""); err != nil {
				t.Fatal(err)
			}
			token, err := w.ts.Web.Subscribers.(*sqldb.SubscriberService).UnsubscribeToken(w.ctx, u.PublicID)
			if err != nil {
				t.Fatal(err)
			}
			w.hosted(t, "/u/unsubscribe/"+token, url.Values{"List-Unsubscribe": {"One-Click"}}, http.StatusOK)
			return []wantEntry{{Action: "user.unsubscribe", TargetType: "user", TargetID: u.PublicID, Actor: "user " + u.PublicID, Hosted: true,
				Changes: map[string]roster.Change{"newsletter": chg(true, false), "newsletter_source": chg("staff", "self"),
					"newsletter_unsubscribed_at": chg(anyValue, anyValue)}, Note: "one-click"}}
		}},
		{name: "not subscribed", none: "unsubscribing one who is not subscribed changes nothing", do: func(t *testing.T, w *world) []wantEntry {
			u, _ := w.user(t, "unsub-none")
			token, err := w.ts.Web.Subscribers.(*sqldb.SubscriberService).UnsubscribeToken(w.ctx, u)
			if err != nil {
				t.Fatal(err)
			}
			w.hosted(t, "/u/unsubscribe/"+token, url.Values{}, http.StatusOK)
			return nil
		}},
	},

	// Imports.
	"POST /users/import": {{do: func(t *testing.T, w *world) []wantEntry {
		resp, _ := w.upload(t, "/users/import", map[string]string{"mode": "upsert", "key": "email"}, "email\npage-import@example.com\n", http.StatusSeeOther)
		id := strings.TrimPrefix(resp.Header.Get("Location"), "/imports/")
		return []wantEntry{{Action: "users.import", TargetType: "job", TargetID: id, Note: "people.csv"}}
	}}},
	"POST /api/v1/imports": {{do: func(t *testing.T, w *world) []wantEntry {
		_, body := w.upload(t, "/api/v1/imports", map[string]string{"mode": "create"}, "email\napi-import@example.com\n", http.StatusAccepted)
		return []wantEntry{{Action: "users.import", TargetType: "job", TargetID: idOf(t, body), Note: "people.csv"}}
	}}},
	"POST /imports/{id}/mapping": {{do: func(t *testing.T, w *world) []wantEntry {
		id := w.job(t, jobNeedsMapping)
		w.page(t, "/imports/"+itoa(id)+"/mapping", url.Values{"column": {"nick"}, "field": {"-"}}, http.StatusSeeOther)
		return []wantEntry{{Action: "users.import_mapping", TargetType: "job", TargetID: itoa(id), Note: `"nick":""`}}
	}}},
	"POST /api/v1/imports/{id}/mapping": {{do: func(t *testing.T, w *world) []wantEntry {
		id := w.job(t, jobNeedsMapping)
		w.api(t, "POST", "/api/v1/imports/"+itoa(id)+"/mapping", `{"mapping":{"nick":""}}`, http.StatusOK)
		return []wantEntry{{Action: "users.import_mapping", TargetType: "job", TargetID: itoa(id), Note: `"nick":""`}}
	}}},
	"POST /imports/{id}/run": {{do: func(t *testing.T, w *world) []wantEntry {
		id := w.job(t, jobDryRunDone)
		resp := w.page(t, "/imports/"+itoa(id)+"/run", url.Values{}, http.StatusSeeOther)
		run := strings.TrimPrefix(resp.Header.Get("Location"), "/imports/")
		return []wantEntry{{Action: "users.import", TargetType: "job", TargetID: run, Note: ".csv"}}
	}}},
	"POST /api/v1/imports/{id}/run": {{do: func(t *testing.T, w *world) []wantEntry {
		id := w.job(t, jobDryRunDone)
		run := idOf(t, w.api(t, "POST", "/api/v1/imports/"+itoa(id)+"/run", "", http.StatusAccepted))
		return []wantEntry{{Action: "users.import", TargetType: "job", TargetID: run, Note: ".csv"}}
	}}},
	"POST /imports/{id}/cancel": {{do: func(t *testing.T, w *world) []wantEntry {
		id := w.job(t, jobQueued)
		w.page(t, "/imports/"+itoa(id)+"/cancel", url.Values{}, http.StatusSeeOther)
		return []wantEntry{{Action: "users.import_canceled", TargetType: "job", TargetID: itoa(id), Note: "canceled by " + w.actor.Email}}
	}}},
	"POST /api/v1/imports/{id}/cancel": {{do: func(t *testing.T, w *world) []wantEntry {
		id := w.job(t, jobQueued)
		w.api(t, "POST", "/api/v1/imports/"+itoa(id)+"/cancel", "", http.StatusOK)
		return []wantEntry{{Action: "users.import_canceled", TargetType: "job", TargetID: itoa(id), Note: "canceled by " + w.actor.Email}}
	}}},
}

// newUserChanges is what a new user's entry records: the values given,
// and the defaults every new user has.
func newUserChanges(given map[string]roster.Change) map[string]roster.Change {
	out := map[string]roster.Change{
		"status": chg(nil, "active"), "points": chg(nil, 0), "newsletter": chg(nil, false), "email_confirmed": chg(nil, false),
		"instagram_followers": chg(nil, 0), "tiktok_followers": chg(nil, 0), "youtube_followers": chg(nil, 0),
	}
	for k, c := range given {
		out[k] = c
	}
	return out
}

// findTag returns the id of the tag named name.
func (w *world) findTag(t *testing.T, name string) int64 {
	t.Helper()
	tags, err := w.tags.FindTags(w.ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, tg := range tags {
		if tg.Name == name {
			return tg.ID
		}
	}
	t.Fatalf("no tag %q", name)
	return 0
}

func (w *world) tagName(t *testing.T, id int64) string {
	t.Helper()
	tg, err := w.tags.FindTag(w.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return tg.Name
}

// smartTypes returns the smart type list as it is now.
func (w *world) smartTypes(t *testing.T) []int64 {
	t.Helper()
	ids, err := w.groups.SmartTypes(w.ctx)
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// TestRoutes_WritesAreAudited performs every route that may write (every
// POST, PATCH, PUT and DELETE of the route table, pages and API, and the
// routes that answer every method) once as one staff member, and checks
// the audit entries it wrote: action, actor, target and, where fields
// change, each field's value before and after. The list of routes is the
// server's own: a new write route without a row in auditRoutes fails here.
func TestRoutes_WritesAreAudited(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		w := newWorld(t, db)
		seen := map[string]bool{}
		covered := 0
		for _, rt := range w.ts.Web.Routes() {
			if !isWrite(rt) {
				continue
			}
			seen[rt.Pattern] = true
			cases, ok := auditRoutes[rt.Pattern]
			if !ok || len(cases) == 0 {
				t.Errorf("route %q may write but has no row in auditRoutes: add what it must audit, or why it writes nothing auditable", rt.Pattern)
				continue
			}
			covered++
			for _, c := range cases {
				name := rt.Pattern
				if c.name != "" {
					name += " " + c.name
				}
				t.Run(name, func(t *testing.T) {
					want := c.do(t, w)
					got := w.since(t)
					if c.none != "" {
						if len(want) > 0 {
							t.Fatalf("a case with a reason to write nothing (%s) expects entries", c.none)
						}
					} else if len(want) == 0 {
						t.Fatal("a case must expect entries, or say in none why it writes nothing auditable")
					}
					checkEntries(t, w, got, want)
					if c.after != nil {
						c.after(t, w)
					}
				})
			}
		}
		for pattern := range auditRoutes {
			if !seen[pattern] {
				t.Errorf("auditRoutes has a row for %q, which is not a write route of the server", pattern)
			}
		}
		t.Logf("%d write routes audited", covered)
	})
}

// checkEntries compares the entries a request wrote with those it must
// have written, in order, each by the world's actor.
func checkEntries(t *testing.T, w *world, got []*roster.AuditEntry, want []wantEntry) {
	t.Helper()
	show := func() string {
		var b strings.Builder
		for _, e := range got {
			c, _ := json.Marshal(e.Changes)
			fmt.Fprintf(&b, "\n  %s by %s (%d) on %s %q: %s; note %q", e.Action, e.Actor, e.ActorID, e.TargetType, e.TargetID, c, e.Note)
		}
		if b.Len() == 0 {
			return " none"
		}
		return b.String()
	}
	for _, e := range got {
		b, _ := json.Marshal(e.Changes)
		for _, s := range secrets {
			if strings.Contains(string(b), s) || strings.Contains(e.Note, s) {
				t.Errorf("audit entry %s holds a secret (%s): %s %q", e.Action, s, b, e.Note)
			}
		}
	}
	if len(got) != len(want) {
		t.Fatalf("wrote %d audit entries, want %d (%v); wrote:%s", len(got), len(want), actions(want), show())
	}
	for i, wn := range want {
		e := got[i]
		actorID, actor := w.actor.ID, w.actor.Email
		if wn.Actor != "" {
			actor = wn.Actor
		}
		if wn.Hosted {
			actorID = 0
		}
		if e.Action != wn.Action || e.TargetType != wn.TargetType || e.TargetID != wn.TargetID || e.ActorID != actorID || e.Actor != actor {
			t.Errorf("entry %d: %s by %s (%d) on %s %q, want %s by %s (%d) on %s %q; wrote:%s", i,
				e.Action, e.Actor, e.ActorID, e.TargetType, e.TargetID, wn.Action, actor, actorID, wn.TargetType, wn.TargetID, show())
		}
		if !strings.Contains(e.Note, wn.Note) {
			t.Errorf("entry %d (%s): note %q lacks %q", i, e.Action, e.Note, wn.Note)
		}
		if !sameChanges(e.Changes, wn.Changes) {
			g, _ := json.Marshal(e.Changes)
			x, _ := json.Marshal(wn.Changes)
			t.Errorf("entry %d (%s): changes %s, want %s", i, e.Action, g, x)
		}
	}
}

func actions(want []wantEntry) []string {
	var out []string
	for _, w := range want {
		out = append(out, w.Action)
	}
	return out
}

// sameChanges compares recorded changes with wanted ones by their JSON.
func sameChanges(got, want map[string]roster.Change) bool {
	if len(got) != len(want) {
		return false
	}
	side := func(g, w any) bool {
		gj, _ := json.Marshal(g)
		if w == anyValue {
			return string(gj) != "null"
		}
		wj, _ := json.Marshal(w)
		return string(gj) == string(wj)
	}
	for k, w := range want {
		g, ok := got[k]
		if !ok || !side(g.Before, w.Before) || !side(g.After, w.After) {
			return false
		}
	}
	return true
}

// hosted posts form to a public hosted page (/u/...), with no session.
func (w *world) hosted(t *testing.T, path string, form url.Values, want int) {
	t.Helper()
	b := newBrowser(t, w.ts)
	w.markNow(t)
	if resp := b.post(path, form, nil); resp.StatusCode != want {
		t.Fatalf("POST %s: %d, want %d\n%s", path, resp.StatusCode, want, resp.Body)
	}
}

// mailLinkRE finds a hosted page's link in a message.
var mailLinkRE = regexp.MustCompile(`https://roster\.example\.com(/u/(?:invite|reset|confirm)/[A-Za-z0-9_-]+)`)

// mailLink returns the path of the link in the newest message to email.
func (w *world) mailLink(t *testing.T, email string) string {
	t.Helper()
	ms, err := w.ts.Outbox.FindOutbox(w.ctx, roster.OutboxFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms { // newest first
		if m.Recipient == email {
			if l := mailLinkRE.FindStringSubmatch(m.Text); l != nil {
				return l[1]
			}
		}
	}
	t.Fatalf("no message with a link to %s", email)
	return ""
}

// resetMailSettings clears the mail settings a case stored.
func resetMailSettings(t *testing.T, w *world) {
	if err := w.ts.Web.MailSettings.UpdateMailSettings(w.ctx, roster.MailSettings{}); err != nil {
		t.Fatal(err)
	}
}

// resetWelcome puts the welcome template back to its default.
func resetWelcome(t *testing.T, w *world) {
	if err := w.ts.Web.MailSettings.ResetMailTemplate(w.ctx, "welcome"); err != nil {
		t.Fatal(err)
	}
}

// failedMessage queues a reset link to the user u and has it refused as
// a mail server would refuse it, returning the message's id.
func (w *world) failedMessage(t *testing.T, u string) int64 {
	t.Helper()
	m, err := w.ts.Web.Accounts.SendPasswordReset(w.ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	// Earlier cases queued messages too: claim them all, fail this one.
	if _, err := w.ts.Outbox.ClaimOutbox(w.ctx, "test", 500, time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := w.ts.Outbox.RecordFailed(w.ctx, m.ID, "test", "550 5.1.1 mailbox unavailable"); err != nil {
		t.Fatal(err)
	}
	return m.ID
}
