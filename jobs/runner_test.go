package jobs

import (
	"context"
	"encoding/json"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"roster"
	"roster/sqldb"
	"roster/sqldb/sqldbtest"
)

// TestRunnerKinds: a kind is a handler plus its options; the runner claims
// its jobs, runs them from their stored position, resumes one stopped
// midway without redoing an item, fails one whose options are bad, fails
// one of a kind it has no handler for, and a canceled one is audited.
func TestRunnerKinds(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ctx := roster.NewContextWithActor(context.Background(), roster.Actor{Label: "test"})
		js := sqldb.NewJobService(db)
		newRunner := func(h *counter) *Runner {
			r := NewRunner(&Importer{Jobs: js, Fields: sqldb.NewFieldService(db), Log: slog.New(slog.DiscardHandler)})
			r.Owner = Owner("test")
			r.Handle("count", h)
			return r
		}
		create := func(kind roster.JobKind, params string) *roster.Job {
			t.Helper()
			j := &roster.Job{Kind: kind, Params: json.RawMessage(params), Note: "count to 5", Total: 5}
			if err := js.CreateJob(ctx, j, nil, 0); err != nil {
				t.Fatal(err)
			}
			return j
		}
		find := func(id int64) *roster.Job {
			t.Helper()
			j, err := js.FindJob(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			return j
		}

		j := create("count", `{"to": 5}`)
		if got := find(j.ID); got.Kind != "count" || got.Position != 0 || got.Note != "count to 5" || got.Total != 5 || string(got.Params) != `{"to": 5}` {
			t.Fatalf("stored job: %+v", got)
		}
		// A first process stops after item 2.
		first := &counter{js: js, stopAt: 2}
		rctx, cancel := context.WithCancel(ctx)
		first.stop = cancel
		newRunner(first).runQueued(rctx)
		cancel()
		if got := find(j.ID); got.Status != roster.JobRunning || got.Position != 2 || got.Tally["counted"] != 2 {
			t.Fatalf("after the stop: %s at %d, tally %v; want running at 2, counted 2", got.Status, got.Position, got.Tally)
		}
		// Another process (the first one's owner is stale) takes it over.
		js2 := &staleJobs{js}
		second := &counter{js: js}
		r := newRunner(second)
		r.Jobs = js2
		r.runQueued(ctx)
		got := find(j.ID)
		if got.Status != roster.JobDone || got.Position != 5 || got.Tally["counted"] != 5 || got.Progress() != 1 {
			t.Fatalf("after the resume: %s at %d, tally %v", got.Status, got.Position, got.Tally)
		}
		if want := []int64{1, 2, 3, 4, 5}; !slices.Equal(append(first.done, second.done...), want) {
			t.Fatalf("items done: first %v then %v, want each of %v once", first.done, second.done, want)
		}

		bad := create("count", `{"to": 0}`)
		orphan := create("nobody-runs-this", `{}`)
		newRunner(&counter{js: js}).runQueued(ctx)
		if got := find(bad.ID); got.Status != roster.JobFailed || got.Error != "to: must be a positive number" {
			t.Fatalf("bad options: %s %q", got.Status, got.Error)
		}
		if got := find(orphan.ID); got.Status != roster.JobFailed || !strings.Contains(got.Error, `no "nobody-runs-this" jobs`) {
			t.Fatalf("unknown kind: %s %q", got.Status, got.Error)
		}

		// Canceled while it runs: its next move is refused, and the
		// runner does not count that as a failure to retry.
		c := create("count", `{"to": 5}`)
		canceler := &counter{js: js, cancelAt: 1, cancelJob: func() {
			if err := js.FinishJob(ctx, c.ID, roster.JobCanceled, "canceled by test"); err != nil {
				t.Error(err)
			}
		}}
		r = newRunner(canceler)
		r.runQueued(ctx)
		if got := find(c.ID); got.Status != roster.JobCanceled || got.Position != 1 || len(r.failures) != 0 {
			t.Fatalf("canceled: %s at %d, failures %v", got.Status, got.Position, r.failures)
		}
		entries, err := sqldb.NewAuditService(db).FindAuditEntries(ctx, roster.AuditFilter{TargetType: "job", Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, e := range entries {
			if e.TargetID == "" {
				continue
			}
			actions = append(actions, e.Action+" "+e.Note)
		}
		all := strings.Join(actions, "\n")
		for _, want := range []string{"jobs.count count to 5", "jobs.count_canceled count to 5; counted 1; canceled by test"} {
			if !strings.Contains(all, want) {
				t.Errorf("audit lacks %q:\n%s", want, all)
			}
		}
		if strings.Contains(all, "jobs.count_done") {
			t.Errorf("a job's end is not a staff action, yet audited:\n%s", all)
		}
	})
}

// counter is a job kind for the tests: it counts from its position to
// Params.To, one MoveJob per item, and records each item it did; it can
// stop its process (stopAt) or have the job canceled (cancelAt) midway.
type counter struct {
	js        *sqldb.JobService
	done      []int64
	stopAt    int64
	stop      context.CancelFunc
	cancelAt  int64
	cancelJob func()
}

func (c *counter) Run(ctx context.Context, j *roster.Job) error {
	var p struct {
		To int64 `json:"to"`
	}
	if err := json.Unmarshal(j.Params, &p); err != nil || p.To <= 0 {
		return roster.Errorf(roster.EINVALID, "to: must be a positive number")
	}
	for i := j.Position + 1; i <= p.To; i++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := c.js.MoveJob(ctx, j, i, map[string]int64{"counted": j.Tally["counted"] + 1}); err != nil {
			return err
		}
		c.done = append(c.done, i)
		if i == c.stopAt {
			c.stop()
		}
		if i == c.cancelAt {
			c.cancelJob()
		}
	}
	return nil
}

// staleJobs claims as if every other owner had died.
type staleJobs struct{ *sqldb.JobService }

func (s *staleJobs) ClaimJob(ctx context.Context, id int64, owner string, _ func(string, time.Time) bool) (bool, error) {
	return s.JobService.ClaimJob(ctx, id, owner, func(string, time.Time) bool { return true })
}
