package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"roster"
	"roster/deliver/smtptest"
	"roster/sqldb"
	"roster/sqldb/sqldbtest"
	"roster/web"
)

// TestMail_InviteBrowser walks an invitation with a real mail server, on
// both databases, in Chromium: staff invite from the profile, the message
// reaches the SMTP server, the invitee follows its link in a browser of
// their own and chooses a password on the hosted page, and staff see the
// user active and the message sent.
func TestMail_InviteBrowser(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ts := mustOpenServerWith(t, db, func(s *web.Server) { s.MailEnabled = true })
		srv := smtptest.Start(t)
		runWorker(t, ts, srv)
		id := ts.createUser(t, `{"email":"hedy@example.com","first_name":"Hedy"}`)
		tab := startChromium(t)
		run := func(ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
			t.Helper()
			if err := chromedp.Do(ctx, actions...); err != nil {
				t.Fatalf("%s: %v", what, err)
			}
		}
		text := func(ctx context.Context, css string) string {
			t.Helper()
			v, err := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(`(document.querySelector(%q)?.innerText ?? "").trim()`, css)))
			if err != nil {
				t.Fatalf("text of %s: %v", css, err)
			}
			return v
		}

		run(tab, "sign in",
			chromedp.Navigate(ts.URL+"/signin"),
			chromedp.SendKeys(chromedp.CSS("#email"), string(roster.RoleAdmin)+"@staff.example.com"),
			chromedp.SendKeys(chromedp.CSS("#password"), staffPassword),
			chromedp.Submit(chromedp.CSS("#password")),
			chromedp.WaitVisible(chromedp.CSS(`a[href="/groups"]`)))
		run(tab, "invite from the profile",
			chromedp.Navigate(ts.URL+"/users/"+id),
			chromedp.Click(chromedp.CSS(`#send-invite > summary`)),
			chromedp.Click(chromedp.CSS(`#send-invite button[type="submit"]`)),
			chromedp.WaitVisible(chromedp.CSS(`p.flash`)))
		if got := text(tab, "p.flash"); !strings.Contains(got, "Invitation queued to hedy@example.com") || strings.Contains(got, "No mail server") {
			t.Errorf("after inviting with a mail server: the flash says %q", got)
		}
		link := deliveredLink(t, srv, 1, "hedy@example.com")

		// The invitee, without the staff session.
		itab, cancel := chromedp.NewContext(tab, chromedp.WithNewBrowserContext())
		t.Cleanup(cancel)
		const pw = "marble kettle 2031 saffron"
		run(itab, "open the invitation link",
			chromedp.Navigate(ts.URL+link),
			chromedp.WaitVisible(chromedp.CSS("#password")))
		if got := text(itab, "section.hosted h1"); got != "Accept your invitation" {
			t.Errorf("the invitation link: heading %q", got)
		}
		run(itab, "choose mismatched passwords",
			chromedp.SendKeys(chromedp.CSS("#password"), pw),
			chromedp.SendKeys(chromedp.CSS("#password_again"), pw+"!"),
			chromedp.Submit(chromedp.CSS("#password")),
			chromedp.WaitVisible(chromedp.CSS("#again-err")))
		run(itab, "choose the password",
			chromedp.SetValue(chromedp.CSS("#password"), pw),
			chromedp.SetValue(chromedp.CSS("#password_again"), pw),
			chromedp.Submit(chromedp.CSS("#password")),
			chromedp.WaitVisible(chromedp.CSS("#done")))
		ts.call(t, roster.RoleSupport, "POST", "/api/v1/users/authenticate", `{"login":"hedy@example.com","password":"`+pw+`"}`, 200)

		run(tab, "the profile after acceptance",
			chromedp.Navigate(ts.URL+"/users/"+id),
			chromedp.WaitVisible(chromedp.CSS("header.profile-head h1 .status")))
		if got := text(tab, "header.profile-head h1 .status"); got != "active" {
			t.Errorf("after acceptance: status badge %q, want active", got)
		}
		if got := strings.ToLower(text(tab, "#v-access")); got != "active" {
			t.Errorf("after acceptance: the profile's access says %q, want active", got)
		}
		wantContains(t, "the user after acceptance", ts.call(t, roster.RoleViewer, "GET", "/api/v1/users/"+id, "", 200), `"access":"active"`)
		run(tab, "the outbox",
			chromedp.Navigate(ts.URL+"/settings/email?status=sent"),
			chromedp.WaitVisible(chromedp.CSS("#outbox")))
		if got := text(tab, "#outbox tbody"); !strings.Contains(got, "hedy@example.com") {
			t.Errorf("Settings → Email, sent: %q does not list the invitation", got)
		}
	})
}
