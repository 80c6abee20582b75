package main

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"roster"
	"roster/sqldb"
)

// TestDemoLiving checks the demo's living profiles: the first users have
// a points history whose sum is their balance, notes and tasks for the
// owner, and the timeline sources the server is given show them.
func TestDemoLiving(t *testing.T) {
	ctx := cliContext(context.Background())
	m := &Main{Config: DefaultConfig(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	m.Config.DataDir = t.TempDir()
	if err := m.OpenDB(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.DB.Close() })
	if err := m.seed(ctx, 300, 1, func(int) {}); err != nil {
		t.Fatal(err)
	}
	owner := &roster.Staff{Email: demoOwner, Role: roster.RoleOwner}
	if err := m.Staff.CreateStaff(ctx, owner, "lantern orchard velvet 42"); err != nil {
		t.Fatal(err)
	}
	if err := m.seedLiving(ctx, owner.ID, 1); err != nil {
		t.Fatal(err)
	}
	ls, ns, ts := sqldb.NewLedgerService(m.DB), sqldb.NewNoteService(m.DB), sqldb.NewTaskService(m.DB)
	notes := 0
	for id := int64(1); id <= 40; id++ {
		users, err := m.Users.FindUsersByIDs(ctx, []int64{id})
		if err != nil || len(users) != 1 {
			t.Fatalf("user %d: %v", id, err)
		}
		u := users[0]
		es, err := ls.FindLedger(ctx, u.PublicID, "points", 0, 500)
		if err != nil {
			t.Fatal(err)
		}
		var sum int64
		for _, e := range es {
			sum += e.Amount
		}
		if len(es) < 2 || sum != u.Points {
			t.Errorf("user %d: %d entries summing to %d, balance %d", id, len(es), sum, u.Points)
		}
		n, err := ns.FindNotes(ctx, u.PublicID)
		if err != nil {
			t.Fatal(err)
		}
		notes += len(n)
	}
	open, err := ts.FindTasks(ctx, roster.TaskFilter{AssigneeID: owner.ID, Status: "open"})
	if err != nil {
		t.Fatal(err)
	}
	late := 0
	for _, tk := range open {
		if tk.Overdue(roster.DateOf(time.Now().UTC())) {
			late++
		}
	}
	if notes < 10 || len(open) < 10 || late == 0 {
		t.Errorf("the demo's first 40 users have %d notes, the owner %d open tasks (%d late): too few to show", notes, len(open), late)
	}

	if _, err := m.Handler(ctx); err != nil {
		t.Fatal(err)
	}
	if len(m.Timeline) == 0 {
		t.Fatal("the server is given no timeline source")
	}
	items, err := m.Timeline[0].UserActivity(ctx, 1, time.Time{}, 50)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, it := range items {
		kinds[it.Kind]++
	}
	if kinds["points"] < 2 {
		t.Errorf("user 1's timeline: %v, want its points changes", kinds)
	}
}
