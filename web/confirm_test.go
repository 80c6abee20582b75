package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"roster"
	"roster/deliver/smtptest"
	"roster/sqldb"
	"roster/sqldb/sqldbtest"
)

var confirmLink = regexp.MustCompile(`https://roster\.example\.com(/u/confirm/[A-Za-z0-9_-]{43})`)

// deliveredTo waits for the n-th message the server accepts, checks it
// went to to, and returns its text.
func deliveredTo(t *testing.T, srv *smtptest.Server, n int, to string) string {
	t.Helper()
	m := srv.Wait(t, n, 10*time.Second)[n-1]
	if len(m.To) != 1 || m.To[0] != to {
		t.Fatalf("message %d went to %v, want %s", n, m.To, to)
	}
	p, err := m.Parse()
	if err != nil {
		t.Fatal(err)
	}
	return p.Header.Get("Subject") + "\n" + p.Text
}

// TestMail_ConfirmEndToEnd turns double opt-in on through the API, creates
// a user, follows the confirmation email delivered over SMTP to the hosted
// page, confirms, and changes the address: the old one is told, the new
// one must be confirmed again.
func TestMail_ConfirmEndToEnd(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ts := mustOpenServer(t, db)
		srv := smtptest.Start(t)
		runWorker(t, ts, srv)

		ts.fails(t, roster.RoleAdmin, "PUT", "/api/v1/settings/accounts", `{"expiry_months":-1}`, 422, `"expiry_months":"must be between 0 (never) and 120"`)
		ts.fails(t, roster.RoleAdmin, "PUT", "/api/v1/settings/accounts", `{"confirmation_required":"yes"}`, 422, `"confirmation_required"`)
		ts.fails(t, roster.RoleAdmin, "PUT", "/api/v1/settings/accounts", `{"colour":"red"}`, 400, `colour`)
		ts.fails(t, roster.RoleManager, "PUT", "/api/v1/settings/accounts", `{"confirmation_required":true}`, 403, `"code":"forbidden"`)
		out := ts.call(t, roster.RoleAdmin, "PUT", "/api/v1/settings/accounts", `{"confirmation_required":true}`, 200)
		wantContains(t, "policy", out, `"confirmation_required":true`, `"expiry_months":15`, `"confirm_ttl_minutes":4320`)
		wantContains(t, "policy", ts.call(t, roster.RoleAdmin, "GET", "/api/v1/settings/accounts", "", 200), `"confirmation_required":true`)

		id := ts.createUser(t, `{"email":"ada@example.com","first_name":"Ada"}`)
		wantContains(t, "the new user", ts.call(t, roster.RoleViewer, "GET", "/api/v1/users/"+id, "", 200), `"access":"unconfirmed"`)
		msg := deliveredTo(t, srv, 1, "ada@example.com")
		wantContains(t, "the confirmation email", msg, "Confirm your email address")
		link := confirmLink.FindStringSubmatch(msg)
		if link == nil {
			t.Fatalf("no confirmation link in:\n%s", msg)
		}
		b := newBrowser(t, ts) // the user's browser: no staff session
		page := b.get(link[1])
		wantStatus(t, "confirmation link", page, http.StatusOK)
		checkSecurityHeaders(t, "confirmation link", page)
		wantContains(t, "confirmation link", page.Body, "ada@example.com", `action="`+link[1]+`"`, "Confirm my address")
		// Opening the page confirms nothing: a mail scanner fetches links.
		wantContains(t, "after opening", ts.call(t, roster.RoleViewer, "GET", "/api/v1/users/"+id, "", 200), `"email_confirmed":false`)
		done := b.post(link[1], url.Values{}, nil)
		wantStatus(t, "confirm", done, http.StatusOK)
		wantContains(t, "confirm", done.Body, "Your address is confirmed")
		user := ts.call(t, roster.RoleViewer, "GET", "/api/v1/users/"+id, "", 200)
		wantContains(t, "the confirmed user", user, `"email_confirmed":true`, `"access":"active"`)
		if strings.Contains(user, `"email_confirmed_at":null`) {
			t.Errorf("no email_confirmed_at: %s", user)
		}
		again := b.post(link[1], url.Values{}, nil)
		wantStatus(t, "the link again", again, http.StatusGone)
		wantContains(t, "the link again", again.Body, "already been used", "nothing more to do")
		wantStatus(t, "an unknown link", b.get("/u/confirm/"+strings.Repeat("x", 43)), http.StatusGone)

		// A new address: the old one is told, the new one confirms again.
		ts.call(t, roster.RoleSupport, "PATCH", "/api/v1/users/"+id, `{"email":"ada@new.example.com"}`, 200)
		got := map[string]string{}
		for n := 2; n <= 3; n++ {
			m := srv.Wait(t, n, 10*time.Second)[n-1]
			p, err := m.Parse()
			if err != nil {
				t.Fatal(err)
			}
			got[m.To[0]] = p.Header.Get("Subject") + "\n" + p.Text
		}
		wantContains(t, "the old address", got["ada@example.com"], "was changed", "no longer ada@example.com")
		wantContains(t, "the new address", got["ada@new.example.com"], "Confirm your email address", "/u/confirm/")
		wantContains(t, "after the change", ts.call(t, roster.RoleViewer, "GET", "/api/v1/users/"+id, "", 200), `"email_confirmed":false`, `"access":"unconfirmed"`)
		// Filters follow: the index and the table agree.
		wantContains(t, "search", ts.call(t, roster.RoleViewer, "GET", "/api/v1/users?q=access:unconfirmed", "", 200), id)
	})
}

