package main

import (
	"bytes"
	"context"
	"fmt"
	"net/mail"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"roster"
	"roster/deliver/smtptest"
	"roster/sqldb"
	"roster/sqldb/sqldbtest"
)

// crashMessages is how many messages the crash test sends.
const crashMessages = 10000

// TestMailKillResume queues 10,000 invites (an import's invite column),
// serves with a slow SMTP server, kills the server with SIGKILL twice in
// the middle of the send, and serves again until the outbox is empty:
// every message reaches the SMTP server, and none twice except the one in
// flight at each kill (a worker sends one message at a time). Deliveries
// are counted by Message-ID at the server.
func TestMailKillResume(t *testing.T) {
	if testing.Short() {
		t.Skip("sends 10,000 messages")
	}
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		db.Close() // the children open their own
		d := db.Dialect
		env := importEnv(t, d)
		env["ROSTER_PUBLIC_URL"] = "https://roster.example.com"
		env["ROSTER_LOG_LEVEL"] = "error"
		dir := t.TempDir()
		var csv bytes.Buffer
		csv.WriteString("email,first_name,invite\n")
		for i := range crashMessages {
			fmt.Fprintf(&csv, "user%05d@example.com,User %d,true\n", i, i)
		}
		file := filepath.Join(dir, "invite.csv")
		if err := os.WriteFile(file, csv.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		if out, err := child(t, env, "import", file).CombinedOutput(); err != nil {
			t.Fatalf("import: %v\n%s", err, out)
		}
		queued := outboxIDs(t, env)
		if len(queued) != crashMessages {
			t.Fatalf("%d messages queued by the import, want %d", len(queued), crashMessages)
		}

		smtp := smtptest.Start(t)
		smtp.SetDelay(2 * time.Millisecond) // slow enough for the kills to land mid-send
		env["ROSTER_SMTP_URL"] = smtp.URL()
		env["ROSTER_MAIL_RATE"] = "0" // no limit: as fast as the server takes them
		env["ROSTER_MAIL_FROM"] = "Roster <roster@example.com>"
		const kills = 2
		for k := 1; k <= kills; k++ {
			cmd := child(t, env, "serve", "--addr", "127.0.0.1:0")
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			// Killed once it has sent a share of what is left.
			want := smtp.Count() + (crashMessages-smtp.Count())/3
			deadline := time.Now().Add(3 * time.Minute)
			for smtp.Count() < want && time.Now().Before(deadline) {
				time.Sleep(5 * time.Millisecond)
			}
			cmd.Process.Signal(syscall.SIGKILL)
			cmd.Wait()
			if smtp.Count() >= crashMessages {
				t.Fatalf("kill %d landed after the send ended (%d messages): make the server slower\n%s", k, smtp.Count(), out.String())
			}
			t.Logf("kill %d after %d deliveries (%s)", k, smtp.Count(), time.Now().Format(time.TimeOnly))
		}
		// The last run goes to the end.
		srv := child(t, env, "serve", "--addr", "127.0.0.1:0")
		var out bytes.Buffer
		srv.Stdout, srv.Stderr = &out, &out
		if err := srv.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() {
			srv.Process.Signal(syscall.SIGTERM)
			srv.Wait()
		}()
		deadline := time.Now().Add(5 * time.Minute)
		for outboxLeft(t, env) > 0 {
			if time.Now().After(deadline) {
				t.Fatalf("after 5 minutes, %d messages are not sent (%d deliveries)\n%s", outboxLeft(t, env), smtp.Count(), out.String())
			}
			time.Sleep(200 * time.Millisecond)
		}

		got := map[string]int{}
		for _, m := range smtp.Messages() {
			msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
			if err != nil {
				t.Fatal(err)
			}
			got[msg.Header.Get("Message-Id")]++
		}
		twice := 0
		for id := range queued {
			switch n := got[id]; {
			case n == 0:
				t.Errorf("message %s was never delivered", id)
			case n > 2:
				t.Errorf("message %s was delivered %d times", id, n)
			case n == 2:
				twice++
			}
		}
		if len(got) != len(queued) {
			t.Errorf("%d Message-IDs delivered, %d queued", len(got), len(queued))
		}
		// One message in flight per worker, one worker per process.
		if twice > kills {
			t.Errorf("%d messages delivered twice after %d kills; at most %d may be (the one in flight at each)", twice, kills, kills)
		}
		t.Logf("%s: %d messages, %d deliveries, %d twice after %d kills", d, len(queued), smtp.Count(), twice, kills)
	})
}

// outboxIDs returns the Message-IDs of the outbox.
func outboxIDs(t *testing.T, env map[string]string) map[string]bool {
	t.Helper()
	db := openEnv(t, env)
	defer db.Close()
	out := map[string]bool{}
	before := int64(0)
	for {
		ms, err := sqldb.NewOutboxService(db).FindOutbox(context.Background(), roster.OutboxFilter{Limit: 500, BeforeID: before})
		if err != nil {
			t.Fatal(err)
		}
		if len(ms) == 0 {
			return out
		}
		for _, m := range ms {
			out[m.MessageID] = true
			before = m.ID
		}
	}
}

// outboxLeft counts the messages not sent yet; a failed one fails the test.
func outboxLeft(t *testing.T, env map[string]string) int {
	t.Helper()
	db := openEnv(t, env)
	defer db.Close()
	c, err := sqldb.NewOutboxService(db).CountOutbox(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if c[roster.OutboxFailed] > 0 {
		t.Fatalf("%d messages failed", c[roster.OutboxFailed])
	}
	return c[roster.OutboxQueued] + c[roster.OutboxSending]
}
