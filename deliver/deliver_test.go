package deliver_test

import (
	"context"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"

	"roster"
	"roster/deliver"
	"roster/deliver/smtptest"
	"roster/sqldb"
	"roster/sqldb/sqldbtest"
)

func staffCtx() context.Context {
	return roster.NewContextWithActor(context.Background(), roster.Actor{StaffID: 1, Label: "ada@staff.example.com", Role: roster.RoleAdmin})
}

// fixture is a database with one user, a renderer and the services over
// them.
type fixture struct {
	db       *sqldb.DB
	outbox   *sqldb.OutboxService
	accounts *sqldb.AccountService
	userID   string
}

func newFixture(t *testing.T, db *sqldb.DB) *fixture {
	t.Helper()
	r, err := deliver.NewRenderer("Acme Club", "https://club.example.com/")
	if err != nil {
		t.Fatal(err)
	}
	return newFixtureWith(t, db, r)
}

// newFixtureWith is newFixture rendering with r.
func newFixtureWith(t *testing.T, db *sqldb.DB, r *deliver.Renderer) *fixture {
	t.Helper()
	u := &roster.User{Email: "grace@example.com", FirstName: "Grace"}
	if err := sqldb.NewUserService(db).CreateUser(staffCtx(), u, ""); err != nil {
		t.Fatal(err)
	}
	return &fixture{db: db, outbox: sqldb.NewOutboxService(db), accounts: sqldb.NewAccountService(db, r), userID: u.PublicID}
}

// queueReset queues one reset message for the fixture's user.
func (f *fixture) queueReset(t *testing.T) *roster.OutboxMessage {
	t.Helper()
	m, err := f.accounts.SendPasswordReset(staffCtx(), f.userID)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// start runs a worker with cfg until the test ends, and returns it.
func start(t *testing.T, f *fixture, cfg deliver.Config) *deliver.Worker {
	t.Helper()
	if cfg.From == "" {
		cfg.From = "Acme Club <club@example.com>"
	}
	if cfg.Poll == 0 {
		cfg.Poll = 20 * time.Millisecond
	}
	w, err := deliver.New(f.outbox, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		w.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return w
}

// waitStatus waits until message id has status, and returns it.
func waitStatus(t *testing.T, f *fixture, id int64, status roster.OutboxStatus) *roster.OutboxMessage {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		m, err := f.outbox.FindOutboxMessage(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if m.Status == status {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("message %d is %s (attempts %d, last error %q), want %s", id, m.Status, m.Attempts, m.LastError, status)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

var resetLink = regexp.MustCompile(`https://club\.example\.com/u/reset/[A-Za-z0-9_-]{43}`)

func TestWorker_Delivers(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		f := newFixture(t, db)
		srv := smtptest.Start(t)
		q := f.queueReset(t)
		start(t, f, deliver.Config{SMTPURL: srv.URL()})
		got := srv.Wait(t, 1, 10*time.Second)
		m := waitStatus(t, f, q.ID, roster.OutboxSent)
		if m.Attempts != 1 || m.LastError != "" || m.SentAt.IsZero() {
			t.Errorf("sent message: attempts %d, last error %q, sent at %v", m.Attempts, m.LastError, m.SentAt)
		}
		if got[0].From != "club@example.com" || len(got[0].To) != 1 || got[0].To[0] != "grace@example.com" {
			t.Errorf("envelope: from %q to %q", got[0].From, got[0].To)
		}
		p, err := got[0].Parse()
		if err != nil {
			t.Fatalf("parse: %v\n%s", err, got[0].Data)
		}
		if id := p.Header.Get("Message-Id"); id != q.MessageID || !strings.HasSuffix(id, "@club.example.com>") {
			t.Errorf("Message-ID %q, want the stored %q at the public host", id, q.MessageID)
		}
		if subj := p.Header.Get("Subject"); subj != "Reset your Acme Club password" {
			t.Errorf("subject %q", subj)
		}
		textLink, htmlLink := resetLink.FindString(p.Text), resetLink.FindString(p.HTML)
		if textLink == "" || textLink != htmlLink {
			t.Errorf("the text part's link %q and the HTML part's %q must be the same reset link\ntext: %s\nhtml: %s", textLink, htmlLink, p.Text, p.HTML)
		}
		if !strings.Contains(p.HTML, `<a href="`+textLink+`">`) || !strings.Contains(p.Text, "Hello Grace") || !strings.Contains(p.Text, "1 hour") {
			t.Errorf("bodies lack the greeting, the clickable link or the expiry:\ntext: %s\nhtml: %s", p.Text, p.HTML)
		}
		if !strings.Contains(string(got[0].Data), "multipart/alternative") {
			t.Errorf("not multipart/alternative:\n%s", got[0].Data)
		}
	})
}

func TestWorker_TemporaryFailureRetries(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		f := newFixture(t, db)
		srv := smtptest.Start(t)
		srv.FailData(451, "Greylisted, try again later")
		q := f.queueReset(t)
		// The first retry waits a second: long enough to see the message
		// queued with its error in between.
		start(t, f, deliver.Config{SMTPURL: srv.URL(), Backoff: time.Second})
		deadline := time.Now().Add(10 * time.Second)
		for {
			m, err := f.outbox.FindOutboxMessage(context.Background(), q.ID)
			if err != nil {
				t.Fatal(err)
			}
			if m.Attempts == 1 {
				if m.Status != roster.OutboxQueued || !strings.Contains(m.LastError, "451") || !strings.Contains(m.LastError, "Greylisted") {
					t.Fatalf("after a 451: status %s, last error %q; want queued with the server's answer", m.Status, m.LastError)
				}
				if !m.NextAttemptAt.After(m.CreatedAt) {
					t.Errorf("next attempt %v is not after the first", m.NextAttemptAt)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no attempt recorded: %+v", m)
			}
			time.Sleep(5 * time.Millisecond)
		}
		m := waitStatus(t, f, q.ID, roster.OutboxSent)
		if m.Attempts != 2 || m.LastError != "" {
			t.Errorf("after the retry: attempts %d, last error %q; want 2 and none", m.Attempts, m.LastError)
		}
		if n := len(srv.Messages()); n != 1 {
			t.Errorf("the server accepted %d messages, want 1", n)
		}
	})
}

func TestWorker_PermanentFailure(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		f := newFixture(t, db)
		srv := smtptest.Start(t)
		srv.FailRcpt(550, "No such user here")
		q := f.queueReset(t)
		start(t, f, deliver.Config{SMTPURL: srv.URL(), Backoff: time.Millisecond})
		m := waitStatus(t, f, q.ID, roster.OutboxFailed)
		if m.Attempts != 1 || !strings.Contains(m.LastError, "550") || !strings.Contains(m.LastError, "No such user here") {
			t.Errorf("failed message: attempts %d, last error %q; want 1 attempt and the server's reason", m.Attempts, m.LastError)
		}
		// Staff send it again; the server takes it this time.
		if err := f.outbox.RetryOutboxMessage(staffCtx(), q.ID); err != nil {
			t.Fatal(err)
		}
		m = waitStatus(t, f, q.ID, roster.OutboxSent)
		if m.Attempts != 2 {
			t.Errorf("attempts %d after sending again, want 2", m.Attempts)
		}
	})
}

