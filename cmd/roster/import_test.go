package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"roster"
	"roster/sqldb"
	"roster/sqldb/sqldbtest"
)

// TestMain lets a test run `roster` as a child process that it can kill:
// the test binary re-executes itself with ROSTER_TEST_CHILD set to the
// arguments.
func TestMain(m *testing.M) {
	if args := os.Getenv("ROSTER_TEST_CHILD"); args != "" {
		var a []string
		if err := json.Unmarshal([]byte(args), &a); err != nil {
			panic(err)
		}
		if err := Run(context.Background(), a, os.Stdin, os.Stdout, os.Stderr, os.Getenv); err != nil {
			fmt.Fprintln(os.Stderr, "roster:", roster.ErrorMessageOr(err))
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// child returns a command running roster with args against the database
// of env: the binary ROSTER_TEST_BINARY names (make test builds one
// without the race detector), else this test binary as roster.
func child(t *testing.T, env map[string]string, args ...string) *exec.Cmd {
	t.Helper()
	var cmd *exec.Cmd
	if bin := os.Getenv("ROSTER_TEST_BINARY"); bin != "" {
		cmd = exec.Command(bin, args...)
		cmd.Env = os.Environ()
	} else {
		a, _ := json.Marshal(args)
		cmd = exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "ROSTER_TEST_CHILD="+string(a))
	}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	return cmd
}

// writeImportFile writes n users as CSV with every kind of column the
// importer handles, a few bad rows and a duplicate, and returns its path.
func writeImportFile(t *testing.T, dir string, n int) string {
	t.Helper()
	rng := rand.New(rand.NewPCG(7, 7))
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write([]string{"Email", "First name", "last_name", "mobile_phone", "city", "country", "points", "birth_date", "tags", "groups", "roles", "newsletter", "bio", "client_id", "password_hash"})
	cities := []string{"Paris", "Lyon", "Nantes", "Berlin", "Porto"}
	hash := "$2a$04$Hja5wTE4kPiA3AM7f0yM5.fIF.cI1RCfHXgfBE41OOjZfw9ptWica" // bcrypt, cost 4
	for i := range n {
		email := fmt.Sprintf("user%05d@example.com", i)
		switch {
		case i%97 == 13:
			email = fmt.Sprintf("not-an-email-%d", i) // fails validation
		case i%211 == 50:
			email = fmt.Sprintf("user%05d@example.com", i-1) // a duplicate of the row above
		}
		tags := []string{"vip", "early", "beta"}[:rng.IntN(4)%3]
		groups := ""
		if i%3 == 0 {
			groups = "Club"
		}
		pw := ""
		if i%5 == 0 {
			pw = hash
		}
		first := fmt.Sprintf("First%d", i)
		if i%7 == 0 {
			first = "=1+1" // a formula, which export escapes and import restores
		}
		w.Write([]string{email, first, "-Anne", "+33612345678", cities[rng.IntN(len(cities))], "FR",
			fmt.Sprint(rng.IntN(10000)), fmt.Sprintf("19%02d-0%d-1%d", 50+rng.IntN(49), 1+rng.IntN(9), rng.IntN(10)),
			strings.Join(tags, "|"), groups, "member|reader", fmt.Sprint(i%2 == 0), "line one\n\"quoted\", line two", fmt.Sprintf("c-%d", i), pw})
	}
	w.Flush()
	path := filepath.Join(dir, "users.csv")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// importEnv opens a fresh database of dialect d with the group the file
// refers to, and returns the environment that points roster at it.
func importEnv(t *testing.T, d sqldb.Dialect) map[string]string {
	t.Helper()
	ctx := context.Background()
	env := map[string]string{}
	cfg := sqldb.Config{}
	if d == sqldb.Postgres {
		cfg.DatabaseURL = sqldbtest.FreshSchema(t)
		env["ROSTER_DATABASE_URL"] = cfg.DatabaseURL
	} else {
		cfg.DataDir = t.TempDir()
		env["ROSTER_DATA"] = cfg.DataDir
	}
	db, err := sqldb.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := sqldb.NewGroupService(db).CreateGroup(ctx, &roster.Group{Name: "Club", JoinType: roster.JoinOpen}); err != nil {
		t.Fatal(err)
	}
	return env
}

// openEnv opens the database env points roster at.
func openEnv(t *testing.T, env map[string]string) *sqldb.DB {
	t.Helper()
	db, err := sqldb.Open(context.Background(), sqldb.Config{DataDir: env["ROSTER_DATA"], DatabaseURL: env["ROSTER_DATABASE_URL"]})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// importState is what an import leaves: users by email without the values
// that depend on when it ran, and the last job's report.
type importState struct {
	Users  map[string]roster.User
	Tags   map[string][]string
	Groups map[string][]string
	Counts roster.ImportCounts
	Failed []roster.FailedRow
	Status roster.JobStatus
}

func readState(t *testing.T, env map[string]string) importState {
	t.Helper()
	ctx := context.Background()
	db := openEnv(t, env)
	defer db.Close()
	cat, err := sqldb.NewCatalogService(db).Catalog(ctx)
	if err != nil {
		t.Fatal(err)
	}
	st := importState{Users: map[string]roster.User{}, Tags: map[string][]string{}, Groups: map[string][]string{}}
	err = sqldb.NewUserService(db).ScanUsers(ctx, 0, 1000, func(u *roster.User) error {
		c := *u
		c.ID, c.PublicID, c.CreatedAt, c.UpdatedAt, c.NewsletterAt = 0, "", time.Time{}, time.Time{}, time.Time{}
		for _, id := range u.Tags {
			tg, _ := cat.Tag(id)
			st.Tags[u.Email] = append(st.Tags[u.Email], tg.Name)
		}
		for _, id := range u.Groups {
			g, _ := cat.Group(id)
			st.Groups[u.Email] = append(st.Groups[u.Email], g.Name)
		}
		c.Tags, c.Groups = nil, nil
		if _, dup := st.Users[u.Email]; dup {
			t.Errorf("two users have email %s", u.Email)
		}
		st.Users[u.Email] = c
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	js := sqldb.NewJobService(db)
	list, err := js.FindJobs(ctx, "import", 1)
	if err != nil || len(list) != 1 {
		t.Fatalf("find jobs: %v, %d", err, len(list))
	}
	st.Counts, st.Status = list[0].Counts, list[0].Status
	if st.Failed, err = js.FailedRows(ctx, list[0].ID, 0, 100000); err != nil {
		t.Fatal(err)
	}
	if err := db.CheckIntegrity(ctx); err != nil {
		t.Errorf("integrity: %v", err)
	}
	return st
}

// jobPosition returns the row the import job of env has committed up to.
func jobPosition(t *testing.T, env map[string]string) int64 {
	t.Helper()
	ctx := context.Background()
	db := openEnv(t, env)
	defer db.Close()
	list, err := sqldb.NewJobService(db).FindJobs(ctx, "import", 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) == 0 {
		return 0
	}
	return list[0].Position
}

// TestImportKillResume kills `roster import` with SIGKILL at random moments,
// resumes it each time, and requires the final state of a run that was
// never interrupted, on both databases.
func TestImportKillResume(t *testing.T) {
	if testing.Short() {
		t.Skip("kills and resumes an import 20 times")
	}
	for _, d := range sqldbtest.Dialects {
		t.Run(d.String(), func(t *testing.T) {
			if d == sqldb.Postgres {
				sqldbtest.PostgresURL(t)
			}
			dir := t.TempDir()
			file := writeImportFile(t, dir, 30000)
			args := []string{"import", file, "--chunk", "100", "--failed", filepath.Join(dir, "failed.csv")}

			clean := importEnv(t, d)
			cleanStart := time.Now()
			if out, err := child(t, clean, args...).CombinedOutput(); err != nil && !strings.Contains(string(out), "rows failed") {
				t.Fatalf("clean import: %v\n%s", err, out)
			}
			// Kills come on average every twentieth of a clean run, so
			// that twenty of them land all through the import, however
			// fast this machine runs it.
			cleanTook := time.Since(cleanStart)
			want := readState(t, clean)
			if want.Status != roster.JobDone || want.Counts.Created < 25000 || want.Counts.Failed == 0 {
				t.Fatalf("clean run: status %s, counts %+v", want.Status, want.Counts)
			}

			// The machine's speed changes while the test runs (other work
			// on it): when a sequence of kills lets the import finish
			// before twenty, it starts again on a fresh database, with
			// kills twice as frequent.
			var killed map[string]string
			var kills int
			var positions map[int64]bool
			for pace := cleanTook; pace > cleanTook/16; pace /= 2 {
				killed, kills, positions = importEnv(t, d), 0, map[int64]bool{}
				if killSequence(t, killed, args, pace, &kills, positions) {
					break
				}
				t.Logf("%s: the import finished after %d kills at a pace of %s; again, twice as often", d, kills, pace)
			}
			if kills < 20 {
				t.Fatalf("the import finished after %d kills; the test needs at least 20 (make the file larger)", kills)
			}
			if len(positions) < 5 {
				t.Fatalf("the %d kills stopped the import at only %d different rows; they must land all through it", kills, len(positions))
			}
			if out, err := child(t, killed, args...).CombinedOutput(); err != nil && !strings.Contains(string(out), "rows failed") {
				t.Fatalf("final resume: %v\n%s", err, out)
			}
			got := readState(t, killed)
			if got.Status != roster.JobDone {
				t.Fatalf("after %d kills: job %s", kills, got.Status)
			}
			if got.Counts != want.Counts {
				t.Errorf("after %d kills: counts %+v, clean run %+v", kills, got.Counts, want.Counts)
			}
			if !reflect.DeepEqual(got.Failed, want.Failed) {
				t.Errorf("after %d kills: %d failed rows, clean run %d (or they differ)", kills, len(got.Failed), len(want.Failed))
			}
			if len(got.Users) != len(want.Users) {
				t.Fatalf("after %d kills: %d users, clean run %d", kills, len(got.Users), len(want.Users))
			}
			diffs := 0
			for email, w := range want.Users {
				g, ok := got.Users[email]
				// An imported password is set, and an address confirmed,
				// when its run wrote it.
				g.PasswordSetAt, w.PasswordSetAt = time.Time{}, time.Time{}
				g.EmailConfirmedAt, w.EmailConfirmedAt = time.Time{}, time.Time{}
				if !ok || !reflect.DeepEqual(g, w) || !reflect.DeepEqual(got.Tags[email], want.Tags[email]) || !reflect.DeepEqual(got.Groups[email], want.Groups[email]) {
					if diffs++; diffs <= 5 {
						t.Errorf("user %s differs after kills: %v %v / %v %v / %v %v", email, userDiff(g, w), ok, got.Tags[email], want.Tags[email], got.Groups[email], want.Groups[email])
					}
				}
			}
			t.Logf("%s: %d kills at %d different rows, then resumed to the clean run's state: %+v", d, kills, len(positions), got.Counts)
		})
	}
}

// killSequence runs the import of args against env and kills it with
// SIGKILL after random times of about pace/20 (pace: how long a clean run
// took), counting kills and the rows they stopped at, until twenty kills
// or the import finishes. It reports whether twenty kills landed.
func killSequence(t *testing.T, env map[string]string, args []string, pace time.Duration, kills *int, positions map[int64]bool) bool {
	t.Helper()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	finished := false
	// A run killed before its first commit changes nothing: on a
	// busy machine a process may take that long to start. Each
	// such kill lets the next run live a step longer, so that the
	// kills still land all through the import.
	step := pace / 40
	wait, last := step, int64(-1)
	for *kills < 20 && !finished {
		cmd := child(t, env, args...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		runStart := time.Now()
		select {
		case err := <-done:
			finished = true
			if err != nil && !strings.Contains(out.String(), "rows failed") {
				t.Fatalf("run %d: %v\n%s", *kills+1, err, out.String())
			}
		case <-time.After(wait + time.Duration(rng.Int64N(int64(pace/20)))):
			cmd.Process.Signal(syscall.SIGKILL)
			<-done
			*kills++
			pos := jobPosition(t, env)
			positions[pos] = true
			if pos == last {
				wait += step
			} else {
				wait, last = step, pos
			}
			if testing.Verbose() {
				t.Logf("kill %d after %s: %s", *kills, time.Since(runStart).Round(time.Millisecond), strings.TrimSpace(out.String()))
			}
		}
	}
	return *kills >= 20
}

// TestImportRefusesHugeFile: a 2 GB file (sparse: nothing is written) is
// refused by its size at once, and no job is left behind.
func TestImportRefusesHugeFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "huge.csv")
	if err := os.WriteFile(path, []byte("email\na@example.com\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, 2<<30); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"ROSTER_DATA": t.TempDir()}
	start := time.Now()
	_, _, err := runCLI(t, env, "", "import", path)
	if err == nil || !strings.Contains(roster.ErrorMessageOr(err), "limit") {
		t.Fatalf("import of a 2 GB file: %v, want it refused by the size limit", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("refusing took %s: the file was read", took)
	}
	if _, _, err := runCLI(t, env, "", "import", path, "--max-bytes", "100"); err == nil || !strings.Contains(roster.ErrorMessageOr(err), "the limit is 100") {
		t.Errorf("--max-bytes 100: %v", err)
	}
	t.Logf("refused: %s", roster.ErrorMessageOr(err))
}
