package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"roster"
	"roster/sqldb"
	"roster/sqldb/sqldbtest"
	"roster/web"
)

// errorReason returns the error code and reason of an API error body.
func errorReason(t *testing.T, body string) (code, reason string, fields map[string]string) {
	t.Helper()
	var e struct {
		Error struct {
			Code   string            `json:"code"`
			Reason string            `json:"reason"`
			Fields map[string]string `json:"fields"`
		} `json:"error"`
	}
	if err := json.Unmarshal([]byte(body), &e); err != nil {
		t.Fatalf("error body %q: %v", body, err)
	}
	return e.Error.Code, e.Error.Reason, e.Error.Fields
}

// TestMember_EndToEnd is the member API as an app uses it: the user signs
// in, joins a public group, joins a private group with a single-use code
// (16 users try the one code at once: exactly one gets in), registers a
// push token, staff see it all on the profile and sign the user out
// remotely, and the next member call is refused.
func TestMember_EndToEnd(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		w := newWorld(t, db)
		u, email := w.userWithPassword(t, "app-user")

		// Off by default.
		st, body := w.ts.memberDo(t, "", "POST", "/api/member/v1/sign-in", `{"login":"`+email+`","password":"user-password-1"}`)
		if st != http.StatusNotFound {
			t.Fatalf("sign-in while off: %d %s", st, body)
		}
		w.memberPolicy(t, func(p *roster.MemberPolicy) { p.SignIn = true })
		body = w.member(t, "", "POST", "/api/member/v1/sign-in",
			`{"login":"`+strings.ToUpper(email)+`","password":"user-password-1","device_name":"Ann's phone","platform":"iOS","app_version":"3.2.1"}`, http.StatusOK)
		var in struct {
			Access  string `json:"access_token"`
			Type    string `json:"token_type"`
			Expires string `json:"expires_at"`
			Refresh string `json:"refresh_token"`
			ID      string `json:"id"`
			Email   string `json:"email"`
			Session struct {
				ID       int64  `json:"id"`
				Platform string `json:"platform"`
			} `json:"session"`
		}
		if err := json.Unmarshal([]byte(body), &in); err != nil {
			t.Fatal(err)
		}
		exp, err := time.Parse(time.RFC3339, in.Expires)
		if !strings.HasPrefix(in.Access, roster.UserAccessPrefix) || in.Type != "Bearer" || err != nil || in.Refresh != "" ||
			in.ID != u || in.Email != email || in.Session.Platform != "ios" {
			t.Fatalf("sign-in answer: %s", body)
		}
		if d := time.Until(exp); d < 29*24*time.Hour || d > 30*24*time.Hour+time.Minute {
			t.Errorf("expires_at %s: want the idle expiry, 30 days from now", in.Expires)
		}
		tok := in.Access
		if me := w.member(t, tok, "GET", "/api/member/v1/me", "", http.StatusOK); !strings.Contains(me, `"email":"`+email+`"`) {
			t.Fatalf("GET /me: %s", me)
		}

		open := w.viewableGroup(t, "Public", roster.JoinOpen)
		private := w.viewableGroup(t, "Private", roster.JoinCode)
		hidden := w.group(t, "Hidden", roster.JoinOpen)
		var list struct {
			Groups []struct {
				ID     int64 `json:"id"`
				Member bool  `json:"member"`
			} `json:"groups"`
		}
		listGroups := func() map[int64]bool {
			t.Helper()
			if err := json.Unmarshal([]byte(w.member(t, tok, "GET", "/api/member/v1/groups", "", http.StatusOK)), &list); err != nil {
				t.Fatal(err)
			}
			out := map[int64]bool{}
			for _, g := range list.Groups {
				out[g.ID] = g.Member
			}
			return out
		}
		if got := listGroups(); len(got) != 2 || got[open.ID] || got[private.ID] {
			t.Fatalf("groups before joining: %v (want the two viewable ones, member of neither)", got)
		}
		w.member(t, tok, "POST", fmt.Sprintf("/api/member/v1/groups/%d/join", hidden.ID), "", http.StatusNotFound)
		if j := w.member(t, tok, "POST", fmt.Sprintf("/api/member/v1/groups/%d/join", open.ID), "", http.StatusOK); !strings.Contains(j, `"via":"self"`) {
			t.Fatalf("join: %s", j)
		}
		checkEntries(t, w, w.since(t), []wantEntry{{Action: "group.join", TargetType: "user", TargetID: u, Actor: "user " + u, Hosted: true, Note: open.Name}})

		// 16 users, the app's user among them, try one single-use code at once.
		code := w.code(t, private.ID)
		tokens := []string{tok}
		for i := 1; i < 16; i++ {
			other, _ := w.user(t, "racer")
			ot, _ := w.session(t, other)
			tokens = append(tokens, ot)
		}
		statuses := make([]int, len(tokens))
		bodies := make([]string, len(tokens))
		var wg sync.WaitGroup
		for i, ot := range tokens {
			wg.Add(1)
			go func() {
				defer wg.Done()
				statuses[i], bodies[i] = w.ts.memberDo(t, ot, "POST", fmt.Sprintf("/api/member/v1/groups/%d/join", private.ID), `{"code":"`+code.Code+`"}`)
			}()
		}
		wg.Wait()
		won := -1
		for i, st := range statuses {
			switch st {
			case http.StatusOK:
				if won >= 0 {
					t.Fatalf("two joins with one single-use code: %d and %d", won, i)
				}
				won = i
			case http.StatusUnprocessableEntity:
				if _, _, f := errorReason(t, bodies[i]); f["code"] == "" {
					t.Errorf("a refused join names no code: %s", bodies[i])
				}
			default:
				t.Errorf("join %d: %d %s", i, st, bodies[i])
			}
		}
		if won < 0 {
			t.Fatal("no join with the code succeeded")
		}
		if won != 0 {
			// The app's user lost the race: a code of their own.
			c := w.code(t, private.ID)
			w.member(t, tok, "POST", fmt.Sprintf("/api/member/v1/groups/%d/join", private.ID), `{"code":"`+c.Code+`"}`, http.StatusOK)
		}
		if got := listGroups(); !got[open.ID] || !got[private.ID] {
			t.Fatalf("groups after joining: %v", got)
		}

		w.member(t, tok, "POST", "/api/member/v1/push-tokens", `{"provider":"apns","token":"apns-token-0123"}`, http.StatusCreated)
		// The push_tokens field follows the records: filterable.
		if ids := w.search(t, "push_tokens:any email:"+email); ids != 1 {
			t.Errorf("push_tokens:any finds %d users, want 1", ids)
		}

		// The profile shows both groups, the device and the token.
		page := w.b.get("/users/" + u)
		for _, want := range []string{open.Name, private.Name, "Ann&#39;s phone", "3.2.1", "apns-token-0123", "APNs", "Sign out everywhere"} {
			if !strings.Contains(page.Body, want) {
				t.Errorf("the profile lacks %q", want)
			}
		}

		// Staff sign the user out everywhere: the next call is refused.
		w.api(t, "DELETE", "/api/v1/users/"+u+"/sessions", "", http.StatusOK)
		st, body = w.ts.memberDo(t, tok, "GET", "/api/member/v1/me", "")
		if code, reason, _ := errorReason(t, body); st != http.StatusUnauthorized || code != roster.EUNAUTHORIZED || reason != roster.TokenRevoked {
			t.Fatalf("after staff signed the user out: %d %s", st, body)
		}
	})
}