func TestWorker_GivesUpAfterMaxAttempts(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		f := newFixture(t, db)
		srv := smtptest.Start(t)
		for range 3 {
			srv.FailData(421, "Service not available")
		}
		q := f.queueReset(t)
		start(t, f, deliver.Config{SMTPURL: srv.URL(), Backoff: time.Millisecond, MaxAttempts: 3})
		m := waitStatus(t, f, q.ID, roster.OutboxFailed)
		if m.Attempts != 3 || !strings.Contains(m.LastError, "gave up after 3 attempts") || !strings.Contains(m.LastError, "421") {
			t.Errorf("attempts %d, last error %q", m.Attempts, m.LastError)
		}
	})
}

func TestWorker_ServerDown(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		f := newFixture(t, db)
		// A server that stopped: its port is closed.
		gone := smtptest.Start(t)
		gone.Close()
		down := "smtp://" + gone.Addr + "?tls=none&timeout=2s"
		q := f.queueReset(t)
		ctx, cancel := context.WithCancel(context.Background())
		w, err := deliver.New(f.outbox, deliver.Config{SMTPURL: down, From: "club@example.com", Backoff: time.Hour, Poll: 10 * time.Millisecond}, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() { defer close(done); w.Run(ctx) }()
		deadline := time.Now().Add(10 * time.Second)
		for {
			m, _ := f.outbox.FindOutboxMessage(context.Background(), q.ID)
			if m.Attempts == 1 {
				if m.Status != roster.OutboxQueued || !strings.Contains(m.LastError, "connecting to the mail server") {
					t.Errorf("with the server down: status %s, last error %q", m.Status, m.LastError)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no attempt recorded: %+v", m)
			}
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
		<-done
	})
}

func TestWorker_RecoversExpiredLease(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		f := newFixture(t, db)
		srv := smtptest.Start(t)
		q := f.queueReset(t)
		ctx := context.Background()
		// A worker claims the message and dies before sending it. Its
		// lease is long enough that a loaded machine still makes the
		// second claim within it.
		const lease = time.Second
		claimed, err := f.outbox.ClaimOutbox(ctx, "dead-node", 10, lease)
		if err != nil || len(claimed) != 1 || claimed[0].ID != q.ID {
			t.Fatalf("claim: %v, %d messages", err, len(claimed))
		}
		if again, _ := f.outbox.ClaimOutbox(ctx, "other-node", 10, time.Minute); len(again) != 0 {
			t.Fatalf("a leased message was claimed twice")
		}
		m, _ := f.outbox.FindOutboxMessage(ctx, q.ID)
		if m.Status != roster.OutboxSending {
			t.Fatalf("claimed message is %s, want sending", m.Status)
		}
		time.Sleep(lease + 10*time.Millisecond)
		start(t, f, deliver.Config{SMTPURL: srv.URL()})
		srv.Wait(t, 1, 10*time.Second)
		waitStatus(t, f, q.ID, roster.OutboxSent)
		// The dead worker, come back, cannot overwrite the result.
		if err := f.outbox.RecordFailed(ctx, q.ID, "dead-node", "late"); roster.ErrorCode(err) != roster.ECONFLICT {
			t.Errorf("a late record by the lease's former owner: %v, want a conflict", err)
		}
		if m := waitStatus(t, f, q.ID, roster.OutboxSent); m.LastError != "" {
			t.Errorf("last error %q", m.LastError)
		}
	})
}

