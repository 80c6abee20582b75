package sqldb_test

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"roster"
	"roster/sqldb"
	"roster/sqldb/sqldbtest"
)

// sumLedger returns the sum of a user's entries of counter.
func sumLedger(t *testing.T, ls *sqldb.LedgerService, userID, counter string) int64 {
	t.Helper()
	entries, err := ls.FindLedger(context.Background(), userID, counter, 0, 500)
	if err != nil {
		t.Fatal(err)
	}
	var sum int64
	for _, e := range entries {
		sum += e.Amount
	}
	return sum
}

func TestLedgerService_ChangePoints(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ctx := staffCtx()
		ls, us := sqldb.NewLedgerService(db), sqldb.NewUserService(db)
		u := MustCreateUser(t, db, "points@example.com") // 10 points: an opening entry
		if got := sumLedger(t, ls, u.PublicID, "points"); got != 10 {
			t.Fatalf("opening balance: ledger sums to %d, want 10", got)
		}
		t.Run("OK", func(t *testing.T) {
			e, replayed, err := ls.ChangePoints(ctx, u.PublicID, roster.PointsChange{Amount: 25, Reason: " won the quiz ", Source: roster.LedgerStaff})
			if err != nil || replayed {
				t.Fatalf("change: %v %v", err, replayed)
			}
			if e.Balance != 35 || e.Counter != "points" || e.Reason != "won the quiz" || e.Actor != "ada@example.com" || e.Source != "staff" {
				t.Errorf("entry = %+v", e)
			}
			got, _ := us.FindUserByID(ctx, u.PublicID)
			if got.Points != 35 {
				t.Errorf("balance on the user = %d, want 35", got.Points)
			}
			entries, _ := sqldb.NewAuditService(db).FindAuditEntries(ctx, roster.AuditFilter{Action: "user.points", TargetID: u.PublicID})
			if len(entries) != 1 || entries[0].Note != "won the quiz" {
				t.Fatalf("audit = %+v", entries)
			}
			if c := entries[0].Changes["points"]; fmt.Sprint(c.Before, c.After) != "10 35" {
				t.Errorf("audit change = %+v", c)
			}
		})
		t.Run("ErrNegative", func(t *testing.T) {
			_, _, err := ls.ChangePoints(ctx, u.PublicID, roster.PointsChange{Amount: -36, Reason: "refund", Source: roster.LedgerAPI})
			if roster.ErrorCode(err) != roster.EINVALID || roster.ErrorFields(err)["amount"] == "" {
				t.Fatalf("err = %v", err)
			}
			got, _ := us.FindUserByID(ctx, u.PublicID)
			if got.Points != 35 || sumLedger(t, ls, u.PublicID, "points") != 35 {
				t.Errorf("a refused change wrote: points %d", got.Points)
			}
			if _, _, err := ls.ChangePoints(ctx, u.PublicID, roster.PointsChange{Amount: -35, Reason: "spent", Source: roster.LedgerAPI}); err != nil {
				t.Fatalf("down to zero: %v", err)
			}
			if _, _, err := ls.ChangePoints(ctx, u.PublicID, roster.PointsChange{Amount: 35, Reason: "back", Source: roster.LedgerAPI}); err != nil {
				t.Fatal(err)
			}
		})
		t.Run("ErrInvalid", func(t *testing.T) {
			for _, c := range []struct {
				change roster.PointsChange
				field  string
			}{
				{roster.PointsChange{Amount: 0, Reason: "x", Source: "api"}, "amount"},
				{roster.PointsChange{Amount: roster.MaxCount + 1, Reason: "x", Source: "api"}, "amount"},
				{roster.PointsChange{Amount: 1, Reason: "  ", Source: "api"}, "reason"},
				{roster.PointsChange{Amount: 1, Reason: "x", Source: "robot"}, "source"},
				{roster.PointsChange{Amount: 1, Reason: "x", Source: "api", Counter: "stars"}, "counter"},
			} {
				_, _, err := ls.ChangePoints(ctx, u.PublicID, c.change)
				if roster.ErrorCode(err) != roster.EINVALID || roster.ErrorFields(err)[c.field] == "" {
					t.Errorf("%+v: err = %v, want a message on %s", c.change, err, c.field)
				}
			}
			if _, _, err := ls.ChangePoints(ctx, "u_nope", roster.PointsChange{Amount: 1, Reason: "x", Source: "api"}); roster.ErrorCode(err) != roster.ENOTFOUND {
				t.Errorf("unknown user: %v", err)
			}
		})
		t.Run("Idempotent", func(t *testing.T) {
			c := roster.PointsChange{Amount: 5, Reason: "daily bonus", Source: roster.LedgerAPI, IdempotencyKey: "bonus-1"}
			first, replayed, err := ls.ChangePoints(ctx, u.PublicID, c)
			if err != nil || replayed {
				t.Fatal(err, replayed)
			}
			again, replayed, err := ls.ChangePoints(ctx, u.PublicID, c)
			if err != nil || !replayed || again.ID != first.ID || again.Balance != first.Balance {
				t.Fatalf("retry: %+v %v %v", again, replayed, err)
			}
			got, _ := us.FindUserByID(ctx, u.PublicID)
			if got.Points != first.Balance {
				t.Errorf("applied twice: %d", got.Points)
			}
			c.Amount = 6
			if _, _, err := ls.ChangePoints(ctx, u.PublicID, c); roster.ErrorCode(err) != roster.ECONFLICT || roster.ErrorFields(err)["idempotency_key"] == "" {
				t.Errorf("key reused for another change: %v", err)
			}
		})
		t.Run("Counters", func(t *testing.T) {
			if err := ls.CreateCounter(ctx, &roster.Counter{Key: "credits", Label: "Credits", AllowNegative: true}); err != nil {
				t.Fatal(err)
			}
			for _, bad := range []roster.Counter{{Key: "credits", Label: "Again"}, {Key: "city", Label: "City"}} {
				if err := ls.CreateCounter(ctx, &bad); roster.ErrorCode(err) != roster.ECONFLICT {
					t.Errorf("%s: %v", bad.Key, err)
				}
			}
			if err := ls.CreateCounter(ctx, &roster.Counter{Key: "Bad Key", Label: ""}); roster.ErrorFields(err)["key"] == "" || roster.ErrorFields(err)["label"] == "" {
				t.Errorf("bad counter: %v", err)
			}
			e, _, err := ls.ChangePoints(ctx, u.PublicID, roster.PointsChange{Counter: "credits", Amount: -3, Reason: "advance", Source: roster.LedgerStaff})
			if err != nil || e.Balance != -3 {
				t.Fatalf("negative credits: %+v %v", e, err)
			}
			bs, err := ls.Balances(ctx, u.PublicID)
			if err != nil || len(bs) != 2 || bs[0].Counter.Key != "points" || bs[1].Counter.Key != "credits" || bs[1].Balance != -3 {
				t.Fatalf("balances = %+v %v", bs, err)
			}
			got, _ := us.FindUserByID(ctx, u.PublicID)
			if bs[0].Balance != got.Points {
				t.Errorf("points balance %d, user %d", bs[0].Balance, got.Points)
			}
			if got := sumLedger(t, ls, u.PublicID, "credits"); got != -3 {
				t.Errorf("credits ledger sums to %d", got)
			}
		})
		t.Run("Pages", func(t *testing.T) {
			all, _ := ls.FindLedger(ctx, u.PublicID, "", 0, 500)
			page, _ := ls.FindLedger(ctx, u.PublicID, "", 0, 2)
			next, _ := ls.FindLedger(ctx, u.PublicID, "", page[1].ID, 2)
			if len(page) != 2 || len(next) != 2 || page[0].ID != all[0].ID || next[0].ID != all[2].ID {
				t.Errorf("pages: %d %d", len(page), len(next))
			}
		})
		t.Run("EditRefused", func(t *testing.T) {
			_, err := us.UpdateUser(ctx, u.PublicID, roster.UserUpdate{Values: map[string]any{"points": int64(1)}})
			if roster.ErrorFields(err)["points"] != roster.CounterEditMessage {
				t.Errorf("editing points: %v", err)
			}
		})
	})
}