// TestPages_AccountSettings: the settings page shows the policy and the
// states, refuses a bad value next to its input, and saves.
func TestPages_AccountSettings(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ts := mustOpenServer(t, db)
		b := newBrowser(t, ts)
		b.signIn(roster.RoleAdmin, "/settings/accounts")
		page := b.get("/settings/accounts")
		wantStatus(t, "settings", page, http.StatusOK)
		wantContains(t, "settings", page.Body, `name="expiry_months" type="number" min="0" max="120" value="15"`, "<strong>expired</strong>", `value="168"`, `value="72"`, `value="60"`)
		bad := b.postForm("/settings/accounts", "/settings/accounts", url.Values{"expiry_months": {"many"}, "invite_hours": {"168"}, "confirm_hours": {"72"}, "reset_minutes": {"1"}})
		wantStatus(t, "bad settings", bad, http.StatusUnprocessableEntity)
		wantContains(t, "bad settings", bad.Body, "It must be a whole number.")
		bad = b.postForm("/settings/accounts", "/settings/accounts", url.Values{"expiry_months": {"12"}, "invite_hours": {"168"}, "confirm_hours": {"72"}, "reset_minutes": {"1"}})
		wantStatus(t, "bad settings", bad, http.StatusUnprocessableEntity)
		wantContains(t, "bad settings", bad.Body, "It must be between 5 minutes and 90 days.")
		ok := b.postForm("/settings/accounts", "/settings/accounts", url.Values{"confirmation_required": {"1"}, "expiry_months": {"12"}, "invite_hours": {"48"}, "confirm_hours": {"24"}, "reset_minutes": {"30"}})
		wantStatus(t, "settings saved", ok, http.StatusSeeOther)
		p, err := db.AccountPolicy(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if !p.ConfirmationRequired || p.ExpiryMonths != 12 || p.InviteTTL != 48*time.Hour || p.ConfirmTTL != 24*time.Hour || p.ResetTTL != 30*time.Minute {
			t.Errorf("saved policy %+v", p)
		}
		// The pages say the new lifetimes.
		id := ts.createUser(t, `{"email":"ttl@example.com"}`)
		profile := b.get("/users/" + id)
		wantStatus(t, "profile", profile, http.StatusOK)
		wantContains(t, "profile", profile.Body, "It works once, for 30 minutes", "The link works for 2 days", "It works once, for 24 hours")
		asked := newBrowser(t, ts).post("/u/reset", url.Values{"email": {"ttl@example.com"}}, nil)
		wantStatus(t, "reset request", asked, http.StatusOK)
		wantContains(t, "reset request", asked.Body, "It works once, for 30 minutes.")
		// Support staff may not see it.
		sb := newBrowser(t, ts)
		sb.signIn(roster.RoleSupport, "/")
		wantStatus(t, "settings as support", sb.get("/settings/accounts"), http.StatusForbidden)
	})
}

