package sqldb_test

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"roster"
	"roster/sqldb"
	"roster/sqldb/sqldbtest"
)

// staffCtx returns a context acting as a staff member, for audit entries.
func staffCtx() context.Context {
	return roster.NewContextWithActor(context.Background(), roster.Actor{StaffID: 7, Label: "ada@example.com", Role: roster.RoleAdmin})
}

// MustCreateUser creates a valid user with the given email.
func MustCreateUser(tb testing.TB, db *sqldb.DB, email string) *roster.User {
	tb.Helper()
	u := &roster.User{Email: email, FirstName: "Zoé", LastName: "Lefèvre", Country: "FR", City: "Paris", Points: 10}
	if err := sqldb.NewUserService(db).CreateUser(staffCtx(), u, ""); err != nil {
		tb.Fatalf("create user %s: %v", email, err)
	}
	return u
}

func TestUserService_CreateUser(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ctx := staffCtx()
		s := sqldb.NewUserService(db)
		t.Run("OK", func(t *testing.T) {
			u := &roster.User{
				Email: "  Zoe@Example.COM ", ClientID: "sso-1", FirstName: "Zoé", LastName: "Lefèvre",
				Country: "fr", BirthDate: roster.Date{Year: 1990, Month: 3, Day: 14},
				Roles: []string{"member", "vip", "member"}, InstagramFollowers: 10, TikTokFollowers: 5,
				Addresses:   []roster.Address{{Line1: "1 rue de Rivoli", City: "Paris", Country: "FR"}},
				SocialLinks: []roster.SocialLink{{Network: "instagram", URL: "https://instagram.com/zoe"}},
				LastVisit:   time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC),
				Newsletter:  true,
			}
			if err := s.CreateUser(ctx, u, "correct horse battery"); err != nil {
				t.Fatal(err)
			}
			if u.ID == 0 || !strings.HasPrefix(u.PublicID, "u_") {
				t.Fatalf("ids not set: %d %q", u.ID, u.PublicID)
			}
			got, err := s.FindUserByID(ctx, u.PublicID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Email != "zoe@example.com" || got.Country != "FR" {
				t.Errorf("not normalized: %q %q", got.Email, got.Country)
			}
			if got.FirstName != "Zoé" || got.BirthDate != u.BirthDate || !got.LastVisit.Equal(u.LastVisit) {
				t.Errorf("round trip: got %+v", got)
			}
			if strings.Join(got.Roles, ",") != "member,vip" {
				t.Errorf("roles = %v", got.Roles)
			}
			if got.TotalFollowers() != 15 || got.NewsletterAt.IsZero() {
				t.Errorf("total=%d newsletter_at=%v", got.TotalFollowers(), got.NewsletterAt)
			}
			if len(got.Addresses) != 1 || got.Addresses[0].City != "Paris" || got.SocialLinks[0].Network != "instagram" {
				t.Errorf("structured values: %+v %+v", got.Addresses, got.SocialLinks)
			}
			if !strings.HasPrefix(got.PasswordHash, "$argon2id$") {
				t.Errorf("password not hashed: %q", got.PasswordHash)
			}
			entries, err := sqldb.NewAuditService(db).FindAuditEntries(ctx, roster.AuditFilter{TargetType: "user", TargetID: u.PublicID})
			if err != nil || len(entries) != 1 {
				t.Fatalf("audit entries = %v, %v", entries, err)
			}
			e := entries[0]
			if e.Action != "user.create" || e.Actor != "ada@example.com" || e.ActorID != 7 {
				t.Errorf("audit entry = %+v", e)
			}
			b, _ := json.Marshal(e.Changes)
			if strings.Contains(string(b), "argon2") || !strings.Contains(string(b), roster.Redacted) {
				t.Errorf("audit changes leak or miss the password: %s", b)
			}
			seq, err := sqldb.NewChangeLog(db).LastChange(ctx)
			if err != nil || seq == 0 {
				t.Errorf("no change logged: %d %v", seq, err)
			}
		})
		t.Run("ErrInvalid", func(t *testing.T) {
			for _, tc := range []struct {
				name  string
				u     roster.User
				field string
			}{
				{"email", roster.User{Email: "not-an-email"}, "email"},
				{"no email or client id", roster.User{FirstName: "A"}, "email"},
				{"country", roster.User{Email: "a@example.com", Country: "XX"}, "country"},
				{"future birth date", roster.User{Email: "a@example.com", BirthDate: roster.Date{Year: 2999, Month: 1, Day: 1}}, "birth_date"},
				{"negative followers", roster.User{Email: "a@example.com", TikTokFollowers: -1}, "tiktok_followers"},
				{"too long", roster.User{Email: "a@example.com", City: strings.Repeat("x", 256)}, "city"},
				{"bad url", roster.User{Email: "a@example.com", ProfileImageURL: "javascript:alert(1)"}, "profile_image_url"},
				{"bad phone", roster.User{Email: "a@example.com", MobilePhone: "call me"}, "mobile_phone"},
				{"status", roster.User{Email: "a@example.com", Status: "gone"}, "status"},
			} {
				t.Run(tc.name, func(t *testing.T) {
					u := tc.u
					err := s.CreateUser(ctx, &u, "")
					if roster.ErrorCode(err) != roster.EINVALID || roster.ErrorFields(err)[tc.field] == "" {
						t.Fatalf("err = %v, want EINVALID on %s", err, tc.field)
					}
				})
			}
			if err := s.CreateUser(ctx, &roster.User{Email: "short@example.com"}, "short"); roster.ErrorFields(err)["password"] == "" {
				t.Errorf("short password: err = %v", err)
			}
		})
		t.Run("ErrConflict", func(t *testing.T) {
			MustCreateUser(t, db, "dup@example.com")
			n0, _ := s.CountUsers(ctx)
			err := s.CreateUser(ctx, &roster.User{Email: "DUP@example.com"}, "")
			if roster.ErrorCode(err) != roster.ECONFLICT || roster.ErrorFields(err)["email"] == "" {
				t.Fatalf("err = %v, want ECONFLICT on email", err)
			}
			s.CreateUser(ctx, &roster.User{Email: "c1@example.com", ClientID: "cid-1"}, "")
			err = s.CreateUser(ctx, &roster.User{Email: "c2@example.com", ClientID: "cid-1"}, "")
			if roster.ErrorFields(err)["client_id"] == "" {
				t.Fatalf("err = %v, want ECONFLICT on client_id", err)
			}
			if n1, _ := s.CountUsers(ctx); n1 != n0+1 {
				t.Errorf("count went from %d to %d: a refused write left a row", n0, n1)
			}
		})
	})
}

