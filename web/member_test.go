package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"roster"
	"roster/sqldb"
	"roster/sqldb/sqldbtest"
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
		_, withRefresh, err := w.ts.Web.Sessions.StartSession(w.ctx, w.storeID(t, u), roster.Device{})
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