// search counts the users a filter finds through the API.
func (w *world) search(t *testing.T, q string) int {
	t.Helper()
	st, body := w.ts.do(t, roster.RoleAdmin, "POST", "/api/v1/users/search", fmt.Sprintf(`{"q":%q}`, q))
	if st != http.StatusOK {
		t.Fatalf("search %q: %d %s", q, st, body)
	}
	var out struct {
		Users []json.RawMessage `json:"users"`
	}
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		t.Fatal(err)
	}
	return len(out.Users)
}

// TestMember_TokenRefusals: expired, revoked, forged, truncated and
// other-purpose tokens get 401 with a reason and nothing else.
func TestMember_TokenRefusals(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		w := newWorld(t, db)
		u, _ := w.user(t, "refused")
		live, _ := w.session(t, u)
		ended, endedID := w.session(t, u)
		if err := w.ts.Web.Sessions.EndSession(w.ctx, w.storeID(t, u), endedID, roster.EndSignedOut); err != nil {
			t.Fatal(err)
		}
		w.memberPolicy(t, func(p *roster.MemberPolicy) { p.Refresh = true })
		_, withRefresh, err := w.ts.Web.Sessions.StartSession(w.ctx, w.storeID(t, u), roster.UserDevice{})
		if err != nil {
			t.Fatal(err)
		}
		forged := roster.UserAccessPrefix + strings.Repeat("A", 43)
		cases := []struct {
			name, header, reason string
		}{
			{"no header", "", roster.TokenMissing},
			{"not bearer", "Basic abc", roster.TokenMissing},
			{"truncated", "Bearer " + live[:len(live)-1], roster.TokenMalformed},
			{"altered", "Bearer " + live[:len(live)-1] + "*", roster.TokenMalformed},
			{"no prefix", "Bearer " + live[len(roster.UserAccessPrefix):], roster.TokenMalformed},
			{"forged", "Bearer " + forged, roster.TokenInvalid},
			{"revoked", "Bearer " + ended, roster.TokenRevoked},
			{"staff token", "Bearer " + w.ts.Tokens[roster.RoleOwner], roster.TokenWrongKind},
			{"refresh token", "Bearer " + withRefresh.Refresh, roster.TokenWrongKind},
		}
		for _, c := range cases {
			h := map[string]string{}
			if c.header != "" {
				h["Authorization"] = c.header
			}
			st, body, hdr := w.ts.memberDoHeader(t, "", "GET", "/api/member/v1/me", "", h)
			code, reason, fields := errorReason(t, body)
			if st != http.StatusUnauthorized || code != roster.EUNAUTHORIZED || reason != c.reason || fields != nil || hdr.Get("WWW-Authenticate") == "" {
				t.Errorf("%s: %d %s (WWW-Authenticate %q), want 401 with reason %s", c.name, st, body, hdr.Get("WWW-Authenticate"), c.reason)
			}
			if strings.Contains(body, u) {
				t.Errorf("%s: the refusal names the user: %s", c.name, body)
			}
		}

		// Expired: the idle expiry passes, then the absolute one.
		clock := time.Now()
		db.Now = func() time.Time { return clock }
		t.Cleanup(func() { db.Now = time.Now })
		w.memberPolicy(t, func(p *roster.MemberPolicy) { p.IdleTTL, p.AbsoluteTTL = time.Hour, 2*time.Hour })
		idle, _ := w.session(t, u)
		w.member(t, idle, "GET", "/api/member/v1/me", "", http.StatusOK)
		clock = clock.Add(61 * time.Minute)
		st, body := w.ts.memberDo(t, idle, "GET", "/api/member/v1/me", "")
		if _, reason, _ := errorReason(t, body); st != http.StatusUnauthorized || reason != roster.TokenExpired {
			t.Errorf("idle for an hour: %d %s", st, body)
		}
		used, _ := w.session(t, u)
		for i := 0; i < 3; i++ {
			clock = clock.Add(50 * time.Minute)
			st, body = w.ts.memberDo(t, used, "GET", "/api/member/v1/me", "")
		}
		if _, reason, _ := errorReason(t, body); st != http.StatusUnauthorized || reason != roster.TokenExpired {
			t.Errorf("used every 50 minutes for 150 minutes (absolute expiry 2 hours): %d %s", st, body)
		}
	})
}

