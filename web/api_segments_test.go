package web_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"roster"
	"roster/sqldb"
	"roster/sqldb/sqldbtest"
)

type segmentBody struct {
	ID      int64  `json:"id"`
	Name    string `json:"name"`
	Q       string `json:"q"`
	Count   *int   `json:"count"`
	Include []struct {
		Type string `json:"type"`
		ID   int64  `json:"id"`
	} `json:"include"`
}

func TestAPISegments(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ts := mustOpenServer(t, db)
		ts.createUser(t, `{"email":"ada@example.com","country":"FR"}`)
		ts.createUser(t, `{"email":"bob@example.com","country":"FR","points":50}`)
		cy := ts.createUser(t, `{"email":"cy@example.com","country":"US"}`)
		admin, viewer := roster.RoleAdmin, roster.RoleViewer
		team := ts.createGroup(t, `{"name":"Team"}`)
		ts.call(t, admin, "POST", fmt.Sprintf("/api/v1/groups/%d/members/%s", team.ID, cy), "", 200)

		french := decode[segmentBody](t, ts.call(t, admin, "POST", "/api/v1/segments", `{"name":"French","q":"country:FR"}`, 201))
		if french.ID == 0 || french.Count == nil || *french.Count != 2 {
			t.Fatalf("created %+v", french)
		}
		got := decode[segmentBody](t, ts.call(t, viewer, "GET", fmt.Sprintf("/api/v1/segments/%d", french.ID), "", 200))
		if got.Count == nil || *got.Count != 2 || got.Q != "country:FR" {
			t.Errorf("get %+v", got)
		}
		if got := ts.match(t, "segment:French"); !slices.Equal(got, []string{"ada@example.com", "bob@example.com"}) {
			t.Errorf("segment:French = %v", got)
		}

		// A segment of a segment and a group, less a filter's users.
		body := fmt.Sprintf(`{"name":"Mixed","include":[{"type":"segment","id":%d},{"type":"group","id":%d}],"exclude":[]}`, french.ID, team.ID)
		mixed := decode[segmentBody](t, ts.call(t, admin, "POST", "/api/v1/segments", body, 201))
		if *mixed.Count != 3 {
			t.Errorf("mixed count %d, want 3", *mixed.Count)
		}
		body = fmt.Sprintf(`{"name":"Mixed","include":[{"type":"segment","id":%d},{"type":"group","id":%d}],"exclude":[{"type":"segment","id":%d}]}`,
			french.ID, team.ID, french.ID)
		mixed = decode[segmentBody](t, ts.call(t, admin, "PUT", fmt.Sprintf("/api/v1/segments/%d", mixed.ID), body, 200))
		if *mixed.Count != 1 {
			t.Errorf("after PUT, count %d, want 1", *mixed.Count)
		}
		if got := ts.match(t, "segment:mixed"); !slices.Equal(got, []string{"cy@example.com"}) {
			t.Errorf("segment:mixed = %v", got)
		}
		// The live count follows writes.
		ts.createUser(t, `{"email":"dan@example.com","country":"FR"}`)
		if got := decode[segmentBody](t, ts.call(t, viewer, "GET", fmt.Sprintf("/api/v1/segments/%d", french.ID), "", 200)); *got.Count != 3 {
			t.Errorf("count after a new user: %d, want 3", *got.Count)
		}
		list := ts.call(t, viewer, "GET", "/api/v1/segments", "", 200)
		if !strings.Contains(list, `"name":"French"`) || !strings.Contains(list, `"name":"Mixed"`) {
			t.Errorf("list %s", list)
		}

		t.Run("Refused", func(t *testing.T) {
			// French including Mixed, which includes French, is a cycle.
			cycle := fmt.Sprintf(`{"name":"French","q":"country:FR","include":[{"type":"segment","id":%d}]}`, mixed.ID)
			ts.fails(t, admin, "PUT", fmt.Sprintf("/api/v1/segments/%d", french.ID), cycle, 422, `"code":"invalid"`, `itself`)
			ts.fails(t, admin, "PUT", fmt.Sprintf("/api/v1/segments/%d", french.ID),
				fmt.Sprintf(`{"name":"French","include":[{"type":"segment","id":%d}]}`, french.ID), 422, `itself`)
			ts.fails(t, admin, "POST", "/api/v1/segments", `{"name":"X","include":[{"type":"group","id":9999}]}`, 422, `"include":`)
			ts.fails(t, admin, "POST", "/api/v1/segments", `{"name":"X","include":[{"type":"team","id":1}]}`, 422, `"include":`)
			ts.fails(t, admin, "POST", "/api/v1/segments", `{"name":"X","q":"cuntry:FR"}`, 422, `"q":`)
			ts.fails(t, admin, "POST", "/api/v1/segments", `{"name":"french","q":"country:BE"}`, 409, `"name":`)
			ts.fails(t, admin, "POST", "/api/v1/segments", `{"name":""}`, 422, `"name":`)
			ts.fails(t, admin, "POST", "/api/v1/segments", `{"name":"X","include":{"type":"group"}}`, 422, `"include":`)
			ts.fails(t, admin, "POST", "/api/v1/segments", `{"name":"X","where":"y"}`, 400, `where`)
			ts.fails(t, admin, "PUT", "/api/v1/segments/9999", `{"name":"X"}`, 404)
			ts.fails(t, viewer, "GET", "/api/v1/segments/9999", "", 404)
			ts.fails(t, admin, "DELETE", fmt.Sprintf("/api/v1/segments/%d", french.ID), "", 409, `Mixed`)
			ts.fails(t, admin, "DELETE", fmt.Sprintf("/api/v1/groups/%d", team.ID), "", 409, `Mixed`)
			ts.fails(t, viewer, "POST", "/api/v1/segments", `{"name":"Y"}`, 403)
			ts.fails(t, roster.RoleSupport, "DELETE", fmt.Sprintf("/api/v1/segments/%d", mixed.ID), "", 403)
			// Nothing refused was stored.
			if got := decode[segmentBody](t, ts.call(t, viewer, "GET", fmt.Sprintf("/api/v1/segments/%d", french.ID), "", 200)); len(got.Include) != 0 {
				t.Errorf("a refused PUT was stored: %+v", got)
			}
		})

		t.Run("Delete", func(t *testing.T) {
			ts.call(t, admin, "DELETE", fmt.Sprintf("/api/v1/segments/%d", mixed.ID), "", 204)
			ts.call(t, admin, "DELETE", fmt.Sprintf("/api/v1/segments/%d", french.ID), "", 204)
			ts.fails(t, viewer, "GET", fmt.Sprintf("/api/v1/segments/%d", french.ID), "", 404)
			ts.fails(t, viewer, "GET", "/api/v1/users?q=segment:French", "", 400, `no segment`)
		})
	})
}

