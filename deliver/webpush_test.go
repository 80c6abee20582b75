package deliver_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"roster"
	"roster/deliver"
	"roster/deliver/pushtest"
	"roster/sqldb"
	"roster/sqldb/sqldbtest"
)

// runPush runs a push worker over db, trusting srv's certificate, until
// the test ends.
func runPush(t *testing.T, db *sqldb.DB, srv *pushtest.Server) *deliver.PushWorker {
	t.Helper()
	w, err := deliver.NewPushWorker(context.Background(), sqldb.NewPushService(db),
		deliver.PushConfig{Config: deliver.Config{Poll: 20 * time.Millisecond, Backoff: 10 * time.Millisecond}, Subject: "mailto:ops@example.com", Client: srv.Client()},
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); w.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return w
}

// TestPush_ImportFinishedReachesThePushService: an import finishes; the
// staff member who started it is notified on the browser that chose that
// alert, through a push service that checks the VAPID signature against
// the server's key and decrypts the payload with the browser's key.
func TestPush_ImportFinishedReachesThePushService(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		srv := pushtest.Start(t)
		staff := &roster.Staff{Email: "ada@staff.example.com", Role: roster.RoleAdmin}
		if err := sqldb.NewStaffService(db).CreateStaff(roster.NewContextWithActor(context.Background(), roster.Actor{Label: "test"}), staff, "staff-password-1"); err != nil {
			t.Fatal(err)
		}
		ctx := roster.NewContextWithActor(context.Background(), roster.StaffActor(staff))
		push := sqldb.NewPushService(db)
		var endpoints []string
		for _, alerts := range [][]roster.PushAlert{{roster.AlertImportDone}, {roster.AlertBulkDone}} {
			endpoint, p256dh, auth := srv.Subscribe(t)
			endpoints = append(endpoints, endpoint)
			if err := push.SavePushSubscription(ctx, &roster.PushSubscription{StaffID: staff.ID, Endpoint: endpoint, P256DH: p256dh, Auth: auth, Alerts: alerts}); err != nil {
				t.Fatal(err)
			}
		}
		runPush(t, db, srv)

		jobs := sqldb.NewJobService(db)
		j := &roster.Job{Kind: "import", Status: roster.JobQueued, FileName: "people.csv", Options: roster.ImportOptions{Mode: roster.ImportUpsert, Key: "email"}}
		if err := jobs.CreateJob(ctx, j, strings.NewReader("email\na@example.com\n"), 0); err != nil {
			t.Fatal(err)
		}
		if err := jobs.FinishJob(ctx, j.ID, roster.JobDone, ""); err != nil {
			t.Fatal(err)
		}
		got := srv.Wait(t, 1, 10*time.Second)
		der, _ := push.VAPIDKey(ctx)
		pub, err := deliver.VAPIDPublicKey(der)
		if err != nil {
			t.Fatal(err)
		}
		if got[0].VAPIDKey != pub {
			t.Errorf("signed with key %s, want the server's %s", got[0].VAPIDKey, pub)
		}
		if !strings.HasSuffix(endpoints[0], "/"+got[0].Subscription) {
			t.Errorf("delivered to %s, want the import subscription %s", got[0].Subscription, endpoints[0])
		}
		var p struct{ Title, Body, Alert string }
		if err := json.Unmarshal(got[0].Text, &p); err != nil {
			t.Fatalf("payload %q: %v", got[0].Text, err)
		}
		if p.Title != "Import done" || !strings.Contains(p.Body, "people.csv") || p.Alert != "import.done" {
			t.Errorf("payload %+v", p)
		}
		time.Sleep(100 * time.Millisecond)
		if n := len(srv.Wait(t, 1, time.Second)); n != 1 {
			t.Errorf("%d messages, want only the import's", n)
		}
		subs, _ := push.FindPushSubscriptions(ctx, staff.ID)
		for _, s := range subs {
			if s.Endpoint == endpoints[0] && s.LastSentAt.IsZero() {
				t.Error("the subscription's last send is not recorded")
			}
		}

		// The browser unsubscribed: the push service says gone, and the
		// subscription is removed.
		srv.Gone.Store(true)
		tags := sqldb.NewTagService(db)
		tag := &roster.Tag{Name: "vip", Color: "#3366ff"}
		if err := tags.CreateTag(ctx, tag); err != nil {
			t.Fatal(err)
		}
		if _, err := tags.TagUsers(ctx, tag.ID, nil, ""); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			subs, _ := push.FindPushSubscriptions(ctx, staff.ID)
			if len(subs) == 1 && subs[0].Endpoint == endpoints[0] {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the gone subscription is still stored: %d subscriptions", len(subs))
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}
