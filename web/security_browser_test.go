package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"roster"
	"roster/sqldb"
	"roster/sqldb/sqldbtest"
)

// TestStaffSecurity_Browser walks two-factor sign-in and remote sign-out in
// Chromium, on both databases: an admin enrols with the page's secret (the
// code computed here, RFC 6238), signs out, signs in with password and
// code, then with a recovery code, which works once; a second browser
// signed in to the same account shows on the Devices page and is signed
// out by "End this session".
func TestStaffSecurity_Browser(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ts := mustOpenServer(t, db)
		tab := startChromium(t)
		run := func(ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
			t.Helper()
			if err := chromedp.Do(ctx, actions...); err != nil {
				t.Fatalf("%s: %v", what, err)
			}
		}
		eval := func(ctx context.Context, js string) string {
			t.Helper()
			v, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
			if err != nil {
				t.Fatalf("evaluate %s: %v", js, err)
			}
			return v
		}
		text := func(ctx context.Context, css string) string {
			t.Helper()
			return eval(ctx, fmt.Sprintf(`(document.querySelector(%q)?.innerText ?? "").trim()`, css))
		}
		const email = "admin@staff.example.com"
		password := func(ctx context.Context) {
			t.Helper()
			run(ctx, "the password step",
				chromedp.Navigate(ts.URL+"/signin"),
				chromedp.SendKeys(chromedp.CSS("#email"), email),
				chromedp.SendKeys(chromedp.CSS("#password"), staffPassword),
				chromedp.Submit(chromedp.CSS("#password")),
				chromedp.WaitVisible(chromedp.CSS("#code")))
		}
		code := func(ctx context.Context, c string, want string) {
			t.Helper()
			run(ctx, "the code step", chromedp.SendKeys(chromedp.CSS("#code"), c), chromedp.Submit(chromedp.CSS("#code")), chromedp.WaitVisible(chromedp.CSS(want)))
		}
		signOut := func(ctx context.Context) {
			t.Helper()
			run(ctx, "sign out", chromedp.Click(chromedp.CSS("details.account > summary")),
				chromedp.Click(chromedp.CSS(`form[action="/signout"] button`)), chromedp.WaitVisible(chromedp.CSS("#email")))
		}

		run(tab, "sign in with the password alone",
			chromedp.Navigate(ts.URL+"/signin"),
			chromedp.SendKeys(chromedp.CSS("#email"), email),
			chromedp.SendKeys(chromedp.CSS("#password"), staffPassword),
			chromedp.Submit(chromedp.CSS("#password")),
			chromedp.WaitVisible(chromedp.CSS(`a[href="/groups"]`)))
		run(tab, "start enrolling",
			chromedp.Navigate(ts.URL+"/account/two-factor"),
			chromedp.Click(chromedp.CSS("#begin-two-factor")),
			chromedp.WaitVisible(chromedp.CSS("#totp-secret")))
		if n := eval(tab, `String(document.querySelectorAll(".sp-qr svg path").length)`); n != "1" {
			t.Errorf("the enrolment page shows %s QR code paths, want an inline SVG", n)
		}
		snap(t, tab, "two-factor-enrol")
		secret, err := roster.ParseTOTPSecret(text(tab, "#totp-secret"))
		if err != nil {
			t.Fatal(err)
		}
		if uri := eval(tab, `document.querySelector("#totp-uri").getAttribute("href")`); !strings.HasPrefix(uri, "otpauth://totp/Roster:admin%40staff.example.com?") && !strings.HasPrefix(uri, "otpauth://totp/Roster:admin@staff.example.com?") {
			t.Errorf("otpauth URI %s", uri)
		}
		run(tab, "confirm with a wrong code",
			chromedp.SendKeys(chromedp.CSS("#confirm-code"), "12345"),
			chromedp.Submit(chromedp.CSS("#confirm-code")),
			chromedp.WaitVisible(chromedp.CSS("#confirm-code-error")))
		run(tab, "confirm with the app's code",
			chromedp.SetValue(chromedp.CSS("#confirm-code"), roster.TOTP(secret, time.Now())),
			chromedp.Submit(chromedp.CSS("#confirm-code")),
			chromedp.WaitVisible(chromedp.CSS("#recovery-codes")))
		snap(t, tab, "two-factor-recovery-codes")
		codes := strings.Fields(text(tab, "#recovery-codes ol"))
		if len(codes) != 10 {
			t.Fatalf("%d recovery codes shown: %v", len(codes), codes)
		}
		signOut(tab)

		// Password and the app's next code (this step's was used to enrol).
		password(tab)
		code(tab, roster.TOTP(secret, time.Now().Add(roster.TOTPPeriod)), `a[href="/groups"]`)
		signOut(tab)

		// A recovery code works once.
		password(tab)
		code(tab, codes[0], `a[href="/groups"]`)
		signOut(tab)
		password(tab)
		code(tab, codes[0], "p.alert")
		if got := text(tab, "p.alert"); !strings.Contains(got, "not right") {
			t.Errorf("a used recovery code: %q", got)
		}
		run(tab, "another recovery code", chromedp.SetValue(chromedp.CSS("#code"), codes[1]), chromedp.Submit(chromedp.CSS("#code")),
			chromedp.WaitVisible(chromedp.CSS(`a[href="/groups"]`)))

		// A second browser signs in to the same account.
		other, cancel := chromedp.NewContext(tab, chromedp.WithNewBrowserContext())
		t.Cleanup(cancel)
		password(other)
		code(other, codes[2], `a[href="/groups"]`)

		run(tab, "the Devices page", chromedp.Navigate(ts.URL+"/account/devices"), chromedp.WaitVisible(chromedp.CSS("#sessions")))
		if n := eval(tab, `String(document.querySelectorAll("#sessions tbody tr").length)`); n != "2" {
			t.Fatalf("%s sessions listed, want 2", n)
		}
		snap(t, tab, "devices")
		if got := text(tab, "#this-device"); got != "this device" {
			t.Errorf("this device is marked %q", got)
		}
		if got := text(tab, "#sessions tbody"); !strings.Contains(got, "Headless Chrome") || !strings.Contains(got, "127.0.0.1") {
			t.Errorf("the sessions do not name the browser and address: %q", got)
		}
		// push.js runs under the page's CSP: headless Chromium has no push
		// service, so it reports why it could not subscribe rather than
		// posting a subscription (delivery is tested with pushtest).
		run(tab, "ask to subscribe", chromedp.Click(chromedp.CSS("#push-subscribe")))
		waitFor(t, tab, "push.js answers", `/Could not subscribe|cannot show/.test(document.getElementById("push-status").textContent)`)
		t.Logf("push.js says %q", text(tab, "#push-status"))
		run(tab, "end the other session",
			chromedp.Click(chromedp.CSS(`#sessions tbody tr:not(:has(#this-device)) button`)),
			chromedp.WaitVisible(chromedp.CSS("p.flash")))
		if n := eval(tab, `String(document.querySelectorAll("#sessions tbody tr").length)`); n != "1" {
			t.Errorf("%s sessions listed after ending one, want 1", n)
		}
		run(other, "the other browser is signed out", chromedp.Navigate(ts.URL+"/users"), chromedp.WaitVisible(chromedp.CSS("#email")))
		if got := eval(other, `location.pathname`); got != "/signin" {
			t.Errorf("the ended browser is at %s, want /signin", got)
		}
		if got := text(tab, `a[href="/groups"]`); got == "" {
			t.Error("ending the other session signed this browser out")
		}
	})
}
