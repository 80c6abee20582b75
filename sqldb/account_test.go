package sqldb_test

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"roster"
	"roster/deliver"
	"roster/sqldb"
	"roster/sqldb/sqldbtest"
)

// mailFixture is a database with one user and the mail services over it.
type mailFixture struct {
	db       *sqldb.DB
	users    *sqldb.UserService
	outbox   *sqldb.OutboxService
	accounts *sqldb.AccountService
	render   *deliver.Renderer
	user     *roster.User
}

func newMailFixture(t *testing.T, db *sqldb.DB) *mailFixture {
	t.Helper()
	r, err := deliver.NewRenderer("", "http://127.0.0.1:8080")
	if err != nil {
		t.Fatal(err)
	}
	f := &mailFixture{db: db, users: sqldb.NewUserService(db), outbox: sqldb.NewOutboxService(db), accounts: sqldb.NewAccountService(db, r), render: r}
	f.user = &roster.User{Email: "grace@example.com", FirstName: "Grace", LastName: "Hopper"}
	if err := f.users.CreateUser(staffCtx(), f.user, ""); err != nil {
		t.Fatal(err)
	}
	return f
}

var linkToken = regexp.MustCompile(`/u/(?:invite|reset)/([A-Za-z0-9_-]{43})`)

// token returns the link token in m's text.
func token(t *testing.T, m *roster.OutboxMessage) string {
	t.Helper()
	s := linkToken.FindStringSubmatch(m.Text)
	if s == nil {
		t.Fatalf("no link in message:\n%s", m.Text)
	}
	if !strings.Contains(m.HTML, s[0]) {
		t.Errorf("the HTML part lacks the link %s", s[0])
	}
	return s[1]
}

func (f *mailFixture) status(t *testing.T) roster.UserStatus {
	t.Helper()
	u, err := f.users.FindUserByID(context.Background(), f.user.PublicID)
	if err != nil {
		t.Fatal(err)
	}
	return u.Status
}

func (f *mailFixture) messages(t *testing.T) []*roster.OutboxMessage {
	t.Helper()
	ms, err := f.outbox.FindOutbox(context.Background(), roster.OutboxFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

func TestOutbox_EnqueueInCauseTransaction(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		f := newMailFixture(t, db)
		ctx := context.Background()
		if err := db.EnqueueInTx(ctx, f.render, "rolled@example.com", false); err != nil {
			t.Fatal(err)
		}
		if ms := f.messages(t); len(ms) != 0 {
			t.Fatalf("a rolled-back transaction left %d messages", len(ms))
		}
		if err := db.EnqueueInTx(ctx, f.render, "kept@example.com", true); err != nil {
			t.Fatal(err)
		}
		ms := f.messages(t)
		if len(ms) != 1 || ms[0].Recipient != "kept@example.com" || ms[0].Status != roster.OutboxQueued || ms[0].MessageID == "" {
			t.Fatalf("after a commit: %+v", ms)
		}
		counts, err := f.outbox.CountOutbox(ctx)
		if err != nil || counts[roster.OutboxQueued] != 1 {
			t.Errorf("counts %v, %v", counts, err)
		}

		// A cause that fails after queuing its message (here the renderer
		// refuses) leaves neither the message nor its change.
		bad := sqldb.NewAccountService(db, brokenRenderer{})
		if _, err := bad.InviteUser(staffCtx(), f.user.PublicID); err == nil {
			t.Fatal("an invite whose message cannot be rendered succeeded")
		}
		if st := f.status(t); st != roster.StatusActive {
			t.Errorf("status %s after a failed invite, want active", st)
		}
		if ms := f.messages(t); len(ms) != 1 {
			t.Errorf("%d messages after a failed invite, want 1", len(ms))
		}
	})
}

type brokenRenderer struct{}

func (brokenRenderer) RenderMail(string, roster.MailData) (roster.RenderedMail, error) {
	return roster.RenderedMail{}, errors.New("broken template")
}
func (brokenRenderer) MessageIDDomain() string { return "example.com" }