func TestWorker_ReusesConnectionAtRate(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		f := newFixture(t, db)
		srv := smtptest.Start(t)
		const n, rate = 6, 20.0
		for range n {
			f.queueReset(t)
		}
		begin := time.Now()
		start(t, f, deliver.Config{SMTPURL: srv.URL(), Rate: rate})
		srv.Wait(t, n, 10*time.Second)
		// A lower bound only: the rate spaces messages at least 1/rate
		// apart, however fast the machine.
		if took, least := time.Since(begin), time.Duration(float64(n-1)/rate*float64(time.Second)); took < least {
			t.Errorf("%d messages at %v/s took %v, less than %v", n, rate, took, least)
		}
		if s := srv.Sessions(); s != 1 {
			t.Errorf("%d connections for %d messages, want 1 reused", s, n)
		}
	})
}

func TestWorker_NoServerKeepsQueued(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		f := newFixture(t, db)
		q := f.queueReset(t)
		w := start(t, f, deliver.Config{})
		if w.Enabled() {
			t.Fatal("a worker without an SMTP URL says it is enabled")
		}
		time.Sleep(50 * time.Millisecond)
		if m, _ := f.outbox.FindOutboxMessage(context.Background(), q.ID); m.Status != roster.OutboxQueued || m.Attempts != 0 {
			t.Errorf("without a server the message is %s after %d attempts, want queued", m.Status, m.Attempts)
		}
	})
}

func TestNew_BadConfig(t *testing.T) {
	for _, tc := range []struct{ url, from, want string }{
		{"http://mail.example.com", "a@example.com", `scheme "http"`},
		{"smtp://", "a@example.com", "no host"},
		{"smtp://mail.example.com?tls=maybe", "a@example.com", `tls="maybe"`},
		{"smtp://u:secret@mail.example.com?tls=none", "a@example.com", "unencrypted"},
		{"smtp://mail.example.com:99999", "a@example.com", "port"},
		{"smtp://mail.example.com?colour=blue", "a@example.com", `unknown parameter "colour"`},
		{"smtp://mail.example.com", "not an address", "mail sender"},
	} {
		_, err := deliver.New(nil, deliver.Config{SMTPURL: tc.url, From: tc.from}, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%q, %q) = %v, want an error with %q", tc.url, tc.from, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("the error shows the password: %v", err)
		}
	}
	for _, tc := range []struct {
		url  string
		port int
		tls  string
	}{
		{"smtp://user:pass@mail.example.com", 587, "starttls"},
		{"smtps://user:pass@mail.example.com", 465, "tls"},
		{"smtp://127.0.0.1:2525", 2525, "opportunistic"},
		{"smtp://mail.example.com?tls=none", 25, "none"},
	} {
		c, err := deliver.ParseSMTPURL(tc.url)
		if err != nil || c.Port != tc.port || c.TLS != tc.tls {
			t.Errorf("ParseSMTPURL(%q) = %+v, %v; want port %d, tls %s", tc.url, c, err, tc.port, tc.tls)
		}
	}
}
