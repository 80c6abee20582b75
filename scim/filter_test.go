package scim

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// show writes e back as a fully parenthesised filter, to compare parses.
func show(e Expr) string {
	switch x := e.(type) {
	case *Logical:
		return "(" + show(x.L) + " " + x.Op + " " + show(x.R) + ")"
	case *Not:
		return "not(" + show(x.X) + ")"
	case *ValuePath:
		return x.Path.String() + "[" + show(x.Filter) + "]"
	case *Compare:
		if x.Op == "pr" {
			return x.Path.String() + " pr"
		}
		v, _ := json.Marshal(x.Value)
		return x.Path.String() + " " + x.Op + " " + string(v)
	}
	return fmt.Sprintf("?%T", e)
}

func TestParseFilter(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`userName eq "bjensen"`, `userName eq "bjensen"`},
		{`userName Eq "bjensen"`, `userName eq "bjensen"`},
		{`name.familyName co "O'Malley"`, `name.familyName co "O'Malley"`},
		{`userName sw "J"`, `userName sw "J"`},
		{`urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J"`, `urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J"`},
		{`title pr`, `title pr`},
		{`meta.lastModified gt "2011-05-13T04:42:34Z"`, `meta.lastModified gt "2011-05-13T04:42:34Z"`},
		{`title pr and userType eq "Employee"`, `(title pr and userType eq "Employee")`},
		{`title pr or userType eq "Intern"`, `(title pr or userType eq "Intern")`},
		{`a eq 1 or b eq 2 and c eq 3`, `(a eq 1 or (b eq 2 and c eq 3))`},
		{`(a eq 1 or b eq 2) and c eq 3`, `((a eq 1 or b eq 2) and c eq 3)`},
		{`userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")`,
			`(userType eq "Employee" and (emails co "example.com" or emails.value co "example.org"))`},
		{`userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")`,
			`(userType ne "Employee" and not((emails co "example.com" or emails.value co "example.org")))`},
		{`emails[type eq "work" and value co "@example.com"]`, `emails[(type eq "work" and value co "@example.com")]`},
		{`emails[type eq "work"].value eq "a@b.c"`, `emails[(type eq "work" and value eq "a@b.c")]`},
		{`active eq True`, `active eq true`},
		{`x eq null`, `x eq null`},
		{`x ge -1.5e2`, `x ge -150`},
		{`x eq "quo\"te"`, `x eq "quo\"te"`},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "26118915-6090-4610-87e4-49d8ca9f808d"`,
			`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "26118915-6090-4610-87e4-49d8ca9f808d"`},
		{`not (a pr) and not (b pr)`, `(not(a pr) and not(b pr))`},
		{`members[value eq "u_1"]`, `members[value eq "u_1"]`},
	} {
		e, err := ParseFilter(tc.in)
		if err != nil {
			t.Errorf("ParseFilter(%s): %v", tc.in, err)
			continue
		}
		if got := show(e); got != tc.want {
			t.Errorf("ParseFilter(%s) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestParseFilterErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{``, "empty"},
		{`userName`, "ends too soon"},
		{`userName eq`, "ends too soon"},
		{`userName is "x"`, `"is" is not an operator`},
		{`userName eq bjensen`, "bjensen is not a value"},
		{`userName eq "x`, "not closed"},
		{`(userName eq "x"`, "( is not closed"},
		{`userName eq "x")`, "unexpected )"},
		{`emails[type eq "work"`, "[ is not closed"},
		{`a eq 1 and`, "ends too soon"},
		{`a eq 1 xor b eq 2`, "unexpected xor"},
		{`1abc eq 1`, "not an attribute path"},
		{`x eq NaN`, "not a value"},
		{`x eq "\q"`, "not valid"},
		{strings.Repeat("(", 60) + "a pr" + strings.Repeat(")", 60), "nested"},
		{strings.Repeat("a", MaxFilterLen+1), "longer than"},
	} {
		_, err := ParseFilter(tc.in)
		e, ok := err.(*Error)
		if !ok || e.ScimType != InvalidFilter || e.Status != 400 || !strings.Contains(e.Detail, tc.want) {
			t.Errorf("ParseFilter(%.40s) = %v, want invalidFilter with %q", tc.in, err, tc.want)
		}
	}
}

func TestMatch(t *testing.T) {
	var res Resource
	_ = json.Unmarshal([]byte(`{"userName":"BJensen","active":true,"name":{"familyName":"Jensen"},
		"emails":[{"value":"bjensen@example.com","type":"work"},{"value":"babs@jensen.org","type":"home"}],
		"meta":{"lastModified":"2024-05-13T04:42:34Z"},"count":5,
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"Tour Operations"}}`), &res)
	for _, tc := range []struct {
		f    string
		want bool
	}{
		{`userName eq "bjensen"`, true},
		{`userName ne "bjensen"`, false},
		{`userName sw "bj"`, true},
		{`userName ew "sen"`, true},
		{`userName co "jen"`, true},
		{`name.familyName eq "Jensen"`, true},
		{`emails[type eq "work" and value co "example.com"]`, true},
		{`emails[type eq "home" and value co "example.com"]`, false},
		{`emails[type eq "home"].value ew ".org"`, true},
		{`emails.value eq "babs@jensen.org"`, true},
		{`active eq true and not (userName eq "x")`, true},
		{`title pr`, false},
		{`meta.lastModified gt "2024-01-01T00:00:00Z"`, true},
		{`count ge 5 and count lt 6`, true},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "tour operations"`, true},
		{`title eq null`, true},
	} {
		e, err := ParseFilter(tc.f)
		if err != nil {
			t.Fatalf("%s: %v", tc.f, err)
		}
		if got := Match(e, res); got != tc.want {
			t.Errorf("Match(%s) = %v, want %v", tc.f, got, tc.want)
		}
	}
}

func FuzzParseFilter(f *testing.F) {
	for _, s := range []string{`userName eq "x"`, `a pr or (b gt 1 and not (c co "y"))`, `emails[type eq "work"].value sw "a"`, `x eq "\u00e9"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := ParseFilter(s)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("ParseFilter(%q): error %T, want *Error", s, err)
			}
			return
		}
		// What parses, written back, parses to the same tree.
		again, err := ParseFilter(show(e))
		if err != nil {
			t.Fatalf("ParseFilter(%q) = %s, which does not parse: %v", s, show(e), err)
		}
		if show(again) != show(e) {
			t.Fatalf("round trip of %q: %s then %s", s, show(e), show(again))
		}
		Match(e, Resource{"a": "x", "emails": []any{map[string]any{"value": "v"}}})
	})
}
