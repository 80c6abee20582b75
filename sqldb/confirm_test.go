package sqldb_test

import (
	"context"
	"errors"
	"regexp"
	"sync"
	"testing"
	"time"

	"roster"
	"roster/sqldb"
	"roster/sqldb/sqldbtest"
)

var confirmToken = regexp.MustCompile(`/u/confirm/([A-Za-z0-9_-]{43})`)

// requireConfirmation turns double opt-in on (or off).
func requireConfirmation(t *testing.T, db *sqldb.DB, on bool) {
	t.Helper()
	p := roster.DefaultAccountPolicy()
	p.ConfirmationRequired = on
	if err := db.SetAccountPolicy(staffCtx(), p); err != nil {
		t.Fatal(err)
	}
}

// sentTo returns the templates of the messages queued to recipient, newest
// first, and the newest confirmation token among them.
func (f *mailFixture) sentTo(t *testing.T, recipient string) ([]string, string) {
	t.Helper()
	var out []string
	tok := ""
	for _, m := range f.messages(t) {
		if m.Recipient != recipient {
			continue
		}
		out = append(out, m.Template)
		if s := confirmToken.FindStringSubmatch(m.Text); s != nil && tok == "" {
			tok = s[1]
		}
	}
	return out, tok
}

func (f *mailFixture) load(t *testing.T, id string) *roster.User {
	t.Helper()
	u, err := f.users.FindUserByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestConfirmation_OnCreate(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		f := newMailFixture(t, db)
		ctx := staffCtx()
		// Off (the default): no message.
		off := &roster.User{Email: "off@example.com"}
		if err := f.users.CreateUser(ctx, off, ""); err != nil {
			t.Fatal(err)
		}
		if got, _ := f.sentTo(t, "off@example.com"); len(got) != 0 {
			t.Errorf("confirmation off: %v queued", got)
		}
		requireConfirmation(t, db, true)
		on := &roster.User{Email: "on@example.com", FirstName: "On"}
		if err := f.users.CreateUser(ctx, on, ""); err != nil {
			t.Fatal(err)
		}
		got, tok := f.sentTo(t, "on@example.com")
		if len(got) != 1 || got[0] != roster.TemplateConfirmEmail || tok == "" {
			t.Fatalf("confirmation on: %v (token %q)", got, tok)
		}
		// Created confirmed already (staff ticked it): nothing to confirm.
		done := &roster.User{Email: "done@example.com", EmailConfirmed: true}
		if err := f.users.CreateUser(ctx, done, ""); err != nil {
			t.Fatal(err)
		}
		if got, _ := f.sentTo(t, "done@example.com"); len(got) != 0 {
			t.Errorf("created confirmed: %v queued", got)
		}
		if u := f.load(t, done.PublicID); u.EmailConfirmedAt.IsZero() {
			t.Error("created confirmed: no email_confirmed_at")
		}
		// The user is unconfirmed until the link is used.
		rule, err := db.AccessRule(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if a := rule.Of(f.load(t, on.PublicID)); a != roster.AccessUnconfirmed {
			t.Errorf("before confirming: access %s", a)
		}
		l, err := f.accounts.ConfirmEmail(context.Background(), tok)
		if err != nil || l.Email != "on@example.com" {
			t.Fatalf("confirm: %+v, %v", l, err)
		}
		u := f.load(t, on.PublicID)
		if !u.EmailConfirmed || u.EmailConfirmedAt.IsZero() || rule.Of(u) != roster.AccessActive {
			t.Errorf("after confirming: confirmed %t at %v, access %s", u.EmailConfirmed, u.EmailConfirmedAt, rule.Of(u))
		}
		if _, err := f.accounts.ConfirmEmail(context.Background(), tok); roster.LinkState(err) != roster.LinkUsed {
			t.Errorf("confirming twice: %v", err)
		}
	})
}

// TestConfirmation_ExactlyOnce: of concurrent uses of one link, exactly
// one confirms; the others are told it was used.
func TestConfirmation_ExactlyOnce(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		f := newMailFixture(t, db)
		m, err := f.accounts.SendConfirmation(staffCtx(), f.user.PublicID)
		if err != nil {
			t.Fatal(err)
		}
		tok := confirmToken.FindStringSubmatch(m.Text)[1]
		const n = 16
		var wg sync.WaitGroup
		start := make(chan struct{})
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start // all at once, as clicks on one link
				_, errs[i] = f.accounts.ConfirmEmail(context.Background(), tok)
			}()
		}
		close(start)
		wg.Wait()
		wins := 0
		for _, err := range errs {
			switch {
			case err == nil:
				wins++
			case roster.LinkState(err) != roster.LinkUsed:
				t.Errorf("a losing use: %v", err)
			}
		}
		if wins != 1 {
			t.Fatalf("%d uses confirmed, want exactly 1", wins)
		}
		entries, err := sqldb.NewAuditService(db).FindAuditEntries(context.Background(), roster.AuditFilter{Action: "user.email_confirm"})
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 1 {
			t.Errorf("%d audit entries, want 1", len(entries))
		}
	})
}

