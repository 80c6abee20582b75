package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"roster"
	"roster/sqldb"
	"roster/sqldb/sqldbtest"
)

// TestAPI_CodesSingleUseByDefault: a generated code is single-use unless
// the request asks for more uses or, explicitly, for no limit; max_uses
// missing, null or 0 never means unlimited.
func TestAPI_CodesSingleUseByDefault(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ts := mustOpenServer(t, db)
		club := ts.createGroup(t, `{"name":"Club","join_type":"code"}`)
		path := fmt.Sprintf("/api/v1/groups/%d/codes", club.ID)
		for _, body := range []string{`{}`, `{"count":1}`, `{"count":1,"max_uses":null}`, `{"count":3}`, `{"max_uses":null}`} {
			out := decode[codesBody](t, ts.call(t, roster.RoleAdmin, "POST", path, body, 201))
			for _, c := range out.Codes {
				if c.MaxUses != 1 {
					t.Errorf("%s: max_uses %d, want 1", body, c.MaxUses)
				}
			}
		}
		out := decode[codesBody](t, ts.call(t, roster.RoleAdmin, "POST", path, `{"count":2,"unlimited":true}`, 201))
		if out.Codes[0].MaxUses != 0 {
			t.Errorf("unlimited: max_uses %d, want 0 (no limit)", out.Codes[0].MaxUses)
		}
		out = decode[codesBody](t, ts.call(t, roster.RoleAdmin, "POST", path, `{"max_uses":7}`, 201))
		if out.Codes[0].MaxUses != 7 {
			t.Errorf("max_uses 7: got %d", out.Codes[0].MaxUses)
		}
		ts.fails(t, roster.RoleAdmin, "POST", path, `{"max_uses":0}`, 422, `"max_uses":`, `unlimited`)
		ts.fails(t, roster.RoleAdmin, "POST", path, `{"max_uses":3,"unlimited":true}`, 422, `"unlimited":`)

		// The page: one generated code with the uses left empty.
		b := newBrowser(t, ts)
		b.signIn(roster.RoleAdmin, "/")
		gp := fmt.Sprintf("/groups/%d", club.ID)
		resp := b.postForm(gp, gp+"/codes", url.Values{"mode": {"one"}, "code": {""}, "max_uses": {""}})
		wantStatus(t, "one generated code", resp, http.StatusOK)
		codes, err := sqldb.NewGroupService(db).FindCodes(context.Background(), club.ID)
		if err != nil {
			t.Fatal(err)
		}
		if codes[0].MaxUses != 1 {
			t.Errorf("a code generated on the page without a number of uses: max_uses %d, want 1", codes[0].MaxUses)
		}
		resp = b.postForm(gp, gp+"/codes", url.Values{"mode": {"one"}, "code": {""}, "unlimited": {"1"}})
		wantStatus(t, "one unlimited code", resp, http.StatusOK)
		codes, _ = sqldb.NewGroupService(db).FindCodes(context.Background(), club.ID)
		if codes[0].MaxUses != 0 {
			t.Errorf("a code asked for without limit: max_uses %d, want 0", codes[0].MaxUses)
		}
	})
}

