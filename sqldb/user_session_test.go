package sqldb_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"roster"
	"roster/query"
	"roster/sqldb"
	"roster/sqldb/sqldbtest"
)

// TestUserSessions_OtherNodes: a session checked on one node is served
// from its cache (a row removed behind its back still answers), and an
// end made on another node takes effect there within a second.
func TestUserSessions_OtherNodes(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		other, err := sqldb.Open(ctx, db.Config)
		if err != nil {
			t.Fatal(err)
		}
		defer other.Close()
		a, b := sqldb.NewUserSessionService(db), sqldb.NewUserSessionService(other)
		u := MustCreateUser(t, db, "node@example.com")
		one, tok1, err := a.StartSession(ctx, u.ID, roster.UserDevice{Name: "one"})
		if err != nil {
			t.Fatal(err)
		}
		_, tok2, err := a.StartSession(ctx, u.ID, roster.UserDevice{Name: "two"})
		if err != nil {
			t.Fatal(err)
		}
		for _, tok := range []string{tok1.Access, tok2.Access} {
			if _, err := b.CheckSession(ctx, tok); err != nil {
				t.Fatal(err)
			}
		}

		// One session ends on node A: node B refuses it within a second,
		// and keeps serving the other.
		if err := a.EndSession(staffCtx(), u.ID, one.ID, roster.EndByStaff); err != nil {
			t.Fatal(err)
		}
		if _, err := a.CheckSession(ctx, tok1.Access); roster.TokenRefused(err) != roster.TokenRevoked {
			t.Errorf("on the node that ended it: %v", err)
		}
		waitRefused(t, b, tok1.Access, roster.TokenRevoked)
		if _, err := b.CheckSession(ctx, tok2.Access); err != nil {
			t.Errorf("the other session on node B: %v", err)
		}

		// Every session ends on node A ("sign out everywhere").
		if n, err := a.EndSessions(staffCtx(), u.ID, 0, roster.EndByStaff); err != nil || n != 1 {
			t.Fatalf("EndSessions: %d, %v", n, err)
		}
		waitRefused(t, b, tok2.Access, roster.TokenRevoked)

		// A ban through the user service ends them too, on every node.
		_, tok3, err := a.StartSession(ctx, u.ID, roster.UserDevice{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.CheckSession(ctx, tok3.Access); err != nil {
			t.Fatal(err)
		}
		banned := roster.StatusBanned
		if _, err := sqldb.NewUserService(db).UpdateUser(staffCtx(), u.PublicID, roster.UserUpdate{Values: map[string]any{"status": string(banned)}}); err != nil {
			t.Fatal(err)
		}
		waitRefused(t, b, tok3.Access, roster.TokenRevoked)
	})
}

