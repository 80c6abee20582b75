package jobs

import (
	"context"
	"log/slog"
	"time"

	"roster"
)

// EventPruner runs the events' retention (roster.JobPruneEvents): it
// deletes the events older than the retention period in force. Run again
// after a crash, it deletes what is left: the job is idempotent.
type EventPruner struct {
	Events roster.EventService
	Log    *slog.Logger
}

// Run deletes the events past retention.
func (h *EventPruner) Run(ctx context.Context, j *roster.Job) error {
	n, err := h.Events.PruneEvents(ctx)
	if err != nil {
		return err
	}
	if h.Log != nil {
		h.Log.Info("events pruned", "job", j.ID, "deleted", n)
	}
	return nil
}

// PruneEvery is how often SchedulePruning queues a retention job.
const PruneEvery = 24 * time.Hour

// SchedulePruning queues a retention job at start and then every
// PruneEvery, unless one was created less than PruneEvery ago (by this
// node or another), and wakes the runner. It returns when ctx ends.
func SchedulePruning(ctx context.Context, js roster.JobService, wake func(), log *slog.Logger) {
	ctx = roster.NewContextWithActor(ctx, roster.Actor{Label: "system"})
	for {
		if err := queuePrune(ctx, js, time.Now()); err != nil && ctx.Err() == nil && log != nil {
			log.Error("queue the events' retention job", "err", err)
		} else if wake != nil {
			wake()
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Hour):
		}
	}
}

// queuePrune creates a retention job unless the last one is younger than
// PruneEvery at now.
func queuePrune(ctx context.Context, js roster.JobService, now time.Time) error {
	last, err := js.FindJobs(ctx, roster.JobPruneEvents, 1)
	if err != nil {
		return err
	}
	if len(last) > 0 && now.Sub(last[0].CreatedAt) < PruneEvery {
		return nil
	}
	return js.CreateJob(ctx, &roster.Job{Kind: roster.JobPruneEvents, Note: "delete the events older than the retention period"}, nil, 0)
}
