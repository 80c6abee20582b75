package sqldb_test

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"roster"
	"roster/sqldb"
	"roster/sqldb/sqldbtest"
)

func mustGroup(tb testing.TB, s *sqldb.GroupService, g roster.Group) *roster.Group {
	tb.Helper()
	if err := s.CreateGroup(staffCtx(), &g); err != nil {
		tb.Fatalf("create group %s: %v", g.Name, err)
	}
	return &g
}

func TestGroupService(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ctx := staffCtx()
		s := sqldb.NewGroupService(db)
		users := sqldb.NewUserService(db)
		clock := useTestClock(db)
		ann := MustCreateUser(t, db, "ann@example.com")
		bob := MustCreateUser(t, db, "bob@example.com")

		t.Run("CreateAndUpdate", func(t *testing.T) {
			g := mustGroup(t, s, roster.Group{Name: "Gold", Description: "Best customers", JoinType: roster.JoinCode, Order: 2,
				Properties: map[string]any{"tax_exempt": true, "price_tier": 2.0, "login_message": "Welcome, Gold member"}})
			got, err := s.FindGroup(ctx, g.ID)
			if err != nil || got.Name != "Gold" || got.Properties["tax_exempt"] != true || got.Properties["price_tier"] != 2.0 {
				t.Fatalf("FindGroup = %+v, %v", got, err)
			}
			if err := s.CreateGroup(ctx, &roster.Group{Name: "gold"}); roster.ErrorCode(err) != roster.ECONFLICT {
				t.Fatalf("same name in another case: %v", err)
			}
			bad := []roster.Group{
				{Name: ""},
				{Name: "x", JoinType: "invite"},
				{Name: "x", StartsAt: clock.t, StopsAt: clock.t.Add(-time.Hour)},
				{Name: "x", Properties: map[string]any{"Bad Key": 1.0}},
				{Name: "x", Properties: map[string]any{"list": []any{1.0}}},
			}
			for _, b := range bad {
				if err := s.CreateGroup(ctx, &b); roster.ErrorCode(err) != roster.EINVALID {
					t.Errorf("CreateGroup(%+v) = %v, want invalid", b, err)
				}
			}
			name, stop := "Gold+", clock.t.Add(48*time.Hour)
			up, err := s.UpdateGroup(ctx, g.ID, roster.GroupUpdate{Name: &name, StopsAt: &stop})
			if err != nil || up.Name != "Gold+" || !up.StopsAt.Equal(stop) {
				t.Fatalf("UpdateGroup = %+v, %v", up, err)
			}
			if got := auditFor(t, db, "group.update", "group", g.ID); len(got) != 1 || got[0].Changes["name"].After != "Gold+" {
				t.Fatalf("audit = %+v", got)
			}
		})

		t.Run("JoinOpenGroup", func(t *testing.T) {
			g := mustGroup(t, s, roster.Group{Name: "Runners", JoinType: roster.JoinOpen})
			m, err := s.Join(ctx, g.ID, ann.PublicID, "")
			if err != nil || m.Via != roster.ViaSelf {
				t.Fatalf("Join = %+v, %v", m, err)
			}
			if m2, err := s.Join(ctx, g.ID, ann.PublicID, ""); err != nil || !m2.JoinedAt.Equal(m.JoinedAt) {
				t.Fatalf("joining twice: %+v, %v", m2, err)
			}
			u, _ := users.FindUserByID(ctx, ann.PublicID)
			if !slices.Contains(u.Groups, g.ID) {
				t.Fatalf("groups = %v", u.Groups)
			}
			if err := s.Leave(ctx, g.ID, ann.PublicID); err != nil {
				t.Fatal(err)
			}
			u, _ = users.FindUserByID(ctx, ann.PublicID)
			if slices.Contains(u.Groups, g.ID) {
				t.Fatalf("still a member after leaving: %v", u.Groups)
			}
		})

		t.Run("JoinOutsideThePeriod", func(t *testing.T) {
			g := mustGroup(t, s, roster.Group{Name: "Summer", StartsAt: clock.t.Add(24 * time.Hour), StopsAt: clock.t.Add(48 * time.Hour)})
			_, err := s.Join(ctx, g.ID, ann.PublicID, "")
			if roster.ErrorCode(err) != roster.EINVALID || !strings.Contains(roster.ErrorMessage(err), "opens on") {
				t.Fatalf("before start: %v", err)
			}
			clock.advance(72 * time.Hour)
			_, err = s.Join(ctx, g.ID, ann.PublicID, "")
			if roster.ErrorCode(err) != roster.EINVALID || !strings.Contains(roster.ErrorMessage(err), "closed on") {
				t.Fatalf("after stop: %v", err)
			}
			// Staff may still add members outside the period.
			if err := s.AddMember(ctx, g.ID, ann.PublicID); err != nil {
				t.Fatal(err)
			}
		})

		t.Run("JoinWithCodes", func(t *testing.T) {
			g := mustGroup(t, s, roster.Group{Name: "Private club", JoinType: roster.JoinCode})
			if _, err := s.Join(ctx, g.ID, ann.PublicID, ""); roster.ErrorCode(err) != roster.EINVALID || !strings.Contains(roster.ErrorMessage(err), "needs a code") {
				t.Fatalf("no code: %v", err)
			}
			codes, err := s.CreateCodes(ctx, g.ID, roster.CodeRequest{Count: 3, ExpiresAt: clock.t.Add(time.Hour)})
			if err != nil || len(codes) != 3 || codes[0].MaxUses != 1 || codes[0].Code == "" || codes[0].Code == codes[1].Code {
				t.Fatalf("CreateCodes = %+v, %v", codes, err)
			}
			listed, _ := s.FindCodes(ctx, g.ID)
			if len(listed) != 3 || listed[0].Code != "" || listed[0].Hint == "" {
				t.Fatalf("FindCodes shows %+v", listed)
			}
			if _, err := s.Join(ctx, g.ID, ann.PublicID, "WRONG-CODE"); roster.ErrorCode(err) != roster.EINVALID || !strings.Contains(roster.ErrorMessage(err), "not valid") {
				t.Fatalf("wrong code: %v", err)
			}
			// Codes are matched ignoring case, spaces and dashes.
			typed := strings.ToLower(strings.ReplaceAll(codes[0].Code, "-", " "))
			m, err := s.Join(ctx, g.ID, ann.PublicID, typed)
			if err != nil || m.Via != roster.ViaCode || m.CodeID != codes[0].ID {
				t.Fatalf("Join with code = %+v, %v", m, err)
			}
			if _, err := s.Join(ctx, g.ID, bob.PublicID, codes[0].Code); roster.ErrorCode(err) != roster.EINVALID || !strings.Contains(roster.ErrorMessage(err), "used up") {
				t.Fatalf("used code: %v", err)
			}
			clock.advance(2 * time.Hour)
			if _, err := s.Join(ctx, g.ID, bob.PublicID, codes[1].Code); roster.ErrorCode(err) != roster.EINVALID || !strings.Contains(roster.ErrorMessage(err), "expired") {
				t.Fatalf("expired code: %v", err)
			}
			ms, _ := s.Memberships(ctx, ann.PublicID)
			if !slices.ContainsFunc(ms, func(m roster.Membership) bool { return m.GroupID == g.ID && m.Via == roster.ViaCode }) {
				t.Fatalf("memberships = %+v", ms)
			}
			chosen, err := s.CreateCodes(ctx, g.ID, roster.CodeRequest{Code: "vip-2026"})
			if err != nil || chosen[0].MaxUses != 0 || chosen[0].Hint != "VIP2" {
				t.Fatalf("chosen code = %+v, %v", chosen, err)
			}
			if _, err := s.CreateCodes(ctx, g.ID, roster.CodeRequest{Code: "VIP 2026"}); roster.ErrorCode(err) != roster.ECONFLICT {
				t.Fatalf("same code again: %v", err)
			}
		})

		t.Run("BulkAndSmartTypes", func(t *testing.T) {
			a := mustGroup(t, s, roster.Group{Name: "A"})
			b := mustGroup(t, s, roster.Group{Name: "B"})
			if n, err := s.AddMembers(ctx, a.ID, []int64{ann.ID, bob.ID}, "city:Paris"); err != nil || n != 2 {
				t.Fatalf("AddMembers = %d, %v", n, err)
			}
			if n, err := s.RemoveMembers(ctx, a.ID, []int64{bob.ID}, ""); err != nil || n != 1 {
				t.Fatalf("RemoveMembers = %d, %v", n, err)
			}
			if err := s.SetSmartTypes(ctx, []int64{b.ID, a.ID}); err != nil {
				t.Fatal(err)
			}
			if got, _ := s.SmartTypes(ctx); !slices.Equal(got, []int64{b.ID, a.ID}) {
				t.Fatalf("SmartTypes = %v", got)
			}
			if err := s.SetSmartTypes(ctx, []int64{a.ID, a.ID}); roster.ErrorCode(err) != roster.EINVALID {
				t.Fatalf("repeated group: %v", err)
			}
			if err := s.SetSmartTypes(ctx, []int64{99999}); roster.ErrorCode(err) != roster.EINVALID {
				t.Fatalf("unknown group: %v", err)
			}
			if got, _ := s.SmartTypes(ctx); !slices.Equal(got, []int64{b.ID, a.ID}) {
				t.Fatalf("a refused change changed the list: %v", got)
			}
		})

		t.Run("DeleteGroupReferencedBySegment", func(t *testing.T) {
			g := mustGroup(t, s, roster.Group{Name: "Referenced"})
			seg := roster.Segment{Name: "Uses it", Include: []roster.SegmentRef{{Type: roster.RefGroup, ID: g.ID}}}
			if err := sqldb.NewSegmentService(db).CreateSegment(ctx, &seg); err != nil {
				t.Fatal(err)
			}
			if err := s.DeleteGroup(ctx, g.ID); roster.ErrorCode(err) != roster.ECONFLICT || !strings.Contains(roster.ErrorMessage(err), "Uses it") {
				t.Fatalf("DeleteGroup = %v", err)
			}
			other := mustGroup(t, s, roster.Group{Name: "Free"})
			s.AddMember(ctx, other.ID, bob.PublicID)
			if err := s.DeleteGroup(ctx, other.ID); err != nil {
				t.Fatal(err)
			}
			u, _ := users.FindUserByID(ctx, bob.PublicID)
			if slices.Contains(u.Groups, other.ID) {
				t.Fatalf("membership of a deleted group: %v", u.Groups)
			}
		})
	})
}