func TestConfirmation_EmailChange(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		f := newMailFixture(t, db)
		ctx := staffCtx()
		// Confirmed, with an open confirmation link to the old address.
		if err := f.accounts.MarkEmailConfirmed(ctx, f.user.PublicID, "known customer"); err != nil {
			t.Fatal(err)
		}
		old, err := f.accounts.SendConfirmation(ctx, f.user.PublicID)
		if err != nil {
			t.Fatal(err)
		}
		oldTok := confirmToken.FindStringSubmatch(old.Text)[1]

		// Not required: the new address is unconfirmed, the old one told.
		email := "grace.new@example.com"
		u, err := f.users.UpdateUser(ctx, f.user.PublicID, roster.UserUpdate{Values: map[string]any{"email": email}})
		if err != nil {
			t.Fatal(err)
		}
		if u.EmailConfirmed || !u.EmailConfirmedAt.IsZero() {
			t.Errorf("after the change: confirmed %t at %v", u.EmailConfirmed, u.EmailConfirmedAt)
		}
		if got, _ := f.sentTo(t, "grace@example.com"); len(got) == 0 || got[0] != roster.TemplateEmailChanged {
			t.Errorf("old address got %v, want an email_changed notice first", got)
		}
		if got, _ := f.sentTo(t, email); len(got) != 0 {
			t.Errorf("confirmation off: the new address got %v", got)
		}
		// The old address's link no longer confirms anything.
		if _, err := f.accounts.ConfirmEmail(context.Background(), oldTok); roster.LinkState(err) != roster.LinkRevoked {
			t.Errorf("the old address's link after the change: %v", err)
		}

		// Required: a confirmation to the new address too.
		requireConfirmation(t, db, true)
		email2 := "grace.2@example.com"
		if _, err := f.users.UpdateUser(ctx, f.user.PublicID, roster.UserUpdate{Values: map[string]any{"email": email2}}); err != nil {
			t.Fatal(err)
		}
		got, tok := f.sentTo(t, email2)
		if len(got) != 1 || got[0] != roster.TemplateConfirmEmail || tok == "" {
			t.Errorf("new address got %v", got)
		}
		if got, _ := f.sentTo(t, email); len(got) != 1 || got[0] != roster.TemplateEmailChanged {
			t.Errorf("previous address got %v", got)
		}

		// An update that fails after queueing leaves no message.
		before := len(f.messages(t))
		sqldb.SetBeforeUpdateCommit(f.users, func() error { return errors.New("the disk is full") })
		if _, err := f.users.UpdateUser(ctx, f.user.PublicID, roster.UserUpdate{Values: map[string]any{"email": "grace.3@example.com"}}); err == nil {
			t.Fatal("the failing update succeeded")
		}
		sqldb.SetBeforeUpdateCommit(f.users, nil)
		if n := len(f.messages(t)); n != before {
			t.Errorf("a rolled-back email change left %d messages", n-before)
		}
		if u := f.load(t, f.user.PublicID); u.Email != email2 {
			t.Errorf("after the rollback: email %s", u.Email)
		}
		// A create that fails (a taken address) queues nothing either.
		if err := f.users.CreateUser(ctx, &roster.User{Email: email2}, ""); roster.ErrorCode(err) != roster.ECONFLICT {
			t.Fatalf("creating a taken address: %v", err)
		}
		if n := len(f.messages(t)); n != before {
			t.Errorf("a failed create left %d messages", n-before)
		}
	})
}

