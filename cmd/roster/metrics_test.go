package main

import (
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"roster/deliver/smtptest"
)

// scrape GETs url with the header and returns the status and body.
func scrape(t *testing.T, url string, header map[string]string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// sample returns the value of the series line that starts with series
// (its name and labels as Prometheus writes them), or -1.
func sample(body, series string) float64 {
	for _, line := range strings.Split(body, "\n") {
		if rest, ok := strings.CutPrefix(line, series+" "); ok {
			v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			if err == nil {
				return v
			}
		}
	}
	return -1
}

// TestMetrics runs serve with a metrics listener and a mail server, as an
// operator sets them up, and finds the series of what it did.
func TestMetrics(t *testing.T) {
	smtp := smtptest.Start(t)
	env := map[string]string{
		"ROSTER_DATA": t.TempDir(), "ROSTER_LOG_LEVEL": "error",
		"ROSTER_SMTP_URL": smtp.URL(), "ROSTER_MAIL_FROM": "roster@acme.example",
		"ROSTER_METRICS_TOKEN": "metrics-secret-1",
	}
	mustCLI(t, env, "a-long-staff-password\n", "staff", "create", "--email", "owner@acme.example", "--role", "owner")
	out, _ := mustCLI(t, env, "", "token", "create", "--staff", "owner@acme.example", "--name", "test")
	token := strings.TrimSpace(out)
	srv := startServe(t, env, "serve", "--addr", "127.0.0.1:0", "--metrics-addr", "127.0.0.1:0")
	defer srv.stop(t)
	m := regexp.MustCompile(`Metrics at (http://[^/\s]+)/metrics`).FindStringSubmatch(srv.stdout.String())
	if m == nil {
		t.Fatalf("no metrics address in stdout:\n%s", srv.stdout)
	}
	metricsBase := m[1]

	api := &http.Client{Timeout: 10 * time.Second}
	for range 3 {
		if code, body := apiCall(t, api, http.MethodGet, srv.base+"/api/v1/users?q=country:FR", token, ""); code != http.StatusOK {
			t.Fatalf("search: %d %v", code, body)
		}
	}
	code, created := apiCall(t, api, http.MethodPost, srv.base+"/api/v1/users", token, `{"email":"ivy@example.com"}`)
	if code != http.StatusCreated {
		t.Fatalf("create: %d %v", code, created)
	}
	if code, body := apiCall(t, api, http.MethodPost, srv.base+"/api/v1/users/"+created["id"].(string)+"/invite", token, ""); code != http.StatusAccepted {
		t.Fatalf("invite: %d %v", code, body)
	}
	smtp.Wait(t, 1, 10*time.Second)
	apiCall(t, api, http.MethodGet, srv.base+"/api/v1/users/u_nobody", token, "")

	var body string
	for deadline := time.Now().Add(10 * time.Second); ; {
		code, body = scrape(t, metricsBase+"/metrics", nil)
		if code != http.StatusOK {
			t.Fatalf("GET /metrics on the metrics listener: %d", code)
		}
		if sample(body, `roster_mail_deliveries_total{result="sent"}`) == 1 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond) // the worker records the attempt after the server took it
	}
	for series, atLeast := range map[string]float64{
		`roster_http_requests_total{code="200",method="GET",route="/api/v1/users"}`:                 3,
		`roster_http_requests_total{code="201",method="POST",route="/api/v1/users"}`:                1,
		`roster_http_requests_total{code="404",method="GET",route="/api/v1/users/{id}"}`:            1,
		`roster_http_request_duration_seconds_count{method="GET",route="/api/v1/users"}`:            3,
		`roster_http_request_duration_seconds_bucket{method="GET",route="/api/v1/users",le="+Inf"}`: 3,
		`roster_query_duration_seconds_count{op="search"}`:                                          3,
		`roster_index_users`:                           1,
		`roster_index_ready`:                           1,
		`roster_index_build_seconds`:                   0,
		`roster_mail_deliveries_total{result="sent"}`:  1,
		`roster_outbox_messages{status="sent"}`:        1,
		`go_sql_max_open_connections{db_name="write"}`: 1,
		`go_goroutines`:                                1,
		`process_resident_memory_bytes`:                1,
	} {
		if v := sample(body, series); v < atLeast {
			t.Errorf("%s = %v, want at least %v", series, v, atLeast)
		}
	}
	if code, _ := scrape(t, metricsBase+"/debug/pprof/", nil); code != http.StatusOK {
		t.Errorf("GET /debug/pprof/ on the metrics listener: %d", code)
	}

	// On the main listener, /metrics wants its token, and the profiler is
	// not there.
	if code, _ := scrape(t, srv.base+"/metrics", nil); code != http.StatusUnauthorized {
		t.Errorf("GET /metrics without the token: %d, want 401", code)
	}
	if code, _ := scrape(t, srv.base+"/metrics", map[string]string{"Authorization": "Bearer " + token}); code != http.StatusUnauthorized {
		t.Errorf("GET /metrics with a staff token: %d, want 401", code)
	}
	if code, b := scrape(t, srv.base+"/metrics", map[string]string{"Authorization": "Bearer metrics-secret-1"}); code != http.StatusOK || !strings.Contains(b, "roster_http_requests_total") {
		t.Errorf("GET /metrics with the token: %d", code)
	}
	if code, b := scrape(t, srv.base+"/debug/pprof/", nil); code == http.StatusOK || strings.Contains(b, "goroutine") {
		t.Errorf("GET /debug/pprof/ on the main listener: %d, want it absent", code)
	}
}

// TestRequestID: every answer carries an X-Request-Id; a plain one the
// client sent is kept, anything else replaced.
func TestRequestID(t *testing.T) {
	env := map[string]string{"ROSTER_DATA": t.TempDir(), "ROSTER_LOG_LEVEL": "info"}
	srv := startServe(t, env, "serve", "--addr", "127.0.0.1:0")
	defer srv.stop(t)
	get := func(id string) string {
		req, _ := http.NewRequest(http.MethodGet, srv.base+"/signin", nil)
		if id != "" {
			req.Header.Set("X-Request-Id", id)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.Header.Get("X-Request-Id")
	}
	a, b := get(""), get("")
	if len(a) < 16 || a == b {
		t.Errorf("request ids %q and %q: want two different ones of at least 16 characters", a, b)
	}
	if got := get("lb-7f3a.42_x"); got != "lb-7f3a.42_x" {
		t.Errorf("a plain id from the client: answered %q", got)
	}
	if got := get("bad id<script>"); got == "bad id<script>" || len(got) < 16 {
		t.Errorf("an id with spaces and markup: answered %q, want a new one", got)
	}
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(srv.stderr.String(), "request_id=lb-7f3a.42_x"); {
		if time.Now().After(deadline) {
			t.Fatalf("the request log does not carry the request id:\n%s", srv.stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(srv.stderr.String(), "route=/signin") {
		t.Errorf("the request log does not name the route:\n%s", srv.stderr)
	}
}
