package web_test

import (
	"context"
	"encoding/json"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"roster"
	"roster/deliver"
	"roster/sqldb"
	"roster/sqldb/sqldbtest"
)

// hookReceiver is a webhook receiver for tests: it answers status (200
// unless set) and counts the requests whose signature verifies with secret
// (when set).
type hookReceiver struct {
	*httptest.Server
	status   atomic.Int32
	requests atomic.Int32
}

func newHookReceiver(t *testing.T) *hookReceiver {
	h := &hookReceiver{}
	h.status.Store(http.StatusOK)
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.requests.Add(1)
		w.WriteHeader(int(h.status.Load()))
		_, _ = w.Write([]byte(`{"ok":true}`))
	}))
	t.Cleanup(h.Close)
	return h
}

// webhooks returns the webhook store of w, and its receiver (made with the
// world): every endpoint the tests make points at it, so that a worker run
// never reaches another host.
func (w *world) webhooks(t *testing.T) (*sqldb.WebhookService, *hookReceiver) {
	return sqldb.NewWebhookService(w.db), w.hookRecv
}

// webhook makes an endpoint subscribed to user.created on w's receiver.
func (w *world) webhook(t *testing.T) *roster.WebhookEndpoint {
	t.Helper()
	hooks, recv := w.webhooks(t)
	e := &roster.WebhookEndpoint{URL: recv.URL + "/" + w.name("hook"), Events: []roster.WebhookEvent{roster.EventUserCreated}, Enabled: true}
	if err := hooks.CreateWebhook(w.ctx, e); err != nil {
		t.Fatal(err)
	}
	return e
}

