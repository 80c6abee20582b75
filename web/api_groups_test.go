package web_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"roster"
	"roster/sqldb"
	"roster/sqldb/sqldbtest"
)

type groupBody struct {
	ID         int64          `json:"id"`
	Name       string         `json:"name"`
	StartsAt   *string        `json:"starts_at"`
	StopsAt    *string        `json:"stops_at"`
	JoinType   string         `json:"join_type"`
	Properties map[string]any `json:"properties"`
	Members    int            `json:"members"`
}

type codesBody struct {
	Codes []struct {
		ID      int64   `json:"id"`
		Code    *string `json:"code"`
		Hint    string  `json:"hint"`
		MaxUses int     `json:"max_uses"`
	} `json:"codes"`
}

type membershipBody struct {
	GroupID  int64   `json:"group_id"`
	Via      string  `json:"via"`
	JoinedAt *string `json:"joined_at"`
}

func (ts *testServer) createGroup(t *testing.T, body string) groupBody {
	t.Helper()
	return decode[groupBody](t, ts.call(t, roster.RoleAdmin, "POST", "/api/v1/groups", body, 201))
}

func TestAPIGroups(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ts := mustOpenServer(t, db)
		ada := ts.createUser(t, `{"email":"ada@example.com","country":"FR"}`)
		bob := ts.createUser(t, `{"email":"bob@example.com","country":"FR"}`)
		cy := ts.createUser(t, `{"email":"cy@example.com","country":"US"}`)
		admin, support, viewer := roster.RoleAdmin, roster.RoleSupport, roster.RoleViewer
		join := func(g int64) string { return fmt.Sprintf("/api/v1/groups/%d/join", g) }

		club := ts.createGroup(t, `{"name":"Club","description":"Private","join_type":"code","starts_at":"2020-01-01T00:00:00+01:00","order":2,"properties":{"level":3,"color":"gold","paid":true}}`)
		if club.JoinType != "code" || club.StartsAt == nil || *club.StartsAt != "2019-12-31T23:00:00Z" || club.StopsAt != nil || club.Properties["color"] != "gold" {
			t.Fatalf("created %+v", club)
		}

		t.Run("Codes", func(t *testing.T) {
			out := ts.call(t, admin, "POST", fmt.Sprintf("/api/v1/groups/%d/codes", club.ID), `{"count":5,"max_uses":1}`, 201)
			codes := decode[codesBody](t, out).Codes
			if len(codes) != 5 {
				t.Fatalf("codes: %s", out)
			}
			for _, c := range codes {
				if c.Code == nil || len(*c.Code) < 12 || c.MaxUses != 1 {
					t.Fatalf("code %+v", c)
				}
			}
			list := ts.call(t, viewer, "GET", fmt.Sprintf("/api/v1/groups/%d/codes", club.ID), "", 200)
			if strings.Contains(list, `"code"`) || strings.Contains(list, *codes[0].Code) || len(decode[codesBody](t, list).Codes) != 5 {
				t.Errorf("listed codes show plain codes or miss some: %s", list)
			}

			// One code admits one user.
			m := decode[membershipBody](t, ts.call(t, support, "POST", join(club.ID), fmt.Sprintf(`{"user_id":%q,"code":%q}`, ada, strings.ToLower(*codes[0].Code)), 200))
			if m.GroupID != club.ID || m.Via != "code" || m.JoinedAt == nil {
				t.Errorf("membership %+v", m)
			}
			ts.fails(t, support, "POST", join(club.ID), fmt.Sprintf(`{"user_id":%q,"code":%q}`, bob, *codes[0].Code), 422, `"code":`, `used up`)
			ts.fails(t, support, "POST", join(club.ID), fmt.Sprintf(`{"user_id":%q}`, bob), 422, `needs a code`)
			ts.fails(t, support, "POST", join(club.ID), fmt.Sprintf(`{"user_id":%q,"code":"NOPE-NOPE-NOPE"}`, bob), 422, `not valid`)
			// Joining again changes nothing and uses no code.
			ts.call(t, support, "POST", join(club.ID), fmt.Sprintf(`{"user_id":%q,"code":%q}`, ada, *codes[1].Code), 200)
			ts.call(t, support, "POST", join(club.ID), fmt.Sprintf(`{"user_id":%q,"code":%q}`, bob, *codes[1].Code), 200)
			if got := ts.match(t, "groups:Club"); !slices.Equal(got, []string{"ada@example.com", "bob@example.com"}) {
				t.Errorf("groups:Club = %v", got)
			}

			// A chosen code; a revoked code no longer works.
			out = ts.call(t, admin, "POST", fmt.Sprintf("/api/v1/groups/%d/codes", club.ID), `{"code":"summer-2026"}`, 201)
			chosen := decode[codesBody](t, out).Codes[0]
			if *chosen.Code != "SUMMER2026" || chosen.MaxUses != 0 {
				t.Errorf("chosen code %s", out)
			}
			ts.fails(t, admin, "POST", fmt.Sprintf("/api/v1/groups/%d/codes", club.ID), `{"code":"SUMMER 2026"}`, 409, `"code":`)
			ts.call(t, admin, "DELETE", fmt.Sprintf("/api/v1/groups/%d/codes/%d", club.ID, chosen.ID), "", 204)
			ts.fails(t, support, "POST", join(club.ID), fmt.Sprintf(`{"user_id":%q,"code":"SUMMER2026"}`, cy), 422, `not valid`)
			ts.fails(t, admin, "DELETE", fmt.Sprintf("/api/v1/groups/%d/codes/%d", club.ID, chosen.ID), "", 404)
			ts.fails(t, admin, "POST", fmt.Sprintf("/api/v1/groups/%d/codes", club.ID), `{"count":0,"max_uses":-1}`, 422, `"max_uses":`)
			ts.fails(t, admin, "POST", fmt.Sprintf("/api/v1/groups/%d/codes", club.ID), `{"expires_at":"2001-01-01T00:00:00Z"}`, 422, `"expires_at":`)
			ts.fails(t, admin, "POST", fmt.Sprintf("/api/v1/groups/%d/codes", club.ID), `{"expires_at":"tomorrow"}`, 422, `"expires_at":`)
			ts.fails(t, admin, "POST", "/api/v1/groups/9999/codes", `{"count":1}`, 404)
			ts.fails(t, admin, "GET", "/api/v1/groups/9999/codes", "", 404)
			ts.fails(t, support, "POST", fmt.Sprintf("/api/v1/groups/%d/codes", club.ID), `{"count":1}`, 403)
		})

		t.Run("Period", func(t *testing.T) {
			closed := ts.createGroup(t, `{"name":"Last year","starts_at":"2020-01-01T00:00:00Z","stops_at":"2021-01-01T00:00:00Z"}`)
			ts.fails(t, support, "POST", join(closed.ID), fmt.Sprintf(`{"user_id":%q}`, cy), 422, `"group":`, `closed on 2021-01-01`)
			later := ts.createGroup(t, `{"name":"Later","join_type":"code","starts_at":"2999-01-01T00:00:00Z"}`)
			ts.fails(t, support, "POST", join(later.ID), fmt.Sprintf(`{"user_id":%q,"code":"ABCD"}`, cy), 422, `opens on 2999-01-01`)
			// Staff add members whatever the period.
			ts.call(t, support, "POST", fmt.Sprintf("/api/v1/groups/%d/members/%s", closed.ID, cy), "", 200)
			// Removing the stop bound reopens the group.
			g := decode[groupBody](t, ts.call(t, admin, "PATCH", fmt.Sprintf("/api/v1/groups/%d", closed.ID), `{"stops_at":null}`, 200))
			if g.StopsAt != nil || g.StartsAt == nil || g.Name != "Last year" || g.Members != 1 {
				t.Errorf("patched %+v", g)
			}
			ts.call(t, support, "POST", join(closed.ID), fmt.Sprintf(`{"user_id":%q}`, ada), 200)
		})

		t.Run("OpenJoinLeave", func(t *testing.T) {
			open := ts.createGroup(t, `{"name":"Runners","user_viewable":true}`)
			m := decode[membershipBody](t, ts.call(t, support, "POST", join(open.ID), fmt.Sprintf(`{"user_id":%q}`, cy), 200))
			if m.Via != "self" {
				t.Errorf("via %q, want self", m.Via)
			}
			if u := ts.userRefs(t, cy); !slices.Contains(u.Groups, refBody{ID: open.ID, Name: "Runners"}) {
				t.Errorf("user groups %+v", u.Groups)
			}
			ts.call(t, support, "POST", fmt.Sprintf("/api/v1/groups/%d/leave", open.ID), fmt.Sprintf(`{"user_id":%q}`, cy), 204)
			if u := ts.userRefs(t, cy); slices.Contains(u.Groups, refBody{ID: open.ID, Name: "Runners"}) {
				t.Errorf("still a member: %+v", u.Groups)
			}
			ts.fails(t, support, "POST", join(open.ID), `{"user_id":"u_nope"}`, 422, `"user_id":`)
			ts.fails(t, support, "POST", join(open.ID), `{}`, 422, `"user_id":"is required"`)
			ts.fails(t, support, "POST", join(9999), fmt.Sprintf(`{"user_id":%q}`, cy), 404)
			ts.fails(t, viewer, "POST", join(open.ID), fmt.Sprintf(`{"user_id":%q}`, cy), 403)
		})

		t.Run("StaffMembers", func(t *testing.T) {
			team := ts.createGroup(t, `{"name":"Team","join_type":"code"}`)
			path := fmt.Sprintf("/api/v1/groups/%d/members/%s", team.ID, bob)
			m := decode[membershipBody](t, ts.call(t, support, "POST", path, "", 200))
			if m.Via != "staff" || m.GroupID != team.ID {
				t.Errorf("membership %+v", m)
			}
			if got := ts.match(t, fmt.Sprintf("groups:#%d", team.ID)); !slices.Equal(got, []string{"bob@example.com"}) {
				t.Errorf("after add: %v", got)
			}
			ts.call(t, support, "DELETE", path, "", 204)
			if got := ts.match(t, fmt.Sprintf("groups:#%d", team.ID)); len(got) != 0 {
				t.Errorf("after remove: %v", got)
			}
			ts.fails(t, support, "POST", fmt.Sprintf("/api/v1/groups/%d/members/u_nope", team.ID), "", 404)
			ts.fails(t, support, "POST", "/api/v1/groups/9999/members/"+bob, "", 404)
			ts.fails(t, viewer, "POST", path, "", 403)

			// Bulk, by filter.
			out := ts.call(t, admin, "POST", fmt.Sprintf("/api/v1/groups/%d/members", team.ID), `{"q":"country:FR"}`, 200)
			if !strings.Contains(out, `"count":2`) || !strings.Contains(out, `"matched":2`) {
				t.Errorf("bulk add: %s", out)
			}
			if got := ts.match(t, "groups:team"); !slices.Equal(got, []string{"ada@example.com", "bob@example.com"}) {
				t.Errorf("after bulk add: %v", got)
			}
			out = ts.call(t, admin, "POST", fmt.Sprintf("/api/v1/groups/%d/members/remove", team.ID), `{"q":"ada"}`, 200)
			if !strings.Contains(out, `"count":1`) {
				t.Errorf("bulk remove: %s", out)
			}
			ts.fails(t, admin, "POST", fmt.Sprintf("/api/v1/groups/%d/members", team.ID), `{"q":" "}`, 422, `"q":`)
			ts.fails(t, support, "POST", fmt.Sprintf("/api/v1/groups/%d/members", team.ID), `{"q":"country:FR"}`, 403)
			ts.fails(t, admin, "POST", "/api/v1/groups/9999/members", `{"q":"country:FR"}`, 404)
		})

		t.Run("CRUD", func(t *testing.T) {
			g := ts.createGroup(t, `{"name":"Temp","properties":{"note":"x"}}`)
			got := decode[groupBody](t, ts.call(t, viewer, "GET", fmt.Sprintf("/api/v1/groups/%d", g.ID), "", 200))
			if got.Name != "Temp" || got.JoinType != "open" {
				t.Errorf("get %+v", got)
			}
			got = decode[groupBody](t, ts.call(t, admin, "PATCH", fmt.Sprintf("/api/v1/groups/%d", g.ID), `{"name":"Temporary"}`, 200))
			if got.Name != "Temporary" || got.Properties["note"] != "x" {
				t.Errorf("patch changed more than the name: %+v", got)
			}
			list := ts.call(t, viewer, "GET", "/api/v1/groups", "", 200)
			if !strings.Contains(list, `"name":"Temporary"`) || !strings.Contains(list, `"name":"Club"`) {
				t.Errorf("list %s", list)
			}
			ts.call(t, admin, "DELETE", fmt.Sprintf("/api/v1/groups/%d", g.ID), "", 204)
			ts.fails(t, viewer, "GET", fmt.Sprintf("/api/v1/groups/%d", g.ID), "", 404)
		})

		t.Run("BadInput", func(t *testing.T) {
			ts.fails(t, admin, "POST", "/api/v1/groups", `{"name":"Club"}`, 409, `"name":`)
			ts.fails(t, admin, "POST", "/api/v1/groups", `{"name":"X","join_type":"invite"}`, 422, `"join_type":`)
			ts.fails(t, admin, "POST", "/api/v1/groups", `{"name":"X","starts_at":"yesterday"}`, 422, `"starts_at":`)
			ts.fails(t, admin, "POST", "/api/v1/groups", `{"name":"X","starts_at":"2026-02-01T00:00:00Z","stops_at":"2026-01-01T00:00:00Z"}`, 422, `"stops_at":`)
			ts.fails(t, admin, "POST", "/api/v1/groups", `{"name":"X","properties":{"Bad Key":1}}`, 422, `"properties":`)
			ts.fails(t, admin, "POST", "/api/v1/groups", `{"name":"X","properties":{"k":[1]}}`, 422, `"properties":`)
			ts.fails(t, admin, "POST", "/api/v1/groups", `{"name":"X","properties":"k"}`, 422, `"properties":`)
			ts.fails(t, admin, "POST", "/api/v1/groups", `{"name":"X","order":"first"}`, 422, `"order":`)
			ts.fails(t, admin, "POST", "/api/v1/groups", `{"name":"X","members":3}`, 400, `members`)
			ts.fails(t, admin, "POST", "/api/v1/groups", `not json`, 400)
			ts.fails(t, admin, "PATCH", "/api/v1/groups/9999", `{"name":"Y"}`, 404)
			ts.fails(t, admin, "PATCH", "/api/v1/groups/abc", `{"name":"Y"}`, 404)
			ts.fails(t, admin, "DELETE", "/api/v1/groups/9999", "", 404)
			ts.fails(t, viewer, "POST", "/api/v1/groups", `{"name":"Y"}`, 403)
			ts.fails(t, support, "DELETE", fmt.Sprintf("/api/v1/groups/%d", club.ID), "", 403)
		})
	})
}

