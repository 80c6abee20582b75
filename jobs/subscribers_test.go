package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"roster"
	"roster/sqldb"
	"roster/sqldb/sqldbtest"
)

// TestSubscribersJob applies a paste of 1,203 addresses (three batches) as
// a job: a first process stops after its first batch, another resumes it
// from the stored position, every address is applied once, the progress
// is the job's, and the paste writes one audit entry, its maker's.
func TestSubscribersJob(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		staff := roster.Actor{StaffID: 3, Label: "ann@example.com", Role: roster.RoleAdmin}
		ctx := roster.NewContextWithActor(context.Background(), staff)
		js, subs, users := sqldb.NewJobService(db), sqldb.NewSubscriberService(db, nil), sqldb.NewUserService(db)
		existing := make([]*roster.User, 300)
		for i := range existing {
			existing[i] = &roster.User{Email: fmt.Sprintf("old%d@example.com", i)}
		}
		if err := users.CreateUsers(ctx, existing); err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for i := range 300 {
			fmt.Fprintf(&b, "old%d@example.com\n", i)
		}
		for i := range 900 {
			fmt.Fprintf(&b, "New %d <new%d@example.com>,", i, i)
		}
		b.WriteString("\nbad\nold1@example.com\ninfo@example.org\n")
		entries, err := roster.ParsePaste(b.String(), true)
		if err != nil {
			t.Fatal(err)
		}
		opts := roster.PasteOptions{Mode: roster.PasteSubscribe, Create: true, Consent: "Signed up in store", Validate: true}
		j, err := roster.NewPasteJob(opts, b.String(), len(entries))
		if err != nil {
			t.Fatal(err)
		}
		if err := js.CreateJob(ctx, j, nil, 0); err != nil {
			t.Fatal(err)
		}

		newRunner := func(s roster.SubscriberService) *Runner {
			r := NewRunner(&Importer{Jobs: js, Fields: sqldb.NewFieldService(db), Log: slog.New(slog.DiscardHandler)})
			r.Owner = Owner("test")
			r.Handle(roster.JobSubscribers, Subscribers{Subscribers: s})
			return r
		}
		// The first process is stopped once its first batch committed.
		rctx, stop := context.WithCancel(ctx)
		newRunner(&stopAfter{SubscriberService: subs, stop: stop}).RunQueued(rctx)
		stop()
		got, err := js.FindJob(ctx, j.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != roster.JobRunning || got.Position != roster.PasteBatchSize || got.Progress() <= 0.4 || got.Progress() >= 0.42 {
			t.Fatalf("after the stop: %s at %d (%.2f)", got.Status, got.Position, got.Progress())
		}
		r := newRunner(subs)
		r.Jobs = &staleJobs{js}
		r.RunQueued(ctx)
		got, err = js.FindJob(ctx, j.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]int64{"subscribe": 300, "create": 901, "already": 0, "invalid": 1, "duplicate": 1, "role": 1}
		for k, n := range want {
			if got.Tally[k] != n {
				t.Errorf("tally %s = %d, want %d (%v)", k, got.Tally[k], n, got.Tally)
			}
		}
		if got.Status != roster.JobDone || got.Position != int64(len(entries)) || got.Progress() != 1 {
			t.Fatalf("after the resume: %s at %d of %d", got.Status, got.Position, len(entries))
		}
		found, err := subs.FindSubscribers(ctx, []string{"old0@example.com", "new899@example.com", "info@example.org"})
		if err != nil || len(found) != 3 {
			t.Fatalf("found %v, %v", found, err)
		}
		for email, s := range found {
			if !s.Newsletter {
				t.Errorf("%s is not subscribed", email)
			}
		}
		log, err := sqldb.NewAuditService(db).FindAuditEntries(ctx, roster.AuditFilter{Action: "subscribers.paste"})
		if err != nil || len(log) != 1 {
			t.Fatalf("audit: %v, %v", log, err)
		}
		if e := log[0]; e.Actor != "ann@example.com" || e.ActorID != 3 || e.Changes["consent"].After != "Signed up in store" ||
			!strings.Contains(e.Note, "subscribe 300, create 901") {
			t.Errorf("audit entry: %+v", e)
		}
	})
}

// stopAfter is the real service that stops its process once the first
// batch committed, as a kill would between two batches.
type stopAfter struct {
	roster.SubscriberService
	stop context.CancelFunc
}

func (s *stopAfter) ApplyPaste(ctx context.Context, opts roster.PasteOptions, b roster.PasteBatch) (roster.PasteCounts, error) {
	c, err := s.SubscriberService.ApplyPaste(ctx, opts, b)
	s.stop()
	return c, err
}
