package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"

	"roster"
	"roster/sqldb"
	"roster/sqldb/sqldbtest"
	"roster/web"
)

// An independent SCIM client, written from RFC 7643 and RFC 7644 with
// net/http and encoding/json alone: it shares no type with the server.

const (
	rfcUserSchema  = "urn:ietf:params:scim:schemas:core:2.0:User"
	rfcGroupSchema = "urn:ietf:params:scim:schemas:core:2.0:Group"
	rfcPatchSchema = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	rfcListSchema  = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	rfcErrorSchema = "urn:ietf:params:scim:api:messages:2.0:Error"
	rfcEnterprise  = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	rosterExt      = "urn:roster:params:scim:schemas:extension:2.0:User"
)

type scimClient struct {
	t     *testing.T
	base  string
	token string
}

// scimReply is an answer: status, headers and the JSON body as a map.
type scimReply struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func (c *scimClient) do(method, path string, body any, headers ...string) scimReply {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		s, ok := body.(string)
		if !ok {
			b, _ := json.Marshal(body)
			s = string(b)
		}
		rd = strings.NewReader(s)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/scim+json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	r := scimReply{status: resp.StatusCode, header: resp.Header, raw: string(b)}
	if len(b) > 0 {
		if err := json.Unmarshal(b, &r.body); err != nil {
			c.t.Fatalf("%s %s: the body is not a JSON object: %s", method, path, b)
		}
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/scim+json") {
			c.t.Errorf("%s %s: Content-Type %q, want application/scim+json", method, path, ct)
		}
	}
	return r
}

// want fails unless the reply has status.
func (r scimReply) want(t *testing.T, status int) scimReply {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.raw)
	}
	return r
}

// wantError checks an error reply (RFC 7644 §3.12).
func (r scimReply) wantError(t *testing.T, status int, scimType, detail string) {
	t.Helper()
	r.want(t, status)
	schemas, _ := r.body["schemas"].([]any)
	if len(schemas) != 1 || schemas[0] != rfcErrorSchema {
		t.Errorf("error schemas %v, want [%s]", schemas, rfcErrorSchema)
	}
	if r.body["status"] != fmt.Sprint(status) {
		t.Errorf("error status %v, want %q", r.body["status"], fmt.Sprint(status))
	}
	if got, _ := r.body["scimType"].(string); got != scimType {
		t.Errorf("scimType %q, want %q: %s", got, scimType, r.raw)
	}
	if d, _ := r.body["detail"].(string); !strings.Contains(d, detail) {
		t.Errorf("detail %q lacks %q", d, detail)
	}
}

