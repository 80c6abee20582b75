package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"

	"roster"
	"roster/sqldb"
	"roster/sqldb/sqldbtest"
	"roster/web"
	"roster/web/openapitest"
)

// serve starts s as a test server whose /api/ answers are each checked
// against the API description (openapitest): every API test checks the
// description by running. A benchmark's server is not checked (the check
// would weigh on what it measures).
func serve(t testing.TB, s *web.Server) *httptest.Server {
	t.Helper()
	if _, bench := t.(*testing.B); bench {
		return httptest.NewServer(s)
	}
	return httptest.NewServer(openapitest.Handler(t, s, mustChecker(t, s)))
}

func mustChecker(t testing.TB, s *web.Server) *openapitest.Checker {
	t.Helper()
	c, err := openapitest.New(s.OpenAPI())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestOpenAPI_Coverage: every /api/ route of the route table is an
// operation of the description, with its method, path and permission, and
// the description has no other operation.
func TestOpenAPI_Coverage(t *testing.T) {
	ts := mustOpenServer(t, sqldbtest.MustOpenDB(t, sqldb.SQLite))
	var doc struct {
		Paths map[string]map[string]struct {
			Permission  string `json:"x-roster-permission"`
			Description string `json:"description"`
			Security    []map[string][]string
			Tags        []string
		} `json:"paths"`
		Tags []struct{ Name string }
	}
	if err := json.Unmarshal(ts.Web.OpenAPI(), &doc); err != nil {
		t.Fatal(err)
	}
	undescribed := web.UndescribedAPIRoutes()
	ops := web.OperationPatterns()
	described := map[string]bool{}
	for _, rt := range ts.Web.Routes() {
		if !strings.HasPrefix(rt.Path(), "/api") {
			continue
		}
		if why, ok := undescribed[rt.Pattern]; ok {
			t.Logf("%s is not an operation: %s", rt.Pattern, why)
			continue
		}
		described[rt.Pattern] = true
		if !ops[rt.Pattern] {
			t.Errorf("route %q has no operation: add its entry to operations in web/openapi_ops.go", rt.Pattern)
			continue
		}
		op, ok := doc.Paths[rt.Path()][strings.ToLower(rt.Method())]
		if !ok {
			t.Errorf("route %q: the description has no operation %s %s", rt.Pattern, rt.Method(), rt.Path())
			continue
		}
		want := string(rt.Perm)
		switch {
		case rt.Perm != "":
		case strings.HasPrefix(rt.Path(), "/api/member/v1/") && len(op.Security) > 0:
			want = "member"
		default:
			want = "public"
		}
		if op.Permission != want {
			t.Errorf("route %q needs %q; the description says %q", rt.Pattern, want, op.Permission)
		}
		// The reference page groups operations by the listed tags.
		if len(op.Tags) != 1 || !slices.ContainsFunc(doc.Tags, func(t struct{ Name string }) bool { return t.Name == op.Tags[0] }) {
			t.Errorf("route %q: its tags %q are not one of the description's tags (tagOrder in web/openapi.go)", rt.Pattern, op.Tags)
		}
		if !strings.Contains(op.Description, "Permission: "+want) {
			t.Errorf("route %q: the operation's description does not say its permission %q: %q", rt.Pattern, want, op.Description)
		}
		if rt.Perm != "" && (len(op.Security) != 1 || op.Security[0]["apiToken"] == nil) {
			t.Errorf("route %q needs a staff API token; the description's security is %v", rt.Pattern, op.Security)
		}
	}
	for pattern := range ops {
		if !described[pattern] {
			t.Errorf("operation %q of web/openapi_ops.go describes no route of the route table", pattern)
		}
	}
	n := 0
	for path, item := range doc.Paths {
		for method := range item {
			n++
			if !described[strings.ToUpper(method)+" "+path] {
				t.Errorf("the description has %s %s, which is no route", strings.ToUpper(method), path)
			}
		}
	}
	t.Logf("%d operations", n)
}

// TestOpenAPI_Valid: the description served at /api/openapi.json, without
// a token, loads and validates as OpenAPI 3.1, and its main resources have
// object schemas with required members.
func TestOpenAPI_Valid(t *testing.T) {
	ts := mustOpenServer(t, sqldbtest.MustOpenDB(t, sqldb.SQLite))
	resp, err := http.Get(ts.URL + "/api/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("GET /api/openapi.json: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	doc, err := openapitest.Load(context.Background(), b)
	if err != nil {
		t.Fatalf("the description does not validate: %v", err)
	}
	if doc.OpenAPI != "3.1.0" || !doc.IsOpenAPI31OrLater() {
		t.Errorf("openapi = %q, want 3.1.0", doc.OpenAPI)
	}
	for _, name := range []string{"User", "Field", "Tag", "Group", "Code", "Segment", "Import", "AuditEntry", "Session",
		"EventAnswer", "Ledger", "LedgerEntry", "Note", "Task", "Error", "Membership", "Month", "PushToken"} {
		s := doc.Components.Schemas[name]
		switch {
		case s == nil || s.Value == nil:
			t.Errorf("schema %s is missing", name)
		case !s.Value.Type.Is("object") || len(s.Value.Required) == 0 || len(s.Value.Properties) == 0:
			t.Errorf("schema %s is not an object with required members: %v %v", name, s.Value.Type, s.Value.Required)
		}
	}
	for _, scheme := range []string{"apiToken", "memberSession"} {
		if doc.Components.SecuritySchemes[scheme] == nil {
			t.Errorf("security scheme %s is missing", scheme)
		}
	}
	// Every operation answers its errors in the one error shape, and has
	// a success answer.
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if op.Responses.Default() == nil {
				t.Errorf("%s %s: no default (error) answer", method, path)
			}
			if op.Responses.Len() < 2 {
				t.Errorf("%s %s: no success answer", method, path)
			}
		}
	}
}

