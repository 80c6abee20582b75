package index_test

import (
	"context"
	"testing"
	"time"

	"roster"
	"roster/index"
	"roster/query"
	"roster/sqldb"
	"roster/sqldb/sqldbtest"
)

// TestIndexFollowsOtherNodes runs two nodes on one database: a write
// through one is visible on the same node at once, and on the other within
// a second, through the change log.
func TestIndexFollowsOtherNodes(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ctx, cancel := context.WithCancel(roster.NewContextWithActor(context.Background(), roster.Actor{Label: "test"}))
		defer cancel()
		// Node B opens the same database through its own pools.
		other, err := sqldb.Open(ctx, db.Config)
		if err != nil {
			t.Fatal(err)
		}
		defer other.Close()
		newIndex := func(d *sqldb.DB) *index.Index {
			ix := mustOpenIndex(t, ctx, d)
			go ix.Follow(ctx, 250*time.Millisecond)
			return ix
		}
		a, b := newIndex(db), newIndex(other)
		reg, _ := sqldb.NewFieldService(db).Registry(ctx)
		plan, err := query.Compile(query.Filter{Conds: []query.Cond{{Field: "city", Op: query.OpEq, Values: []string{"Reykjavík"}}}}, reg, time.UTC)
		if err != nil {
			t.Fatal(err)
		}
		count := func(ix *index.Index) int {
			res, err := ix.Search(ctx, plan, query.Page{Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			return res.Total
		}
		users := sqldb.NewUserService(db)
		for i, want := range []int{1, 2} {
			u := &roster.User{Email: "node" + string(rune('a'+i)) + "@example.com", City: "Reykjavík"}
			start := time.Now()
			if err := users.CreateUser(ctx, u, ""); err != nil {
				t.Fatal(err)
			}
			if got := count(a); got != want {
				t.Fatalf("same node right after the write: %d users, want %d", got, want)
			}
			for count(b) != want {
				if time.Since(start) > time.Second {
					t.Fatalf("other node: the write is not visible after %s", time.Since(start))
				}
				time.Sleep(10 * time.Millisecond)
			}
			t.Logf("write %d visible on the other node after %s", i+1, time.Since(start).Round(time.Millisecond))
		}
		// An update and a delete travel the same way.
		u, _ := users.FindUsersByIDs(ctx, []int64{1})
		if _, err := users.UpdateUser(ctx, u[0].PublicID, roster.UserUpdate{Values: map[string]any{"city": "Oslo"}}); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(time.Second)
		for count(b) != 1 {
			if time.Now().After(deadline) {
				t.Fatal("other node: the update is not visible after 1s")
			}
			time.Sleep(10 * time.Millisecond)
		}
		// Tagging and untagging (a refs change) reach the other node too.
		tags := sqldb.NewTagService(db)
		tg := roster.Tag{Name: "followed"}
		if err := tags.CreateTag(ctx, &tg); err != nil {
			t.Fatal(err)
		}
		reg, _ = sqldb.NewFieldService(db).Registry(ctx)
		tagPlan, err := query.Compile(query.Filter{Conds: []query.Cond{{Field: "tags", Op: query.OpEq, Values: []string{"followed"}}}}, reg, time.UTC)
		if err != nil {
			t.Fatal(err)
		}
		tagged := func(ix *index.Index) int {
			res, err := ix.Search(ctx, tagPlan, query.Page{Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			return res.Total
		}
		for _, step := range []struct {
			do   func() error
			want int
		}{
			{func() error { _, err := tags.TagUsers(ctx, tg.ID, []int64{1, 2}, ""); return err }, 2},
			{func() error { return tags.UntagUser(ctx, u[0].PublicID, tg.ID) }, 1},
		} {
			if err := step.do(); err != nil {
				t.Fatal(err)
			}
			if got := tagged(a); got != step.want {
				t.Fatalf("same node: %d tagged, want %d", got, step.want)
			}
			deadline := time.Now().Add(time.Second)
			for tagged(b) != step.want {
				if time.Now().After(deadline) {
					t.Fatalf("other node: %d tagged after 1s, want %d", tagged(b), step.want)
				}
				time.Sleep(10 * time.Millisecond)
			}
		}
	})
}
