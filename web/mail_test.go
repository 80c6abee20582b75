package web_test

import (
	"context"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"roster"
	"roster/deliver"
	"roster/deliver/smtptest"
	"roster/sqldb"
	"roster/sqldb/sqldbtest"
)

// mailLink finds a hosted page's link in a message; the test server's
// messages link to https://roster.example.com.
var mailLink = regexp.MustCompile(`https://roster\.example\.com(/u/(?:reset|invite)/[A-Za-z0-9_-]{43})`)

// runWorker delivers ts's outbox to srv until the test ends.
func runWorker(t *testing.T, ts *testServer, srv *smtptest.Server) {
	t.Helper()
	w, err := deliver.New(ts.Outbox, deliver.Config{SMTPURL: srv.URL(), From: "Roster <roster@example.com>", Poll: 20 * time.Millisecond},
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); w.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
}

// deliveredLink waits for the n-th message the server accepts and returns
// the path of the link it carries, checking the text and HTML parts agree.
func deliveredLink(t *testing.T, srv *smtptest.Server, n int, to string) string {
	t.Helper()
	ms := srv.Wait(t, n, 10*time.Second)
	m := ms[n-1]
	if len(m.To) != 1 || m.To[0] != to {
		t.Fatalf("message %d went to %v, want %s", n, m.To, to)
	}
	p, err := m.Parse()
	if err != nil {
		t.Fatal(err)
	}
	text, htm := mailLink.FindStringSubmatch(p.Text), mailLink.FindStringSubmatch(p.HTML)
	if text == nil || htm == nil || text[1] != htm[1] {
		t.Fatalf("the parts' links differ or lack:\ntext: %s\nhtml: %s", p.Text, p.HTML)
	}
	return text[1]
}

func TestMail_ResetEndToEnd(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ts := mustOpenServer(t, db)
		srv := smtptest.Start(t)
		runWorker(t, ts, srv)
		ts.createUser(t, `{"email":"ada@example.com","first_name":"Ada"}`)
		b := newBrowser(t, ts) // a user's browser: no staff session

		page := b.get("/u/reset")
		wantStatus(t, "reset request page", page, http.StatusOK)
		checkSecurityHeaders(t, "/u/reset", page)
		resp := b.post("/u/reset", url.Values{"email": {"ADA@example.com"}}, nil)
		wantStatus(t, "reset request", resp, http.StatusOK)
		wantContains(t, "reset request", resp.Body, "Check your email")

		link := deliveredLink(t, srv, 1, "ada@example.com")
		form := b.get(link)
		wantStatus(t, "reset link", form, http.StatusOK)
		checkSecurityHeaders(t, "reset link", form)
		wantContains(t, "reset link", form.Body, `action="`+link+`"`, `type="password"`)

		bad := b.post(link, url.Values{"password": {"short"}, "password_again": {"short"}}, nil)
		wantStatus(t, "short password", bad, http.StatusUnprocessableEntity)
		wantContains(t, "short password", bad.Body, "at least 8 characters")
		bad = b.post(link, url.Values{"password": {"a long new password"}, "password_again": {"another one"}}, nil)
		wantStatus(t, "passwords differ", bad, http.StatusUnprocessableEntity)

		done := b.post(link, url.Values{"password": {"a long new password"}, "password_again": {"a long new password"}}, nil)
		wantStatus(t, "set password", done, http.StatusOK)
		wantContains(t, "set password", done.Body, "Your password is set")

		ts.call(t, roster.RoleSupport, "POST", "/api/v1/users/authenticate", `{"login":"ada@example.com","password":"a long new password"}`, http.StatusOK)

		again := b.get(link)
		wantStatus(t, "used link", again, http.StatusGone)
		wantContains(t, "used link", again.Body, "already been used", `href="/u/reset"`)
		wantLacks(t, "used link", again.Body, "ada@example.com", "Ada")
		again = b.post(link, url.Values{"password": {"yet another password"}, "password_again": {"yet another password"}}, nil)
		wantStatus(t, "used link, posted", again, http.StatusGone)
		ts.call(t, roster.RoleSupport, "POST", "/api/v1/users/authenticate", `{"login":"ada@example.com","password":"yet another password"}`, http.StatusUnauthorized)

		unknown := b.get("/u/reset/" + strings.Repeat("A", 43))
		wantStatus(t, "unknown link", unknown, http.StatusGone)
		wantContains(t, "unknown link", unknown.Body, "not valid")
	})
}

