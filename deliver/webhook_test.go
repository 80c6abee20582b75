package deliver_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"roster"
	"roster/deliver"
	"roster/sqldb"
	"roster/sqldb/sqldbtest"
)

// verifySignature checks a Standard Webhooks signature on its own, without
// the code under test: HMAC-SHA256 keyed with the base64-decoded secret
// over "id.timestamp.body", any of the space-separated "v1,<base64>".
func verifySignature(secret string, h http.Header, body []byte) error {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return err
	}
	id, ts := h.Get("webhook-id"), h.Get("webhook-timestamp")
	if id == "" || ts == "" {
		return errors.New("missing webhook-id or webhook-timestamp")
	}
	if _, err := strconv.ParseInt(ts, 10, 64); err != nil {
		return errors.New("bad timestamp " + ts)
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + ts + "." + string(body)))
	want := mac.Sum(nil)
	for _, s := range strings.Fields(h.Get("webhook-signature")) {
		v, sig, ok := strings.Cut(s, ",")
		if !ok || v != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(sig)
		if err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return errors.New("no valid signature in " + h.Get("webhook-signature"))
}

type received struct {
	ID   string
	Type string
	User string
	Data map[string]any
}

// receiver is a webhook endpoint that checks each signature and keeps
// what it got.
type receiver struct {
	t      *testing.T
	mu     sync.Mutex
	secret string
	got    []received
	fail   bool
	srv    *httptest.Server
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{t: t}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.fail {
			http.Error(w, "down for maintenance", http.StatusInternalServerError)
			return
		}
		if err := verifySignature(r.secret, req.Header, body); err != nil {
			r.t.Errorf("signature: %v", err)
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		var p struct {
			Type      string         `json:"type"`
			Timestamp string         `json:"timestamp"`
			Data      map[string]any `json:"data"`
		}
		if err := json.Unmarshal(body, &p); err != nil || p.Timestamp == "" {
			r.t.Errorf("payload %s: %v", body, err)
		}
		user, _ := p.Data["user_id"].(string)
		r.got = append(r.got, received{ID: req.Header.Get("webhook-id"), Type: p.Type, User: user, Data: p.Data})
		_, _ = w.Write([]byte("ok"))
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) events() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

func newEndpoint(t *testing.T, hooks *sqldb.WebhookService, url string, events ...roster.WebhookEvent) *roster.WebhookEndpoint {
	t.Helper()
	if len(events) == 0 {
		for _, i := range roster.WebhookEvents {
			events = append(events, i.Event)
		}
	}
	e := &roster.WebhookEndpoint{URL: url, Events: events, Enabled: true}
	if err := hooks.CreateWebhook(staffCtx(), e); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(e.Secret, "whsec_") {
		t.Fatalf("secret %q", e.Secret)
	}
	return e
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// waitFor polls cond until it holds, for up to a minute: a bound for a
// hang, roomy enough for a loaded machine.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestWebhooks_SignedInOrderOnceAcrossRestart: every event of the writes
// reaches the endpoint signed, once, in order per user, though the worker
// is stopped in the middle and another one started.
func TestWebhooks_SignedInOrderOnceAcrossRestart(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ctx := staffCtx()
		hooks := sqldb.NewWebhookService(db)
		users, tags := sqldb.NewUserService(db), sqldb.NewTagService(db)
		// Writes before any endpoint subscribes leave no deliveries.
		early := &roster.User{Email: "early@example.com"}
		if err := users.CreateUser(ctx, early, ""); err != nil {
			t.Fatal(err)
		}
		r := newReceiver(t)
		e := newEndpoint(t, hooks, r.srv.URL)
		r.secret = e.Secret
		if ds, _ := hooks.FindWebhookDeliveries(ctx, roster.WebhookDeliveryFilter{}); len(ds) != 0 {
			t.Fatalf("deliveries before any subscription: %d", len(ds))
		}
		tag := &roster.Tag{Name: "vip"}
		if err := tags.CreateTag(ctx, tag); err != nil {
			t.Fatal(err)
		}
		var want []received
		var ids []string
		for i := range 4 {
			u := &roster.User{Email: "u" + strconv.Itoa(i) + "@example.com"}
			if err := users.CreateUser(ctx, u, ""); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, u.PublicID)
			want = append(want, received{Type: "user.created", User: u.PublicID})
		}
		for _, id := range ids {
			if _, err := users.UpdateUser(ctx, id, roster.UserUpdate{Values: map[string]any{"first_name": "Ann"}}); err != nil {
				t.Fatal(err)
			}
			want = append(want, received{Type: "user.updated", User: id})
			if err := tags.TagUser(ctx, id, tag.ID); err != nil {
				t.Fatal(err)
			}
			want = append(want, received{Type: "tag.added", User: id})
		}
		if _, err := users.UpdateUser(ctx, ids[0], roster.UserUpdate{Values: map[string]any{"status": "banned"}}); err != nil {
			t.Fatal(err)
		}
		want = append(want, received{Type: "user.updated", User: ids[0]}, received{Type: "user.status_changed", User: ids[0]}, received{Type: "user.banned", User: ids[0]})
		if err := users.DeleteUser(ctx, ids[1]); err != nil {
			t.Fatal(err)
		}
		want = append(want, received{Type: "user.deleted", User: ids[1]})

		cfg := deliver.WebhookConfig{AllowPrivate: true, Batch: 3, Poll: 10 * time.Millisecond, Owner: "first"}
		w1 := deliver.NewWebhookWorker(hooks, cfg, quietLog())
		c1, stop1 := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { w1.Run(c1); close(done) }()
		waitFor(t, "some events", func() bool { return len(r.events()) >= 3 })
		stop1()
		<-done
		mid := len(r.events())
		if mid == len(want) {
			t.Logf("the first worker delivered everything before it stopped")
		}
		cfg.Owner = "second"
		w2 := deliver.NewWebhookWorker(hooks, cfg, quietLog())
		c2, stop2 := context.WithCancel(context.Background())
		defer stop2()
		go w2.Run(c2)
		startWait := time.Now()
		waitFor(t, "every event", func() bool {
			if time.Since(startWait) > 55*time.Second {
				ds, _ := hooks.FindWebhookDeliveries(ctx, roster.WebhookDeliveryFilter{Limit: 500})
				for _, d := range ds {
					t.Logf("%d %s %s %d %v %s", d.ID, d.Event, d.Status, d.Attempts, d.NextAttemptAt, d.LastError)
				}
				t.FailNow()
			}
			return len(r.events()) >= len(want)
		})
		time.Sleep(100 * time.Millisecond) // a duplicate would come now
		got := r.events()
		if len(got) != len(want) {
			t.Fatalf("got %d events, want %d: %+v", len(got), len(want), got)
		}
		seen := map[string]bool{}
		for _, g := range got {
			if seen[g.ID] {
				t.Errorf("event %s delivered twice", g.ID)
			}
			seen[g.ID] = true
		}
		// Per user, the order of the writes.
		perUser := func(rs []received) map[string][]string {
			m := map[string][]string{}
			for _, x := range rs {
				m[x.User] = append(m[x.User], x.Type)
			}
			return m
		}
		gm, wm := perUser(got), perUser(want)
		for u, w := range wm {
			if strings.Join(gm[u], ",") != strings.Join(w, ",") {
				t.Errorf("user %s: got %v, want %v", u, gm[u], w)
			}
		}
		for _, g := range got {
			if g.Type == "tag.added" && g.Data["tag"] != "vip" {
				t.Errorf("tag.added data %v", g.Data)
			}
			if g.Type == "user.status_changed" && (g.Data["before"] != "active" || g.Data["after"] != "banned") {
				t.Errorf("status_changed data %v", g.Data)
			}
		}
		ds, err := hooks.FindWebhookDeliveries(ctx, roster.WebhookDeliveryFilter{EndpointID: e.ID, Limit: 500})
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range ds {
			if d.Status != roster.WebhookDelivered || d.Attempts != 1 {
				t.Errorf("delivery %d: %s after %d attempts", d.ID, d.Status, d.Attempts)
			}
		}
		as, err := hooks.FindWebhookAttempts(ctx, ds[0].ID)
		if err != nil || len(as) != 1 || as[0].StatusCode != 200 || as[0].Response != "ok" {
			t.Fatalf("delivery log %+v, %v", as, err)
		}
		// A replay sends the same webhook-id again, and is audited.
		if err := hooks.ReplayWebhookDelivery(ctx, ds[0].ID); err != nil {
			t.Fatal(err)
		}
		w2.Wake()
		waitFor(t, "the replay", func() bool { return len(r.events()) == len(want)+1 })
		if last := r.events()[len(want)]; last.ID != ds[0].MessageID() {
			t.Errorf("replay id %s, want %s", last.ID, ds[0].MessageID())
		}
		if err := hooks.ReplayWebhookDelivery(ctx, 999999); roster.ErrorCode(err) != roster.ENOTFOUND {
			t.Errorf("replay of nothing: %v", err)
		}
	})
}

