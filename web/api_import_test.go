package web_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"roster"
	"roster/csvio"
	"roster/index"
	"roster/jobs"
	"roster/sqldb"
	"roster/sqldb/sqldbtest"
	"roster/web"
)

// mustOpenImportServer is mustOpenServer's server with imports wired in:
// the job store and a real runner over the same database, woken by each
// upload as in serve. tune, if any, adjusts the runner's importer.
func mustOpenImportServer(t *testing.T, db *sqldb.DB, limits csvio.Limits, tune ...func(*jobs.Importer)) *testServer {
	t.Helper()
	discard := slog.New(slog.NewTextHandler(io.Discard, nil))
	staff := sqldb.NewStaffService(db)
	users, fields := sqldb.NewUserService(db), sqldb.NewFieldService(db)
	ix := &index.Index{Users: users, Fields: fields, Changes: sqldb.NewChangeLog(db), Fallback: users, Counts: sqldb.NewCatalogService(db), Logger: discard}
	if err := ix.Build(context.Background()); err != nil {
		t.Fatal(err)
	}
	db.OnCommit = func(ids, seqs []int64) { ix.Refresh(context.Background(), ids, seqs) }
	js := sqldb.NewJobService(db)
	im := &jobs.Importer{Jobs: js, Fields: fields, Log: discard, Config: jobs.Config{Limits: limits}}
	for _, f := range tune {
		f(im)
	}
	runner := jobs.NewRunner(im)
	runner.Poll = 200 * time.Millisecond
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		runner.Run(ctx)
	}()
	// Registered after the database's cleanup, so it runs before it.
	t.Cleanup(func() { stop(); <-done })
	s := web.NewServer(&web.Server{
		Users: users, Fields: fields, Staff: staff, Audit: sqldb.NewAuditService(db), Prefs: sqldb.NewPrefService(db),
		Search: ix, CursorKey: []byte("test cursor key"),
		Tags: sqldb.NewTagService(db), Groups: sqldb.NewGroupService(db),
		Segments: sqldb.NewSegmentService(db), Months: sqldb.NewMonthService(db),
		Stats: ix, Members: ix, Jobs: js, ImportLimits: limits, WakeJobs: runner.Wake,
		Logger: discard,
	})
	ts := &testServer{Server: serve(t, s), DB: db, Tokens: map[roster.Role]string{}}
	t.Cleanup(ts.Close)
	actx := roster.NewContextWithActor(context.Background(), roster.Actor{Label: "test"})
	for _, role := range roster.Roles {
		st := &roster.Staff{Email: string(role) + "@staff.example.com", Role: role}
		if err := staff.CreateStaff(actx, st, staffPassword); err != nil {
			t.Fatal(err)
		}
		_, secret, err := staff.CreateToken(actx, st.ID, "test")
		if err != nil {
			t.Fatal(err)
		}
		ts.Tokens[role] = secret
	}
	return ts
}

// multipartBody encodes parts, then the file (when name is not "") in the
// part named file.
func multipartBody(t *testing.T, parts map[string]string, name, content string) (string, *bytes.Buffer) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range parts {
		mw.WriteField(k, v)
	}
	if name != "" {
		fw, err := mw.CreateFormFile("file", name)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(fw, content)
	}
	mw.Close()
	return mw.FormDataContentType(), &buf
}