func TestAPISmartTypes(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ts := mustOpenServer(t, db)
		ada := ts.createUser(t, `{"email":"ada@example.com"}`)
		bob := ts.createUser(t, `{"email":"bob@example.com"}`)
		gold := ts.createGroup(t, `{"name":"Gold"}`)
		silver := ts.createGroup(t, `{"name":"Silver"}`)
		for _, p := range []string{
			fmt.Sprintf("/api/v1/groups/%d/members/%s", gold.ID, ada),
			fmt.Sprintf("/api/v1/groups/%d/members/%s", silver.ID, ada),
			fmt.Sprintf("/api/v1/groups/%d/members/%s", silver.ID, bob),
		} {
			ts.call(t, roster.RoleAdmin, "POST", p, "", 200)
		}
		if u := ts.userRefs(t, ada); u.SmartType != nil {
			t.Errorf("smart type before any list: %+v", u.SmartType)
		}
		out := ts.call(t, roster.RoleAdmin, "PUT", "/api/v1/smart-types", fmt.Sprintf(`{"groups":[%d,%d]}`, gold.ID, silver.ID), 200)
		if !strings.Contains(out, fmt.Sprintf(`"groups":[%d,%d]`, gold.ID, silver.ID)) {
			t.Errorf("put: %s", out)
		}
		out = ts.call(t, roster.RoleViewer, "GET", "/api/v1/smart-types", "", 200)
		if !strings.Contains(out, fmt.Sprintf(`"groups":[%d,%d]`, gold.ID, silver.ID)) || !strings.Contains(out, `"name":"Gold"`) {
			t.Errorf("get: %s", out)
		}
		if u := ts.userRefs(t, ada); u.SmartType == nil || *u.SmartType != (refBody{ID: gold.ID, Name: "Gold"}) {
			t.Errorf("ada's smart type %+v, want Gold", u.SmartType)
		}
		if u := ts.userRefs(t, bob); u.SmartType == nil || u.SmartType.Name != "Silver" {
			t.Errorf("bob's smart type %+v, want Silver", u.SmartType)
		}
		if got := ts.match(t, "smart_type:Silver"); !slices.Equal(got, []string{"bob@example.com"}) {
			t.Errorf("smart_type:Silver = %v", got)
		}
		ts.call(t, roster.RoleAdmin, "PUT", "/api/v1/smart-types", fmt.Sprintf(`{"groups":[%d,%d]}`, silver.ID, gold.ID), 200)
		if u := ts.userRefs(t, ada); u.SmartType == nil || u.SmartType.Name != "Silver" {
			t.Errorf("after reordering, ada's smart type %+v, want Silver", u.SmartType)
		}
		ts.fails(t, roster.RoleAdmin, "PUT", "/api/v1/smart-types", `{"groups":[9999]}`, 422, `"groups":`, `9999`)
		ts.fails(t, roster.RoleAdmin, "PUT", "/api/v1/smart-types", fmt.Sprintf(`{"groups":[%d,%d]}`, gold.ID, gold.ID), 422, `"groups":`)
		ts.fails(t, roster.RoleAdmin, "PUT", "/api/v1/smart-types", `{"groups":"gold"}`, 422, `"groups":`)
		ts.fails(t, roster.RoleAdmin, "PUT", "/api/v1/smart-types", `{}`, 422, `"groups":`)
		ts.fails(t, roster.RoleSupport, "PUT", "/api/v1/smart-types", `{"groups":[]}`, 403)
		// The failed PUTs changed nothing.
		if out := ts.call(t, roster.RoleViewer, "GET", "/api/v1/smart-types", "", 200); !strings.Contains(out, fmt.Sprintf(`"groups":[%d,%d]`, silver.ID, gold.ID)) {
			t.Errorf("after refused PUTs: %s", out)
		}
		ts.call(t, roster.RoleAdmin, "PUT", "/api/v1/smart-types", `{"groups":[]}`, 200)
		if u := ts.userRefs(t, ada); u.SmartType != nil {
			t.Errorf("smart type with an empty list: %+v", u.SmartType)
		}
	})
}
