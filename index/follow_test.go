package index_test

import (
	"context"
	"fmt"
	"sync/atomic"
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

// reloadCounter is the store, counting the users the index reloads.
type reloadCounter struct {
	*sqldb.UserService
	n atomic.Int64
}

func (c *reloadCounter) FindUsersByIDs(ctx context.Context, ids []int64) ([]*roster.User, error) {
	c.n.Add(int64(len(ids)))
	return c.UserService.FindUsersByIDs(ctx, ids)
}

// TestCatchUpSkipsOwnCommits: the users a node's own commit changed are
// reloaded once, right after the commit; following the change log then
// skips them, and still applies another node's writes.
func TestCatchUpSkipsOwnCommits(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ctx := roster.NewContextWithActor(context.Background(), roster.Actor{Label: "test"})
		users := sqldb.NewUserService(db)
		src := &reloadCounter{UserService: users}
		ix := &index.Index{Users: src, Fields: sqldb.NewFieldService(db), Changes: sqldb.NewChangeLog(db), Fallback: users}
		if err := ix.Build(ctx); err != nil {
			t.Fatal(err)
		}
		db.OnCommit = func(ids, seqs []int64) {
			if err := ix.Refresh(ctx, ids, seqs); err != nil {
				t.Errorf("refresh: %v", err)
			}
		}
		batch := make([]*roster.User, 50)
		for i := range batch {
			batch[i] = &roster.User{Email: fmt.Sprintf("own%d@example.com", i), City: "Oslo"}
		}
		if err := users.CreateUsers(ctx, batch); err != nil {
			t.Fatal(err)
		}
		if got := src.n.Load(); got != 50 {
			t.Fatalf("after the commit: %d users reloaded, want 50", got)
		}
		if err := ix.CatchUp(ctx); err != nil {
			t.Fatal(err)
		}
		if got := src.n.Load(); got != 50 {
			t.Errorf("following the log reloaded %d users this node applied already", got-50)
		}
		other, err := sqldb.Open(ctx, db.Config)
		if err != nil {
			t.Fatal(err)
		}
		defer other.Close()
		if err := sqldb.NewUserService(other).CreateUser(ctx, &roster.User{Email: "elsewhere@example.com", City: "Oslo"}, ""); err != nil {
			t.Fatal(err)
		}
		if err := ix.CatchUp(ctx); err != nil {
			t.Fatal(err)
		}
		if got := src.n.Load(); got != 51 {
			t.Errorf("another node's write: %d users reloaded, want 1", got-50)
		}
		reg, _ := sqldb.NewFieldService(db).Registry(ctx)
		plan, err := query.Compile(query.Filter{Conds: []query.Cond{{Field: "city", Op: query.OpEq, Values: []string{"Oslo"}}}}, reg, time.UTC)
		if err != nil {
			t.Fatal(err)
		}
		if res, err := ix.Search(ctx, plan, query.Page{Limit: 1}); err != nil || res.Total != 51 {
			t.Errorf("city:Oslo finds %v (%v), want 51", res, err)
		}
	})
}

// TestIndexFollowsSessions: a sign-in, a use of a session and push tokens
// made through one node reach the other node's index through the change
// log: platform, sessions.last_seen and push_tokens filter there too.
func TestIndexFollowsSessions(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ctx, cancel := context.WithCancel(roster.NewContextWithActor(context.Background(), roster.Actor{Label: "test"}))
		defer cancel()
		other, err := sqldb.Open(ctx, db.Config)
		if err != nil {
			t.Fatal(err)
		}
		defer other.Close()
		users := sqldb.NewUserService(db)
		u := &roster.User{Email: "sessions@example.com"}
		if err := users.CreateUser(ctx, u, ""); err != nil {
			t.Fatal(err)
		}
		b := mustOpenIndex(t, ctx, other)
		go b.Follow(ctx, 100*time.Millisecond)
		reg, _ := sqldb.NewFieldService(db).Registry(ctx)
		count := func(q string) int {
			f, err := query.Parse(q)
			if err != nil {
				t.Fatal(err)
			}
			p, err := query.Compile(f, reg, time.UTC)
			if err != nil {
				t.Fatal(err)
			}
			res, err := b.Search(ctx, p, query.Page{Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			return res.Total
		}
		eventually := func(what, q string, want int) {
			t.Helper()
			deadline := time.Now().Add(2 * time.Second)
			for count(q) != want {
				if time.Now().After(deadline) {
					t.Fatalf("other node, %s: %q finds %d users, want %d", what, q, count(q), want)
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
		eventually("before", "platform:ios", 0)
		eventually("before", "push_tokens:none", 1)
		eventually("before", "sessions.last_seen:none", 1)

		sessions := sqldb.NewUserSessionService(db)
		signIn := time.Now().UTC().Add(-2 * time.Hour).Truncate(time.Millisecond)
		db.Now = func() time.Time { return signIn }
		_, tok, err := sessions.StartSession(ctx, u.ID, roster.UserDevice{Name: "phone", Platform: "iOS"})
		if err != nil {
			t.Fatal(err)
		}
		eventually("sign-in", "platform:ios", 1)
		eventually("sign-in", "sessions.last_seen:"+signIn.Format(time.RFC3339Nano), 1)
		// A use an hour later moves sessions.last_seen.
		used := signIn.Add(time.Hour)
		db.Now = func() time.Time { return used }
		if _, err := sessions.CheckSession(ctx, tok.Access); err != nil {
			t.Fatal(err)
		}
		eventually("use", "sessions.last_seen:"+used.Format(time.RFC3339Nano), 1)
		eventually("use", "sessions.last_seen:<"+used.Format(time.RFC3339Nano), 0)

		pt := roster.PushTokenRecord{Provider: "fcm", Token: "followed"}
		if err := sessions.AddPushToken(ctx, u.ID, &pt); err != nil {
			t.Fatal(err)
		}
		eventually("push token", "push_tokens:any", 1)
		if err := sessions.DeletePushToken(ctx, u.ID, pt.ID); err != nil {
			t.Fatal(err)
		}
		eventually("push token removed", "push_tokens:any", 0)
	})
}
