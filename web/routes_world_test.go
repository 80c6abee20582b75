package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"roster"
	"roster/sqldb"
	"roster/web"
)

// world is the fixture the route-walking tests share on one database: a
// server with imports wired in (but no runner, so that jobs stay as a test
// leaves them and write no entries of their own), the staff member who acts
// (the admin: its token and a signed-in browser), and the services to make
// users, tags, groups, codes, segments, fields and import jobs with.
type world struct {
	ts    *testServer
	db    *sqldb.DB
	ctx   context.Context // the "test" actor, for setting things up
	actor *roster.Staff   // who performs every route
	b     *browser        // signed in as actor

	users    *sqldb.UserService
	fields   *sqldb.FieldService
	staff    *sqldb.StaffService
	tags     *sqldb.TagService
	groups   *sqldb.GroupService
	segments *sqldb.SegmentService
	jobs     *sqldb.JobService
	audit    *sqldb.AuditService

	mark int64 // the newest audit entry before the request under test
	seq  int   // makes names unique

	hookRecv *hookReceiver // every test webhook's receiver (webhooks_test.go)
}

func newWorld(t *testing.T, db *sqldb.DB) *world {
	t.Helper()
	js := sqldb.NewJobService(db)
	ts := mustOpenServerWith(t, db, func(s *web.Server) { s.Jobs = js })
	w := &world{
		ts: ts, db: db, ctx: roster.NewContextWithActor(context.Background(), roster.Actor{Label: "test"}),
		users: sqldb.NewUserService(db), fields: sqldb.NewFieldService(db), staff: sqldb.NewStaffService(db),
		tags: sqldb.NewTagService(db), groups: sqldb.NewGroupService(db), segments: sqldb.NewSegmentService(db),
		jobs: js, audit: sqldb.NewAuditService(db), hookRecv: newHookReceiver(t),
	}
	var err error
	if w.actor, err = w.staff.FindStaffByEmail(w.ctx, "admin@staff.example.com"); err != nil {
		t.Fatal(err)
	}
	w.b = newBrowser(t, ts)
	w.b.signIn(roster.RoleAdmin, "/")
	return w
}

// name returns prefix made unique in this world.
func (w *world) name(prefix string) string {
	w.seq++
	return fmt.Sprintf("%s%d", prefix, w.seq)
}

// user makes a user with a unique email starting with prefix and returns
// its public id and email.
func (w *world) user(t *testing.T, prefix string) (string, string) {
	t.Helper()
	email := w.name(prefix) + "@example.com"
	u := &roster.User{Email: email}
	if err := w.users.CreateUser(w.ctx, u, ""); err != nil {
		t.Fatal(err)
	}
	return u.PublicID, email
}

func (w *world) tag(t *testing.T, prefix string, users ...string) int64 {
	t.Helper()
	tg := &roster.Tag{Name: w.name(prefix), Color: "#175cd3"}
	if err := w.tags.CreateTag(w.ctx, tg); err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		if err := w.tags.TagUser(w.ctx, u, tg.ID); err != nil {
			t.Fatal(err)
		}
	}
	return tg.ID
}