func TestMail_ResetRequestSameAnswer(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ts := mustOpenServer(t, db)
		ts.createUser(t, `{"email":"known@example.com"}`)
		b := newBrowser(t, ts)
		known := b.post("/u/reset", url.Values{"email": {"known@example.com"}}, nil)
		unknown := b.post("/u/reset", url.Values{"email": {"unknown@example.com"}}, nil)
		if known.StatusCode != unknown.StatusCode {
			t.Errorf("status %d for a known address, %d for an unknown one", known.StatusCode, unknown.StatusCode)
		}
		if k, u := strings.ReplaceAll(known.Body, "known@", "X@"), strings.ReplaceAll(unknown.Body, "unknown@", "X@"); k != u {
			t.Errorf("the answers differ:\nknown: %s\nunknown: %s", k, u)
		}
		ms, err := ts.Outbox.FindOutbox(context.Background(), roster.OutboxFilter{})
		if err != nil || len(ms) != 1 || ms[0].Recipient != "known@example.com" {
			t.Errorf("outbox after the two requests: %v, %v", ms, err)
		}
		bad := b.post("/u/reset", url.Values{"email": {"not an address"}}, nil)
		wantStatus(t, "bad address", bad, http.StatusUnprocessableEntity)
		wantContains(t, "bad address", bad.Body, "not a valid email address")
	})
}

func TestMail_InviteEndToEnd(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		// No mail server: as a newcomer tries Roster, the message waits in
		// the outbox and the Outbox page leads to its link.
		ts := mustOpenServer(t, db)
		id := ts.createUser(t, `{"email":"grace@example.com","first_name":"Grace"}`)
		profile := "/users/" + id
		staff := newBrowser(t, ts)
		staff.signIn(roster.RoleAdmin, "/")
		page := staff.get(profile)
		wantContains(t, "profile", page.Body, `action="`+profile+`/invite"`, `action="`+profile+`/password-reset"`)

		resp := staff.postForm(profile, profile+"/invite", url.Values{})
		wantRedirect(t, "invite", resp, profile)
		page = staff.get(profile)
		wantContains(t, "profile after invite", page.Body, "status-invited", "Invitation queued to grace@example.com", "Settings → Email", "Resend the invitation")

		list := staff.get("/settings/email")
		wantStatus(t, "outbox", list, http.StatusOK)
		wantContains(t, "outbox", list.Body, "No mail server is configured", "grace@example.com", "You are invited to Roster", "queued")
		m := regexp.MustCompile(`href="(/settings/email/\d+)"`).FindStringSubmatch(list.Body)
		if m == nil {
			t.Fatalf("no message link in the outbox:\n%s", list.Body)
		}
		msg := staff.get(m[1])
		wantStatus(t, "message", msg, http.StatusOK)
		// The HTML part is in a sandboxed frame, escaped into its srcdoc;
		// the links are clickable beside it.
		wantContains(t, "message", msg.Body, `sandbox="allow-popups allow-popups-to-escape-sandbox"`, `srcdoc="&lt;base target=&#34;_blank&#34;&gt;`)
		wantLacks(t, "message", msg.Body, "<a href=\"https://roster.example.com/u/invite/\" ")
		link := mailLink.FindStringSubmatch(html.UnescapeString(regexp.MustCompile(`<ul id="message-links"><li><a href="([^"]+)"`).FindStringSubmatch(msg.Body)[1]))
		if link == nil {
			t.Fatalf("no clickable invite link on the message page:\n%s", msg.Body)
		}

		user := newBrowser(t, ts)
		form := user.get(link[1])
		wantStatus(t, "invite link", form, http.StatusOK)
		checkSecurityHeaders(t, "invite link", form)
		wantContains(t, "invite link", form.Body, "Accept your invitation")
		done := user.post(link[1], url.Values{"password": {"her very own password"}, "password_again": {"her very own password"}}, nil)
		wantStatus(t, "accept", done, http.StatusOK)
		wantContains(t, "accept", done.Body, "Welcome")
		u, err := sqldb.NewUserService(db).FindUserByID(context.Background(), id)
		if err != nil || u.Status != roster.StatusActive {
			t.Fatalf("after accepting: %v, %v; want active", u.Status, err)
		}
		ts.call(t, roster.RoleSupport, "POST", "/api/v1/users/authenticate", `{"login":"grace@example.com","password":"her very own password"}`, http.StatusOK)
		used := user.get(link[1])
		wantStatus(t, "accepted link", used, http.StatusGone)
		wantContains(t, "accepted link", used.Body, "already accepted")

		act := staff.get(profile + "/activity")
		wantContains(t, "activity", act.Body, "user.invite", "admin@staff.example.com", "user.invite_accept")
		wantLacks(t, "activity", act.Body, strings.TrimPrefix(link[1], "/u/invite/"), "her very own password")
	})
}