// TestMember_TokensStayInTheirAPI sends a user session's token to every
// staff API route and a staff token to every member route: each is refused
// with 401 and the reason token_wrong_kind, and nothing happens.
func TestMember_TokensStayInTheirAPI(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		w := newWorld(t, db)
		u, _ := w.user(t, "both-ways")
		tok, _ := w.session(t, u)
		staff := w.ts.Tokens[roster.RoleOwner]
		member, api := 0, 0
		for _, rt := range w.ts.Web.Routes() {
			method, path := rt.Method(), harmlessPath(rt)
			if method == "" || method == "OPTIONS" {
				continue
			}
			var token string
			switch {
			case strings.HasPrefix(path, "/api/member/") && rt.Perm == "":
				if strings.HasSuffix(path, "/sign-in") || strings.HasSuffix(path, "/refresh") {
					continue // their own credentials, in the body
				}
				token, member = staff, member+1
			case strings.HasPrefix(path, "/api/") && rt.Perm != "":
				token, api = tok, api+1
			default:
				continue
			}
			w.markNow(t)
			st, body := w.ts.memberDo(t, token, method, path, "{}")
			if _, reason, _ := errorReason(t, body); st != http.StatusUnauthorized || reason != roster.TokenWrongKind {
				t.Errorf("%s %s with the wrong kind of token: %d %.200s", method, path, st, body)
			}
			if got := w.since(t); len(got) != 0 {
				t.Errorf("%s %s with the wrong kind of token wrote %d audit entries", method, path, len(got))
			}
		}
		if member < 13 || api < 70 {
			t.Fatalf("walked %d member and %d staff API routes", member, api)
		}
		// The session still works: refusals elsewhere do not end it.
		w.member(t, tok, "GET", "/api/member/v1/me", "", http.StatusOK)
	})
}