func (w *world) group(t *testing.T, prefix string, join roster.JoinType, members ...string) *roster.Group {
	t.Helper()
	g := &roster.Group{Name: w.name(prefix), JoinType: join}
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

// code makes a single-use code for group g and returns it.
func (w *world) code(t *testing.T, g int64) roster.GroupCode {
	t.Helper()
	codes, err := w.groups.CreateCodes(w.ctx, g, roster.CodeRequest{Count: 1, MaxUses: 1})
	if err != nil {
		t.Fatal(err)
	}
	return codes[0]
}

func (w *world) segment(t *testing.T, prefix string) *roster.Segment {
	t.Helper()
	sg := &roster.Segment{Name: w.name(prefix), Q: "country:FR"}
	if err := w.segments.CreateSegment(w.ctx, sg); err != nil {
		t.Fatal(err)
	}
	return sg
}

func (w *world) field(t *testing.T, prefix string) *roster.Field {
	t.Helper()
	f := &roster.Field{Key: w.name(prefix), Label: "Old label", Type: roster.TypeText}
	if err := w.fields.CreateCustomField(w.ctx, f); err != nil {
		t.Fatal(err)
	}
	return f
}

// newStaff makes a viewer staff account and returns it.
func (w *world) newStaff(t *testing.T) *roster.Staff {
	t.Helper()
	st := &roster.Staff{Email: w.name("staff") + "@staff.example.com", Role: roster.RoleViewer}
	if err := w.staff.CreateStaff(w.ctx, st, staffPassword); err != nil {
		t.Fatal(err)
	}
	return st
}

// Import jobs in the states the routes act on.
const (
	jobNeedsMapping = "needs mapping" // a column, nick, matches no field
	jobQueued       = "queued"
	jobDryRunDone   = "dry run done"
)

// job stores an import job of a small file in state and returns its id.
func (w *world) job(t *testing.T, state string) int64 {
	t.Helper()
	j := &roster.Job{Kind: "import", Status: roster.JobQueued, FileName: w.name("people") + ".csv",
		Options: roster.ImportOptions{Mode: roster.ImportUpsert, Key: "email"}}
	file := "email\nimported@example.com\n"
	switch state {
	case jobNeedsMapping:
		j.Status, j.Unknown = roster.JobNeedsMapping, []string{"nick"}
		file = "email,nick\nimported@example.com,Imp\n"
	case jobDryRunDone:
		j.Options.DryRun = true
	}
	if err := w.jobs.CreateJob(w.ctx, j, strings.NewReader(file), 0); err != nil {
		t.Fatal(err)
	}
	if state == jobDryRunDone {
		if err := w.jobs.FinishJob(w.ctx, j.ID, roster.JobDone, ""); err != nil {
			t.Fatal(err)
		}
	}
	return j.ID
}

// markNow records the newest audit entry: what the request under test
// writes comes after it.
func (w *world) markNow(t *testing.T) {
	t.Helper()
	es, err := w.audit.FindAuditEntries(w.ctx, roster.AuditFilter{Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	w.mark = 0
	if len(es) > 0 {
		w.mark = es[0].ID
	}
}

// since returns the audit entries written after the mark, oldest first.
func (w *world) since(t *testing.T) []*roster.AuditEntry {
	t.Helper()
	es, err := w.audit.FindAuditEntries(w.ctx, roster.AuditFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var out []*roster.AuditEntry
	for i := len(es) - 1; i >= 0; i-- {
		if es[i].ID > w.mark {
			out = append(out, es[i])
		}
	}
	return out
}

// api sends one API request as the actor, right after marking the audit
// log, and fails unless it answers want; it returns the body.
func (w *world) api(t *testing.T, method, path, body string, want int) string {
	t.Helper()
	w.markNow(t)
	st, out := w.ts.do(t, roster.RoleAdmin, method, path, body)
	if st != want {
		t.Fatalf("%s %s %s: status %d, want %d; body %s", method, path, body, st, want, out)
	}
	return out
}

// csrf returns the CSRF token of b's session, read from a page any signed
// in staff member may see.
func (b *browser) csrf() string {
	b.t.Helper()
	resp := b.get("/account")
	if resp.StatusCode != http.StatusOK {
		b.t.Fatalf("GET /account: %d\n%s", resp.StatusCode, resp.Body)
	}
	return formValue(b.t, csrfInput, resp.Body)
}

// page posts a page form as the actor with its CSRF token, right after
// marking the audit log, and fails unless it answers want.
func (w *world) page(t *testing.T, path string, form url.Values, want int) *response {
	t.Helper()
	b := w.b.with(t)
	form.Set("csrf", b.csrf())
	w.markNow(t)
	resp := b.post(path, form, nil)
	if resp.StatusCode != want {
		t.Fatalf("POST %s %v: status %d, want %d\n%s", path, form, resp.StatusCode, want, resp.Body)
	}
	return resp
}

// upload posts a CSV file with parts to path (the API with the actor's
// token, a page with its session and CSRF token) right after marking the
// audit log, and fails unless it answers want.
func (w *world) upload(t *testing.T, path string, parts map[string]string, content string, want int) (*http.Response, string) {
	t.Helper()
	api := strings.HasPrefix(path, "/api/")
	if !api {
		parts["csrf"] = w.b.with(t).csrf()
	}
	ctype, body := multipartBody(t, parts, "people.csv", content)
	req, err := http.NewRequest("POST", w.ts.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", ctype)
	if api {
		req.Header.Set("Authorization", "Bearer "+w.ts.Tokens[roster.RoleAdmin]) // the API ignores the cookie
	}
	w.markNow(t)
	resp := w.b.with(t).do(req)
	if resp.StatusCode != want {
		t.Fatalf("upload to %s: status %d, want %d\n%s", path, resp.StatusCode, want, resp.Body)
	}
	return resp.Response, resp.Body
}

// idOf returns the id member of a JSON answer.
func idOf(t *testing.T, body string) string {
	t.Helper()
	v := decode[struct {
		ID any `json:"id"`
	}](t, body)
	switch id := v.ID.(type) {
	case string:
		return id
	case float64:
		return strconv.FormatInt(int64(id), 10)
	}
	t.Fatalf("no id in %s", body)
	return ""
}

// isWrite reports whether rt may change something: a write method, or
// every method.
func isWrite(rt web.Route) bool {
	switch rt.Method() {
	case "POST", "PATCH", "PUT", "DELETE", "":
		return true
	}
	return false
}
