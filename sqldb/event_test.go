package sqldb_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"roster"
	"roster/sqldb"
	"roster/sqldb/sqldbtest"
)

// refusal returns the field messages of the refusal of event i, or nil.
func refusal(res roster.EventBatchResult, i int) map[string]string {
	for _, r := range res.Refused {
		if r.Index == i {
			return roster.ErrorFields(r.Err)
		}
	}
	return nil
}

func TestEventService_RecordEvents(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ctx := staffCtx()
		now := time.Date(2026, 5, 10, 12, 0, 0, 0, time.UTC)
		db.Now = func() time.Time { return now }
		es := sqldb.NewEventService(db)
		us := sqldb.NewUserService(db)
		ada := MustCreateUser(t, db, "ada@example.com")
		bob := &roster.User{Email: "bob@example.com", ClientID: "sso-bob"}
		if err := us.CreateUser(ctx, bob, ""); err != nil {
			t.Fatal(err)
		}
		var committed []int64
		db.OnCommit = func(ids, _ []int64) { committed = append(committed, ids...) }

		t1 := now.Add(-2 * time.Hour)
		t2 := now.Add(-time.Hour)
		batch := func() []roster.Event {
			return []roster.Event{
				{User: roster.EventUser{ID: ada.PublicID}, Type: "visit", At: t1, Key: "a1"},
				{User: roster.EventUser{Email: "ADA@example.com"}, Type: "interaction", At: t2, Key: "a2", Props: json.RawMessage(`{"kind":"like"}`)},
				{User: roster.EventUser{ClientID: "sso-bob"}, Type: "page_view", At: t2, Key: "b1", Props: json.RawMessage(`{"path":"/home"}`)},
				{User: roster.EventUser{Email: "nobody@example.com"}, Type: "visit", Key: "n1"},
				{User: roster.EventUser{ID: ada.PublicID}, Type: "visit", At: now.Add(8 * 24 * time.Hour), Key: "f1"},
				{User: roster.EventUser{ID: ada.PublicID}, Type: "visit", Key: "p1", Props: json.RawMessage(`{"x":"` + strings.Repeat("y", roster.MaxEventProps) + `"}`)},
				{User: roster.EventUser{ID: ada.PublicID}, Type: "visit", Key: "p2", Props: json.RawMessage(`[1,2]`)},
				{User: roster.EventUser{ID: ada.PublicID}, Type: "Bad Type", Key: "t1"},
				{Type: "visit", Key: "u1"},
			}
		}
		res, err := es.RecordEvents(ctx, batch())
		if err != nil {
			t.Fatal(err)
		}
		if res.Accepted != 3 || res.Stored != 3 || len(res.Refused) != 6 {
			t.Fatalf("first batch: %+v", res)
		}
		for i, field := range map[int]string{3: "user", 4: "time", 5: "properties", 6: "properties", 7: "type", 8: "user"} {
			if msg := refusal(res, i)[field]; msg == "" {
				t.Errorf("event %d: no %s refusal in %+v", i, field, res.Refused)
			}
		}
		for j := 1; j < len(res.Refused); j++ {
			if res.Refused[j].Index < res.Refused[j-1].Index {
				t.Errorf("refusals out of order: %+v", res.Refused)
			}
		}
		if len(committed) != 2 {
			t.Errorf("index told of %v, want ada and bob", committed)
		}

		got, err := us.FindUserByID(ctx, ada.PublicID)
		if err != nil {
			t.Fatal(err)
		}
		if !got.LastVisit.Equal(t1) || !got.LastInteraction.Equal(t2) || !got.FirstSeen.Equal(t1) {
			t.Errorf("ada: visit %v interaction %v first %v", got.LastVisit, got.LastInteraction, got.FirstSeen)
		}
		gotBob, _ := us.FindUserByID(ctx, bob.PublicID)
		if !gotBob.LastVisit.Equal(t2) || !gotBob.LastInteraction.IsZero() {
			t.Errorf("bob: visit %v interaction %v", gotBob.LastVisit, gotBob.LastInteraction)
		}

		// A retry stores nothing again and moves nothing.
		committed = nil
		res, err = es.RecordEvents(ctx, batch())
		if err != nil {
			t.Fatal(err)
		}
		if res.Accepted != 3 || res.Stored != 0 {
			t.Errorf("retry: %+v", res)
		}
		if len(committed) != 0 {
			t.Errorf("a retry told the index of %v", committed)
		}
		if n, _ := es.CountUserEvents(ctx, ada.ID); n != 2 {
			t.Errorf("ada has %d events after a retry, want 2", n)
		}

		// An older event moves first seen back but not last visit; the
		// same key twice in one batch is stored once.
		old := now.Add(-30 * 24 * time.Hour)
		res, err = es.RecordEvents(ctx, []roster.Event{
			{User: roster.EventUser{ID: ada.PublicID}, Type: "visit", At: old, Key: "o1"},
			{User: roster.EventUser{ID: ada.PublicID}, Type: "visit", At: old, Key: "o1"},
			{User: roster.EventUser{ID: ada.PublicID}, Type: "purchase", Key: "c1"},
		})
		if err != nil || res.Accepted != 3 || res.Stored != 2 {
			t.Fatalf("older: %+v %v", res, err)
		}
		got, _ = us.FindUserByID(ctx, ada.PublicID)
		if !got.LastVisit.Equal(t1) || !got.FirstSeen.Equal(old) {
			t.Errorf("after an older event: visit %v first %v", got.LastVisit, got.FirstSeen)
		}

		// The timeline reads newest first; before and types narrow it.
		evs, err := es.UserEvents(ctx, ada.ID, time.Time{}, nil, 10)
		if err != nil {
			t.Fatal(err)
		}
		var order []string
		for _, e := range evs {
			order = append(order, e.Key)
		}
		if strings.Join(order, ",") != "c1,a2,a1,o1" {
			t.Errorf("events newest first: %v", order)
		}
		if evs[1].Prop("kind") != "like" {
			t.Errorf("properties: %s", evs[1].Props)
		}
		evs, _ = es.UserEvents(ctx, ada.ID, t2, []string{"visit"}, 10)
		if len(evs) != 2 || evs[0].Key != "a1" {
			t.Errorf("before t2, visits: %+v", evs)
		}

		// Restricted types refuse the operator's unknown ones.
		set := roster.DefaultEventSettings()
		set.Restrict, set.CustomTypes = true, []string{"purchase"}
		if err := es.SetEventSettings(ctx, set); err != nil {
			t.Fatal(err)
		}
		res, _ = es.RecordEvents(ctx, []roster.Event{
			{User: roster.EventUser{ID: ada.PublicID}, Type: "purchase"},
			{User: roster.EventUser{ID: ada.PublicID}, Type: "refund"},
		})
		if res.Accepted != 1 || refusal(res, 1)["type"] == "" {
			t.Errorf("restricted: %+v", res)
		}
		bad := set
		bad.RetentionMonths = 0
		if err := es.SetEventSettings(ctx, bad); roster.ErrorFields(err)["retention_months"] == "" {
			t.Errorf("retention 0: %v", err)
		}

		// Too big a batch is refused whole.
		if _, err := es.RecordEvents(ctx, make([]roster.Event, roster.MaxEventBatch+1)); roster.ErrorCode(err) != roster.EINVALID {
			t.Errorf("oversized batch: %v", err)
		}

		// Deleting a user deletes their events.
		if err := us.DeleteUser(ctx, ada.PublicID); err != nil {
			t.Fatal(err)
		}
		if n, _ := es.CountUserEvents(ctx, ada.ID); n != 0 {
			t.Errorf("a deleted user keeps %d events", n)
		}
	})
}

