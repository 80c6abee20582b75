package sqldb_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"roster"
	"roster/sqldb"
	"roster/sqldb/sqldbtest"
)

func TestSegmentService(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ctx := staffCtx()
		s := sqldb.NewSegmentService(db)
		g := mustGroup(t, sqldb.NewGroupService(db), roster.Group{Name: "Gold"})
		fr := roster.Segment{Name: "French", Q: "country:FR"}
		if err := s.CreateSegment(ctx, &fr); err != nil {
			t.Fatal(err)
		}
		gold := roster.Segment{Name: "Gold or French", Include: []roster.SegmentRef{{Type: roster.RefGroup, ID: g.ID}, {Type: roster.RefSegment, ID: fr.ID}}}
		if err := s.CreateSegment(ctx, &gold); err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name string
			seg  roster.Segment
			code string
			msg  string
		}{
			{"BadFilter", roster.Segment{Name: "x", Q: "points:>lots"}, roster.EINVALID, "q: points"},
			{"UnknownField", roster.Segment{Name: "x", Q: "pionts:5"}, roster.EINVALID, "did you mean points"},
			{"UnknownSegmentInFilter", roster.Segment{Name: "x", Q: "segment:Nope"}, roster.EINVALID, `no segment "Nope"`},
			{"UnknownGroup", roster.Segment{Name: "x", Include: []roster.SegmentRef{{Type: roster.RefGroup, ID: 999}}}, roster.EINVALID, "group that does not exist"},
			{"UnknownRefType", roster.Segment{Name: "x", Exclude: []roster.SegmentRef{{Type: "tag", ID: 1}}}, roster.EINVALID, "exclude"},
			{"NameTaken", roster.Segment{Name: "FRENCH"}, roster.ECONFLICT, "another segment"},
			{"SelfInFilter", roster.Segment{Name: "Loop", Q: "segment:Loop"}, roster.EINVALID, "refers to itself"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				err := s.CreateSegment(ctx, &c.seg)
				if roster.ErrorCode(err) != c.code || !strings.Contains(roster.ErrorMessage(err), c.msg) {
					t.Fatalf("CreateSegment = %v, want %s containing %q", err, c.code, c.msg)
				}
			})
		}
		t.Run("CycleThroughAnother", func(t *testing.T) {
			// French would include "Gold or French", which includes French.
			fr.Include = []roster.SegmentRef{{Type: roster.RefSegment, ID: gold.ID}}
			err := s.UpdateSegment(ctx, &fr)
			if roster.ErrorCode(err) != roster.EINVALID || !strings.Contains(roster.ErrorMessage(err), "refers to itself") {
				t.Fatalf("UpdateSegment = %v", err)
			}
			fr.Include = nil
			fr.Q = "segment:\"gold or french\""
			if err := s.UpdateSegment(ctx, &fr); roster.ErrorCode(err) != roster.EINVALID {
				t.Fatalf("cycle by name in the filter: %v", err)
			}
		})
		t.Run("DeleteReferenced", func(t *testing.T) {
			if err := s.DeleteSegment(ctx, fr.ID); roster.ErrorCode(err) != roster.ECONFLICT || !strings.Contains(roster.ErrorMessage(err), "Gold or French") {
				t.Fatalf("DeleteSegment = %v", err)
			}
			if err := s.DeleteSegment(ctx, gold.ID); err != nil {
				t.Fatal(err)
			}
			if err := s.DeleteSegment(ctx, fr.ID); err != nil {
				t.Fatal(err)
			}
			if got, _ := s.FindSegments(ctx); len(got) != 0 {
				t.Fatalf("segments left: %+v", got)
			}
		})
	})
}

