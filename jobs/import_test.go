package jobs

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"roster"
	"roster/csvio"
	"roster/sqldb"
	"roster/sqldb/sqldbtest"
)

// importer runs imports against db the way the server's runner does: the
// upload stored with the job, the job claimed, then run.
type importer struct {
	t  *testing.T
	db *sqldb.DB
	js *sqldb.JobService
	im *Importer
}

func newImporter(t *testing.T, db *sqldb.DB) *importer {
	js := sqldb.NewJobService(db)
	return &importer{t: t, db: db, js: js, im: &Importer{Jobs: js, Fields: sqldb.NewFieldService(db),
		Log: slog.New(slog.DiscardHandler), Config: Config{TxRows: 3, ChunkRows: 2}}}
}

// run imports csv with opts and returns the finished job.
func (x *importer) run(csv string, opts roster.ImportOptions) *roster.Job {
	x.t.Helper()
	ctx := roster.NewContextWithActor(context.Background(), roster.Actor{Label: "test"})
	j := &roster.Job{Kind: "import", Options: opts, FileName: "users.csv"}
	if err := x.js.CreateJob(ctx, j, strings.NewReader(csv), 0); err != nil {
		x.t.Fatalf("create job: %v", err)
	}
	owner := Owner("test")
	if ok, err := x.js.ClaimJob(ctx, j.ID, owner, StaleOwner); err != nil || !ok {
		x.t.Fatalf("claim: %v %v", ok, err)
	}
	j.Owner = owner
	f, err := x.js.OpenJobFile(ctx, j)
	if err != nil {
		x.t.Fatal(err)
	}
	if err := x.im.Run(ctx, j, f); err != nil {
		x.t.Fatalf("run: %v", err)
	}
	done, err := x.js.FindJob(ctx, j.ID)
	if err != nil {
		x.t.Fatal(err)
	}
	return done
}

func (x *importer) failed(j *roster.Job) []roster.FailedRow {
	x.t.Helper()
	rows, err := x.js.FailedRows(context.Background(), j.ID, 0, 1000)
	if err != nil {
		x.t.Fatal(err)
	}
	return rows
}

func (x *importer) user(email string) *roster.User {
	x.t.Helper()
	var found *roster.User
	err := sqldb.NewUserService(x.db).ScanUsers(context.Background(), 0, 1000, func(u *roster.User) error {
		if u.Email == email {
			found = u
		}
		return nil
	})
	if err != nil {
		x.t.Fatal(err)
	}
	return found
}

func wantCounts(t *testing.T, j *roster.Job, want roster.ImportCounts) {
	t.Helper()
	if j.Status != roster.JobDone {
		t.Fatalf("job %s (%s), want done", j.Status, j.Error)
	}
	if j.Counts != want {
		t.Errorf("counts %+v, want %+v", j.Counts, want)
	}
}

func wantFailure(t *testing.T, rows []roster.FailedRow, row int64, column, msg string) {
	t.Helper()
	for _, r := range rows {
		for _, e := range r.Errors {
			if r.Row == row && e.Column == column && strings.Contains(e.Message, msg) {
				return
			}
		}
	}
	t.Errorf("no failure on row %d, column %q, containing %q in %+v", row, column, msg, rows)
}

const threeRows = "Email,First name,mobile_phone,city\n" +
	"ada@example.com,Ada,'+33612345678,London\n" +
	"not-an-email,Bob,,Paris\n" +
	"cy@example.com,'-Anne,,'=1+1\n"

