package web_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"roster"
	"roster/sqldb"
	"roster/sqldb/sqldbtest"
	"roster/web"
)

const staffPassword = "staff-password-1"

// browser is a cookie-keeping client of a test server that does not follow
// redirects, and keeps every body it read so that tests can check that no
// secret ever shows in a page.
//
// It sends requests with the transport itself rather than an http.Client:
// the client refuses, before CheckRedirect, a Location it cannot parse (one
// holding a tab, say), and the tests must see such answers.
type browser struct {
	t      *testing.T
	ts     *testServer
	jar    *cookiejar.Jar
	bodies *[]string
}

func newBrowser(t *testing.T, ts *testServer) *browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &browser{t: t, ts: ts, jar: jar, bodies: new([]string)}
}

// with returns b failing t instead, for use in a subtest.
func (b *browser) with(t *testing.T) *browser {
	c := *b
	c.t = t
	return &c
}

// response is what a test needs of an answer: the body read in full.
type response struct {
	*http.Response
	Body string
}

// do sends req and reads the answer in full.
func (b *browser) do(req *http.Request) *response {
	b.t.Helper()
	for _, c := range b.jar.Cookies(req.URL) {
		req.AddCookie(c)
	}
	resp, err := b.ts.Client().Transport.RoundTrip(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	resp.Request = req
	b.jar.SetCookies(req.URL, resp.Cookies())
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	*b.bodies = append(*b.bodies, string(body))
	return &response{Response: resp, Body: string(body)}
}

func (b *browser) get(path string) *response {
	b.t.Helper()
	req, err := http.NewRequest("GET", b.ts.URL+path, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.do(req)
}

// post sends a form; header holds extra headers, if any.
func (b *browser) post(path string, form url.Values, header http.Header) *response {
	b.t.Helper()
	req, err := http.NewRequest("POST", b.ts.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, vs := range header {
		req.Header[k] = vs
	}
	return b.do(req)
}

// signIn posts the sign-in form for role's staff account and returns the
// answer, which must be a 303.
func (b *browser) signIn(role roster.Role, next string) *response {
	b.t.Helper()
	resp := b.post("/signin", url.Values{"email": {string(role) + "@staff.example.com"}, "password": {staffPassword}, "next": {next}}, nil)
	if resp.StatusCode != http.StatusSeeOther {
		b.t.Fatalf("sign in as %s: status %d, want 303; body %s", role, resp.StatusCode, resp.Body)
	}
	return resp
}

// sessionCookie returns the session cookie the jar holds, or "".
func (b *browser) sessionCookie() string {
	u, _ := url.Parse(b.ts.URL)
	for _, c := range b.jar.Cookies(u) {
		if c.Name == "roster_session" {
			return c.Value
		}
	}
	return ""
}

var (
	csrfInput = regexp.MustCompile(`<input type="hidden" name="csrf" value="([^"]*)">`)
	nextInput = regexp.MustCompile(`<input type="hidden" name="next" value="([^"]*)">`)
	cssLink   = regexp.MustCompile(`<link rel="stylesheet" href="([^"]+)">`)
	jsScript  = regexp.MustCompile(`<script src="([^"]+)" defer></script>`)
)

// formValue returns the unescaped value of the hidden input re matches in
// body, failing the test when there is none.
func formValue(t *testing.T, re *regexp.Regexp, body string) string {
	t.Helper()
	m := re.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no %s in page:\n%s", re, body)
	}
	return html.UnescapeString(m[1])
}

// browserTarget resolves a Location header the way a browser does (the
// WHATWG URL parser): surrounding C0 controls and spaces are trimmed, tabs
// and newlines anywhere are removed, and a backslash counts as a slash in
// http(s) URLs. It returns the host the browser would go to ("" for this
// site) and the path.
func browserTarget(t *testing.T, base, loc string) (host, path string) {
	t.Helper()
	loc = strings.TrimFunc(loc, func(r rune) bool { return r <= ' ' })
	loc = strings.NewReplacer("\t", "", "\n", "", "\r", "", `\`, "/").Replace(loc)
	b, _ := url.Parse(base)
	u, err := b.Parse(loc)
	if err != nil {
		return "unparsable:" + loc, ""
	}
	if u.Host != b.Host || u.Scheme != b.Scheme {
		return u.Host, u.Path
	}
	return "", u.Path
}

func checkSecurityHeaders(t *testing.T, what string, resp *response) {
	t.Helper()
	csp := resp.Header.Get("Content-Security-Policy")
	for _, want := range []string{"script-src 'self'", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("%s: Content-Security-Policy %q lacks %q", what, csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
		t.Errorf("%s: Content-Security-Policy allows unsafe code: %q", what, csp)
	}
	if got := resp.Header.Get("X-Content-Type-Options"); got != "nosniff" {
		t.Errorf("%s: X-Content-Type-Options = %q, want nosniff", what, got)
	}
	if got := resp.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("%s: Cache-Control = %q, want no-store", what, got)
	}
}

func TestPages_SignIn(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ts := mustOpenServer(t, db)
		b := newBrowser(t, ts)

		// Signed out, the dashboard sends to the sign-in page.
		resp := b.get("/")
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/signin" {
			t.Fatalf("GET / signed out: %d Location %q, want 303 /signin", resp.StatusCode, resp.Header.Get("Location"))
		}

		// The sign-in form carries next along.
		resp = b.get("/signin?next=/foo")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /signin: %d", resp.StatusCode)
		}
		if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
			t.Errorf("sign-in page Content-Type %q", resp.Header.Get("Content-Type"))
		}
		next := formValue(t, nextInput, resp.Body)
		if next != "/foo" {
			t.Errorf("hidden next = %q, want /foo", next)
		}

		// The right credentials start a session and go to next.
		resp = b.signIn(roster.RoleAdmin, next)
		if loc := resp.Header.Get("Location"); loc != "/foo" {
			t.Errorf("after sign-in Location = %q, want /foo", loc)
		}
		var session *http.Cookie
		for _, c := range resp.Cookies() {
			if c.Name == "roster_session" {
				session = c
			}
		}
		if session == nil || session.Value == "" {
			t.Fatalf("no session cookie set: %q", resp.Header.Values("Set-Cookie"))
		}
		if !session.HttpOnly {
			t.Error("session cookie is not HttpOnly")
		}
		if session.SameSite != http.SameSiteLaxMode {
			t.Errorf("session cookie SameSite = %v, want Lax (%q)", session.SameSite, session.Raw)
		}
		if session.Path != "/" {
			t.Errorf("session cookie Path = %q, want /", session.Path)
		}
		if session.Secure {
			t.Error("session cookie is Secure over plain http: the browser would never send it back")
		}
		if session.MaxAge <= 0 {
			t.Errorf("session cookie MaxAge = %d, want a positive lifetime", session.MaxAge)
		}

		// Signed in, the dashboard shows, with the staff's email.
		resp = b.get("/")
		if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Body, "admin@staff.example.com") {
			t.Fatalf("GET / signed in: %d\n%s", resp.StatusCode, resp.Body)
		}
		// Signed in, the sign-in page sends to next.
		resp = b.get("/signin?next=/bar")
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/bar" {
			t.Errorf("GET /signin signed in: %d Location %q, want 303 /bar", resp.StatusCode, resp.Header.Get("Location"))
		}

		// next never leaves the site, neither after signing in nor from
		// the sign-in page of a signed-in staff.
		for _, evil := range []string{"//evil.example", "https://evil.example", `/\evil.example`, "http:/evil.example", "evil.example", "/\r\nLocation: https://evil.example"} {
			t.Run("next="+strconv.Quote(evil), func(t *testing.T) {
				b := b.with(t)
				resp := b.get("/signin?next=" + url.QueryEscape(evil))
				if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != "/" {
					t.Errorf("GET /signin signed in: %d Location %q, want 303 /", resp.StatusCode, loc)
				}
				resp = b.signIn(roster.RoleAdmin, evil)
				if loc := resp.Header.Get("Location"); loc != "/" {
					t.Errorf("POST /signin: Location %q, want /", loc)
				}
			})
		}
		// Browsers drop tabs and newlines anywhere in a URL, so "/<TAB>/evil"
		// is "//evil": a protocol-relative URL to another site.
		for _, evil := range []string{"/\t/evil.example", "/\t\\evil.example"} {
			t.Run("next="+strconv.Quote(evil), func(t *testing.T) {
				b := b.with(t)
				resp := b.get("/signin?next=" + url.QueryEscape(evil))
				if host, _ := browserTarget(t, ts.URL, resp.Header.Get("Location")); host != "" {
					t.Errorf("BUG open redirect (web/auth.go safeNext): signed-in GET /signin?next=%s answers %d Location %q, which a browser follows to %s; safeNext must reject tabs (and other control characters) as it rejects CR and LF",
						url.QueryEscape(evil), resp.StatusCode, resp.Header.Get("Location"), host)
				}
				resp = b.signIn(roster.RoleAdmin, evil)
				if host, _ := browserTarget(t, ts.URL, resp.Header.Get("Location")); host != "" {
					t.Errorf("BUG open redirect (web/auth.go safeNext): POST /signin with next=%q answers Location %q, which a browser follows to %s",
						evil, resp.Header.Get("Location"), host)
				}
			})
		}

		// The session secret never shows in a page: only its cookie holds it.
		secret := b.sessionCookie()
		if secret == "" {
			t.Fatal("no session cookie in the jar")
		}
		for _, body := range *b.bodies {
			if strings.Contains(body, secret) {
				t.Fatalf("a page body holds the session secret:\n%s", body)
			}
		}

		// Sign out ends the session server-side: the old cookie is dead.
		home := b.get("/")
		resp = b.post("/signout", url.Values{"csrf": {formValue(t, csrfInput, home.Body)}}, nil)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/signin" {
			t.Fatalf("sign out: %d Location %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		req, _ := http.NewRequest("GET", ts.URL+"/", nil)
		req.AddCookie(&http.Cookie{Name: "roster_session", Value: secret})
		resp = newBrowser(t, ts).do(req)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/signin" {
			t.Errorf("old session after sign out: %d Location %q, want 303 /signin", resp.StatusCode, resp.Header.Get("Location"))
		}
	})
}

// TestPages_SignInFailures checks that a wrong password and an unknown email
// look the same, and that repeated failures are throttled in the page.
func TestPages_SignInFailures(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ts := mustOpenServer(t, db)
		b := newBrowser(t, ts)
		const msg = "Invalid email or password."

		wrong := b.post("/signin", url.Values{"email": {"support@staff.example.com"}, "password": {"not-the-password"}}, nil)
		unknown := b.post("/signin", url.Values{"email": {"nobody@staff.example.com"}, "password": {"not-the-password"}}, nil)
		for name, resp := range map[string]*response{"wrong password": wrong, "unknown email": unknown} {
			if resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("%s: status %d, want 401", name, resp.StatusCode)
			}
			if !strings.Contains(resp.Body, msg) {
				t.Errorf("%s: page lacks %q:\n%s", name, msg, resp.Body)
			}
			if len(resp.Cookies()) != 0 {
				t.Errorf("%s: sets cookies %q", name, resp.Header.Values("Set-Cookie"))
			}
		}
		// Same page apart from the email typed back into the form.
		if strings.ReplaceAll(wrong.Body, "support@", "X@") != strings.ReplaceAll(unknown.Body, "nobody@", "X@") {
			t.Errorf("wrong password and unknown email give different pages:\n%s\n---\n%s", wrong.Body, unknown.Body)
		}

		// Quick failures for one account are throttled, and the page says so.
		// The account may fail 3 times freely from one client, then waits
		// 1 s, 2 s...: with the clock stopped, the 4th attempt is refused,
		// however slow the hashing.
		stopped := time.Now()
		db.Now = func() time.Time { return stopped }
		const email = "manager@staff.example.com"
		throttled := 0
		for i := 1; i <= 5 && throttled == 0; i++ {
			resp := b.post("/signin", url.Values{"email": {email}, "password": {"wrong password " + strconv.Itoa(i)}}, nil)
			switch resp.StatusCode {
			case http.StatusUnauthorized:
				if !strings.Contains(resp.Body, msg) {
					t.Errorf("attempt %d: 401 page lacks %q", i, msg)
				}
			case http.StatusTooManyRequests:
				throttled = i
				if !strings.Contains(resp.Body, "Too many failed sign-ins") {
					t.Errorf("attempt %d: 429 page lacks the throttling message:\n%s", i, resp.Body)
				}
				if !strings.Contains(resp.Body, `name="email"`) {
					t.Errorf("attempt %d: 429 answer is not the sign-in page:\n%s", i, resp.Body)
				}
			default:
				t.Fatalf("attempt %d: status %d\n%s", i, resp.StatusCode, resp.Body)
			}
		}
		if throttled != 4 {
			t.Fatalf("throttled at attempt %d, want the 4th", throttled)
		}
		// While throttled even the right password is refused.
		resp := b.post("/signin", url.Values{"email": {email}, "password": {staffPassword}}, nil)
		if resp.StatusCode != http.StatusTooManyRequests || len(resp.Cookies()) != 0 {
			t.Errorf("right password while throttled: %d, cookies %q; want 429 and none", resp.StatusCode, resp.Header.Values("Set-Cookie"))
		}
		// Other accounts are not locked out by it.
		b.signIn(roster.RoleViewer, "/")
	})
}

// TestPages_SignInClients checks who the client is for the throttle:
// behind a trusted proxy, the address its headers name, so that clients
// are throttled apart; from an untrusted peer, the peer, whatever headers
// it sends.
func TestPages_SignInClients(t *testing.T) {
	const email = "manager@staff.example.com"
	// open starts a server on db with its clock stopped, so that no wait
	// runs out during the test.
	open := func(t *testing.T, db *sqldb.DB, wire func(*web.Server)) *browser {
		t.Helper()
		stopped := time.Now()
		db.Now = func() time.Time { return stopped }
		return newBrowser(t, mustOpenServerWith(t, db, wire))
	}
	attempt := func(t *testing.T, b *browser, password, forwarded string) int {
		t.Helper()
		h := http.Header{}
		if forwarded != "" {
			h.Set("X-Forwarded-For", forwarded)
		}
		return b.post("/signin", url.Values{"email": {email}, "password": {password}}, h).StatusCode
	}
	failThrice := func(t *testing.T, b *browser, forwarded string) {
		t.Helper()
		for i := 1; i <= 3; i++ {
			if st := attempt(t, b, "wrong password", forwarded); st != http.StatusUnauthorized {
				t.Fatalf("failure %d from %s: status %d, want 401", i, forwarded, st)
			}
		}
	}
	t.Run("TrustedProxy", func(t *testing.T) {
		sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
			b := open(t, db, func(s *web.Server) {
				s.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
			})
			// The proxy appends the address it saw; what a client wrote
			// before it is not believed.
			failThrice(t, b, "10.9.9.9, 192.0.2.1")
			if st := attempt(t, b, "wrong password", "192.0.2.1"); st != http.StatusTooManyRequests {
				t.Errorf("4th failure from 192.0.2.1: %d, want 429", st)
			}
			if st := attempt(t, b, staffPassword, "192.0.2.2"); st != http.StatusSeeOther {
				t.Errorf("the right password from 192.0.2.2 behind the proxy: %d, want 303 (another client)", st)
			}
			// Two more failures from a third client make the account's
			// fifth: its owner is told on the dashboard, and the audit log
			// has it.
			for i := 0; i < 2; i++ {
				if st := attempt(t, b, "wrong password", "192.0.2.3"); st != http.StatusUnauthorized {
					t.Fatalf("failure from 192.0.2.3: %d, want 401", st)
				}
			}
			home := b.get("/")
			if !strings.Contains(home.Body, `id="signin-failures"`) || !strings.Contains(home.Body, "5 failed sign-ins on your account") {
				t.Errorf("the dashboard does not tell of the 5 failed sign-ins:\n%s", home.Body)
			}
			entries, err := sqldb.NewAuditService(db).FindAuditEntries(context.Background(), roster.AuditFilter{Action: "staff.sign_in_failures"})
			if err != nil || len(entries) != 1 {
				t.Errorf("audit entries staff.sign_in_failures: %d, %v; want 1", len(entries), err)
			}
		})
	})
	t.Run("UntrustedPeer", func(t *testing.T) {
		sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
			b := open(t, db, nil)
			failThrice(t, b, "192.0.2.10")
			// A fresh address in the header is no fresh budget: the peer
			// is the client.
			if st := attempt(t, b, "wrong password", "192.0.2.99"); st != http.StatusTooManyRequests {
				t.Errorf("4th failure with a spoofed X-Forwarded-For: %d, want 429", st)
			}
		})
	})
}

func TestPages_CSRF(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ts := mustOpenServer(t, db)
		b := newBrowser(t, ts)
		b.signIn(roster.RoleSupport, "/")
		home := b.get("/")
		if home.StatusCode != http.StatusOK {
			t.Fatalf("GET /: %d", home.StatusCode)
		}
		csrf := formValue(t, csrfInput, home.Body)
		if csrf == "" || csrf == b.sessionCookie() {
			t.Fatalf("csrf token %q is empty or the session secret", csrf)
		}

		// Another staff's token is no good for this session.
		other := newBrowser(t, ts)
		other.signIn(roster.RoleViewer, "/")
		otherCSRF := formValue(t, csrfInput, other.get("/").Body)

		for name, form := range map[string]url.Values{
			"no csrf":              {},
			"empty csrf":           {"csrf": {""}},
			"wrong csrf":           {"csrf": {"bogus"}},
			"other session's csrf": {"csrf": {otherCSRF}},
		} {
			resp := b.post("/signout", form, nil)
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("sign out with %s: %d, want 403", name, resp.StatusCode)
			}
			if !strings.Contains(resp.Body, "This form has expired") {
				t.Errorf("sign out with %s: page lacks the explanation:\n%s", name, resp.Body)
			}
			checkSecurityHeaders(t, "403 page", resp)
		}
		// Still signed in after all that.
		if resp := b.get("/"); resp.StatusCode != http.StatusOK {
			t.Fatalf("refused sign-outs signed out: GET / %d", resp.StatusCode)
		}

		// A cross-site form post is refused before it reaches a handler.
		for name, h := range map[string]http.Header{
			"Sec-Fetch-Site cross-site": {"Sec-Fetch-Site": {"cross-site"}},
			"foreign Origin":            {"Origin": {"https://evil.example"}},
		} {
			resp := b.post("/signin", url.Values{"email": {"admin@staff.example.com"}, "password": {staffPassword}}, h)
			if resp.StatusCode != http.StatusForbidden || len(resp.Cookies()) != 0 {
				t.Errorf("sign-in with %s: %d, cookies %q; want 403 and none", name, resp.StatusCode, resp.Header.Values("Set-Cookie"))
			}
			resp = b.post("/signout", url.Values{"csrf": {csrf}}, h)
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("sign-out with %s: %d, want 403", name, resp.StatusCode)
			}
		}
		// A same-origin one passes.
		resp := b.post("/signout", url.Values{"csrf": {csrf}}, http.Header{"Sec-Fetch-Site": {"same-origin"}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/signin" {
			t.Fatalf("sign out with the right csrf: %d Location %q, want 303 /signin\n%s", resp.StatusCode, resp.Header.Get("Location"), resp.Body)
		}
		if resp := b.get("/"); resp.StatusCode != http.StatusSeeOther {
			t.Errorf("GET / after sign out: %d, want 303", resp.StatusCode)
		}
	})
}

// TestPages_Roles checks what a viewer's browser session can and cannot do.
func TestPages_Roles(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ts := mustOpenServer(t, db)
		ts.createUser(t, `{"email":"someone@example.com"}`)

		viewer := newBrowser(t, ts)
		viewer.signIn(roster.RoleViewer, "/")
		resp := viewer.get("/")
		if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Body, "viewer@staff.example.com") {
			t.Fatalf("viewer GET /: %d\n%s", resp.StatusCode, resp.Body)
		}
		// A viewer may not read the audit log, so the dashboard shows none.
		if strings.Contains(resp.Body, "user.create") || strings.Contains(resp.Body, "staff.sign_in") {
			t.Errorf("viewer's dashboard shows audit entries:\n%s", resp.Body)
		}
		csrf := formValue(t, csrfInput, resp.Body)

		// The API never takes a session cookie, even with the CSRF token,
		// even an admin's.
		admin := newBrowser(t, ts)
		admin.signIn(roster.RoleAdmin, "/")
		for name, b := range map[string]*browser{"viewer": viewer, "admin": admin} {
			for _, path := range []string{"/api/v1/users", "/api/v1/users?csrf=" + csrf} {
				resp := b.post(path, url.Values{"csrf": {csrf}, "email": {"forged@example.com"}}, nil)
				if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(resp.Body, `"code":"unauthorized"`) {
					t.Errorf("%s cookie POST %s: %d %s, want 401 unauthorized", name, path, resp.StatusCode, resp.Body)
				}
			}
			resp := b.get("/api/v1/fields")
			if resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("%s cookie GET /api/v1/fields: %d, want 401", name, resp.StatusCode)
			}
		}
		if st, body := ts.do(t, roster.RoleAdmin, "GET", "/api/v1/audit?action=user.create", ""); st != 200 || strings.Contains(body, "forged@") {
			t.Errorf("a forged user was created: %d %s", st, body)
		}
	})
}

func TestPages_SecurityHeaders(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ts := mustOpenServer(t, db)
		b := newBrowser(t, ts)
		checkSecurityHeaders(t, "GET / signed out", b.get("/"))
		checkSecurityHeaders(t, "GET /signin", b.get("/signin"))
		b.signIn(roster.RoleViewer, "/")
		checkSecurityHeaders(t, "GET /", b.get("/"))
		checkSecurityHeaders(t, "403 error page", b.post("/signout", url.Values{"csrf": {"bogus"}}, nil))
		checkSecurityHeaders(t, "404", b.get("/nope"))

		req, _ := http.NewRequest("GET", ts.URL+"/api/v1/fields", nil)
		req.Header.Set("Authorization", "Bearer "+ts.Tokens[roster.RoleViewer])
		resp := newBrowser(t, ts).do(req)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /api/v1/fields: %d", resp.StatusCode)
		}
		checkSecurityHeaders(t, "GET /api/v1/fields", resp)
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("API Content-Type %q", ct)
		}
	})
}

// TestPages_Escaping checks that what users and staff typed is escaped in
// pages.
func TestPages_Escaping(t *testing.T) {
	const script, img = `<script>alert(1)</script>`, `"><img src=x onerror=alert(1)>`
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ts := mustOpenServer(t, db)
		body, _ := json.Marshal(map[string]string{"email": "xss@example.com", "first_name": script, "city": img})
		id := ts.createUser(t, string(body))
		body, _ = json.Marshal(map[string]string{"last_name": script, "city": img + "!"})
		if st, out := ts.do(t, roster.RoleAdmin, "PATCH", "/api/v1/users/"+id, string(body)); st != http.StatusOK {
			t.Fatalf("update: %d %s", st, out)
		}
		// A deleted user's email is the delete entry's note.
		obrien := ts.createUser(t, `{"email":"o'brien@example.com","first_name":"O'Brien & <Co>"}`)
		if st, out := ts.do(t, roster.RoleAdmin, "DELETE", "/api/v1/users/"+obrien, ""); st != http.StatusNoContent {
			t.Fatalf("delete: %d %s", st, out)
		}

		b := newBrowser(t, ts)
		b.signIn(roster.RoleAdmin, "/")
		resp := b.get("/")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /: %d", resp.StatusCode)
		}
		for _, want := range []string{"user.create", "user.update", "user.delete", id, obrien, "o&#39;brien@example.com"} {
			if !strings.Contains(resp.Body, want) {
				t.Errorf("dashboard lacks %q:\n%s", want, resp.Body)
			}
		}
		for _, bad := range []string{"<script>alert(1)", "<img src=x", "o'brien", "<Co>"} {
			if strings.Contains(resp.Body, bad) {
				t.Errorf("dashboard holds unescaped %q:\n%s", bad, resp.Body)
			}
		}

		// Sign-in reflects the email and next it was given: escaped.
		anon := newBrowser(t, ts)
		resp = anon.get("/signin?next=" + url.QueryEscape("/"+img+script))
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /signin: %d", resp.StatusCode)
		}
		if got := formValue(t, nextInput, resp.Body); got != "/"+img+script {
			t.Errorf("hidden next = %q", got)
		}
		resp2 := anon.post("/signin", url.Values{"email": {img + script}, "password": {"wrong password"}}, nil)
		if resp2.StatusCode != http.StatusUnauthorized {
			t.Errorf("sign-in with a hostile email: %d, want 401", resp2.StatusCode)
		}
		for _, r := range []*response{resp, resp2} {
			for _, bad := range []string{"<script>alert(1)", "<img src=x", `"><`} {
				if strings.Contains(r.Body, bad) {
					t.Errorf("%s %s holds unescaped %q:\n%s", r.Request.Method, r.Request.URL.Path, bad, r.Body)
				}
			}
		}
		if !strings.Contains(resp2.Body, "&lt;script&gt;") {
			t.Errorf("sign-in page does not type the email back, escaped:\n%s", resp2.Body)
		}
	})
}

