package web_test

import (
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"roster"
	"roster/sqldb"
	"roster/sqldb/sqldbtest"
)

// get sends a GET with the token of role and returns the answer with its
// body read.
func (ts *testServer) get(t *testing.T, role roster.Role, path string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest("GET", ts.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+ts.Tokens[role])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func readCSV(t *testing.T, body string) [][]string {
	t.Helper()
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\uFEFF"))).ReadAll()
	if err != nil {
		t.Fatalf("not CSV: %v\n%s", err, body)
	}
	return recs
}

// column returns the cells of the column named key, header excluded.
func column(t *testing.T, recs [][]string, key string) []string {
	t.Helper()
	i := slices.Index(recs[0], key)
	if i < 0 {
		t.Fatalf("no column %s in %v", key, recs[0])
	}
	var out []string
	for _, r := range recs[1:] {
		out = append(out, r[i])
	}
	return out
}

var attachmentName = regexp.MustCompile(`^attachment; filename="users-\d{8}-\d{6}\.csv"$`)

func TestExport(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ts := mustOpenServer(t, db)
		ts.call(t, roster.RoleAdmin, "POST", "/api/v1/fields", `{"key":"tier","label":"Tier","type":"choice","choices":["gold","silver"]}`, 201)
		anne := ts.createUser(t, `{"email":"anne@example.com","first_name":"-Anne","mobile_phone":"+33612345678","country":"FR","points":30,"tier":"gold","last_visit":"2025-03-01T10:00:00.123Z"}`)
		ts.createUser(t, `{"email":"calc@example.com","first_name":"=1+1","country":"FR","points":20}`)
		ts.createUser(t, `{"email":"zed@example.com","first_name":"Zed","country":"FR","points":30}`)
		ts.createUser(t, `{"email":"us@example.com","first_name":"Sam","country":"US","points":99}`)
		tag := ts.createTag(t, `{"name":"VIP","color":"#175cd3"}`)
		ts.call(t, roster.RoleAdmin, "POST", "/api/v1/users/"+anne+"/tags", fmt.Sprintf(`{"tag_id":%d}`, tag.ID), 200)
		manager, viewer := roster.RoleManager, roster.RoleViewer

		t.Run("FilterAndSort", func(t *testing.T) {
			params := url.Values{"q": {"country:FR"}, "sort": {"-points,email"}}
			resp, body := ts.get(t, manager, "/api/v1/users/export.csv?"+params.Encode())
			if resp.StatusCode != 200 {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
				t.Errorf("Content-Type %q", ct)
			}
			if cd := resp.Header.Get("Content-Disposition"); !attachmentName.MatchString(cd) {
				t.Errorf("Content-Disposition %q", cd)
			}
			recs := readCSV(t, body)
			// The order is the table's: the same as a search.
			params.Set("limit", "500")
			_, sb, _ := ts.search(t, params)
			if got, want := column(t, recs, "email"), emails(sb); !slices.Equal(got, want) || len(got) != 3 {
				t.Errorf("emails %v, want %v", got, want)
			}
			for _, key := range []string{"id", "created_at", "tags", "groups", "smart_type", "total_followers", "tier"} {
				if !slices.Contains(recs[0], key) {
					t.Errorf("header lacks %s: %v", key, recs[0])
				}
			}
			for _, key := range []string{"password", "password_hash"} {
				if slices.Contains(recs[0], key) {
					t.Errorf("header holds %s", key)
				}
			}
			// Escaped by default; tags by name; timestamps with their
			// fraction of a second; custom fields.
			if got := column(t, recs, "first_name"); !slices.Equal(got, []string{"'-Anne", "Zed", "'=1+1"}) {
				t.Errorf("first names %q", got)
			}
			if got := column(t, recs, "mobile_phone")[0]; got != "'+33612345678" {
				t.Errorf("phone %q", got)
			}
			if got := column(t, recs, "tags")[0]; got != "VIP" {
				t.Errorf("tags %q", got)
			}
			if got := column(t, recs, "last_visit")[0]; got != "2025-03-01T10:00:00.123Z" {
				t.Errorf("last_visit %q", got)
			}
			if got := column(t, recs, "tier")[0]; got != "gold" {
				t.Errorf("tier %q", got)
			}
			if strings.HasPrefix(body, "\uFEFF") {
				t.Error("a BOM without bom=1")
			}
		})

		t.Run("ColumnsRawBOM", func(t *testing.T) {
			resp, body := ts.get(t, manager, "/api/v1/users/export.csv?q=country:FR&sort=email&columns=email,first_name,mobile_phone&escape=0&bom=1")
			if resp.StatusCode != 200 {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
			want := "\uFEFFemail,first_name,mobile_phone\nanne@example.com,-Anne,+33612345678\ncalc@example.com,=1+1,\nzed@example.com,Zed,\n"
			if body != want {
				t.Errorf("got %q, want %q", body, want)
			}
		})

		t.Run("Audited", func(t *testing.T) {
			ts.get(t, manager, "/api/v1/users/export.csv?q=country:US&columns=email")
			out := ts.call(t, roster.RoleAdmin, "GET", "/api/v1/audit?action=users.export&limit=1", "", 200)
			for _, want := range []string{`"actor":"manager@staff.example.com"`, `"note":"exported 1 of 1 users; filter: country:US; sort: -created_at; columns: email"`} {
				if !strings.Contains(out, want) {
					t.Errorf("audit lacks %s: %s", want, out)
				}
			}
		})

		t.Run("Forbidden", func(t *testing.T) {
			ts.fails(t, viewer, "GET", "/api/v1/users/export.csv", "", 403, `"code":"forbidden"`)
			ts.fails(t, roster.RoleSupport, "GET", "/api/v1/users/export.csv", "", 403)
			ts.fails(t, "", "GET", "/api/v1/users/export.csv", "", 401)
		})

		t.Run("BadParams", func(t *testing.T) {
			for _, tc := range []struct{ query, want string }{
				{"columns=email,nope", `columns: unknown field \"nope\"`},
				{"columns=password_hash", "password_hash cannot be exported"},
				{"q=cuntry:FR", "did you mean country?"},
				{"q=points:>abc", "points"},
				{"sort=bogus", `sort: unknown field \"bogus\"`},
				{"sort=bio", "bio cannot be sorted"},
				{"escape=maybe", "escape must be 1 or 0"},
				{"bom=2", "bom must be 1 or 0"},
				{"limit=5", `unknown parameter \"limit\"`},
				{"tz=Mars/Base", "not a known time zone"},
			} {
				ts.fails(t, manager, "GET", "/api/v1/users/export.csv?"+tc.query, "", 400, tc.want)
			}
		})

		t.Run("Pages", func(t *testing.T) {
			b := newBrowser(t, ts)
			b.signIn(manager, "/")
			resp := b.get("/users/export.csv?q=" + url.QueryEscape("country:FR") + "&sort=-points,email&columns=email,first_name&bom=1")
			wantStatus(t, "page export", resp, 200)
			if resp.Body != "\uFEFFemail,first_name\nanne@example.com,'-Anne\nzed@example.com,Zed\ncalc@example.com,'=1+1\n" {
				t.Errorf("page export %q", resp.Body)
			}
			if cd := resp.Header.Get("Content-Disposition"); !attachmentName.MatchString(cd) {
				t.Errorf("Content-Disposition %q", cd)
			}
			// The community members view is the table's too.
			resp = b.get("/users/export.csv?view=members&sort=email&columns=email")
			wantStatus(t, "members export", resp, 200)
			if resp.Body != "email\nanne@example.com\ncalc@example.com\nus@example.com\nzed@example.com\n" {
				t.Errorf("members export %q", resp.Body)
			}
			resp = b.get("/users/export.csv?q=cuntry:FR")
			wantStatus(t, "bad filter", resp, 400)
			wantContains(t, "bad filter", resp.Body, "did you mean country?")
			resp = b.get("/users/export.csv?columns=nope")
			wantStatus(t, "bad column", resp, 400)
			wantContains(t, "bad column", resp.Body, "unknown field &#34;nope&#34;")

			// The table offers the export with its filter and sort, and
			// the template.
			page := b.get("/users?q=" + url.QueryEscape("country:FR") + "&sort=-points")
			wantContains(t, "users page", page.Body, `action="/users/export.csv"`, `name="q" value="country:FR"`,
				`name="sort" value="-points"`, `name="columns" value="id,client_id,created_at`, `name="bom" value="1"`,
				`href="/users/import/template"`)

			vb := newBrowser(t, ts)
			vb.signIn(viewer, "/")
			wantStatus(t, "viewer export", vb.get("/users/export.csv"), 403)
			wantLacks(t, "viewer's users page", vb.get("/users").Body, "/users/export.csv", "/users/import/template")
		})
	})
}

