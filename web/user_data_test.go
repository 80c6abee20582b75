package web_test

import (
	"fmt"
	"strings"
	"testing"

	"roster"
	"roster/sqldb"
	"roster/sqldb/sqldbtest"
)

// userDataBody is the part of a user's data document the test reads.
type userDataBody struct {
	ExportedAt string `json:"exported_at"`
	User       struct {
		ID        string    `json:"id"`
		Email     string    `json:"email"`
		City      string    `json:"city"`
		Tier      string    `json:"tier"`
		Tags      []refBody `json:"tags"`
		Groups    []refBody `json:"groups"`
		SmartType *refBody  `json:"smart_type"`
	} `json:"user"`
	Memberships []struct {
		GroupID  int64  `json:"group_id"`
		Name     string `json:"name"`
		Via      string `json:"via"`
		JoinedAt string `json:"joined_at"`
	} `json:"memberships"`
	MemberOfTheMonth []struct {
		Month    string `json:"month"`
		Citation string `json:"citation"`
	} `json:"member_of_the_month"`
	Audit []struct {
		Action string `json:"action"`
		Actor  string `json:"actor"`
	} `json:"audit"`
	Points []struct {
		Amount int64  `json:"amount"`
		Reason string `json:"reason"`
	} `json:"points"`
	Notes []struct {
		Body string `json:"body"`
	} `json:"notes"`
	Tasks []struct {
		Title string `json:"title"`
	} `json:"tasks"`
}

func TestUserData(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ts := mustOpenServer(t, db)
		admin, manager := roster.RoleAdmin, roster.RoleManager
		ts.call(t, admin, "POST", "/api/v1/fields", `{"key":"tier","label":"Tier","type":"choice","choices":["gold","silver"]}`, 201)
		ada := ts.createUser(t, `{"email":"ada@example.com","city":"London","tier":"gold","password":"a long secret password"}`)
		other := ts.createUser(t, `{"email":"other@example.com"}`)
		ts.call(t, admin, "PATCH", "/api/v1/users/"+ada, `{"city":"Paris"}`, 200)
		tag := ts.createTag(t, `{"name":"VIP","color":"#175cd3"}`)
		ts.call(t, admin, "POST", "/api/v1/users/"+ada+"/tags", fmt.Sprintf(`{"tag_id":%d}`, tag.ID), 200)
		gold := ts.createGroup(t, `{"name":"Gold"}`)
		ts.call(t, admin, "POST", fmt.Sprintf("/api/v1/groups/%d/members/%s", gold.ID, ada), "", 200)
		ts.call(t, admin, "PUT", "/api/v1/smart-types", fmt.Sprintf(`{"groups":[%d]}`, gold.ID), 200)
		ts.call(t, admin, "POST", "/api/v1/member-of-the-month", `{"month":"2026-10","user_id":"`+ada+`","citation":"Helped everyone"}`, 201)
		ts.call(t, admin, "PATCH", "/api/v1/users/"+other, `{"city":"Rome"}`, 200)
		ts.call(t, admin, "POST", "/api/v1/users/"+ada+"/points", `{"amount":30,"reason":"quiz","idempotency_key":"q"}`, 201)
		ts.call(t, admin, "POST", "/api/v1/users/"+ada+"/notes", `{"body":"Prefers email"}`, 201)
		ts.call(t, admin, "POST", "/api/v1/users/"+ada+"/tasks", `{"title":"Call back"}`, 201)
		ts.call(t, admin, "POST", "/api/v1/users/"+other+"/notes", `{"body":"Not Ada's"}`, 201)

		out := ts.call(t, manager, "GET", "/api/v1/users/"+ada+"/data", "", 200)
		doc := decode[userDataBody](t, out)
		u := doc.User
		if u.ID != ada || u.Email != "ada@example.com" || u.City != "Paris" || u.Tier != "gold" || doc.ExportedAt == "" {
			t.Errorf("user %+v", u)
		}
		if len(u.Tags) != 1 || u.Tags[0].Name != "VIP" || u.Tags[0].Color != "#175cd3" {
			t.Errorf("tags %+v", u.Tags)
		}
		if u.SmartType == nil || u.SmartType.Name != "Gold" {
			t.Errorf("smart type %+v", u.SmartType)
		}
		if len(doc.Memberships) != 1 || doc.Memberships[0].Name != "Gold" || doc.Memberships[0].Via != "staff" || doc.Memberships[0].JoinedAt == "" {
			t.Errorf("memberships %+v", doc.Memberships)
		}
		if len(doc.Points) != 1 || doc.Points[0].Amount != 30 || doc.Points[0].Reason != "quiz" ||
			len(doc.Notes) != 1 || doc.Notes[0].Body != "Prefers email" || len(doc.Tasks) != 1 || doc.Tasks[0].Title != "Call back" {
			t.Errorf("points %+v, notes %+v, tasks %+v", doc.Points, doc.Notes, doc.Tasks)
		}
		if len(doc.MemberOfTheMonth) != 1 || doc.MemberOfTheMonth[0].Month != "2026-10" || doc.MemberOfTheMonth[0].Citation != "Helped everyone" {
			t.Errorf("member of the month %+v", doc.MemberOfTheMonth)
		}
		var actions []string
		for _, e := range doc.Audit {
			actions = append(actions, e.Action)
		}
		got := strings.Join(actions, ",")
		for _, want := range []string{"user.create", "user.update", "user.tag", "group.add_member", "month.name"} {
			if !strings.Contains(got, want) {
				t.Errorf("audit %s lacks %s", got, want)
			}
		}
		if strings.Contains(out, "Rome") {
			t.Error("the document holds another user's audit entries")
		}
		for _, secret := range []string{"password_hash", "argon2", "a long secret password"} {
			if strings.Contains(out, secret) {
				t.Errorf("the document holds %q: %s", secret, out)
			}
		}

		// The download is audited.
		audit := ts.call(t, admin, "GET", "/api/v1/audit?action=user.data_export&target_id="+ada, "", 200)
		if !strings.Contains(audit, `"actor":"manager@staff.example.com"`) {
			t.Errorf("no audit entry for the download: %s", audit)
		}

		ts.fails(t, roster.RoleViewer, "GET", "/api/v1/users/"+ada+"/data", "", 403)
		ts.fails(t, roster.RoleSupport, "GET", "/api/v1/users/"+ada+"/data", "", 403)
		ts.fails(t, manager, "GET", "/api/v1/users/u_nope/data", "", 404)

		// The profile links to the same document as a file.
		b := newBrowser(t, ts)
		b.signIn(manager, "/")
		wantContains(t, "profile", b.get("/users/"+ada).Body, `href="/users/`+ada+`/data.json"`, "Download data (JSON)")
		file := b.get("/users/" + ada + "/data.json")
		wantStatus(t, "data file", file, 200)
		if cd := file.Header.Get("Content-Disposition"); cd != `attachment; filename="user-`+ada+`-data.json"` {
			t.Errorf("Content-Disposition %q", cd)
		}
		if d := decode[userDataBody](t, file.Body); d.User.Email != "ada@example.com" || len(d.Audit) <= len(doc.Audit) {
			t.Errorf("data file %+v (the earlier download must be in its audit)", d)
		}
		vb := newBrowser(t, ts)
		vb.signIn(roster.RoleViewer, "/")
		wantLacks(t, "viewer's profile", vb.get("/users/"+ada).Body, "data.json")
		wantStatus(t, "viewer data file", vb.get("/users/"+ada+"/data.json"), 403)
	})
}