// TestPages_AccessFilter: the users page's filter panel offers the access
// states, and the table shows and filters them.
func TestPages_AccessFilter(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ts := mustOpenServer(t, db)
		ts.createUser(t, `{"email":"active@example.com"}`)
		ts.createUser(t, `{"email":"pending@example.com","status":"pending"}`)
		b := newBrowser(t, ts)
		b.signIn(roster.RoleViewer, "/users")
		page := b.get("/users")
		wantStatus(t, "users", page, http.StatusOK)
		wantContains(t, "users", page.Body, `name="f.access.v" value="expired"`, `name="f.access.v" value="unconfirmed"`)
		wantRedirect(t, "the panel", b.get("/users?panel=1&f.access.v=pending"), "/users?q=access%3Apending")
		res := b.get("/users?q=access%3Apending")
		wantStatus(t, "filtered", res, http.StatusOK)
		wantContains(t, "filtered", res.Body, "pending@example.com")
		if strings.Contains(res.Body, "active@example.com") {
			t.Errorf("access:pending shows an active user")
		}
	})
}

// TestDashboard_ActiveAccounts: the card counts the access rule, which
// moves with the clock and the policy: not the status alone.
func TestDashboard_ActiveAccounts(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		now := time.Now().UTC()
		db.Now = func() time.Time { return now }
		ctx := roster.NewContextWithActor(t.Context(), roster.Actor{Label: "test"})
		year := now.AddDate(-1, 0, 0)
		users := []*roster.User{
			{Email: "fresh@example.com", CreatedAt: now, EmailConfirmed: true},
			{Email: "year@example.com", CreatedAt: year},                 // expires in 3 months
			{Email: "old@example.com", CreatedAt: now.AddDate(-2, 0, 0)}, // expired
			{Email: "banned@example.com", CreatedAt: now, Status: roster.StatusBanned},
		}
		if err := sqldb.NewUserService(db).CreateUsers(ctx, users); err != nil {
			t.Fatal(err)
		}
		ts := mustOpenServer(t, db)
		card := func() string {
			t.Helper()
			b := newBrowser(t, ts) // a session of the clock's time
			b.signIn(roster.RoleViewer, "/")
			page := b.get("/")
			wantStatus(t, "dashboard", page, http.StatusOK)
			m := regexp.MustCompile(`href="/users\?q=access%3Aactive">\s*<span class="dash-label">Active accounts</span>\s*<span class="dash-value">([0-9,]+)</span>`).FindStringSubmatch(page.Body)
			if m == nil {
				t.Fatalf("no Active accounts card:\n%s", page.Body)
			}
			return m[1]
		}
		if got := card(); got != "2" {
			t.Errorf("active accounts now: %s, want 2 (fresh, year)", got)
		}
		now = now.AddDate(0, 4, 0) // the year-old account passes 15 months
		if got := card(); got != "1" {
			t.Errorf("four months later: %s, want 1 (fresh)", got)
		}
		p := roster.DefaultAccountPolicy()
		p.ConfirmationRequired, p.ExpiryMonths = true, 0
		if err := db.SetAccountPolicy(ctx, p); err != nil {
			t.Fatal(err)
		}
		if got := card(); got != "1" {
			t.Errorf("confirmation required, no expiry: %s, want 1 (fresh, the only confirmed)", got)
		}
	})
}