func TestAccountService_Invite(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		f := newMailFixture(t, db)
		ctx := context.Background()
		m1, err := f.accounts.InviteUser(staffCtx(), f.user.PublicID)
		if err != nil {
			t.Fatal(err)
		}
		if st := f.status(t); st != roster.StatusInvited {
			t.Fatalf("status %s after an invite, want invited", st)
		}
		if m1.Template != roster.TemplateInvite || m1.Recipient != "grace@example.com" || !strings.Contains(m1.Subject, "Roster") || !strings.Contains(m1.Text, "7 days") {
			t.Errorf("invite message: %+v", m1)
		}
		first := token(t, m1)
		// Resending makes a new link; the first stops working.
		m2, err := f.accounts.InviteUser(staffCtx(), f.user.PublicID)
		if err != nil {
			t.Fatal(err)
		}
		second := token(t, m2)
		if _, err := f.accounts.FindLink(ctx, roster.LinkInvite, first); roster.LinkState(err) != roster.LinkRevoked {
			t.Errorf("the first invite link after a resend: %v, want revoked", err)
		}
		l, err := f.accounts.FindLink(ctx, roster.LinkInvite, second)
		if err != nil || l.Email != "grace@example.com" {
			t.Fatalf("the new link: %+v, %v", l, err)
		}
		// A reset link does not open an invite, nor the other way round.
		if _, err := f.accounts.FindLink(ctx, roster.LinkReset, second); roster.LinkState(err) != roster.LinkUnknown {
			t.Errorf("an invite link as a reset link: %v, want unknown", err)
		}
		if _, err := f.accounts.UseLink(ctx, roster.LinkInvite, second, "short"); roster.ErrorFields(err)["password"] == "" {
			t.Errorf("a short password: %v, want an error naming password", err)
		}
		if _, err := f.accounts.UseLink(ctx, roster.LinkInvite, second, strings.Repeat("x", 129)); roster.ErrorFields(err)["password"] == "" {
			t.Errorf("a 129-character password: %v, want an error naming password", err)
		}
		if _, err := f.accounts.UseLink(ctx, roster.LinkInvite, second, "my own password"); err != nil {
			t.Fatal(err)
		}
		if st := f.status(t); st != roster.StatusActive {
			t.Errorf("status %s after accepting, want active", st)
		}
		if _, err := f.users.Authenticate(ctx, "grace@example.com", "my own password"); err != nil {
			t.Errorf("sign-in with the chosen password: %v", err)
		}
		if _, err := f.accounts.UseLink(ctx, roster.LinkInvite, second, "another password"); roster.LinkState(err) != roster.LinkUsed {
			t.Errorf("the link a second time: %v, want used", err)
		}

		entries, err := sqldb.NewAuditService(db).FindAuditEntries(ctx, roster.AuditFilter{TargetID: f.user.PublicID})
		if err != nil {
			t.Fatal(err)
		}
		actions := map[string]*roster.AuditEntry{}
		for _, e := range entries {
			actions[e.Action] = e
			b, _ := json.Marshal(e)
			for _, secret := range []string{first, second, "my own password"} {
				if strings.Contains(string(b), secret) {
					t.Errorf("audit entry %s holds a secret: %s", e.Action, b)
				}
			}
		}
		if e := actions["user.invite"]; e == nil || e.Actor != "ada@example.com" || !strings.Contains(e.Note, "grace@example.com") {
			t.Errorf("user.invite entry: %+v", e)
		}
		if e := actions["user.invite_accept"]; e == nil || !strings.HasPrefix(e.Actor, "user u_") || e.Changes["status"].After != "active" {
			t.Errorf("user.invite_accept entry: %+v", e)
		}
	})
}

