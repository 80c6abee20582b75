package web_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"

	"roster"
	"roster/sqldb"
	"roster/sqldb/sqldbtest"
)

// call sends a request as role and fails the test unless the answer has
// status want; it returns the body.
func (ts *testServer) call(t *testing.T, role roster.Role, method, path, body string, want int) string {
	t.Helper()
	st, out := ts.do(t, role, method, path, body)
	if st != want {
		t.Fatalf("%s %s %s: status %d, want %d; body %s", method, path, body, st, want, out)
	}
	if st >= 400 && !strings.Contains(out, `"error":{"code":`) {
		t.Errorf("%s %s: error body not in the error shape: %s", method, path, out)
	}
	return out
}

// fails checks that a request is refused with status want and a body
// holding each of wants.
func (ts *testServer) fails(t *testing.T, role roster.Role, method, path, body string, want int, wants ...string) {
	t.Helper()
	out := ts.call(t, role, method, path, body, want)
	for _, w := range wants {
		if !strings.Contains(out, w) {
			t.Errorf("%s %s %s: body lacks %s: %s", method, path, body, w, out)
		}
	}
}

func decode[T any](t *testing.T, body string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("decode %T: %v: %s", v, err, body)
	}
	return v
}

type refBody struct {
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	Color string `json:"color"`
}

// userRefs is what a user's JSON says of their tags, groups and smart type.
type userRefs struct {
	ID        string    `json:"id"`
	Email     string    `json:"email"`
	Tags      []refBody `json:"tags"`
	Groups    []refBody `json:"groups"`
	SmartType *refBody  `json:"smart_type"`
}

func (ts *testServer) userRefs(t *testing.T, id string) userRefs {
	t.Helper()
	return decode[userRefs](t, ts.call(t, roster.RoleViewer, "GET", "/api/v1/users/"+id, "", 200))
}

// match returns the emails of the users q matches, sorted.
func (ts *testServer) match(t *testing.T, q string) []string {
	t.Helper()
	st, sb, body := ts.search(t, url.Values{"q": {q}, "sort": {"email"}, "limit": {"500"}})
	if st != 200 {
		t.Fatalf("search %q: %d %s", q, st, body)
	}
	return emails(sb)
}

func (ts *testServer) createTag(t *testing.T, body string) refBody {
	t.Helper()
	return decode[refBody](t, ts.call(t, roster.RoleAdmin, "POST", "/api/v1/tags", body, 201))
}

