package web_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"roster"
	"roster/sqldb"
	"roster/sqldb/sqldbtest"
)

var (
	generatedCode = regexp.MustCompile(`<code class="gp-code">([^<]+)</code>`)
	groupLocation = regexp.MustCompile(`^/groups/(\d+)$`)
	matchCount    = regexp.MustCompile(`<strong id="match-count">([^<]+)</strong>`)
	segmentCount  = regexp.MustCompile(`<strong id="segment-count">([^<]+)</strong>`)
	membersLink   = regexp.MustCompile(`<a class="button" id="view-members" href="([^"]+)">View members</a>`)
)

// find returns the first group of re in body, failing t when none.
func find(t *testing.T, re *regexp.Regexp, body string) string {
	t.Helper()
	m := re.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no match of %s in\n%s", re, body)
	}
	return html.UnescapeString(m[1])
}

// createGroup creates a group through the form and returns its id.
func createGroup(t *testing.T, b *browser, form url.Values) string {
	t.Helper()
	resp := b.postForm("/groups", "/groups", form)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create group: %d\n%s", resp.StatusCode, resp.Body)
	}
	return find(t, groupLocation, resp.Header.Get("Location"))
}

func TestGroupPages_CodesAndJoin(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ts := mustOpenServer(t, db)
		uid := ts.createUser(t, `{"email":"joiner@example.com","first_name":"Jo"}`)
		b := newBrowser(t, ts)
		b.signIn(roster.RoleManager, "/")

		id := createGroup(t, b, url.Values{"name": {"Insiders"}, "description": {"Private club"}, "join_type": {"code"}, "order": {"3"}})
		page := b.get("/groups/" + id)
		wantStatus(t, "group page", page, 200)
		wantContains(t, "group page", page.Body, "<h1>Insiders</h1>", "Private, by code", `name="prop_key"`, "Generate codes")

		// Properties: typed values come back as typed.
		resp := b.postForm("/groups/"+id, "/groups/"+id, url.Values{"name": {"Insiders"}, "join_type": {"code"}, "order": {"3"},
			"prop_key": {"tier", "max_seats", "vip"}, "prop_type": {"text", "number", "bool"}, "prop_value": {"gold", "12.5", "true"}})
		wantRedirect(t, "save properties", resp, "/groups/"+id)
		g, err := sqldb.NewGroupService(db).FindGroup(context.Background(), mustAtoi(t, id))
		if err != nil {
			t.Fatal(err)
		}
		if g.Properties["tier"] != "gold" || g.Properties["max_seats"] != 12.5 || g.Properties["vip"] != true {
			t.Errorf("properties = %#v", g.Properties)
		}

		resp = b.postForm("/groups/"+id, "/groups/"+id+"/codes", url.Values{"mode": {"many"}, "count": {"3"}})
		wantStatus(t, "generate codes", resp, 200)
		codes := generatedCode.FindAllStringSubmatch(resp.Body, -1)
		if len(codes) != 3 {
			t.Fatalf("got %d codes on the page, want 3\n%s", len(codes), resp.Body)
		}
		code := html.UnescapeString(codes[0][1])
		// The codes are shown once: the page afterwards has only hints.
		again := b.get("/groups/" + id)
		wantLacks(t, "group page after generating", again.Body, code)
		wantContains(t, "codes list", again.Body, "0 / 1", "Revoke")

		// Download CSV re-posts the codes shown.
		form := url.Values{"csrf": {formValue(t, csrfInput, resp.Body)}}
		for _, c := range codes {
			form.Add("code", html.UnescapeString(c[1]))
		}
		csv := b.post("/groups/"+id+"/codes.csv", form, nil)
		wantStatus(t, "download codes", csv, 200)
		if ct := csv.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
			t.Errorf("Content-Type %q", ct)
		}
		if cd := csv.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") {
			t.Errorf("Content-Disposition %q", cd)
		}
		wantContains(t, "codes CSV", csv.Body, "group_id,group,code\n", id+",Insiders,"+code)

		st, body := ts.do(t, roster.RoleAdmin, "POST", "/api/v1/groups/"+id+"/join", fmt.Sprintf(`{"user_id":%q,"code":%q}`, uid, code))
		if st != http.StatusOK && st != http.StatusCreated {
			t.Fatalf("join by API: %d %s", st, body)
		}
		// A single-use code is spent.
		if _, err := sqldb.NewGroupService(db).Join(context.Background(), mustAtoi(t, id), ts.createUser(t, `{"email":"late@example.com"}`), code); roster.ErrorCode(err) != roster.EINVALID {
			t.Errorf("second use of a single-use code: %v, want EINVALID", err)
		}

		members := b.get(find(t, membersLink, b.get("/groups/"+id).Body))
		wantStatus(t, "members view", members, 200)
		if got := find(t, matchCount, members.Body); got != "1" {
			t.Errorf("members view counts %s, want 1", got)
		}
		wantContains(t, "members view", members.Body, "/users/"+uid)

		profile := b.get("/users/" + uid)
		wantStatus(t, "profile", profile, 200)
		wantContains(t, "profile", profile.Body, `<a href="/groups/`+id+`">Insiders</a>`, `<td class="gp-via">code</td>`)

		// Staff remove and add back from the profile.
		resp = b.postForm("/users/"+uid, "/users/"+uid+"/groups/"+id+"/remove", url.Values{})
		wantRedirect(t, "remove member", resp, "/users/"+uid+"#groups")
		wantContains(t, "profile after remove", b.get("/users/"+uid).Body, "In no group.")
		resp = b.postForm("/users/"+uid, "/users/"+uid+"/groups", url.Values{"group_id": {id}})
		wantRedirect(t, "add member", resp, "/users/"+uid+"#groups")
		wantContains(t, "profile after add", b.get("/users/"+uid).Body, `<td class="gp-via">staff</td>`)

		// Revoke a code, then delete the group with its name typed.
		cs, _ := sqldb.NewGroupService(db).FindCodes(context.Background(), mustAtoi(t, id))
		resp = b.postForm("/groups/"+id, fmt.Sprintf("/groups/%s/codes/%d/delete", id, cs[0].ID), url.Values{})
		wantRedirect(t, "revoke", resp, "/groups/"+id+"#codes")
		resp = b.postForm("/groups/"+id, "/groups/"+id+"/delete", url.Values{"confirm": {"nope"}})
		wantStatus(t, "delete unconfirmed", resp, 422)
		resp = b.postForm("/groups/"+id, "/groups/"+id+"/delete", url.Values{"confirm": {"Insiders"}})
		wantRedirect(t, "delete", resp, "/groups")
		wantStatus(t, "deleted group", b.get("/groups/"+id), 404)
	})
}