// get returns the value at a dotted path of v ("name.givenName",
// "emails.0.value").
func get(v any, path string) any {
	for _, p := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[p]
		case []any:
			var i int
			if _, err := fmt.Sscan(p, &i); err != nil || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

// ids returns the ids of a list response's resources, sorted unless keep.
func ids(r scimReply, keep bool) []string {
	var out []string
	list, _ := r.body["Resources"].([]any)
	for _, it := range list {
		out = append(out, fmt.Sprint(get(it, "id")))
	}
	if !keep {
		sort.Strings(out)
	}
	return out
}

func patchBody(ops ...string) string {
	return `{"schemas":["` + rfcPatchSchema + `"],"Operations":[` + strings.Join(ops, ",") + `]}`
}

func TestSCIMConformance(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ts := mustOpenServer(t, db)
		ctx := roster.NewContextWithActor(context.Background(), roster.Actor{Label: "test"})
		if err := sqldb.NewFieldService(db).CreateCustomField(ctx, &roster.Field{Key: "department", Label: "Department", Type: roster.TypeText}); err != nil {
			t.Fatal(err)
		}
		if err := sqldb.NewFieldService(db).CreateCustomField(ctx, &roster.Field{Key: "shoe_size", Label: "Shoe size", Type: roster.TypeNumber}); err != nil {
			t.Fatal(err)
		}
		c := &scimClient{t: t, base: ts.URL + "/scim/v2", token: ts.Tokens[roster.RoleAdmin]}

		t.Run("auth", func(t *testing.T) {
			anon := &scimClient{t: t, base: c.base}
			anon.do("GET", "/Users", nil).wantError(t, 401, "", "API token")
			bad := &scimClient{t: t, base: c.base, token: "nope"}
			bad.do("GET", "/Users", nil).want(t, 401)
			for _, role := range []roster.Role{roster.RoleManager, roster.RoleSupport, roster.RoleViewer} {
				other := &scimClient{t: t, base: c.base, token: ts.Tokens[role]}
				other.do("GET", "/Users", nil).wantError(t, 403, "", "does not allow")
			}
			owner := &scimClient{t: t, base: c.base, token: ts.Tokens[roster.RoleOwner]}
			owner.do("GET", "/ServiceProviderConfig", nil).want(t, 200)
		})

		t.Run("discovery", func(t *testing.T) {
			spc := c.do("GET", "/ServiceProviderConfig", nil).want(t, 200)
			for _, k := range []string{"patch.supported", "filter.supported", "sort.supported", "etag.supported"} {
				if get(spc.body, k) != true {
					t.Errorf("ServiceProviderConfig %s = %v", k, get(spc.body, k))
				}
			}
			rt := c.do("GET", "/ResourceTypes", nil).want(t, 200)
			if got := ids(rt, false); strings.Join(got, ",") != "Group,User" {
				t.Errorf("ResourceTypes %v", got)
			}
			sc := c.do("GET", "/Schemas", nil).want(t, 200)
			if !strings.Contains(sc.raw, `"shoe_size"`) || !strings.Contains(sc.raw, rfcEnterprise) {
				t.Errorf("Schemas lack the custom field or the enterprise extension: %.300s", sc.raw)
			}
			c.do("GET", "/Schemas/"+rfcUserSchema, nil).want(t, 200)
			c.do("GET", "/Nothing", nil).wantError(t, 404, "", "no SCIM endpoint")
		})

		// Users.
		create := func(userName, given, family string, extra map[string]any) map[string]any {
			t.Helper()
			body := map[string]any{"schemas": []string{rfcUserSchema}, "userName": userName,
				"name": map[string]any{"givenName": given, "familyName": family}, "active": true,
				"emails": []any{map[string]any{"value": userName, "type": "work", "primary": true}}}
			for k, v := range extra {
				body[k] = v
			}
			r := c.do("POST", "/Users", body).want(t, 201)
			if r.header.Get("Location") == "" || r.header.Get("ETag") == "" || r.header.Get("ETag") != get(r.body, "meta.version") {
				t.Errorf("create: Location %q, ETag %q, meta.version %v", r.header.Get("Location"), r.header.Get("ETag"), get(r.body, "meta.version"))
			}
			return r.body
		}
		ann := create("ann@example.com", "Ann", "Lee", map[string]any{
			"externalId":   "sso-ann",
			"phoneNumbers": []any{map[string]any{"value": "+33 6 12 34 56 78", "type": "mobile"}},
			rfcEnterprise:  map[string]any{"department": "Ops"},
			rosterExt:      map[string]any{"shoe_size": 38},
		})
		annID := ann["id"].(string)
		for path, want := range map[string]any{"userName": "ann@example.com", "externalId": "sso-ann", "name.givenName": "Ann",
			"active": true, "phoneNumbers.0.type": "mobile", "meta.resourceType": "User"} {
			if got := get(ann, path); got != want {
				t.Errorf("created user %s = %v, want %v", path, got, want)
			}
		}
		if get(ann[rfcEnterprise], "department") != "Ops" {
			t.Errorf("created user: the enterprise extension %v", ann[rfcEnterprise])
		}
		if get(ann[rosterExt], "shoe_size") != 38.0 {
			t.Errorf("created user: the Roster extension %v", get(ann, rosterExt))
		}
		var bobID string
		for i, n := range []string{"bob", "cid", "dee", "eve"} {
			u := create(n+"@example.com", strings.ToUpper(n[:1])+n[1:], "Zed", map[string]any{rosterExt: map[string]any{"shoe_size": 40 + i}})
			if n == "bob" {
				bobID = u["id"].(string)
			}
		}

		t.Run("create refusals", func(t *testing.T) {
			c.do("POST", "/Users", map[string]any{"schemas": []string{rfcUserSchema}, "userName": "ANN@example.com"}).wantError(t, 409, "uniqueness", "")
			c.do("POST", "/Users", map[string]any{"schemas": []string{rfcUserSchema}, "name": map[string]any{"givenName": "X"}}).wantError(t, 400, "invalidValue", "userName is required")
			c.do("POST", "/Users", map[string]any{"userName": "x@example.com", "emails": []any{map[string]any{"value": "a@example.com"}, map[string]any{"value": "b@example.com"}}}).
				wantError(t, 400, "invalidValue", "one email")
			c.do("POST", "/Users", map[string]any{"userName": "not an email"}).wantError(t, 400, "invalidValue", "email")
			c.do("POST", "/Users", map[string]any{"userName": "y@example.com", rfcEnterprise: map[string]any{"costCenter": "4130"}}).
				wantError(t, 400, "invalidValue", "cost_center")
			c.do("POST", "/Users", map[string]any{"userName": "z@example.com", "nickName": "Zee"}).wantError(t, 400, "invalidValue", "nick_name")
			c.do("POST", "/Users", `{"userName":`).wantError(t, 400, "invalidSyntax", "JSON object")
		})

		t.Run("get", func(t *testing.T) {
			r := c.do("GET", "/Users/"+annID, nil).want(t, 200)
			if r.header.Get("ETag") != ann["meta"].(map[string]any)["version"] {
				t.Errorf("ETag %q, want the version at creation %v", r.header.Get("ETag"), get(ann, "meta.version"))
			}
			c.do("GET", "/Users/u_nope", nil).wantError(t, 404, "", "")
			sel := c.do("GET", "/Users/"+annID+"?attributes=userName,name.familyName", nil).want(t, 200)
			if sel.body["emails"] != nil || get(sel.body, "name.givenName") != nil || get(sel.body, "name.familyName") != "Lee" || sel.body["id"] != annID {
				t.Errorf("attributes: %s", sel.raw)
			}
			ex := c.do("GET", "/Users/"+annID+"?excludedAttributes=emails,"+rosterExt, nil).want(t, 200)
			if ex.body["emails"] != nil || ex.body[rosterExt] != nil || ex.body["userName"] != "ann@example.com" {
				t.Errorf("excludedAttributes: %s", ex.raw)
			}
		})

		t.Run("filter", func(t *testing.T) {
			for _, tc := range []struct {
				filter string
				want   int
			}{
				{`userName eq "ANN@example.com"`, 1},
				{`externalId eq "sso-ann"`, 1},
				{`emails[type eq "work"].value eq "bob@example.com"`, 1},
				{`name.familyName eq "Zed"`, 4},
				{`name.familyName eq "Zed" and not (name.givenName eq "Bob")`, 3},
				{`name.givenName co "e" or externalId pr`, 3}, // ann (externalId), dee, eve
				{`urn:roster:params:scim:schemas:extension:2.0:User:shoe_size ge 42`, 2},
				{`active eq true`, 5},
				{`active eq false`, 0},
				{`id eq "` + bobID + `"`, 1},
				{`meta.created gt "2000-01-01T00:00:00Z"`, 5},
				{`userName sw "AN"`, 1},
				{`userName ew "@EXAMPLE.COM" and not (userName sw "bob")`, 4},
				{`name.familyName ew "ed"`, 4},
			} {
				r := c.do("GET", "/Users?filter="+url.QueryEscape(tc.filter), nil).want(t, 200)
				if r.body["totalResults"] != float64(tc.want) {
					t.Errorf("filter %s: totalResults %v, want %d", tc.filter, r.body["totalResults"], tc.want)
				}
				if s, _ := r.body["schemas"].([]any); len(s) != 1 || s[0] != rfcListSchema {
					t.Errorf("list schemas %v", s)
				}
			}
			c.do("GET", "/Users?filter="+url.QueryEscape(`nickName eq "x"`), nil).wantError(t, 400, "invalidFilter", "nickName")
			c.do("GET", "/Users?filter="+url.QueryEscape(`userName eq`), nil).wantError(t, 400, "invalidFilter", "ends too soon")
			c.do("GET", "/Users?colour=red", nil).wantError(t, 400, "invalidValue", "colour")
		})

		t.Run("sort and pagination", func(t *testing.T) {
			f := url.QueryEscape(`name.familyName eq "Zed"`)
			var seen []string
			for start := 1; start <= 4; start += 2 {
				r := c.do("GET", fmt.Sprintf("/Users?filter=%s&sortBy=userName&sortOrder=descending&startIndex=%d&count=2", f, start), nil).want(t, 200)
				if r.body["totalResults"] != 4.0 || r.body["itemsPerPage"] != 2.0 || r.body["startIndex"] != float64(start) {
					t.Errorf("page %d: %v %v %v", start, r.body["totalResults"], r.body["itemsPerPage"], r.body["startIndex"])
				}
				for _, it := range r.body["Resources"].([]any) {
					seen = append(seen, get(it, "userName").(string))
				}
			}
			if strings.Join(seen, ",") != "eve@example.com,dee@example.com,cid@example.com,bob@example.com" {
				t.Errorf("pages sorted by userName descending: %v", seen)
			}
			r := c.do("GET", "/Users?filter="+f+"&count=0", nil).want(t, 200)
			if r.body["totalResults"] != 4.0 || len(r.body["Resources"].([]any)) != 0 {
				t.Errorf("count=0: %s", r.raw)
			}
			r = c.do("GET", "/Users?filter="+f+"&startIndex=9", nil).want(t, 200)
			if r.body["totalResults"] != 4.0 || len(r.body["Resources"].([]any)) != 0 {
				t.Errorf("startIndex past the end: %s", r.raw)
			}
			c.do("GET", "/Users?sortBy="+url.QueryEscape(`emails[type eq "work"]`), nil).wantError(t, 400, "invalidValue", "sortBy")
		})

		t.Run("patch", func(t *testing.T) {
			r := c.do("PATCH", "/Users/"+annID, patchBody(
				`{"op":"replace","path":"name.givenName","value":"Anna"}`,
				`{"op":"add","path":"phoneNumbers[type eq \"home\"].value","value":"+33 1 23 45 67 89"}`,
				`{"op":"remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"}`,
			)).want(t, 200)
			if get(r.body, "name.givenName") != "Anna" || get(r.body, "phoneNumbers.1.value") != "+33 1 23 45 67 89" || r.body[rfcEnterprise] != nil {
				t.Errorf("patch: %s", r.raw)
			}
			if r.header.Get("ETag") == get(ann, "meta.version") {
				t.Errorf("the version did not change with the user")
			}
			// The email through its value path moves the userName.
			r = c.do("PATCH", "/Users/"+annID, patchBody(`{"op":"replace","path":"emails[type eq \"work\"].value","value":"anna@example.com"}`)).want(t, 200)
			if r.body["userName"] != "anna@example.com" {
				t.Errorf("patch of the email: userName %v", r.body["userName"])
			}
			c.do("PATCH", "/Users/"+annID, patchBody(`{"op":"replace","path":"id","value":"u_x"}`)).wantError(t, 400, "mutability", "id")
			c.do("PATCH", "/Users/"+annID, patchBody(`{"op":"replace","path":"emails[type eq","value":"x"}`)).wantError(t, 400, "invalidPath", "")
			c.do("PATCH", "/Users/"+annID, patchBody(`{"op":"remove"}`)).wantError(t, 400, "noTarget", "")
			c.do("PATCH", "/Users/"+annID, `{"Operations":[]}`).wantError(t, 400, "invalidSyntax", "schemas")
			c.do("PATCH", "/Users/"+annID, patchBody(`{"op":"replace","path":"name.givenName","value":5}`)).wantError(t, 400, "invalidValue", "name.givenName")
		})

		t.Run("Entra ID", func(t *testing.T) {
			// Capitalised op names, a path-less replace with dotted
			// keys and string booleans.
			r := c.do("PATCH", "/Users/"+bobID, patchBody(
				`{"op":"Replace","value":{"active":"False","name.familyName":"Brown"}}`,
				`{"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department","value":"Sales"}`,
			)).want(t, 200)
			if r.body["active"] != false || get(r.body, "name.familyName") != "Brown" || get(r.body[rfcEnterprise], "department") != "Sales" {
				t.Errorf("Entra ID patch: %s", r.raw)
			}
			st, out := ts.do(t, roster.RoleAdmin, "GET", "/api/v1/users/"+bobID, "")
			if st != 200 || !strings.Contains(out, `"status":"banned"`) {
				t.Errorf("active False: the user's status: %d %s", st, out)
			}
			r = c.do("PATCH", "/Users/"+bobID, patchBody(`{"op":"Replace","path":"active","value":"True"}`)).want(t, 200)
			if r.body["active"] != true {
				t.Errorf("active True: %s", r.raw)
			}
			c.do("PATCH", "/Users/"+bobID, patchBody(`{"op":"Replace","path":"active","value":"maybe"}`)).wantError(t, 400, "invalidValue", "active")
		})

		t.Run("put and ETags", func(t *testing.T) {
			cur := c.do("GET", "/Users/"+annID, nil).want(t, 200)
			etag := cur.header.Get("ETag")
			body := map[string]any{"schemas": []string{rfcUserSchema}, "userName": "anna@example.com", "name": map[string]any{"givenName": "Anna", "familyName": "Lee"}, "active": true}
			c.do("PUT", "/Users/"+annID, body, "If-Match", `W/"stale"`).wantError(t, 412, "", "changed")
			r := c.do("PUT", "/Users/"+annID, body, "If-Match", etag).want(t, 200)
			// PUT replaces: what it leaves out is gone.
			if r.body["externalId"] != nil || r.body["phoneNumbers"] != nil {
				t.Errorf("PUT kept what it left out: %s", r.raw)
			}
			c.do("PATCH", "/Users/"+annID, patchBody(`{"op":"add","path":"title","value":"x"}`), "If-Match", etag).wantError(t, 412, "", "")
			if again := c.do("GET", "/Users/"+annID, nil, "If-None-Match", r.header.Get("ETag")); again.status != http.StatusNotModified {
				t.Errorf("If-None-Match with the current version: %d", again.status)
			}
		})

		// Groups.
		var eng string
		t.Run("groups", func(t *testing.T) {
			r := c.do("POST", "/Groups", map[string]any{"schemas": []string{rfcGroupSchema}, "displayName": "Engineering", "externalId": "ext-eng",
				"members": []any{map[string]any{"value": annID}, map[string]any{"value": bobID}}}).want(t, 201)
			eng = r.body["id"].(string)
			if r.body["externalId"] != "ext-eng" || len(r.body["members"].([]any)) != 2 || r.header.Get("ETag") == "" {
				t.Errorf("created group: %s", r.raw)
			}
			c.do("POST", "/Groups", map[string]any{"displayName": "Engineering"}).wantError(t, 409, "uniqueness", "")
			c.do("POST", "/Groups", map[string]any{"displayName": "Ghosts", "members": []any{map[string]any{"value": "u_nobody"}}}).wantError(t, 400, "invalidValue", "u_nobody")
			// A refused member refuses the whole write: no group is left behind.
			if l := c.do("GET", "/Groups?filter="+url.QueryEscape(`displayName eq "Ghosts"`), nil).want(t, 200); l.body["totalResults"] != 0.0 {
				t.Errorf("a group with an unknown member was created: %s", l.raw)
			}
			c.do("POST", "/Groups", map[string]any{"displayName": "Sales"}).want(t, 201)

			l := c.do("GET", "/Groups?filter="+url.QueryEscape(`displayName eq "engineering"`), nil).want(t, 200)
			if l.body["totalResults"] != 1.0 || ids(l, false)[0] != eng {
				t.Errorf("group filter: %s", l.raw)
			}
			l = c.do("GET", "/Groups?filter="+url.QueryEscape(`members[value eq "`+bobID+`"]`)+"&excludedAttributes=members", nil).want(t, 200)
			if l.body["totalResults"] != 1.0 || get(l.body, "Resources.0.members") != nil {
				t.Errorf("group filter by member, members excluded: %s", l.raw)
			}
			l = c.do("GET", "/Groups?sortBy=displayName&sortOrder=descending&count=1", nil).want(t, 200)
			if l.body["totalResults"] != 2.0 || get(l.body, "Resources.0.displayName") != "Sales" {
				t.Errorf("groups sorted: %s", l.raw)
			}

			// Remove one member by a filtered path, add one.
			cid := ids(c.do("GET", "/Users?filter="+url.QueryEscape(`userName eq "cid@example.com"`), nil).want(t, 200), false)[0]
			r = c.do("PATCH", "/Groups/"+eng, patchBody(
				`{"op":"remove","path":"members[value eq \"`+annID+`\"]"}`,
				`{"op":"add","path":"members","value":[{"value":"`+cid+`"}]}`,
			)).want(t, 200)
			if got := memberIDs(r.body); got != strings.Join(sorted(bobID, cid), ",") {
				t.Errorf("after patch, members %s", got)
			}
			// Entra ID: Remove with the members in value.
			r = c.do("PATCH", "/Groups/"+eng, patchBody(`{"op":"Remove","path":"members","value":[{"value":"`+bobID+`"}]}`)).want(t, 200)
			if got := memberIDs(r.body); got != cid {
				t.Errorf("Entra ID remove: members %s", got)
			}
			// Okta: replace the whole members list.
			r = c.do("PATCH", "/Groups/"+eng, patchBody(`{"op":"replace","path":"members","value":[{"value":"`+annID+`"},{"value":"`+bobID+`"}]}`)).want(t, 200)
			if got := memberIDs(r.body); got != strings.Join(sorted(annID, bobID), ",") {
				t.Errorf("Okta replace: members %s", got)
			}
			// Okta renames with a path-less replace.
			r = c.do("PATCH", "/Groups/"+eng, patchBody(`{"op":"replace","value":{"id":"`+eng+`","displayName":"Platform"}}`))
			if r.status != 400 {
				t.Errorf("a replace of id: %d %s", r.status, r.raw)
			}
			r = c.do("PATCH", "/Groups/"+eng, patchBody(`{"op":"replace","value":{"displayName":"Platform"}}`)).want(t, 200)
			if r.body["displayName"] != "Platform" {
				t.Errorf("rename: %s", r.raw)
			}
			etag := r.header.Get("ETag")
			c.do("PUT", "/Groups/"+eng, map[string]any{"displayName": "Platform"}, "If-Match", `W/"old"`).wantError(t, 412, "", "")
			// A PUT naming an unknown member changes nothing, the name neither.
			c.do("PUT", "/Groups/"+eng, map[string]any{"displayName": "Renamed", "members": []any{map[string]any{"value": "u_nobody"}}}).wantError(t, 400, "invalidValue", "u_nobody")
			if g := c.do("GET", "/Groups/"+eng, nil).want(t, 200); g.body["displayName"] != "Platform" || g.header.Get("ETag") != etag {
				t.Errorf("a refused PUT changed the group: %s", g.raw)
			}
			r = c.do("PUT", "/Groups/"+eng, map[string]any{"schemas": []string{rfcGroupSchema}, "displayName": "Platform", "members": []any{map[string]any{"value": cid}}}, "If-Match", etag).want(t, 200)
			if got := memberIDs(r.body); got != cid || r.body["externalId"] != nil {
				t.Errorf("PUT group: %s", r.raw)
			}
			// The memberships are Roster's: the user's groups show it.
			st, out := ts.do(t, roster.RoleAdmin, "GET", "/api/v1/users/"+cid, "")
			if st != 200 || !strings.Contains(out, `"name":"Platform"`) {
				t.Errorf("the member's groups: %d %s", st, out)
			}
			c.do("GET", "/Groups/999999", nil).wantError(t, 404, "", "")
			c.do("GET", "/Groups/abc", nil).wantError(t, 404, "", "")
		})

		t.Run("delete", func(t *testing.T) {
			c.do("DELETE", "/Groups/"+eng, nil).want(t, 204)
			c.do("GET", "/Groups/"+eng, nil).wantError(t, 404, "", "")
			c.do("DELETE", "/Users/"+bobID, nil, "If-Match", `W/"old"`).wantError(t, 412, "", "")
			c.do("DELETE", "/Users/"+bobID, nil).want(t, 204)
			c.do("GET", "/Users/"+bobID, nil).wantError(t, 404, "", "")
			c.do("DELETE", "/Users/"+bobID, nil).wantError(t, 404, "", "")
		})

		t.Run("audited via scim", func(t *testing.T) {
			entries, err := sqldb.NewAuditService(db).FindAuditEntries(ctx, roster.AuditFilter{TargetID: annID})
			if err != nil {
				t.Fatal(err)
			}
			scimEntries := 0
			for _, e := range entries {
				if strings.HasPrefix(e.Note, "via: scim") {
					scimEntries++
					if e.Actor != "admin@staff.example.com" || e.ActorID == 0 {
						t.Errorf("entry %s by %q (%d), want the token's staff", e.Action, e.Actor, e.ActorID)
					}
				}
			}
			if scimEntries < 4 {
				t.Errorf("%d entries via scim for the user, want the create, the patches and the put", scimEntries)
			}
		})
	})
}

func memberIDs(group map[string]any) string {
	var out []string
	list, _ := group["members"].([]any)
	for _, m := range list {
		out = append(out, fmt.Sprint(get(m, "value")))
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

func sorted(s ...string) []string {
	sort.Strings(s)
	return s
}

// TestSCIMUserNameClientID maps userName to the client id.
func TestSCIMUserNameClientID(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ts := mustOpenServerWith(t, db, func(s *web.Server) { s.SCIMUserName = "client_id" })
		c := &scimClient{t: t, base: ts.URL + "/scim/v2", token: ts.Tokens[roster.RoleAdmin]}
		r := c.do("POST", "/Users", map[string]any{"userName": "sso-42", "emails": []any{map[string]any{"value": "x42@example.com", "primary": true}}}).want(t, 201)
		if r.body["userName"] != "sso-42" || r.body["externalId"] != "sso-42" || get(r.body, "emails.0.value") != "x42@example.com" {
			t.Errorf("userName as client id: %s", r.raw)
		}
		l := c.do("GET", "/Users?filter="+url.QueryEscape(`userName eq "sso-42"`), nil).want(t, 200)
		if l.body["totalResults"] != 1.0 {
			t.Errorf("filter on userName: %s", l.raw)
		}
	})
}