// TestAPI_JoinFollowsGroupRules: a banned user cannot join, even an open
// group; a user already in a group is held to the group's rules too (a
// wrong code is refused, a valid one answers the membership without
// spending a use). A join or leave through the API is the user's own action
// (via self, audited with the user as actor and the token's staff account
// as the caller).
func TestAPI_JoinFollowsGroupRules(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ts := mustOpenServer(t, db)
		ada := ts.createUser(t, `{"email":"ada@example.com"}`)
		bad := ts.createUser(t, `{"email":"bad@example.com","status":"banned"}`)
		open := ts.createGroup(t, `{"name":"Open","join_type":"open"}`)
		club := ts.createGroup(t, `{"name":"Club","join_type":"code"}`)
		codes := decode[codesBody](t, ts.call(t, roster.RoleAdmin, "POST", fmt.Sprintf("/api/v1/groups/%d/codes", club.ID), `{"count":2,"max_uses":5}`, 201))
		join := func(g int64) string { return fmt.Sprintf("/api/v1/groups/%d/join", g) }
		support := roster.RoleSupport

		ts.fails(t, support, "POST", join(open.ID), fmt.Sprintf(`{"user_id":%q}`, bad), 422, `banned`)
		ts.fails(t, support, "POST", join(club.ID), fmt.Sprintf(`{"user_id":%q,"code":%q}`, bad, *codes.Codes[0].Code), 422, `banned`)

		out := ts.call(t, support, "POST", join(open.ID), fmt.Sprintf(`{"user_id":%q}`, ada), 200)
		if !strings.Contains(out, `"via":"self"`) {
			t.Errorf("join an open group: %s", out)
		}
		ts.call(t, support, "POST", join(open.ID), fmt.Sprintf(`{"user_id":%q}`, ada), 200)
		ts.call(t, support, "POST", join(club.ID), fmt.Sprintf(`{"user_id":%q,"code":%q}`, ada, *codes.Codes[0].Code), 200)
		ts.fails(t, support, "POST", join(club.ID), fmt.Sprintf(`{"user_id":%q,"code":"WRONG-CODE-123"}`, ada), 422, `not valid`)
		ts.call(t, support, "POST", join(club.ID), fmt.Sprintf(`{"user_id":%q,"code":%q}`, ada, *codes.Codes[1].Code), 200)
		ts.fails(t, support, "POST", join(club.ID), fmt.Sprintf(`{"user_id":%q}`, ada), 422, `needs a code`)
		again := ts.call(t, support, "POST", join(club.ID), fmt.Sprintf(`{"user_id":%q,"code":%q}`, ada, *codes.Codes[0].Code), 200)
		if !strings.Contains(again, `"via":"code"`) {
			t.Errorf("join again with the code: %s", again)
		}
		list, err := sqldb.NewGroupService(db).FindCodes(context.Background(), club.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range list {
			if want := map[int64]int{codes.Codes[0].ID: 1, codes.Codes[1].ID: 0}[c.ID]; c.Uses != want {
				t.Errorf("code %d spent %d times by one member, want %d", c.ID, c.Uses, want)
			}
		}
		ts.call(t, support, "POST", fmt.Sprintf("/api/v1/groups/%d/leave", open.ID), fmt.Sprintf(`{"user_id":%q}`, ada), 204)

		supportStaff, _ := sqldb.NewStaffService(db).FindStaffByEmail(context.Background(), "support@staff.example.com")
		for _, action := range []string{"group.join", "group.leave"} {
			entries, err := sqldb.NewAuditService(db).FindAuditEntries(context.Background(), roster.AuditFilter{Action: action, TargetType: "user", TargetID: ada})
			if err != nil || len(entries) == 0 {
				t.Fatalf("%s entries: %v %v", action, entries, err)
			}
			for _, e := range entries {
				if e.ActorID != supportStaff.ID || !strings.Contains(e.Actor, ada) || !strings.Contains(e.Actor, "support@staff.example.com") {
					t.Errorf("%s audited as actor %d %q, want the user %s called by support (%d)", action, e.ActorID, e.Actor, ada, supportStaff.ID)
				}
			}
		}
	})
}

// TestPages_AuditEmptyDates: an empty date in an audit entry (a group
// without a start, before one was set) shows as "—", not as Go's zero time.
func TestPages_AuditEmptyDates(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ts := mustOpenServer(t, db)
		ctx := roster.NewContextWithActor(context.Background(), roster.Actor{Label: "test"})
		var zero time.Time
		err := sqldb.NewAuditService(db).Record(ctx, roster.AuditEntry{Action: "group.update", TargetType: "group", TargetID: "1",
			Changes: map[string]roster.Change{"starts_at": {Before: zero, After: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}}})
		if err != nil {
			t.Fatal(err)
		}
		b := newBrowser(t, ts)
		b.signIn(roster.RoleAdmin, "/")
		resp := b.get("/audit")
		wantStatus(t, "audit", resp, http.StatusOK)
		wantLacks(t, "audit", resp.Body, "0001-01-01")
		wantContains(t, "audit", resp.Body, "2026-01-02T03:04:05Z")
	})
}