// TestLedgerService_Concurrent changes one balance from 16 goroutines at
// once: no change is lost, the balance is the sum of the ledger, and a
// change that would go below zero is refused whatever the interleaving.
func TestLedgerService_Concurrent(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ctx := staffCtx()
		ls, us := sqldb.NewLedgerService(db), sqldb.NewUserService(db)
		u := MustCreateUser(t, db, "race@example.com") // 10 points
		const workers, each = 16, 10
		var wg sync.WaitGroup
		var mu sync.Mutex
		var refused int
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range each {
					amount := int64(3)
					if i%2 == 1 {
						amount = -2
					}
					key := "w" + strconv.Itoa(w) + "-" + strconv.Itoa(i)
					_, _, err := ls.ChangePoints(ctx, u.PublicID, roster.PointsChange{Amount: amount, Reason: "race", Source: roster.LedgerAPI, IdempotencyKey: key})
					if err != nil {
						mu.Lock()
						refused++
						mu.Unlock()
						t.Errorf("change %s: %v", key, err)
					}
					// A retry of the same key never applies twice.
					if i == 0 {
						if _, replayed, err := ls.ChangePoints(ctx, u.PublicID, roster.PointsChange{Amount: amount, Reason: "race", Source: roster.LedgerAPI, IdempotencyKey: key}); err != nil || !replayed {
							t.Errorf("retry %s: %v %v", key, replayed, err)
						}
					}
				}
			}()
		}
		wg.Wait()
		want := int64(10 + workers*(each/2)*(3-2))
		got, _ := us.FindUserByID(ctx, u.PublicID)
		if got.Points != want || refused != 0 {
			t.Errorf("points = %d, want %d (%d refused)", got.Points, want, refused)
		}
		if sum := sumLedger(t, ls, u.PublicID, "points"); sum != got.Points {
			t.Errorf("ledger sums to %d, balance %d", sum, got.Points)
		}
		// 16 concurrent withdrawals of more than half the balance: exactly one
		// succeeds.
		half := got.Points/2 + 1
		var ok int
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, _, err := ls.ChangePoints(ctx, u.PublicID, roster.PointsChange{Amount: -half, Reason: "spend", Source: roster.LedgerAPI})
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					ok++
				case roster.ErrorFields(err)["amount"] == "":
					t.Errorf("spend: %v", err)
				}
			}()
		}
		wg.Wait()
		got, _ = us.FindUserByID(ctx, u.PublicID)
		if ok != 1 || got.Points != want-half {
			t.Errorf("%d withdrawals succeeded, points %d, want 1 and %d", ok, got.Points, want-half)
		}
	})
}