// TestOpenAPI_ValidationCatches: the answer check of every API test does
// fail on an answer the description does not allow.
func TestOpenAPI_ValidationCatches(t *testing.T) {
	ts := mustOpenServer(t, sqldbtest.MustOpenDB(t, sqldb.SQLite))
	checker := mustChecker(t, ts.Web)
	for _, c := range []struct {
		name, method, path string
		status             int
		body               string
	}{
		{"a tag without its name", "GET", "/api/v1/tags/1", 200, `{"id": 1, "color": "#000000", "users": 0, "created_at": "2026-01-01T00:00:00Z"}`},
		{"an undescribed success status", "GET", "/api/v1/tags/1", 201, `{"id": 1}`},
		{"an error in another shape", "GET", "/api/v1/tags/1", 404, `{"message": "not found"}`},
		{"a deletion answering 200 with a body", "DELETE", "/api/v1/segments/1", 200, `{"deleted": true}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			fake := &fakeT{TB: t}
			h := openapitest.Handler(fake, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(c.status)
				w.Write([]byte(c.body))
			}), checker)
			req := httptest.NewRequest(c.method, c.path, nil)
			req.Header.Set("Authorization", "Bearer "+ts.Tokens[roster.RoleOwner])
			h.ServeHTTP(httptest.NewRecorder(), req)
			if len(fake.errors) == 0 {
				t.Errorf("%s was not caught", c.name)
			} else {
				t.Logf("caught: %.200s", fake.errors[0])
			}
		})
	}
}

// fakeT keeps the errors a check reports instead of failing the test.
type fakeT struct {
	testing.TB
	errors []string
}

func (f *fakeT) Errorf(format string, args ...any) {
	f.errors = append(f.errors, fmt.Sprintf(format, args...))
}

// TestAPIReference_Page: the reference page shows every operation of the
// description, with its method, path, permission and curl command, to
// any signed-in staff, and a link to it in the Settings menu.
func TestAPIReference_Page(t *testing.T) {
	ts := mustOpenServer(t, sqldbtest.MustOpenDB(t, sqldb.SQLite))
	var doc struct {
		Paths map[string]map[string]struct {
			ID         string `json:"operationId"`
			Permission string `json:"x-roster-permission"`
			Curl       string `json:"x-roster-curl"`
		}
	}
	if err := json.Unmarshal(ts.Web.OpenAPI(), &doc); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, ts)
	b.signIn(roster.RoleViewer, "/")
	page := b.page("/settings/api")
	n := 0
	for path, item := range doc.Paths {
		for method, op := range item {
			n++
			i := strings.Index(page, `<article class="api-op" id="`+op.ID+`"`)
			if i < 0 {
				t.Errorf("%s %s: not on the page", strings.ToUpper(method), path)
				continue
			}
			art, _, found := strings.Cut(page[i:], "</article>")
			if !found {
				t.Fatalf("%s %s: the operation's article is not closed", strings.ToUpper(method), path)
			}
			for _, want := range []string{">" + strings.ToUpper(method) + "<", ">" + path + "<", "Permission: <code>" + op.Permission + "</code>", op.Curl, "Copy as curl"} {
				if !strings.Contains(art, want) {
					t.Errorf("%s %s: the page's operation lacks %q", strings.ToUpper(method), path, want)
				}
			}
		}
	}
	if !strings.Contains(page, "The "+strconv.Itoa(n)+" operations") {
		t.Errorf("the page does not count %d operations", n)
	}
	if !strings.Contains(b.page("/account"), `<a href="/settings/api">API reference</a>`) {
		t.Error("the Settings menu has no link to the API reference")
	}
}