// TestWebhooks_FailingEndpointRetriedThenDisabled: a failing endpoint is
// tried again with backoff, each attempt logged, then disabled; a user's
// later event waits behind the failing one.
func TestWebhooks_FailingEndpointRetriedThenDisabled(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ctx := staffCtx()
		hooks := sqldb.NewWebhookService(db)
		users := sqldb.NewUserService(db)
		r := newReceiver(t)
		r.fail = true
		e := newEndpoint(t, hooks, r.srv.URL, roster.EventUserCreated, roster.EventUserUpdated)
		r.secret = e.Secret
		u := &roster.User{Email: "x@example.com"}
		if err := users.CreateUser(ctx, u, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := users.UpdateUser(ctx, u.PublicID, roster.UserUpdate{Values: map[string]any{"first_name": "X"}}); err != nil {
			t.Fatal(err)
		}
		w := deliver.NewWebhookWorker(hooks, deliver.WebhookConfig{AllowPrivate: true, Backoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond,
			Disable: roster.WebhookDisablePolicy{Failures: 4, Failing: time.Hour}, Owner: "w"}, quietLog())
		for range 50 {
			w.RunBatch(ctx)
			got, err := hooks.FindWebhook(ctx, e.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !got.Enabled {
				break
			}
			time.Sleep(6 * time.Millisecond)
		}
		got, err := hooks.FindWebhook(ctx, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Enabled || !strings.Contains(got.DisabledReason, "4 attempts in a row failed") || got.Failures != 4 {
			t.Fatalf("endpoint after failures: %+v", got)
		}
		ds, err := hooks.FindWebhookDeliveries(ctx, roster.WebhookDeliveryFilter{EndpointID: e.ID})
		if err != nil || len(ds) != 2 {
			t.Fatalf("deliveries %+v, %v", ds, err)
		}
		created, updated := ds[1], ds[0]
		if created.Attempts != 4 || created.Status != roster.WebhookQueued || updated.Attempts != 0 {
			t.Fatalf("created %+v, updated %+v: the later event must wait", created, updated)
		}
		as, err := hooks.FindWebhookAttempts(ctx, created.ID)
		if err != nil || len(as) != 4 || as[0].StatusCode != 500 || !strings.Contains(as[0].Response, "down for maintenance") {
			t.Fatalf("delivery log %+v, %v", as, err)
		}
		if n, _ := hooks.CountDisabledWebhooks(ctx); n != 1 {
			t.Errorf("disabled count %d", n)
		}
		// Disabled: nothing is claimed. Enabled again, the queue drains.
		if n := w.RunBatch(ctx); n != 0 {
			t.Errorf("claimed %d for a disabled endpoint", n)
		}
		r.mu.Lock()
		r.fail = false
		r.mu.Unlock()
		got.Enabled = true
		if err := hooks.UpdateWebhook(ctx, got); err != nil {
			t.Fatal(err)
		}
		for range 5 {
			w.RunBatch(ctx)
			time.Sleep(10 * time.Millisecond)
		}
		if ev := r.events(); len(ev) != 2 || ev[0].Type != "user.created" || ev[1].Type != "user.updated" {
			t.Fatalf("after enabling: %+v", ev)
		}
		// Given up after GiveUpAfter.
		w3 := deliver.NewWebhookWorker(hooks, deliver.WebhookConfig{AllowPrivate: true, GiveUpAfter: time.Nanosecond, Owner: "w3"}, quietLog())
		r.mu.Lock()
		r.fail = true
		r.mu.Unlock()
		if _, err := users.UpdateUser(ctx, u.PublicID, roster.UserUpdate{Values: map[string]any{"first_name": "Y"}}); err != nil {
			t.Fatal(err)
		}
		w3.RunBatch(ctx)
		ds, _ = hooks.FindWebhookDeliveries(ctx, roster.WebhookDeliveryFilter{EndpointID: e.ID, Limit: 1})
		if ds[0].Status != roster.WebhookFailed || !strings.Contains(ds[0].LastError, "gave up") {
			t.Fatalf("given up: %+v", ds[0])
		}
	})
}

// TestWebhookClient_RefusesPrivateTargets: the address is checked at
// connect time, names included; no redirect is followed.
func TestWebhookClient_RefusesPrivateTargets(t *testing.T) {
	hit := false
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hit = true }))
	defer srv.Close()
	port := srv.URL[strings.LastIndex(srv.URL, ":")+1:]
	strict := deliver.NewWebhookClient(2*time.Second, false)
	for _, url := range []string{srv.URL, "http://localhost:" + port + "/", "http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/", "http://[::1]:" + port + "/", "http://[::ffff:127.0.0.1]:" + port + "/"} {
		resp, err := strict.Post(url, "application/json", strings.NewReader("{}"))
		if err == nil {
			resp.Body.Close()
			t.Errorf("%s: no error", url)
			continue
		}
		if !errors.Is(err, deliver.ErrForbiddenTarget) {
			t.Errorf("%s: %v, want a forbidden target", url, err)
		}
	}
	if hit {
		t.Error("the loopback server was reached")
	}
	// Allowed, loopback works; a redirect is not followed.
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hit = true }))
	defer other.Close()
	redir := httptest.NewServer(http.RedirectHandler(other.URL, http.StatusFound))
	defer redir.Close()
	loose := deliver.NewWebhookClient(2*time.Second, true)
	resp, err := loose.Post(redir.URL, "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || hit {
		t.Errorf("redirect: status %d, followed %v", resp.StatusCode, hit)
	}
	for _, a := range []string{"8.8.8.8", "2606:4700::1"} {
		if !deliver.PublicAddr(netip.MustParseAddr(a)) {
			t.Errorf("%s is public", a)
		}
	}
	for _, a := range []string{"127.0.0.1", "10.1.2.3", "192.168.0.1", "172.16.0.1", "169.254.169.254", "::1", "fe80::1", "fd00::1", "0.0.0.0", "100.64.0.1"} {
		if deliver.PublicAddr(netip.MustParseAddr(a)) {
			t.Errorf("%s is not public", a)
		}
	}
}