// TestMember_SignInRefreshAndEnds: the public sign-in answers alike for an
// unknown login and a wrong password and refuses users who may not sign
// in by their access; a refresh token works once, and its reuse ends the
// session; a ban ends the user's sessions; a password change ends the
// others.
func TestMember_SignInRefreshAndEnds(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		w := newWorld(t, db)
		w.memberPolicy(t, func(p *roster.MemberPolicy) { p.SignIn, p.Refresh = true, true })
		u, email := w.userWithPassword(t, "signer")
		signIn := func(login, password string) (int, string) {
			t.Helper()
			return w.ts.memberDo(t, "", "POST", "/api/member/v1/sign-in", fmt.Sprintf(`{"login":%q,"password":%q}`, login, password))
		}
		st1, unknown := signIn("nobody@example.com", "user-password-1")
		st2, wrong := signIn(email, "wrong-password-9")
		if st1 != http.StatusUnauthorized || st1 != st2 || unknown != wrong {
			t.Errorf("unknown login: %d %s; wrong password: %d %s: want the same 401", st1, unknown, st2, wrong)
		}

		st, body := signIn(email, "user-password-1")
		var a struct {
			Access  string `json:"access_token"`
			Refresh string `json:"refresh_token"`
		}
		if err := json.Unmarshal([]byte(body), &a); err != nil || st != http.StatusOK || !strings.HasPrefix(a.Refresh, roster.UserRefreshPrefix) {
			t.Fatalf("sign-in with refresh tokens on: %d %s", st, body)
		}
		body = w.member(t, "", "POST", "/api/member/v1/refresh", `{"refresh_token":"`+a.Refresh+`","app_version":"3.3"}`, http.StatusOK)
		var b struct {
			Access  string `json:"access_token"`
			Refresh string `json:"refresh_token"`
		}
		if err := json.Unmarshal([]byte(body), &b); err != nil || b.Access == a.Access || b.Refresh == a.Refresh || b.Refresh == "" {
			t.Fatalf("refresh: %s", body)
		}
		st, body = w.ts.memberDo(t, a.Access, "GET", "/api/member/v1/me", "")
		if _, reason, _ := errorReason(t, body); st != http.StatusUnauthorized || reason != roster.TokenRevoked {
			t.Errorf("the access token refreshed away: %d %s", st, body)
		}
		w.member(t, b.Access, "GET", "/api/member/v1/me", "", http.StatusOK)
		// The first refresh token again: the whole session ends.
		st, body = w.ts.memberDo(t, "", "POST", "/api/member/v1/refresh", `{"refresh_token":"`+a.Refresh+`"}`)
		if _, reason, _ := errorReason(t, body); st != http.StatusUnauthorized || reason != roster.TokenRevoked {
			t.Errorf("a reused refresh token: %d %s", st, body)
		}
		for _, tok := range []string{b.Access} {
			if st, body := w.ts.memberDo(t, tok, "GET", "/api/member/v1/me", ""); st != http.StatusUnauthorized {
				t.Errorf("after a refresh token was reused, its session still works: %d %s", st, body)
			}
		}
		if st, body := w.ts.memberDo(t, "", "POST", "/api/member/v1/refresh", `{"refresh_token":"`+b.Refresh+`"}`); st != http.StatusUnauthorized {
			t.Errorf("the newest refresh token of an ended session: %d %s", st, body)
		}

		// A password change ends the other sessions and keeps this one.
		mine, _ := w.session(t, u)
		other, _ := w.session(t, u)
		st, body = w.ts.memberDo(t, mine, "POST", "/api/member/v1/password", `{"current_password":"wrong-password-9","new_password":"another-password-2"}`)
		if _, _, f := errorReason(t, body); st != http.StatusUnprocessableEntity || f["current_password"] == "" {
			t.Errorf("a wrong current password: %d %s", st, body)
		}
		st, body = w.ts.memberDo(t, mine, "POST", "/api/member/v1/password", `{"current_password":"user-password-1","new_password":"short"}`)
		if _, _, f := errorReason(t, body); st != http.StatusUnprocessableEntity || f["new_password"] == "" {
			t.Errorf("a new password the policy refuses: %d %s", st, body)
		}
		w.member(t, mine, "POST", "/api/member/v1/password", `{"current_password":"user-password-1","new_password":"another-password-2"}`, http.StatusNoContent)
		w.member(t, mine, "GET", "/api/member/v1/me", "", http.StatusOK)
		if st, _ := w.ts.memberDo(t, other, "GET", "/api/member/v1/me", ""); st != http.StatusUnauthorized {
			t.Errorf("another session after a password change: %d", st)
		}
		if st, _ := signIn(email, "another-password-2"); st != http.StatusOK {
			t.Errorf("sign-in with the new password: %d", st)
		}

		// A ban ends every session at once; the banned user's sign-in is
		// refused with the access reason.
		w.api(t, "PATCH", "/api/v1/users/"+u, `{"status":"banned"}`, http.StatusOK)
		if list := w.sessionsOf(t, u); list != "" {
			t.Errorf("sessions live on after a ban: %s", list)
		}
		// Refused as banned, or as revoked once this node has read the
		// end (within a second): never served.
		st, body = w.ts.memberDo(t, mine, "GET", "/api/member/v1/me", "")
		code, reason, _ := errorReason(t, body)
		banned := st == http.StatusForbidden && code == "access_banned" && reason == "banned"
		revoked := st == http.StatusUnauthorized && reason == roster.TokenRevoked
		if !banned && !revoked {
			t.Errorf("after a ban: %d %s", st, body)
		}
		time.Sleep(1100 * time.Millisecond)
		st, body = w.ts.memberDo(t, mine, "GET", "/api/member/v1/me", "")
		if _, reason, _ := errorReason(t, body); st != http.StatusUnauthorized || reason != roster.TokenRevoked {
			t.Errorf("a second after a ban: %d %s", st, body)
		}
		st, body = signIn(email, "another-password-2")
		if code, reason, _ := errorReason(t, body); st != http.StatusForbidden || code != "access_banned" || reason != "banned" {
			t.Errorf("a banned user's sign-in: %d %s", st, body)
		}

		// A user the access rule makes inactive (here: confirmation
		// required, address not confirmed) is refused with the reason,
		// and their sessions end.
		v, _ := w.user(t, "unconfirmed")
		vt, _ := w.session(t, v)
		p, err := w.ts.DB.AccountPolicy(w.ctx)
		if err != nil {
			t.Fatal(err)
		}
		p.ConfirmationRequired = true
		if err := w.ts.DB.SetAccountPolicy(w.ctx, p); err != nil {
			t.Fatal(err)
		}
		st, body = w.ts.memberDo(t, vt, "GET", "/api/member/v1/me", "")
		if code, _, _ := errorReason(t, body); st != http.StatusForbidden || code != "access_unconfirmed" {
			t.Errorf("an unconfirmed user under double opt-in: %d %s", st, body)
		}
		if list := w.sessionsOf(t, v); list != "" {
			t.Errorf("the inactive user's sessions live on: %s", list)
		}
		p.ConfirmationRequired = false
		if err := w.ts.DB.SetAccountPolicy(w.ctx, p); err != nil {
			t.Fatal(err)
		}

		// A deleted user's session is refused.
		d, _ := w.user(t, "deleted")
		dt, _ := w.session(t, d)
		w.member(t, dt, "GET", "/api/member/v1/me", "", http.StatusOK)
		w.api(t, "DELETE", "/api/v1/users/"+d, "", http.StatusNoContent)
		if st, _ := w.ts.memberDo(t, dt, "GET", "/api/member/v1/me", ""); st != http.StatusUnauthorized {
			t.Errorf("a deleted user's session: %d", st)
		}
	})
}

