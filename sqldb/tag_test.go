package sqldb_test

import (
	"slices"
	"strings"
	"testing"

	"roster"
	"roster/sqldb"
	"roster/sqldb/sqldbtest"
)

func TestTagService(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ctx := staffCtx()
		s := sqldb.NewTagService(db)
		users := sqldb.NewUserService(db)
		clock := useTestClock(db)
		ann := MustCreateUser(t, db, "ann@example.com")
		bob := MustCreateUser(t, db, "bob@example.com")

		t.Run("Create", func(t *testing.T) {
			vip := roster.Tag{Name: "  VIP 🎉 "}
			if err := s.CreateTag(ctx, &vip); err != nil {
				t.Fatal(err)
			}
			if vip.Name != "VIP 🎉" || !slices.Contains(roster.TagColors, vip.Color) || vip.ID == 0 {
				t.Fatalf("tag = %+v", vip)
			}
			twin := roster.Tag{Name: "VIP 🎉", Color: "#123ABC"}
			if err := s.CreateTag(ctx, &twin); err != nil {
				t.Fatalf("names may repeat: %v", err)
			}
			if twin.Color != "#123abc" {
				t.Fatalf("colour = %q", twin.Color)
			}
			for _, bad := range []roster.Tag{{Name: " "}, {Name: strings.Repeat("x", 101)}, {Name: "a\x00b"}, {Name: "ok", Color: "red"}} {
				if err := s.CreateTag(ctx, &bad); roster.ErrorCode(err) != roster.EINVALID {
					t.Errorf("CreateTag(%+v) = %v, want invalid", bad, err)
				}
			}
			if got := auditFor(t, db, "tag.create", "tag", vip.ID); len(got) != 1 {
				t.Fatalf("audit entries = %d", len(got))
			}
		})

		t.Run("TagUserNewestFirst", func(t *testing.T) {
			a, b := roster.Tag{Name: "alpha"}, roster.Tag{Name: "beta"}
			s.CreateTag(ctx, &a)
			s.CreateTag(ctx, &b)
			if err := s.TagUser(ctx, ann.PublicID, a.ID); err != nil {
				t.Fatal(err)
			}
			clock.advance(1e9)
			if err := s.TagUser(ctx, ann.PublicID, b.ID); err != nil {
				t.Fatal(err)
			}
			if err := s.TagUser(ctx, ann.PublicID, b.ID); err != nil {
				t.Fatalf("tagging twice changes nothing: %v", err)
			}
			u, err := users.FindUserByID(ctx, ann.PublicID)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(u.Tags, []int64{b.ID, a.ID}) {
				t.Fatalf("tags = %v, want newest first %v", u.Tags, []int64{b.ID, a.ID})
			}
			us, _ := users.FindUsersByIDs(ctx, []int64{bob.ID, ann.ID})
			if len(us) != 2 || len(us[0].Tags) != 0 || !slices.Equal(us[1].Tags, u.Tags) {
				t.Fatalf("FindUsersByIDs tags = %v / %v", us[0].Tags, us[1].Tags)
			}
			if err := s.UntagUser(ctx, ann.PublicID, a.ID); err != nil {
				t.Fatal(err)
			}
			u, _ = users.FindUserByID(ctx, ann.PublicID)
			if !slices.Equal(u.Tags, []int64{b.ID}) {
				t.Fatalf("after untag: %v", u.Tags)
			}
			if err := s.TagUser(ctx, "u_nobody", a.ID); roster.ErrorCode(err) != roster.ENOTFOUND {
				t.Fatalf("unknown user: %v", err)
			}
			if err := s.TagUser(ctx, ann.PublicID, 99999); roster.ErrorCode(err) != roster.ENOTFOUND {
				t.Fatalf("unknown tag: %v", err)
			}
		})

		t.Run("BulkAndDelete", func(t *testing.T) {
			tg := roster.Tag{Name: "bulk"}
			s.CreateTag(ctx, &tg)
			n, err := s.TagUsers(ctx, tg.ID, []int64{ann.ID, bob.ID, 123456}, "country:FR")
			if err != nil || n != 2 {
				t.Fatalf("TagUsers = %d, %v; want 2 (a missing user is skipped)", n, err)
			}
			if n, _ := s.TagUsers(ctx, tg.ID, []int64{ann.ID}, ""); n != 0 {
				t.Fatalf("re-tagging counted %d", n)
			}
			audit := auditFor(t, db, "tag.apply", "tag", tg.ID)
			if len(audit) != 2 || !strings.Contains(audit[1].Note, "tagged 2 of 3 users; filter: country:FR") {
				t.Fatalf("audit = %+v", audit)
			}
			got, _ := s.FindTag(ctx, tg.ID)
			if got.Users != 2 {
				t.Fatalf("count = %d", got.Users)
			}
			if n, err := s.UntagUsers(ctx, tg.ID, []int64{bob.ID}, ""); err != nil || n != 1 {
				t.Fatalf("UntagUsers = %d, %v", n, err)
			}
			renamed := "bulk ✓"
			if _, err := s.UpdateTag(ctx, tg.ID, roster.TagUpdate{Name: &renamed}); err != nil {
				t.Fatal(err)
			}
			removed, err := s.DeleteTag(ctx, tg.ID)
			if err != nil || removed != 1 {
				t.Fatalf("DeleteTag = %d, %v", removed, err)
			}
			u, _ := users.FindUserByID(ctx, ann.PublicID)
			if slices.Contains(u.Tags, tg.ID) {
				t.Fatalf("deleted tag still on user: %v", u.Tags)
			}
			if _, err := s.FindTag(ctx, tg.ID); roster.ErrorCode(err) != roster.ENOTFOUND {
				t.Fatalf("FindTag after delete: %v", err)
			}
		})

		t.Run("DeletingAUserDropsTheirTags", func(t *testing.T) {
			cy := MustCreateUser(t, db, "cy@example.com")
			tg := roster.Tag{Name: "gone"}
			s.CreateTag(ctx, &tg)
			s.TagUser(ctx, cy.PublicID, tg.ID)
			if err := users.DeleteUser(ctx, cy.PublicID); err != nil {
				t.Fatal(err)
			}
			if got, _ := s.FindTag(ctx, tg.ID); got.Users != 0 {
				t.Fatalf("count after user deletion = %d", got.Users)
			}
		})
	})
}
