package sqldb_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"roster"
	"roster/sqldb"
	"roster/sqldb/sqldbtest"
)

// idTables lists, from the schema itself, the tables whose primary key is
// one integer column, with that column.
func idTables(t *testing.T, db *sqldb.DB) map[string]string {
	t.Helper()
	ctx := context.Background()
	out := map[string]string{}
	q := `SELECT c.table_name, c.column_name FROM information_schema.table_constraints tc
		JOIN information_schema.key_column_usage k ON k.constraint_name = tc.constraint_name AND k.table_schema = tc.table_schema AND k.table_name = tc.table_name
		JOIN information_schema.columns c ON c.table_schema = k.table_schema AND c.table_name = k.table_name AND c.column_name = k.column_name
		WHERE tc.constraint_type = 'PRIMARY KEY' AND tc.table_schema = current_schema() AND c.data_type IN ('bigint', 'integer', 'smallint')
		AND (SELECT COUNT(*) FROM information_schema.key_column_usage k2 WHERE k2.constraint_name = tc.constraint_name AND k2.table_schema = tc.table_schema) = 1`
	if db.Dialect == sqldb.SQLite {
		q = `SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p
			WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND p.pk = 1 AND upper(p.type) = 'INTEGER'
			AND (SELECT COUNT(*) FROM pragma_table_info(m.name) q WHERE q.pk > 0) = 1`
	}
	rows, err := db.QueryForTest(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var table, col string
		if err := rows.Scan(&table, &col); err != nil {
			t.Fatal(err)
		}
		out[table] = col
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestSchema_IDsNeverReused: every table whose key is an integer id hands
// out ids that are never reused, even after the newest row is deleted: on
// SQLite an INTEGER PRIMARY KEY without AUTOINCREMENT takes max(id)+1, so a
// deleted user's, token's or tag's id would come back and name something
// else in logs, audit entries, links and clients' caches. The list of
// tables comes from the schema, so that a new table cannot slip by.
func TestSchema_IDsNeverReused(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		tables := idTables(t, db)
		for _, want := range []string{"users", "staff", "api_tokens", "sessions", "tags", "user_groups", "group_codes", "segments", "custom_fields", "jobs", "audit_log", "user_changes"} {
			if _, ok := tables[want]; !ok {
				t.Errorf("table %s not found among the tables with integer ids %v", want, tables)
			}
		}
		for table, col := range tables {
			var ok bool
			var rows interface {
				Next() bool
				Scan(...any) error
				Close() error
				Err() error
			}
			var err error
			if db.Dialect == sqldb.SQLite {
				// AUTOINCREMENT is what makes SQLite remember the largest
				// id ever handed out (in sqlite_sequence).
				rows, err = db.QueryForTest(ctx, "SELECT sql LIKE '%AUTOINCREMENT%' FROM sqlite_master WHERE type = 'table' AND name = ?", table)
			} else {
				// An identity or a sequence default: sequences never go back.
				rows, err = db.QueryForTest(ctx, `SELECT is_identity = 'YES' OR column_default LIKE 'nextval(%' FROM information_schema.columns
					WHERE table_schema = current_schema() AND table_name = ? AND column_name = ?`, table, col)
			}
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				if err := rows.Scan(&ok); err != nil {
					t.Fatal(err)
				}
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			rows.Close()
			if !ok {
				t.Errorf("table %s: its %s may reuse the id of a deleted row (no AUTOINCREMENT / identity)", table, col)
			}
		}

		// And in practice: create two, delete the newer, create again.
		users := sqldb.NewUserService(db)
		tags := sqldb.NewTagService(db)
		groups := sqldb.NewGroupService(db)
		segments := sqldb.NewSegmentService(db)
		staff := sqldb.NewStaffService(db)
		sctx := staffCtx()
		kinds := []struct {
			name   string
			create func(i int) int64
			del    func(id int64)
		}{
			{"user", func(i int) int64 {
				return MustCreateUser(t, db, "reuse"+string(rune('a'+i))+"@example.com").ID
			}, func(id int64) {
				u, err := users.FindUsersByIDs(ctx, []int64{id})
				if err != nil || len(u) != 1 {
					t.Fatalf("find user %d: %v", id, err)
				}
				if err := users.DeleteUser(sctx, u[0].PublicID); err != nil {
					t.Fatal(err)
				}
			}},
			{"tag", func(i int) int64 {
				tg := &roster.Tag{Name: "tag " + string(rune('a'+i)), Color: "#112233"}
				if err := tags.CreateTag(sctx, tg); err != nil {
					t.Fatal(err)
				}
				return tg.ID
			}, func(id int64) {
				if _, err := tags.DeleteTag(sctx, id); err != nil {
					t.Fatal(err)
				}
			}},
			{"group", func(i int) int64 {
				g := &roster.Group{Name: "group " + string(rune('a'+i)), JoinType: roster.JoinCode}
				if err := groups.CreateGroup(sctx, g); err != nil {
					t.Fatal(err)
				}
				return g.ID
			}, func(id int64) {
				if err := groups.DeleteGroup(sctx, id); err != nil {
					t.Fatal(err)
				}
			}},
			{"segment", func(i int) int64 {
				sg := &roster.Segment{Name: "segment " + string(rune('a'+i))}
				if err := segments.CreateSegment(sctx, sg); err != nil {
					t.Fatal(err)
				}
				return sg.ID
			}, func(id int64) {
				if err := segments.DeleteSegment(sctx, id); err != nil {
					t.Fatal(err)
				}
			}},
		}
		g := &roster.Group{Name: "coded", JoinType: roster.JoinCode}
		if err := groups.CreateGroup(sctx, g); err != nil {
			t.Fatal(err)
		}
		kinds = append(kinds, struct {
			name   string
			create func(i int) int64
			del    func(id int64)
		}{"code", func(i int) int64 {
			codes, err := groups.CreateCodes(sctx, g.ID, roster.CodeRequest{Count: 1, MaxUses: 1})
			if err != nil {
				t.Fatal(err)
			}
			return codes[0].ID
		}, func(id int64) {
			if err := groups.DeleteCode(sctx, g.ID, id); err != nil {
				t.Fatal(err)
			}
		}})
		st := mustCreateStaffAccount(t, db, "sessions@example.com", roster.RoleViewer)
		sessionID := func(token string) int64 {
			sess, _, err := staff.FindSession(ctx, token)
			if err != nil {
				t.Fatal(err)
			}
			return sess.ID
		}
		var tokens = map[int64]string{}
		kinds = append(kinds, struct {
			name   string
			create func(i int) int64
			del    func(id int64)
		}{"session", func(i int) int64 {
			tok, err := staff.CreateSession(ctx, st.ID, "", "")
			if err != nil {
				t.Fatal(err)
			}
			id := sessionID(tok)
			tokens[id] = tok
			return id
		}, func(id int64) {
			if err := staff.DeleteSession(ctx, tokens[id]); err != nil {
				t.Fatal(err)
			}
		}})
		for _, k := range kinds {
			a, b := k.create(0), k.create(1)
			k.del(b)
			c := k.create(2)
			k.del(c)
			d := k.create(3)
			if c == a || c == b || d == a || d == b || d == c {
				t.Errorf("%s ids: %d, %d, deleted %d, then %d, deleted, then %d: an id came back", k.name, a, b, b, c, d)
			}
		}
	})
}