// waitRefused checks that s refuses tok for reason within a second (and
// a little: the poll, then the request).
func waitRefused(t *testing.T, s *sqldb.UserSessionService, tok, reason string) {
	t.Helper()
	start := time.Now()
	for {
		_, err := s.CheckSession(context.Background(), tok)
		if roster.TokenRefused(err) == reason {
			if d := time.Since(start); d > 1200*time.Millisecond {
				t.Errorf("refused after %s, want within 1 s", d)
			}
			return
		}
		if err != nil && roster.TokenRefused(err) == "" {
			t.Fatal(err)
		}
		if time.Since(start) > 3*time.Second {
			t.Fatalf("still served 3 s after its end")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// BenchmarkUserSessions_EndEverywhere signs out a user with 1,000
// sessions: the brief's bound is 50 ms.
func BenchmarkUserSessions_EndEverywhere(b *testing.B) {
	for _, d := range sqldbtest.Dialects {
		b.Run(d.String(), func(b *testing.B) {
			db := sqldbtest.MustOpenDB(b, d)
			s := sqldb.NewUserSessionService(db)
			u := MustCreateUser(b, db, "many@example.com")
			ctx := context.Background()
			for b.Loop() {
				b.StopTimer()
				if n, err := s.SeedSessions(ctx, u.ID, 1000); err != nil || n != 1000 {
					b.Fatal(n, err)
				}
				b.StartTimer()
				n, err := s.EndSessions(staffCtx(), u.ID, 0, roster.EndByStaff)
				if err != nil || n != 1000 {
					b.Fatal(n, err)
				}
			}
		})
	}
}

// TestUserSessions_EndEverywhere: signing out a user with 1,000 sessions
// ends them all in one call. Its speed (the bound is 50 ms) is measured by
// BenchmarkUserSessions_EndEverywhere, not here.
func TestUserSessions_EndEverywhere(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		s := sqldb.NewUserSessionService(db)
		u := MustCreateUser(t, db, "many@example.com")
		ctx := context.Background()
		if n, err := s.SeedSessions(ctx, u.ID, 1000); err != nil || n != 1000 {
			t.Fatal(n, err)
		}
		n, err := s.EndSessions(staffCtx(), u.ID, 0, roster.EndByStaff)
		if err != nil || n != 1000 {
			t.Fatal(n, err)
		}
		if list, err := s.FindSessions(ctx, u.ID); err != nil || len(list) != 0 {
			t.Errorf("left: %d, %v", len(list), err)
		}
	})
}

// TestMigrate_PushTokensBecomeRecords: the push tokens the users table
// held as JSON before migration 0012 become records, each with its
// provider; the push_tokens value stays as it was.
func TestMigrate_PushTokensBecomeRecords(t *testing.T) {
	for _, d := range sqldbtest.Dialects {
		t.Run(d.String(), func(t *testing.T) {
			ctx := context.Background()
			db := openMigratedTo(t, d, "0011_jobs.sql")
			// The users are written naming the old schema's columns: the
			// user service writes every column of today's.
			u, err := db.InsertOldUser(ctx, "tokens@example.com")
			if err != nil {
				t.Fatal(err)
			}
			none, err := db.InsertOldUser(ctx, "none@example.com")
			if err != nil {
				t.Fatal(err)
			}
			rows, err := db.QueryForTest(ctx, `UPDATE users SET push_tokens = ? WHERE id = ?`,
				`[{"platform":"ios","token":"apns-1"},{"platform":"android","token":"fcm-1"},{"platform":"web","token":"wp-1"},{"platform":"","token":"other-1"},{"platform":"ios","token":""}]`, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			rows.Close()
			if err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			s := sqldb.NewUserSessionService(db)
			got, err := s.PushTokens(ctx, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			have := map[string]string{}
			for _, r := range got {
				have[r.Token] = r.Provider
			}
			want := map[string]string{"apns-1": "apns", "fcm-1": "fcm", "wp-1": "webpush", "other-1": "fcm"}
			if len(have) != len(want) {
				t.Fatalf("records %v, want %v", have, want)
			}
			for k, v := range want {
				if have[k] != v {
					t.Errorf("token %s: provider %q, want %q", k, have[k], v)
				}
			}
			if got, _ := s.PushTokens(ctx, none.ID); len(got) != 0 {
				t.Errorf("a user without tokens has %d records", len(got))
			}
			// The store keeps both in step from now on: a value set by an
			// update replaces the records.
			users := sqldb.NewUserService(db)
			if _, err := users.UpdateUser(staffCtx(), u.PublicID, roster.UserUpdate{Values: map[string]any{"push_tokens": []roster.PushToken{{Platform: "web", Token: "wp-1"}, {Platform: "ios", Token: "apns-2"}}}}); err != nil {
				t.Fatal(err)
			}
			got, _ = s.PushTokens(ctx, u.ID)
			var list []string
			for _, r := range got {
				list = append(list, r.Provider+":"+r.Token)
			}
			slices.Sort(list)
			if !slices.Equal(list, []string{"apns:apns-2", "webpush:wp-1"}) {
				t.Errorf("records after an update: %v", list)
			}
			rec := &roster.PushTokenRecord{Provider: "fcm", Token: "fcm-9"}
			if err := s.AddPushToken(ctx, u.ID, rec); err != nil {
				t.Fatal(err)
			}
			after, err := users.FindUserByID(ctx, u.PublicID)
			if err != nil {
				t.Fatal(err)
			}
			if len(after.PushTokens) != 3 || after.PushTokens[2] != (roster.PushToken{Platform: "android", Token: "fcm-9"}) {
				t.Errorf("push_tokens after a record was added: %+v", after.PushTokens)
			}
		})
	}
}

// TestMigrate_PushTokensColumnGoes: migration 0018 carries the tokens the
// users table still held as JSON (and the records lacked) into records,
// then drops the column; the push_tokens field reads the records, and
// filters by them.
func TestMigrate_PushTokensColumnGoes(t *testing.T) {
	for _, d := range sqldbtest.Dialects {
		t.Run(d.String(), func(t *testing.T) {
			ctx := context.Background()
			db := openMigratedTo(t, d, "0016_ledger.sql")
			u, err := db.InsertOldUser(ctx, "kept@example.com")
			if err != nil {
				t.Fatal(err)
			}
			none, err := db.InsertOldUser(ctx, "none@example.com")
			if err != nil {
				t.Fatal(err)
			}
			for _, q := range []struct {
				sql  string
				args []any
			}{
				{`UPDATE users SET push_tokens = ? WHERE id = ?`, []any{`[{"platform":"ios","token":"apns-1"},{"platform":"web","token":"wp-1"},{"platform":"","token":""}]`, u.ID}},
				// One of them is a record already: it is not doubled.
				{`INSERT INTO user_push_tokens (user_id, provider, token, created_at) VALUES (?, 'apns', 'apns-1', ?)`, []any{u.ID, "2025-01-01T00:00:00.000Z"}},
			} {
				args := q.args
				if d == sqldb.Postgres && len(args) == 2 && args[1] == "2025-01-01T00:00:00.000Z" {
					args = []any{u.ID, time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
				}
				rows, err := db.QueryForTest(ctx, q.sql, args...)
				if err != nil {
					t.Fatal(err)
				}
				rows.Close()
			}
			if err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			if rows, err := db.QueryForTest(ctx, `SELECT push_tokens FROM users`); err == nil {
				rows.Close()
				t.Error("users.push_tokens is still there")
			}
			users := sqldb.NewUserService(db)
			got, err := users.FindUserByID(ctx, u.PublicID)
			if err != nil {
				t.Fatal(err)
			}
			var list []string
			for _, p := range got.PushTokens {
				list = append(list, p.Platform+":"+p.Token)
			}
			slices.Sort(list)
			if !slices.Equal(list, []string{"ios:apns-1", "web:wp-1"}) {
				t.Errorf("push_tokens after 0018: %v", list)
			}
			reg, err := sqldb.NewFieldService(db).Registry(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for q, want := range map[string][]int64{"push_tokens:any": {u.ID}, "push_tokens:none": {none.ID}} {
				f, err := query.Parse(q)
				if err != nil {
					t.Fatal(err)
				}
				p, err := query.Compile(f, reg, time.UTC)
				if err != nil {
					t.Fatal(err)
				}
				ids, err := users.Match(ctx, p)
				if err != nil || !slices.Equal(ids, want) {
					t.Errorf("%s: %v %v, want %v", q, ids, err, want)
				}
			}
		})
	}
}

// openMigratedTo opens a fresh database of dialect d migrated up to the
// migration named last, closed when the test ends: a test of the next
// migration writes its old rows there.
func openMigratedTo(t *testing.T, d sqldb.Dialect, last string) *sqldb.DB {
	t.Helper()
	ctx := context.Background()
	cfg := sqldb.Config{DataDir: t.TempDir()}
	if d == sqldb.Postgres {
		cfg = sqldb.Config{DatabaseURL: sqldbtest.FreshSchema(t)}
	}
	db, err := sqldb.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.MigrateUpTo(ctx, last); err != nil {
		t.Fatal(err)
	}
	return db
}
