package web_test

import (
	"time"

	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"roster"
	"roster/deliver"
	"roster/index"
	"roster/sqldb"
	"roster/sqldb/sqldbtest"
	"roster/web"
)

// testServer is a real server over a real database, with one API token per
// staff role.
type testServer struct {
	*httptest.Server
	Web    *web.Server // the server, for its route table
	DB     *sqldb.DB
	Tokens map[roster.Role]string
	// Outbox holds the messages the server queued; their links start
	// with https://roster.example.com.
	Outbox *sqldb.OutboxService
}

func mustOpenServer(t testing.TB, db *sqldb.DB) *testServer {
	t.Helper()
	return mustOpenServerWith(t, db, nil)
}

// testVAPIDKey returns the public VAPID key of db's server.
func testVAPIDKey(t testing.TB, db *sqldb.DB) string {
	t.Helper()
	der, err := sqldb.NewPushService(db).VAPIDKey(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	k, err := deliver.VAPIDPublicKey(der)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// mustOpenServerWith is mustOpenServer with wire, when not nil, adjusting
// the server's services before it is built.
func mustOpenServerWith(t testing.TB, db *sqldb.DB, wire func(*web.Server)) *testServer {
	t.Helper()
	staff := sqldb.NewStaffService(db)
	users, fields := sqldb.NewUserService(db), sqldb.NewFieldService(db)
	ix := &index.Index{Users: users, Fields: fields, Changes: sqldb.NewChangeLog(db), Fallback: users, Counts: sqldb.NewCatalogService(db),
		Policies: db, Now: func() time.Time { return db.Now() }, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if err := ix.Build(context.Background()); err != nil {
		t.Fatal(err)
	}
	db.OnCommit = func(ids, seqs []int64) { ix.Refresh(context.Background(), ids, seqs) }
	mail, err := deliver.NewRenderer("", "https://roster.example.com")
	if err != nil {
		t.Fatal(err)
	}
	outbox := sqldb.NewOutboxService(db)
	mailSettings := sqldb.NewMailSettingsService(db, mail)
	mailSettings.Changed = mail.Invalidate
	mail.UseStore(mailSettings, 0)
	accounts := sqldb.NewAccountService(db, mail)
	events, audit := sqldb.NewEventService(db), sqldb.NewAuditService(db)
	cfg := &web.Server{
		Events: events, Timeline: []roster.ActivitySource{events, audit},
		Accounts: accounts, Outbox: outbox, Invites: accounts, MailSettings: mailSettings, MailRenderer: mail,
		AccountSettings: sqldb.NewAccountSettings(db), Subscribers: sqldb.NewSubscriberService(db, mail),
		Users: users, Fields: fields, Staff: staff, Audit: audit, Prefs: sqldb.NewPrefService(db),
		TwoFactor: staff, Devices: staff, Push: sqldb.NewPushService(db), VAPIDPublicKey: testVAPIDKey(t, db),
		Sessions: sqldb.NewUserSessionService(db), Webhooks: sqldb.NewWebhookService(db),
		Search: ix, CursorKey: []byte("test cursor key"),
		Tags: sqldb.NewTagService(db), Groups: sqldb.NewGroupService(db),
		Segments: sqldb.NewSegmentService(db), Months: sqldb.NewMonthService(db),
		Ledger: sqldb.NewLedgerService(db), Notes: sqldb.NewNoteService(db), Tasks: sqldb.NewTaskService(db),
		Stats:   ix,
		Members: ix,
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	if wire != nil {
		wire(cfg)
	}
	s := web.NewServer(cfg)
	ts := &testServer{Server: serve(t, s), DB: db, Tokens: map[roster.Role]string{}, Web: s, Outbox: outbox}
	t.Cleanup(ts.Close)
	ctx := roster.NewContextWithActor(context.Background(), roster.Actor{Label: "test"})
	for _, role := range roster.Roles {
		st := &roster.Staff{Email: string(role) + "@staff.example.com", Role: role}
		if err := staff.CreateStaff(ctx, st, "staff-password-1"); err != nil {
			t.Fatal(err)
		}
		_, secret, err := staff.CreateToken(ctx, st.ID, "test")
		if err != nil {
			t.Fatal(err)
		}
		ts.Tokens[role] = secret
	}
	return ts
}

// do sends a request with the token of role (none when role is "") and
// returns the status and body.
func (ts *testServer) do(t *testing.T, role roster.Role, method, path, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if role != "" {
		req.Header.Set("Authorization", "Bearer "+ts.Tokens[role])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// createUser makes a user through the API and returns its public id.
//
// A last_visit or last_interaction in body, which staff cannot set (they
// follow from events), is sent as a visit or interaction event at that time
// once the user exists.
func (ts *testServer) createUser(t *testing.T, body string) string {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("create user: the test's body: %v", err)
	}
	var events []string
	for key, typ := range map[string]string{"last_visit": "visit", "last_interaction": "interaction"} {
		if at, ok := m[key]; ok {
			events = append(events, fmt.Sprintf(`{"type":%q,"time":%s}`, typ, at))
			delete(m, key)
		}
	}
	b, _ := json.Marshal(m)
	st, out := ts.do(t, roster.RoleAdmin, "POST", "/api/v1/users", string(b))
	if st != http.StatusCreated {
		t.Fatalf("create user: %d %s", st, out)
	}
	var u struct{ ID string }
	json.Unmarshal([]byte(out), &u)
	for _, e := range events {
		var at struct{ Time time.Time }
		json.Unmarshal([]byte(e), &at)
		e = `{"user":{"id":"` + u.ID + `"},` + e[1:]
		// The event arrives as it happens: the fixtures' times may be
		// older than the retention period now.
		clock := ts.DB.Now
		ts.DB.Now = func() time.Time { return at.Time.Add(time.Minute) }
		st, out := ts.do(t, roster.RoleAdmin, "POST", "/api/v1/events", `{"events":[`+e+`]}`)
		ts.DB.Now = clock
		if st != http.StatusOK || !strings.Contains(out, `"accepted":1`) {
			t.Fatalf("create user: event %s: %d %s", e, st, out)
		}
	}
	return u.ID
}

// scenario is one API call and what its answer must and must not hold.
type scenario struct {
	name    string
	role    roster.Role
	method  string
	path    string // {id} is replaced by an existing user's id
	body    string
	status  int
	want    []string
	notWant []string
}

func TestAPI(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ts := mustOpenServer(t, db)
		id := ts.createUser(t, `{"email":"ada@example.com","first_name":"Ada","country":"GB","points":5}`)
		ts.createUser(t, `{"email":"taken@example.com","client_id":"sso-taken"}`)
		for _, sc := range []scenario{
			{name: "no token", method: "GET", path: "/api/v1/users/{id}", status: 401, want: []string{`"code":"unauthorized"`}},
			{name: "bad token", role: "", method: "GET", path: "/api/v1/fields", status: 401},
			{name: "get", role: roster.RoleViewer, method: "GET", path: "/api/v1/users/{id}", status: 200,
				want: []string{`"email":"ada@example.com"`, `"total_followers":0`, `"roles":[]`, `"birth_date":null`}, notWant: []string{"password"}},
			{name: "get unknown", role: roster.RoleViewer, method: "GET", path: "/api/v1/users/u_nope", status: 404, want: []string{`"code":"not_found"`}},
			{name: "fields", role: roster.RoleViewer, method: "GET", path: "/api/v1/fields", status: 200,
				want: []string{`"key":"email"`, `"key":"total_followers"`}, notWant: []string{"password_hash"}},
			{name: "viewer cannot create", role: roster.RoleViewer, method: "POST", path: "/api/v1/users", body: `{"email":"v@example.com"}`, status: 403, want: []string{`"code":"forbidden"`}},
			{name: "viewer cannot patch", role: roster.RoleViewer, method: "PATCH", path: "/api/v1/users/{id}", body: `{"city":"Oslo"}`, status: 403},
			{name: "viewer cannot delete", role: roster.RoleViewer, method: "DELETE", path: "/api/v1/users/{id}", status: 403},
			{name: "viewer cannot add fields", role: roster.RoleViewer, method: "POST", path: "/api/v1/fields", body: `{"key":"x","label":"X","type":"text"}`, status: 403},
			{name: "support cannot delete", role: roster.RoleSupport, method: "DELETE", path: "/api/v1/users/{id}", status: 403},
			{name: "support can patch", role: roster.RoleSupport, method: "PATCH", path: "/api/v1/users/{id}", body: `{"city":"Oslo"}`, status: 200, want: []string{`"city":"Oslo"`}},
			{name: "bad email", role: roster.RoleAdmin, method: "POST", path: "/api/v1/users", body: `{"email":"nope"}`, status: 422, want: []string{`"fields":{"email":`}},
			{name: "unknown country", role: roster.RoleAdmin, method: "POST", path: "/api/v1/users", body: `{"email":"c@example.com","country":"XX"}`, status: 422, want: []string{`"country":`}},
			{name: "future birth date", role: roster.RoleAdmin, method: "POST", path: "/api/v1/users", body: `{"email":"b@example.com","birth_date":"2999-01-01"}`, status: 422, want: []string{`"birth_date":"is in the future"`}},
			{name: "negative followers", role: roster.RoleAdmin, method: "POST", path: "/api/v1/users", body: `{"email":"n@example.com","youtube_followers":-3}`, status: 422, want: []string{`"youtube_followers":"must not be negative"`}},
			{name: "wrong type", role: roster.RoleAdmin, method: "POST", path: "/api/v1/users", body: `{"email":"w@example.com","points":"many"}`, status: 422, want: []string{`"points":"must be a whole number"`}},
			{name: "over-long", role: roster.RoleAdmin, method: "POST", path: "/api/v1/users", body: `{"email":"l@example.com","first_name":"` + strings.Repeat("a", 300) + `"}`, status: 422, want: []string{`"first_name":"is longer than 255 characters"`}},
			{name: "duplicate email", role: roster.RoleAdmin, method: "POST", path: "/api/v1/users", body: `{"email":"TAKEN@example.com"}`, status: 409, want: []string{`"code":"conflict"`, `"email":"is already taken"`}},
			{name: "duplicate client id", role: roster.RoleAdmin, method: "POST", path: "/api/v1/users", body: `{"email":"x@example.com","client_id":"sso-taken"}`, status: 409, want: []string{`"client_id":"is already taken"`}},
			{name: "read-only id", role: roster.RoleAdmin, method: "PATCH", path: "/api/v1/users/{id}", body: `{"id":"u_x"}`, status: 422, want: []string{`"id":"is read-only"`}},
			{name: "read-only hash", role: roster.RoleAdmin, method: "POST", path: "/api/v1/users", body: `{"email":"h@example.com","password_hash":"x"}`, status: 422, want: []string{`"password_hash":"is read-only"`}},
			{name: "read-only created_at", role: roster.RoleAdmin, method: "PATCH", path: "/api/v1/users/{id}", body: `{"created_at":"2020-01-01T00:00:00Z"}`, status: 422, want: []string{`"created_at":"is read-only"`}},
			{name: "read-only total", role: roster.RoleAdmin, method: "PATCH", path: "/api/v1/users/{id}", body: `{"total_followers":5}`, status: 422, want: []string{`"total_followers":"is read-only"`}},
			{name: "unknown field", role: roster.RoleAdmin, method: "PATCH", path: "/api/v1/users/{id}", body: `{"cuntry":"FR"}`, status: 422, want: []string{`did you mean country?`}},
			{name: "not json", role: roster.RoleAdmin, method: "PATCH", path: "/api/v1/users/{id}", body: `{"city":`, status: 400, want: []string{`"code":"invalid"`}},
			{name: "array body", role: roster.RoleAdmin, method: "POST", path: "/api/v1/users", body: `[1]`, status: 400},
			{name: "empty body", role: roster.RoleAdmin, method: "POST", path: "/api/v1/users", body: ``, status: 400},
			{name: "weak password", role: roster.RoleAdmin, method: "POST", path: "/api/v1/users", body: `{"email":"p@example.com","password":"short"}`, status: 422, want: []string{`"password":`}},
			{name: "create field", role: roster.RoleAdmin, method: "POST", path: "/api/v1/fields", body: `{"key":"tier","label":"Tier","type":"choice","choices":["gold","silver"]}`, status: 201, want: []string{`"key":"tier"`}},
			{name: "field bad type", role: roster.RoleAdmin, method: "POST", path: "/api/v1/fields", body: `{"key":"size","label":"Size","type":"blob"}`, status: 422, want: []string{`"type":`}},
			{name: "field unknown member", role: roster.RoleAdmin, method: "POST", path: "/api/v1/fields", body: `{"key":"size","label":"Size","type":"number","requird":true}`, status: 400, want: []string{`requird`}},
			{name: "field reserved key", role: roster.RoleAdmin, method: "POST", path: "/api/v1/fields", body: `{"key":"email","label":"E","type":"text"}`, status: 422},
			{name: "custom value", role: roster.RoleAdmin, method: "PATCH", path: "/api/v1/users/{id}", body: `{"tier":"gold"}`, status: 200, want: []string{`"tier":"gold"`}},
			{name: "custom bad choice", role: roster.RoleAdmin, method: "PATCH", path: "/api/v1/users/{id}", body: `{"tier":"bronze"}`, status: 422, want: []string{`"tier":`}},
			{name: "rename field", role: roster.RoleAdmin, method: "PATCH", path: "/api/v1/fields/tier", body: `{"label":"Loyalty tier"}`, status: 200, want: []string{`"label":"Loyalty tier"`}},
			{name: "cannot retype field", role: roster.RoleAdmin, method: "PATCH", path: "/api/v1/fields/tier", body: `{"type":"text"}`, status: 422},
			{name: "manager cannot add fields", role: roster.RoleManager, method: "POST", path: "/api/v1/fields", body: `{"key":"y","label":"Y","type":"text"}`, status: 403},
			{name: "unknown route", role: roster.RoleAdmin, method: "GET", path: "/api/v1/nope", status: 404, want: []string{`"code":"not_found"`}},
			{name: "audit", role: roster.RoleAdmin, method: "GET", path: "/api/v1/audit?action=user.update", status: 200, want: []string{`"action":"user.update"`, `"city"`}},
			{name: "viewer cannot read audit", role: roster.RoleViewer, method: "GET", path: "/api/v1/audit", status: 403},
			{name: "delete", role: roster.RoleManager, method: "DELETE", path: "/api/v1/users/{id}", status: 204},
			{name: "deleted", role: roster.RoleViewer, method: "GET", path: "/api/v1/users/{id}", status: 404},
		} {
			t.Run(sc.name, func(t *testing.T) {
				path := strings.ReplaceAll(sc.path, "{id}", id)
				role := sc.role
				if sc.name == "bad token" {
					ts.Tokens["bogus"] = "rst_not-a-real-token"
					role = "bogus"
				}
				status, body := ts.do(t, role, sc.method, path, sc.body)
				if status != sc.status {
					t.Fatalf("status = %d, want %d; body %s", status, sc.status, body)
				}
				for _, w := range sc.want {
					if !strings.Contains(body, w) {
						t.Errorf("body lacks %s: %s", w, body)
					}
				}
				for _, w := range sc.notWant {
					if strings.Contains(body, w) {
						t.Errorf("body holds %s: %s", w, body)
					}
				}
				if status >= 400 && !strings.Contains(body, `"error":{"code":`) {
					t.Errorf("error body not in the error shape: %s", body)
				}
			})
		}
	})
}
