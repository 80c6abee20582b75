package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"roster"
	"roster/sqldb"
	"roster/sqldb/sqldbtest"
)

// mustCreateTag creates a tag through the store.
func mustCreateTag(t *testing.T, db *sqldb.DB, name string) *roster.Tag {
	t.Helper()
	ctx := roster.NewContextWithActor(context.Background(), roster.Actor{Label: "test"})
	tag := &roster.Tag{Name: name}
	if err := sqldb.NewTagService(db).CreateTag(ctx, tag); err != nil {
		t.Fatal(err)
	}
	return tag
}

func TestTagPages_Permissions(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ts := mustOpenServer(t, db)
		id := ts.createUser(t, `{"email":"tagged@example.com"}`)
		tag := mustCreateTag(t, db, "VIP")
		tid := strconv.FormatInt(tag.ID, 10)

		viewer := newBrowser(t, ts)
		viewer.signIn(roster.RoleViewer, "/")
		resp := viewer.get("/tags")
		wantStatus(t, "viewer GET /tags", resp, http.StatusOK)
		wantContains(t, "viewer /tags", resp.Body, "VIP", `href="/users?q=tags:%23`+tid+`"`)
		wantLacks(t, "viewer /tags", resp.Body, "Create tag", "Delete…")
		for _, p := range []struct{ path, from string }{
			{"/tags", "/tags"},
			{"/tags/" + tid, "/tags"},
			{"/tags/" + tid + "/delete", "/tags"},
			{"/users/" + id + "/tags", "/tags"},
			{"/users/" + id + "/tags/" + tid + "/remove", "/tags"},
			{"/users/bulk", "/tags"},
		} {
			resp := viewer.postForm(p.from, p.path, url.Values{"name": {"X"}, "tag": {tid}, "action": {"tag-add"}})
			wantStatus(t, "viewer POST "+p.path, resp, http.StatusForbidden)
		}
		if resp := viewer.get("/users/bulk?action=tag-add&tag=" + tid); resp.StatusCode != http.StatusForbidden {
			t.Errorf("viewer GET /users/bulk: %d, want 403", resp.StatusCode)
		}

		// Support may tag a user, but not create tags.
		support := newBrowser(t, ts)
		support.signIn(roster.RoleSupport, "/")
		resp = support.postForm("/users/"+id, "/users/"+id+"/tags", url.Values{"name": {"New one"}})
		wantStatus(t, "support creates a tag", resp, http.StatusForbidden)
		resp = support.postForm("/users/"+id, "/users/"+id+"/tags", url.Values{"tag": {tid}})
		wantRedirect(t, "support tags a user", resp, "/users/"+id)
		resp = support.get("/users/" + id)
		wantContains(t, "profile", resp.Body, "Tagged with VIP.", `data-tag="`+tid+`"`)
		wantLacks(t, "support profile", resp.Body, "+ Create new tag")

		// Without the CSRF token, nothing changes.
		resp = support.post("/users/"+id+"/tags/"+tid+"/remove", url.Values{}, nil)
		wantStatus(t, "remove without CSRF", resp, http.StatusForbidden)
	})
}

func TestTagPages_BadInput(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ts := mustOpenServer(t, db)
		id := ts.createUser(t, `{"email":"tagged@example.com"}`)
		tag := mustCreateTag(t, db, "VIP")
		tid := strconv.FormatInt(tag.ID, 10)
		b := newBrowser(t, ts)
		b.signIn(roster.RoleManager, "/")
		jsonHeader := http.Header{"Accept": {"application/json"}}
		csrf := formValue(t, csrfInput, b.get("/tags").Body)

		resp := b.postForm("/tags", "/tags", url.Values{"name": {"   "}})
		wantStatus(t, "create an empty tag", resp, http.StatusUnprocessableEntity)
		wantContains(t, "create an empty tag", resp.Body, "The tag name is required.")

		resp = b.post("/users/"+id+"/tags", url.Values{"csrf": {csrf}, "name": {""}}, jsonHeader)
		wantStatus(t, "create an empty tag for a user", resp, http.StatusUnprocessableEntity)
		wantContains(t, "create an empty tag for a user", resp.Body, `"error":{"code":"invalid","message":"The tag name is required."`)

		resp = b.postForm("/tags", "/tags", url.Values{"name": {"Ok"}, "color": {"red"}})
		wantStatus(t, "create with a bad colour", resp, http.StatusUnprocessableEntity)
		wantContains(t, "create with a bad colour", resp.Body, "The colour must be a colour")

		for _, p := range []string{
			"/tags/999999", "/tags/abc", "/tags/999999/delete",
			"/users/" + id + "/tags/999999/remove", "/users/" + id + "/tags/x/remove",
			"/users/nosuchuser/tags/" + tid + "/remove",
		} {
			resp := b.post(p, url.Values{"csrf": {csrf}, "name": {"X"}}, nil)
			wantStatus(t, "POST "+p, resp, http.StatusNotFound)
		}
		for _, tagValue := range []string{"999999", "abc"} {
			resp := b.post("/users/"+id+"/tags", url.Values{"csrf": {csrf}, "tag": {tagValue}}, jsonHeader)
			wantStatus(t, "assign tag "+tagValue, resp, http.StatusNotFound)
			wantContains(t, "assign tag "+tagValue, resp.Body, `"error":{"code":"`)
		}
		resp = b.get("/users/bulk?action=tag-add&tag=999999")
		wantStatus(t, "bulk with an unknown tag", resp, http.StatusNotFound)
		resp = b.get("/users/bulk?action=explode&tag=" + tid)
		wantStatus(t, "bulk with an unknown action", resp, http.StatusBadRequest)
		resp = b.get("/users/bulk?action=tag-add&tag=" + tid + "&q=" + url.QueryEscape("points:>>"))
		if resp.StatusCode != http.StatusBadRequest && resp.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("bulk with a bad filter: %d, want 400 or 422", resp.StatusCode)
		}
	})
}