func TestImportTemplate(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ts := mustOpenServer(t, db)
		ts.call(t, roster.RoleAdmin, "POST", "/api/v1/fields", `{"key":"tier","label":"Tier","type":"choice","choices":["gold","silver"],"required":true}`, 201)

		resp, body := ts.get(t, roster.RoleManager, "/api/v1/users/template.csv")
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" ||
			!strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment;") {
			t.Fatalf("template: %d %v\n%s", resp.StatusCode, resp.Header, body)
		}
		recs := readCSV(t, body)
		if len(recs) != 2 || recs[0][0] != "client_id" || !slices.Contains(recs[0], "tier") || !slices.Contains(recs[0], "password") ||
			slices.Contains(recs[0], "password_hash") || slices.Contains(recs[0], "id") {
			t.Errorf("template %v", recs)
		}
		if got := column(t, recs, "email")[0]; got != "ada@example.com" {
			t.Errorf("email example %q", got)
		}
		ts.fails(t, roster.RoleViewer, "GET", "/api/v1/users/template.csv", "", 403)

		b := newBrowser(t, ts)
		b.signIn(roster.RoleManager, "/")
		page := b.get("/users/import/template")
		wantStatus(t, "template page", page, 200)
		wantContains(t, "template page", page.Body, `href="/users/template.csv"`, "Download template",
			"<code>password_hash</code>", "bcrypt, argon2id, scrypt or PBKDF2", "<code>tier</code>", "one of: gold, silver",
			"YYYY-MM-DD", "tag names separated by | (missing tags are created)", "unless client_id is given")
		checkSecurityHeaders(t, "template page", page)
		file := b.get("/users/template.csv")
		wantStatus(t, "template file", file, 200)
		if file.Body != body {
			t.Errorf("the page's template differs from the API's:\n%s\n%s", file.Body, body)
		}
		vb := newBrowser(t, ts)
		vb.signIn(roster.RoleViewer, "/")
		wantStatus(t, "viewer template page", vb.get("/users/import/template"), 403)
	})
}