// TestMember_BadInput: every refused input names its field.
func TestMember_BadInput(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		w := newWorld(t, db)
		w.memberPolicy(t, func(p *roster.MemberPolicy) { p.SignIn, p.EditableFields = true, []string{"city", "bio"} })
		u, _ := w.user(t, "bad")
		tok, _ := w.session(t, u)
		private := w.viewableGroup(t, "Private", roster.JoinCode)
		long := strings.Repeat("x", 101)
		cases := []struct {
			token, method, path, body, field string
		}{
			{"", "POST", "/api/member/v1/sign-in", `{"password":"x"}`, "login"},
			{"", "POST", "/api/member/v1/sign-in", `{"login":"a@example.com"}`, "password"},
			{"", "POST", "/api/member/v1/sign-in", `{"login":"a@example.com","password":"p","device_name":"` + long + `"}`, "device_name"},
			{"", "POST", "/api/member/v1/sign-in", `{"login":"a@example.com","password":"p","platform":3}`, "platform"},
			{"", "POST", "/api/member/v1/refresh", `{}`, "refresh_token"},
			{tok, "PATCH", "/api/member/v1/me", `{"city":"Lyon","points":5}`, "points"},
			{tok, "PATCH", "/api/member/v1/me", `{"email":"x@example.com"}`, "email"},
			{tok, "PATCH", "/api/member/v1/me", `{"password":"new secret password"}`, "password"},
			{tok, "PATCH", "/api/member/v1/me", `{"city":5}`, "city"},
			{tok, "POST", "/api/member/v1/password", `{"new_password":"another-password-2"}`, "current_password"},
			{tok, "POST", "/api/member/v1/password", `{"current_password":"x"}`, "new_password"},
			{tok, "POST", fmt.Sprintf("/api/member/v1/groups/%d/join", private.ID), "", "code"},
			{tok, "POST", fmt.Sprintf("/api/member/v1/groups/%d/join", private.ID), `{"code":"NOPE-NOPE"}`, "code"},
			{tok, "POST", fmt.Sprintf("/api/member/v1/groups/%d/leave", private.ID), `{"code":"x"}`, "code"},
			{tok, "POST", "/api/member/v1/push-tokens", `{"token":"t"}`, "provider"},
			{tok, "POST", "/api/member/v1/push-tokens", `{"provider":"gcm","token":"t"}`, "provider"},
			{tok, "POST", "/api/member/v1/push-tokens", `{"provider":"fcm"}`, "token"},
			{tok, "POST", "/api/member/v1/push-tokens", `{"provider":"fcm","token":"` + strings.Repeat("t", 4097) + `"}`, "token"},
			{"", "PUT", "/api/v1/settings/member", `{"idle_ttl_minutes":1}`, "idle_ttl_minutes"},
			{"", "PUT", "/api/v1/settings/member", `{"idle_ttl_minutes":600,"absolute_ttl_minutes":60}`, "absolute_ttl_minutes"},
			{"", "PUT", "/api/v1/settings/member", `{"editable_fields":["nosuch"]}`, "editable_fields"},
			{"", "PUT", "/api/v1/settings/member", `{"editable_fields":["created_at"]}`, "editable_fields"},
			{"", "PUT", "/api/v1/settings/member", `{"member_sign_in":"yes"}`, "member_sign_in"},
		}
		for _, c := range cases {
			var st int
			var body string
			if strings.HasPrefix(c.path, "/api/v1/") {
				st, body = w.ts.do(t, roster.RoleOwner, c.method, c.path, c.body)
			} else {
				st, body = w.ts.memberDo(t, c.token, c.method, c.path, c.body)
			}
			if _, _, f := errorReason(t, body); st != http.StatusUnprocessableEntity || f[c.field] == "" {
				t.Errorf("%s %s %.80s: %d %s, want 422 naming %s", c.method, c.path, c.body, st, body, c.field)
			}
		}
		// Nothing changed.
		if me := w.member(t, tok, "GET", "/api/member/v1/me", "", http.StatusOK); !strings.Contains(me, `"city":""`) {
			t.Errorf("a refused PATCH changed the user: %s", me)
		}
		w.member(t, tok, "PATCH", "/api/member/v1/me", `{"city":"Lyon"}`, http.StatusOK)
		// A body that is not JSON is a 400; a push token or session of
		// another user is not found.
		w.member(t, tok, "POST", "/api/member/v1/push-tokens", `{`, http.StatusBadRequest)
		other, _ := w.user(t, "other")
		theirs := w.pushToken(t, other, "theirs")
		_, theirSession := w.session(t, other)
		w.member(t, tok, "DELETE", fmt.Sprintf("/api/member/v1/push-tokens/%d", theirs), "", http.StatusNotFound)
		w.member(t, tok, "DELETE", fmt.Sprintf("/api/member/v1/sessions/%d", theirSession), "", http.StatusNotFound)
		if w.pushTokensOf(t, other) != "fcm:theirs" || w.sessionsOf(t, other) == "" {
			t.Error("a user removed another user's push token or session")
		}
	})
}

