package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"roster"
	"roster/sqldb"
	"roster/sqldb/sqldbtest"
)

// storeSnapshot describes what a database holds, for tests that check a
// request changed nothing: counts and ids of every kind of object, and the
// number of audit entries (every write leaves one).
func storeSnapshot(t *testing.T, db *sqldb.DB) string {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	n, err := sqldb.NewUserService(db).CountUsers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&b, "users %d\n", n)
	tags, err := sqldb.NewTagService(db).FindTags(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, tg := range tags {
		fmt.Fprintf(&b, "tag %d %q %d\n", tg.ID, tg.Name, tg.Users)
	}
	gs := sqldb.NewGroupService(db)
	groups, err := gs.FindGroups(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range groups {
		fmt.Fprintf(&b, "group %d %q %q %v\n", g.ID, g.Name, g.Description, g.Members)
		codes, err := gs.FindCodes(ctx, g.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range codes {
			fmt.Fprintf(&b, "  code %d uses %d\n", c.ID, c.Uses)
		}
	}
	segs, err := sqldb.NewSegmentService(db).FindSegments(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, sg := range segs {
		fmt.Fprintf(&b, "segment %d %q %s\n", sg.ID, sg.Name, sg.UpdatedAt)
	}
	ss := sqldb.NewStaffService(db)
	staff, err := ss.FindStaff(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range staff {
		fmt.Fprintf(&b, "staff %d %s %s %v\n", st.ID, st.Email, st.Role, st.Active)
		toks, err := ss.FindTokens(ctx, st.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, tk := range toks {
			fmt.Fprintf(&b, "  token %d revoked %v\n", tk.ID, tk.RevokedAt)
		}
	}
	fields, err := sqldb.NewFieldService(db).FindCustomFields(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fields {
		fmt.Fprintf(&b, "field %s %q\n", f.Key, f.Label)
	}
	entries, err := sqldb.NewAuditService(db).FindAuditEntries(ctx, roster.AuditFilter{Limit: 100000})
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&b, "audit entries %d\n", len(entries))
	return b.String()
}

var pathParam = regexp.MustCompile(`\{([a-z_]+)(\.\.\.)?\}`)

// TestAPI_NonCanonicalPaths sends every API route of the route table, with
// every method, on paths made non-canonical at each segment (a "..", an
// encoded "%2e%2e", an empty segment, a "."). Such a path must never be
// turned into another request: no answer is a redirect (a 307 keeps the
// method, and clients follow it with the bearer token: DELETE
// /users/{id}/tags/.. would delete the user), and nothing changes in the
// store. The client follows redirects, as real clients do.
func TestAPI_NonCanonicalPaths(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ts := mustOpenServer(t, db)
		uid := ts.createUser(t, `{"email":"victim@example.com","first_name":"Vic"}`)
		ts.createUser(t, `{"email":"other@example.com"}`)
		ids := map[string]string{"user_id": uid, "key": "tier"}
		create := func(path, body, key string) {
			st, out := ts.do(t, roster.RoleOwner, "POST", path, body)
			if st != http.StatusCreated {
				t.Fatalf("POST %s: %d %s", path, st, out)
			}
			var v struct {
				ID    json.Number `json:"id"`
				Codes []struct {
					ID json.Number `json:"id"`
				} `json:"codes"`
			}
			json.Unmarshal([]byte(out), &v)
			if key == "code_id" && len(v.Codes) > 0 {
				ids[key] = v.Codes[0].ID.String()
				return
			}
			ids[key] = v.ID.String()
		}
		create("/api/v1/tags", `{"name":"vip","color":"#ff0000"}`, "tag_id")
		create("/api/v1/groups", `{"name":"Club","join_type":"code"}`, "group")
		create("/api/v1/groups/"+ids["group"]+"/codes", `{"count":1,"max_uses":3}`, "code_id")
		create("/api/v1/segments", `{"name":"Everyone","q":""}`, "segment")
		create("/api/v1/fields", `{"key":"tier","label":"Tier","type":"text"}`, "field")
		ts.do(t, roster.RoleOwner, "POST", "/api/v1/users/"+uid+"/tags", `{"tag_id":`+ids["tag_id"]+`}`)
		ts.do(t, roster.RoleOwner, "POST", "/api/v1/groups/"+ids["group"]+"/members/"+uid, "")

		// Fill a route's wildcards with ids of things that exist, so that a
		// path turned into another route would find something to change.
		fill := func(path string) string {
			segs := strings.Split(path, "/")
			for i, sg := range segs {
				m := pathParam.FindStringSubmatch(sg)
				if m == nil {
					continue
				}
				name := m[1]
				if name == "id" {
					switch segs[i-1] {
					case "users":
						name = "user_id"
					case "tags":
						name = "tag_id"
					case "groups":
						name = "group"
					case "segments":
						name = "segment"
					default:
						name = "none"
					}
				}
				v, ok := ids[name]
				if !ok {
					v = "1"
				}
				segs[i] = v
			}
			return strings.Join(segs, "/")
		}

		methods := []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"}
		seen := map[string]bool{}
		var paths []string
		for _, rt := range ts.Web.Routes() {
			path := rt.Path()
			if rt.Method() == "" || !strings.HasPrefix(path, "/api/v1/") {
				continue
			}
			path = fill(path)
			segs := strings.Split(strings.TrimPrefix(path, "/"), "/")
			for i := range segs {
				for _, bad := range []string{"..", "%2e%2e", "%2E%2E", ".", "%2e", ""} {
					// bad inserted after segment i, and bad in place of it.
					ins := append(append(append([]string{}, segs[:i+1]...), bad), segs[i+1:]...)
					rep := append(append(append([]string{}, segs[:i]...), bad), segs[i+1:]...)
					for _, v := range [][]string{ins, rep} {
						u := "/" + strings.Join(v, "/")
						if !seen[u] {
							seen[u] = true
							paths = append(paths, u)
						}
					}
				}
			}
		}
		if len(paths) < 200 {
			t.Fatalf("only %d paths from the route table", len(paths))
		}

		before := storeSnapshot(t, db)
		var redirects []string
		client := &http.Client{CheckRedirect: func(req *http.Request, via []*http.Request) error {
			redirects = append(redirects, fmt.Sprintf("%s %s -> %s", via[0].Method, via[0].URL.RequestURI(), req.URL.RequestURI()))
			if len(via) > 3 {
				return http.ErrUseLastResponse
			}
			return nil
		}}
		statuses := map[int]int{}
		for _, p := range paths {
			for _, m := range methods {
				req, err := http.NewRequest(m, ts.URL+p, strings.NewReader(`{}`))
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+ts.Tokens[roster.RoleOwner])
				resp, err := client.Do(req)
				if err != nil {
					t.Fatalf("%s %s: %v", m, p, err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				statuses[resp.StatusCode]++
				if resp.StatusCode != http.StatusBadRequest && resp.StatusCode != http.StatusNotFound {
					t.Errorf("%s %s: status %d, want 400 or 404", m, p, resp.StatusCode)
				}
			}
		}
		t.Logf("%d paths × %d methods: statuses %v", len(paths), len(methods), statuses)
		for i, r := range redirects {
			if i == 10 {
				t.Errorf("... and %d more redirects", len(redirects)-10)
				break
			}
			t.Errorf("redirected: %s", r)
		}
		if after := storeSnapshot(t, db); after != before {
			t.Errorf("non-canonical paths changed the store:\nbefore:\n%s\nafter:\n%s", before, after)
		}
		if st, _ := ts.do(t, roster.RoleViewer, "GET", "/api/v1/users/"+uid, ""); st != http.StatusOK {
			t.Errorf("the victim user is gone: %d", st)
		}
	})
}

// TestRoutes_NonGETNeverRedirected: no route of the table, pages included,
// answers a request that is not a GET with a redirect that keeps or drops
// the method (301, 302, 307, 308), with or without a trailing slash, signed
// in or not. A 303 to the sign-in page turns the request into a GET and is
// allowed.
func TestRoutes_NonGETNeverRedirected(t *testing.T) {
	ts := mustOpenServer(t, sqldbtest.MustOpenDB(t, sqldb.SQLite))
	for _, rt := range ts.Web.Routes() {
		path := rt.Path()
		path = pathParam.ReplaceAllString(path, "1")
		path = strings.TrimSuffix(path, "{$}")
		for _, v := range []string{path, strings.TrimSuffix(path, "/"), path + "/"} {
			if v == "" {
				continue
			}
			for _, m := range []string{"POST", "PUT", "PATCH", "DELETE"} {
				for _, auth := range []string{"", "Bearer " + ts.Tokens[roster.RoleOwner]} {
					req, err := http.NewRequest(m, ts.URL+v, strings.NewReader(`{}`))
					if err != nil {
						t.Fatal(err)
					}
					if auth != "" {
						req.Header.Set("Authorization", auth)
					}
					resp, err := ts.Client().Transport.RoundTrip(req)
					if err != nil {
						t.Fatal(err)
					}
					resp.Body.Close()
					switch resp.StatusCode {
					case 301, 302, 307, 308:
						t.Errorf("%s %s (route %s): %d to %s", m, v, rt.Pattern, resp.StatusCode, resp.Header.Get("Location"))
					}
				}
			}
		}
	}
}
