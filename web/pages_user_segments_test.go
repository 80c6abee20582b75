package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"testing"

	"roster"
	"roster/sqldb"
	"roster/sqldb/sqldbtest"
)

// TestPages_UserSegments: the profile's segment toggles add a user to a
// segment by hand and remove them by hand, whatever its filter says; the
// table's segment:#ID and the API's count follow; only organize may turn
// them, each turn is audited on the user, and bad input is a clear error.
func TestPages_UserSegments(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ts := mustOpenServer(t, db)
		ann := ts.createUser(t, `{"email":"ann@example.com","country":"FR"}`)
		bob := ts.createUser(t, `{"email":"bob@example.com","country":"US"}`)
		french := decode[segmentBody](t, ts.call(t, roster.RoleAdmin, "POST", "/api/v1/segments", `{"name":"French","q":"country:FR"}`, 201))
		q := fmt.Sprintf("segment:#%d", french.ID)
		toggle := func(u string) string { return fmt.Sprintf("/users/%s/segments/%d", u, french.ID) }
		count := func() int {
			t.Helper()
			sg := decode[segmentBody](t, ts.call(t, roster.RoleViewer, "GET", fmt.Sprintf("/api/v1/segments/%d", french.ID), "", 200))
			return *sg.Count
		}

		manager := newBrowser(t, ts)
		manager.signIn(roster.RoleManager, "/")
		profile := manager.get("/users/" + bob)
		wantStatus(t, "bob's profile", profile, 200)
		wantContains(t, "bob's profile", profile.Body, `id="user-segments"`, `action="`+toggle(bob)+`"`,
			`name="member" value="1"`, `role="switch" aria-checked="false" aria-label="Not in French"`)

		// Bob is added by hand, Ann removed by hand.
		wantRedirect(t, "add bob", manager.postForm("/users/"+bob, toggle(bob), url.Values{"member": {"1"}}), "/users/"+bob+"#segments")
		if got := ts.match(t, q); !slices.Equal(got, []string{"ann@example.com", "bob@example.com"}) {
			t.Errorf("%s after adding bob = %v", q, got)
		}
		wantContains(t, "bob's profile", manager.get("/users/"+bob).Body, `name="member" value="0"`,
			`role="switch" aria-checked="true" aria-label="In French"`, "(added by hand)")
		wantRedirect(t, "remove ann", manager.postForm("/users/"+ann, toggle(ann), url.Values{"member": {"0"}}), "/users/"+ann+"#segments")
		if got := ts.match(t, q); !slices.Equal(got, []string{"bob@example.com"}) {
			t.Errorf("%s after removing ann = %v", q, got)
		}
		if n := count(); n != 1 {
			t.Errorf("count %d, want 1", n)
		}
		wantContains(t, "ann's profile", manager.get("/users/"+ann).Body, `aria-checked="false" aria-label="Not in French"`, "(removed by hand)")
		sg := ts.call(t, roster.RoleViewer, "GET", fmt.Sprintf("/api/v1/segments/%d", french.ID), "", 200)
		wantContains(t, "segment JSON", sg, `"added_users":["`+bob+`"]`, `"removed_users":["`+ann+`"]`)
		// Back again: the filter decides for Ann once more only through a
		// new add; Bob leaves.
		manager.postForm("/users/"+bob, toggle(bob), url.Values{"member": {"0"}})
		manager.postForm("/users/"+ann, toggle(ann), url.Values{"member": {"1"}})
		if got := ts.match(t, q); !slices.Equal(got, []string{"ann@example.com"}) {
			t.Errorf("%s after the toggles back = %v", q, got)
		}
		// The filter's users stay the filter's: a new French user is in.
		ts.createUser(t, `{"email":"cleo@example.com","country":"FR"}`)
		if n := count(); n != 2 {
			t.Errorf("count %d, want 2", n)
		}
		// A PUT of the segment keeps the users set by hand.
		ts.call(t, roster.RoleAdmin, "PUT", fmt.Sprintf("/api/v1/segments/%d", french.ID), `{"name":"French","q":"country:FR"}`, 200)
		if got := ts.match(t, q); !slices.Equal(got, []string{"ann@example.com", "cleo@example.com"}) {
			t.Errorf("%s after a PUT = %v", q, got)
		}

		// Audited on the user, by the staff member, naming the segment.
		entries, err := sqldb.NewAuditService(db).FindAuditEntries(context.Background(), roster.AuditFilter{TargetID: bob})
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, e := range entries {
			if e.TargetType == "user" && e.Actor == "manager@staff.example.com" && e.Note == fmt.Sprintf("French (#%d)", french.ID) {
				actions = append(actions, e.Action)
			}
		}
		if !slices.Equal(actions, []string{"segment.remove_member", "segment.add_member"}) {
			t.Errorf("bob's audit: %v (%+v)", actions, entries)
		}

		t.Run("Permissions", func(t *testing.T) {
			for _, role := range []roster.Role{roster.RoleSupport, roster.RoleViewer} {
				b := newBrowser(t, ts)
				b.signIn(role, "/")
				page := b.get("/users/" + bob)
				wantStatus(t, string(role)+"'s profile", page, 200)
				wantContains(t, string(role)+"'s profile", page.Body, `id="user-segments"`, `<span class="toggle-state">Not in</span>`)
				wantLacks(t, string(role)+"'s profile", page.Body, `action="`+toggle(bob)+`"`)
				wantStatus(t, string(role)+" toggles", b.postForm("/users/"+bob, toggle(bob), url.Values{"member": {"1"}}), http.StatusForbidden)
			}
			// Without the CSRF token, no change.
			wantStatus(t, "no CSRF", manager.post(toggle(bob), url.Values{"member": {"1"}}, nil), http.StatusForbidden)
			if got := ts.match(t, q); slices.Contains(got, "bob@example.com") {
				t.Errorf("%s = %v after refused toggles", q, got)
			}
		})

		t.Run("BadInput", func(t *testing.T) {
			for _, tc := range []struct {
				path, member string
				status       int
				want         string
			}{
				{"/users/" + bob + "/segments/999", "1", 404, "No such segment."},
				{"/users/" + bob + "/segments/abc", "1", 404, "There is no such segment."},
				{"/users/u_zzzzzzzzzzzzzzzz/segments/" + fmt.Sprint(french.ID), "1", 404, "No such user."},
				{toggle(bob), "2", 400, "member must be 1 (add to the segment) or 0 (remove from it), not &#34;2&#34;"},
				{toggle(bob), "", 400, "member must be 1"},
			} {
				resp := manager.postForm("/users/"+bob, tc.path, url.Values{"member": {tc.member}})
				wantStatus(t, tc.path+" member="+tc.member, resp, tc.status)
				wantContains(t, tc.path+" member="+tc.member, resp.Body, tc.want)
			}
			if got := ts.match(t, q); slices.Contains(got, "bob@example.com") {
				t.Errorf("%s = %v after bad input", q, got)
			}
		})
	})
}