func TestAccountService_InviteRefused(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		f := newMailFixture(t, db)
		noEmail := &roster.User{ClientID: "sso-1"}
		if err := f.users.CreateUser(staffCtx(), noEmail, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := f.accounts.InviteUser(staffCtx(), noEmail.PublicID); roster.ErrorFields(err)["email"] == "" {
			t.Errorf("invite without an email: %v", err)
		}
		if _, err := f.accounts.SendPasswordReset(staffCtx(), "u_nope"); roster.ErrorCode(err) != roster.ENOTFOUND {
			t.Errorf("reset of an unknown user: %v", err)
		}
		if _, err := f.users.UpdateUser(staffCtx(), f.user.PublicID, roster.UserUpdate{Values: map[string]any{"status": "banned"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.accounts.InviteUser(staffCtx(), f.user.PublicID); roster.ErrorCode(err) != roster.ECONFLICT {
			t.Errorf("invite of a banned user: %v", err)
		}
		if ms := f.messages(t); len(ms) != 0 {
			t.Errorf("refused steps queued %d messages", len(ms))
		}
	})
}

func TestAccountService_ResetOnceUnderConcurrency(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		f := newMailFixture(t, db)
		ctx := context.Background()
		m, err := f.accounts.SendPasswordReset(staffCtx(), f.user.PublicID)
		if err != nil {
			t.Fatal(err)
		}
		tok := token(t, m)
		const n = 6
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				_, errs[i] = f.accounts.UseLink(ctx, roster.LinkReset, tok, "password number "+string(rune('a'+i)))
			})
		}
		wg.Wait()
		won := -1
		for i, err := range errs {
			switch {
			case err == nil && won >= 0:
				t.Errorf("uses %d and %d both succeeded", won, i)
			case err == nil:
				won = i
			case roster.LinkState(err) != roster.LinkUsed:
				t.Errorf("use %d: %v, want used", i, err)
			}
		}
		if won < 0 {
			t.Fatal("no use succeeded")
		}
		if _, err := f.users.Authenticate(ctx, "grace@example.com", "password number "+string(rune('a'+won))); err != nil {
			t.Errorf("the winner's password does not sign in: %v", err)
		}
	})
}

func TestAccountService_ResetExpires(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		f := newMailFixture(t, db)
		m, err := f.accounts.SendPasswordReset(staffCtx(), f.user.PublicID)
		if err != nil {
			t.Fatal(err)
		}
		tok := token(t, m)
		if !strings.Contains(m.Text, "1 hour") {
			t.Errorf("the message does not say how long the link works:\n%s", m.Text)
		}
		db.Now = func() time.Time { return time.Now().UTC().Add(61 * time.Minute) }
		if _, err := f.accounts.UseLink(context.Background(), roster.LinkReset, tok, "a new password"); roster.LinkState(err) != roster.LinkExpired {
			t.Errorf("a reset link after 61 minutes: %v, want expired", err)
		}
		if _, err := f.accounts.FindLink(context.Background(), roster.LinkReset, "not-a-token"); roster.LinkState(err) != roster.LinkUnknown {
			t.Errorf("an unknown token: %v", err)
		}
	})
}

func TestAccountService_RequestPasswordReset(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		f := newMailFixture(t, db)
		ctx := context.Background()
		// An unknown address gets the same answer and no message.
		if err := f.accounts.RequestPasswordReset(ctx, "nobody@example.com", "10.0.0.1"); err != nil {
			t.Fatalf("unknown address: %v", err)
		}
		if ms := f.messages(t); len(ms) != 0 {
			t.Fatalf("an unknown address queued %d messages", len(ms))
		}
		if err := f.accounts.RequestPasswordReset(ctx, "not an address", "10.0.0.1"); roster.ErrorFields(err)["email"] == "" {
			t.Errorf("a bad address: %v", err)
		}
		// A known one (in any case) gets a link; after three in an hour,
		// more requests get the same answer and no message.
		for range 5 {
			if err := f.accounts.RequestPasswordReset(ctx, "Grace@Example.com", "10.0.0.2"); err != nil {
				t.Fatal(err)
			}
		}
		ms := f.messages(t)
		if len(ms) != 3 {
			t.Fatalf("%d messages for 5 requests, want 3", len(ms))
		}
		// Only the newest link works.
		if _, err := f.accounts.FindLink(ctx, roster.LinkReset, token(t, ms[0])); err != nil {
			t.Errorf("newest link: %v", err)
		}
		if _, err := f.accounts.FindLink(ctx, roster.LinkReset, token(t, ms[1])); roster.LinkState(err) != roster.LinkRevoked {
			t.Errorf("older link: %v, want revoked", err)
		}
		// One client asking for many addresses is refused after 20.
		var err error
		for i := range 25 {
			if err = f.accounts.RequestPasswordReset(ctx, "someone"+string(rune('a'+i))+"@example.com", "10.0.0.3"); err != nil {
				break
			}
		}
		if roster.ErrorCode(err) != roster.ETOOMANY {
			t.Errorf("the 21st request of one client: %v, want too many", err)
		}
	})
}

