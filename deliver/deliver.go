// Package deliver is the outbox worker and its channels: it claims due
// messages of the outbox with a lease, sends them over SMTP (one connection
// reused across messages, at a configured rate), records each attempt,
// retries temporary failures with exponential backoff and fails permanent
// ones with the server's reason. Messages whose worker died are taken over
// when their lease ends. It also renders the messages (render.go) from the
// templates embedded in the binary.
package deliver

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/mail"
	"os"
	"time"

	"roster"
)

// Config is how the worker sends. Zero fields take the defaults.
type Config struct {
	// SMTPURL is the mail server (see SMTP); empty: nothing is sent and
	// messages stay queued.
	SMTPURL string
	// From is the sender, "Name <address>" or an address: the
	// configuration's, used when Sender gives none. With an SMTPURL, one
	// of them is required.
	From string
	// Sender, when set, returns the sender in force (the mail settings),
	// read before each batch; "" falls back to From.
	Sender func(ctx context.Context) (string, error)
	// Rate is the most messages sent per second; 0: no limit.
	Rate float64
	// Batch is how many messages one claim leases (default 20); Lease how
	// long (default 5 minutes). A batch that takes half its lease stops
	// and gives the rest back, so a lease never runs out under a live
	// worker.
	Batch int
	Lease time.Duration
	// Poll is how often the outbox is looked at without a Wake (default 2
	// seconds): how soon messages queued by other nodes go out.
	Poll time.Duration
	// Backoff is the wait after a first temporary failure (default 30
	// seconds); it doubles after each, up to MaxBackoff (default 1 hour).
	// After MaxAttempts attempts (default 10) a message fails.
	Backoff     time.Duration
	MaxBackoff  time.Duration
	MaxAttempts int
	// Owner names this worker in leases; default a random name with the
	// host and pid.
	Owner string
	// Dead, when set, reports whether the worker named owner is gone (a
	// process of this host that was killed): its leased messages are
	// queued again at start and whenever the outbox is idle, rather than
	// when their leases end.
	Dead func(owner string) bool
	// TLSConfig, when set, replaces the default TLS settings (the
	// server's name checked against the system roots): tests trust their
	// own certificate with it.
	TLSConfig *tls.Config
	// OnResult, when set, is told each attempt's result: "sent", "retry"
	// (a temporary failure), "refused" (a permanent answer) or "failed"
	// (gave up after MaxAttempts). The metrics count them.
	OnResult func(result string)
}

// Worker delivers the outbox. It sends one message at a time, so that at
// most one message is in flight per worker: what a kill may send twice.
type Worker struct {
	store roster.OutboxService
	cfg   Config
	smtp  *SMTP
	from  string
	log   *slog.Logger
	wake  chan struct{}
	conn  *conn
	next  time.Time // when the rate allows the next message
}

// New returns a worker over store. It checks the configuration: a bad
// SMTP URL or sender is an error naming the problem, at start rather than
// at the first message.
func New(store roster.OutboxService, cfg Config, log *slog.Logger) (*Worker, error) {
	if log == nil {
		log = slog.Default()
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 20
	}
	if cfg.Lease <= 0 {
		cfg.Lease = 5 * time.Minute
	}
	if cfg.Poll <= 0 {
		cfg.Poll = 2 * time.Second
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = 30 * time.Second
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = time.Hour
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 10
	}
	if cfg.Rate < 0 {
		return nil, fmt.Errorf("mail rate %v: want 0 (no limit) or more messages per second", cfg.Rate)
	}
	if cfg.Owner == "" {
		host, _ := os.Hostname()
		b := make([]byte, 4)
		_, _ = rand.Read(b)
		cfg.Owner = fmt.Sprintf("mail:%s:%d:%s", host, os.Getpid(), hex.EncodeToString(b))
	}
	w := &Worker{store: store, cfg: cfg, log: log, wake: make(chan struct{}, 1)}
	if cfg.SMTPURL == "" {
		return w, nil
	}
	s, err := ParseSMTPURL(cfg.SMTPURL)
	if err != nil {
		return nil, err
	}
	if cfg.From != "" || cfg.Sender == nil {
		from, err := mail.ParseAddress(cfg.From)
		if err != nil {
			return nil, fmt.Errorf("mail sender %q: want an address such as \"Roster <roster@example.com>\"", cfg.From)
		}
		w.from = from.String()
	}
	mc, err := s.client(cfg.TLSConfig)
	if err != nil {
		return nil, fmt.Errorf("SMTP: %w", err)
	}
	w.smtp, w.conn = s, &conn{mc: mc}
	return w, nil
}

// Enabled reports whether the worker has a mail server to send to.
func (w *Worker) Enabled() bool { return w.smtp != nil }

// Wake makes the worker look at the outbox now: a message was queued.
func (w *Worker) Wake() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Run delivers until ctx ends. It returns once the message in flight, if
// any, is sent and recorded; the rest of its batch goes back to the queue.
// Without a mail server it only waits: messages stay queued.
func (w *Worker) Run(ctx context.Context) {
	if !w.Enabled() {
		w.log.Info("no SMTP server configured; messages stay queued in the outbox")
		<-ctx.Done()
		return
	}
	w.log.Info("delivering", "smtp", w.smtp.String(), "from", w.from)
	defer w.conn.close()
	w.reclaim(ctx)
	for {
		n := w.runBatch(ctx)
		if ctx.Err() != nil {
			return
		}
		if n > 0 {
			continue
		}
		// Nothing due: do not hold a connection the server would time out.
		w.conn.close()
		select {
		case <-ctx.Done():
			return
		case <-w.wake:
		case <-time.After(w.cfg.Poll):
			w.reclaim(ctx)
		}
	}
}

