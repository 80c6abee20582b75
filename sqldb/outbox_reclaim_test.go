package sqldb_test

import (
	"context"
	"testing"
	"time"

	"roster"
	"roster/sqldb"
	"roster/sqldb/sqldbtest"
)

// TestOutbox_Reclaim: the messages a dead worker leased go back to the
// queue at once, due now; a live worker's stay leased.
func TestOutbox_Reclaim(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		f := newMailFixture(t, db)
		ctx := context.Background()
		for _, email := range []string{"a@example.com", "b@example.com", "c@example.com"} {
			if err := db.EnqueueInTx(ctx, f.render, email, true); err != nil {
				t.Fatal(err)
			}
		}
		dead, _ := f.outbox.ClaimOutbox(ctx, "mail:dead", 2, time.Hour)
		live, _ := f.outbox.ClaimOutbox(ctx, "mail:live", 1, time.Hour)
		if len(dead) != 2 || len(live) != 1 {
			t.Fatalf("claimed %d and %d", len(dead), len(live))
		}
		n, err := f.outbox.ReclaimOutbox(ctx, func(owner string) bool { return owner == "mail:dead" })
		if err != nil || n != 2 {
			t.Fatalf("reclaimed %d, %v; want the dead worker's 2", n, err)
		}
		again, err := f.outbox.ClaimOutbox(ctx, "mail:new", 10, time.Hour)
		if err != nil || len(again) != 2 || again[0].ID != dead[0].ID || again[1].ID != dead[1].ID {
			t.Fatalf("claimed after the reclaim: %d messages, %v", len(again), err)
		}
		// The dead worker's late record is refused: the message is the new
		// worker's.
		if err := f.outbox.RecordSent(ctx, dead[0].ID, "mail:dead"); err == nil {
			t.Error("a reclaimed message was recorded by its dead worker")
		}
		c, err := f.outbox.CountOutbox(ctx)
		if err != nil || c[roster.OutboxSending] != 3 {
			t.Errorf("counts %v, %v; want 3 sending (2 with the new worker, 1 with the live one)", c, err)
		}
	})
}
