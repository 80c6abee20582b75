package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"roster"
	"roster/demo"
	"roster/password"
	"roster/sqldb"
)

// seedBatch is how many users one transaction writes. Each commit rewrites
// every index page the transaction touched, and random keys (emails, ids)
// touch most of them, so fewer, larger transactions are much faster.
const seedBatch = 100000

func runSeed(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	m := &Main{Config: DefaultConfig(), writerCacheMiB: 256}
	var n int
	var seed int64
	err := parse("seed", args, &m.Config, false, stdout, stderr, getenv, func(fs *flag.FlagSet) {
		fs.IntVar(&n, "users", 10000, "number of users to add")
		fs.Int64Var(&seed, "seed", 1, "random seed: the same seed on the same database gives the same users")
	})
	if err != nil {
		return err
	}
	if n < 1 || n > 100_000_000 {
		return fmt.Errorf("--users must be from 1 to 100000000")
	}
	if err := m.OpenDB(ctx); err != nil {
		return err
	}
	defer m.Close()
	start := time.Now()
	var bar *progressbar.ProgressBar
	if f, ok := stdout.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		bar = progressbar.NewOptions(n, progressbar.OptionSetWriter(stdout), progressbar.OptionSetDescription("seeding"),
			progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString("users"),
			progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionClearOnFinish())
	}
	err = m.seed(cliContext(ctx), n, seed, func(done int) {
		if bar != nil {
			bar.Set(done)
		}
	})
	if bar != nil {
		bar.Finish()
	}
	if err != nil {
		return err
	}
	el := time.Since(start)
	fmt.Fprintf(stdout, "Added %d demo users in %s (%.0f users/s).\n", n, el.Round(time.Millisecond), float64(n)/el.Seconds())
	return nil
}

// seed adds n demo users, continuing the numbering after the users already
// there so that seeding twice adds new people rather than duplicates.
// Generating runs on one goroutine while writing runs on this one.
func (m *Main) seed(ctx context.Context, n int, seed int64, progress func(done int)) error {
	// Numbering continues after the highest store id: every earlier seeded
	// index is below it, even after deletions, so emails and ids stay
	// unique.
	last, err := m.Users.LastUserID(ctx)
	if err != nil {
		return err
	}
	first := int(last)
	reg, err := m.Fields.Registry(ctx)
	if err != nil {
		return err
	}
	custom := reg.Custom()
	gen := demo.New(seed, time.Now().UTC())
	batches := make(chan []*roster.User, 2)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		defer close(batches)
		for i := 0; i < n; i += seedBatch {
			batch := make([]*roster.User, 0, min(seedBatch, n-i))
			for j := i; j < min(i+seedBatch, n); j++ {
				u := gen.User(first + j)
				u.PublicID = demoID(seed, first+j)
				u.Custom = gen.Custom(first+j, custom)
				batch = append(batch, u)
			}
			select {
			case batches <- batch:
			case <-ctx.Done():
				return
			}
		}
	}()
	done := 0
	for batch := range batches {
		if err := m.Users.CreateUsers(ctx, batch); err != nil {
			return fmt.Errorf("seed: %w", err)
		}
		done += len(batch)
		progress(done)
	}
	return ctx.Err()
}

// demoIDTime is where the time part of demo users' public ids starts.
var demoIDTime = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

// demoID is the public id of the i-th demo user: deterministic, unique
// (the time part grows with i), ascending so that seeding appends to the
// index, and with a random-looking tail like real ids.
func demoID(seed int64, i int) string {
	x := uint64(i)*0x9E3779B97F4A7C15 ^ uint64(seed)*0xBF58476D1CE4E5B9
	x ^= x >> 31
	return roster.PublicIDAt(demoIDTime.Add(time.Duration(i)*37*time.Second), x)
}

// demoOwner is the owner account that --demo creates.
const demoOwner = "owner@example.com"

// demoEventUsers is how many demo users get events (demo.Events), so
// that their profiles have a timeline.
const demoEventUsers = 2000