func mustAtoi(t *testing.T, s string) int64 {
	t.Helper()
	var n int64
	if _, err := fmt.Sscan(s, &n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestGroupPages_BadInputAndPermissions(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ts := mustOpenServer(t, db)
		uid := ts.createUser(t, `{"email":"someone@example.com"}`)
		b := newBrowser(t, ts)
		b.signIn(roster.RoleAdmin, "/")

		resp := b.postForm("/groups", "/groups", url.Values{"name": {"Late"}, "starts_at": {"2026-05-01T10:00"}, "stops_at": {"2026-04-01T10:00"}})
		wantStatus(t, "stop before start", resp, 422)
		wantContains(t, "stop before start", resp.Body, "must be after starts_at", `value="Late"`)
		resp = b.postForm("/groups", "/groups", url.Values{"name": {"Odd"}, "starts_at": {"someday"}})
		wantStatus(t, "bad date", resp, 422)
		wantContains(t, "bad date", resp.Body, "Start is not a date and time")
		id := createGroup(t, b, url.Values{"name": {"Crew"}})
		resp = b.postForm("/groups", "/groups", url.Values{"name": {"crew"}})
		if resp.StatusCode != 422 && resp.StatusCode != 409 {
			t.Errorf("duplicate name: %d", resp.StatusCode)
		}
		resp = b.postForm("/groups/"+id, "/groups/"+id, url.Values{"name": {"Crew"}, "prop_key": {"Bad Key"}, "prop_type": {"text"}, "prop_value": {"x"}})
		wantStatus(t, "bad property key", resp, 422)
		wantContains(t, "bad property key", resp.Body, "is not a property name")
		resp = b.postForm("/groups/"+id, "/groups/"+id+"/codes", url.Values{"mode": {"many"}, "count": {"0"}})
		wantStatus(t, "zero codes", resp, 422)
		wantStatus(t, "unknown group", b.get("/groups/999999"), 404)
		wantStatus(t, "malformed group id", b.get("/groups/abc"), 404)
		wantStatus(t, "unknown segment", b.get("/segments/999999"), 404)

		v := newBrowser(t, ts)
		v.signIn(roster.RoleViewer, "/")
		wantStatus(t, "viewer sees groups", v.get("/groups"), 200)
		wantLacks(t, "viewer's groups page", v.get("/groups").Body, `action="/groups"`)
		for _, p := range []string{"/groups", "/groups/" + id, "/groups/" + id + "/codes", "/groups/" + id + "/delete",
			"/segments", "/settings/smart-types", "/member-of-the-month", "/users/" + uid + "/groups"} {
			resp := v.postForm("/groups", p, url.Values{"name": {"X"}, "group_id": {id}, "mode": {"many"}, "count": {"1"}})
			wantStatus(t, "viewer POST "+p, resp, 403)
		}
		s := newBrowser(t, ts)
		s.signIn(roster.RoleSupport, "/")
		wantStatus(t, "support creates a group", s.postForm("/groups", "/groups", url.Values{"name": {"Nope"}}), 403)
		wantRedirect(t, "support adds a member", s.postForm("/users/"+uid, "/users/"+uid+"/groups", url.Values{"group_id": {id}}), "/users/"+uid+"#groups")
	})
}