// TestMember_SettingsPages: Settings → Accounts has the member API's
// section, Settings → Fields the fields users may edit; what they save is
// what the member API does, and a bad value is named on the form.
func TestMember_SettingsPages(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		w := newWorld(t, db)
		page := w.b.get("/settings/accounts")
		for _, want := range []string{`action="/settings/accounts/member"`, `name="member_sign_in"`, `id="idle_days" name="idle_days" type="number" min="0" step="any" value="30"`} {
			if !strings.Contains(page.Body, want) {
				t.Errorf("Settings → Accounts lacks %s", want)
			}
		}
		resp := w.page(t, "/settings/accounts/member", map[string][]string{"idle_days": {"2"}, "absolute_days": {"1"}}, http.StatusUnprocessableEntity)
		if !strings.Contains(resp.Body, "must not be shorter than the idle expiry") {
			t.Errorf("a refused member form does not say why: %s", resp.Body)
		}
		w.page(t, "/settings/accounts/member", map[string][]string{"member_sign_in": {"1"}, "idle_days": {"2"}, "absolute_days": {"7"}}, http.StatusSeeOther)
		p, err := w.ts.Web.Sessions.MemberPolicy(w.ctx)
		if err != nil || !p.SignIn || p.Refresh || p.IdleTTL != 48*time.Hour || p.AbsoluteTTL != 7*24*time.Hour {
			t.Fatalf("saved policy: %+v, %v", p, err)
		}

		page = w.b.get("/settings/fields")
		if !strings.Contains(page.Body, `name="editable" value="city"`) || strings.Contains(page.Body, `name="editable" value="created_at"`) {
			t.Errorf("Settings → Fields: the editable fields form is wrong")
		}
		w.page(t, "/settings/fields/member-editable", map[string][]string{"editable": {"city"}}, http.StatusSeeOther)
		if !strings.Contains(w.b.get("/settings/fields").Body, `name="editable" value="city" checked`) {
			t.Error("the saved editable field is not checked")
		}
		u, _ := w.user(t, "editor")
		tok, _ := w.session(t, u)
		w.member(t, tok, "PATCH", "/api/member/v1/me", `{"city":"Nantes"}`, http.StatusOK)
		w.member(t, tok, "PATCH", "/api/member/v1/me", `{"bio":"x"}`, http.StatusUnprocessableEntity)
		w.page(t, "/settings/fields/member-editable", map[string][]string{"editable": {"created_at"}}, http.StatusUnprocessableEntity)
	})
}

