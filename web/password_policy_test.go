package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"roster"
	"roster/sqldb"
	"roster/sqldb/sqldbtest"
)

// The password policy holds wherever a person chooses a password or staff
// type one: the hosted invite page, the API's user create and update, and
// staff accounts (12 characters). The refusal names the field and the
// rule, never the password.
func TestPasswordPolicy_Everywhere(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ts := mustOpenServer(t, db)

		// The API: a common password, and the email's name, refused.
		ts.fails(t, roster.RoleAdmin, "POST", "/api/v1/users", `{"email":"zed@example.com","password":"Password1"}`,
			http.StatusUnprocessableEntity, `"password":"is one of the most common passwords`)
		ts.fails(t, roster.RoleAdmin, "POST", "/api/v1/users", `{"email":"zed@example.com","password":"zed's secret trail"}`,
			http.StatusUnprocessableEntity, `"password":"must not contain the email address's name`)
		id := ts.createUser(t, `{"email":"zed@example.com","password":"a quiet river stone"}`)
		ts.fails(t, roster.RoleAdmin, "PATCH", "/api/v1/users/"+id, `{"password":"short"}`, http.StatusUnprocessableEntity, `"password":"must have at least 8 characters"`)
		// The address the update sets is the one checked.
		ts.fails(t, roster.RoleAdmin, "PATCH", "/api/v1/users/"+id, `{"email":"river@example.com","password":"a quiet river stone"}`,
			http.StatusUnprocessableEntity, `"password":"must not contain`)
		ts.call(t, roster.RoleAdmin, "PATCH", "/api/v1/users/"+id, `{"password":"eight ch"}`, http.StatusOK)

		// The hosted invite page.
		ts.call(t, roster.RoleAdmin, "POST", "/api/v1/users/"+id+"/invite", "", http.StatusAccepted)
		link := mailLink.FindStringSubmatch(ts.newest(t).Text)
		if link == nil {
			t.Fatal("no invite link")
		}
		user := newBrowser(t, ts)
		for pw, want := range map[string]string{"iloveyou": "most common passwords", "ZED-the-great": "the part before the @", strings.Repeat("x", 129): "at most 128 characters"} {
			resp := user.post(link[1], url.Values{"password": {pw}, "password_again": {pw}}, nil)
			wantStatus(t, "invite with "+want, resp, http.StatusUnprocessableEntity)
			wantContains(t, "invite with "+want, resp.Body, want)
			wantLacks(t, "invite with "+want, resp.Body, `value="`+pw)
		}
		wantStatus(t, "invite", user.post(link[1], url.Values{"password": {"ünïcödé 8"}, "password_again": {"ünïcödé 8"}}, nil), http.StatusOK)

		// Staff: 12 characters.
		admin := newBrowser(t, ts)
		admin.signIn(roster.RoleAdmin, "/")
		resp := admin.postForm("/settings/staff", "/settings/staff", url.Values{"email": {"kim@staff.example.com"}, "role": {"viewer"}, "password": {"eleven char"}})
		wantStatus(t, "staff with 11 characters", resp, http.StatusUnprocessableEntity)
		wantContains(t, "staff with 11 characters", resp.Body, "at least 12 characters")
		resp = admin.postForm("/settings/staff", "/settings/staff", url.Values{"email": {"kim@staff.example.com"}, "role": {"viewer"}, "password": {"twelve chars"}})
		wantRedirect(t, "staff with 12 characters", resp, "/settings/staff")
	})
}
