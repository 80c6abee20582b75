package web_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"roster"
	"roster/csvio"
	"roster/sqldb"
	"roster/sqldb/sqldbtest"
)

// postFile sends the upload form: parts and the file.
func (b *browser) postFile(path string, parts map[string]string, name, content string) *response {
	b.t.Helper()
	ctype, body := multipartBody(b.t, parts, name, content)
	req, err := http.NewRequest("POST", b.ts.URL+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", ctype)
	return b.do(req)
}

// page opens path and returns its body, unescaped; it must be a 200.
func (b *browser) page(path string) string {
	b.t.Helper()
	resp := b.get(path)
	if resp.StatusCode != http.StatusOK {
		b.t.Fatalf("GET %s: %d\n%s", path, resp.StatusCode, resp.Body)
	}
	return html.UnescapeString(resp.Body)
}

// redirectedJob checks that resp sends to an import's page and returns
// the import's id.
func redirectedJob(t *testing.T, resp *response) int64 {
	t.Helper()
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/imports/") {
		t.Fatalf("status %d Location %q, want 303 to an import's page; body\n%s", resp.StatusCode, loc, resp.Body)
	}
	return mustAtoi(t, strings.TrimPrefix(loc, "/imports/"))
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func wantIn(t *testing.T, what, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, body)
		}
	}
}

func TestPagesImport(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ts := mustOpenImportServer(t, db, csvio.Limits{})
		b := newBrowser(t, ts)
		b.signIn(roster.RoleManager, "/")

		form := b.page("/users/import")
		wantIn(t, "the upload form", form,
			`enctype="multipart/form-data"`, `name="file" type="file"`,
			`value="upsert" checked`, `<option value="email" selected>`, `name="dry_run" value="1" id="import-dry-run" checked`,
			"Dry run (check only, write nothing)", `href="/users/import/template"`, `href="/imports"`)
		wantIn(t, "the user table", b.page("/users"), `href="/users/import"`)
		csrf := formValue(t, csrfInput, form)

		// A dry run: the page shows the bad row and what would happen.
		dry := redirectedJob(t, b.postFile("/users/import", map[string]string{"csrf": csrf, "mode": "upsert", "key": "email", "dry_run": "1"}, "people.csv", threeRows))
		ts.waitImport(t, dry)
		page := b.page("/imports/" + itoa(dry))
		wantIn(t, "the dry run's page", page,
			"Dry run: 2 would be created, 0 updated, 1 failed — nothing was written.",
			`<td class="num">4</td><td>email</td><td class="sp-wrap"><code>not-an-email</code></td>`,
			`href="/imports/`+itoa(dry)+`/failed.csv"`, "Download failed rows (CSV)",
			`action="/imports/`+itoa(dry)+`/run"`, "Import this file")
		if strings.Contains(page, `id="import-live"`) || strings.Contains(page, "Find them in the table") {
			t.Errorf("a finished dry run shows progress or the table link:\n%s", page)
		}
		status := decode[importJob](t, b.page("/imports/"+itoa(dry)+"/status.json"))
		if status.Status != "done" || status.Counts.Created != 2 {
			t.Errorf("status.json: %+v", status)
		}
		if csv := b.get("/imports/" + itoa(dry) + "/failed.csv"); csv.StatusCode != 200 || !strings.HasPrefix(csv.Body, "reason,email,first_name,city") {
			t.Errorf("failed.csv: %d %s", csv.StatusCode, csv.Body)
		}

		// Import this file: a new job, whose page links to the table.
		real := redirectedJob(t, b.post("/imports/"+itoa(dry)+"/run", url.Values{"csrf": {csrf}}, nil))
		if real == dry {
			t.Fatal("the run is the dry run")
		}
		ts.waitImport(t, real)
		wantIn(t, "the import's page", b.page("/imports/"+itoa(real)),
			"Imported: 2 created, 0 updated, 1 failed.", `href="/users?sort=-created_at"`, "Find them in the table")
		page = b.page("/imports/" + itoa(dry))
		wantIn(t, "the dry run's page after the import", page, `href="/imports/`+itoa(real)+`"`)
		if strings.Contains(page, "Import this file") {
			t.Error("the dry run can still be imported after its import")
		}
		if resp := b.post("/imports/"+itoa(dry)+"/run", url.Values{"csrf": {csrf}}, nil); resp.StatusCode != http.StatusConflict ||
			!strings.Contains(resp.Body, "imported already") {
			t.Errorf("second run: %d %s", resp.StatusCode, resp.Body)
		}

		// A file that cannot be imported shows the form again, with what was chosen.
		resp := b.postFile("/users/import", map[string]string{"csrf": csrf, "mode": "create", "key": "email"}, "names.csv", "first_name,city\nAda,London\n")
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("no key column: %d\n%s", resp.StatusCode, resp.Body)
		}
		body := html.UnescapeString(resp.Body)
		wantIn(t, "the refused upload", body, "the file has no email column", `value="create" checked`)
		if strings.Contains(body, `id="import-dry-run" checked`) {
			t.Error("the form checks dry run again though it was off")
		}
		resp = b.postFile("/users/import", map[string]string{"csrf": csrf}, "", "")
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(resp.Body, "no file") {
			t.Errorf("no file: %d %s", resp.StatusCode, resp.Body)
		}
		if resp := b.postFile("/users/import", map[string]string{"csrf": "forged"}, "people.csv", threeRows); resp.StatusCode != http.StatusForbidden {
			t.Errorf("forged CSRF token: %d", resp.StatusCode)
		}

		// Columns that match no field: the mapping form, then the import.
		mapped := redirectedJob(t, b.postFile("/users/import", map[string]string{"csrf": csrf, "key": "email"}, "nick.csv", "email,Nickname\nnick@example.com,Nico\n"))
		page = b.page("/imports/" + itoa(mapped))
		wantIn(t, "the mapping form", page, `action="/imports/`+itoa(mapped)+`/mapping"`, `<code>Nickname</code>`,
			`<input type="hidden" name="column" value="Nickname">`, `<option value="-">Ignore this column</option>`, `<option value="first_name">First name (first_name)</option>`)
		if strings.Contains(page, `<option value="total_followers">`) || strings.Contains(page, `<option value="updated_at">`) {
			t.Error("the mapping offers read-only fields")
		}
		mapPath := "/imports/" + itoa(mapped) + "/mapping"
		resp = b.post(mapPath, url.Values{"csrf": {csrf}, "column": {"Nickname"}, "field": {""}}, nil)
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(html.UnescapeString(resp.Body), `Choose a field for "Nickname"`) {
			t.Errorf("mapping nothing: %d %s", resp.StatusCode, resp.Body)
		}
		resp = b.post(mapPath, url.Values{"csrf": {csrf}, "column": {"Nickname"}, "field": {"shoe_size"}}, nil)
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(html.UnescapeString(resp.Body), `"shoe_size" is not a field`) {
			t.Errorf("mapping to no field: %d %s", resp.StatusCode, resp.Body)
		}
		if got := redirectedJob(t, b.post(mapPath, url.Values{"csrf": {csrf}, "column": {"Nickname"}, "field": {"first_name"}}, nil)); got != mapped {
			t.Errorf("mapping sent to import %d, want %d", got, mapped)
		}
		ts.waitImport(t, mapped)
		wantIn(t, "the mapped import", b.page("/imports/"+itoa(mapped)), "Columns mapped", "Imported: 1 created, 0 updated, 0 failed.")

		// Cancel an import waiting for its mapping.
		waiting := redirectedJob(t, b.postFile("/users/import", map[string]string{"csrf": csrf}, "nick.csv", "email,Nickname\nother@example.com,O\n"))
		if got := redirectedJob(t, b.post("/imports/"+itoa(waiting)+"/cancel", url.Values{"csrf": {csrf}}, nil)); got != waiting {
			t.Errorf("cancel sent to import %d", got)
		}
		wantIn(t, "the canceled import", b.page("/imports/"+itoa(waiting)), "Import canceled.", "Canceled (canceled by manager@staff.example.com).")

		// A queued import shows the progress bar that import.js moves. A
		// command-line job is one the server's runner leaves alone.
		queued := &roster.Job{Kind: "import", FileName: "cli.csv", FilePath: "/nowhere/cli.csv", FileSize: 1000}
		if err := sqldb.NewJobService(db).CreateJob(roster.NewContextWithActor(context.Background(), roster.Actor{Label: "cli"}), queued, nil, 0); err != nil {
			t.Fatal(err)
		}
		page = b.page("/imports/" + itoa(queued.ID))
		wantIn(t, "a queued import", page, `id="import-live" data-status="/imports/`+itoa(queued.ID)+`/status.json"`,
			`<progress id="import-progress" max="100" value="0"`, `data-count="created"`, `action="/imports/`+itoa(queued.ID)+`/cancel"`)
		if !jsScript.MatchString(page) || !strings.Contains(page, "/static/import.js?v=") {
			t.Error("the page does not load import.js")
		}

		list := b.page("/imports")
		wantIn(t, "the list of imports", list, "people.csv", "nick.csv", "cli.csv", `href="/imports/`+itoa(dry)+`"`, "2 would be created")

		if resp := b.get("/imports/999999"); resp.StatusCode != http.StatusNotFound {
			t.Errorf("unknown import: %d", resp.StatusCode)
		}
	})
}

