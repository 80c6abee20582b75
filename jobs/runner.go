package jobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"roster"
)

// Owner names this process as a job's runner: host, pid and a random part,
// so that a restarted process with a recycled pid is still someone else.
func Owner(kind string) string {
	host, _ := os.Hostname()
	var b [4]byte
	rand.Read(b[:])
	return fmt.Sprintf("%s:%s:%d:%s", kind, host, os.Getpid(), hex.EncodeToString(b[:]))
}

// StaleAfter is how long a running job's heartbeat may be silent before
// another process takes the job over.
const StaleAfter = time.Minute

// heartbeatEvery keeps heartbeats well inside StaleAfter even when a chunk
// is slow.
const heartbeatEvery = 10 * time.Second

// StaleOwner reports whether owner can no longer be running a job: its
// heartbeat is old, or it is a process of this host that has exited (so a
// CLI killed a moment ago is resumed at once, not a minute later).
func StaleOwner(owner string, heartbeat time.Time) bool {
	if owner == "" || time.Since(heartbeat) > StaleAfter {
		return true
	}
	parts := strings.Split(owner, ":")
	if len(parts) != 4 {
		return false
	}
	host, _ := os.Hostname()
	pid, err := strconv.Atoi(parts[2])
	if parts[1] != host || err != nil || pid <= 0 {
		return false
	}
	if pid == os.Getpid() {
		// This very process: only if the owner is another incarnation.
		return false
	}
	return syscall.Kill(pid, 0) == syscall.ESRCH
}

// Runner runs the server's queued import jobs one at a time, and takes
// over those whose process died.
type Runner struct {
	Importer *Importer
	Owner    string
	// Poll is how often the queue is looked at without a Wake.
	Poll time.Duration
	wake chan struct{}
	// failures counts the runs of each job that ended in an error other
	// than a bad file (the database away, a conflict): a job is retried,
	// but not for ever.
	failures map[int64]int
	swept    time.Time
}

// maxAttempts is how many runs in a row may fail before a job is failed.
const maxAttempts = 5

// keepUploads is how long the upload of a finished dry run is kept for the
// import that may follow it.
const keepUploads = 24 * time.Hour

// NewRunner returns a runner for im's jobs.
func NewRunner(im *Importer) *Runner {
	return &Runner{Importer: im, Owner: Owner("server"), Poll: 2 * time.Second, wake: make(chan struct{}, 1), failures: map[int64]int{}}
}

// Wake makes the runner look at the queue now.
func (r *Runner) Wake() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Run works until ctx ends.
func (r *Runner) Run(ctx context.Context) {
	for {
		r.runQueued(ctx)
		select {
		case <-ctx.Done():
			return
		case <-r.wake:
		case <-time.After(r.Poll):
		}
	}
}

func (r *Runner) runQueued(ctx context.Context) {
	log := r.Importer.Log
	ids, err := r.Importer.Jobs.QueuedJobs(ctx)
	if err != nil {
		if ctx.Err() == nil {
			log.Error("queue", "err", err)
		}
		return
	}
	for _, id := range ids {
		if ctx.Err() != nil {
			return
		}
		ok, err := r.Importer.Jobs.ClaimJob(ctx, id, r.Owner, StaleOwner)
		if err != nil {
			log.Error("claim", "job", id, "err", err)
			continue
		}
		if !ok {
			continue
		}
		err = r.runOne(ctx, id)
		switch {
		case err == nil || ctx.Err() != nil:
			delete(r.failures, id)
		case r.failures[id]+1 >= maxAttempts:
			delete(r.failures, id)
			log.Error("giving up", "job", id, "err", err)
			if err := r.Importer.Jobs.FinishJob(ctx, id, roster.JobFailed, fmt.Sprintf("stopped after %d failed attempts: %s", maxAttempts, roster.ErrorMessageOr(err))); err != nil {
				log.Error("finish", "job", id, "err", err)
			}
		default:
			r.failures[id]++
			log.Error("run", "job", id, "attempt", r.failures[id], "err", err)
		}
	}
	if time.Since(r.swept) > time.Hour {
		r.swept = time.Now()
		if n, err := r.Importer.Jobs.DropOldUploads(ctx, time.Now().Add(-keepUploads)); err != nil {
			log.Error("drop old uploads", "err", err)
		} else if n > 0 {
			log.Info("dropped the uploads of old dry runs", "jobs", n)
		}
	}
}

func (r *Runner) runOne(ctx context.Context, id int64) error {
	jobsvc := r.Importer.Jobs
	j, err := jobsvc.FindJob(ctx, id)
	if err != nil {
		return err
	}
	j.Owner = r.Owner
	r.Importer.Log.Info("import", "job", id, "file", j.FileName, "from_row", j.Position)
	f, err := jobsvc.OpenJobFile(ctx, j)
	if err != nil {
		return jobsvc.FinishJob(ctx, id, roster.JobFailed, roster.ErrorMessageOr(err))
	}
	defer f.Close()
	hctx, stop := context.WithCancel(ctx)
	defer stop()
	go Heartbeat(hctx, jobsvc, id, r.Owner)
	start := time.Now()
	err = r.Importer.Run(ctx, j, f)
	r.Importer.Log.Info("import ended", "job", id, "took", time.Since(start).Round(time.Millisecond), "err", err)
	return err
}

// Heartbeat tells other processes that owner still runs job id, until ctx
// ends.
func Heartbeat(ctx context.Context, js roster.JobService, id int64, owner string) {
	t := time.NewTicker(heartbeatEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			// A heartbeat lost to a passing database error is sent
			// again at the next tick; only a silent minute hands the job
			// over.
			_ = js.Heartbeat(ctx, id, owner)
		}
	}
}
