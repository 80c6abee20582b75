package jobs

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"roster"
	"roster/sqldb"
	"roster/sqldb/sqldbtest"
)

// TestEventRetentionJob: the retention job is queued at most once a day
// and, run by the runner, deletes the events past the retention period.
func TestEventRetentionJob(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ctx := roster.NewContextWithActor(context.Background(), roster.Actor{Label: "test"})
		js, es := sqldb.NewJobService(db), sqldb.NewEventService(db)
		u := &roster.User{Email: "ada@example.com"}
		if err := sqldb.NewUserService(db).CreateUser(ctx, u, ""); err != nil {
			t.Fatal(err)
		}
		now := time.Now().UTC()
		for _, e := range []roster.Event{
			{User: roster.EventUser{ID: u.PublicID}, Type: "visit", At: now.AddDate(0, -14, 0), Key: "old"},
			{User: roster.EventUser{ID: u.PublicID}, Type: "visit", At: now.AddDate(0, -1, 0), Key: "new"},
		} {
			// Each arrives as it happens.
			db.Now = func() time.Time { return e.At }
			if res, err := es.RecordEvents(ctx, []roster.Event{e}); err != nil || res.Stored != 1 {
				t.Fatalf("%+v %v", res, err)
			}
		}
		db.Now = time.Now
		for range 2 {
			if err := queuePrune(ctx, js, now); err != nil {
				t.Fatal(err)
			}
		}
		if err := queuePrune(ctx, js, now.Add(PruneEvery+time.Minute)); err != nil {
			t.Fatal(err)
		}
		jobs, err := js.FindJobs(ctx, roster.JobPruneEvents, 10)
		if err != nil || len(jobs) != 2 {
			t.Fatalf("%d jobs queued over a day and a minute, want 2: %v", len(jobs), err)
		}
		r := NewRunner(&Importer{Jobs: js, Fields: sqldb.NewFieldService(db), Log: slog.New(slog.DiscardHandler)})
		r.Owner = Owner("test")
		r.Handle(roster.JobPruneEvents, &EventPruner{Events: es})
		r.runQueued(ctx)
		for _, j := range jobs {
			if got, _ := js.FindJob(ctx, j.ID); got.Status != roster.JobDone {
				t.Errorf("job %d: %s %s", j.ID, got.Status, got.Error)
			}
		}
		if n, _ := es.CountUserEvents(ctx, u.ID); n != 1 {
			t.Errorf("%d events left, want the recent one", n)
		}
	})
}
