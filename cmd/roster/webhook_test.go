package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"roster"
)

// signedEvent is a request the receiver got, with whether its signature
// verified with the secret the API gave.
type signedEvent struct {
	ID, Type, UserID string
	Verified         bool
}

// TestServeWebhooks runs serve as an operator sets webhooks up: an
// endpoint made through the API, then a user made through the API, and the
// receiver gets a user.created signed with the endpoint's secret.
func TestServeWebhooks(t *testing.T) {
	secret := make(chan string, 1)
	got := make(chan signedEvent, 10)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var key string
		select {
		case key = <-secret:
			secret <- key
		case <-time.After(5 * time.Second):
		}
		ts, _ := strconv.ParseInt(r.Header.Get("webhook-timestamp"), 10, 64)
		want, err := roster.SignWebhook(key, r.Header.Get("webhook-id"), ts, body)
		var p struct {
			Type string `json:"type"`
			Data struct {
				UserID string `json:"user_id"`
			} `json:"data"`
		}
		_ = json.Unmarshal(body, &p)
		got <- signedEvent{ID: r.Header.Get("webhook-id"), Type: p.Type, UserID: p.Data.UserID,
			Verified: err == nil && key != "" && r.Header.Get("webhook-signature") == want && time.Since(time.Unix(ts, 0)).Abs() < time.Minute}
	}))
	defer recv.Close()

	env := map[string]string{"ROSTER_DATA": t.TempDir(), "ROSTER_LOG_LEVEL": "error", "ROSTER_WEBHOOKS_ALLOW_PRIVATE": "true"}
	mustCLI(t, env, "a-long-staff-password\n", "staff", "create", "--email", "owner@acme.example", "--role", "owner")
	out, _ := mustCLI(t, env, "", "token", "create", "--staff", "owner@acme.example", "--name", "test")
	auth := map[string]string{"Authorization": "Bearer " + strings.TrimSpace(out), "Content-Type": "application/json"}
	srv := startServe(t, env, "serve", "--addr", "127.0.0.1:0")
	defer srv.stop(t)
	_, noFollow := clients(t)

	resp, body := do(t, noFollow, http.MethodPost, srv.base+"/api/v1/webhooks", strings.NewReader(`{"url":"`+recv.URL+`/hooks","events":["user.created"]}`), auth)
	wantStatus(t, "create webhook", resp, body, http.StatusCreated)
	var hook struct {
		ID     int64  `json:"id"`
		Secret string `json:"secret"`
	}
	if err := json.Unmarshal([]byte(body), &hook); err != nil || hook.Secret == "" {
		t.Fatalf("create webhook: %v %s", err, body)
	}
	secret <- hook.Secret

	resp, body = do(t, noFollow, http.MethodPost, srv.base+"/api/v1/users", strings.NewReader(`{"email":"ivy@example.com"}`), auth)
	wantStatus(t, "create user", resp, body, http.StatusCreated)
	var user struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal([]byte(body), &user); err != nil {
		t.Fatal(err)
	}
	select {
	case ev := <-got:
		if ev.Type != string(roster.EventUserCreated) || ev.UserID != user.ID || !ev.Verified || !strings.HasPrefix(ev.ID, "msg_") {
			t.Errorf("the receiver got %+v, want a verified user.created about %s", ev, user.ID)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no webhook within 30s of the user's creation")
	}
	resp, body = do(t, noFollow, http.MethodGet, srv.base+"/api/v1/webhooks/"+strconv.FormatInt(hook.ID, 10)+"/deliveries", nil, auth)
	wantStatus(t, "deliveries", resp, body, http.StatusOK)
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(body, `"status":"delivered"`) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		_, body = do(t, noFollow, http.MethodGet, srv.base+"/api/v1/webhooks/"+strconv.FormatInt(hook.ID, 10)+"/deliveries", nil, auth)
	}
	if !strings.Contains(body, `"status":"delivered"`) {
		t.Errorf("the delivery log does not say delivered: %s", body)
	}
	if err := srv.stop(t); err != nil {
		t.Fatalf("stop: %v", err)
	}
}

// TestServeWebhooksRefusePrivate checks the default: without
// ROSTER_WEBHOOKS_ALLOW_PRIVATE, serve's worker does not connect to a
// loopback receiver, and the log says why.
func TestServeWebhooksRefusePrivate(t *testing.T) {
	hits := make(chan struct{}, 10)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits <- struct{}{} }))
	defer recv.Close()
	env := map[string]string{"ROSTER_DATA": t.TempDir(), "ROSTER_LOG_LEVEL": "error"}
	mustCLI(t, env, "a-long-staff-password\n", "staff", "create", "--email", "owner@acme.example", "--role", "owner")
	out, _ := mustCLI(t, env, "", "token", "create", "--staff", "owner@acme.example", "--name", "test")
	auth := map[string]string{"Authorization": "Bearer " + strings.TrimSpace(out), "Content-Type": "application/json"}
	srv := startServe(t, env, "serve", "--addr", "127.0.0.1:0")
	defer srv.stop(t)
	_, noFollow := clients(t)
	resp, body := do(t, noFollow, http.MethodPost, srv.base+"/api/v1/webhooks", strings.NewReader(`{"url":"`+recv.URL+`/hooks","events":["user.created"]}`), auth)
	wantStatus(t, "create webhook", resp, body, http.StatusCreated)
	id := strconv.Itoa(int(mustNumber(t, body, "id")))
	resp, body = do(t, noFollow, http.MethodPost, srv.base+"/api/v1/users", strings.NewReader(`{"email":"ivy@example.com"}`), auth)
	wantStatus(t, "create user", resp, body, http.StatusCreated)
	deadline := time.Now().Add(15 * time.Second)
	for {
		_, body = do(t, noFollow, http.MethodGet, srv.base+"/api/v1/webhooks/"+id+"/deliveries", nil, auth)
		if strings.Contains(body, "forbidden target address") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no refused attempt in the log after 15s: %s", body)
		}
		time.Sleep(50 * time.Millisecond)
	}
	select {
	case <-hits:
		t.Error("the loopback receiver was reached without ROSTER_WEBHOOKS_ALLOW_PRIVATE")
	default:
	}
}

func mustNumber(t *testing.T, body, key string) float64 {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatal(err)
	}
	n, ok := m[key].(float64)
	if !ok {
		t.Fatalf("no number %q in %s", key, body)
	}
	return n
}