func TestConfirmation_StaffSteps(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		f := newMailFixture(t, db)
		ctx := staffCtx()
		if err := f.accounts.MarkEmailConfirmed(ctx, f.user.PublicID, "  "); roster.ErrorFields(err)["reason"] == "" {
			t.Errorf("no reason: %v", err)
		}
		if err := f.accounts.MarkEmailConfirmed(ctx, "u_nosuchuser00000", "why"); roster.ErrorCode(err) != roster.ENOTFOUND {
			t.Errorf("unknown user: %v", err)
		}
		if _, err := f.accounts.SendConfirmation(ctx, "u_nosuchuser00000"); roster.ErrorCode(err) != roster.ENOTFOUND {
			t.Errorf("unknown user: %v", err)
		}
		first, err := f.accounts.SendConfirmation(ctx, f.user.PublicID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.accounts.SendConfirmation(ctx, f.user.PublicID); err != nil {
			t.Fatal(err)
		}
		// Resending replaces the older link.
		if _, err := f.accounts.ConfirmEmail(context.Background(), confirmToken.FindStringSubmatch(first.Text)[1]); roster.LinkState(err) != roster.LinkRevoked {
			t.Errorf("the older link: %v", err)
		}
		if err := f.accounts.MarkEmailConfirmed(ctx, f.user.PublicID, "confirmed on the phone"); err != nil {
			t.Fatal(err)
		}
		u := f.load(t, f.user.PublicID)
		if !u.EmailConfirmed || time.Since(u.EmailConfirmedAt) > time.Minute {
			t.Errorf("marked: confirmed %t at %v", u.EmailConfirmed, u.EmailConfirmedAt)
		}
		entries, err := sqldb.NewAuditService(db).FindAuditEntries(context.Background(), roster.AuditFilter{TargetID: f.user.PublicID})
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, e := range entries {
			actions = append(actions, e.Action)
			if e.Action == "user.email_confirm" && e.Note != "confirmed on the phone" {
				t.Errorf("the entry's note: %q", e.Note)
			}
		}
		if len(actions) < 3 || actions[0] != "user.email_confirm" || actions[1] != "user.confirmation_send" {
			t.Errorf("audit: %v", actions)
		}
		// The link expires after the policy's confirmation TTL.
		m, err := f.accounts.SendConfirmation(ctx, f.user.PublicID)
		if err != nil {
			t.Fatal(err)
		}
		tok := confirmToken.FindStringSubmatch(m.Text)[1]
		l, err := f.accounts.FindLink(context.Background(), roster.LinkConfirm, tok)
		if err != nil {
			t.Fatal(err)
		}
		if d := l.ExpiresAt.Sub(db.Now()); d < 71*time.Hour || d > 72*time.Hour {
			t.Errorf("the link works for %v, want 3 days", d)
		}
	})
}

// TestConfirmation_Import: an import that creates a user queues its
// confirmation in the chunk's transaction; one that changes an address
// unconfirms it and tells the old address.
func TestConfirmation_Import(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		f := newMailFixture(t, db)
		requireConfirmation(t, db, true)
		w := newWalk(t, db)
		w.importFile(map[string]string{"email": "imported@example.com", "first_name": "Imp"}, roster.ImportOptions{Mode: roster.ImportCreate, Key: "email"})
		if got, tok := f.sentTo(t, "imported@example.com"); len(got) != 1 || got[0] != roster.TemplateConfirmEmail || tok == "" {
			t.Errorf("imported user got %v", got)
		}
		if err := f.accounts.MarkEmailConfirmed(staffCtx(), f.user.PublicID, "known"); err != nil {
			t.Fatal(err)
		}
		w.importFile(map[string]string{"id": f.user.PublicID, "email": "grace.imported@example.com"}, roster.ImportOptions{Mode: roster.ImportUpdate, Key: "id"})
		u := f.load(t, f.user.PublicID)
		if u.Email != "grace.imported@example.com" || u.EmailConfirmed || !u.EmailConfirmedAt.IsZero() {
			t.Errorf("after the import: %s confirmed %t at %v", u.Email, u.EmailConfirmed, u.EmailConfirmedAt)
		}
		if got, _ := f.sentTo(t, "grace@example.com"); len(got) != 1 || got[0] != roster.TemplateEmailChanged {
			t.Errorf("old address got %v", got)
		}
		if got, _ := f.sentTo(t, "grace.imported@example.com"); len(got) != 1 || got[0] != roster.TemplateConfirmEmail {
			t.Errorf("new address got %v", got)
		}
	})
}

// TestAccountPolicy_OtherNodes: a policy saved through one handle shows
// through another handle on the same database (another node) once its
// cache lapses, and at once on the handle that saved it.
func TestAccountPolicy_OtherNodes(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		other, err := sqldb.Open(ctx, db.Config)
		if err != nil {
			t.Fatal(err)
		}
		defer other.Close()
		if p, err := other.AccountPolicy(ctx); err != nil || p != roster.DefaultAccountPolicy() {
			t.Fatalf("before: %+v, %v", p, err)
		}
		p := roster.DefaultAccountPolicy()
		p.ExpiryMonths = 6
		if err := db.SetAccountPolicy(staffCtx(), p); err != nil {
			t.Fatal(err)
		}
		if got, _ := db.AccountPolicy(ctx); got != p {
			t.Errorf("the saving node: %+v", got)
		}
		deadline := time.Now().Add(5 * time.Second)
		for {
			got, err := other.AccountPolicy(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if got == p {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the other node still reads %+v", got)
			}
			time.Sleep(100 * time.Millisecond)
		}
		// A bad policy is refused, naming the field, and changes nothing.
		bad := p
		bad.ResetTTL = time.Second
		if err := db.SetAccountPolicy(staffCtx(), bad); roster.ErrorFields(err)["reset_ttl_minutes"] == "" {
			t.Errorf("a 1 s reset link: %v", err)
		}
		if got, _ := db.AccountPolicy(ctx); got != p {
			t.Errorf("after a refused change: %+v", got)
		}
	})
}