func TestTagPages_ManageTags(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ts := mustOpenServer(t, db)
		ids := []string{ts.createUser(t, `{"email":"a@example.com"}`), ts.createUser(t, `{"email":"b@example.com"}`)}
		b := newBrowser(t, ts)
		b.signIn(roster.RoleManager, "/")

		resp := b.postForm("/tags", "/tags", url.Values{"name": {"Beta 🧪"}, "color": {"#067647"}})
		wantRedirect(t, "create", resp, "/tags")
		tags, err := sqldb.NewTagService(db).FindTags(context.Background())
		if err != nil || len(tags) != 1 || tags[0].Name != "Beta 🧪" || tags[0].Color != "#067647" {
			t.Fatalf("tags: %+v %v", tags, err)
		}
		tid := strconv.FormatInt(tags[0].ID, 10)
		for _, id := range ids {
			wantRedirect(t, "tag", b.postForm("/users/"+id, "/users/"+id+"/tags", url.Values{"tag": {tid}}), "/users/"+id)
		}
		resp = b.get("/tags")
		wantContains(t, "tags page", resp.Body, "Beta 🧪", "2 users", "c-067647", "It is on <strong>2 users</strong>")

		wantRedirect(t, "rename", b.postForm("/tags", "/tags/"+tid, url.Values{"name": {"Gamma"}, "color": {"#175cd3"}}), "/tags")
		resp = b.get("/users/" + ids[0])
		wantContains(t, "profile after rename", resp.Body, "Gamma", "c-175cd3")

		wantRedirect(t, "delete", b.postForm("/tags", "/tags/"+tid+"/delete", url.Values{}), "/tags")
		resp = b.get("/tags")
		wantContains(t, "after delete", resp.Body, "Deleted the tag Gamma; it was on 2 users.", "No tags yet.")
	})
}

func TestBulkPages(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ts := mustOpenServer(t, db)
		for i, c := range []string{"FR", "FR", "FR", "BE", "FR"} {
			ts.createUser(t, `{"email":"u`+strconv.Itoa(i)+"-"+strings.ToLower(c)+`@example.com","country":"`+c+`"}`)
		}
		tag := mustCreateTag(t, db, "VIP")
		tid := strconv.FormatInt(tag.ID, 10)
		ctx := roster.NewContextWithActor(context.Background(), roster.Actor{Label: "test"})
		g := &roster.Group{Name: "Beta testers"}
		if err := sqldb.NewGroupService(db).CreateGroup(ctx, g); err != nil {
			t.Fatal(err)
		}
		gid := strconv.FormatInt(g.ID, 10)
		b := newBrowser(t, ts)
		b.signIn(roster.RoleManager, "/")

		resp := b.get("/users?q=country:FR")
		wantContains(t, "table", resp.Body, "Bulk actions", `action="/users/bulk"`)
		resp = b.get("/users/bulk?q=country:FR&action=tag-add&tag=" + tid)
		wantStatus(t, "confirm", resp, http.StatusOK)
		wantContains(t, "confirm", resp.Body, "Add the tag VIP to 4 users?", "Yes, apply to 4 users")
		// Nothing changes before the confirmation.
		if n, _ := sqldb.NewTagService(db).FindTag(context.Background(), tag.ID); n.Users != 0 {
			t.Fatalf("users tagged before the confirmation: %d", n.Users)
		}
		resp = b.postForm("/users/bulk?q=country:FR&action=tag-add&tag="+tid, "/users/bulk",
			url.Values{"q": {"country:FR"}, "action": {"tag-add"}, "tag": {tid}})
		wantRedirect(t, "apply", resp, "/users?q=country%3AFR")
		wantContains(t, "flash", b.get("/users?q=country:FR").Body, "Tagged 4 users with VIP.")
		if n, _ := sqldb.NewTagService(db).FindTag(context.Background(), tag.ID); n.Users != 4 {
			t.Fatalf("users tagged: %d, want 4", n.Users)
		}
		resp = b.get("/users?q=" + url.QueryEscape("tags:VIP"))
		wantContains(t, "filtered by tag", resp.Body, `<strong id="match-count">4</strong>`)

		// Groups, and removal.
		resp = b.postForm("/users", "/users/bulk", url.Values{"q": {"country:BE"}, "action": {"group-add"}, "group": {gid}})
		wantRedirect(t, "group add", resp, "/users?q=country%3ABE")
		wantContains(t, "group flash", b.get("/users").Body, "Added 1 user to the group Beta testers.")
		if g, _ := sqldb.NewGroupService(db).FindGroup(context.Background(), g.ID); g.Members != 1 {
			t.Fatalf("members: %d, want 1", g.Members)
		}
		resp = b.postForm("/users", "/users/bulk", url.Values{"action": {"tag-remove"}, "tag": {tid}})
		wantRedirect(t, "tag remove", resp, "/users")
		wantContains(t, "remove flash", b.get("/users").Body, "Removed the tag VIP from 4 users.")
	})
}
