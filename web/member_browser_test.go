package web_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"roster"
	"roster/sqldb"
	"roster/sqldb/sqldbtest"
)

// TestMember_ProfileBrowser: after a user signs in through the member API,
// joins a public and a private group and registers a push token, staff see
// all of it on the profile in Chromium (Groups; Devices: the session and
// the token), and "Sign out everywhere" there ends the session: the next
// member call gets 401. On both databases.
func TestMember_ProfileBrowser(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		w := newWorld(t, db)
		u, email := w.userWithPassword(t, "chromium")
		w.memberPolicy(t, func(p *roster.MemberPolicy) { p.SignIn = true })
		body := w.member(t, "", "POST", "/api/member/v1/sign-in",
			`{"login":"`+email+`","password":"user-password-1","device_name":"Pixel 9","platform":"android","app_version":"5.0.1"}`, http.StatusOK)
		at := strings.Index(body, roster.UserAccessPrefix)
		if at < 0 {
			t.Fatalf("sign-in: no access token in %s", body)
		}
		tok := body[at:]
		tok = tok[:strings.IndexByte(tok, '"')]
		open := w.viewableGroup(t, "Runners", roster.JoinOpen)
		private := w.viewableGroup(t, "Insiders", roster.JoinCode)
		code := w.code(t, private.ID)
		w.member(t, tok, "POST", fmt.Sprintf("/api/member/v1/groups/%d/join", open.ID), "", http.StatusOK)
		w.member(t, tok, "POST", fmt.Sprintf("/api/member/v1/groups/%d/join", private.ID), `{"code":"`+code.Code+`"}`, http.StatusOK)
		w.member(t, tok, "POST", "/api/member/v1/push-tokens", `{"provider":"fcm","token":"fcm-token-chromium"}`, http.StatusCreated)

		ctx := startChromium(t)
		run := func(what string, actions ...chromedp.Action[chromedp.Void]) {
			t.Helper()
			if err := chromedp.Do(ctx, actions...); err != nil {
				t.Fatalf("%s: %v", what, err)
			}
		}
		text := func(css string) string {
			t.Helper()
			v, err := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf("document.querySelector(%q).innerText.trim()", css)))
			if err != nil {
				t.Fatalf("text of %s: %v", css, err)
			}
			return v
		}
		run("sign in",
			chromedp.Navigate(w.ts.URL+"/signin"),
			chromedp.SendKeys(chromedp.CSS("#email"), string(roster.RoleManager)+"@staff.example.com"),
			chromedp.SendKeys(chromedp.CSS("#password"), staffPassword),
			chromedp.Submit(chromedp.CSS("#password")),
			chromedp.WaitVisible(chromedp.CSS(`a[href="/groups"]`)))
		run("profile",
			chromedp.Navigate(w.ts.URL+"/users/"+u),
			chromedp.WaitVisible(chromedp.CSS("#devices")))
		groups := text("#memberships")
		if !strings.Contains(groups, open.Name) || !strings.Contains(groups, private.Name) {
			t.Errorf("the profile's groups: %q, want %s and %s", groups, open.Name, private.Name)
		}
		sessions, tokens := text("#user-sessions"), text("#push-tokens")
		for _, want := range []string{"Pixel 9", "android", "5.0.1", "127.0.0.1", "Sign out this device"} {
			if !strings.Contains(sessions, want) {
				t.Errorf("the profile's devices lack %q: %q", want, sessions)
			}
		}
		for _, want := range []string{"FCM", "fcm-token-chromium", "Pixel 9", "Never", "Remove"} {
			if !strings.Contains(tokens, want) {
				t.Errorf("the profile's push tokens lack %q: %q", want, tokens)
			}
		}
		w.member(t, tok, "GET", "/api/member/v1/me", "", http.StatusOK)
		run("sign out everywhere",
			chromedp.Click(chromedp.CSS(`#sign-out-everywhere button[type="submit"]`)),
			chromedp.WaitNotPresent(chromedp.CSS("#user-sessions")),
			chromedp.WaitVisible(chromedp.CSS("#devices")))
		if got := text("#devices"); !strings.Contains(got, "Signed in on no device.") {
			t.Errorf("after signing out everywhere, Devices shows: %q", got)
		}
		st, body := w.ts.memberDo(t, tok, "GET", "/api/member/v1/me", "")
		if _, reason, _ := errorReason(t, body); st != http.StatusUnauthorized || reason != roster.TokenRevoked {
			t.Errorf("the member call after staff signed the user out: %d %s", st, body)
		}
		entries, err := w.audit.FindAuditEntries(w.ctx, roster.AuditFilter{TargetType: "user", TargetID: u, Limit: 10})
		if err != nil || len(entries) == 0 || entries[0].Action != "user.sessions_end" || entries[0].Actor != string(roster.RoleManager)+"@staff.example.com" {
			t.Errorf("the sign-out is not audited as the staff member's: %v", err)
		}
		run("remove the push token",
			chromedp.Click(chromedp.CSS(`#push-tokens button[type="submit"]`)),
			chromedp.WaitNotPresent(chromedp.CSS("#push-tokens")),
			chromedp.WaitVisible(chromedp.CSS("#devices")))
		if got := text("#devices"); !strings.Contains(got, "No push tokens") {
			t.Errorf("after removing the push token, Devices shows: %q", got)
		}
	})
}