func TestNoteService(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ctx := staffCtx()
		ns := sqldb.NewNoteService(db)
		u := MustCreateUser(t, db, "notes@example.com")
		other := MustCreateUser(t, db, "other@example.com")
		n := &roster.Note{Body: "  Called about **billing**.  "}
		if err := ns.CreateNote(ctx, u.PublicID, n); err != nil {
			t.Fatal(err)
		}
		if n.ID == 0 || n.Body != "Called about **billing**." || n.Author != "ada@example.com" || n.Version != 1 {
			t.Errorf("note = %+v", n)
		}
		if err := ns.CreateNote(ctx, u.PublicID, &roster.Note{Body: "VIP: always escalate", Pinned: true}); err != nil {
			t.Fatal(err)
		}
		if err := ns.CreateNote(ctx, u.PublicID, &roster.Note{Body: " "}); roster.ErrorFields(err)["body"] == "" {
			t.Errorf("empty note: %v", err)
		}
		notes, err := ns.FindNotes(ctx, u.PublicID)
		if err != nil || len(notes) != 2 || !notes[0].Pinned {
			t.Fatalf("notes = %+v %v", notes, err)
		}
		body, unpin := "Called about billing, twice.", false
		editor := roster.NewContextWithActor(ctx, roster.Actor{StaffID: 8, Label: "bob@example.com"})
		upd, err := ns.UpdateNote(editor, u.PublicID, n.ID, roster.NoteUpdate{Body: &body, Pinned: &unpin})
		if err != nil || upd.Version != 2 || upd.Editor != "bob@example.com" || upd.Author != "ada@example.com" {
			t.Fatalf("update = %+v %v", upd, err)
		}
		got, versions, err := ns.FindNote(ctx, u.PublicID, n.ID)
		if err != nil || got.Body != body || len(versions) != 2 || versions[1].Body != "Called about **billing**." || versions[0].Editor != "bob@example.com" {
			t.Fatalf("history = %+v %v", versions, err)
		}
		if _, err := ns.UpdateNote(ctx, other.PublicID, n.ID, roster.NoteUpdate{Body: &body}); roster.ErrorCode(err) != roster.ENOTFOUND {
			t.Errorf("another user's note: %v", err)
		}
		if err := ns.DeleteNote(ctx, u.PublicID, n.ID); err != nil {
			t.Fatal(err)
		}
		if _, _, err := ns.FindNote(ctx, u.PublicID, n.ID); roster.ErrorCode(err) != roster.ENOTFOUND {
			t.Errorf("deleted note: %v", err)
		}
		entries, _ := sqldb.NewAuditService(db).FindAuditEntries(ctx, roster.AuditFilter{TargetID: u.PublicID})
		actions := map[string]bool{}
		for _, e := range entries {
			actions[e.Action] = true
		}
		for _, a := range []string{"note.create", "note.update", "note.delete"} {
			if !actions[a] {
				t.Errorf("no %s entry", a)
			}
		}
	})
}