// TestGroupService_ConcurrentRedemption races 16 users on one code: a
// single-use code admits exactly one, a code of 5 uses exactly 5.
func TestGroupService_ConcurrentRedemption(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ctx := staffCtx()
		s := sqldb.NewGroupService(db)
		var ids []string
		for i := range 16 {
			ids = append(ids, MustCreateUser(t, db, fmt.Sprintf("racer%d@example.com", i)).PublicID)
		}
		for _, uses := range []int{1, 5} {
			g := mustGroup(t, s, roster.Group{Name: fmt.Sprintf("Race %d", uses), JoinType: roster.JoinCode})
			codes, err := s.CreateCodes(ctx, g.ID, roster.CodeRequest{MaxUses: uses})
			if err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			var mu sync.Mutex
			joined, usedUp, other := 0, 0, []error{}
			start := make(chan struct{})
			for _, id := range ids {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					_, err := s.Join(ctx, g.ID, id, codes[0].Code)
					mu.Lock()
					defer mu.Unlock()
					switch {
					case err == nil:
						joined++
					case strings.Contains(roster.ErrorMessage(err), "used up"):
						usedUp++
					default:
						other = append(other, err)
					}
				}()
			}
			close(start)
			wg.Wait()
			if joined != uses || usedUp != 16-uses || len(other) > 0 {
				t.Fatalf("code of %d uses: %d joined, %d refused as used up, other errors %v", uses, joined, usedUp, other)
			}
			got, _ := s.FindGroup(ctx, g.ID)
			listed, _ := s.FindCodes(ctx, g.ID)
			if got.Members != uses || listed[0].Uses != uses {
				t.Fatalf("code of %d uses: %d members, %d uses recorded", uses, got.Members, listed[0].Uses)
			}
		}
	})
}