func TestSegmentPages(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ts := mustOpenServer(t, db)
		for i, c := range []string{"FR", "FR", "FR", "GB"} {
			ts.createUser(t, fmt.Sprintf(`{"email":"u%d@example.com","country":%q}`, i, c))
		}
		b := newBrowser(t, ts)
		b.signIn(roster.RoleManager, "/")

		table := b.get("/users?q=country%3AFR")
		wantStatus(t, "table", table, 200)
		wantContains(t, "table", table.Body, "Save as segment")
		total := find(t, matchCount, table.Body)
		resp := b.postForm("/users?q=country%3AFR", "/segments", url.Values{"name": {"French"}, "q": {"country:FR"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("save as segment: %d\n%s", resp.StatusCode, resp.Body)
		}
		loc := resp.Header.Get("Location")
		page := b.get(loc)
		wantStatus(t, "segment page", page, 200)
		if got := find(t, segmentCount, page.Body); got != total || got != "3" {
			t.Errorf("segment count %s, table total %s, want 3", got, total)
		}
		members := b.get(find(t, membersLink, page.Body))
		wantStatus(t, "segment members", members, 200)
		if got := find(t, matchCount, members.Body); got != "3" {
			t.Errorf("members view counts %s, want 3", got)
		}
		list := b.get("/segments")
		wantContains(t, "segments list", list.Body, ">French</a>", `>3</a>`)

		resp = b.postForm("/users?q=country%3AFR", "/segments", url.Values{"name": {"French"}, "q": {"country:FR"}})
		wantStatus(t, "duplicate segment", resp, 422)
		wantContains(t, "duplicate segment", resp.Body, `role="alert" id="segment-error">The segment was not saved`, `value="French"`)
		resp = b.postForm("/segments", "/segments", url.Values{"name": {"Broken"}, "q": {"country:"}})
		wantStatus(t, "bad filter", resp, 422)

		// A segment referring to another: excluding French leaves GB.
		id := strings.TrimPrefix(loc, "/segments/")
		resp = b.postForm("/segments", "/segments", url.Values{"name": {"Others"}})
		other := resp.Header.Get("Location")
		resp = b.postForm(other, other, url.Values{"name": {"Others"}, "exclude": {"segment:" + id}})
		wantRedirect(t, "edit segment", resp, other)
		if got := find(t, segmentCount, b.get(other).Body); got != "1" {
			t.Errorf("Others count %s, want 1", got)
		}
		resp = b.postForm(loc, loc+"/delete", url.Values{})
		wantStatus(t, "delete referenced segment", resp, 409)
		wantContains(t, "delete referenced segment", resp.Body, "The segment was not deleted", "refers to this one")
		wantRedirect(t, "delete other", b.postForm(other, other+"/delete", url.Values{}), "/segments")
		wantRedirect(t, "delete French", b.postForm(loc, loc+"/delete", url.Values{}), "/segments")
	})
}

func TestSmartTypes(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ts := mustOpenServer(t, db)
		both := ts.createUser(t, `{"email":"both@example.com"}`)
		onlyB := ts.createUser(t, `{"email":"b@example.com"}`)
		ts.createUser(t, `{"email":"none@example.com"}`)
		b := newBrowser(t, ts)
		b.signIn(roster.RoleAdmin, "/")
		gold := createGroup(t, b, url.Values{"name": {"Gold"}})
		silver := createGroup(t, b, url.Values{"name": {"Silver"}})
		for _, m := range [][2]string{{both, gold}, {both, silver}, {onlyB, silver}} {
			wantRedirect(t, "add", b.postForm("/users/"+m[0], "/users/"+m[0]+"/groups", url.Values{"group_id": {m[1]}}), "/users/"+m[0]+"#groups")
		}
		// Silver listed after Gold by its order number, whatever the
		// page's order.
		resp := b.postForm("/settings/smart-types", "/settings/smart-types", url.Values{"group": {silver, gold},
			"on." + gold: {"1"}, "on." + silver: {"1"}, "order." + silver: {"2"}, "order." + gold: {"1"}})
		wantRedirect(t, "save smart types", resp, "/settings/smart-types")
		list, _ := sqldb.NewGroupService(db).SmartTypes(context.Background())
		if fmt.Sprint(list) != fmt.Sprintf("[%s %s]", gold, silver) {
			t.Errorf("smart types = %v, want [%s %s]", list, gold, silver)
		}

		home := b.get("/")
		wantStatus(t, "dashboard", home, 200)
		for name, n := range map[string]string{"Gold": "1", "Silver": "1", "None": "1"} {
			re := regexp.MustCompile(`<th scope="row">` + name + `</th><td class="num"><a href="[^"]+">([^<]+)</a>`)
			if got := find(t, re, home.Body); got != n {
				t.Errorf("dashboard %s: %s, want %s", name, got, n)
			}
		}

		table := b.get("/users?cols=email,smart_type&q=email%3Aboth%40example.com")
		wantStatus(t, "table", table, 200)
		wantContains(t, "smart type column", table.Body, "Smart type", "<td class=\"\">\n          \n          Gold")
		filtered := b.get("/users?q=smart_type%3ASilver")
		if got := find(t, matchCount, filtered.Body); got != "1" {
			t.Errorf("smart_type:Silver matches %s, want 1", got)
		}
		wantContains(t, "profile smart type", b.get("/users/"+both).Body, `<strong id="smart-type">Gold</strong>`)
	})
}