// seedEvents records the demo events of the first n users.
func (m *Main) seedEvents(ctx context.Context, n int) error {
	var batch []roster.Event
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		_, err := m.Events.RecordEvents(ctx, batch)
		batch = batch[:0]
		return err
	}
	seen := 0
	err := m.Users.ScanUsers(ctx, 0, 500, func(u *roster.User) error {
		if seen >= n {
			return nil
		}
		seen++
		if evs := demo.Events(u); len(batch)+len(evs) > roster.MaxEventBatch {
			if err := flush(); err != nil {
				return err
			}
			batch = append(batch, evs...)
		} else {
			batch = append(batch, evs...)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return flush()
}

// startDemo makes sure a demo database has users and an owner: it seeds
// 10,000 demo users when there are none and creates the owner account when
// there is no staff, printing its generated password once. Checking each
// half on its own means a start interrupted between the two is completed
// by the next one.
func (m *Main) startDemo(ctx context.Context, stdout io.Writer) error {
	ctx = cliContext(ctx)
	staff, err := m.Staff.FindStaff(ctx)
	if err != nil {
		return err
	}
	users, err := m.Users.CountUsers(ctx)
	if err != nil {
		return err
	}
	if users == 0 {
		m.Logger.Info("seeding demo users", "users", 10000)
		if err := m.seed(ctx, 10000, 1, func(int) {}); err != nil {
			return err
		}
		users = 10000
		if err := m.seedEvents(ctx, demoEventUsers); err != nil {
			return err
		}
	}
	if len(staff) > 0 {
		fmt.Fprintf(stdout, "Demo data is already here (%d users). Sign in with the account printed when it was created,\nor set a new password with: roster staff password --email %s\n", users, staff[0].Email)
		return nil
	}
	pw := password.GenerateChecked(16, func(pw string) error { return roster.StaffPasswords.Check(pw, demoOwner) })
	owner := &roster.Staff{Email: demoOwner, Name: "Demo Owner", Role: roster.RoleOwner}
	if err := m.Staff.CreateStaff(ctx, owner, pw); err != nil {
		return err
	}
	if err := m.seedLiving(ctx, owner.ID, 1); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nRoster demo: %d users and an owner account.\n  Sign in at http://%s/signin\n  Email:     %s\n  Password:  %s   (shown once)\n\n", users, m.Addr(), demoOwner, pw)
	return nil
}

// livingUser reports whether the demo gives the user with store id id a
// points history, notes and tasks: the first users of the table and a few
// more spread over it.
func livingUser(id int64) bool { return id <= 40 || id%250 == 0 }

// seedLiving gives some demo users a points history, staff notes and tasks
// for the owner (some late, some done), so that a newcomer opening a
// profile, My tasks or the dashboard sees a living back-office.
func (m *Main) seedLiving(ctx context.Context, ownerID int64, seed int64) error {
	type who struct {
		id     int64
		public string
		points int64
	}
	var users []who
	err := m.Users.ScanUsers(ctx, 0, 1000, func(u *roster.User) error {
		if livingUser(u.ID) {
			users = append(users, who{u.ID, u.PublicID, u.Points})
		}
		return nil
	})
	if err != nil {
		return err
	}
	ledger, notes, tasks := sqldb.NewLedgerService(m.DB), sqldb.NewNoteService(m.DB), sqldb.NewTaskService(m.DB)
	gen := demo.New(seed, time.Now().UTC())
	today := time.Now().UTC()
	for _, u := range users {
		l := gen.Living(int(u.id), u.points)
		for _, c := range l.Points {
			if _, _, err := ledger.ChangePoints(ctx, u.public, c); err != nil {
				return fmt.Errorf("demo points: %w", err)
			}
		}
		for _, n := range l.Notes {
			if err := notes.CreateNote(ctx, u.public, &n); err != nil {
				return fmt.Errorf("demo note: %w", err)
			}
		}
		for _, lt := range l.Tasks {
			t := &roster.Task{Title: lt.Title, Due: roster.DateOf(today.AddDate(0, 0, lt.DueInDays)), AssigneeID: ownerID}
			if err := tasks.CreateTask(ctx, u.public, t); err != nil {
				return fmt.Errorf("demo task: %w", err)
			}
			if lt.Done {
				done := true
				if _, err := tasks.UpdateTask(ctx, u.public, t.ID, roster.TaskUpdate{Done: &done}); err != nil {
					return fmt.Errorf("demo task: %w", err)
				}
			}
		}
	}
	return nil
}
