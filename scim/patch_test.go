package scim

import (
	"encoding/json"
	"strings"
	"testing"
)

func mustRes(t *testing.T, s string) Resource {
	t.Helper()
	var r Resource
	if err := json.Unmarshal([]byte(s), &r); err != nil {
		t.Fatal(err)
	}
	return r
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestPatchApply(t *testing.T) {
	const base = `{"id":"u_1","userName":"a@x.io","name":{"givenName":"Ann"},"active":true,
		"emails":[{"value":"a@x.io","type":"work","primary":true}],
		"phoneNumbers":[{"value":"+33 1","type":"mobile"}],
		"members":[{"value":"u_1"},{"value":"u_2"}]}`
	for _, tc := range []struct {
		name, ops string
		want      map[string]string // attribute: its JSON after
	}{
		{"replace with path", `[{"op":"replace","path":"name.givenName","value":"Bea"}]`,
			map[string]string{"name": `{"givenName":"Bea"}`}},
		{"add without path", `[{"op":"add","value":{"name":{"familyName":"Lee"},"title":"Dr"}}]`,
			map[string]string{"name": `{"familyName":"Lee","givenName":"Ann"}`, "title": `"Dr"`}},
		{"replace without path, dotted keys (Entra ID)", `[{"op":"Replace","value":{"name.givenName":"Cy","active":"False"}}]`,
			map[string]string{"name": `{"givenName":"Cy"}`, "active": `"False"`}},
		{"capitalised op names (Entra ID)", `[{"op":"Add","path":"title","value":"Eng"},{"op":"Remove","path":"name.givenName"}]`,
			map[string]string{"title": `"Eng"`, "name": `{}`}},
		{"value path with sub-attribute", `[{"op":"replace","path":"emails[type eq \"work\"].value","value":"b@x.io"}]`,
			map[string]string{"emails": `[{"primary":true,"type":"work","value":"b@x.io"}]`}},
		{"filtered add creates the value (Entra ID)", `[{"op":"add","path":"phoneNumbers[type eq \"home\"].value","value":"+33 2"}]`,
			map[string]string{"phoneNumbers": `[{"type":"mobile","value":"+33 1"},{"type":"home","value":"+33 2"}]`}},
		{"remove with filter", `[{"op":"remove","path":"members[value eq \"u_1\"]"}]`,
			map[string]string{"members": `[{"value":"u_2"}]`}},
		{"add members appends once", `[{"op":"add","path":"members","value":[{"value":"u_2"},{"value":"u_3"}]}]`,
			map[string]string{"members": `[{"value":"u_1"},{"value":"u_2"},{"value":"u_3"}]`}},
		{"remove members by value (Entra ID)", `[{"op":"Remove","path":"members","value":[{"value":"u_2"}]}]`,
			map[string]string{"members": `[{"value":"u_1"}]`}},
		{"replace all members (Okta)", `[{"op":"replace","path":"members","value":[{"value":"u_9"}]}]`,
			map[string]string{"members": `[{"value":"u_9"}]`}},
		{"remove a whole attribute", `[{"op":"remove","path":"phoneNumbers"}]`,
			map[string]string{"phoneNumbers": `null`}},
		{"extension attribute by URI path", `[{"op":"add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department","value":"Ops"}]`,
			map[string]string{SchemaEnterprise: `{"department":"Ops"}`}},
		{"extension object without path", `[{"op":"add","value":{"urn:roster:params:scim:schemas:extension:2.0:User":{"shoe_size":42}}}]`,
			map[string]string{SchemaRoster: `{"shoe_size":42}`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := DecodePatch([]byte(`{"schemas":["` + SchemaPatch + `"],"Operations":` + tc.ops + `}`))
			if err != nil {
				t.Fatal(err)
			}
			res := mustRes(t, base)
			if err := req.Apply(res, "id"); err != nil {
				t.Fatal(err)
			}
			for k, want := range tc.want {
				if got := jsonOf(res[k]); got != want {
					t.Errorf("%s = %s, want %s", k, got, want)
				}
			}
		})
	}
}

func TestPatchErrors(t *testing.T) {
	for _, tc := range []struct{ body, scimType, want string }{
		{`{"Operations":[{"op":"add","path":"x","value":1}]}`, InvalidSyntax, "schemas"},
		{`{"schemas":["` + SchemaPatch + `"],"Operations":[]}`, InvalidSyntax, "at least one"},
		{`{"schemas":["` + SchemaPatch + `"],"Operations":[{"op":"move","path":"x"}]}`, InvalidSyntax, "not add, replace or remove"},
		{`{"schemas":["` + SchemaPatch + `"],"Operations":[{"op":"remove"}]}`, NoTarget, "needs a path"},
		{`{"schemas":["` + SchemaPatch + `"],"Operations":[{"op":"replace","path":"id","value":"u_9"}]}`, Mutability, "id is read-only"},
		{`{"schemas":["` + SchemaPatch + `"],"Operations":[{"op":"replace","path":"members[value eq \"nobody\"]","value":{"value":"x"}}]}`, NoTarget, "no value of members"},
		{`{"schemas":["` + SchemaPatch + `"],"Operations":[{"op":"replace","path":"emails[type eq","value":"x"}]}`, InvalidPath, "path"},
		{`{"schemas":["` + SchemaPatch + `"],"Operations":[{"op":"replace","value":"x"}]}`, InvalidValue, "object value"},
		{`{"schemas":["` + SchemaPatch + `"],"Operations":[{"op":"add","path":"title"}]}`, InvalidValue, "needs a value"},
	} {
		req, err := DecodePatch([]byte(tc.body))
		if err == nil {
			err = req.Apply(mustRes(t, `{"id":"u_1","members":[{"value":"u_1"}]}`), "id")
		}
		e, ok := err.(*Error)
		if !ok || e.ScimType != tc.scimType || !strings.Contains(e.Detail, tc.want) {
			t.Errorf("%s: got %v, want %s with %q", tc.body, err, tc.scimType, tc.want)
		}
	}
}

func TestSelection(t *testing.T) {
	res := mustRes(t, `{"schemas":["s"],"id":"u_1","meta":{"version":"v"},"userName":"a","name":{"givenName":"A","familyName":"B"},
		"emails":[{"value":"a@x","type":"work"}],"urn:roster:params:scim:schemas:extension:2.0:User":{"k":1,"j":2}}`)
	sel, err := ParseSelection("userName,name.givenName,emails.value,urn:roster:params:scim:schemas:extension:2.0:User:k", "")
	if err != nil {
		t.Fatal(err)
	}
	got := jsonOf(sel.Apply(res))
	want := `{"emails":[{"value":"a@x"}],"id":"u_1","meta":{"version":"v"},"name":{"givenName":"A"},"schemas":["s"],"urn:roster:params:scim:schemas:extension:2.0:User":{"k":1},"userName":"a"}`
	if got != want {
		t.Errorf("attributes: %s, want %s", got, want)
	}
	sel, _ = ParseSelection("", "name.familyName,emails,id")
	got = jsonOf(sel.Apply(res))
	want = `{"id":"u_1","meta":{"version":"v"},"name":{"givenName":"A"},"schemas":["s"],"urn:roster:params:scim:schemas:extension:2.0:User":{"j":2,"k":1},"userName":"a"}`
	if got != want {
		t.Errorf("excludedAttributes: %s, want %s", got, want)
	}
	if jsonOf(res["name"]) != `{"familyName":"B","givenName":"A"}` {
		t.Errorf("Apply changed the resource: %s", jsonOf(res["name"]))
	}
}