func TestPages_Static(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ts := mustOpenServer(t, db)
		b := newBrowser(t, ts)
		page := b.get("/signin")
		for _, asset := range []struct {
			re    *regexp.Regexp
			ctype string
		}{{cssLink, "text/css"}, {jsScript, "text/javascript"}} {
			href := formValue(t, asset.re, page.Body)
			u, err := url.Parse(href)
			if err != nil || !strings.HasPrefix(u.Path, "/static/") || u.Query().Get("v") == "" {
				t.Fatalf("asset URL %q has no /static/ path or no version", href)
			}
			resp := b.get(href)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET %s: %d", href, resp.StatusCode)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, asset.ctype) {
				t.Errorf("GET %s: Content-Type %q, want %s", href, ct, asset.ctype)
			}
			cc := resp.Header.Get("Cache-Control")
			var maxAge int
			for _, d := range strings.Split(cc, ",") {
				if v, ok := strings.CutPrefix(strings.TrimSpace(d), "max-age="); ok {
					maxAge, _ = strconv.Atoi(v)
				}
			}
			if maxAge < 30*24*3600 || !strings.Contains(cc, "immutable") || strings.Contains(cc, "no-store") {
				t.Errorf("GET %s: Cache-Control %q, want a long max-age and immutable", href, cc)
			}
			if got := resp.Header.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("GET %s: X-Content-Type-Options %q", href, got)
			}
			// The version is the content's hash, so a cached copy is never stale.
			sum := sha256.Sum256([]byte(resp.Body))
			if v := u.Query().Get("v"); !strings.HasPrefix(hex.EncodeToString(sum[:]), v) {
				t.Errorf("GET %s: version %s is not a prefix of the content hash %x", href, v, sum)
			}
		}
		for _, path := range []string{"/static/nope.css", "/static/", "/static/app.css/x"} {
			if resp := b.get(path); resp.StatusCode != http.StatusNotFound {
				t.Errorf("GET %s: %d, want 404", path, resp.StatusCode)
			}
		}
		// Templates are embedded next to the assets but never served.
		resp, err := http.Get(ts.URL + "/static/..%2ftemplates/layout.html")
		if err != nil {
			t.Fatal(err)
		}
		out, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK || strings.Contains(string(out), "{{define") {
			t.Errorf("a template is served: %d\n%s", resp.StatusCode, out)
		}
	})
}

