package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"roster"
	"roster/sqldb"
	"roster/web/openapitest"
)

// These tests run the real program through Run, with their own streams,
// environment and a temporary SQLite data directory.

// syncBuffer is an io.Writer that the server goroutines can write to while
// the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// envFunc returns a getenv over m, so that tests never read the real
// environment.
func envFunc(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// runCLI runs one command to completion.
func runCLI(t *testing.T, env map[string]string, stdin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out, errb bytes.Buffer
	err = Run(ctx, args, strings.NewReader(stdin), &out, &errb, envFunc(env))
	return out.String(), errb.String(), err
}

// mustCLI runs a command that must succeed.
func mustCLI(t *testing.T, env map[string]string, stdin string, args ...string) (stdout, stderr string) {
	t.Helper()
	stdout, stderr, err := runCLI(t, env, stdin, args...)
	if err != nil {
		t.Fatalf("roster %s: got error %v, want nil\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, stdout, stderr)
	}
	return stdout, stderr
}

// server is a `roster serve` running in a goroutine.
type server struct {
	addr   string // host:port
	base   string // http://host:port
	stdout *syncBuffer
	stderr *syncBuffer
	cancel context.CancelFunc
	done   chan error
	once   sync.Once
	err    error
}

var runningRE = regexp.MustCompile(`Roster is running at http://(\S+)\n`)

// startServe runs Run with args until it prints the line that says it is
// serving. It fails the test if Run returns first.
func startServe(t *testing.T, env map[string]string, args ...string) *server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &server{stdout: &syncBuffer{}, stderr: &syncBuffer{}, cancel: cancel, done: make(chan error, 1)}
	go func() {
		s.done <- Run(ctx, args, strings.NewReader(""), s.stdout, s.stderr, envFunc(env))
	}()
	t.Cleanup(func() { s.stop(t) })
	deadline := time.Now().Add(4 * time.Minute)
	for {
		if m := runningRE.FindStringSubmatch(s.stdout.String()); m != nil {
			s.addr = m[1]
			s.base = "http://" + m[1]
			waitReady(t, s.base)
			return s
		}
		select {
		case err := <-s.done:
			s.once.Do(func() { s.err = err })
			t.Fatalf("roster %s returned before serving: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, s.stdout, s.stderr)
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("roster %s: no %q line after 4 minutes\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), "Roster is running at", s.stdout, s.stderr)
		}
	}
}

// waitReady polls /readyz until the node is ready: it serves at once, but
// says it is not ready (503) until its search index is built.
func waitReady(t *testing.T, base string) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
			if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(b), "not ready") {
				t.Fatalf("GET /readyz: %d %s, want 200 or a 503 not-ready answer", resp.StatusCode, b)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("not ready after 2 minutes: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop cancels the server's context and returns what Run returned. Run
// must return within a few seconds: shutdown is graceful and nothing is in
// flight.
func (s *server) stop(t *testing.T) error {
	t.Helper()
	s.once.Do(func() {
		s.cancel()
		select {
		case s.err = <-s.done:
		case <-time.After(10 * time.Second):
			s.err = errors.New("Run did not return within 10s of cancelling its context")
		}
	})
	return s.err
}

// clients returns two HTTP clients sharing one cookie jar: follow follows
// redirects, noFollow returns them as they are.
func clients(t *testing.T) (follow, noFollow *http.Client) {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	follow = &http.Client{Jar: jar, Transport: tr, Timeout: 10 * time.Second}
	noFollow = &http.Client{Jar: jar, Transport: tr, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return follow, noFollow
}

// do sends a request and returns the response with its body read.
func do(t *testing.T, c *http.Client, method, url string, body io.Reader, header map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", method, url, err)
	}
	checkAPIAnswer(t, req, resp, b)
	return resp, string(b)
}

// apiCheckers are the API description checkers of the servers the tests
// called, by address.
var apiCheckers sync.Map // "http://host:port" → *openapitest.Checker

// checkAPIAnswer checks an answer of the JSON API against the description
// its server serves (GET /api/openapi.json): every API call of these
// tests goes through do, so each checks the description by running.
func checkAPIAnswer(t *testing.T, req *http.Request, resp *http.Response, body []byte) {
	t.Helper()
	if !strings.HasPrefix(req.URL.Path, "/api/") || req.URL.Path == "/api/openapi.json" {
		return
	}
	base := req.URL.Scheme + "://" + req.URL.Host
	v, ok := apiCheckers.Load(base)
	if !ok {
		r, err := http.Get(base + "/api/openapi.json")
		if err != nil {
			t.Fatalf("the API description: %v", err)
		}
		doc, err := io.ReadAll(r.Body)
		r.Body.Close()
		if err != nil || r.StatusCode != http.StatusOK {
			t.Fatalf("the API description: %d %v", r.StatusCode, err)
		}
		c, err := openapitest.New(doc)
		if err != nil {
			t.Fatal(err)
		}
		v, _ = apiCheckers.LoadOrStore(base, c)
	}
	if err := v.(*openapitest.Checker).Check(req, resp.StatusCode, resp.Header, body); err != nil {
		t.Error(err)
	}
}

// postForm posts form values as a browser form would.
func postForm(t *testing.T, c *http.Client, url string, form url.Values) (*http.Response, string) {
	t.Helper()
	return do(t, c, http.MethodPost, url, strings.NewReader(form.Encode()),
		map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
}

func wantStatus(t *testing.T, what string, resp *http.Response, body string, want int) {
	t.Helper()
	if resp.StatusCode != want {
		t.Fatalf("%s: got status %d, want %d\nbody:\n%s", what, resp.StatusCode, want, body)
	}
}

func wantRedirect(t *testing.T, what string, resp *http.Response, body, location string) {
	t.Helper()
	wantStatus(t, what, resp, body, http.StatusSeeOther)
	if got := resp.Header.Get("Location"); got != location {
		t.Fatalf("%s: got Location %q, want %q", what, got, location)
	}
}

var (
	demoEmailRE    = regexp.MustCompile(`(?m)^\s*Email:\s+(\S+)\s*$`)
	demoPasswordRE = regexp.MustCompile(`(?m)^\s*Password:\s+(\S+)`)
	csrfRE         = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
)

func TestServeDemo(t *testing.T) {
	dir := t.TempDir()
	args := []string{"serve", "--demo", "--addr", "127.0.0.1:0", "--data", dir}
	srv := startServe(t, nil, args...)
	out := srv.stdout.String()
	em := demoEmailRE.FindStringSubmatch(out)
	pm := demoPasswordRE.FindStringSubmatch(out)
	if em == nil || pm == nil {
		t.Fatalf("demo banner: no Email:/Password: lines in stdout:\n%s", out)
	}
	email, pw := em[1], pm[1]
	if email != demoOwner {
		t.Errorf("demo email: got %q, want %q", email, demoOwner)
	}
	if len(pw) < roster.StaffPasswords.Min {
		t.Errorf("demo password %q: got %d characters, want at least %d", pw, len(pw), roster.StaffPasswords.Min)
	}
	if i, j := strings.Index(out, "Password:"), strings.Index(out, "Roster is running at"); i > j {
		t.Errorf("stdout: the demo banner comes after the running line:\n%s", out)
	}

	follow, noFollow := clients(t)
	base := srv.base

	// Probes.
	for _, p := range []string{"/healthz", "/readyz"} {
		resp, body := do(t, noFollow, http.MethodGet, base+p, nil, nil)
		wantStatus(t, "GET "+p, resp, body, http.StatusOK)
	}

	// Signed out, the home page sends to the sign-in page.
	resp, body := do(t, noFollow, http.MethodGet, base+"/", nil, nil)
	wantRedirect(t, "GET / without a session", resp, body, "/signin")

	resp, body = do(t, follow, http.MethodGet, base+"/signin", nil, nil)
	wantStatus(t, "GET /signin", resp, body, http.StatusOK)
	for _, want := range []string{`<form method="post" action="/signin"`, `name="email"`, `name="password"`} {
		if !strings.Contains(body, want) {
			t.Errorf("GET /signin: body does not contain %q:\n%s", want, body)
		}
	}

	// A wrong password is refused with the sign-in page again.
	resp, body = postForm(t, noFollow, base+"/signin", url.Values{"email": {email}, "password": {"wrong-password-123"}})
	wantStatus(t, "POST /signin with a wrong password", resp, body, http.StatusUnauthorized)
	if !strings.Contains(body, "Invalid email or password") {
		t.Errorf("POST /signin with a wrong password: body does not contain %q:\n%s", "Invalid email or password", body)
	}
	if len(resp.Cookies()) != 0 {
		t.Errorf("POST /signin with a wrong password: got cookies %v, want none", resp.Cookies())
	}

	// Sign in.
	resp, body = postForm(t, noFollow, base+"/signin", url.Values{"email": {email}, "password": {pw}})
	wantRedirect(t, "POST /signin", resp, body, "/")
	var session *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "roster_session" {
			session = c
		}
	}
	if session == nil {
		t.Fatalf("POST /signin: no roster_session cookie in Set-Cookie %q", resp.Header.Values("Set-Cookie"))
	}
	if !session.HttpOnly {
		t.Errorf("session cookie: got HttpOnly false, want true (Set-Cookie %q)", resp.Header.Values("Set-Cookie"))
	}
	if session.SameSite != http.SameSiteLaxMode {
		t.Errorf("session cookie: got SameSite %v, want Lax (Set-Cookie %q)", session.SameSite, resp.Header.Values("Set-Cookie"))
	}
	if session.Secure {
		t.Errorf("session cookie: got Secure over plain HTTP without --secure-cookies, want not Secure")
	}
	if session.Path != "/" {
		t.Errorf("session cookie: got Path %q, want %q", session.Path, "/")
	}

	resp, body = do(t, follow, http.MethodGet, base+resp.Header.Get("Location"), nil, nil)
	wantStatus(t, "GET / signed in", resp, body, http.StatusOK)
	if !strings.Contains(body, "Dashboard") {
		t.Errorf("GET / signed in: body does not contain %q:\n%s", "Dashboard", body)
	}
	if !strings.Contains(body, ">10000<") && !strings.Contains(body, ">10,000<") {
		t.Errorf("GET / signed in: body does not show the user count 10000:\n%s", body)
	}
	if !strings.Contains(body, email) {
		t.Errorf("GET / signed in: body does not name the signed-in staff %q", email)
	}
	m := csrfRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("GET / signed in: no csrf input in the sign-out form:\n%s", body)
	}
	csrf := m[1]

	// Signing out needs the CSRF token, even with the session cookie.
	resp, body = postForm(t, noFollow, base+"/signout", url.Values{})
	wantStatus(t, "POST /signout without csrf", resp, body, http.StatusForbidden)
	resp, body = postForm(t, noFollow, base+"/signout", url.Values{"csrf": {"not-the-token"}})
	wantStatus(t, "POST /signout with a wrong csrf", resp, body, http.StatusForbidden)
	resp, body = do(t, noFollow, http.MethodGet, base+"/", nil, nil)
	wantStatus(t, "GET / after refused sign-outs", resp, body, http.StatusOK)

	resp, body = postForm(t, noFollow, base+"/signout", url.Values{"csrf": {csrf}})
	wantRedirect(t, "POST /signout", resp, body, "/signin")
	resp, body = do(t, noFollow, http.MethodGet, base+"/", nil, nil)
	wantRedirect(t, "GET / after sign-out", resp, body, "/signin")

	// The session ended on the server too, not only in the browser.
	req, _ := http.NewRequest(http.MethodGet, base+"/", nil)
	req.AddCookie(&http.Cookie{Name: session.Name, Value: session.Value})
	bare := &http.Client{Timeout: 10 * time.Second, CheckRedirect: noFollow.CheckRedirect, Transport: noFollow.Transport}
	old, err := bare.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	old.Body.Close()
	if old.StatusCode != http.StatusSeeOther || old.Header.Get("Location") != "/signin" {
		t.Errorf("GET / with the signed-out session's cookie: got %d Location %q, want 303 to /signin", old.StatusCode, old.Header.Get("Location"))
	}

	// Graceful shutdown.
	start := time.Now()
	if err := srv.stop(t); err != nil {
		t.Fatalf("Run after cancel: got %v, want nil\nstderr:\n%s", err, srv.stderr)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("shutdown took %s, want under 5s", d)
	}

	// A second --demo on the same data keeps it and prints no password.
	again := startServe(t, nil, args...)
	out = again.stdout.String()
	if !strings.Contains(out, "Demo data is already here (10000 users)") {
		t.Errorf("second serve --demo: stdout does not say the demo data is already here:\n%s", out)
	}
	if strings.Contains(out, "Password:") || strings.Contains(out, pw) {
		t.Errorf("second serve --demo: stdout prints a password:\n%s", out)
	}
	if err := again.stop(t); err != nil {
		t.Fatalf("second Run after cancel: got %v, want nil\nstderr:\n%s", err, again.stderr)
	}
}

// apiCall sends a JSON API request with an optional bearer token and
// decodes the JSON answer into a map.
func apiCall(t *testing.T, c *http.Client, method, url, token, body string) (int, map[string]any) {
	t.Helper()
	h := map[string]string{}
	if token != "" {
		h["Authorization"] = "Bearer " + token
	}
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
		h["Content-Type"] = "application/json"
	}
	resp, raw := do(t, c, method, url, r, h)
	var m map[string]any
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		t.Fatalf("%s %s: answer is not a JSON object: %v\n%s", method, url, err, raw)
	}
	return resp.StatusCode, m
}

func TestCLI(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{}
	cli := func(stdin string, args ...string) (string, string, error) {
		t.Helper()
		return runCLI(t, env, stdin, append(args, "--data", dir)...)
	}
	must := func(stdin string, args ...string) (string, string) {
		t.Helper()
		return mustCLI(t, env, stdin, append(args, "--data", dir)...)
	}

	out, _ := must("", "migrate")
	if !strings.Contains(out, "up to date") {
		t.Errorf("migrate: got stdout %q, want it to say up to date", out)
	}
	if _, err := os.Stat(filepath.Join(dir, "roster.db")); err != nil {
		t.Errorf("migrate: no database file: %v", err)
	}

	out, _ = must("supersecret-password\n", "staff", "create", "--email", "a@example.com", "--role", "viewer")
	if !strings.Contains(out, "a@example.com") || !strings.Contains(out, "viewer") {
		t.Errorf("staff create: got stdout %q, want it to name a@example.com and viewer", out)
	}
	if strings.Contains(out, "Password:") {
		t.Errorf("staff create with a given password: stdout prints a password: %q", out)
	}

	out, _ = must("", "staff", "create", "--email", "b@example.com", "--role", "support", "--name", "Bea")
	pm := demoPasswordRE.FindStringSubmatch(out)
	if pm == nil {
		t.Fatalf("staff create with empty stdin: got stdout %q, want a generated Password: line", out)
	}
	if len(pm[1]) < roster.StaffPasswords.Min {
		t.Errorf("generated password %q: got %d characters, want at least %d", pm[1], len(pm[1]), roster.StaffPasswords.Min)
	}

	if _, _, err := cli("supersecret-password\n", "staff", "create", "--email", "c@example.com", "--role", "superuser"); err == nil {
		t.Errorf("staff create --role superuser: got nil error, want one")
	} else if !strings.Contains(roster.ErrorMessageOr(err), "role") {
		t.Errorf("staff create --role superuser: got error %q, want it to mention role", roster.ErrorMessageOr(err))
	}
	if _, _, err := cli("short\n", "staff", "create", "--email", "c@example.com", "--role", "viewer"); err == nil {
		t.Errorf("staff create with a 5-character password: got nil error, want one")
	}
	if _, _, err := cli("", "staff", "create", "--role", "viewer"); err == nil {
		t.Errorf("staff create without --email: got nil error, want one")
	}
	_, _, err := cli("supersecret-password\n", "staff", "create", "--email", "A@Example.com", "--role", "admin")
	if err == nil {
		t.Errorf("staff create with a taken email (other case): got nil error, want one")
	} else {
		if !strings.Contains(err.Error(), "email") || !strings.Contains(roster.ErrorMessageOr(err), "email") {
			t.Errorf("staff create with a taken email: got error %q (shown as %q), want it to mention email", err, roster.ErrorMessageOr(err))
		}
		if roster.ErrorCode(err) != roster.ECONFLICT {
			t.Errorf("staff create with a taken email: got code %q, want %q", roster.ErrorCode(err), roster.ECONFLICT)
		}
	}

	out, _ = must("", "staff", "list")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 {
		t.Errorf("staff list: got %d lines, want a header and 2 accounts:\n%s", len(lines), out)
	}
	for _, want := range [][]string{{"a@example.com", "viewer"}, {"b@example.com", "Bea", "support"}} {
		found := false
		for _, l := range lines {
			if strings.Contains(l, want[0]) {
				found = true
				for _, w := range want[1:] {
					if !strings.Contains(l, w) {
						t.Errorf("staff list: line %q does not contain %q", l, w)
					}
				}
				if !strings.Contains(l, "never") {
					t.Errorf("staff list: line %q: want last sign-in never", l)
				}
			}
		}
		if !found {
			t.Errorf("staff list: no line for %s:\n%s", want[0], out)
		}
	}

	out, errOut := must("", "token", "create", "--staff", "a@example.com", "--name", "ci")
	viewerToken := strings.TrimSpace(out)
	if !strings.HasPrefix(viewerToken, "rst_") || strings.ContainsAny(viewerToken, " \n") {
		t.Fatalf("token create: got stdout %q, want one token starting with rst_", out)
	}
	if strings.Contains(errOut, viewerToken) {
		t.Errorf("token create: stderr repeats the secret: %q", errOut)
	}
	if _, _, err := cli("", "token", "create", "--staff", "nobody@example.com", "--name", "ci"); err == nil {
		t.Errorf("token create for an unknown staff: got nil error, want one")
	}

	out, _ = must("another-long-password\n", "staff", "password", "--email", "a@example.com")
	if !strings.Contains(out, "a@example.com") || strings.Contains(out, "Password:") {
		t.Errorf("staff password: got stdout %q, want it to name a@example.com and print no password", out)
	}
	if _, _, err := cli("another-long-password\n", "staff", "password", "--email", "nobody@example.com"); err == nil {
		t.Errorf("staff password for an unknown staff: got nil error, want one")
	}

	out, _ = must("supersecret-password\n", "staff", "create", "--email", "admin@example.com", "--role", "admin")
	if !strings.Contains(out, "admin@example.com") {
		t.Errorf("staff create admin: got stdout %q", out)
	}
	out, _ = must("", "token", "create", "--staff", "admin@example.com", "--name", "ops")
	adminToken := strings.TrimSpace(out)
	if !strings.HasPrefix(adminToken, "rst_") {
		t.Fatalf("token create for admin: got stdout %q, want a token starting with rst_", out)
	}

	srv := startServe(t, env, "serve", "--addr", "127.0.0.1:0", "--data", dir)
	if strings.Contains(srv.stdout.String(), "Password:") {
		t.Errorf("serve without --demo: stdout prints a password:\n%s", srv.stdout)
	}
	_, c := clients(t)
	api := srv.base + "/api/v1"

	// The viewer can read but not write; no token is 401.
	if code, body := apiCall(t, c, http.MethodGet, api+"/fields", viewerToken, ""); code != http.StatusOK {
		t.Errorf("GET /api/v1/fields as viewer: got %d, want 200: %v", code, body)
	} else if fs, _ := body["fields"].([]any); len(fs) == 0 {
		t.Errorf("GET /api/v1/fields as viewer: got no fields: %v", body)
	}
	if code, body := apiCall(t, c, http.MethodPost, api+"/users", viewerToken, `{"email":"viewer-made@example.com"}`); code != http.StatusForbidden {
		t.Errorf("POST /api/v1/users as viewer: got %d, want 403: %v", code, body)
	}
	if code, body := apiCall(t, c, http.MethodGet, api+"/fields", "", ""); code != http.StatusUnauthorized {
		t.Errorf("GET /api/v1/fields without a token: got %d, want 401: %v", code, body)
	}
	if code, body := apiCall(t, c, http.MethodGet, api+"/fields", "rst_not-a-real-token", ""); code != http.StatusUnauthorized {
		t.Errorf("GET /api/v1/fields with a made-up token: got %d, want 401: %v", code, body)
	}
	if code, body := apiCall(t, c, http.MethodGet, api+"/audit", viewerToken, ""); code != http.StatusForbidden {
		t.Errorf("GET /api/v1/audit as viewer: got %d, want 403: %v", code, body)
	}

	// The admin creates a user and reads it back.
	code, created := apiCall(t, c, http.MethodPost, api+"/users", adminToken, `{"email":"new@example.com"}`)
	if code != http.StatusCreated {
		t.Fatalf("POST /api/v1/users as admin: got %d, want 201: %v", code, created)
	}
	id, _ := created["id"].(string)
	if id == "" || created["email"] != "new@example.com" {
		t.Fatalf("POST /api/v1/users as admin: got id %q email %v, want an id and new@example.com", id, created["email"])
	}
	code, got := apiCall(t, c, http.MethodGet, api+"/users/"+id, adminToken, "")
	if code != http.StatusOK {
		t.Fatalf("GET /api/v1/users/%s: got %d, want 200: %v", id, code, got)
	}
	if got["id"] != id || got["email"] != "new@example.com" {
		t.Errorf("GET /api/v1/users/%s: got id %v email %v, want %s new@example.com", id, got["id"], got["email"], id)
	}
	if code, body := apiCall(t, c, http.MethodGet, api+"/users/"+id, viewerToken, ""); code != http.StatusOK {
		t.Errorf("GET /api/v1/users/%s as viewer: got %d, want 200: %v", id, code, body)
	}

	// The audit log names who did what: the admin through the API, the
	// CLI for accounts made on the command line.
	code, audit := apiCall(t, c, http.MethodGet, api+"/audit?limit=1000", adminToken, "")
	if code != http.StatusOK {
		t.Fatalf("GET /api/v1/audit as admin: got %d, want 200: %v", code, audit)
	}
	entries, _ := audit["entries"].([]any)
	actions := map[string][]string{} // action -> actors
	userCreate := false
	for _, e := range entries {
		m, _ := e.(map[string]any)
		action, _ := m["action"].(string)
		actor, _ := m["actor"].(string)
		actions[action] = append(actions[action], actor)
		if action == "user.create" && m["target_id"] == id {
			userCreate = true
			if actor != "admin@example.com" {
				t.Errorf("audit user.create: got actor %q, want admin@example.com", actor)
			}
			if n, _ := m["actor_id"].(float64); n == 0 {
				t.Errorf("audit user.create: got actor_id 0, want the admin's staff id")
			}
		}
	}
	if !userCreate {
		t.Errorf("audit: no user.create entry for %s; got actions %v", id, actions)
	}
	if got := actions["staff.create"]; len(got) != 3 {
		t.Errorf("audit staff.create: got %d entries (actors %v), want 3", len(got), got)
	}
	for _, a := range []string{"staff.create", "token.create", "staff.update"} {
		if len(actions[a]) == 0 {
			t.Errorf("audit: no %s entry; got actions %v", a, actions)
		}
		for _, actor := range actions[a] {
			if actor != "cli" {
				t.Errorf("audit %s: got actor %q, want cli", a, actor)
			}
		}
	}

	// The password set by `staff password` is the one that signs in.
	_, web := clients(t)
	resp, body := postForm(t, web, srv.base+"/signin", url.Values{"email": {"a@example.com"}, "password": {"supersecret-password"}})
	wantStatus(t, "sign in with the replaced password", resp, body, http.StatusUnauthorized)
	resp, body = postForm(t, web, srv.base+"/signin", url.Values{"email": {"a@example.com"}, "password": {"another-long-password"}})
	wantRedirect(t, "sign in with the new password", resp, body, "/")
	resp, body = do(t, web, http.MethodGet, srv.base+"/", nil, nil)
	wantStatus(t, "GET / as the viewer", resp, body, http.StatusOK)

	// Changing a password from the CLI, next to the running server, ends
	// that account's sessions.
	if _, _, err := cli("short\n", "staff", "password", "--email", "a@example.com"); err == nil {
		t.Errorf("staff password with a 5-character password: got nil error, want one")
	}
	must("third-long-password\n", "staff", "password", "--email", "a@example.com")
	resp, body = do(t, web, http.MethodGet, srv.base+"/", nil, nil)
	wantRedirect(t, "GET / after the password changed", resp, body, "/signin")

	if err := srv.stop(t); err != nil {
		t.Fatalf("Run after cancel: got %v, want nil\nstderr:\n%s", err, srv.stderr)
	}
}

// scanUsers returns every user of the SQLite database in dir, in id order.
func scanUsers(t *testing.T, dir string) []*roster.User {
	t.Helper()
	ctx := context.Background()
	db, err := sqldb.Open(ctx, sqldb.Config{DataDir: dir})
	if err != nil {
		t.Fatalf("open %s: %v", dir, err)
	}
	defer db.Close()
	var users []*roster.User
	err = sqldb.NewUserService(db).ScanUsers(ctx, 0, 1000, func(u *roster.User) error {
		users = append(users, u)
		return nil
	})
	if err != nil {
		t.Fatalf("scan users of %s: %v", dir, err)
	}
	return users
}

// timeless returns a copy of u without the fields the generator derives
// from the time it runs at.
func timeless(u *roster.User) roster.User {
	c := *u
	c.CreatedAt, c.UpdatedAt = time.Time{}, time.Time{}
	c.LastInteraction, c.LastVisit, c.LastLogin, c.NewsletterAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	c.EmailConfirmedAt, c.PasswordSetAt = time.Time{}, time.Time{} // set when the seed stored them
	c.BirthDate = roster.Date{}
	return c
}

// userDiff names the fields in which a and b differ.
func userDiff(a, b roster.User) []string {
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	var diff []string
	for i := range va.NumField() {
		if !reflect.DeepEqual(va.Field(i).Interface(), vb.Field(i).Interface()) {
			diff = append(diff, va.Type().Field(i).Name)
		}
	}
	return diff
}

func TestSeedDeterministic(t *testing.T) {
	dirA, dirB := t.TempDir(), t.TempDir()
	for _, dir := range []string{dirA, dirB} {
		out, _ := mustCLI(t, nil, "", "seed", "--users", "300", "--seed", "7", "--data", dir)
		if !strings.Contains(out, "Added 300 demo users") {
			t.Errorf("seed into %s: got stdout %q, want it to say Added 300 demo users", dir, out)
		}
	}
	a, b := scanUsers(t, dirA), scanUsers(t, dirB)
	if len(a) != 300 || len(b) != 300 {
		t.Fatalf("seed --users 300: got %d and %d users, want 300 in each", len(a), len(b))
	}
	emails := map[string]bool{}
	for i := range a {
		ua, ub := timeless(a[i]), timeless(b[i])
		if d := userDiff(ua, ub); len(d) > 0 {
			t.Errorf("user %d: the two databases differ in %v:\n got %+v\nwant %+v", i, d, ub, ua)
		}
		if a[i].Email == "" || a[i].PublicID == "" || a[i].FirstName == "" || a[i].Country == "" || a[i].Status == "" {
			t.Errorf("user %d: missing email, public id, first name, country or status: %+v", i, ua)
		}
		if a[i].CreatedAt.IsZero() {
			t.Errorf("user %d: zero CreatedAt", i)
		}
		emails[a[i].Email] = true
	}
	if len(emails) != 300 {
		t.Errorf("seed --users 300: got %d distinct emails, want 300", len(emails))
	}

	// Another seed gives other people.
	dirC := t.TempDir()
	mustCLI(t, nil, "", "seed", "--users", "20", "--seed", "8", "--data", dirC)
	c := scanUsers(t, dirC)
	if len(c) != 20 {
		t.Fatalf("seed --users 20: got %d users, want 20", len(c))
	}
	same := 0
	for i := range c {
		if c[i].Email == a[i].Email {
			same++
		}
	}
	if same == len(c) {
		t.Errorf("seed --seed 8 gave the same 20 emails as --seed 7: the seed is ignored")
	}

	// Seeding again continues the numbering and leaves the first users be.
	out, _ := mustCLI(t, nil, "", "seed", "--users", "300", "--seed", "7", "--data", dirA)
	if !strings.Contains(out, "Added 300 demo users") {
		t.Errorf("second seed: got stdout %q, want it to say Added 300 demo users", out)
	}
	a2 := scanUsers(t, dirA)
	if len(a2) != 600 {
		t.Fatalf("after a second seed of 300: got %d users, want 600", len(a2))
	}
	for i := range a {
		if !reflect.DeepEqual(a[i], a2[i]) {
			t.Errorf("user %d changed after a second seed: %v", i, userDiff(*a[i], *a2[i]))
		}
	}
	for _, u := range a2[300:] {
		if emails[u.Email] {
			t.Errorf("second seed: email %s repeats one of the first 300", u.Email)
		}
	}

	for _, n := range []string{"0", "-1"} {
		if _, _, err := runCLI(t, nil, "", "seed", "--users", n, "--data", t.TempDir()); err == nil {
			t.Errorf("seed --users %s: got nil error, want one", n)
		}
	}
}

func TestConfigEnv(t *testing.T) {
	// ROSTER_DATA chooses the data directory; --data overrides it.
	envDir, flagDir := t.TempDir(), t.TempDir()
	out, _ := mustCLI(t, map[string]string{"ROSTER_DATA": envDir}, "", "migrate")
	if !strings.Contains(out, "up to date") {
		t.Errorf("migrate: got stdout %q, want it to say up to date", out)
	}
	if _, err := os.Stat(filepath.Join(envDir, "roster.db")); err != nil {
		t.Errorf("migrate with ROSTER_DATA: no roster.db in it: %v", err)
	}
	otherEnvDir := t.TempDir()
	mustCLI(t, map[string]string{"ROSTER_DATA": otherEnvDir}, "", "migrate", "--data", flagDir)
	if _, err := os.Stat(filepath.Join(flagDir, "roster.db")); err != nil {
		t.Errorf("migrate --data with ROSTER_DATA set: no roster.db in the --data directory: %v", err)
	}
	if _, err := os.Stat(filepath.Join(otherEnvDir, "roster.db")); err == nil {
		t.Errorf("migrate --data with ROSTER_DATA set: roster.db was created in the ROSTER_DATA directory too")
	}

	// ROSTER_ADDR and ROSTER_LOG_LEVEL are honoured.
	srv := startServe(t, map[string]string{"ROSTER_ADDR": "127.0.0.1:0", "ROSTER_DATA": envDir, "ROSTER_LOG_LEVEL": "error"}, "serve")
	host, port, err := net.SplitHostPort(srv.addr)
	if err != nil || host != "127.0.0.1" || port == "0" {
		t.Errorf("serve with ROSTER_ADDR=127.0.0.1:0: got address %q, want 127.0.0.1 and a real port", srv.addr)
	}
	resp, body := do(t, http.DefaultClient, http.MethodGet, srv.base+"/readyz", nil, nil)
	wantStatus(t, "GET /readyz", resp, body, http.StatusOK)
	if err := srv.stop(t); err != nil {
		t.Fatalf("Run after cancel: %v", err)
	}
	if s := srv.stderr.String(); strings.Contains(s, "level=INFO") {
		t.Errorf("serve with ROSTER_LOG_LEVEL=error: stderr has INFO lines:\n%s", s)
	}

	// Flags override the environment: an address that is taken and a level
	// that hides INFO.
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	busy := map[string]string{"ROSTER_ADDR": taken.Addr().String(), "ROSTER_DATA": envDir, "ROSTER_LOG_LEVEL": "error"}
	if _, _, err := runCLI(t, busy, "", "serve"); err == nil {
		t.Errorf("serve with ROSTER_ADDR on a taken address: got nil error, want one")
	}
	srv = startServe(t, busy, "serve", "--addr", "127.0.0.1:0", "--log-level", "info")
	if srv.addr == taken.Addr().String() {
		t.Errorf("serve --addr with ROSTER_ADDR set: got the ROSTER_ADDR address %s", srv.addr)
	}
	if err := srv.stop(t); err != nil {
		t.Fatalf("Run after cancel: %v", err)
	}
	if s := srv.stderr.String(); !strings.Contains(s, "level=INFO") || !strings.Contains(s, "database ready") {
		t.Errorf("serve --log-level info with ROSTER_LOG_LEVEL=error: stderr has no INFO lines:\n%s", s)
	}

	// Bad values are errors that say what is wrong.
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		want string // in the error
	}{
		{"ROSTER_DEMO=maybe", map[string]string{"ROSTER_DEMO": "maybe"}, []string{"serve", "--addr", "127.0.0.1:0"}, "ROSTER_DEMO"},
		{"ROSTER_LOG_LEVEL=loud", map[string]string{"ROSTER_LOG_LEVEL": "loud"}, []string{"serve", "--addr", "127.0.0.1:0"}, "loud"},
		{"--log-level loud", nil, []string{"serve", "--addr", "127.0.0.1:0", "--log-level", "loud"}, "loud"},
		{"--log-format xml", nil, []string{"serve", "--addr", "127.0.0.1:0", "--log-format", "xml"}, "xml"},
		{"unknown command", nil, []string{"frobnicate"}, "frobnicate"},
		{"unknown staff command", nil, []string{"staff", "delete"}, "staff delete"},
		{"unknown flag", nil, []string{"migrate", "--colour"}, "colour"},
		{"extra argument", nil, []string{"migrate", "now"}, "now"},
		{"ROSTER_SMTP_URL=http://", map[string]string{"ROSTER_SMTP_URL": "http://mail.example.com", "ROSTER_MAIL_FROM": "a@example.com"}, []string{"serve", "--addr", "127.0.0.1:0"}, "ROSTER_SMTP_URL"},
		{"ROSTER_SMTP_URL without a sender", map[string]string{"ROSTER_SMTP_URL": "smtp://127.0.0.1:2525"}, []string{"serve", "--addr", "127.0.0.1:0"}, "ROSTER_MAIL_FROM"},
		{"--public-url ftp://", nil, []string{"serve", "--addr", "127.0.0.1:0", "--public-url", "ftp://roster.example.com"}, "ROSTER_PUBLIC_URL"},
		{"ROSTER_MAIL_RATE=-1", map[string]string{"ROSTER_MAIL_RATE": "-1"}, []string{"serve", "--addr", "127.0.0.1:0"}, "ROSTER_MAIL_RATE"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{"ROSTER_DATA": t.TempDir()}
			for k, v := range tc.env {
				env[k] = v
			}
			_, _, err := runCLI(t, env, "", tc.args...)
			if err == nil {
				t.Fatalf("roster %s with %v: got nil error, want one mentioning %q", strings.Join(tc.args, " "), tc.env, tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("roster %s with %v: got error %q, want it to mention %q", strings.Join(tc.args, " "), tc.env, err, tc.want)
			}
		})
	}

	out, _ = mustCLI(t, nil, "", "help")
	if !strings.Contains(out, "Usage: roster") {
		t.Errorf("help: got stdout %q, want the usage", out)
	}
}