func TestMail_API(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ts := mustOpenServer(t, db)
		id := ts.createUser(t, `{"email":"lin@example.com"}`)
		noMail := ts.createUser(t, `{"client_id":"sso-9"}`)
		ts.fails(t, roster.RoleViewer, "POST", "/api/v1/users/"+id+"/password-reset", "", http.StatusForbidden)
		ts.fails(t, roster.RoleSupport, "POST", "/api/v1/users/"+id+"/invite", "", http.StatusForbidden)
		ts.fails(t, roster.RoleSupport, "POST", "/api/v1/users/u_nope/password-reset", "", http.StatusNotFound)
		ts.fails(t, roster.RoleManager, "POST", "/api/v1/users/"+noMail+"/invite", "", http.StatusUnprocessableEntity, `"email":`)

		out := ts.call(t, roster.RoleSupport, "POST", "/api/v1/users/"+id+"/password-reset", "", http.StatusAccepted)
		wantContains(t, "reset", out, `"recipient":"lin@example.com"`, `"template":"reset_password"`, `"status":"queued"`)
		wantLacks(t, "reset", out, "/u/reset/")
		out = ts.call(t, roster.RoleManager, "POST", "/api/v1/users/"+id+"/invite", "", http.StatusAccepted)
		wantContains(t, "invite", out, `"status":"invited"`, `"template":"invite"`)

		entries, err := sqldb.NewAuditService(db).FindAuditEntries(context.Background(), roster.AuditFilter{TargetID: id})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, e := range entries {
			got[e.Action] = e.Actor
		}
		if got["user.password_reset_send"] != "support@staff.example.com" || got["user.invite"] != "manager@staff.example.com" {
			t.Errorf("audit actors: %v", got)
		}
	})
}

func TestMail_OutboxRetry(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ts := mustOpenServer(t, db)
		id := ts.createUser(t, `{"email":"max@example.com"}`)
		ts.call(t, roster.RoleSupport, "POST", "/api/v1/users/"+id+"/password-reset", "", http.StatusAccepted)
		ctx := context.Background()
		ms, err := ts.Outbox.ClaimOutbox(ctx, "test", 1, time.Minute)
		if err != nil || len(ms) != 1 {
			t.Fatalf("claim: %v, %v", ms, err)
		}
		if err := ts.Outbox.RecordFailed(ctx, ms[0].ID, "test", "550 5.1.1 <max@example.com>: mailbox <unavailable>"); err != nil {
			t.Fatal(err)
		}
		path := "/settings/email/" + strconv.FormatInt(ms[0].ID, 10)

		support := newBrowser(t, ts)
		support.signIn(roster.RoleSupport, "/")
		wantStatus(t, "support's outbox", support.get("/settings/email"), http.StatusForbidden)

		admin := newBrowser(t, ts)
		admin.signIn(roster.RoleAdmin, "/")
		list := admin.get("/settings/email?status=failed")
		wantContains(t, "failed list", list.Body, "mailbox &lt;unavailable&gt;", `class="sp-row-error"`)
		wantStatus(t, "bad filter", admin.get("/settings/email?status=lost"), http.StatusUnprocessableEntity)
		page := admin.get(path)
		wantContains(t, "failed message", page.Body, "Send again", "mailbox &lt;unavailable&gt;")
		// Without the form's token the retry is refused.
		wantStatus(t, "retry without csrf", admin.post(path+"/retry", url.Values{}, nil), http.StatusForbidden)
		resp := admin.postForm(path, path+"/retry", url.Values{})
		wantRedirect(t, "retry", resp, path)
		m, err := ts.Outbox.FindOutboxMessage(ctx, ms[0].ID)
		if err != nil || m.Status != roster.OutboxQueued {
			t.Fatalf("after send again: %v, %v", m, err)
		}
		// A queued message cannot be sent again.
		wantStatus(t, "retry of a queued message", admin.postForm(path, path+"/retry", url.Values{}), http.StatusConflict)
		entries, _ := sqldb.NewAuditService(db).FindAuditEntries(ctx, roster.AuditFilter{Action: "outbox.retry"})
		if len(entries) != 1 || entries[0].Actor != "admin@staff.example.com" {
			t.Errorf("outbox.retry entries: %+v", entries)
		}
	})
}