// TestMember_CORS: without allowed origins, no CORS header is sent and a
// preflight is not granted; with them, an allowed origin's preflight is
// answered with the methods and headers the member API takes, and its
// requests may be read; other origins still get nothing, and the staff
// API never answers CORS.
func TestMember_CORS(t *testing.T) {
	db := sqldbtest.MustOpenDB(t, sqldb.SQLite)
	preflight := map[string]string{"Origin": "https://app.example.com", "Access-Control-Request-Method": "PATCH", "Access-Control-Request-Headers": "authorization, content-type"}
	off := mustOpenServer(t, db)
	st, _, h := off.memberDoHeader(t, "", "OPTIONS", "/api/member/v1/me", "", preflight)
	if st != http.StatusNoContent || h.Get("Access-Control-Allow-Origin") != "" || h.Get("Access-Control-Allow-Methods") != "" {
		t.Errorf("preflight with CORS off: %d %v", st, h)
	}

	db2 := sqldbtest.MustOpenDB(t, sqldb.SQLite)
	on := mustOpenServerWith(t, db2, func(s *web.Server) { s.MemberCORSOrigins = []string{"https://app.example.com"} })
	st, _, h = on.memberDoHeader(t, "", "OPTIONS", "/api/member/v1/me", "", preflight)
	if st != http.StatusNoContent || h.Get("Access-Control-Allow-Origin") != "https://app.example.com" ||
		!strings.Contains(h.Get("Access-Control-Allow-Methods"), "PATCH") || !strings.Contains(h.Get("Access-Control-Allow-Headers"), "Authorization") ||
		!strings.Contains(strings.Join(h.Values("Vary"), ","), "Origin") {
		t.Errorf("preflight of an allowed origin: %d %v", st, h)
	}
	other := map[string]string{"Origin": "https://evil.example.com", "Access-Control-Request-Method": "GET"}
	if _, _, h := on.memberDoHeader(t, "", "OPTIONS", "/api/member/v1/me", "", other); h.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("preflight of another origin: %v", h)
	}
	// A cross-site request of the allowed origin is served (the bearer
	// session is its credential, not a cookie) and may be read.
	w := &world{ts: on, db: db2, users: sqldb.NewUserService(db2), ctx: roster.NewContextWithActor(t.Context(), roster.Actor{Label: "test"})}
	u, _ := w.user(t, "cors")
	tok, _ := w.session(t, u)
	st, body, h := on.memberDoHeader(t, tok, "POST", "/api/member/v1/push-tokens", `{"provider":"webpush","token":"sub"}`,
		map[string]string{"Origin": "https://app.example.com", "Sec-Fetch-Site": "cross-site"})
	if st != http.StatusCreated || h.Get("Access-Control-Allow-Origin") != "https://app.example.com" {
		t.Errorf("a cross-site request of the allowed origin: %d %s %v", st, body, h)
	}
	if _, _, h := on.memberDoHeader(t, tok, "GET", "/api/member/v1/me", "", map[string]string{"Origin": "https://evil.example.com"}); h.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("another origin's request got CORS headers: %v", h)
	}
	if _, _, h := on.memberDoHeader(t, on.Tokens[roster.RoleOwner], "GET", "/api/v1/fields", "", map[string]string{"Origin": "https://app.example.com"}); h.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("the staff API answered CORS: %v", h)
	}
}