func TestImport(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		x := newImporter(t, db)
		upsert := roster.ImportOptions{Mode: roster.ImportUpsert, Key: "email"}

		dry := x.run(threeRows, roster.ImportOptions{Mode: roster.ImportUpsert, Key: "email", DryRun: true})
		wantCounts(t, dry, roster.ImportCounts{Read: 3, Created: 2, Failed: 1})
		wantFailure(t, x.failed(dry), 3, "Email", "not a valid email")
		if u := x.user("ada@example.com"); u != nil {
			t.Fatal("a dry run wrote a user")
		}

		j := x.run(threeRows, upsert)
		wantCounts(t, j, roster.ImportCounts{Read: 3, Created: 2, Failed: 1})
		ada, cy := x.user("ada@example.com"), x.user("cy@example.com")
		if ada == nil || cy == nil {
			t.Fatal("users not created")
		}
		// Export's escaping is reversed on the way in.
		if ada.MobilePhone != "+33612345678" || cy.FirstName != "-Anne" || cy.City != "=1+1" {
			t.Errorf("escaped cells: phone %q, first name %q, city %q", ada.MobilePhone, cy.FirstName, cy.City)
		}

		again := x.run(threeRows, upsert)
		wantCounts(t, again, roster.ImportCounts{Read: 3, Unchanged: 2, Failed: 1})

		create := x.run(threeRows, roster.ImportOptions{Mode: roster.ImportCreate, Key: "email"})
		wantCounts(t, create, roster.ImportCounts{Read: 3, Failed: 3})
		wantFailure(t, x.failed(create), 2, "Email", "exists already")

		update := x.run("email,city\nada@example.com,Oxford\nnew@example.com,Rome\n", roster.ImportOptions{Mode: roster.ImportUpdate, Key: "email"})
		wantCounts(t, update, roster.ImportCounts{Read: 2, Updated: 1, Failed: 1})
		wantFailure(t, x.failed(update), 3, "email", "no user has email new@example.com")
		if u := x.user("ada@example.com"); u.City != "Oxford" || u.FirstName != "Ada" {
			t.Errorf("update: city %q first name %q; columns absent from the file must stay", u.City, u.FirstName)
		}
	})
}

func TestImportDuplicatesAndRefs(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		if err := sqldb.NewGroupService(db).CreateGroup(ctx, &roster.Group{Name: "Club", JoinType: roster.JoinOpen}); err != nil {
			t.Fatal(err)
		}
		x := newImporter(t, db)
		csv := "email,client_id,tags,groups,roles\n" +
			"a@example.com,c1,VIP|early bird,club,admin|editor\n" +
			"b@example.com,c2,vip,Nowhere,\n" +
			"A@example.com,c3,,,\n" +
			"c@example.com,c1,,,\n"
		// A dry run reports every unique value the file repeats.
		dry := x.run(csv, roster.ImportOptions{Mode: roster.ImportUpsert, Key: "email", DryRun: true})
		wantCounts(t, dry, roster.ImportCounts{Read: 4, Created: 1, Failed: 3})
		failed := x.failed(dry)
		wantFailure(t, failed, 3, "groups", `no group named "Nowhere"`)
		wantFailure(t, failed, 4, "email", "a@example.com appears again (first on row 2)")
		wantFailure(t, failed, 5, "client_id", "c1 appears again (first on row 2)")
		// The import itself: a repeated key is the file's error; another
		// repeated unique value is taken by the user its first row made.
		j := x.run(csv, roster.ImportOptions{Mode: roster.ImportUpsert, Key: "email"})
		wantCounts(t, j, roster.ImportCounts{Read: 4, Created: 1, Failed: 3})
		failed = x.failed(j)
		a := x.user("a@example.com")
		wantFailure(t, failed, 3, "groups", `no group named "Nowhere"`)
		wantFailure(t, failed, 4, "email", "a@example.com appears again (first on row 2)")
		wantFailure(t, failed, 5, "client_id", "c1 is taken by user "+a.PublicID)
		cat, err := sqldb.NewCatalogService(db).Catalog(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var tags []string
		for _, id := range a.Tags {
			tg, _ := cat.Tag(id)
			tags = append(tags, tg.Name)
		}
		if !slices.Equal(tags, []string{"VIP", "early bird"}) {
			t.Errorf("tags newest first %v, want the file's order [VIP early bird]", tags)
		}
		if len(a.Groups) != 1 || !slices.Equal(a.Roles, []string{"admin", "editor"}) {
			t.Errorf("groups %v roles %v", a.Groups, a.Roles)
		}
		ms, err := sqldb.NewGroupService(db).Memberships(ctx, a.PublicID)
		if err != nil || len(ms) != 1 || ms[0].Via != roster.ViaImport {
			t.Errorf("membership %+v %v, want one via import", ms, err)
		}
		// The failed rows, fixed, import through the same file.
		var buf strings.Builder
		if err := csvio.WriteFailedRows(ctx, x.js, j, &buf, nil); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(buf.String(), "reason,email,client_id,tags,groups,roles\n") || !strings.Contains(buf.String(), "b@example.com,c2,vip,Nowhere") {
			t.Errorf("failed rows file:\n%s", buf.String())
		}
		fixed := strings.Replace(buf.String(), "Nowhere", "Club", 1)
		j2 := x.run(fixed, roster.ImportOptions{Mode: roster.ImportUpsert, Key: "email"})
		if j2.Counts.Created != 1 {
			t.Errorf("re-import of the fixed failed rows: %+v", j2.Counts)
		}
	})
}