func TestPages_Probes(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ts := mustOpenServer(t, db)
		b := newBrowser(t, ts)
		for path, want := range map[string]string{"/healthz": "ok", "/readyz": "ready"} {
			resp := b.get(path)
			if resp.StatusCode != http.StatusOK {
				t.Errorf("GET %s: %d", path, resp.StatusCode)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("GET %s: Content-Type %q", path, ct)
			}
			var got struct{ Status string }
			if err := json.Unmarshal([]byte(resp.Body), &got); err != nil || got.Status != want {
				t.Errorf("GET %s: %s, want status %q", path, resp.Body, want)
			}
		}
	})
	// A node that is not ready says why, with 503; no database needed.
	s := web.NewServer(&web.Server{
		Ready:  func(context.Context) error { return errors.New("schema is behind") },
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "schema is behind") {
		t.Errorf("GET /readyz not ready: %d %s", rec.Code, rec.Body)
	}
}

// TestPages_NotFound: an unknown page is a friendly page for staff.
//
// Signed out, an unknown path answers the mux's plain 404 (there is no
// catch-all page route, so it never reaches authorize and does not send to
// the sign-in page either); a 303 to /signin would be as acceptable.
func TestPages_NotFound(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ts := mustOpenServer(t, db)
		b := newBrowser(t, ts)

		resp := b.get("/nope")
		switch {
		case resp.StatusCode == http.StatusSeeOther && strings.HasPrefix(resp.Header.Get("Location"), "/signin"):
			t.Logf("signed out GET /nope: 303 to %s", resp.Header.Get("Location"))
		case resp.StatusCode == http.StatusNotFound:
			t.Logf("signed out GET /nope: 404 %s %q", resp.Header.Get("Content-Type"), resp.Body)
		default:
			t.Errorf("signed out GET /nope: %d, want 404 or 303 to /signin", resp.StatusCode)
		}

		b.signIn(roster.RoleViewer, "/")
		resp = b.get("/nope")
		if resp.StatusCode != http.StatusNotFound {
			t.Fatalf("signed in GET /nope: %d, want 404", resp.StatusCode)
		}
		if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(resp.Body, "Back to Roster") {
			t.Errorf("BUG (web/routes.go): signed-in GET /nope answers the ServeMux's default %q (%s) instead of the friendly error page: no route catches unknown page paths, so they never reach s.error/renderError as /api/ paths reach apiNotFound",
				resp.Body, resp.Header.Get("Content-Type"))
		}
	})
}