func TestAPITags(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ts := mustOpenServer(t, db)
		ada := ts.createUser(t, `{"email":"ada@example.com","country":"FR"}`)
		bob := ts.createUser(t, `{"email":"bob@example.com","country":"FR"}`)
		ts.createUser(t, `{"email":"cy@example.com","country":"US"}`)
		admin, support, viewer := roster.RoleAdmin, roster.RoleSupport, roster.RoleViewer

		vip := ts.createTag(t, `{"name":" VIP "}`)
		if vip.ID == 0 || vip.Name != "VIP" || !slices.Contains(roster.TagColors, vip.Color) {
			t.Fatalf("created %+v", vip)
		}
		vip2 := ts.createTag(t, `{"name":"vip","color":"#175CD3"}`)
		if vip2.Color != "#175cd3" {
			t.Errorf("colour %q, want #175cd3", vip2.Color)
		}
		beta := ts.createTag(t, `{"name":"beta"}`)

		t.Run("CreateListRenameDelete", func(t *testing.T) {
			list := decode[struct{ Tags []tagBody }](t, ts.call(t, viewer, "GET", "/api/v1/tags", "", 200))
			if len(list.Tags) != 3 {
				t.Fatalf("list: %+v", list)
			}
			tmp := ts.createTag(t, `{"name":"temp"}`)
			got := decode[refBody](t, ts.call(t, admin, "PATCH", fmt.Sprintf("/api/v1/tags/%d", tmp.ID), `{"name":"Temporary","color":"#067647"}`, 200))
			if got.Name != "Temporary" || got.Color != "#067647" {
				t.Errorf("renamed: %+v", got)
			}
			ts.call(t, admin, "POST", "/api/v1/users/"+ada+"/tags", fmt.Sprintf(`{"tag_id":%d}`, tmp.ID), 200)
			one := decode[tagBody](t, ts.call(t, viewer, "GET", fmt.Sprintf("/api/v1/tags/%d", tmp.ID), "", 200))
			if one.Users != 1 {
				t.Errorf("users = %d, want 1", one.Users)
			}
			out := ts.call(t, admin, "DELETE", fmt.Sprintf("/api/v1/tags/%d", tmp.ID), "", 200)
			if !strings.Contains(out, `"removed_from":1`) {
				t.Errorf("delete: %s", out)
			}
			ts.fails(t, viewer, "GET", fmt.Sprintf("/api/v1/tags/%d", tmp.ID), "", 404, `"code":"not_found"`)
			if u := ts.userRefs(t, ada); len(u.Tags) != 0 {
				t.Errorf("deleted tag still on the user: %+v", u.Tags)
			}
		})

		t.Run("TagOneUser", func(t *testing.T) {
			ts.call(t, support, "POST", "/api/v1/users/"+ada+"/tags", fmt.Sprintf(`{"tag_id":%d}`, vip.ID), 200)
			out := ts.call(t, support, "POST", "/api/v1/users/"+ada+"/tags", fmt.Sprintf(`{"tag_id":%d}`, beta.ID), 200)
			u := decode[userRefs](t, out)
			if len(u.Tags) != 2 || u.Tags[0] != beta || u.Tags[1] != vip {
				t.Fatalf("tags %+v, want beta then VIP with names and colours", u.Tags)
			}
			out = ts.call(t, support, "DELETE", fmt.Sprintf("/api/v1/users/%s/tags/%d", ada, beta.ID), "", 200)
			if u := decode[userRefs](t, out); len(u.Tags) != 1 || u.Tags[0] != vip {
				t.Errorf("after untag: %+v", u.Tags)
			}
			// The search sees the change at once.
			if got := ts.match(t, fmt.Sprintf("tags:#%d", vip.ID)); !slices.Equal(got, []string{"ada@example.com"}) {
				t.Errorf("tags:#%d: %v", vip.ID, got)
			}
		})

		t.Run("RepeatedNames", func(t *testing.T) {
			ts.call(t, admin, "POST", "/api/v1/users/"+bob+"/tags", fmt.Sprintf(`{"tag_id":%d}`, vip2.ID), 200)
			if got := ts.match(t, "tags:vip"); !slices.Equal(got, []string{"ada@example.com", "bob@example.com"}) {
				t.Errorf("tags:vip = %v, want both users", got)
			}
			if got := ts.match(t, fmt.Sprintf("tags:#%d", vip2.ID)); !slices.Equal(got, []string{"bob@example.com"}) {
				t.Errorf("tags:#%d = %v, want bob only", vip2.ID, got)
			}
		})

		t.Run("Bulk", func(t *testing.T) {
			path := fmt.Sprintf("/api/v1/tags/%d/apply", beta.ID)
			out := ts.call(t, admin, "POST", path, `{"q":"country:FR"}`, 200)
			if !strings.Contains(out, `"count":2`) || !strings.Contains(out, `"matched":2`) {
				t.Errorf("apply: %s", out)
			}
			if got := ts.match(t, "tags:beta"); !slices.Equal(got, []string{"ada@example.com", "bob@example.com"}) {
				t.Errorf("tags:beta right after the bulk apply = %v", got)
			}
			out = ts.call(t, admin, "POST", path, `{"q":"country:FR"}`, 200)
			if !strings.Contains(out, `"count":0`) || !strings.Contains(out, `"matched":2`) {
				t.Errorf("apply again: %s", out)
			}
			ts.fails(t, admin, "POST", path, `{"q":""}`, 422, `"q":`, `to act on every user`)
			ts.fails(t, admin, "POST", path, `{}`, 422, `"q":`)
			ts.fails(t, admin, "POST", path, `{"q":"country:FR","all":true}`, 422, `"all":`)
			out = ts.call(t, admin, "POST", path, `{"all":true}`, 200)
			if !strings.Contains(out, `"count":1`) || !strings.Contains(out, `"matched":3`) {
				t.Errorf("apply to all: %s", out)
			}
			out = ts.call(t, admin, "POST", fmt.Sprintf("/api/v1/tags/%d/remove", beta.ID), `{"q":"country:US"}`, 200)
			if !strings.Contains(out, `"count":1`) {
				t.Errorf("remove: %s", out)
			}
			if got := ts.match(t, "tags:beta"); !slices.Equal(got, []string{"ada@example.com", "bob@example.com"}) {
				t.Errorf("tags:beta after remove = %v", got)
			}
			ts.fails(t, admin, "POST", path, `{"q":"cuntry:FR"}`, 422, `"q":`, `did you mean country?`)
			ts.fails(t, admin, "POST", path, `{"q":"city:\"Paris"}`, 422, `"position":`)
			ts.fails(t, admin, "POST", "/api/v1/tags/9999/apply", `{"q":"country:FR"}`, 404)
		})

		t.Run("Permissions", func(t *testing.T) {
			ts.fails(t, viewer, "POST", "/api/v1/tags", `{"name":"x"}`, 403, `"code":"forbidden"`)
			ts.fails(t, viewer, "POST", "/api/v1/users/"+ada+"/tags", fmt.Sprintf(`{"tag_id":%d}`, vip.ID), 403)
			ts.fails(t, support, "POST", "/api/v1/tags", `{"name":"x"}`, 403)
			ts.fails(t, support, "PATCH", fmt.Sprintf("/api/v1/tags/%d", vip.ID), `{"name":"x"}`, 403)
			ts.fails(t, support, "DELETE", fmt.Sprintf("/api/v1/tags/%d", vip.ID), "", 403)
			ts.fails(t, support, "POST", fmt.Sprintf("/api/v1/tags/%d/apply", vip.ID), `{"q":"country:FR"}`, 403)
			ts.fails(t, support, "POST", fmt.Sprintf("/api/v1/tags/%d/remove", vip.ID), `{"q":"country:FR"}`, 403)
			ts.fails(t, "", "GET", "/api/v1/tags", "", 401)
			ts.call(t, roster.RoleManager, "POST", fmt.Sprintf("/api/v1/tags/%d/remove", vip2.ID), `{"q":"country:US"}`, 200)
		})

		t.Run("BadInput", func(t *testing.T) {
			ts.fails(t, admin, "POST", "/api/v1/tags", `{"name":`, 400, `"code":"invalid"`)
			ts.fails(t, admin, "POST", "/api/v1/tags", `{"name":"x","colour":"#000000"}`, 400, `colour`)
			ts.fails(t, admin, "POST", "/api/v1/tags", `{"name":""}`, 422, `"name":"is required"`)
			ts.fails(t, admin, "POST", "/api/v1/tags", `{"name":"x","color":"red"}`, 422, `"color":`)
			ts.fails(t, admin, "POST", "/api/v1/tags", `{"name":5}`, 422, `"name":"must be text"`)
			ts.fails(t, admin, "PATCH", fmt.Sprintf("/api/v1/tags/%d", vip.ID), `{"name":"  "}`, 422, `"name":`)
			ts.fails(t, admin, "PATCH", "/api/v1/tags/9999", `{"name":"x"}`, 404)
			ts.fails(t, admin, "GET", "/api/v1/tags/abc", "", 404)
			ts.fails(t, admin, "DELETE", "/api/v1/tags/9999", "", 404)
			ts.fails(t, admin, "POST", "/api/v1/users/"+ada+"/tags", `{"tag_id":9999}`, 422, `"tag_id":`)
			ts.fails(t, admin, "POST", "/api/v1/users/"+ada+"/tags", `{"tag_id":"x"}`, 422, `"tag_id":"must be a whole number"`)
			ts.fails(t, admin, "POST", "/api/v1/users/"+ada+"/tags", `{}`, 422, `"tag_id":"is required"`)
			ts.fails(t, admin, "POST", "/api/v1/users/u_nope/tags", fmt.Sprintf(`{"tag_id":%d}`, vip.ID), 404)
			ts.fails(t, admin, "DELETE", "/api/v1/users/"+ada+"/tags/9999", "", 404)
			ts.fails(t, admin, "PATCH", "/api/v1/users/"+ada, fmt.Sprintf(`{"tags":[%d]}`, vip.ID), 422, `"tags":"is read-only`, `/api/v1/users/{id}/tags`)
			ts.fails(t, admin, "PATCH", "/api/v1/users/"+ada, `{"groups":[]}`, 422, `"groups":"is read-only`)
			ts.fails(t, admin, "PATCH", "/api/v1/users/"+ada, `{"smart_type":null}`, 422, `"smart_type":"is read-only`)
			// A PATCH of the profile answers with the tags the user has.
			out := ts.call(t, admin, "PATCH", "/api/v1/users/"+ada, `{"city":"Lyon"}`, 200)
			if u := decode[userRefs](t, out); len(u.Tags) == 0 {
				t.Errorf("PATCH answer lost the tags: %s", out)
			}
		})
	})
}

type tagBody struct {
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	Users int    `json:"users"`
}
