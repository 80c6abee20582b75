package deliver

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strconv"
	"syscall"
	"time"

	"roster"
)

// WebhookConfig is how the webhook worker delivers. Zero fields take the
// defaults.
type WebhookConfig struct {
	// Batch is how many deliveries one claim leases (default 20); Lease
	// how long (default 2 minutes): a delivery whose worker died is
	// tried again when its lease ends.
	Batch int
	Lease time.Duration
	// Poll is how often the outbox is looked at without a Wake (default 2
	// seconds).
	Poll time.Duration
	// Backoff is the wait after a first failure (default 30 seconds); it
	// doubles after each, up to MaxBackoff (default 6 hours). A delivery
	// is given up when its next attempt would come later than GiveUpAfter
	// (default 3 days) after the event.
	Backoff     time.Duration
	MaxBackoff  time.Duration
	GiveUpAfter time.Duration
	// Timeout bounds one request, connection included (default 10 s).
	Timeout time.Duration
	// AllowPrivate lets requests reach loopback, private and link-local
	// addresses (a test's server, an internal service). Off: refused.
	AllowPrivate bool
	// Disable is when a failing endpoint is disabled (default
	// roster.DefaultWebhookDisablePolicy).
	Disable roster.WebhookDisablePolicy
	// Owner names this worker in leases; default a random name.
	Owner string
}

// WebhookWorker delivers the webhook outbox: signed POSTs, one at a time.
type WebhookWorker struct {
	store  roster.WebhookService
	cfg    WebhookConfig
	client *http.Client
	log    *slog.Logger
	wake   chan struct{}
}