// webhookByURL returns the id of the endpoint with URL u.
func (w *world) webhookByURL(t *testing.T, u string) int64 {
	t.Helper()
	hooks, _ := w.webhooks(t)
	list, err := hooks.FindWebhooks(w.ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range list {
		if e.URL == u {
			return e.ID
		}
	}
	t.Fatalf("no webhook %s", u)
	return 0
}

// deliverWebhooks runs a webhook worker (allowed to reach the test's
// loopback receiver) until endpoint's newest delivery is no longer queued
// or sending, and returns it.
func (w *world) deliverWebhooks(t *testing.T, endpoint int64, policy roster.WebhookDisablePolicy) *roster.WebhookDelivery {
	t.Helper()
	hooks, _ := w.webhooks(t)
	worker := deliver.NewWebhookWorker(hooks, deliver.WebhookConfig{AllowPrivate: true, Disable: policy, Timeout: 5 * time.Second},
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	for range 100 {
		worker.RunBatch(context.Background())
		ds, err := hooks.FindWebhookDeliveries(w.ctx, roster.WebhookDeliveryFilter{EndpointID: endpoint, Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) == 0 {
			t.Fatalf("endpoint %d has no delivery", endpoint)
		}
		if d := ds[0]; d.Status != roster.WebhookQueued && d.Status != roster.WebhookSending || d.Attempts > 0 && policy.Failures > 0 {
			return d
		}
	}
	t.Fatalf("endpoint %d: its delivery is still on its way after 100 worker runs", endpoint)
	return nil
}

// deliveredWebhook makes an endpoint with one delivered user.created.
func (w *world) deliveredWebhook(t *testing.T) (*roster.WebhookEndpoint, *roster.WebhookDelivery) {
	t.Helper()
	e := w.webhook(t)
	w.user(t, "hooked")
	d := w.deliverWebhooks(t, e.ID, roster.WebhookDisablePolicy{})
	if d.Status != roster.WebhookDelivered {
		t.Fatalf("delivery %d: %s (%s), want delivered", d.ID, d.Status, d.LastError)
	}
	return e, d
}

// deliveryOfAnotherWebhook is endpoint A with a delivery of its own, and a
// delivered delivery of endpoint B.
func deliveryOfAnotherWebhook(t *testing.T, w *world) (map[string]string, func(t *testing.T) string) {
	a, _ := w.deliveredWebhook(t)
	_, d := w.deliveredWebhook(t)
	hooks, _ := w.webhooks(t)
	return map[string]string{"id": itoa(a.ID), "delivery": itoa(d.ID)}, func(t *testing.T) string {
		got, err := hooks.FindWebhookDelivery(w.ctx, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		return string(got.Status)
	}
}

// secretRE finds a signing secret in an answer.
var secretRE = regexp.MustCompile(`whsec_[A-Za-z0-9+/=]+`)

// pageSecret returns the signing secret a page shows, "" when none.
func pageSecret(body string) string { return secretRE.FindString(html.UnescapeString(body)) }

func TestWebhookPages(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		w := newWorld(t, db)
		hooks, recv := w.webhooks(t)
		b := w.b.with(t)
		post := func(path string, form url.Values) *response {
			t.Helper()
			form.Set("csrf", b.csrf())
			return b.post(path, form, nil)
		}

		t.Run("permissions", func(t *testing.T) {
			e := w.webhook(t)
			for _, role := range []roster.Role{roster.RoleManager, roster.RoleViewer} {
				o := newBrowser(t, w.ts)
				o.signIn(role, "/")
				for _, p := range []string{"/settings/webhooks", "/settings/webhooks/" + itoa(e.ID)} {
					if resp := o.get(p); resp.StatusCode != http.StatusForbidden {
						t.Errorf("%s: GET %s: %d, want 403", role, p, resp.StatusCode)
					}
				}
				csrf := o.csrf()
				for _, p := range []string{"/settings/webhooks", "/settings/webhooks/" + itoa(e.ID) + "/delete", "/settings/webhooks/" + itoa(e.ID) + "/rotate-secret"} {
					resp := o.post(p, url.Values{"csrf": {csrf}, "url": {"https://example.com/x"}, "events": {"user.created"}}, nil)
					if resp.StatusCode != http.StatusForbidden {
						t.Errorf("%s: POST %s: %d, want 403", role, p, resp.StatusCode)
					}
				}
				if st, _ := w.ts.do(t, role, "GET", "/api/v1/webhooks", ""); st != http.StatusForbidden {
					t.Errorf("%s: GET /api/v1/webhooks: %d, want 403", role, st)
				}
			}
			if _, err := hooks.FindWebhook(w.ctx, e.ID); err != nil {
				t.Errorf("after refused requests: %v", err)
			}
		})

		t.Run("bad input names the field and keeps the values", func(t *testing.T) {
			before, _ := hooks.FindWebhooks(w.ctx)
			for _, c := range []struct {
				name string
				form url.Values
				want string
			}{
				{"url not a URL", url.Values{"url": {"not a url"}, "description": {"kept text"}, "events": {"user.deleted"}}, "URL: want an http or https URL"},
				{"url with credentials", url.Values{"url": {"https://u:p@example.com/"}, "description": {"kept text"}, "events": {"user.deleted"}}, "URL: must not carry a user name or password"},
				{"no events", url.Values{"url": {"https://example.com/kept"}, "description": {"kept text"}}, "Events: choose at least one event"},
				{"unknown event", url.Values{"url": {"https://example.com/kept"}, "description": {"kept text"}, "events": {"user.deleted", "user.exploded"}}, `Events: unknown event &#34;user.exploded&#34;`},
				{"description too long", url.Values{"url": {"https://example.com/kept"}, "description": {strings.Repeat("d", 501)}, "events": {"user.deleted"}}, "Description: at most 500 characters"},
			} {
				resp := post("/settings/webhooks", c.form)
				if resp.StatusCode != http.StatusUnprocessableEntity {
					t.Errorf("%s: %d, want 422", c.name, resp.StatusCode)
					continue
				}
				if !strings.Contains(resp.Body, c.want) {
					t.Errorf("%s: the page does not say %q", c.name, c.want)
				}
				if v := c.form.Get("url"); !strings.Contains(resp.Body, `value="`+v+`"`) {
					t.Errorf("%s: the URL typed (%q) is not kept", c.name, v)
				}
				if c.form.Has("events") && !strings.Contains(resp.Body, `value="user.deleted" checked`) {
					t.Errorf("%s: the event checked is not kept", c.name)
				}
			}
			after, _ := hooks.FindWebhooks(w.ctx)
			if len(after) != len(before) {
				t.Errorf("refused forms made endpoints: %d, then %d", len(before), len(after))
			}
		})

		var id int64
		t.Run("create shows the secret once", func(t *testing.T) {
			u := recv.URL + "/created"
			resp := post("/settings/webhooks", url.Values{"url": {u}, "description": {"CRM"}, "events": {"user.created", "user.deleted"}})
			if resp.StatusCode != http.StatusCreated {
				t.Fatalf("create: %d\n%s", resp.StatusCode, resp.Body)
			}
			secret := pageSecret(resp.Body)
			if secret == "" {
				t.Fatalf("the answer shows no secret:\n%s", resp.Body)
			}
			list, _ := hooks.FindWebhooks(w.ctx)
			e := list[len(list)-1]
			id = e.ID
			if e.URL != u || e.Description != "CRM" || len(e.Events) != 2 || !e.Enabled {
				t.Errorf("stored %+v", e)
			}
			_, stored, err := hooks.WebhookTarget(w.ctx, id)
			if err != nil || stored != secret {
				t.Errorf("the secret shown is not the one stored (%v)", err)
			}
			for _, p := range []string{"/settings/webhooks", "/settings/webhooks/" + itoa(id)} {
				if page := b.get(p); page.StatusCode != http.StatusOK || strings.Contains(html.UnescapeString(page.Body), secret) || !strings.Contains(page.Body, u) {
					t.Errorf("GET %s: %d; shows the URL %v, shows the secret %v", p, page.StatusCode, strings.Contains(page.Body, u), strings.Contains(html.UnescapeString(page.Body), secret))
				}
			}
			if page := b.get("/settings/tokens"); !strings.Contains(page.Body, `href="/settings/webhooks"`) {
				t.Error("the settings navigation has no link to Webhooks")
			}
		})

		t.Run("edit", func(t *testing.T) {
			p := "/settings/webhooks/" + itoa(id)
			resp := post(p, url.Values{"url": {"ftp://example.com/x"}, "description": {"changed"}, "events": {"user.updated"}})
			if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(resp.Body, "URL: want an http") ||
				!strings.Contains(resp.Body, `value="ftp://example.com/x"`) || !strings.Contains(resp.Body, `value="user.updated" checked`) {
				t.Errorf("bad URL: %d; named %v", resp.StatusCode, strings.Contains(resp.Body, "URL: want an http"))
			}
			resp = post(p, url.Values{"url": {recv.URL + "/edited"}, "description": {"changed"}, "events": {"user.created", "user.updated"}})
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("edit: %d\n%s", resp.StatusCode, resp.Body)
			}
			e, _ := hooks.FindWebhook(w.ctx, id)
			if e.URL != recv.URL+"/edited" || e.Description != "changed" || len(e.Events) != 2 || e.Events[1] != roster.EventUserUpdated {
				t.Errorf("after edit: %+v", e)
			}
			resp = post(p+"/enabled", url.Values{"enabled": {"0"}})
			if e, _ := hooks.FindWebhook(w.ctx, id); resp.StatusCode != http.StatusSeeOther || e.Enabled {
				t.Errorf("disable: %d, enabled %v", resp.StatusCode, e.Enabled)
			}
			if page := b.get(p); !strings.Contains(page.Body, "by staff") || !strings.Contains(page.Body, ">Enable</button>") {
				t.Error("a disabled endpoint's page does not say it is disabled by staff with an Enable button")
			}
			resp = post(p+"/enabled", url.Values{"enabled": {"maybe"}})
			if resp.StatusCode != http.StatusUnprocessableEntity {
				t.Errorf("enabled=maybe: %d, want 422", resp.StatusCode)
			}
			resp = post(p+"/enabled", url.Values{"enabled": {"1"}})
			if e, _ := hooks.FindWebhook(w.ctx, id); resp.StatusCode != http.StatusSeeOther || !e.Enabled {
				t.Errorf("enable: %d, enabled %v", resp.StatusCode, e.Enabled)
			}
		})

		t.Run("rotate", func(t *testing.T) {
			_, old, _ := hooks.WebhookTarget(w.ctx, id)
			resp := post("/settings/webhooks/"+itoa(id)+"/rotate-secret", url.Values{})
			secret := pageSecret(resp.Body)
			_, stored, _ := hooks.WebhookTarget(w.ctx, id)
			if resp.StatusCode != http.StatusOK || secret == "" || secret == old || secret != stored {
				t.Errorf("rotate: %d; shown %q, old %q, stored %q", resp.StatusCode, secret, old, stored)
			}
			if page := b.get("/settings/webhooks/" + itoa(id)); strings.Contains(html.UnescapeString(page.Body), stored) {
				t.Error("the page shows the rotated secret again")
			}
		})

		t.Run("delivery log and replay", func(t *testing.T) {
			pub, _ := w.user(t, "logged")
			d := w.deliverWebhooks(t, id, roster.WebhookDisablePolicy{})
			if d.Status != roster.WebhookDelivered || d.UserPublicID != pub {
				t.Fatalf("delivery: %+v", d)
			}
			page := b.get("/settings/webhooks/" + itoa(id))
			row := regexp.MustCompile(`(?s)<tr id="delivery-` + itoa(d.ID) + `".*?</tr>`).FindString(page.Body)
			for _, want := range []string{"user.created", "delivered", ">200<", " ms<", `{&#34;ok&#34;:true}`, "Replay"} {
				if !strings.Contains(row, want) {
					t.Errorf("the log's row lacks %q:\n%s", want, row)
				}
			}
			if page := b.get("/settings/webhooks"); !strings.Contains(page.Body, "delivered") {
				t.Error("the list does not show the last delivery's status")
			}
			n := recv.requests.Load()
			resp := post("/settings/webhooks/"+itoa(id)+"/deliveries/"+itoa(d.ID)+"/replay", url.Values{})
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("replay: %d\n%s", resp.StatusCode, resp.Body)
			}
			if got, _ := hooks.FindWebhookDelivery(w.ctx, d.ID); got.Status != roster.WebhookQueued {
				t.Errorf("after replay: %s, want queued", got.Status)
			}
			resp = post("/settings/webhooks/"+itoa(id)+"/deliveries/"+itoa(d.ID)+"/replay", url.Values{})
			if resp.StatusCode != http.StatusConflict {
				t.Errorf("replay of a queued delivery: %d, want 409", resp.StatusCode)
			}
			d = w.deliverWebhooks(t, id, roster.WebhookDisablePolicy{})
			if d.Status != roster.WebhookDelivered || d.Attempts != 2 || recv.requests.Load() <= n {
				t.Errorf("after the replay was delivered: %s, %d attempts", d.Status, d.Attempts)
			}
			if resp := b.get("/settings/webhooks/" + itoa(id) + "?before=x"); resp.StatusCode != http.StatusUnprocessableEntity {
				t.Errorf("?before=x: %d, want 422", resp.StatusCode)
			}
			if resp := b.get("/settings/webhooks/" + itoa(id) + "?before=" + itoa(d.ID)); resp.StatusCode != http.StatusOK || strings.Contains(resp.Body, `id="delivery-`+itoa(d.ID)+`"`) {
				t.Errorf("the page before delivery %d: %d, or lists it", d.ID, resp.StatusCode)
			}
		})

		t.Run("delete", func(t *testing.T) {
			p := "/settings/webhooks/" + itoa(id)
			if page := b.get(p); !strings.Contains(page.Body, `action="`+p+`/delete"`) || !strings.Contains(page.Body, "<details") {
				t.Error("the delete form is not behind a confirmation")
			}
			if resp := post(p+"/delete", url.Values{}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("delete: %d", resp.StatusCode)
			}
			if resp := b.get(p); resp.StatusCode != http.StatusNotFound {
				t.Errorf("GET after delete: %d, want 404", resp.StatusCode)
			}
			if resp := post(p+"/delete", url.Values{}); resp.StatusCode != http.StatusNotFound {
				t.Errorf("delete again: %d, want 404", resp.StatusCode)
			}
		})

		t.Run("dashboard notice", func(t *testing.T) {
			// Only this endpoint fails: the others are removed.
			others, _ := hooks.FindWebhooks(w.ctx)
			for _, o := range others {
				if err := hooks.DeleteWebhook(w.ctx, o.ID); err != nil {
					t.Fatal(err)
				}
			}
			e := w.webhook(t)
			recv.status.Store(http.StatusInternalServerError)
			w.user(t, "failing")
			d := w.deliverWebhooks(t, e.ID, roster.WebhookDisablePolicy{Failures: 1})
			recv.status.Store(http.StatusOK)
			got, _ := hooks.FindWebhook(w.ctx, e.ID)
			if got.Enabled || got.DisabledReason == "" {
				t.Fatalf("not disabled after a failure with Failures: 1: %+v (delivery %+v)", got, d)
			}
			link := `href="/settings/webhooks/` + itoa(e.ID) + `"`
			if page := b.get("/"); !strings.Contains(page.Body, `id="webhooks-disabled"`) || !strings.Contains(page.Body, link) {
				t.Errorf("the admin's dashboard has no notice with a link to the endpoint")
			}
			v := newBrowser(t, w.ts)
			v.signIn(roster.RoleViewer, "/")
			if page := v.get("/"); !strings.Contains(page.Body, `id="webhooks-disabled"`) || strings.Contains(page.Body, link) {
				t.Errorf("the viewer's dashboard: notice %v, link %v; want the notice without the link",
					strings.Contains(page.Body, `id="webhooks-disabled"`), strings.Contains(page.Body, link))
			}
			if page := b.get("/settings/webhooks/" + itoa(e.ID)); !strings.Contains(page.Body, got.DisabledReason[:20]) {
				t.Error("the endpoint's page does not give the reason it was disabled")
			}
			if err := hooks.DeleteWebhook(w.ctx, e.ID); err != nil {
				t.Fatal(err)
			}
			if page := b.get("/"); strings.Contains(page.Body, `id="webhooks-disabled"`) {
				t.Error("the notice stays after the endpoint is gone")
			}
		})
	})
}