// TestWebhooks_RedirectIsAFailure: the worker records a redirect as a
// failed attempt and never reaches its target.
func TestWebhooks_RedirectIsAFailure(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ctx := staffCtx()
		hooks := sqldb.NewWebhookService(db)
		hit := false
		other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hit = true }))
		defer other.Close()
		redir := httptest.NewServer(http.RedirectHandler(other.URL, http.StatusTemporaryRedirect))
		defer redir.Close()
		newEndpoint(t, hooks, redir.URL, roster.EventUserCreated)
		if err := sqldb.NewUserService(db).CreateUser(ctx, &roster.User{Email: "r@example.com"}, ""); err != nil {
			t.Fatal(err)
		}
		deliver.NewWebhookWorker(hooks, deliver.WebhookConfig{AllowPrivate: true, Backoff: time.Millisecond}, quietLog()).RunBatch(ctx)
		ds, _ := hooks.FindWebhookDeliveries(ctx, roster.WebhookDeliveryFilter{})
		if len(ds) != 1 || ds[0].Status != roster.WebhookQueued || !strings.Contains(ds[0].LastError, "redirects are not followed") || hit {
			t.Fatalf("%+v, target reached %v", ds, hit)
		}
		// Without the setting, loopback is refused by the worker too.
		time.Sleep(50 * time.Millisecond)
		strict := deliver.NewWebhookWorker(hooks, deliver.WebhookConfig{Owner: "strict", Backoff: time.Millisecond}, quietLog())
		for ds[0].NextAttemptAt.After(time.Now()) {
			time.Sleep(10 * time.Millisecond)
		}
		strict.RunBatch(ctx)
		ds, _ = hooks.FindWebhookDeliveries(ctx, roster.WebhookDeliveryFilter{})
		if !strings.Contains(ds[0].LastError, "forbidden target") || ds[0].Attempts != 2 {
			t.Fatalf("strict worker: %+v", ds[0])
		}
	})
}