func TestMonthService(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ctx := staffCtx()
		s := sqldb.NewMonthService(db)
		ann := MustCreateUser(t, db, "ann@example.com")
		bob := MustCreateUser(t, db, "bob@example.com")
		m := roster.MemberOfMonth{Month: "2026-11", UserID: ann.PublicID, Citation: " Ran the book club all month "}
		if err := s.NameMemberOfMonth(ctx, &m, false); err != nil {
			t.Fatal(err)
		}
		again := roster.MemberOfMonth{Month: "2026-11", UserID: bob.PublicID}
		if err := s.NameMemberOfMonth(ctx, &again, false); roster.ErrorCode(err) != roster.ECONFLICT {
			t.Fatalf("second member for a month: %v", err)
		}
		if err := s.NameMemberOfMonth(ctx, &again, true); err != nil {
			t.Fatalf("replace: %v", err)
		}
		got, err := s.MemberOfMonth(ctx, "2026-11")
		if err != nil || got.UserID != bob.PublicID || got.NamedBy != "ada@example.com" {
			t.Fatalf("MemberOfMonth = %+v, %v", got, err)
		}
		oct := roster.MemberOfMonth{Month: "2026-10", UserID: ann.PublicID, Citation: "Helped newcomers"}
		s.NameMemberOfMonth(ctx, &oct, false)
		hist, _ := s.MonthHistory(ctx, 0)
		if len(hist) != 2 || hist[0].Month != "2026-11" || hist[1].Citation != "Helped newcomers" {
			t.Fatalf("history = %+v", hist)
		}
		if mine, _ := s.UserMonths(ctx, ann.PublicID); len(mine) != 1 || mine[0].Month != "2026-10" {
			t.Fatalf("UserMonths = %+v", mine)
		}
		for _, bad := range []roster.MemberOfMonth{{Month: "2026-13", UserID: ann.PublicID}, {Month: "Nov", UserID: ann.PublicID}, {Month: "2026-12"},
			{Month: "2026-12", UserID: ann.PublicID, Citation: strings.Repeat("x", 501)}} {
			if err := s.NameMemberOfMonth(ctx, &bad, false); roster.ErrorCode(err) != roster.EINVALID {
				t.Errorf("NameMemberOfMonth(%+v) = %v", bad, err)
			}
		}
		if err := s.NameMemberOfMonth(ctx, &roster.MemberOfMonth{Month: "2026-12", UserID: "u_nobody"}, false); roster.ErrorCode(err) != roster.ENOTFOUND {
			t.Fatalf("unknown user: %v", err)
		}
		if _, err := s.MemberOfMonth(ctx, "2025-01"); roster.ErrorCode(err) != roster.ENOTFOUND {
			t.Fatalf("empty month: %v", err)
		}
	})
}

// TestSetSegmentMember: users added and removed by hand move between the
// two lists, a repeat changes nothing, unknown ones are ENOTFOUND, and a
// list is full at MaxSegmentUsers.
func TestSetSegmentMember(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ctx := staffCtx()
		s := sqldb.NewSegmentService(db)
		var batch []*roster.User
		for i := range roster.MaxSegmentUsers + 1 {
			batch = append(batch, &roster.User{FirstName: fmt.Sprintf("U%d", i)})
		}
		if err := sqldb.NewUserService(db).CreateUsers(ctx, batch); err != nil {
			t.Fatal(err)
		}
		sg := roster.Segment{Name: "Picked", Q: "country:FR"}
		if err := s.CreateSegment(ctx, &sg); err != nil {
			t.Fatal(err)
		}
		lists := func() ([]string, []string) {
			t.Helper()
			got, err := s.FindSegment(ctx, sg.ID)
			if err != nil {
				t.Fatal(err)
			}
			return got.AddedUsers, got.RemovedUsers
		}
		a, b := batch[0].PublicID, batch[1].PublicID
		for _, step := range []struct {
			user           string
			member         bool
			added, removed []string
		}{
			{a, true, []string{a}, []string{}},
			{a, true, []string{a}, []string{}},
			{b, false, []string{a}, []string{b}},
			{a, false, []string{}, []string{b, a}},
			{b, true, []string{b}, []string{a}},
		} {
			if err := s.SetSegmentMember(ctx, sg.ID, step.user, step.member); err != nil {
				t.Fatal(err)
			}
			if added, removed := lists(); !slices.Equal(added, step.added) || !slices.Equal(removed, step.removed) {
				t.Fatalf("after %s member=%v: added %v removed %v, want %v %v", step.user, step.member, added, removed, step.added, step.removed)
			}
		}
		if err := s.SetSegmentMember(ctx, 999, a, true); roster.ErrorCode(err) != roster.ENOTFOUND || !strings.Contains(roster.ErrorMessage(err), "segment") {
			t.Errorf("unknown segment: %v", err)
		}
		if err := s.SetSegmentMember(ctx, sg.ID, "u_zzzzzzzzzzzzzzzz", true); roster.ErrorCode(err) != roster.ENOTFOUND || !strings.Contains(roster.ErrorMessage(err), "user") {
			t.Errorf("unknown user: %v", err)
		}
		for _, u := range batch[2:] {
			if err := s.SetSegmentMember(ctx, sg.ID, u.PublicID, false); err != nil {
				t.Fatal(err)
			}
		}
		err := s.SetSegmentMember(ctx, sg.ID, b, false)
		if roster.ErrorCode(err) != roster.EINVALID || !strings.Contains(roster.ErrorMessage(err), "already has 1000 users removed from it by hand") {
			t.Errorf("a full list: %v", err)
		}
	})
}
