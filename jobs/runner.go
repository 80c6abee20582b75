package jobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
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

// Handler runs the jobs of one kind.
type Handler interface {
	// Run works on the claimed job j (j.Owner is the runner) from its
	// stored position to the end, committing its position and counts as it
	// goes (a killed process resumes from the last commit). It returns nil
	// when the work is done; an EINVALID error when the job cannot be done
	// (the job fails with its message); ctx's error when stopped (the job
	// stays running and is resumed); any other error is retried, up to
	// maxAttempts runs in a row.
	Run(ctx context.Context, j *roster.Job) error
}

// HandlerFunc is a Handler that is a function.
type HandlerFunc func(ctx context.Context, j *roster.Job) error

// Run calls f.
func (f HandlerFunc) Run(ctx context.Context, j *roster.Job) error { return f(ctx, j) }

// Runner runs the server's queued jobs one at a time, each with the
// handler of its kind, and takes over those whose process died.
type Runner struct {
	Jobs     roster.JobService
	Log      *slog.Logger
	handlers map[roster.JobKind]Handler
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

// NewRunner returns a runner for im's import jobs; Handle adds other kinds.
func NewRunner(im *Importer) *Runner {
	r := &Runner{Jobs: im.Jobs, Log: im.Log, Owner: Owner("server"), Poll: 2 * time.Second, wake: make(chan struct{}, 1), failures: map[int64]int{},
		handlers: map[roster.JobKind]Handler{}}
	r.Handle(roster.JobImport, importHandler{im})
	return r
}

// Handle makes h run the jobs of kind. Call it before Run.
func (r *Runner) Handle(kind roster.JobKind, h Handler) {
	r.handlers[kind] = h
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

// RunQueued runs the jobs waiting now, one after the other, and returns:
// one look of Run at the queue (tests and one-off commands use it).
func (r *Runner) RunQueued(ctx context.Context) { r.runQueued(ctx) }

func (r *Runner) runQueued(ctx context.Context) {
	log := r.Log
	ids, err := r.Jobs.QueuedJobs(ctx)
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
		ok, err := r.Jobs.ClaimJob(ctx, id, r.Owner, StaleOwner)
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
			if err := r.Jobs.FinishJob(ctx, id, roster.JobFailed, fmt.Sprintf("stopped after %d failed attempts: %s", maxAttempts, roster.ErrorMessageOr(err))); err != nil {
				log.Error("finish", "job", id, "err", err)
			}
		default:
			r.failures[id]++
			log.Error("run", "job", id, "attempt", r.failures[id], "err", err)
		}
	}
	if time.Since(r.swept) > time.Hour {
		r.swept = time.Now()
		if n, err := r.Jobs.DropOldUploads(ctx, time.Now().Add(-keepUploads)); err != nil {
			log.Error("drop old uploads", "err", err)
		} else if n > 0 {
			log.Info("dropped the uploads of old dry runs", "jobs", n)
		}
	}
}

// runOne runs the claimed job id with its kind's handler, with a heartbeat,
// and finishes it as the handler's answer says.
func (r *Runner) runOne(ctx context.Context, id int64) error {
	j, err := r.Jobs.FindJob(ctx, id)
	if err != nil {
		return err
	}
	j.Owner = r.Owner
	h := r.handlers[j.Kind]
	if h == nil {
		return r.Jobs.FinishJob(ctx, id, roster.JobFailed, fmt.Sprintf("this server runs no %q jobs", j.Kind))
	}
	r.Log.Info("job", "job", id, "kind", j.Kind, "file", j.FileName, "note", j.Note, "from", j.Position)
	hctx, stop := context.WithCancel(ctx)
	defer stop()
	go Heartbeat(hctx, r.Jobs, id, r.Owner)
	start := time.Now()
	err = Finish(ctx, r.Jobs, j, h.Run(ctx, j))
	if err != nil && ctx.Err() == nil {
		// Canceled by staff while it ran: its next commit was refused.
		if now, ferr := r.Jobs.FindJob(ctx, id); ferr == nil && now.Status.Finished() {
			err = nil
		}
	}
	r.Log.Info("job ended", "job", id, "kind", j.Kind, "took", time.Since(start).Round(time.Millisecond), "err", err)
	return err
}

// Finish ends the claimed job j after its run ended with err, as Handler
// says: done, failed with an EINVALID error's message, left running when
// ctx was canceled (it is resumed), or err returned to be retried.
func Finish(ctx context.Context, js roster.JobService, j *roster.Job, err error) error {
	var re *roster.Error
	switch {
	case err == nil:
		return js.FinishJob(ctx, j.ID, roster.JobDone, "")
	case errors.As(err, &re) && re.Code == roster.EINVALID:
		j.Error = re.Message
		return js.FinishJob(ctx, j.ID, roster.JobFailed, re.Message)
	case ctx.Err() != nil:
		return ctx.Err() // stopped: the job stays running and resumes
	default:
		return err
	}
}

// importHandler runs import jobs over their uploaded file.
type importHandler struct{ im *Importer }

func (h importHandler) Run(ctx context.Context, j *roster.Job) error {
	f, err := h.im.Jobs.OpenJobFile(ctx, j)
	if err != nil {
		return roster.Errorf(roster.EINVALID, "%s", roster.ErrorMessageOr(err))
	}
	defer f.Close()
	return h.im.run(ctx, j, f)
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
