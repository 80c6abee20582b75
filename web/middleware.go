package web

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"path"
	"runtime/debug"
	"sort"
	"strings"
	"time"

	"roster"
)

const sessionCookie = "roster_session"

type staffKey struct{}

// staffFrom returns the signed-in staff of r, or nil.
func staffFrom(r *http.Request) *roster.Staff {
	s, _ := r.Context().Value(staffKey{}).(*roster.Staff)
	return s
}

// isAPI reports whether r is for the JSON API or SCIM, which answer in JSON and
// authenticates with bearer tokens only.
func isAPI(r *http.Request) bool {
	return r.URL.Path == "/api" || strings.HasPrefix(r.URL.Path, "/api/") || isSCIM(r)
}

// wantsJSON reports whether a page request comes from one of the page
// scripts, which ask for JSON, rather than from a plain form or link.
func wantsJSON(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "application/json")
}

// authorize admits a request whose staff has perm. API requests must carry
// a bearer token: cookies are never accepted there, so a browser cannot be
// tricked into making API calls. Page requests use the session cookie, and
// state-changing ones must also carry the session's CSRF token.
func (s *Server) authorize(perm roster.Permission, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var staff *roster.Staff
		var csrf string
		var sessionID int64
		if isAPI(r) {
			auth := r.Header.Get("Authorization")
			secret, ok := strings.CutPrefix(auth, "Bearer ")
			if !ok {
				w.Header().Set("WWW-Authenticate", `Bearer realm="roster"`)
				s.error(w, r, roster.Errorf(roster.EUNAUTHORIZED, "An API token is required: Authorization: Bearer <token>."))
				return
			}
			secret = strings.TrimSpace(secret)
			if strings.HasPrefix(secret, roster.UserAccessPrefix) || strings.HasPrefix(secret, roster.UserRefreshPrefix) {
				// A user session is for the member API only.
				w.Header().Set("WWW-Authenticate", `Bearer realm="roster", error="invalid_token"`)
				s.error(w, r, roster.TokenError(roster.TokenWrongKind))
				return
			}
			st, err := s.Staff.FindStaffByToken(r.Context(), secret)
			if err != nil {
				w.Header().Set("WWW-Authenticate", `Bearer realm="roster", error="invalid_token"`)
				s.error(w, r, err)
				return
			}
			staff = st
		} else {
			c, err := r.Cookie(sessionCookie)
			if err != nil {
				s.redirectToSignIn(w, r)
				return
			}
			sess, st, err := s.Staff.FindSession(r.Context(), c.Value)
			if err != nil {
				if roster.ErrorCode(err) == roster.EUNAUTHORIZED {
					s.clearSessionCookie(w, r)
					s.redirectToSignIn(w, r)
					return
				}
				s.error(w, r, err)
				return
			}
			staff, sessionID = st, sess.ID
			csrf = csrfToken(c.Value)
			if r.Method != http.MethodGet && r.Method != http.MethodHead {
				if err := parseForm(w, r); err != nil {
					s.error(w, r, err)
					return
				}
				if subtle.ConstantTimeCompare([]byte(r.PostFormValue("csrf")), []byte(csrf)) != 1 {
					s.error(w, r, roster.Errorf(roster.EFORBIDDEN, "This form has expired. Reload the page and try again."))
					return
				}
			}
		}
		if sessionID != 0 && !enrolExempt(r.URL.Path) {
			// Owners and admins who must use two-factor sign-in enrol
			// before anything else.
			must, err := s.mustEnrol(r.Context(), staff)
			if err != nil {
				s.error(w, r, err)
				return
			}
			if must {
				http.Redirect(w, r, "/account/two-factor", http.StatusSeeOther)
				return
			}
		}
		if !staff.Can(perm) {
			s.error(w, r, roster.Errorf(roster.EFORBIDDEN, "Your role (%s) does not allow this.", staff.Role))
			return
		}
		ctx := context.WithValue(r.Context(), staffKey{}, staff)
		actor := roster.StaffActor(staff)
		if isSCIM(r) {
			actor.Via = "scim" // an identity provider with the staff's token
		}
		ctx = roster.NewContextWithActor(ctx, actor)
		// A newsletter changed through the API records "api"; through
		// the back-office's pages, "staff".
		via := roster.SourceStaff
		if isAPI(r) {
			via = roster.SourceAPI
		}
		ctx = roster.NewContextWithSubscription(ctx, roster.Subscription{Source: via})
		ctx = context.WithValue(ctx, csrfKey{}, csrf)
		ctx = context.WithValue(ctx, sessionKey{}, sessionID)
		if lr, ok := w.(*loggingWriter); ok {
			lr.staffID = staff.ID
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// maxFormBytes bounds a page form that is not a file upload: the largest,
// a list of 10,000 generated codes posted back for their CSV, is far below.
const maxFormBytes = 2 << 20

// parseForm reads the form of a page request, so that a body too large or
// unreadable is answered as such (413, 400) instead of as a form without
// its CSRF token. Uploads (multipart) are left to their handlers' limits.
func parseForm(w http.ResponseWriter, r *http.Request) error {
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
		return nil
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			size := roster.FormatBytes(maxFormBytes)
			return tooLargeError{&roster.Error{Code: roster.EINVALID, Position: -1,
				Message: "This form is too large: the limit is " + size + "."}}
		}
		return roster.Errorf(roster.EINVALID, "The form could not be read.")
	}
	return nil
}