// TestMember_SystemFieldsNotEditable: computed, counter and system fields
// are neither offered nor accepted as "editable by the user", on the page
// or the API, and PATCH /api/member/v1/me refuses them by name even when
// a policy saved before the rule lists them.
func TestMember_SystemFieldsNotEditable(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		w := newWorld(t, db)
		system := []string{"points", "last_visit", "last_interaction", "access", "status", "roles", "email_confirmed", "tags", "created_at"}
		page := w.b.get("/settings/fields")
		if !strings.Contains(page.Body, `name="editable" value="city"`) {
			t.Fatal("Settings → Fields does not offer city")
		}
		for _, key := range system {
			if strings.Contains(page.Body, `name="editable" value="`+key+`"`) {
				t.Errorf("Settings → Fields offers %s as editable by the user", key)
			}
			resp := w.page(t, "/settings/fields/member-editable", map[string][]string{"editable": {"city", key}}, http.StatusUnprocessableEntity)
			if !strings.Contains(resp.Body, key) {
				t.Errorf("the refused form does not name %s: %.300s", key, resp.Body)
			}
			st, body := w.ts.do(t, roster.RoleOwner, "PUT", "/api/v1/settings/member", `{"editable_fields":["city","`+key+`"]}`)
			if _, _, f := errorReason(t, body); st != http.StatusUnprocessableEntity || !strings.Contains(f["editable_fields"], `"`+key+`"`) {
				t.Errorf("PUT editable_fields [city %s]: %d %s", key, st, body)
			}
		}
		if p, _ := w.ts.Web.Sessions.MemberPolicy(w.ctx); len(p.EditableFields) != 0 {
			t.Errorf("a refused policy was saved: %v", p.EditableFields)
		}
		// A policy written before the rule (straight to the store).
		w.memberPolicy(t, func(p *roster.MemberPolicy) { p.EditableFields = []string{"city", "points", "status"} })
		u, _ := w.user(t, "sys")
		tok, _ := w.session(t, u)
		for _, body := range []string{`{"points":5}`, `{"status":"active"}`, `{"city":"Lyon","points":5}`} {
			st, resp := w.ts.memberDo(t, tok, "PATCH", "/api/member/v1/me", body)
			_, _, f := errorReason(t, resp)
			named := ""
			for k := range f {
				named = k
			}
			if st != http.StatusUnprocessableEntity || (f["points"] == "" && f["status"] == "") {
				t.Errorf("PATCH me %s: %d %s (named %q)", body, st, resp, named)
			}
		}
		if me := w.member(t, tok, "GET", "/api/member/v1/me", "", http.StatusOK); !strings.Contains(me, `"points":0`) || !strings.Contains(me, `"city":""`) {
			t.Errorf("a refused PATCH changed the user: %.400s", me)
		}
		w.member(t, tok, "PATCH", "/api/member/v1/me", `{"city":"Lyon"}`, http.StatusOK)
	})
}

// TestUsers_SessionFields: push_tokens, sessions.last_seen and platform
// filter users (API and the table), show in the Fields panel and as
// columns, and follow sign-ins and push tokens at once.
func TestUsers_SessionFields(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		w := newWorld(t, db)
		u, email := w.user(t, "seen")
		_, otherEmail := w.user(t, "unseen")
		for q, want := range map[string]int{
			"platform:ios email:" + email:              0,
			"push_tokens:none email:" + email:          1,
			"sessions.last_seen:none email:" + email:   1,
			"sessions.last_seen:any email:" + email:    0,
			"platform:ios,android email:" + otherEmail: 0,
		} {
			if got := w.search(t, q); got != want {
				t.Errorf("before: %s finds %d, want %d", q, got, want)
			}
		}
		w.session(t, u) // platform ios, now
		w.pushToken(t, u, "seen-token")
		today := time.Now().UTC().Format(time.DateOnly)
		for q, want := range map[string]int{
			"platform:ios email:" + email:                         1,
			"platform:android,ios email:" + email:                 1,
			"platform:android email:" + email:                     0,
			"-platform:ios email:" + email:                        0,
			"push_tokens:any email:" + email:                      1,
			"push_tokens:none email:" + email:                     0,
			"sessions.last_seen:" + today + " email:" + email:     1,
			"sessions.last_seen:<" + today + " email:" + email:    0,
			"sessions.last_seen:2000-01-01.. email:" + email:      1,
			"push_tokens:any email:" + otherEmail:                 0,
			"sessions.last_seen:any platform:ios email:" + email:  1,
			"sessions.last_seen:none platform:ios email:" + email: 0,
		} {
			if got := w.search(t, q); got != want {
				t.Errorf("after: %s finds %d, want %d", q, got, want)
			}
		}
		// An unknown platform value or a bad date is refused by name.
		st, body := w.ts.do(t, roster.RoleAdmin, "POST", "/api/v1/users/search", `{"q":"sessions.last_seen:yesterdayish"}`)
		if st != http.StatusUnprocessableEntity && st != http.StatusBadRequest || !strings.Contains(body, "sessions.last_seen") {
			t.Errorf("a bad date: %d %s", st, body)
		}
		// The table: the Fields panel offers them, and they are columns.
		page := w.b.get("/users?q=" + url.QueryEscape("platform:ios email:"+email) + "&cols=email,sessions.last_seen,platform,push_tokens")
		for _, want := range []string{`name="f.platform.v"`, `name="f.sessions.last_seen.`, `name="f.push_tokens.`, "Last seen in the app", "Platforms", email, ">ios<"} {
			if !strings.Contains(page.Body, want) {
				t.Errorf("the users table lacks %s", want)
			}
		}
		if strings.Contains(page.Body, otherEmail) {
			t.Error("the filtered table shows a user without sessions")
		}
	})
}