func TestEventService_Retention(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		now := time.Date(2026, 5, 10, 12, 0, 0, 0, time.UTC)
		clock := now.AddDate(-2, 0, 0) // the events arrive as they happen
		db.Now = func() time.Time { return clock }
		es := sqldb.NewEventService(db)
		ada := MustCreateUser(t, db, "ada@example.com")
		var batch []roster.Event
		for m := 0; m < 16; m++ {
			batch = append(batch, roster.Event{User: roster.EventUser{ID: ada.PublicID}, Type: "visit",
				At: now.AddDate(0, -m, 0), Key: "m" + time.Duration(m).String()})
		}
		for _, e := range batch {
			clock = e.At
			if res, err := es.RecordEvents(ctx, []roster.Event{e}); err != nil || res.Stored != 1 {
				t.Fatalf("%+v %v", res, err)
			}
		}
		clock = now
		n, err := es.PruneEvents(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// Kept: now and the 13 months before it; the events of months 14
		// and 15 go (month 13 is exactly at the cutoff and stays).
		if n != 2 {
			t.Errorf("pruned %d, want 2", n)
		}
		if left, _ := es.CountUserEvents(ctx, ada.ID); left != 14 {
			t.Errorf("%d left, want 14", left)
		}
		if db.Dialect == sqldb.Postgres {
			parts, _ := es.Partitions(ctx)
			if len(parts) != 14 || parts[0] != "events_y2025m04" {
				t.Errorf("partitions after pruning: %v", parts)
			}
		}
		// Pruning again finds nothing; an event older than the retention
		// period is refused (its month's partition is gone), one in the
		// oldest month kept is stored.
		if n, err := es.PruneEvents(ctx); err != nil || n != 0 {
			t.Errorf("second prune: %d %v", n, err)
		}
		res, err := es.RecordEvents(ctx, []roster.Event{
			{User: roster.EventUser{ID: ada.PublicID}, Type: "visit", At: now.AddDate(0, -15, 0), Key: "late"},
			{User: roster.EventUser{ID: ada.PublicID}, Type: "visit", At: now.AddDate(0, -13, 1), Key: "kept"},
		})
		if err != nil || res.Stored != 1 || refusal(res, 0)["time"] == "" {
			t.Errorf("events past and within retention: %+v %v", res, err)
		}
	})
}