func TestImportPasswords(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		x := newImporter(t, db)
		bcrypt := "$2a$04$Hja5wTE4kPiA3AM7f0yM5.fIF.cI1RCfHXgfBE41OOjZfw9ptWica"
		csv := "email,password,password_hash\n" +
			"p@example.com,correct horse battery,\n" +
			"h@example.com,," + bcrypt + "\n" +
			"x@example.com,,$2a$31$Hja5wTE4kPiA3AM7f0yM5.fIF.cI1RCfHXgfBE41OOjZfw9ptWica\n" +
			"s@example.com,short,\n"
		j := x.run(csv, roster.ImportOptions{Mode: roster.ImportUpsert, Key: "email"})
		wantCounts(t, j, roster.ImportCounts{Read: 4, Created: 2, Failed: 2})
		failed := x.failed(j)
		wantFailure(t, failed, 4, "password_hash", "cost 31")
		wantFailure(t, failed, 5, "password", "at least 10 characters")
		for _, r := range failed {
			if strings.Contains(strings.Join(r.Cells, ","), "short") || strings.Contains(strings.Join(r.Cells, ","), "$2a$") {
				t.Errorf("row %d keeps a password or hash in the failed rows: %q", r.Row, r.Cells)
			}
		}
		if h := x.user("h@example.com").PasswordHash; h != bcrypt {
			t.Errorf("imported hash stored as %q", h)
		}
		if h := x.user("p@example.com").PasswordHash; !strings.HasPrefix(h, "$argon2id$") {
			t.Errorf("plain password stored as %q, want an argon2id hash", h)
		}
		again := x.run(csv, roster.ImportOptions{Mode: roster.ImportUpsert, Key: "email"})
		wantCounts(t, again, roster.ImportCounts{Read: 4, Unchanged: 2, Failed: 2})
	})
}

func TestImportBadFiles(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		x := newImporter(t, db)
		for _, tt := range []struct{ name, csv, msg string }{
			{"no key column", "first_name\nAda\n", "no email column"},
			{"header only", "email,first_name\n", "no rows"},
			{"unknown column", "email,shoe size\na@example.com,42\n", "shoe size"},
		} {
			j := x.run(tt.csv, roster.ImportOptions{Mode: roster.ImportUpsert, Key: "email"})
			if j.Status != roster.JobFailed || !strings.Contains(j.Error, tt.msg) {
				t.Errorf("%s: job %s %q, want failed with %q", tt.name, j.Status, j.Error, tt.msg)
			}
		}
		n, err := sqldb.NewUserService(db).CountUsers(context.Background())
		if err != nil || n != 0 {
			t.Errorf("bad files left %d users (%v)", n, err)
		}
	})
}