// reclaim queues again the messages of dead workers, when Dead is set.
func (w *Worker) reclaim(ctx context.Context) {
	if w.cfg.Dead == nil {
		return
	}
	n, err := w.store.ReclaimOutbox(ctx, w.cfg.Dead)
	if err != nil {
		if ctx.Err() == nil {
			w.log.Error("reclaim", "err", err)
		}
		return
	}
	if n > 0 {
		w.log.Info("queued again the messages of a worker that died", "messages", n)
	}
}

// runBatch claims one batch and sends it; it returns how many messages it
// claimed.
func (w *Worker) runBatch(ctx context.Context) int {
	batch, err := w.store.ClaimOutbox(ctx, w.cfg.Owner, w.cfg.Batch, w.cfg.Lease)
	if err != nil {
		if ctx.Err() == nil {
			w.log.Error("claim", "err", err)
		}
		return 0
	}
	claimed := time.Now()
	// Results are recorded even when ctx ends meanwhile: a message sent
	// must be marked sent.
	rctx := context.WithoutCancel(ctx)
	from := w.sender(ctx)
	for i, m := range batch {
		if ctx.Err() != nil || time.Since(claimed) > w.cfg.Lease/2 || !w.pace(ctx) {
			w.release(rctx, batch[i:])
			return len(batch)
		}
		w.deliver(rctx, from, m)
	}
	return len(batch)
}

// sender returns the sender in force: the mail settings', else the
// configuration's. An unusable stored sender is logged and skipped.
func (w *Worker) sender(ctx context.Context) string {
	if w.cfg.Sender == nil {
		return w.from
	}
	s, err := w.cfg.Sender(ctx)
	if err != nil {
		w.log.Error("mail settings", "err", err)
		return w.from
	}
	if s == "" {
		return w.from
	}
	a, err := mail.ParseAddress(s)
	if err != nil {
		w.log.Error("mail settings: unusable sender", "from", s, "err", err)
		return w.from
	}
	return a.String()
}

// pace waits until the rate allows the next message; false when ctx ended
// first.
func (w *Worker) pace(ctx context.Context) bool {
	if w.cfg.Rate <= 0 {
		return true
	}
	now := time.Now()
	if wait := w.next.Sub(now); wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return false
		case <-t.C:
		}
		now = w.next
	}
	w.next = now.Add(time.Duration(float64(time.Second) / w.cfg.Rate))
	return true
}

// deliver makes one attempt at m and records how it went.
func (w *Worker) deliver(ctx context.Context, from string, m *roster.OutboxMessage) {
	// Without a sender the message waits for one, like a server that
	// answers "try later".
	out, why := temporary, "no sender: set one in Settings → Email or with ROSTER_MAIL_FROM"
	if from != "" {
		out, why = w.conn.send(ctx, from, m)
	}
	attempt := m.Attempts + 1
	var err error
	var result string
	switch {
	case out == sent:
		result, err = "sent", w.store.RecordSent(ctx, m.ID, w.cfg.Owner)
		w.log.Debug("sent", "message", m.ID, "template", m.Template)
	case out == permanent:
		result, err = "refused", w.store.RecordFailed(ctx, m.ID, w.cfg.Owner, why)
		w.log.Warn("refused", "message", m.ID, "reason", why)
	case attempt >= w.cfg.MaxAttempts:
		why = fmt.Sprintf("gave up after %d attempts: %s", attempt, why)
		result, err = "failed", w.store.RecordFailed(ctx, m.ID, w.cfg.Owner, why)
		w.log.Warn("failed", "message", m.ID, "reason", why)
	default:
		next := time.Now().Add(w.backoff(attempt))
		result, err = "retry", w.store.RecordRetry(ctx, m.ID, w.cfg.Owner, why, next)
		w.log.Warn("will retry", "message", m.ID, "attempt", attempt, "at", next.UTC().Format(time.RFC3339), "reason", why)
	}
	if w.cfg.OnResult != nil {
		w.cfg.OnResult(result)
	}
	if err != nil {
		w.log.Error("record attempt", "message", m.ID, "err", err)
	}
}

// backoff is the wait after the attempt-th failed attempt.
func (w *Worker) backoff(attempt int) time.Duration {
	d := w.cfg.Backoff
	for i := 1; i < attempt && d < w.cfg.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, w.cfg.MaxBackoff)
}

// release gives untried messages back to the queue.
func (w *Worker) release(ctx context.Context, ms []*roster.OutboxMessage) {
	ids := make([]int64, len(ms))
	for i, m := range ms {
		ids[i] = m.ID
	}
	if err := w.store.ReleaseOutbox(ctx, ids, w.cfg.Owner); err != nil {
		w.log.Error("release", "err", err)
	}
}