func TestPagesImport_Refused(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ts := mustOpenImportServer(t, db, csvio.Limits{MaxBytes: 100})
		j := ts.startImport(t, map[string]string{"dry_run": "true"}, "email\na@example.com\n")

		for _, role := range []roster.Role{roster.RoleViewer, roster.RoleSupport} {
			b := newBrowser(t, ts)
			b.signIn(role, "/")
			for _, path := range []string{"/users/import", "/imports", "/imports/" + itoa(j.ID), "/imports/" + itoa(j.ID) + "/failed.csv"} {
				if resp := b.get(path); resp.StatusCode != http.StatusForbidden {
					t.Errorf("%s GET %s: %d, want 403", role, path, resp.StatusCode)
				}
			}
			if strings.Contains(b.page("/users"), `href="/users/import"`) {
				t.Errorf("%s sees the Import button", role)
			}
			csrf := formValue(t, csrfInput, b.page("/account"))
			if resp := b.postFile("/users/import", map[string]string{"csrf": csrf}, "a.csv", "email\nb@example.com\n"); resp.StatusCode != http.StatusForbidden {
				t.Errorf("%s upload: %d, want 403", role, resp.StatusCode)
			}
		}

		b := newBrowser(t, ts)
		b.signIn(roster.RoleAdmin, "/")
		csrf := formValue(t, csrfInput, b.page("/users/import"))
		resp := b.postFile("/users/import", map[string]string{"csrf": csrf, "dry_run": "1"}, "big.csv", "email\n"+strings.Repeat("someone@example.com\n", 10))
		if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(resp.Body, "limit of 100 B") || !strings.Contains(resp.Body, `id="import-form"`) {
			t.Errorf("file over the limit: %d\n%s", resp.StatusCode, resp.Body)
		}
	})
}