func TestMonthPages(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ts := mustOpenServer(t, db)
		ada := ts.createUser(t, `{"email":"ada@example.com","first_name":"Ada"}`)
		bob := ts.createUser(t, `{"email":"bob@example.com","first_name":"Bob"}`)
		b := newBrowser(t, ts)
		b.signIn(roster.RoleManager, "/")

		resp := b.postForm("/member-of-the-month", "/member-of-the-month", url.Values{"month": {"2026-01"}, "user": {"ada@example.com"}, "citation": {"Ran the meetup"}})
		wantRedirect(t, "name", resp, "/member-of-the-month")
		resp = b.postForm("/member-of-the-month", "/member-of-the-month", url.Values{"month": {"2026-01"}, "user": {bob}, "citation": {"x"}})
		wantStatus(t, "name again without replace", resp, 422)
		wantContains(t, "name again", resp.Body, "2026-01 already has its Member of the Month. Tick “Replace”")
		if n := strings.Count(resp.Body, "already has its Member of the Month") + strings.Count(resp.Body, `class="sp-error"`); n != 1 {
			t.Errorf("name again: the conflict is said %d times, want once", n)
		}
		resp = b.postForm("/member-of-the-month", "/member-of-the-month", url.Values{"month": {"2026-02"}, "user": {"nobody@example.com"}})
		wantStatus(t, "unknown user", resp, 422)
		// Each problem is said once, next to its field.
		wantContains(t, "unknown user", resp.Body, "see the problems below", `<p class="sp-error">User is not a user&#39;s id or email</p>`)
		if n := strings.Count(resp.Body, "is not a user"); n != 1 {
			t.Errorf("unknown user: the problem is said %d times, want once:\n%s", n, resp.Body)
		}
		resp = b.postForm("/member-of-the-month", "/member-of-the-month", url.Values{"month": {"Jan"}, "user": {bob}})
		wantStatus(t, "bad month", resp, 422)
		if m := regexp.MustCompile(`<p class="sp-error">Month ([^<]+)</p>`).FindStringSubmatch(resp.Body); m == nil {
			t.Errorf("bad month: no error next to the Month field:\n%s", resp.Body)
		} else if n := strings.Count(resp.Body, m[1]); n != 1 {
			t.Errorf("bad month: %q is said %d times, want once", m[1], n)
		}
		resp = b.postForm("/member-of-the-month", "/member-of-the-month", url.Values{"month": {"2026-02"}, "user": {ada}, "citation": {"Again"}})
		wantRedirect(t, "second month", resp, "/member-of-the-month")

		page := b.get("/member-of-the-month")
		wantContains(t, "history", page.Body, "<td>2026-02</td><td><a href=\"/users/"+ada+"\">Ada</a></td><td>Again</td><td>manager@staff.example.com</td>",
			"<td>2026-01</td><td><a href=\"/users/"+ada+"\">Ada</a></td><td>Ran the meetup</td>")
		wantContains(t, "profile", b.get("/users/"+ada).Body, "<strong>2026-01</strong> — Ran the meetup")
		resp = b.postForm("/member-of-the-month", "/member-of-the-month", url.Values{"month": {"2026-01"}, "user": {bob}, "citation": {"Took over"}, "replace": {"1"}})
		wantRedirect(t, "replace", resp, "/member-of-the-month")
		wantContains(t, "history after replace", b.get("/member-of-the-month").Body, "<td>2026-01</td><td><a href=\"/users/"+bob+"\">Bob</a></td><td>Took over</td>")
	})
}