func TestTaskService(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ctx := staffCtx()
		ss, ts := sqldb.NewStaffService(db), sqldb.NewTaskService(db)
		ann := &roster.Staff{Email: "ann@staff.example.com", Role: roster.RoleSupport}
		if err := ss.CreateStaff(ctx, ann, "a long staff password"); err != nil {
			t.Fatal(err)
		}
		u := MustCreateUser(t, db, "tasks@example.com")
		today := roster.DateOf(time.Now().UTC())
		yesterday, tomorrow := roster.DateOf(time.Now().UTC().AddDate(0, 0, -1)), roster.DateOf(time.Now().UTC().AddDate(0, 0, 1))
		for _, tk := range []*roster.Task{
			{Title: "Send the welcome pack", Due: tomorrow, AssigneeID: ann.ID},
			{Title: "Call back", Due: yesterday, AssigneeID: ann.ID},
			{Title: "Some day", AssigneeID: ann.ID},
			{Title: "Check the address", Due: today, AssigneeID: ann.ID},
		} {
			if err := ts.CreateTask(ctx, u.PublicID, tk); err != nil {
				t.Fatal(err)
			}
		}
		for _, bad := range []struct {
			task  roster.Task
			field string
		}{
			{roster.Task{Title: "", AssigneeID: ann.ID}, "title"},
			{roster.Task{Title: "x", AssigneeID: 0}, "assignee_id"},
			{roster.Task{Title: "x", AssigneeID: 99999}, "assignee_id"},
			{roster.Task{Title: "x", AssigneeID: ann.ID, Due: roster.Date{Year: 1800, Month: 1, Day: 1}}, "due"},
		} {
			if err := ts.CreateTask(ctx, u.PublicID, &bad.task); roster.ErrorFields(err)[bad.field] == "" {
				t.Errorf("%+v: %v", bad.task, err)
			}
		}
		open, err := ts.FindTasks(ctx, roster.TaskFilter{AssigneeID: ann.ID, Status: "open"})
		if err != nil {
			t.Fatal(err)
		}
		var titles []string
		for _, tk := range open {
			titles = append(titles, tk.Title)
		}
		if fmt.Sprint(titles) != "[Call back Check the address Send the welcome pack Some day]" {
			t.Errorf("order = %v", titles)
		}
		if !open[0].Overdue(today) || open[1].Overdue(today) || open[0].UserName == "" || open[0].User != u.PublicID {
			t.Errorf("first = %+v", open[0])
		}
		if n, err := ts.CountDueTasks(ctx, ann.ID, today); err != nil || n != 2 {
			t.Errorf("due = %d %v", n, err)
		}
		done := true
		tk, err := ts.UpdateTask(ctx, u.PublicID, open[0].ID, roster.TaskUpdate{Done: &done})
		if err != nil || !tk.Done || tk.DoneAt.IsZero() {
			t.Fatalf("done: %+v %v", tk, err)
		}
		if n, _ := ts.CountDueTasks(ctx, ann.ID, today); n != 1 {
			t.Errorf("due after done = %d", n)
		}
		all, _ := ts.FindTasks(ctx, roster.TaskFilter{User: u.PublicID})
		if len(all) != 4 || !all[3].Done {
			t.Errorf("done last: %+v", all)
		}
		if _, err := ts.FindTasks(ctx, roster.TaskFilter{Status: "later"}); roster.ErrorFields(err)["status"] == "" {
			t.Errorf("bad status: %v", err)
		}
		if err := ts.DeleteTask(ctx, u.PublicID, open[0].ID); err != nil {
			t.Fatal(err)
		}
		if _, err := ts.UpdateTask(ctx, u.PublicID, open[0].ID, roster.TaskUpdate{Done: &done}); roster.ErrorCode(err) != roster.ENOTFOUND {
			t.Errorf("deleted: %v", err)
		}
	})
}