// upload posts a CSV file with parts to POST /api/v1/imports as role.
func (ts *testServer) upload(t *testing.T, role roster.Role, parts map[string]string, name, content string) (int, string) {
	t.Helper()
	ctype, body := multipartBody(t, parts, name, content)
	req, err := http.NewRequest("POST", ts.URL+"/api/v1/imports", body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("Authorization", "Bearer "+ts.Tokens[role])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// importJob is an import job as the API shows it.
type importJob struct {
	ID            int64                `json:"id"`
	Status        string               `json:"status"`
	Options       roster.ImportOptions `json:"options"`
	FileName      string               `json:"file_name"`
	Unknown       []string             `json:"unknown_columns"`
	Header        []string             `json:"header"`
	Counts        roster.ImportCounts  `json:"counts"`
	Error         string               `json:"error"`
	Progress      float64              `json:"progress"`
	FailedRowsURL string               `json:"failed_rows_url"`
}

// startImport uploads a file and returns its job, which must be accepted.
func (ts *testServer) startImport(t *testing.T, parts map[string]string, content string) importJob {
	t.Helper()
	st, body := ts.upload(t, roster.RoleManager, parts, "people.csv", content)
	if st != http.StatusAccepted {
		t.Fatalf("upload: %d %s", st, body)
	}
	return decode[importJob](t, body)
}

// waitImport polls job id until it has finished, for up to 30 seconds.
func (ts *testServer) waitImport(t *testing.T, id int64) importJob {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		j := decode[importJob](t, ts.call(t, roster.RoleManager, "GET", fmt.Sprintf("/api/v1/imports/%d", id), "", 200))
		if j.Status != "queued" && j.Status != "running" {
			return j
		}
		if time.Now().After(deadline) {
			t.Fatalf("import %d still %s after 30s: %+v", id, j.Status, j)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// The file of the walkthrough: three rows, the third (row 4) with an
// email that is not one.
const threeRows = "email,first_name,city\nada@example.com,Ada,London\nbob@example.com,Bob,Paris\nnot-an-email,Cy,Oslo\n"

func wantCounts(t *testing.T, what string, j importJob, want roster.ImportCounts) {
	t.Helper()
	if j.Status != "done" {
		t.Fatalf("%s: status %s (%s), want done", what, j.Status, j.Error)
	}
	if j.Counts != want {
		t.Errorf("%s: counts %+v, want %+v", what, j.Counts, want)
	}
}

func TestAPIImports(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ts := mustOpenImportServer(t, db, csvio.Limits{})
		manager := roster.RoleManager

		// A dry run writes nothing and reports the bad row.
		dry := ts.startImport(t, map[string]string{"dry_run": "true"}, threeRows)
		if !dry.Options.DryRun || dry.Options.Mode != roster.ImportUpsert || dry.Options.Key != "email" || dry.FileName != "people.csv" {
			t.Errorf("created %+v", dry)
		}
		if dry.FailedRowsURL != fmt.Sprintf("/api/v1/imports/%d/failed.csv", dry.ID) {
			t.Errorf("failed_rows_url %q", dry.FailedRowsURL)
		}
		dry = ts.waitImport(t, dry.ID)
		wantCounts(t, "dry run", dry, roster.ImportCounts{Read: 3, Created: 2, Failed: 1})
		if dry.Progress != 1 {
			t.Errorf("progress %v, want 1", dry.Progress)
		}
		if got := ts.match(t, ""); len(got) != 0 {
			t.Fatalf("a dry run wrote users: %q", got)
		}
		errs := decode[struct {
			Rows      []roster.FailedRow `json:"rows"`
			NextAfter *int64             `json:"next_after"`
		}](t, ts.call(t, manager, "GET", fmt.Sprintf("/api/v1/imports/%d/errors", dry.ID), "", 200))
		if len(errs.Rows) != 1 || errs.Rows[0].Row != 4 || len(errs.Rows[0].Errors) == 0 || errs.Rows[0].Errors[0].Column != "email" || errs.NextAfter != nil {
			t.Fatalf("errors: %+v", errs)
		}

		t.Run("FailedCSV", func(t *testing.T) {
			req, _ := http.NewRequest("GET", ts.URL+dry.FailedRowsURL, nil)
			req.Header.Set("Authorization", "Bearer "+ts.Tokens[manager])
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") ||
				!strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment") || !strings.Contains(resp.Header.Get("Content-Disposition"), "people-failed.csv") {
				t.Fatalf("failed.csv: %d %v", resp.StatusCode, resp.Header)
			}
			lines := strings.Split(strings.TrimSpace(string(b)), "\n")
			if len(lines) != 2 || strings.TrimSpace(lines[0]) != "reason,email,first_name,city" {
				t.Fatalf("failed.csv:\n%s", b)
			}
			if !strings.HasPrefix(strings.TrimPrefix(lines[1], `"`), "row 4: email: ") || !strings.HasSuffix(strings.TrimSpace(lines[1]), ",not-an-email,Cy,Oslo") {
				t.Errorf("failed row: %s", lines[1])
			}
		})

		// Run the dry run for real: the two good rows are created.
		real := decode[importJob](t, ts.call(t, manager, "POST", fmt.Sprintf("/api/v1/imports/%d/run", dry.ID), "", 202))
		if real.ID == dry.ID || real.Options.DryRun || real.FileName != "people.csv" {
			t.Fatalf("run: %+v", real)
		}
		real = ts.waitImport(t, real.ID)
		wantCounts(t, "import", real, roster.ImportCounts{Read: 3, Created: 2, Failed: 1})
		if got := ts.match(t, ""); strings.Join(got, " ") != "ada@example.com bob@example.com" {
			t.Fatalf("users after the import: %q", got)
		}
		ts.fails(t, manager, "POST", fmt.Sprintf("/api/v1/imports/%d/run", dry.ID), "", 409, "imported already")
		ts.fails(t, manager, "POST", fmt.Sprintf("/api/v1/imports/%d/run", real.ID), "", 409, "not a dry run")
		ts.fails(t, manager, "POST", fmt.Sprintf("/api/v1/imports/%d/cancel", real.ID), "", 409, "done")

		// The same file again, upserting: nothing changes.
		again := ts.waitImport(t, ts.startImport(t, map[string]string{"mode": "upsert", "key": "email", "dry_run": "false"}, threeRows).ID)
		wantCounts(t, "upsert again", again, roster.ImportCounts{Read: 3, Unchanged: 2, Failed: 1})

		// Create only: the existing users' rows fail.
		create := ts.waitImport(t, ts.startImport(t, map[string]string{"mode": "create"}, threeRows).ID)
		wantCounts(t, "create again", create, roster.ImportCounts{Read: 3, Failed: 3})

		list := decode[struct{ Imports []importJob }](t, ts.call(t, manager, "GET", "/api/v1/imports", "", 200))
		if len(list.Imports) != 4 || list.Imports[0].ID != create.ID || list.Imports[3].ID != dry.ID {
			t.Errorf("list: %+v", list.Imports)
		}

		t.Run("Mapping", func(t *testing.T) {
			const file = "Email,Nickname,Shoe size\nzoe@example.com,Zo,38\n"
			j := ts.startImport(t, nil, file)
			if j.Status != "needs_mapping" || strings.Join(j.Unknown, "|") != "Nickname|Shoe size" {
				t.Fatalf("upload with unknown columns: %+v", j)
			}
			path := fmt.Sprintf("/api/v1/imports/%d/mapping", j.ID)
			ts.fails(t, manager, "POST", path, `{"mapping":{"Nickname":"nick_name","Shoe size":"password_hash2"}}`, 422, `\"nick_name\", \"password_hash2\" are not fields`)
			ts.fails(t, manager, "POST", path, `{"mapping":{"Nickname":"first_name"}}`, 422, `\"Shoe size\" still matches no field`)
			ts.fails(t, manager, "POST", path, `{"mapping":{"Nickname":"first_name","Shoesize":""}}`, 422, `the file has no column \"Shoesize\"`)
			ts.fails(t, manager, "POST", path, `{"mapping":{"Nickname":"first_name","Shoe size":"first_name"}}`, 422, "both fill first_name")
			ts.fails(t, manager, "POST", path, `{"mappings":{}}`, 400)
			ts.fails(t, manager, "POST", path, `{}`, 422, "mapping")
			mapped := decode[importJob](t, ts.call(t, manager, "POST", path, `{"mapping":{"Nickname":"first_name","Shoe size":""}}`, 200))
			if mapped.Status != "queued" || mapped.Options.Mapping["Nickname"] != "first_name" {
				t.Fatalf("mapped: %+v", mapped)
			}
			wantCounts(t, "mapped import", ts.waitImport(t, j.ID), roster.ImportCounts{Read: 1, Created: 1})
			ts.fails(t, manager, "POST", path, `{"mapping":{"Nickname":"first_name","Shoe size":""}}`, 409, "can no longer be mapped")
			u := ts.match(t, "first_name:Zo")
			if strings.Join(u, " ") != "zoe@example.com" {
				t.Errorf("mapped user: %q", u)
			}
		})

		t.Run("KeyColumnToMap", func(t *testing.T) {
			// The key column under a name that matches no field: the
			// operator maps it instead of editing the file.
			j := ts.startImport(t, map[string]string{"dry_run": "true"}, "E-mail address,City\nyan@example.com,Rome\n")
			if j.Status != "needs_mapping" || strings.Join(j.Unknown, "|") != "E-mail address" {
				t.Fatalf("upload: %+v", j)
			}
			path := fmt.Sprintf("/api/v1/imports/%d/mapping", j.ID)
			ts.fails(t, manager, "POST", path, `{"mapping":{"E-mail address":""}}`, 422, "no email column")
			ts.call(t, manager, "POST", path, `{"mapping":{"E-mail address":"email"}}`, 200)
			wantCounts(t, "mapped key", ts.waitImport(t, j.ID), roster.ImportCounts{Read: 1, Created: 1})
		})

		t.Run("MappingOnUpload", func(t *testing.T) {
			j := ts.startImport(t, map[string]string{"dry_run": "true", "mapping": `{"Nickname":"first_name"}`}, "email,Nickname\nxi@example.com,Xi\n")
			if j.Status != "queued" {
				t.Fatalf("upload with a mapping: %+v", j)
			}
			wantCounts(t, "mapped on upload", ts.waitImport(t, j.ID), roster.ImportCounts{Read: 1, Created: 1})
		})

		t.Run("Refused", func(t *testing.T) {
			before := len(decode[struct{ Imports []importJob }](t, ts.call(t, manager, "GET", "/api/v1/imports", "", 200)).Imports)
			for _, c := range []struct {
				name    string
				parts   map[string]string
				file    string
				content string
				status  int
				want    string
			}{
				{"no key column", nil, "a.csv", "first_name,city\nAda,London\n", 422, "no email column"},
				{"other key missing", map[string]string{"key": "client_id"}, "a.csv", threeRows, 422, "no client_id column"},
				{"repeated header", nil, "a.csv", "email,city,city\nada@example.com,A,B\n", 422, `repeats \"city\"`},
				{"empty file", nil, "a.csv", "", 422, "empty"},
				{"bad mode", map[string]string{"mode": "merge"}, "a.csv", threeRows, 422, `"mode":`},
				{"bad key", map[string]string{"key": "phone"}, "a.csv", threeRows, 422, `"key":`},
				{"bad dry_run", map[string]string{"dry_run": "maybe"}, "a.csv", threeRows, 422, `"dry_run":"must be true or false"`},
				{"bad mapping json", map[string]string{"mapping": "[1]"}, "a.csv", threeRows, 422, `"mapping":`},
				{"mapping to a non-field", map[string]string{"mapping": `{"city":"town"}`}, "a.csv", threeRows, 422, `\"town\" is not a field`},
				{"unknown part", map[string]string{"dryrun": "true"}, "a.csv", threeRows, 400, `Unknown part \"dryrun\"`},
				{"no file", map[string]string{"mode": "upsert"}, "", "", 400, "no file"},
			} {
				t.Run(c.name, func(t *testing.T) {
					st, body := ts.upload(t, manager, c.parts, c.file, c.content)
					if st != c.status || !strings.Contains(body, c.want) || !strings.Contains(body, `"error":{"code":"invalid"`) {
						t.Errorf("status %d, want %d with %s: %s", st, c.status, c.want, body)
					}
				})
			}
			ts.fails(t, manager, "POST", "/api/v1/imports", `{"file":"x"}`, 400, "multipart/form-data")
			after := len(decode[struct{ Imports []importJob }](t, ts.call(t, manager, "GET", "/api/v1/imports", "", 200)).Imports)
			if after != before {
				t.Errorf("refused uploads stored jobs: %d before, %d after", before, after)
			}
		})

		t.Run("Permissions", func(t *testing.T) {
			for _, role := range []roster.Role{roster.RoleViewer, roster.RoleSupport} {
				st, body := ts.upload(t, role, nil, "a.csv", threeRows)
				if st != 403 || !strings.Contains(body, `"code":"forbidden"`) {
					t.Errorf("%s upload: %d %s", role, st, body)
				}
				ts.fails(t, role, "GET", "/api/v1/imports", "", 403)
				ts.fails(t, role, "GET", fmt.Sprintf("/api/v1/imports/%d", dry.ID), "", 403)
				ts.fails(t, role, "GET", fmt.Sprintf("/api/v1/imports/%d/failed.csv", dry.ID), "", 403)
				ts.fails(t, role, "POST", fmt.Sprintf("/api/v1/imports/%d/run", dry.ID), "", 403)
			}
			ts.fails(t, "", "GET", "/api/v1/imports", "", 401)
			ts.call(t, roster.RoleAdmin, "GET", "/api/v1/imports", "", 200)
		})

		t.Run("ErrorsPages", func(t *testing.T) {
			file := "email,points\n" + "a@example.com,x\n" + "b@example.com,1\n" + "c@example.com\n" + "nope,2\n"
			j := ts.waitImport(t, ts.startImport(t, map[string]string{"dry_run": "true"}, file).ID)
			if j.Counts.Failed < 2 {
				t.Fatalf("counts %+v: want at least 2 failed rows", j.Counts)
			}
			base := fmt.Sprintf("/api/v1/imports/%d/errors", j.ID)
			var rows []int64
			after := ""
			for range 10 {
				page := decode[struct {
					Rows      []roster.FailedRow `json:"rows"`
					NextAfter *int64             `json:"next_after"`
				}](t, ts.call(t, manager, "GET", base+"?limit=1"+after, "", 200))
				for _, r := range page.Rows {
					rows = append(rows, r.Row)
				}
				if page.NextAfter == nil {
					break
				}
				after = fmt.Sprintf("&after=%d", *page.NextAfter)
			}
			if int64(len(rows)) != j.Counts.Failed || rows[0] != 2 || rows[len(rows)-1] != 5 {
				t.Errorf("paged failed rows %v, want %d of them from row 2 to 5", rows, j.Counts.Failed)
			}
			for _, q := range []string{"?limit=0", "?limit=1001", "?limit=x", "?after=-1", "?after=x"} {
				ts.fails(t, manager, "GET", base+q, "", 400)
			}
			ts.fails(t, manager, "GET", "/api/v1/imports/999999/errors", "", 404)
			ts.fails(t, manager, "GET", "/api/v1/imports/x", "", 404)
		})

		t.Run("Cancel", func(t *testing.T) {
			j := ts.startImport(t, nil, "email,Nickname\nq@example.com,Q\n")
			if j.Status != "needs_mapping" {
				t.Fatalf("upload: %+v", j)
			}
			c := decode[importJob](t, ts.call(t, manager, "POST", fmt.Sprintf("/api/v1/imports/%d/cancel", j.ID), "", 200))
			if c.Status != "canceled" || c.Error != "canceled by manager@staff.example.com" {
				t.Errorf("canceled: %+v", c)
			}
			ts.fails(t, manager, "POST", fmt.Sprintf("/api/v1/imports/%d/mapping", j.ID), `{"mapping":{"Nickname":""}}`, 409)
		})

		t.Run("Audited", func(t *testing.T) {
			entries, err := sqldb.NewAuditService(db).FindAuditEntries(context.Background(), roster.AuditFilter{Action: "users.import"})
			if err != nil {
				t.Fatal(err)
			}
			if len(entries) == 0 || entries[0].Actor != "manager@staff.example.com" {
				t.Errorf("audit of uploads: %+v", entries)
			}
		})
	})
}

func TestAPIImports_TooLarge(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ts := mustOpenImportServer(t, db, csvio.Limits{MaxBytes: 100})
		// Over the limit but within the request's slack: the file part's size.
		st, body := ts.upload(t, roster.RoleManager, nil, "big.csv", "email\n"+strings.Repeat("someone@example.com\n", 10))
		if st != http.StatusRequestEntityTooLarge || !strings.Contains(body, "limit of 100 B") || !strings.Contains(body, `"code":"invalid"`) {
			t.Errorf("file over the limit: %d %s", st, body)
		}
		// Far over: the request body itself is cut.
		st, body = ts.upload(t, roster.RoleManager, nil, "huge.csv", "email\n"+strings.Repeat("someone@example.com\n", 120_000))
		if st != http.StatusRequestEntityTooLarge || !strings.Contains(body, "limit of 100 B") {
			t.Errorf("request over the limit: %d %.300s", st, body)
		}
		// Within the limit it works.
		j := ts.waitImport(t, ts.startImport(t, map[string]string{"dry_run": "true"}, "email\nsmall@example.com\n").ID)
		wantCounts(t, "small file", j, roster.ImportCounts{Read: 1, Created: 1})
		if list := decode[struct{ Imports []importJob }](t, ts.call(t, roster.RoleManager, "GET", "/api/v1/imports", "", 200)).Imports; len(list) != 1 {
			t.Errorf("%d jobs stored, want only the small one", len(list))
		}
	})
}