// TestImportBadCorpus runs every file of csvio's bad-input corpus through
// the importer: each ends with a report (the file refused with a reason, or
// its bad rows listed with their numbers), and the database holds exactly
// the users the report says were created, all valid.
func TestImportBadCorpus(t *testing.T) {
	files, err := filepath.Glob("../csvio/testdata/bad/*")
	if err != nil || len(files) < 15 {
		t.Fatalf("corpus: %v, %d files", err, len(files))
	}
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		x := newImporter(t, db)
		reg, err := sqldb.NewFieldService(db).Registry(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var created int64
		for _, f := range files {
			if strings.HasSuffix(f, "README.txt") {
				continue
			}
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			j := x.run(string(b), roster.ImportOptions{Mode: roster.ImportUpsert, Key: "email"})
			name := filepath.Base(f)
			switch j.Status {
			case roster.JobFailed:
				if j.Error == "" || j.Counts.Created != 0 {
					t.Errorf("%s: failed without a reason, or after creating users: %+v", name, j)
				}
				t.Logf("%-24s refused: %s", name, j.Error)
			case roster.JobDone:
				rows := x.failed(j)
				if int64(len(rows)) != j.Counts.Failed {
					t.Errorf("%s: %d failed rows stored, counts say %d", name, len(rows), j.Counts.Failed)
				}
				for _, r := range rows {
					if r.Row < 2 || len(r.Errors) == 0 || r.Errors[0].Message == "" {
						t.Errorf("%s: a failed row without a number or a message: %+v", name, r)
					}
				}
				if len(rows) > 0 {
					t.Logf("%-24s %d created, %d failed; first: row %d: %s", name, j.Counts.Created, j.Counts.Failed, rows[0].Row, rows[0].Reason())
				} else {
					t.Logf("%-24s %d created, nothing failed", name, j.Counts.Created)
				}
			default:
				t.Errorf("%s: job ended %s", name, j.Status)
			}
			created += j.Counts.Created
		}
		users := 0
		err = sqldb.NewUserService(db).ScanUsers(ctx, 0, 1000, func(u *roster.User) error {
			users++
			if err := u.Validate(reg, time.Now(), true, nil); err != nil {
				t.Errorf("user %s stored invalid: %v", u.Email, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if int64(users) != created {
			t.Errorf("%d users stored, the reports say %d were created", users, created)
		}
		if err := db.CheckIntegrity(ctx); err != nil {
			t.Error(err)
		}
	})
}

// TestDropOldUploads: a finished dry run's upload goes after a while, unless
// the import that follows it still waits to read it.
func TestDropOldUploads(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ctx := roster.NewContextWithActor(context.Background(), roster.Actor{Label: "test"})
		x := newImporter(t, db)
		dryRun := roster.ImportOptions{Mode: roster.ImportUpsert, Key: "email", DryRun: true}
		old, kept := x.run(threeRows, dryRun), x.run(threeRows, dryRun)
		follow := &roster.Job{Kind: "import", Options: roster.ImportOptions{Mode: roster.ImportUpsert, Key: "email"},
			FileName: kept.FileName, FileSize: kept.FileSize, FileSHA256: kept.FileSHA256, FileJob: kept.FileJob}
		if err := x.js.CreateJob(ctx, follow, nil, 0); err != nil {
			t.Fatal(err)
		}
		if n, err := x.js.DropOldUploads(ctx, time.Now().Add(-time.Hour)); err != nil || n != 0 {
			t.Fatalf("uploads of jobs finished within the hour: dropped %d (%v), want none", n, err)
		}
		if n, err := x.js.DropOldUploads(ctx, time.Now().Add(time.Hour)); err != nil || n != 1 {
			t.Fatalf("dropped %d (%v), want the first dry run's upload only", n, err)
		}
		read := func(j *roster.Job) string {
			f, err := x.js.OpenJobFile(ctx, j)
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(f)
			if err != nil {
				t.Fatal(err)
			}
			return string(b)
		}
		if got := read(old); got != "" {
			t.Errorf("the old dry run's upload is still there: %q", got)
		}
		if got := read(follow); got != threeRows {
			t.Errorf("the waiting import's file: %q", got)
		}
	})
}

// awayJobs is the real store whose writes of chunks fail, as when the
// database goes away in the middle of an import.
type awayJobs struct{ *sqldb.JobService }

func (awayJobs) BeginImport(context.Context, *roster.Job) (roster.ImportTx, error) {
	return nil, errors.New("database away")
}

// TestRunnerGivesUp: a job whose runs keep failing is retried, then failed
// with the reason after maxAttempts runs.
func TestRunnerGivesUp(t *testing.T) {
	db := sqldbtest.MustOpenDB(t, sqldb.SQLite)
	ctx := roster.NewContextWithActor(context.Background(), roster.Actor{Label: "test"})
	js := sqldb.NewJobService(db)
	j := &roster.Job{Kind: "import", Options: roster.ImportOptions{Mode: roster.ImportUpsert, Key: "email"}, FileName: "users.csv"}
	if err := js.CreateJob(ctx, j, strings.NewReader(threeRows), 0); err != nil {
		t.Fatal(err)
	}
	r := NewRunner(&Importer{Jobs: awayJobs{js}, Fields: sqldb.NewFieldService(db), Log: slog.New(slog.DiscardHandler)})
	for attempt := 1; attempt <= maxAttempts; attempt++ {
		r.runQueued(ctx)
		got, err := js.FindJob(ctx, j.ID)
		if err != nil {
			t.Fatal(err)
		}
		if attempt < maxAttempts && got.Status != roster.JobRunning {
			t.Fatalf("after %d failed runs: %s, want running (to be retried)", attempt, got.Status)
		}
		if attempt == maxAttempts && (got.Status != roster.JobFailed || !strings.Contains(got.Error, "database away")) {
			t.Fatalf("after %d failed runs: %s %q, want failed with the reason", attempt, got.Status, got.Error)
		}
	}
}