func TestLedgerActivity(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ctx := staffCtx()
		clock := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
		db.Now = func() time.Time { clock = clock.Add(time.Minute); return clock }
		ss := sqldb.NewStaffService(db)
		ann := &roster.Staff{Email: "ann@staff.example.com", Role: roster.RoleSupport}
		if err := ss.CreateStaff(ctx, ann, "a long staff password"); err != nil {
			t.Fatal(err)
		}
		u := MustCreateUser(t, db, "timeline@example.com") // opening balance
		if _, _, err := sqldb.NewLedgerService(db).ChangePoints(ctx, u.PublicID, roster.PointsChange{Amount: 5, Reason: "birthday", Source: roster.LedgerStaff}); err != nil {
			t.Fatal(err)
		}
		if err := sqldb.NewNoteService(db).CreateNote(ctx, u.PublicID, &roster.Note{Body: "First line\nsecond"}); err != nil {
			t.Fatal(err)
		}
		if err := sqldb.NewTaskService(db).CreateTask(ctx, u.PublicID, &roster.Task{Title: "Call", AssigneeID: ann.ID}); err != nil {
			t.Fatal(err)
		}
		a := sqldb.NewLedgerActivity(db)
		items, err := a.UserActivity(ctx, u.ID, time.Time{}, 10)
		if err != nil {
			t.Fatal(err)
		}
		var kinds []string
		for _, it := range items {
			kinds = append(kinds, it.Kind)
		}
		if fmt.Sprint(kinds) != "[task note points points]" {
			t.Fatalf("kinds = %v", kinds)
		}
		if items[1].Detail != "First line" || items[2].Detail != "birthday" || items[2].Title != "+5 points (balance 15)" || items[0].Actor != "ada@example.com" {
			t.Errorf("items = %+v", items)
		}
		older, err := a.UserActivity(ctx, u.ID, items[1].At, 2)
		if err != nil || len(older) != 2 || older[0].Kind != "points" || older[0].Detail != "birthday" {
			t.Errorf("before the note: %+v %v", older, err)
		}
		if other, _ := a.UserActivity(ctx, u.ID+1000, time.Time{}, 10); len(other) != 0 {
			t.Errorf("another user's items: %+v", other)
		}
	})
}

// TestMigrate_LedgerOpeningBalances migrates a SQLite database whose users
// hold points from before the ledger: each gets one opening entry, so that
// every balance is the sum of its ledger.
func TestMigrate_LedgerOpeningBalances(t *testing.T) {
	ctx := context.Background()
	db := openMigratedTo(t, sqldb.SQLite, "0016") // every migration before the ledger's
	var ids []string
	for i, points := range []int64{42, 0} {
		u := &roster.User{Email: fmt.Sprintf("old%d@example.com", i)}
		if err := sqldb.NewUserService(db).CreateUser(staffCtx(), u, ""); err != nil {
			t.Fatal(err)
		}
		rows, err := db.QueryForTest(ctx, "UPDATE users SET points = ? WHERE id = ?", points, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		rows.Close()
		ids = append(ids, u.PublicID)
	}
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	ls := sqldb.NewLedgerService(db)
	es, err := ls.FindLedger(ctx, ids[0], "", 0, 10)
	if err != nil || len(es) != 1 || es[0].Amount != 42 || es[0].Balance != 42 || es[0].Reason != "opening balance" {
		t.Fatalf("entries of a user with 42 points: %+v %v", es, err)
	}
	if es, _ := ls.FindLedger(ctx, ids[1], "", 0, 10); len(es) != 0 {
		t.Errorf("a user without points got entries: %+v", es)
	}
	if _, _, err := ls.ChangePoints(staffCtx(), ids[0], roster.PointsChange{Amount: -42, Reason: "spent", Source: roster.LedgerAPI}); err != nil {
		t.Errorf("spend the migrated balance: %v", err)
	}
}