type monthBody struct {
	Month    string `json:"month"`
	UserID   string `json:"user_id"`
	Name     string `json:"name"`
	Citation string `json:"citation"`
	NamedBy  string `json:"named_by"`
}

func TestAPIMonth(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ts := mustOpenServer(t, db)
		ada := ts.createUser(t, `{"email":"ada@example.com","first_name":"Ada","last_name":"Lovelace"}`)
		bob := ts.createUser(t, `{"email":"bob@example.com"}`)
		admin, viewer := roster.RoleAdmin, roster.RoleViewer
		const path = "/api/v1/member-of-the-month"

		m := decode[monthBody](t, ts.call(t, admin, "POST", path, fmt.Sprintf(`{"month":"2026-11","user_id":%q,"citation":"Ran every club run."}`, ada), 201))
		if m.Month != "2026-11" || m.UserID != ada || m.Name != "Ada Lovelace" || m.NamedBy != "admin@staff.example.com" {
			t.Errorf("named %+v", m)
		}
		ts.fails(t, admin, "POST", path, fmt.Sprintf(`{"month":"2026-11","user_id":%q}`, bob), 409, `"month":`)
		m = decode[monthBody](t, ts.call(t, viewer, "GET", path+"?month=2026-11", "", 200))
		if m.UserID != ada || m.Name != "Ada Lovelace" || m.Citation != "Ran every club run." {
			t.Errorf("get %+v", m)
		}
		ts.call(t, roster.RoleManager, "POST", path, fmt.Sprintf(`{"month":"2026-11","user_id":%q,"replace":true}`, bob), 201)
		m = decode[monthBody](t, ts.call(t, viewer, "GET", path+"?month=2026-11", "", 200))
		if m.UserID != bob || m.Name != "bob@example.com" {
			t.Errorf("after replace %+v", m)
		}
		ts.call(t, admin, "POST", path, fmt.Sprintf(`{"month":"2026-09","user_id":%q}`, ada), 201)

		// The current month, in UTC.
		now := time.Now().UTC().Format("2006-01")
		if now == "2026-11" || now == "2026-09" {
			ts.call(t, viewer, "GET", path, "", 200)
		} else {
			ts.fails(t, viewer, "GET", path, "", 404, `"code":"not_found"`)
			ts.call(t, admin, "POST", path, fmt.Sprintf(`{"month":%q,"user_id":%q}`, now, ada), 201)
			if m := decode[monthBody](t, ts.call(t, viewer, "GET", path, "", 200)); m.Month != now || m.UserID != ada {
				t.Errorf("current month %+v", m)
			}
		}

		hist := decode[struct{ Members []monthBody }](t, ts.call(t, viewer, "GET", path+"/history", "", 200)).Members
		var months []string
		for _, h := range hist {
			months = append(months, h.Month)
		}
		if len(months) < 2 || !slices.IsSortedFunc(months, func(a, b string) int { return strings.Compare(b, a) }) ||
			!slices.Contains(months, "2026-11") || !slices.Contains(months, "2026-09") {
			t.Errorf("history months %v, want newest first", months)
		}
		if h := decode[struct{ Members []monthBody }](t, ts.call(t, viewer, "GET", path+"/history?limit=1", "", 200)).Members; len(h) != 1 {
			t.Errorf("limit=1 gave %d", len(h))
		}

		t.Run("BadInput", func(t *testing.T) {
			ts.fails(t, viewer, "GET", path+"?month=2026-13", "", 400, `YYYY-MM`)
			ts.fails(t, viewer, "GET", path+"?month=nov", "", 400)
			ts.fails(t, viewer, "GET", path+"?mnth=2026-11", "", 400)
			ts.fails(t, viewer, "GET", path+"?month=2031-01", "", 404)
			ts.fails(t, viewer, "GET", path+"/history?limit=0", "", 400)
			ts.fails(t, admin, "POST", path, fmt.Sprintf(`{"month":"2026-13","user_id":%q}`, ada), 422, `"month":`)
			ts.fails(t, admin, "POST", path, `{"month":"2026-10","user_id":"u_nope"}`, 422, `"user_id":`)
			ts.fails(t, admin, "POST", path, `{"month":"2026-10"}`, 422, `"user_id":"is required"`)
			ts.fails(t, admin, "POST", path, fmt.Sprintf(`{"month":"2026-10","user_id":%q,"citation":%q}`, ada, strings.Repeat("a", 501)), 422, `"citation":`)
			ts.fails(t, admin, "POST", path, fmt.Sprintf(`{"month":202610,"user_id":%q}`, ada), 422, `"month":"must be text"`)
			ts.fails(t, admin, "POST", path, `{"month":"2026-10",`, 400)
			ts.fails(t, viewer, "POST", path, fmt.Sprintf(`{"month":"2026-10","user_id":%q}`, ada), 403)
			ts.fails(t, roster.RoleSupport, "POST", path, fmt.Sprintf(`{"month":"2026-10","user_id":%q}`, ada), 403)
		})
	})
}