// NewWebhookWorker returns a worker over store.
func NewWebhookWorker(store roster.WebhookService, cfg WebhookConfig, log *slog.Logger) *WebhookWorker {
	if log == nil {
		log = slog.Default()
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 20
	}
	if cfg.Lease <= 0 {
		cfg.Lease = 2 * time.Minute
	}
	if cfg.Poll <= 0 {
		cfg.Poll = 2 * time.Second
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = 30 * time.Second
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 6 * time.Hour
	}
	if cfg.GiveUpAfter <= 0 {
		cfg.GiveUpAfter = 72 * time.Hour
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.Disable == (roster.WebhookDisablePolicy{}) {
		cfg.Disable = roster.DefaultWebhookDisablePolicy
	}
	if cfg.Owner == "" {
		host, _ := os.Hostname()
		b := make([]byte, 4)
		_, _ = rand.Read(b)
		cfg.Owner = fmt.Sprintf("webhook:%s:%d:%s", host, os.Getpid(), hex.EncodeToString(b))
	}
	return &WebhookWorker{store: store, cfg: cfg, client: NewWebhookClient(cfg.Timeout, cfg.AllowPrivate), log: log, wake: make(chan struct{}, 1)}
}

// ErrForbiddenTarget is the error of a request to an address that is not
// allowed (loopback, private, link-local, unspecified, multicast).
var ErrForbiddenTarget = errors.New("forbidden target address")

// NewWebhookClient returns the HTTP client of webhooks: it follows no
// redirect, gives up after timeout and, unless allowPrivate, refuses to
// connect to an address that is not public. The address is checked when
// the connection is made, after name resolution, so a public name that
// resolves to a private address is refused too.
func NewWebhookClient(timeout time.Duration, allowPrivate bool) *http.Client {
	d := &net.Dialer{Timeout: timeout, Control: func(network, address string, _ syscall.RawConn) error {
		if allowPrivate {
			return nil
		}
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return fmt.Errorf("%w: %s", ErrForbiddenTarget, address)
		}
		if !PublicAddr(ap.Addr()) {
			return fmt.Errorf("%w: %s is not a public address", ErrForbiddenTarget, ap.Addr())
		}
		return nil
	}}
	tr := &http.Transport{DialContext: d.DialContext, Proxy: nil, TLSHandshakeTimeout: timeout, ResponseHeaderTimeout: timeout, MaxIdleConnsPerHost: 2}
	return &http.Client{Transport: tr, Timeout: timeout, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// PublicAddr reports whether a is a public unicast address: not loopback,
// private (RFC 1918, RFC 4193), link-local, unspecified, multicast, CGNAT
// (100.64.0.0/10) or an IPv4-mapped form of one of them.
func PublicAddr(a netip.Addr) bool {
	a = a.Unmap()
	if !a.IsValid() || a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsInterfaceLocalMulticast() || a.IsMulticast() || a.IsUnspecified() {
		return false
	}
	return !netip.MustParsePrefix("100.64.0.0/10").Contains(a) && !netip.MustParsePrefix("0.0.0.0/8").Contains(a)
}

// Wake makes the worker look at the outbox now.
func (w *WebhookWorker) Wake() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Run delivers until ctx ends; the delivery in flight is finished and
// recorded, the rest of its batch goes back to the queue.
func (w *WebhookWorker) Run(ctx context.Context) {
	for {
		n := w.RunBatch(ctx)
		if ctx.Err() != nil {
			return
		}
		if n > 0 {
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-w.wake:
		case <-time.After(w.cfg.Poll):
		}
	}
}

// RunBatch claims one batch and delivers it; it returns how many
// deliveries it claimed.
func (w *WebhookWorker) RunBatch(ctx context.Context) int {
	if ctx.Err() != nil {
		return 0
	}
	// The claim is not cut short by ctx: a claim committed but reported
	// as canceled would leave its deliveries leased to no one until the
	// lease ends. What a stopping worker claimed it gives back below.
	rctx := context.WithoutCancel(ctx)
	batch, err := w.store.ClaimWebhooks(rctx, w.cfg.Owner, w.cfg.Batch, w.cfg.Lease)
	if err != nil {
		w.log.Error("claim webhooks", "err", err)
		return 0
	}
	claimed := time.Now()
	for i, d := range batch {
		if ctx.Err() != nil || time.Since(claimed) > w.cfg.Lease/2 {
			ids := make([]int64, 0, len(batch)-i)
			for _, r := range batch[i:] {
				ids = append(ids, r.ID)
			}
			if err := w.store.ReleaseWebhooks(rctx, ids, w.cfg.Owner); err != nil {
				w.log.Error("release webhooks", "err", err)
			}
			return len(batch)
		}
		w.deliver(rctx, d)
	}
	return len(batch)
}

// Payload returns the JSON body of delivery d: {"type", "timestamp",
// "data"}, data carrying the user's public id as "user_id" when there is
// one.
func Payload(d *roster.WebhookDelivery) ([]byte, error) {
	data := map[string]any{}
	if d.Data != "" {
		if err := json.Unmarshal([]byte(d.Data), &data); err != nil {
			return nil, fmt.Errorf("webhook %d data: %w", d.ID, err)
		}
	}
	if d.UserPublicID != "" {
		data["user_id"] = d.UserPublicID
	}
	return json.Marshal(struct {
		Type      roster.WebhookEvent `json:"type"`
		Timestamp string              `json:"timestamp"`
		Data      map[string]any      `json:"data"`
	}{d.Event, d.CreatedAt.UTC().Format(time.RFC3339Nano), data})
}

// deliver makes one attempt at d and records it.
func (w *WebhookWorker) deliver(ctx context.Context, d *roster.WebhookDelivery) {
	a := &roster.WebhookAttempt{DeliveryID: d.ID, EndpointID: d.EndpointID}
	w.record(ctx, d, a, w.attempt(ctx, d, a))
}

func (w *WebhookWorker) attempt(ctx context.Context, d *roster.WebhookDelivery, a *roster.WebhookAttempt) bool {
	url, secret, err := w.store.WebhookTarget(ctx, d.EndpointID)
	if err != nil {
		a.Error = err.Error()
		return false
	}
	body, err := Payload(d)
	if err != nil {
		a.Error = err.Error()
		return false
	}
	ts := time.Now().Unix()
	sig, err := roster.SignWebhook(secret, d.MessageID(), ts, body)
	if err != nil {
		a.Error = err.Error()
		return false
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		a.Error = err.Error()
		return false
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Roster-Webhooks/1")
	req.Header.Set("webhook-id", d.MessageID())
	req.Header.Set("webhook-timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("webhook-signature", sig)
	start := time.Now()
	resp, err := w.client.Do(req)
	a.Duration = time.Since(start)
	if err != nil {
		a.Error = err.Error()
		return false
	}
	defer resp.Body.Close()
	excerpt, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	a.StatusCode, a.Response = resp.StatusCode, string(excerpt)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		a.Error = "HTTP " + resp.Status
		if resp.StatusCode >= 300 && resp.StatusCode < 400 {
			a.Error += " (redirects are not followed)"
		}
		return false
	}
	return true
}

// record stores the attempt with its outcome: delivered, retried after the
// backoff, or given up when that would pass GiveUpAfter.
func (w *WebhookWorker) record(ctx context.Context, d *roster.WebhookDelivery, a *roster.WebhookAttempt, ok bool) {
	out, next := roster.WebhookOutcomeDelivered, time.Time{}
	if !ok {
		out, next = roster.WebhookOutcomeRetry, time.Now().Add(w.backoff(d.Attempts+1))
		if next.Sub(d.CreatedAt) > w.cfg.GiveUpAfter {
			out = roster.WebhookOutcomeGiveUp
			a.Error = fmt.Sprintf("gave up after %d attempts: %s", d.Attempts+1, a.Error)
		}
		w.log.Warn("webhook failed", "delivery", d.ID, "endpoint", d.EndpointID, "outcome", out, "err", a.Error)
	}
	if err := w.store.RecordWebhookAttempt(ctx, w.cfg.Owner, a, out, next, w.cfg.Disable); err != nil {
		w.log.Error("record webhook attempt", "delivery", d.ID, "err", err)
	}
}

// backoff is the wait after the attempt-th failed attempt.
func (w *WebhookWorker) backoff(attempt int) time.Duration {
	d := w.cfg.Backoff
	for i := 1; i < attempt && d < w.cfg.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, w.cfg.MaxBackoff)
}
