package web_test

import (
	"net/http"
	"strings"
	"testing"

	"roster"
)

// storeID returns the store id of the user with public id u.
func (w *world) storeID(t *testing.T, u string) int64 {
	t.Helper()
	got, err := w.users.FindUserByID(w.ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	return got.ID
}

// session starts a user session for u, as a sign-in would, and returns
// its access token and id.
func (w *world) session(t *testing.T, u string) (string, int64) {
	t.Helper()
	sess, tok, err := w.ts.Web.Sessions.StartSession(w.ctx, w.storeID(t, u), roster.UserDevice{Name: "Test phone", Platform: "ios", AppVersion: "1.0"})
	if err != nil {
		t.Fatal(err)
	}
	return tok.Access, sess.ID
}

// viewableGroup makes a group users may see.
func (w *world) viewableGroup(t *testing.T, prefix string, join roster.JoinType, members ...string) *roster.Group {
	t.Helper()
	g := &roster.Group{Name: w.name(prefix), JoinType: join, UserViewable: true}
	if err := w.groups.CreateGroup(w.ctx, g); err != nil {
		t.Fatal(err)
	}
	for _, u := range members {
		if err := w.groups.AddMember(w.ctx, g.ID, u); err != nil {
			t.Fatal(err)
		}
	}
	return g
}

// member sends one member API request with the access token, right after
// marking the audit log, and fails unless it answers want.
func (w *world) member(t *testing.T, token, method, path, body string, want int) string {
	t.Helper()
	w.markNow(t)
	st, out := w.ts.memberDo(t, token, method, path, body)
	if st != want {
		t.Fatalf("%s %s %s: status %d, want %d; body %s", method, path, body, st, want, out)
	}
	return out
}

// memberDo sends a request with a bearer token (none when token is "").
func (ts *testServer) memberDo(t *testing.T, token, method, path, body string) (int, string) {
	t.Helper()
	st, out, _ := ts.memberDoHeader(t, token, method, path, body, nil)
	return st, out
}

// memberDoHeader is memberDo with extra request headers, answering the
// response headers too.
func (ts *testServer) memberDoHeader(t *testing.T, token, method, path, body string, h map[string]string) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range h {
		req.Header.Set(k, v)
	}
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return resp.StatusCode, b.String(), resp.Header
}

// userWithPassword makes a user whose password is user-password-1.
func (w *world) userWithPassword(t *testing.T, prefix string) (string, string) {
	t.Helper()
	email := w.name(prefix) + "@example.com"
	u := &roster.User{Email: email}
	if err := w.users.CreateUser(w.ctx, u, "user-password-1"); err != nil {
		t.Fatal(err)
	}
	return u.PublicID, email
}

// memberPolicy changes the member policy.
func (w *world) memberPolicy(t *testing.T, change func(p *roster.MemberPolicy)) {
	t.Helper()
	p, err := w.ts.Web.Sessions.MemberPolicy(w.ctx)
	if err != nil {
		t.Fatal(err)
	}
	change(&p)
	if err := w.ts.Web.Sessions.SetMemberPolicy(w.ctx, p); err != nil {
		t.Fatal(err)
	}
}

// pushToken registers an FCM token for u and returns its record's id.
func (w *world) pushToken(t *testing.T, u, token string) int64 {
	t.Helper()
	rec := &roster.PushTokenRecord{Provider: roster.ProviderFCM, Token: token}
	if err := w.ts.Web.Sessions.AddPushToken(w.ctx, w.storeID(t, u), rec); err != nil {
		t.Fatal(err)
	}
	return rec.ID
}

// sessionsOf lists the ids of u's live sessions.
func (w *world) sessionsOf(t *testing.T, u string) string {
	t.Helper()
	list, err := w.ts.Web.Sessions.FindSessions(w.ctx, w.storeID(t, u))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, s := range list {
		ids = append(ids, itoa(s.ID))
	}
	return strings.Join(ids, ",")
}

// pushTokensOf lists u's push tokens.
func (w *world) pushTokensOf(t *testing.T, u string) string {
	t.Helper()
	list, err := w.ts.Web.Sessions.PushTokens(w.ctx, w.storeID(t, u))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range list {
		out = append(out, p.Provider+":"+p.Token)
	}
	return strings.Join(out, ",")
}