func TestUserService_UpdateUser(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ctx := staffCtx()
		s := sqldb.NewUserService(db)
		reg := roster.NewRegistry(nil)
		field := func(k string) roster.Field { f, _ := reg.Field(k); return f }
		u := MustCreateUser(t, db, "upd@example.com")
		t.Run("OK", func(t *testing.T) {
			got, err := s.UpdateUser(ctx, u.PublicID, roster.UserUpdate{Values: map[string]any{
				"city": "Lyon", "instagram_followers": int64(42), "badges": []string{"verified"}, "status": "banned",
			}})
			if err != nil {
				t.Fatal(err)
			}
			if got.City != "Lyon" || got.InstagramFollowers != 42 || got.Status != roster.StatusBanned || !got.UpdatedAt.After(u.UpdatedAt.Add(-time.Second)) {
				t.Errorf("got %+v", got)
			}
			entries, _ := sqldb.NewAuditService(db).FindAuditEntries(ctx, roster.AuditFilter{Action: "user.update", TargetID: u.PublicID})
			if len(entries) != 1 {
				t.Fatalf("audit = %v", entries)
			}
			if c := entries[0].Changes["city"]; c.Before != "Paris" || c.After != "Lyon" {
				t.Errorf("city change = %+v", c)
			}
			if _, ok := entries[0].Changes["first_name"]; ok {
				t.Errorf("unchanged field audited: %v", entries[0].Changes)
			}
		})
		t.Run("ErrInvalidKeepsRow", func(t *testing.T) {
			_, err := s.UpdateUser(ctx, u.PublicID, roster.UserUpdate{Values: map[string]any{"city": "Nice", "country": "QQ"}})
			if roster.ErrorFields(err)["country"] == "" {
				t.Fatalf("err = %v", err)
			}
			got, _ := s.FindUserByID(ctx, u.PublicID)
			if got.City != "Lyon" {
				t.Errorf("half-written: city = %q", got.City)
			}
		})
		t.Run("ErrReadOnly", func(t *testing.T) {
			for _, k := range []string{"id", "created_at", "total_followers", "password_hash", "nope"} {
				_, err := s.UpdateUser(ctx, u.PublicID, roster.UserUpdate{Values: map[string]any{k: "x"}})
				if roster.ErrorFields(err)[k] == "" {
					t.Errorf("%s: err = %v", k, err)
				}
			}
		})
		t.Run("ErrNotFound", func(t *testing.T) {
			_, err := s.UpdateUser(ctx, "u_nope", roster.UserUpdate{Values: map[string]any{"city": "x"}})
			if roster.ErrorCode(err) != roster.ENOTFOUND {
				t.Errorf("err = %v", err)
			}
			_ = field
		})
	})
}

