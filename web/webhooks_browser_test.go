package web_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"roster"
	"roster/deliver"
	"roster/sqldb"
	"roster/sqldb/sqldbtest"
	"roster/web"
)

// TestWebhooksBrowser sets a webhook up in Chromium as staff do: an
// endpoint created on Settings → Webhooks shows its secret once; a user
// created through the API reaches the test's receiver through the worker,
// the delivery appears in the endpoint's log, and Replay sends it again.
func TestWebhooksBrowser(t *testing.T) {
	db := sqldbtest.MustOpenDB(t, sqldb.SQLite)
	hooks := sqldb.NewWebhookService(db)
	worker := deliver.NewWebhookWorker(hooks, deliver.WebhookConfig{AllowPrivate: true, Poll: 20 * time.Millisecond},
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	ts := mustOpenServerWith(t, db, func(s *web.Server) { s.WakeWebhooks = worker.Wake })
	recv := newHookReceiver(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); worker.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	tab := chromiumTab(t)
	navigate(t, tab, ts.URL, "/signin")
	run(t, tab, "sign in", chromedp.SendKeys(chromedp.ID("email"), string(roster.RoleAdmin)+"@staff.example.com"),
		chromedp.SendKeys(chromedp.ID("password"), staffPassword+"\n"))
	waitFor(t, tab, "signed in", `location.pathname === "/" && document.readyState !== "loading"`)

	navigate(t, tab, ts.URL, "/settings/accounts")
	mouseTo(t, tab, `document.querySelector('.sp-nav a[href="/settings/webhooks"]')`, true)
	waitFor(t, tab, "Settings → Webhooks", `location.pathname === "/settings/webhooks" && document.readyState !== "loading"`)
	run(t, tab, "fill the endpoint", chromedp.SendKeys(chromedp.ID("new-webhook-url"), recv.URL+"/roster"),
		chromedp.SendKeys(chromedp.ID("new-webhook-description"), "CRM sync"))
	mouseTo(t, tab, `document.querySelector('#new-webhook input[value="user.created"]')`, true)
	mouseTo(t, tab, `document.querySelector('#new-webhook button[type="submit"]')`, true)
	waitFor(t, tab, "the secret", `document.readyState !== "loading" && !!document.getElementById("created-secret")`)
	secret := eval[string](t, tab, `document.getElementById("created-secret").value`)
	list, err := hooks.FindWebhooks(context.Background())
	if err != nil || len(list) != 1 {
		t.Fatalf("endpoints: %v %v", list, err)
	}
	e := list[0]
	if _, stored, _ := hooks.WebhookTarget(context.Background(), e.ID); !strings.HasPrefix(secret, "whsec_") || secret != stored {
		t.Fatalf("the page shows %q, the endpoint signs with %q", secret, stored)
	}
	if e.URL != recv.URL+"/roster" || len(e.Events) != 1 || e.Events[0] != roster.EventUserCreated {
		t.Errorf("created %+v", e)
	}
	navigate(t, tab, ts.URL, "/settings/webhooks")
	if eval[bool](t, tab, `document.body.innerHTML.includes(`+jsString(secret)+`) || !!document.getElementById("created-secret")`) {
		t.Error("the secret is shown again")
	}

	user := ts.createUser(t, `{"email":"webhooked@example.com"}`)
	mouseTo(t, tab, `document.querySelector('#webhook-`+itoa(e.ID)+` a')`, true)
	waitFor(t, tab, "the endpoint's page", `location.pathname === "/settings/webhooks/`+itoa(e.ID)+`" && document.readyState !== "loading"`)
	status := `document.querySelector("#deliveries tbody tr .delivery-status")?.textContent.trim() ?? ""`
	deliveredAfter := func(what string) {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for eval[string](t, tab, status) != "delivered" {
			if time.Now().After(deadline) {
				t.Fatalf("%s: the log says %q after 15s", what, eval[string](t, tab, status))
			}
			time.Sleep(200 * time.Millisecond)
			run(t, tab, "reload", chromedp.Reload())
			waitFor(t, tab, "reloaded", `document.readyState !== "loading"`)
		}
	}
	deliveredAfter("the user's creation")
	row := eval[string](t, tab, `document.querySelector("#deliveries tbody tr").innerText`)
	for _, want := range []string{"user.created", user, "200", "ms", `{"ok":true}`} {
		if !strings.Contains(row, want) {
			t.Errorf("the log's row lacks %q: %q", want, row)
		}
	}
	if n := recv.requests.Load(); n != 1 {
		t.Errorf("the receiver got %d requests, want 1", n)
	}

	mouseTo(t, tab, `document.querySelector('#deliveries tbody tr button[type="submit"]')`, true)
	waitFor(t, tab, "replayed", `document.readyState !== "loading" && (document.querySelector(".flash")?.textContent ?? "").includes("queued again")`)
	deliveredAfter("the replay")
	if got := eval[string](t, tab, `document.querySelector("#deliveries tbody tr td:nth-child(7)").textContent.trim()`); got != "2" {
		t.Errorf("attempts after the replay: %q, want 2", got)
	}
	if n := recv.requests.Load(); n != 2 {
		t.Errorf("the receiver got %d requests after the replay, want 2", n)
	}
	snap(t, tab, "webhooks-log")
}