type csrfKey struct{}

// csrfToken derives the form token from the session secret. It reveals
// nothing about the secret, needs no storage, and dies with the session.
func csrfToken(session string) string {
	sum := sha256.Sum256([]byte("roster-csrf:" + session))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// csrfFrom returns the CSRF token of the request's session.
func csrfFrom(r *http.Request) string {
	csrf, _ := r.Context().Value(csrfKey{}).(string)
	return csrf
}

func (s *Server) redirectToSignIn(w http.ResponseWriter, r *http.Request) {
	next := r.URL.RequestURI()
	if r.Method != http.MethodGet || next == "/" {
		next = ""
	}
	target := "/signin"
	if next != "" {
		target += "?next=" + url.QueryEscape(next)
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// clientAddr is the address of the client that sent r: what sign-in
// throttling counts failures for and sessions record. It is the peer's
// address, unless the peer is one of TrustedProxies: then the addresses
// its Forwarded (RFC 7239) or X-Forwarded-For header lists are walked
// from the nearest, and the first that is not a trusted proxy is the
// client. An untrusted peer's headers are ignored: anyone can write them.
func (s *Server) clientAddr(r *http.Request) string {
	peer, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		peer = r.RemoteAddr
	}
	if !s.trusted(peer) {
		return peer
	}
	hops := forwardedFor(r.Header)
	for i := len(hops) - 1; i >= 0; i-- {
		if !s.trusted(hops[i]) {
			return hops[i]
		}
	}
	if len(hops) > 0 {
		return hops[0] // every hop is a proxy of ours: the farthest
	}
	return peer
}

// trusted reports whether addr is in one of TrustedProxies.
func (s *Server) trusted(addr string) bool {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return false
	}
	a = a.Unmap()
	for _, p := range s.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// forwardedFor lists the client addresses a proxy chain recorded, the
// farthest first: the for= parameters of Forwarded when present, else
// X-Forwarded-For. An entry that is not an address (a name, "unknown", an
// obfuscated id) ends the list there, as nothing before it can be placed.
func forwardedFor(h http.Header) []string {
	var raw []string
	if fw := h.Values("Forwarded"); len(fw) > 0 {
		for _, line := range fw {
			for _, elem := range strings.Split(line, ",") {
				for _, pair := range strings.Split(elem, ";") {
					k, v, ok := strings.Cut(strings.TrimSpace(pair), "=")
					if ok && strings.EqualFold(k, "for") {
						raw = append(raw, strings.Trim(v, `"`))
					}
				}
			}
		}
	} else {
		for _, line := range h.Values("X-Forwarded-For") {
			raw = append(raw, strings.Split(line, ",")...)
		}
	}
	out := make([]string, 0, len(raw))
	for _, v := range raw {
		v = strings.TrimSpace(v)
		if host, _, err := net.SplitHostPort(v); err == nil {
			v = host // "[2001:db8::1]:4711", "192.0.2.1:80"
		}
		v = strings.Trim(v, "[]")
		a, err := netip.ParseAddr(v)
		if err != nil {
			out = out[:0] // what came before an unreadable hop cannot be trusted
			continue
		}
		out = append(out, a.Unmap().String())
	}
	return out
}

// securityHeaders sets the headers every response carries. The CSP forbids
// inline scripts and framing; our JavaScript comes from /static only.
func (s *Server) securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		if !strings.HasPrefix(r.URL.Path, "/static/") {
			h.Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r)
	})
}

// loggingWriter records the status and size of a response for the log,
// and what the handlers learn about the request: its route and staff.
type loggingWriter struct {
	http.ResponseWriter
	status  int
	bytes   int
	staffID int64
	route   string // the pattern of the route that answered, without its method
}

