package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"roster"
	"roster/sqldb"
	"roster/sqldb/sqldbtest"
)

// TestEventsKillResume: a client sends batches of events to the real
// binary, which is killed (SIGKILL) twice mid-load; the client resends
// every batch it did not see acknowledged, and some it did, to the next
// process. In the end every acknowledged event is stored, and no event
// is stored twice.
func TestEventsKillResume(t *testing.T) {
	if testing.Short() {
		t.Skip("sends 60,000 events to a server killed twice")
	}
	const (
		users   = 200
		batches = 120
		perReq  = 500
	)
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		db.Close() // the children open their own
		env := importEnv(t, db.Dialect)
		env["ROSTER_LOG_LEVEL"] = "error"
		token, ids := eventsSetup(t, env, users)
		base := time.Now().UTC().Add(-time.Hour).Truncate(time.Millisecond)
		batch := func(b int) string {
			var evs []string
			for i := range perReq {
				n := b*perReq + i
				evs = append(evs, fmt.Sprintf(`{"user":{"id":%q},"type":"page_view","time":%q,"id":"k%d","properties":{"path":"/p%d"}}`,
					ids[n%users], base.Add(time.Duration(n)*time.Millisecond).Format(time.RFC3339Nano), n, n%7))
			}
			return `{"events":[` + strings.Join(evs, ",") + `]}`
		}
		next := 0 // the batches before next are acknowledged
		const kills = 2
		for run := 0; run <= kills; run++ {
			cmd := child(t, env, "serve", "--addr", "127.0.0.1:0")
			var out syncBuffer
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			addr := waitRunning(t, &out)
			// A retry of the last two acknowledged batches counts nothing.
			from := max(0, next-2)
			stopAt := batches
			if run < kills {
				stopAt = next + (batches-next)/3
			}
			killed := make(chan struct{})
			for b := from; b < batches; b++ {
				if run < kills && b == stopAt {
					// Killed while this batch is in flight, at a moment the
					// client does not choose.
					go func() {
						time.Sleep(3 * time.Millisecond)
						cmd.Process.Signal(syscall.SIGKILL)
						close(killed)
					}()
				}
				st, body, err := postEvents(addr, token, batch(b))
				if err != nil {
					break // the server is gone
				}
				if st != http.StatusOK || !strings.Contains(body, fmt.Sprintf(`"accepted":%d`, perReq)) {
					t.Fatalf("batch %d: %d %s", b, st, body)
				}
				next = b + 1
			}
			if run < kills {
				<-killed
				cmd.Wait()
				t.Logf("%s: kill %d after %d acknowledged batches", db.Dialect, run+1, next)
			} else {
				cmd.Process.Signal(syscall.SIGTERM)
				cmd.Wait()
			}
		}
		if next != batches {
			t.Fatalf("the last run acknowledged up to batch %d of %d", next, batches)
		}
		check := openEnv(t, env)
		defer check.Close()
		es := sqldb.NewUserService(check)
		var n int64
		for _, id := range ids {
			u, err := es.FindUserByID(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			k, err := sqldb.NewEventService(check).CountUserEvents(context.Background(), u.ID)
			if err != nil {
				t.Fatal(err)
			}
			n += k
		}
		// The keys are unique per user, so a count is a check of both.
		if n != batches*perReq {
			t.Errorf("%d events stored, want %d: each once", n, batches*perReq)
		}
		// And the users' last visits are the newest events' times.
		u, err := sqldb.NewUserService(check).FindUserByID(context.Background(), ids[(batches*perReq-1)%users])
		if err != nil {
			t.Fatal(err)
		}
		if want := base.Add(time.Duration(batches*perReq-1) * time.Millisecond); !u.LastVisit.Equal(want) {
			t.Errorf("last visit %v, want %v", u.LastVisit, want)
		}
	})
}

// eventsSetup creates users and a support token in the database of env.
func eventsSetup(t *testing.T, env map[string]string, n int) (string, []string) {
	t.Helper()
	db := openEnv(t, env)
	defer db.Close()
	ctx := roster.NewContextWithActor(context.Background(), roster.Actor{Label: "test"})
	us := sqldb.NewUserService(db)
	batch := make([]*roster.User, n)
	for i := range batch {
		batch[i] = &roster.User{Email: fmt.Sprintf("u%04d@example.com", i)}
	}
	if err := us.CreateUsers(ctx, batch); err != nil {
		t.Fatal(err)
	}
	ids := make([]string, n)
	for i, u := range batch {
		ids[i] = u.PublicID
	}
	staff := sqldb.NewStaffService(db)
	st := &roster.Staff{Email: "app@staff.example.com", Role: roster.RoleSupport}
	if err := staff.CreateStaff(ctx, st, "staff-password-1"); err != nil {
		t.Fatal(err)
	}
	_, secret, err := staff.CreateToken(ctx, st.ID, "events")
	if err != nil {
		t.Fatal(err)
	}
	return secret, ids
}

// waitRunning waits for a child serve's "running at" line and its
// readiness, and returns its address.
func waitRunning(t *testing.T, out *syncBuffer) string {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		if m := runningRE.FindStringSubmatch(out.String()); m != nil {
			waitReady(t, "http://"+m[1])
			return "http://" + m[1]
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no running line after 90s:\n%s", out.String())
	return ""
}

// postEvents sends one batch; err is a transport error (the server gone).
func postEvents(base, token, body string) (int, string, error) {
	req, _ := http.NewRequest("POST", base+"/api/v1/events", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	if _, err := b.ReadFrom(resp.Body); err != nil {
		return 0, "", err
	}
	var probe map[string]any
	if json.Unmarshal(b.Bytes(), &probe) != nil {
		return resp.StatusCode, b.String(), fmt.Errorf("not JSON")
	}
	return resp.StatusCode, b.String(), nil
}
