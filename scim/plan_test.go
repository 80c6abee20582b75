package scim

import (
	"fmt"
	"strings"
	"testing"

	"roster"
	"roster/query"
)

// planString describes a plan: its groups (ORed predicates) and Nots.
func planString(p *query.Plan) string {
	pred := func(pr query.Pred) string {
		return fmt.Sprintf("%s %s %v%v", pr.Field.Key, pr.Op, pr.Strs, len(pr.Ranges))
	}
	var parts []string
	for _, g := range p.Groups {
		var alts []string
		for _, pr := range g {
			alts = append(alts, pred(pr))
		}
		parts = append(parts, "("+strings.Join(alts, " | ")+")")
	}
	for _, pr := range p.Not {
		parts = append(parts, "!"+pred(pr))
	}
	return strings.Join(parts, " & ")
}

func testRegistry() *roster.Registry {
	return roster.NewRegistry([]roster.Field{
		{Key: "department", Label: "Department", Type: roster.TypeText, Filterable: true, Sortable: true},
		{Key: "shoe_size", Label: "Shoe size", Type: roster.TypeNumber, Filterable: true, Sortable: true},
	})
}

func TestUserPlan(t *testing.T) {
	reg := testRegistry()
	for _, tc := range []struct{ filter, want string }{
		{`userName eq "Ann@X.io"`, `(email eq [ann@x.io]0)`},
		{`externalId eq "sso-1"`, `(client_id eq [sso-1]0)`},
		{`id eq "u_1"`, `(id eq [u_1]0)`},
		{`name.givenName co "an" and name.familyName pr`, `(first_name contains [an]0) & (last_name not_empty []0)`},
		{`userName eq "a@x.io" or externalId eq "a"`, `(email eq [a@x.io]0 | client_id eq [a]0)`},
		{`not (userName eq "a@x.io")`, `!email eq [a@x.io]0`},
		{`userName ne "a@x.io"`, `!email eq [a@x.io]0`},
		{`not (userName eq "a@x.io" or externalId eq "b")`, `!email eq [a@x.io]0 & !client_id eq [b]0`},
		{`active eq true`, `!status eq [banned]0`},
		{`active eq false`, `(status eq [banned]0)`},
		{`emails[type eq "work"].value eq "a@x.io"`, `(email eq [a@x.io]0)`},
		{`emails[type eq "work" and value co "@x.io"]`, `(email contains [@x.io]0)`},
		{`phoneNumbers[type eq "mobile"].value pr`, `(mobile_phone not_empty []0)`},
		{`userName sw "ann" or name.familyName ew "SEN"`, `(email starts [ann]0 | last_name ends [sen]0)`},
		{`phoneNumbers.value co "33"`, `(mobile_phone contains [33]0 | home_phone contains [33]0)`},
		{`meta.lastModified gt "2024-05-01T00:00:00Z"`, `(updated_at gt []1)`},
		{`urn:roster:params:scim:schemas:extension:2.0:User:shoe_size ge 40`, `(shoe_size ge []1)`},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "Ops"`, `(department eq [ops]0)`},
		{`(userName co "a" or userName co "b") and (externalId pr)`, `(email contains [a]0 | email contains [b]0) & (client_id not_empty []0)`},
	} {
		e, err := ParseFilter(tc.filter)
		if err != nil {
			t.Fatalf("%s: %v", tc.filter, err)
		}
		p, err := UserPlan(e, "", false, reg, Config{})
		if err != nil {
			t.Errorf("UserPlan(%s): %v", tc.filter, err)
			continue
		}
		if got := planString(p); got != tc.want {
			t.Errorf("UserPlan(%s) = %s, want %s", tc.filter, got, tc.want)
		}
	}
}

func TestUserPlanRefused(t *testing.T) {
	reg := testRegistry()
	for _, tc := range []struct{ filter, want string }{
		{`nickName eq "x"`, "nickName cannot be answered by the index"},
		{`urn:roster:params:scim:schemas:extension:2.0:User:nope eq "x"`, "nope cannot be answered"},
		{`userName eq "a" or not (externalId eq "b")`, "negation"},
		{`emails[type eq "home"].value eq "a"`, "one email, of type work"},
		{`name.givenName gt 5`, "name.givenName gt"},
		{`displayName eq "Ann"`, "displayName cannot be answered"},
		{`id co "u_"`, "id co"},
	} {
		e, err := ParseFilter(tc.filter)
		if err != nil {
			t.Fatalf("%s: %v", tc.filter, err)
		}
		_, err = UserPlan(e, "", false, reg, Config{})
		se, ok := err.(*Error)
		if !ok || se.ScimType != InvalidFilter || !strings.Contains(se.Detail, tc.want) {
			t.Errorf("UserPlan(%s) = %v, want invalidFilter with %q", tc.filter, err, tc.want)
		}
	}
	if _, err := UserPlan(nil, "name.familyName", true, reg, Config{}); err != nil {
		t.Errorf("sortBy name.familyName: %v", err)
	}
	if _, err := UserPlan(nil, "emails[type eq \"work\"]", false, reg, Config{}); err == nil {
		t.Errorf("sortBy of a value path: no error")
	}
}

func TestUserNameClientID(t *testing.T) {
	e, _ := ParseFilter(`userName eq "sso-7"`)
	p, err := UserPlan(e, "", false, testRegistry(), Config{UserName: "client_id"})
	if err != nil || planString(p) != `(client_id eq [sso-7]0)` {
		t.Errorf("userName as client_id: %v %v", planString(p), err)
	}
}

// TestUserPlanProbe: the identity providers' connection tests look up a
// userName that is no email (Entra ID sends a random GUID); the answer
// must be an empty list, not an error.
func TestUserPlanProbe(t *testing.T) {
	for _, f := range []string{`userName eq "5a2b9e9c-64a3-4a8e-9b8f-0d2f4c1e7a11"`, `externalId eq "5a2b9e9c"`, `emails[type eq "work"].value eq "not-an-email"`} {
		e, _ := ParseFilter(f)
		if _, err := UserPlan(e, "", false, testRegistry(), Config{}); err != nil {
			t.Errorf("UserPlan(%s): %v", f, err)
		}
	}
	if CheckUserName("email") != nil || CheckUserName("client_id") != nil || CheckUserName("") != nil || CheckUserName("phone") == nil {
		t.Errorf("CheckUserName accepts the wrong values")
	}
}