// checkedColumns is the value of the Export panel's chosen columns radio.
var checkedColumns = regexp.MustCompile(`<input type="radio" name="columns" value="([^"]*)" checked>`)

// TestExportPanelDefault: the table's Export panel has every exportable
// column chosen, with the visible ones as the option, and the file its
// default downloads has the API's default header: one rule.
func TestExportPanelDefault(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ts := mustOpenServer(t, db)
		ts.call(t, roster.RoleAdmin, "POST", "/api/v1/fields", `{"key":"tier","label":"Tier","type":"choice","choices":["gold","silver"]}`, 201)
		ts.createUser(t, `{"email":"anne@example.com","first_name":"Anne","country":"FR","tier":"gold"}`)
		b := newBrowser(t, ts)
		b.signIn(roster.RoleManager, "/")

		page := b.get("/users?q=" + url.QueryEscape("country:FR"))
		wantStatus(t, "users page", page, 200)
		m := checkedColumns.FindAllStringSubmatch(page.Body, -1)
		if len(m) != 1 {
			t.Fatalf("the Export panel has %d chosen columns radios, want 1", len(m))
		}
		if m[0][1] != "" {
			t.Errorf("the Export panel defaults to columns=%q, want every column (empty)", m[0][1])
		}
		wantContains(t, "users page", page.Body, `> All columns</label>`, `name="columns" value="id,client_id,created_at`, `> Visible columns only</label>`)

		resp := b.get("/users/export.csv?" + url.Values{"q": {"country:FR"}, "columns": {m[0][1]}}.Encode())
		wantStatus(t, "panel's default export", resp, 200)
		_, api := ts.get(t, roster.RoleManager, "/api/v1/users/export.csv?q=country:FR")
		header, _, _ := strings.Cut(resp.Body, "\n")
		apiHeader, _, _ := strings.Cut(api, "\n")
		if header != apiHeader {
			t.Errorf("the panel's default header\n%s\nis not the API's\n%s", header, apiHeader)
		}
		for _, key := range []string{"id", "app_id", "stripe_id", "email", "bio", "tags", "groups", "tier"} {
			if !slices.Contains(strings.Split(header, ","), key) {
				t.Errorf("the panel's default header lacks %s: %s", key, header)
			}
		}
	})
}