func TestUserService_CustomFields(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ctx := staffCtx()
		fs := sqldb.NewFieldService(db)
		for _, f := range []roster.Field{
			{Key: "shoe_size", Label: "Shoe size", Type: roster.TypeNumber},
			{Key: "tier", Label: "Tier", Type: roster.TypeChoice, Choices: []string{"gold", "silver"}},
			{Key: "joined_club", Label: "Joined club", Type: roster.TypeDate},
			{Key: "vip", Label: "VIP", Type: roster.TypeBoolean},
		} {
			if err := fs.CreateCustomField(ctx, &f); err != nil {
				t.Fatal(err)
			}
		}
		if err := fs.CreateCustomField(ctx, &roster.Field{Key: "email", Label: "x", Type: roster.TypeText}); roster.ErrorFields(err)["key"] == "" {
			t.Errorf("built-in key accepted: %v", err)
		}
		if err := fs.CreateCustomField(ctx, &roster.Field{Key: "tier", Label: "x", Type: roster.TypeText}); roster.ErrorCode(err) != roster.ECONFLICT {
			t.Errorf("duplicate key: %v", err)
		}
		reg, err := fs.Registry(ctx)
		if err != nil {
			t.Fatal(err)
		}
		f, ok := reg.Field("tier")
		if !ok || f.Builtin || len(f.Choices) != 2 {
			t.Fatalf("tier = %+v", f)
		}
		s := sqldb.NewUserService(db)
		u := MustCreateUser(t, db, "custom@example.com")
		got, err := s.UpdateUser(ctx, u.PublicID, roster.UserUpdate{Values: map[string]any{
			"shoe_size": 42.5, "tier": "gold", "joined_club": roster.Date{Year: 2024, Month: 5, Day: 1}, "vip": true,
		}})
		if err != nil {
			t.Fatal(err)
		}
		got, _ = s.FindUserByID(ctx, got.PublicID)
		if got.Custom["shoe_size"] != 42.5 || got.Custom["tier"] != "gold" || got.Custom["joined_club"] != (roster.Date{Year: 2024, Month: 5, Day: 1}) || got.Custom["vip"] != true {
			t.Errorf("custom = %#v", got.Custom)
		}
		if _, err := s.UpdateUser(ctx, u.PublicID, roster.UserUpdate{Values: map[string]any{"tier": "bronze"}}); roster.ErrorFields(err)["tier"] == "" {
			t.Errorf("bad choice: %v", err)
		}
		if _, err := s.UpdateUser(ctx, u.PublicID, roster.UserUpdate{Values: map[string]any{"shoe_size": "big"}}); roster.ErrorFields(err)["shoe_size"] == "" {
			t.Errorf("wrong type: %v", err)
		}
		// Retiring hides a field but keeps its values for when it returns.
		retired := true
		if _, err := fs.UpdateCustomField(ctx, "tier", roster.CustomFieldUpdate{Retired: &retired}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.UpdateUser(ctx, u.PublicID, roster.UserUpdate{Values: map[string]any{"city": "Rome"}}); err != nil {
			t.Fatal(err)
		}
		back := false
		fs.UpdateCustomField(ctx, "tier", roster.CustomFieldUpdate{Retired: &back})
		got, _ = s.FindUserByID(ctx, u.PublicID)
		if got.Custom["tier"] != "gold" {
			t.Errorf("retired value lost: %#v", got.Custom)
		}
	})
}

func TestUserService_CreateUsersAndDelete(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ctx := staffCtx()
		s := sqldb.NewUserService(db)
		var users []*roster.User
		for i := range 450 {
			users = append(users, &roster.User{Email: "bulk" + strconv.Itoa(i) + "@example.com", Country: "BE", Roles: []string{"member"}})
		}
		if err := s.CreateUsers(ctx, users); err != nil {
			t.Fatal(err)
		}
		if n, _ := s.CountUsers(ctx); n != 450 {
			t.Fatalf("count = %d", n)
		}
		got, err := s.FindUsersByIDs(ctx, []int64{users[449].ID, users[0].ID, 999999})
		if err != nil || len(got) != 2 || got[0].Email != users[449].Email || got[1].Email != users[0].Email {
			t.Fatalf("FindUsersByIDs = %v, %v", got, err)
		}
		changes, err := sqldb.NewChangeLog(db).ChangesSince(ctx, 0, 1000)
		if err != nil || len(changes) != 450 || changes[0].UserID != users[0].ID {
			t.Fatalf("changes = %d, %v", len(changes), err)
		}
		var seen int
		if err := s.ScanUsers(ctx, 0, 100, func(*roster.User) error { seen++; return nil }); err != nil || seen != 450 {
			t.Fatalf("scan saw %d, %v", seen, err)
		}
		if err := s.DeleteUser(ctx, users[0].PublicID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.FindUserByID(ctx, users[0].PublicID); roster.ErrorCode(err) != roster.ENOTFOUND {
			t.Errorf("deleted user found: %v", err)
		}
		if err := s.DeleteUser(ctx, users[0].PublicID); roster.ErrorCode(err) != roster.ENOTFOUND {
			t.Errorf("second delete: %v", err)
		}
		last, _ := sqldb.NewChangeLog(db).ChangesSince(ctx, changes[449].Seq, 10)
		if len(last) != 1 || last[0].Kind != roster.ChangeDelete || last[0].UserID != users[0].ID {
			t.Errorf("delete change = %+v", last)
		}
		// A batch with one duplicate leaves nothing behind.
		dup := []*roster.User{{Email: "fresh@example.com"}, {Email: users[5].Email}}
		if err := s.CreateUsers(ctx, dup); roster.ErrorCode(err) != roster.ECONFLICT {
			t.Fatalf("err = %v", err)
		}
		if n, _ := s.CountUsers(ctx); n != 449 {
			t.Errorf("count after failed batch = %d", n)
		}
	})
}