// TestMigrate_IDsRebuildKeepsData fills a SQLite database on the schema
// before 0006_ids (users with tags, groups, codes and memberships, staff
// with sessions and tokens, segments, fields, jobs, audit entries), then
// migrates it: every row, id, index and foreign key is still there, the
// foreign keys still act (deleting a user removes its tags and
// memberships), enforcement is back on, and new ids continue past the old
// largest ones.
func TestMigrate_IDsRebuildKeepsData(t *testing.T) {
	ctx := context.Background()
	db, err := sqldb.Open(ctx, sqldb.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.MigrateUpTo(ctx, "0005_jobs.sql"); err != nil {
		t.Fatal(err)
	}
	sctx := staffCtx()
	// Users are inserted naming the old schema's columns: the store's
	// INSERT writes every column of today's.
	oldUser := func(email string) *roster.User {
		u, err := db.InsertOldUser(ctx, email)
		if err != nil {
			t.Fatalf("create user %s: %v", email, err)
		}
		return u
	}
	u1 := oldUser("one@example.com")
	u2 := oldUser("two@example.com")
	tags, groups := sqldb.NewTagService(db), sqldb.NewGroupService(db)
	tg := &roster.Tag{Name: "vip", Color: "#aa0000"}
	if err := tags.CreateTag(sctx, tg); err != nil {
		t.Fatal(err)
	}
	g := &roster.Group{Name: "Club", JoinType: roster.JoinCode}
	if err := groups.CreateGroup(sctx, g); err != nil {
		t.Fatal(err)
	}
	if _, err := groups.CreateCodes(sctx, g.ID, roster.CodeRequest{Count: 2, MaxUses: 1}); err != nil {
		t.Fatal(err)
	}
	for _, u := range []*roster.User{u1, u2} {
		if err := tags.TagUser(sctx, u.PublicID, tg.ID); err != nil {
			t.Fatal(err)
		}
		if err := groups.AddMember(sctx, g.ID, u.PublicID); err != nil {
			t.Fatal(err)
		}
	}
	// On the old schema: today's store reads columns of later migrations.
	if err := db.InsertOldSegment(ctx, "All"); err != nil {
		t.Fatal(err)
	}
	if err := sqldb.NewFieldService(db).CreateCustomField(sctx, &roster.Field{Key: "tier", Label: "Tier", Type: roster.TypeText}); err != nil {
		t.Fatal(err)
	}
	st := mustCreateStaffAccount(t, db, "keeper@example.com", roster.RoleAdmin)
	staff := sqldb.NewStaffService(db)
	session, err := staff.CreateSession(ctx, st.ID, "", "")
	if err != nil {
		t.Fatal(err)
	}
	_, secret, err := staff.CreateToken(sctx, st.ID, "kept")
	if err != nil {
		t.Fatal(err)
	}
	dump := func() string {
		var b strings.Builder
		for _, q := range []string{
			"SELECT id, public_id, email, first_name, points, total_followers FROM users ORDER BY id",
			"SELECT id, name, color FROM tags ORDER BY id",
			"SELECT user_id, tag_id FROM user_tags ORDER BY 1, 2",
			"SELECT id, name, join_type FROM user_groups ORDER BY id",
			"SELECT id, group_id, hint, max_uses FROM group_codes ORDER BY id",
			"SELECT user_id, group_id, via FROM group_members ORDER BY 1, 2",
			"SELECT id, name FROM segments ORDER BY id",
			"SELECT id, key, label FROM custom_fields ORDER BY id",
			"SELECT id, email, role FROM staff ORDER BY id",
			"SELECT id, staff_id FROM sessions ORDER BY id",
			"SELECT id, staff_id, name FROM api_tokens ORDER BY id",
			"SELECT id, action, target_id FROM audit_log ORDER BY id",
			"SELECT type, name, tbl_name FROM sqlite_master WHERE type IN ('index', 'trigger', 'view') ORDER BY name",
		} {
			b.WriteString(q + "\n")
			rows, err := db.QueryForTest(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			cols, _ := rows.Columns()
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			for rows.Next() {
				if err := rows.Scan(ptrs...); err != nil {
					t.Fatal(err)
				}
				fmt.Fprintln(&b, vals...)
			}
			rows.Close()
		}
		return b.String()
	}
	before := dump()
	// Up to the rebuild only: later migrations add tables of their own.
	if err := db.MigrateUpTo(ctx, "0006_ids.sql"); err != nil {
		t.Fatal(err)
	}
	if after := dump(); after != before {
		t.Errorf("the migration changed the data:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	if err := db.CheckIntegrity(ctx); err != nil {
		t.Error(err)
	}
	for table := range idTables(t, db) {
		rows, err := db.QueryForTest(ctx, "SELECT sql FROM sqlite_master WHERE name = ?", table)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var sql string
			rows.Scan(&sql)
			if !strings.Contains(sql, "AUTOINCREMENT") || strings.Contains(sql, "_new") {
				t.Errorf("table %s after the migration: %s", table, sql)
			}
		}
		rows.Close()
	}
	// Sessions and tokens still work; foreign keys are enforced again.
	if _, _, err := staff.FindSession(ctx, session); err != nil {
		t.Errorf("session after the migration: %v", err)
	}
	if _, err := staff.FindStaffByToken(ctx, secret); err != nil {
		t.Errorf("token after the migration: %v", err)
	}
	if err := tags.TagUser(sctx, "u_nosuchuser00000", tg.ID); roster.ErrorCode(err) != roster.ENOTFOUND {
		t.Errorf("tagging an unknown user: %v", err)
	}
	if err := sqldb.NewUserService(db).DeleteUser(sctx, u2.PublicID); err != nil {
		t.Fatal(err)
	}
	rows, err := db.QueryForTest(ctx, "SELECT (SELECT COUNT(*) FROM user_tags WHERE user_id = ?) + (SELECT COUNT(*) FROM group_members WHERE user_id = ?)", u2.ID, u2.ID)
	if err != nil {
		t.Fatal(err)
	}
	var left int
	for rows.Next() {
		rows.Scan(&left)
	}
	rows.Close()
	if left != 0 {
		t.Errorf("deleting a user after the migration left %d tag or group rows: foreign keys no longer cascade", left)
	}
	rows, err = db.QueryForTest(ctx, "PRAGMA foreign_keys")
	if err != nil {
		t.Fatal(err)
	}
	var fk int
	for rows.Next() {
		rows.Scan(&fk)
	}
	rows.Close()
	if fk != 1 {
		t.Errorf("foreign keys after the migration: %d, want 1", fk)
	}
	u3 := oldUser("three@example.com")
	if u3.ID <= u2.ID {
		t.Errorf("new user id %d after deleting %d: reused", u3.ID, u2.ID)
	}
}
