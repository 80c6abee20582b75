package main

import (
	"time"

	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"roster"
	"roster/sqldb"
	"roster/sqldb/sqldbtest"
)

// TestExportCLI exports a database with `roster export`, checks a filtered
// and sorted export against the users, and imports the full export into a
// fresh database with `roster import`: every user comes back the same,
// tags and groups included, on both databases.
func TestExportCLI(t *testing.T) {
	for _, d := range sqldbtest.Dialects {
		t.Run(d.String(), func(t *testing.T) {
			if d == sqldb.Postgres {
				sqldbtest.PostgresURL(t)
			}
			dir := t.TempDir()
			src := importEnv(t, d)
			addTier(t, src)
			mustCLI(t, src, "", "seed", "--users", "150")
			if _, stderr, err := runCLI(t, src, "", "import", writeImportFile(t, dir, 100)); err != nil && !strings.Contains(stderr+err.Error(), "rows failed") {
				t.Fatalf("import: %v\n%s", err, stderr)
			}
			want := readState(t, src)

			// A filter, a sort and chosen columns, as the table has them.
			out := filepath.Join(dir, "paris.csv")
			_, stderr := mustCLI(t, src, "", "export", "--q", "city:Paris", "--sort", "-points,email", "--columns", "email,points,mobile_phone", "-o", out)
			recs := readCSVFile(t, out)
			var paris []roster.User
			for _, u := range want.Users {
				if u.City == "Paris" {
					paris = append(paris, u)
				}
			}
			slices.SortFunc(paris, func(a, b roster.User) int {
				if a.Points != b.Points {
					return int(b.Points - a.Points)
				}
				return strings.Compare(a.Email, b.Email)
			})
			if len(paris) == 0 || len(recs) != len(paris)+1 || !slices.Equal(recs[0], []string{"email", "points", "mobile_phone"}) {
				t.Fatalf("%d records for %d users in Paris; header %v", len(recs), len(paris), recs[0])
			}
			for i, u := range paris {
				if got := recs[i+1]; got[0] != u.Email || got[1] != fmt.Sprint(u.Points) || (u.MobilePhone != "" && got[2] != "'"+u.MobilePhone) {
					t.Errorf("row %d: %v, want %s %d %s", i+1, got, u.Email, u.Points, u.MobilePhone)
				}
			}
			if !strings.Contains(stderr, fmt.Sprintf("Exported %d users to %s", len(paris), out)) {
				t.Errorf("stderr %q", stderr)
			}

			// To standard output, raw, with a BOM.
			stdout, _ := mustCLI(t, src, "", "export", "--q", "city:Paris", "--sort", "-points,email", "--columns", "email,mobile_phone", "--no-escape", "--bom")
			if !strings.HasPrefix(stdout, "\uFEFFemail,mobile_phone\n"+paris[0].Email+","+paris[0].MobilePhone+"\n") {
				t.Errorf("stdout starts %.100q", stdout)
			}

			// Everything, imported into an empty database.
			all := filepath.Join(dir, "all.csv")
			mustCLI(t, src, "", "export", "-o", all)
			b, err := os.ReadFile(all)
			if err != nil {
				t.Fatal(err)
			}
			// Spreadsheets see text, never formulas; import takes the quote off.
			for _, cell := range []string{",'=1+1,", ",'-Anne,", ",'+33612345678,"} {
				if !strings.Contains(string(b), cell) {
					t.Errorf("the export has no escaped cell %s", cell)
				}
			}
			dst := importEnv(t, d)
			addTier(t, dst)
			mustCLI(t, dst, "", "import", all)
			got := readState(t, dst)
			if got.Counts.Created != int64(len(want.Users)) || got.Counts.Failed != 0 {
				t.Errorf("import of the export: %+v, want %d created", got.Counts, len(want.Users))
			}
			if u := got.Users["user00007@example.com"]; u.FirstName != "=1+1" || u.LastName != "-Anne" || u.MobilePhone != "+33612345678" {
				t.Errorf("after the round trip: first name %q, last name %q, phone %q", u.FirstName, u.LastName, u.MobilePhone)
			}
			// Importing the same file again changes nothing.
			mustCLI(t, dst, "", "import", all)
			if again := readState(t, dst); again.Counts.Unchanged != int64(len(want.Users)) || again.Counts.Created+again.Counts.Updated+again.Counts.Failed != 0 {
				t.Errorf("second import of the export: %+v, want every user unchanged", again.Counts)
			}
			diffs := 0
			for email, w := range want.Users {
				g := got.Users[email]
				w.PasswordHash, g.PasswordHash = "", "" // never exported
				// Nor when the password was set or the address confirmed:
				// the import sets them now.
				w.PasswordSetAt, g.PasswordSetAt = time.Time{}, time.Time{}
				w.EmailConfirmedAt, g.EmailConfirmedAt = time.Time{}, time.Time{}
				if !reflect.DeepEqual(g, w) || !slices.Equal(got.Tags[email], want.Tags[email]) || !slices.Equal(got.Groups[email], want.Groups[email]) {
					if diffs++; diffs <= 5 {
						t.Errorf("user %s differs after export and import: %v; tags %v / %v; groups %v / %v", email, userDiff(g, w),
							got.Tags[email], want.Tags[email], got.Groups[email], want.Groups[email])
					}
				}
			}

			// Audited as the command line, with what was asked.
			entries := auditEntries(t, src, "users.export")
			if len(entries) != 3 || entries[0].Actor != "cli" ||
				entries[0].Note != fmt.Sprintf("exported %d of %d users; filter: city:Paris; sort: -points,email; columns: email,points,mobile_phone", len(paris), len(paris)) ||
				!strings.Contains(entries[1].Note, "formulas not escaped") || !strings.Contains(entries[2].Note, "; columns: all") {
				for _, e := range entries {
					t.Errorf("audit entry %s %q", e.Actor, e.Note)
				}
			}

			for _, tc := range []struct {
				args []string
				want string
			}{
				{[]string{"--columns", "email,nope"}, `unknown field "nope"`},
				{[]string{"--q", "cuntry:FR"}, "did you mean country?"},
				{[]string{"--sort", "bio"}, "bio cannot be sorted"},
			} {
				_, _, err := runCLI(t, src, "", append([]string{"export"}, tc.args...)...)
				if err == nil || !strings.Contains(roster.ErrorMessageOr(err), tc.want) {
					t.Errorf("export %v: %v, want %q", tc.args, err, tc.want)
				}
			}
		})
	}
}

// addTier creates the custom field the demo generator fills.
func addTier(t *testing.T, env map[string]string) {
	t.Helper()
	ctx := context.Background()
	db := openEnv(t, env)
	defer db.Close()
	f := &roster.Field{Key: "tier", Label: "Tier", Type: roster.TypeChoice, Choices: []string{"gold", "silver", "bronze"}}
	if err := sqldb.NewFieldService(db).CreateCustomField(ctx, f); err != nil {
		t.Fatal(err)
	}
}

// auditEntries returns the entries of action, oldest first.
func auditEntries(t *testing.T, env map[string]string, action string) []*roster.AuditEntry {
	t.Helper()
	ctx := context.Background()
	db := openEnv(t, env)
	defer db.Close()
	entries, err := sqldb.NewAuditService(db).FindAuditEntries(ctx, roster.AuditFilter{Action: action})
	if err != nil {
		t.Fatal(err)
	}
	slices.Reverse(entries)
	return entries
}

func readCSVFile(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs
}