func (lw *loggingWriter) WriteHeader(code int) {
	if lw.status == 0 {
		lw.status = code
	}
	lw.ResponseWriter.WriteHeader(code)
}

func (lw *loggingWriter) Write(b []byte) (int, error) {
	if lw.status == 0 {
		lw.status = http.StatusOK
	}
	n, err := lw.ResponseWriter.Write(b)
	lw.bytes += n
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (lw *loggingWriter) Unwrap() http.ResponseWriter { return lw.ResponseWriter }

// Observer is told of every request answered: its method, the pattern of
// the route that answered ("" when none matched), the status and the time
// it took. The metrics implement it.
type Observer interface {
	ObserveRequest(method, route string, status int, d time.Duration)
}

// requestIDKey holds a request's id in its context.
type requestIDKey struct{}

// RequestID returns the id of the request ctx belongs to, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// requestID returns the id the client or a proxy gave r in X-Request-Id
// when it is a plain token (letters, digits, ".", "_", "-", at most 64),
// else a new random one.
func requestID(r *http.Request) string {
	if id := r.Header.Get("X-Request-Id"); len(id) > 0 && len(id) <= 64 && strings.Trim(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == "" {
		return id
	}
	var b [12]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// logRequests gives each request its id (echoed in X-Request-Id, and in
// every log line of the request's context), logs it when it ends, and
// tells the Observer.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := requestID(r)
		w.Header().Set("X-Request-Id", id)
		r = r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id))
		lw := &loggingWriter{ResponseWriter: w}
		next.ServeHTTP(lw, r)
		d := time.Since(start)
		if s.Observer != nil {
			s.Observer.ObserveRequest(r.Method, lw.route, lw.status, d)
		}
		if r.URL.Path == "/healthz" || r.URL.Path == "/readyz" || strings.HasPrefix(r.URL.Path, "/static/") {
			return
		}
		s.Logger.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("request_id", id), slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.String("route", lw.route), slog.Int("status", lw.status), slog.Int("bytes", lw.bytes),
			slog.Duration("duration", d), slog.Int64("staff_id", lw.staffID))
	})
}

// recoverPanics turns a panic in a handler into a logged 500, never a
// dropped connection.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.Logger.Error("panic", "method", r.Method, "path", r.URL.Path, "panic", v, "stack", string(debug.Stack()))
				s.error(w, r, roster.Errorf(roster.EINTERNAL, "Internal error."))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// canonicalPaths refuses a request whose path is not in canonical form: an
// empty, "." or ".." segment, written plainly or percent-encoded. Left to
// it, the ServeMux would answer such a path with a 307 to the cleaned path,
// which keeps the method and which clients follow with their credentials:
// DELETE /api/v1/users/7/tags/%2e%2e would become DELETE /api/v1/users/7.
// No path is ever redirected to another: the request is malformed (400),
// on pages and in the API alike.
func (s *Server) canonicalPaths(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p := r.URL.Path; p != canonicalPath(p) {
			s.error(w, r, roster.Errorf(roster.EINVALID, "The path %s is not in canonical form: it must not hold empty, \".\" or \"..\" segments.", roster.Quote(p)))
			return
		}
		if err := checkQuery(r.URL.RawQuery); err != nil {
			s.error(w, r, err)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// checkQuery refuses a query string that is malformed or names a parameter
// twice: handlers read one value per parameter, and "q=a&q=b" must not be
// silently read as "q=a". Only the filter panel's multi-choice values
// (f.<field>.v) may repeat.
func checkQuery(raw string) error {
	if raw == "" {
		return nil
	}
	q, err := url.ParseQuery(raw)
	if err != nil {
		return roster.Errorf(roster.EINVALID, "The query string is malformed: %s.", strings.TrimPrefix(err.Error(), "invalid URL escape "))
	}
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if len(q[k]) > 1 && !multiValued(k) {
			return roster.Errorf(roster.EINVALID, "The parameter %s is given %d times; give it once.", roster.Quote(k), len(q[k]))
		}
	}
	return nil
}

// multiValued reports whether query parameter key may repeat: the filter
// panel's checkboxes of one field (f.status.v=active&f.status.v=banned).
func multiValued(key string) bool {
	return strings.HasPrefix(key, "f.") && strings.HasSuffix(key, ".v")
}

// canonicalPath is p without empty, "." and ".." segments, keeping a final
// slash: the form the ServeMux would redirect to.
func canonicalPath(p string) string {
	if p == "" || p[0] != '/' {
		p = "/" + p
	}
	c := path.Clean(p)
	if strings.HasSuffix(p, "/") && c != "/" {
		c += "/"
	}
	return c
}