// welcomes returns the welcome messages queued to email.
func (f *mailFixture) welcomes(t *testing.T, email string) []*roster.OutboxMessage {
	t.Helper()
	var out []*roster.OutboxMessage
	for _, m := range f.messages(t) {
		if m.Template == roster.TemplateWelcome && m.Recipient == email {
			out = append(out, m)
		}
	}
	return out
}

// An accepted invite queues the welcome message in its own transaction;
// an acceptance that rolls back (here because the edited welcome template
// fails for this user's name) leaves no welcome, and the invite open.
func TestAccountService_WelcomeWithAcceptedInvite(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		f := newMailFixture(t, db)
		ctx := context.Background()
		settings := sqldb.NewMailSettingsService(db, f.render)
		settings.Changed = f.render.Invalidate
		f.render.UseStore(settings, time.Hour)

		m, err := f.accounts.InviteUser(staffCtx(), f.user.PublicID)
		if err != nil {
			t.Fatal(err)
		}
		if n := len(f.welcomes(t, "grace@example.com")); n != 0 {
			t.Fatalf("%d welcomes before the invite is accepted", n)
		}
		if _, err := f.accounts.UseLink(ctx, roster.LinkInvite, token(t, m), "a tidy garden path"); err != nil {
			t.Fatal(err)
		}
		ws := f.welcomes(t, "grace@example.com")
		if len(ws) != 1 || ws[0].Subject != "Welcome to Roster" || !strings.Contains(ws[0].Text, "Hello Grace Hopper") || ws[0].Status != roster.OutboxQueued {
			t.Fatalf("welcomes after accepting: %+v", ws)
		}

		// "Ada Lovelace", the example, passes; "Al" is too short to slice.
		al := &roster.User{Email: "al@example.com", FirstName: "Al"}
		if err := f.users.CreateUser(staffCtx(), al, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := settings.SaveMailTemplate(staffCtx(), roster.TemplateWelcome, roster.MailTemplateSource{
			Subject: "Welcome", Text: "Hello {{slice .Name 0 10}}", HTML: "<p>Hello</p>"}); err != nil {
			t.Fatal(err)
		}
		m, err = f.accounts.InviteUser(staffCtx(), al.PublicID)
		if err != nil {
			t.Fatal(err)
		}
		tok := token(t, m)
		if _, err := f.accounts.UseLink(ctx, roster.LinkInvite, tok, "a tidy garden path"); roster.ErrorCode(err) != roster.ECONFLICT || !strings.Contains(roster.ErrorMessage(err), "Text, line 1") {
			t.Fatalf("accepting with a welcome that cannot be rendered: %v, want ECONFLICT naming the part and line", err)
		}
		if n := len(f.welcomes(t, "al@example.com")); n != 0 {
			t.Errorf("%d welcomes for a rolled-back acceptance", n)
		}
		u, err := f.users.FindUserByID(ctx, al.PublicID)
		if err != nil || u.Status != roster.StatusInvited {
			t.Errorf("after the rolled-back acceptance: %+v, %v; want still invited", u, err)
		}
		if _, err := f.users.Authenticate(ctx, "al@example.com", "a tidy garden path"); err == nil {
			t.Error("the rolled-back acceptance set the password")
		}
		// Fixed, the same link works and the welcome goes out.
		if err := settings.ResetMailTemplate(staffCtx(), roster.TemplateWelcome); err != nil {
			t.Fatal(err)
		}
		if _, err := f.accounts.UseLink(ctx, roster.LinkInvite, tok, "a tidy garden path"); err != nil {
			t.Fatal(err)
		}
		if n := len(f.welcomes(t, "al@example.com")); n != 1 {
			t.Errorf("%d welcomes after accepting, want 1", n)
		}
	})
}