func TestWebhookAPI(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		w := newWorld(t, db)
		hooks, recv := w.webhooks(t)
		api := func(method, path, body string, want int) map[string]any {
			t.Helper()
			st, out := w.ts.do(t, roster.RoleAdmin, method, path, body)
			if st != want {
				t.Fatalf("%s %s %s: %d, want %d\n%s", method, path, body, st, want, out)
			}
			m := map[string]any{}
			if out != "" {
				if err := json.Unmarshal([]byte(out), &m); err != nil {
					t.Fatalf("%s %s: %v\n%s", method, path, err, out)
				}
			}
			return m
		}
		fieldOf := func(m map[string]any) map[string]any {
			e, _ := m["error"].(map[string]any)
			f, _ := e["fields"].(map[string]any)
			return f
		}

		for _, c := range []struct{ body, field string }{
			{`{"url":"nope","events":["user.created"]}`, "url"},
			{`{"url":"https://example.com/h","events":[]}`, "events"},
			{`{"url":"https://example.com/h"}`, "events"},
			{`{"url":"https://example.com/h","events":["user.created","nope"]}`, "events"},
			{`{"url":"https://example.com/h","events":"user.created"}`, "events"},
			{`{"url":"https://example.com/h","events":["user.created"],"description":"` + strings.Repeat("x", 501) + `"}`, "description"},
		} {
			m := api("POST", "/api/v1/webhooks", c.body, http.StatusUnprocessableEntity)
			if fieldOf(m)[c.field] == nil {
				t.Errorf("%s: no message for %s in %v", c.body, c.field, m)
			}
		}
		api("POST", "/api/v1/webhooks", `{"url":"https://example.com/h","events":["user.created"],"secret":"mine"}`, http.StatusBadRequest)

		m := api("POST", "/api/v1/webhooks", `{"url":"`+recv.URL+`/api","events":["user.created"],"description":"from the API"}`, http.StatusCreated)
		id := int64(m["id"].(float64))
		secret, _ := m["secret"].(string)
		if _, stored, _ := hooks.WebhookTarget(w.ctx, id); secret == "" || secret != stored || m["enabled"] != true {
			t.Errorf("create: %v", m)
		}
		path := "/api/v1/webhooks/" + itoa(id)
		if got := api("GET", path, "", http.StatusOK); got["secret"] != nil || got["url"] != recv.URL+"/api" {
			t.Errorf("GET: %v", got)
		}
		list := api("GET", "/api/v1/webhooks", "", http.StatusOK)
		if l, _ := list["webhooks"].([]any); len(l) == 0 || strings.Contains(mustJSON(t, list), secret) {
			t.Errorf("list: %v", list)
		}

		if f := fieldOf(api("PATCH", path, `{"url":"gopher://x"}`, http.StatusUnprocessableEntity)); f["url"] == nil {
			t.Errorf("PATCH bad url: %v", f)
		}
		got := api("PATCH", path, `{"description":"renamed","enabled":false}`, http.StatusOK)
		if got["description"] != "renamed" || got["enabled"] != false || got["url"] != recv.URL+"/api" {
			t.Errorf("PATCH: %v", got)
		}
		api("PATCH", path, `{"enabled":true}`, http.StatusOK)

		rot := api("POST", path+"/rotate-secret", "", http.StatusOK)
		if s, _ := rot["secret"].(string); s == "" || s == secret {
			t.Errorf("rotate: %v", rot)
		}

		w.user(t, "api1")
		w.user(t, "api2")
		w.deliverWebhooks(t, id, roster.WebhookDisablePolicy{})
		page := api("GET", path+"/deliveries?limit=1", "", http.StatusOK)
		ds, _ := page["deliveries"].([]any)
		if len(ds) != 1 || page["next_before"] == nil {
			t.Fatalf("first page: %v", page)
		}
		d := ds[0].(map[string]any)
		last, _ := d["last_attempt"].(map[string]any)
		if d["event"] != "user.created" || d["status"] != "delivered" || last["status_code"] != float64(200) || last["response"] != `{"ok":true}` {
			t.Errorf("delivery: %v", d)
		}
		next := api("GET", path+"/deliveries?limit=1&before="+itoa(int64(page["next_before"].(float64))), "", http.StatusOK)
		if nd, _ := next["deliveries"].([]any); len(nd) != 1 || nd[0].(map[string]any)["id"] == d["id"] {
			t.Errorf("second page: %v", next)
		}
		api("GET", path+"/deliveries?limit=0", "", http.StatusUnprocessableEntity)

		did := itoa(int64(d["id"].(float64)))
		re := api("POST", path+"/deliveries/"+did+"/replay", "", http.StatusAccepted)
		if re["status"] != "queued" {
			t.Errorf("replay: %v", re)
		}
		if m := api("POST", path+"/deliveries/"+did+"/replay", "", http.StatusConflict); m["error"].(map[string]any)["code"] != roster.ECONFLICT {
			t.Errorf("replay again: %v", m)
		}
		api("POST", path+"/deliveries/999999/replay", "", http.StatusNotFound)
		other, od := w.deliveredWebhook(t)
		api("POST", path+"/deliveries/"+itoa(od.ID)+"/replay", "", http.StatusNotFound)

		api("DELETE", path, "", http.StatusNoContent)
		if m := api("GET", path, "", http.StatusNotFound); m["error"].(map[string]any)["code"] != roster.ENOTFOUND {
			t.Errorf("GET deleted: %v", m)
		}
		api("DELETE", path, "", http.StatusNotFound)
		api("GET", "/api/v1/webhooks/nope", "", http.StatusNotFound)
		api("GET", "/api/v1/webhooks/"+itoa(other.ID)+"/deliveries", "", http.StatusOK)
	})
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
