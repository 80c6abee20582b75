package web_test

import (
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"roster"
	"roster/sqldb"
	"roster/sqldb/sqldbtest"
	"roster/web"
)

// harmlessPath fills rt's path wildcards with ids that name nothing, so
// that a request the role may make changes nothing.
func harmlessPath(rt web.Route) string {
	path := rt.Path()
	switch path {
	case "/":
		return "/no-such-page"
	case "/{$}":
		return "/"
	}
	for _, n := range wildcards(path) {
		v := "999999"
		switch {
		case n == "key":
			v = "nosuchfield"
		case n == "user_id", n == "id" && (strings.HasPrefix(path, "/users/") || strings.HasPrefix(path, "/api/v1/users/")):
			v = "u_nosuchuser"
		}
		path = strings.Replace(path, "{"+n+"}", v, 1)
	}
	return path
}

// harmlessForms overrides the empty form of a page route whose handler
// would otherwise refuse for another reason than the route's permission.
var harmlessForms = map[string]url.Values{
	// With no tag id, the form creates a tag, which needs organize too.
	"POST /users/{id}/tags": {"tag": {"999999"}},
}

// TestRoutes_Permissions sends a harmless request (ids that name nothing,
// empty bodies) to every route of the route table but the public ones, as
// every role: API and SCIM routes with the role's token, page routes with a signed
// in session and its CSRF token. The answer must be 403 exactly when the
// role lacks the route's permission, and never a request to sign in.
func TestRoutes_Permissions(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		w := newWorld(t, db)
		browsers := map[roster.Role]*browser{}
		for _, role := range roster.Roles {
			b := newBrowser(t, w.ts)
			b.signIn(role, "/")
			browsers[role] = b
		}
		covered := 0
		for _, rt := range w.ts.Web.Routes() {
			if rt.Perm == "" {
				continue
			}
			covered++
			method := rt.Method()
			if method == "" {
				method = "GET"
			}
			path := harmlessPath(rt)
			for _, role := range roster.Roles {
				var status int
				var body, loc string
				var fresh *browser
				if strings.HasPrefix(path, "/api/") || strings.HasPrefix(path, "/scim/") {
					status, body = w.ts.do(t, role, method, path, "")
				} else {
					b := browsers[role]
					if rt.Pattern == "POST /signout" {
						// Signing out ends the session: use one of its own.
						fresh = newBrowser(t, w.ts)
						fresh.signIn(role, "/")
						b = fresh
					}
					form := url.Values{}
					for k, v := range harmlessForms[rt.Pattern] {
						form[k] = v
					}
					var resp *response
					if method == "GET" {
						resp = b.get(path)
					} else {
						form.Set("csrf", b.csrf())
						req, err := http.NewRequest(method, w.ts.URL+path, strings.NewReader(form.Encode()))
						if err != nil {
							t.Fatal(err)
						}
						req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
						resp = b.do(req)
					}
					status, body, loc = resp.StatusCode, resp.Body, resp.Header.Get("Location")
				}
				may := role.Can(rt.Perm)
				if fresh != nil && may && status == http.StatusSeeOther && loc == "/signin" {
					// Signing out answers with the sign-in page: it is
					// done when the session no longer works.
					if resp := fresh.get("/account"); resp.StatusCode != http.StatusSeeOther {
						t.Errorf("after signing out as %s, GET /account: %d", role, resp.StatusCode)
					}
					loc = ""
				}
				switch {
				case status == http.StatusUnauthorized || strings.HasPrefix(loc, "/signin"):
					t.Errorf("%s %s as %s: %d (Location %q): the request was not signed in", method, path, role, status, loc)
				case may && status == http.StatusForbidden:
					t.Errorf("%s %s as %s, who has %s: refused with 403: %.200s", method, path, role, rt.Perm, body)
				case !may && status != http.StatusForbidden:
					t.Errorf("%s %s as %s, who lacks %s: status %d, want 403: %.200s", method, path, role, rt.Perm, status, body)
				case status >= 500:
					t.Errorf("%s %s as %s: status %d for a harmless request: %.200s", method, path, role, status, body)
				}
			}
		}
		t.Logf("%d routes × %d roles", covered, len(roster.Roles))
	})
}

// apiPermissionWords are the README's words for each permission.
var apiPermissionWords = map[string]roster.Permission{
	"view users": roster.PermViewUsers, "edit users": roster.PermEditUsers, "manage users": roster.PermManageUsers,
	"export users": roster.PermExport, "import users": roster.PermImport, "manage fields": roster.PermManageFields,
	"organize": roster.PermOrganize, "view audit log": roster.PermViewAudit, "manage staff": roster.PermManageStaff,
}

// readmeAPIRoutes reads the README's table of API routes: each route
// pattern (without its query) and the permission the table gives it.
func readmeAPIRoutes(t *testing.T) map[string]roster.Permission {
	t.Helper()
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	start := slices.Index(lines, "| route | permission |")
	if start < 0 {
		t.Fatal("README.md has no API route table (| route | permission |)")
	}
	code := regexp.MustCompile("`([^`]+)`")
	out := map[string]roster.Permission{}
	for _, l := range lines[start+2:] {
		if !strings.HasPrefix(l, "|") {
			break
		}
		cells := strings.Split(strings.Trim(l, "| "), " | ")
		if len(cells) != 2 {
			t.Fatalf("API route table row %q has %d cells", l, len(cells))
		}
		// "`GET /x` / `PUT /x` | view users / organize": one permission each.
		routeParts, permParts := strings.Split(cells[0], "` / `"), strings.Split(cells[1], " / ")
		if len(routeParts) != len(permParts) {
			t.Fatalf("API route table row %q: %d route groups, %d permissions", l, len(routeParts), len(permParts))
		}
		var last string
		for i, part := range routeParts {
			perm, ok := apiPermissionWords[strings.TrimSpace(permParts[i])]
			if !ok {
				t.Fatalf("API route table row %q: unknown permission %q", l, permParts[i])
			}
			for _, m := range code.FindAllStringSubmatch("`"+strings.Trim(part, "`")+"`", -1) {
				route, _, _ := strings.Cut(m[1], "?")
				if strings.HasPrefix(route, "/") { // "`/run`": a sibling of the route before
					method, path, _ := strings.Cut(last, " ")
					route = method + " " + path[:strings.LastIndex(path, "/")] + route
				}
				out[route], last = perm, route
			}
		}
	}
	return out
}

// TestRoutes_APIPermissionsDocumented checks every API route's permission
// against the README's table, which states what each route needs
// independently of the route table: a route given the wrong permission, or
// one missing from the README, fails here.
func TestRoutes_APIPermissionsDocumented(t *testing.T) {
	doc := readmeAPIRoutes(t)
	// The route table does not depend on the database: SQLite will do.
	ts := mustOpenServer(t, sqldbtest.MustOpenDB(t, sqldb.SQLite))
	seen := map[string]bool{}
	for _, rt := range ts.Web.Routes() {
		if !strings.HasPrefix(rt.Path(), "/api/") || rt.Perm == "" {
			continue
		}
		seen[rt.Pattern] = true
		perm, ok := doc[rt.Pattern]
		switch {
		case !ok:
			t.Errorf("API route %q is not in the README's route table", rt.Pattern)
		case perm != rt.Perm:
			t.Errorf("API route %q needs %s; the README says %s", rt.Pattern, rt.Perm, perm)
		}
	}
	for route := range doc {
		if !seen[route] {
			t.Errorf("the README's route table lists %q, which is not an API route", route)
		}
	}
	t.Logf("%d API routes documented", len(seen))
}
