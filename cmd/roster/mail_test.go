package main

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"roster/deliver/smtptest"
)

// TestServeMail runs serve with a mail server, as an operator sets it up:
// an invite made through the API reaches the SMTP server with a link on
// the public URL, and following it lets the user sign in.
func TestServeMail(t *testing.T) {
	smtp := smtptest.Start(t)
	env := map[string]string{
		"ROSTER_DATA": t.TempDir(), "ROSTER_LOG_LEVEL": "error",
		"ROSTER_SMTP_URL": smtp.URL(), "ROSTER_MAIL_FROM": "Acme <roster@acme.example>",
		"ROSTER_PUBLIC_URL": "https://roster.acme.example/",
	}
	mustCLI(t, env, "a-long-staff-password\n", "staff", "create", "--email", "owner@acme.example", "--role", "owner")
	out, _ := mustCLI(t, env, "", "token", "create", "--staff", "owner@acme.example", "--name", "test")
	auth := map[string]string{"Authorization": "Bearer " + strings.TrimSpace(out), "Content-Type": "application/json"}
	srv := startServe(t, env, "serve", "--addr", "127.0.0.1:0")
	defer srv.stop(t)
	_, noFollow := clients(t)

	resp, body := do(t, noFollow, http.MethodPost, srv.base+"/api/v1/users", strings.NewReader(`{"email":"ivy@example.com"}`), auth)
	wantStatus(t, "create user", resp, body, http.StatusCreated)
	id := regexp.MustCompile(`"id":"([^"]+)"`).FindStringSubmatch(body)[1]
	resp, body = do(t, noFollow, http.MethodPost, srv.base+"/api/v1/users/"+id+"/invite", nil, auth)
	wantStatus(t, "invite", resp, body, http.StatusAccepted)

	m := smtp.Wait(t, 1, 10*time.Second)[0]
	if m.From != "roster@acme.example" || m.To[0] != "ivy@example.com" {
		t.Errorf("envelope from %s to %v", m.From, m.To)
	}
	p, err := m.Parse()
	if err != nil {
		t.Fatal(err)
	}
	link := regexp.MustCompile(`https://roster\.acme\.example(/u/invite/[A-Za-z0-9_-]+)`).FindStringSubmatch(p.Text)
	if link == nil {
		t.Fatalf("no invite link on the public URL in:\n%s", p.Text)
	}
	resp, body = postForm(t, noFollow, srv.base+link[1], url.Values{"password": {"a password she chose"}, "password_again": {"a password she chose"}})
	wantStatus(t, "accept the invite", resp, body, http.StatusOK)
	resp, body = do(t, noFollow, http.MethodPost, srv.base+"/api/v1/users/authenticate", strings.NewReader(`{"login":"ivy@example.com","password":"a password she chose"}`), auth)
	wantStatus(t, "sign in", resp, body, http.StatusOK)
	if !strings.Contains(body, `"status":"active"`) {
		t.Errorf("after accepting, the user is not active: %s", body)
	}
	if err := srv.stop(t); err != nil {
		t.Fatalf("stop: %v", err)
	}
}
