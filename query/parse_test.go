package query

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"roster"
)

func cond(field string, op Op, neg bool, pos int, vals ...string) Cond {
	return Cond{Field: field, Op: op, Values: vals, Negate: neg, Pos: pos}
}

func TestParse(t *testing.T) {
	tests := []struct {
		in      string
		words   []string
		wordPos []int
		conds   []Cond
		str     string // canonical String(); "" means the input itself
	}{
		{in: ""},
		{in: "   \t\n "},
		{in: "york", words: []string{"york"}, wordPos: []int{0}},
		{in: "  new   york ", words: []string{"new", "york"}, wordPos: []int{2, 8}, str: "new york"},
		{in: `"new york"`, words: []string{"new york"}, wordPos: []int{0}},
		{in: `a "new york" b`, words: []string{"a", "new york", "b"}, wordPos: []int{0, 2, 13}},
		{in: "Zoé 山田", words: []string{"Zoé", "山田"}, wordPos: []int{0, 5}},
		{in: "Zoé\u00a0山田\u3000x", words: []string{"Zoé", "山田", "x"}, wordPos: []int{0, 6, 15}, str: "Zoé 山田 x"},
		{in: "10:30 -5 -word a,b c+d 1..2 O'Brien", words: []string{"10:30", "-5", "-word", "a,b", "c+d", "1..2", "O'Brien"}, wordPos: []int{0, 6, 9, 15, 19, 23, 28}},
		{in: `foo"bar`, words: []string{`foo"bar`}, wordPos: []int{0}, str: `"foo\"bar"`},
		{in: `"say \"hi\" \\o/"`, words: []string{`say "hi" \o/`}, wordPos: []int{0}},
		{in: `"a\b"`, words: []string{`a\b`}, wordPos: []int{0}, str: `"a\\b"`},
		{in: `""`, words: []string{""}, wordPos: []int{0}},
		{in: `"city:x" "-a:b"`, words: []string{"city:x", "-a:b"}, wordPos: []int{0, 9}},
		{in: "none any", words: []string{"none", "any"}, wordPos: []int{0, 5}},

		{in: "country:FR", conds: []Cond{cond("country", OpEq, false, 0, "FR")}},
		{in: "Country:fr", conds: []Cond{cond("Country", OpEq, false, 0, "fr")}},
		{in: "country:FR,BE", conds: []Cond{cond("country", OpEq, false, 0, "FR", "BE")}},
		{in: "country:FR country:BE", conds: []Cond{cond("country", OpEq, false, 0, "FR"), cond("country", OpEq, false, 11, "BE")}},
		{in: "tags:a+b", conds: []Cond{cond("tags", OpAll, false, 0, "a", "b")}},
		{in: "tags:a+b+c", conds: []Cond{cond("tags", OpAll, false, 0, "a", "b", "c")}},
		{in: "-tags:a,b", conds: []Cond{cond("tags", OpEq, true, 0, "a", "b")}},
		{in: "tag:vip", conds: []Cond{cond("tag", OpEq, false, 0, "vip")}},
		{in: `city:"New York"`, conds: []Cond{cond("city", OpEq, false, 0, "New York")}},
		{in: `city:"New York","Los Angeles"`, conds: []Cond{cond("city", OpEq, false, 0, "New York", "Los Angeles")}},
		{in: `city:"New York",Paris`, conds: []Cond{cond("city", OpEq, false, 0, "New York", "Paris")}},
		{in: `tags:"a,b"`, conds: []Cond{cond("tags", OpEq, false, 0, "a,b")}},
		{in: `tags:"a+b"`, conds: []Cond{cond("tags", OpEq, false, 0, "a+b")}},
		{in: `tags:"a b"+c`, conds: []Cond{cond("tags", OpAll, false, 0, "a b", "c")}},
		{in: `bio:"say \"hi\""`, conds: []Cond{cond("bio", OpEq, false, 0, `say "hi"`)}},
		{in: `city:""`, conds: []Cond{cond("city", OpEq, false, 0, "")}},
		{in: "created_at:2025-03-01..2025-03-31", conds: []Cond{cond("created_at", OpBetween, false, 0, "2025-03-01", "2025-03-31")}},
		{in: `created_at:"2025-03-01".."2025-03-31"`, conds: []Cond{cond("created_at", OpBetween, false, 0, "2025-03-01", "2025-03-31")}, str: "created_at:2025-03-01..2025-03-31"},
		{in: `points:1.5..2.5`, conds: []Cond{cond("points", OpBetween, false, 0, "1.5", "2.5")}},
		{in: `points:-5..-1`, conds: []Cond{cond("points", OpBetween, false, 0, "-5", "-1")}},
		{in: `points:""..5`, conds: []Cond{cond("points", OpBetween, false, 0, "", "5")}},
		{in: "points:100..", conds: []Cond{cond("points", OpGe, false, 0, "100")}, str: "points:>=100"},
		{in: "points:..10", conds: []Cond{cond("points", OpLe, false, 0, "10")}, str: "points:<=10"},
		{in: "points:>5000", conds: []Cond{cond("points", OpGt, false, 0, "5000")}},
		{in: "points:>=5000", conds: []Cond{cond("points", OpGe, false, 0, "5000")}},
		{in: "points:<5000", conds: []Cond{cond("points", OpLt, false, 0, "5000")}},
		{in: "points:<=5000", conds: []Cond{cond("points", OpLe, false, 0, "5000")}},
		{in: `points:>"5"`, conds: []Cond{cond("points", OpGt, false, 0, "5")}, str: "points:>5"},
		{in: "last_login:>=2025-03-01T10:00:00Z", conds: []Cond{cond("last_login", OpGe, false, 0, "2025-03-01T10:00:00Z")}},
		{in: "email:~gmail", conds: []Cond{cond("email", OpContains, false, 0, "gmail")}},
		{in: "email:^ann,bob", conds: []Cond{cond("email", OpPrefix, false, 0, "ann", "bob")}},
		{in: "email:$@example.com", conds: []Cond{cond("email", OpSuffix, false, 0, "@example.com")}},
		{in: `city:"^Paris"`, conds: []Cond{cond("city", OpEq, false, 0, "^Paris")}},
		{in: "bio:~cat,dog", conds: []Cond{cond("bio", OpContains, false, 0, "cat", "dog")}},
		{in: "bio:~c++", conds: []Cond{cond("bio", OpContains, false, 0, "c++")}, str: `bio:~"c++"`},
		{in: "bio:~a+b,1..2", conds: []Cond{cond("bio", OpContains, false, 0, "a+b", "1..2")}, str: `bio:~"a+b","1..2"`},
		{in: "bio:none", conds: []Cond{cond("bio", OpEmpty, false, 0)}},
		{in: "bio:NONE", conds: []Cond{cond("bio", OpEmpty, false, 0)}, str: "bio:none"},
		{in: "bio:any", conds: []Cond{cond("bio", OpNotEmpty, false, 0)}},
		{in: "-bio:none", conds: []Cond{cond("bio", OpEmpty, true, 0)}},
		{in: `bio:"none"`, conds: []Cond{cond("bio", OpEq, false, 0, "none")}},
		{in: `bio:"Any"`, conds: []Cond{cond("bio", OpEq, false, 0, "Any")}},
		{in: `bio:nonexistent`, conds: []Cond{cond("bio", OpEq, false, 0, "nonexistent")}},
		{in: `bio:none,x`, conds: []Cond{cond("bio", OpEq, false, 0, "none", "x")}, str: `bio:"none",x`},
		{in: `bio:~none`, conds: []Cond{cond("bio", OpContains, false, 0, "none")}, str: `bio:~"none"`},
		{in: "mobile_phone:+33612345678", conds: []Cond{cond("mobile_phone", OpEq, false, 0, "+33612345678")}},
		{in: "mobile_phone:+33612,+44", conds: []Cond{cond("mobile_phone", OpEq, false, 0, "+33612", "+44")}},
		{in: `mobile_phone:"+33 6 12"`, conds: []Cond{cond("mobile_phone", OpEq, false, 0, "+33 6 12")}},
		{in: "tags:+a+b", conds: []Cond{cond("tags", OpAll, false, 0, "+a", "b")}},
		{in: `tags:a+"+b"`, conds: []Cond{cond("tags", OpAll, false, 0, "a", "+b")}},
		{in: "tags:c++", conds: []Cond{cond("tags", OpEq, false, 0, "c++")}, str: `tags:"c++"`},
		{in: "tags:a+,b", conds: []Cond{cond("tags", OpEq, false, 0, "a+", "b")}, str: `tags:"a+",b`},
		{in: "city:-x", conds: []Cond{cond("city", OpEq, false, 0, "-x")}},
		{in: `city:a"b`, conds: []Cond{cond("city", OpEq, false, 0, `a"b`)}, str: `city:"a\"b"`},
		{in: "url:http://x.com/a?b=c", conds: []Cond{cond("url", OpEq, false, 0, "http://x.com/a?b=c")}},
		{in: "_x1:y", conds: []Cond{cond("_x1", OpEq, false, 0, "y")}},

		{
			in:      `vip -tags:churned country:FR,BE "new york" points:>=10 Zoé`,
			words:   []string{"vip", "new york", "Zoé"},
			wordPos: []int{0, 32, 55},
			conds: []Cond{
				cond("tags", OpEq, true, 4, "churned"),
				cond("country", OpEq, false, 18, "FR", "BE"),
				cond("points", OpGe, false, 43, "10"),
			},
			str: `vip "new york" Zoé -tags:churned country:FR,BE points:>=10`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			f, err := Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			if !slices.Equal(f.Words, tt.words) || !slices.Equal(f.WordPos, tt.wordPos) {
				t.Errorf("words %q at %v, want %q at %v", f.Words, f.WordPos, tt.words, tt.wordPos)
			}
			if len(f.WordPos) != len(f.Words) {
				t.Errorf("%d words, %d positions", len(f.Words), len(f.WordPos))
			}
			if len(f.Conds) != len(tt.conds) {
				t.Fatalf("conds %+v, want %+v", f.Conds, tt.conds)
			}
			for i, c := range f.Conds {
				w := tt.conds[i]
				if c.Field != w.Field || c.Op != w.Op || c.Negate != w.Negate || c.Pos != w.Pos || !slices.Equal(c.Values, w.Values) {
					t.Errorf("cond %d = %+v, want %+v", i, c, w)
				}
			}
			want := tt.str
			if want == "" {
				want = tt.in
			}
			if strings.TrimSpace(tt.in) == "" {
				want = ""
			}
			s := f.String()
			if s != want {
				t.Errorf("String() = %s, want %s", s, want)
			}
			g, err := Parse(s)
			if err != nil {
				t.Fatalf("Parse(String() = %q): %v", s, err)
			}
			if d := filterDiff(f, g); d != "" {
				t.Errorf("round trip through %q: %s", s, d)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		in   string
		pos  int
		want string // in the message
	}{
		{`"new york`, 0, "unterminated quote"},
		{`a "new york`, 2, "unterminated quote"},
		{`Zoé city:"New York`, 10, "unterminated quote"},
		{`city:"New York","LA`, 16, "unterminated quote"},
		{`city:"a\"`, 5, "unterminated quote"},
		{`x:a y:~"b`, 7, "unterminated quote"},
		{`"new york"x`, 10, "after a closing quote"},
		{`city:"New York"x`, 15, "after a closing quote"},
		{`bio:~"a"..b`, 8, "after a closing quote"},
		{`city:`, 5, "a value is required after city:"},
		{`a city: b`, 7, "a value is required after city:"},
		{`-city:`, 6, "a value is required after city:"},
		{`city:,`, 5, "a value is required after city:"},
		{`city:a,`, 7, "a value is required after city:"},
		{`city:a,,b`, 7, "a value is required after city:"},
		{`city:,a`, 5, "a value is required after city:"},
		{`tags:a+"b"+`, 11, "a value is required after tags:"},
		{`tags:"a",`, 9, "a value is required after tags:"},
		{`points:..`, 7, "a value is required after points:"},
		{`points:>`, 8, "a value is required after points:"},
		{`points:>=`, 9, "a value is required after points:"},
		{`bio:~`, 5, "a value is required after bio:"},
		{`bio:~a,`, 7, "a value is required after bio:"},
		{`tags:a,b+c`, 8, "mix of , and + : use separate conditions"},
		{`tags:a+b,c`, 8, "mix of , and + : use separate conditions"},
		{`points:1..2..3`, 11, "a range takes two values"},
		{`points:1,2..3`, 8, "a range takes two values"},
		{`points:>5,6`, 9, "a comparison takes one value"},
		{`points:>1..2`, 9, "a comparison takes one value"},
		{"ok \xff", 3, "UTF-8"},
		{strings.Repeat("a", MaxFilterLen+1), MaxFilterLen, "longer than 4096 bytes"},
		{strings.Repeat("a ", MaxFilterTerms) + "b", 2 * MaxFilterTerms, "at most 100"},
		{strings.Repeat("x:a ", MaxFilterTerms) + "b", 4 * MaxFilterTerms, "at most 100"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			f, err := Parse(tt.in)
			if err == nil {
				t.Fatalf("Parse(%q) = %+v, want an error", tt.in, f)
			}
			var e *roster.Error
			if !errors.As(err, &e) || e.Code != roster.EINVALID {
				t.Fatalf("error %v is not an EINVALID *roster.Error", err)
			}
			if e.Position != tt.pos {
				t.Errorf("Position %d, want %d (%s)", e.Position, tt.pos, e.Message)
			}
			if !strings.Contains(e.Message, tt.want) {
				t.Errorf("message %q does not contain %q", e.Message, tt.want)
			}
		})
	}
	// Exactly at the limits is fine.
	if _, err := Parse(strings.Repeat("a", MaxFilterLen)); err != nil {
		t.Error(err)
	}
	if _, err := Parse(strings.TrimSpace(strings.Repeat("a ", MaxFilterTerms))); err != nil {
		t.Error(err)
	}
}

// TestStringQuoting checks String on filters that Parse cannot produce as
// such (built in code or from JSON).
func TestStringQuoting(t *testing.T) {
	tests := []struct {
		f    Filter
		want string
	}{
		{Filter{Words: []string{"", " ", "a b", `"`, `\`, "x:y", "-x:y", "10:30", "-5", "é:x"}},
			`"" " " "a b" "\"" "\\" "x:y" "-x:y" 10:30 -5 é:x`},
		{Filter{Conds: []Cond{cond("c", OpEq, false, -1, "^a", "$a"), cond("c", OpPrefix, false, -1, "^a", "b"), cond("c", OpSuffix, true, -1, "$", "a$")}},
			`c:"^a","$a" c:^"^a",b -c:$"$",a$`},
		{Filter{Conds: []Cond{cond("c", OpEq, false, -1, "", " ", ">a", "<a", "~a", "none", "ANY", "a..b", "a,b", "a+b", `a"b`, `a\b`, "-a", "a:b", "+1", "++1", "1+")}},
			`c:""," ",">a","<a","~a","none","ANY","a..b","a,b","a+b","a\"b","a\\b",-a,a:b,+1,"++1","1+"`},
		{Filter{Conds: []Cond{cond("t", OpAll, true, -1, "+a", "+b", "c")}}, `-t:+a+"+b"+c`},
		{Filter{Conds: []Cond{cond("t", OpBetween, false, -1, "", "a..b")}}, `t:"".."a..b"`},
		{Filter{Conds: []Cond{cond("t", OpEmpty, false, -1), cond("t", OpNotEmpty, true, -1)}}, `t:none -t:any`},
	}
	for _, tt := range tests {
		s := tt.f.String()
		if s != tt.want {
			t.Errorf("String() = %s\nwant       %s", s, tt.want)
		}
		g, err := Parse(s)
		if err != nil {
			t.Errorf("Parse(%s): %v", s, err)
			continue
		}
		if d := filterDiff(tt.f, g); d != "" {
			t.Errorf("round trip through %s: %s", s, d)
		}
	}
}

func TestParseJSON(t *testing.T) {
	tests := []struct {
		in   string
		want Filter
	}{
		{`{}`, Filter{}},
		{` {"words": null, "conditions": null} `, Filter{}},
		{`{"q": "york country:FR,BE"}`, Filter{Words: []string{"york"}, Conds: []Cond{cond("country", OpEq, false, 5, "FR", "BE")}}},
		{`{"q": null}`, Filter{}},
		{`{"words": ["new york", "Zoé"], "conditions": [
			{"field": "country", "op": "eq", "values": ["FR","BE"], "negate": false},
			{"field": "tags", "op": "all", "values": ["a", "b"], "negate": true},
			{"field": "points", "op": "ge", "values": [5000]},
			{"field": "points", "op": "between", "values": [1.5, -2e3]},
			{"field": "newsletter", "values": [true]},
			{"field": "bio", "op": "empty"}]}`,
			Filter{Words: []string{"new york", "Zoé"}, Conds: []Cond{
				cond("country", OpEq, false, -1, "FR", "BE"),
				cond("tags", OpAll, true, -1, "a", "b"),
				cond("points", OpGe, false, -1, "5000"),
				cond("points", OpBetween, false, -1, "1.5", "-2e3"),
				cond("newsletter", OpEq, false, -1, "true"),
				cond("bio", OpEmpty, false, -1),
			}}},
	}
	for _, tt := range tests {
		f, err := ParseJSON([]byte(tt.in))
		if err != nil {
			t.Errorf("ParseJSON(%s): %v", tt.in, err)
			continue
		}
		if d := filterDiff(tt.want, f); d != "" {
			t.Errorf("ParseJSON(%s): %s", tt.in, d)
		}
		for i, c := range f.Conds {
			if c.Pos != tt.want.Conds[i].Pos {
				t.Errorf("ParseJSON(%s): cond %d at %d, want %d", tt.in, i, c.Pos, tt.want.Conds[i].Pos)
			}
		}
	}

	errs := []struct{ in, want string }{
		{``, "JSON object"},
		{`null`, "JSON object"},
		{`["q"]`, "JSON object"},
		{`{"q": "a"`, "not valid JSON"},
		{`{"q": "a"} x`, "not valid JSON"},
		{`{"Q": "a"}`, `unknown member "Q"`},
		{`{"q": "a", "words": []}`, "cannot be combined"},
		{`{"q": 5}`, "q must be a string"},
		{`{"q": "city:"}`, "a value is required after city:"},
		{`{"words": "a"}`, "words must be an array of strings"},
		{`{"words": [null]}`, "words[0] must be a string"},
		{`{"words": [{}]}`, "words[0] must be a string"},
		{`{"conditions": {}}`, "conditions must be an array"},
		{`{"conditions": [null]}`, "conditions[0] must be an object"},
		{`{"conditions": [5]}`, "conditions[0] must be an object"},
		{`{"conditions": [{"field": "a", "values": ["x"], "extra": 1}]}`, `conditions[0]: unknown member "extra"`},
		{`{"conditions": [{"field": "a", "op": "like"}]}`, `op "like" is not one of eq, all, contains, starts, ends, lt, le, gt, ge, between, empty, not_empty`},
		{`{"conditions": [{"field": "a", "op": 1}]}`, `op must be a string`},
		{`{"conditions": [{"op": "eq", "values": ["x"]}]}`, `field is required`},
		{`{"conditions": [{"field": "a b", "values": ["x"]}]}`, `field "a b" is not a field name`},
		{`{"conditions": [{"field": "1a", "values": ["x"]}]}`, `field "1a" is not a field name`},
		{`{"conditions": [{"field": 3}]}`, `field must be a string`},
		{`{"conditions": [{"field": "a", "values": "x"}]}`, `values must be an array`},
		{`{"conditions": [{"field": "a", "values": [["x"]]}]}`, `values[0] must be a string`},
		{`{"conditions": [{"field": "a", "values": ["x"], "negate": "yes"}]}`, `negate must be true or false`},
		{`{"words": [` + strings.Repeat(`"a",`, MaxFilterTerms) + `"a"]}`, "at most 100"},
	}
	for _, tt := range errs {
		_, err := ParseJSON([]byte(tt.in))
		var e *roster.Error
		if !errors.As(err, &e) || e.Code != roster.EINVALID {
			t.Errorf("ParseJSON(%s): %v, want EINVALID", tt.in, err)
			continue
		}
		if !strings.Contains(e.Message, tt.want) {
			t.Errorf("ParseJSON(%s): message %q does not contain %q", tt.in, e.Message, tt.want)
		}
	}
}

// TestJSONRoundTrip checks that json.Marshal of a Filter reads back through
// ParseJSON as the same filter.
func TestJSONRoundTrip(t *testing.T) {
	texts := []string{
		"",
		`vip "new york" Zoé 山田 -tags:churned country:FR,BE points:>=10`,
		`tags:a+b created_at:2025-03-01..2025-03-31 points:..10 email:~gmail,yahoo email:^ann -email:$.org city:"^x",y bio:none -bio:any city:"" mobile_phone:+33612345678`,
		`bio:"say \"hi\" \\o/" "a\\b"`,
	}
	filters := []Filter{
		{Conds: []Cond{cond("tags", OpAll, false, -1, "only")}},
		{Words: []string{}, Conds: []Cond{}},
	}
	for _, s := range texts {
		f, err := Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		filters = append(filters, f)
	}
	for _, f := range filters {
		b, err := json.Marshal(f)
		if err != nil {
			t.Fatal(err)
		}
		g, err := ParseJSON(b)
		if err != nil {
			t.Errorf("ParseJSON(%s): %v", b, err)
			continue
		}
		if d := filterDiff(f, g); d != "" {
			t.Errorf("through %s: %s", b, d)
		}
		for _, c := range g.Conds {
			if c.Pos != -1 {
				t.Errorf("through %s: Pos %d, want -1", b, c.Pos)
			}
		}
	}
}

func TestParseCompile(t *testing.T) {
	reg := roster.NewRegistry(nil)
	ok := []string{
		"created_at:2025-03-01..2025-03-31",
		`vip "new york" -roles:churned country:FR,BE points:>=10 role:vip Country:fr`,
		"roles:a+b badge:x,y points:..10 points:100.. email:~gmail email:^ann -city:$ville bio:none -bio:any",
		"mobile_phone:+33612345678 birth_date:<1990-01-01 newsletter:yes",
		`city:"New York","Los Angeles" status:active`,
	}
	for _, s := range ok {
		f, err := Parse(s)
		if err != nil {
			t.Fatalf("Parse(%q): %v", s, err)
		}
		if _, err := Compile(f, reg, time.UTC); err != nil {
			t.Errorf("Compile(%q): %v", s, err)
		}
	}
	bad := []struct {
		in   string
		pos  int
		want []string
	}{
		{"cuntry:FR", 0, []string{"unknown field", "country"}},
		{"vip -cuntry:FR", 4, []string{"unknown field", "country"}},
		{"city:>5", 0, []string{"operator", ">"}},
		{"points:abc", 0, []string{`"abc" is not a whole number`}},
		{"a points:5 points:abc", 11, []string{"not a whole number"}},
		{"country:XX", 0, []string{"country code"}},
		{"roles:~x", 0, []string{"operator"}},
		{"addresses:x", 0, []string{"operator"}},
		{"created_at:2025-03-31..2025-03-01", 0, []string{"empty"}},
		{"password:x", 0, []string{"unknown field"}},
	}
	for _, tt := range bad {
		f, err := Parse(tt.in)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tt.in, err)
		}
		_, err = Compile(f, reg, time.UTC)
		var e *roster.Error
		if !errors.As(err, &e) || e.Code != roster.EINVALID {
			t.Errorf("Compile(%q): %v, want EINVALID", tt.in, err)
			continue
		}
		if e.Position != tt.pos {
			t.Errorf("Compile(%q): Position %d, want %d", tt.in, e.Position, tt.pos)
		}
		for _, w := range tt.want {
			if !strings.Contains(e.Message, w) {
				t.Errorf("Compile(%q): message %q does not contain %q", tt.in, e.Message, w)
			}
		}
	}
}

// filterDiff describes how two filters differ in their words and in their
// conditions' fields, operators, values and negation ("" when they do not);
// positions are ignored and nil equals empty.
func filterDiff(a, b Filter) string {
	if !slices.Equal(a.Words, b.Words) {
		return "words " + quoteList(a.Words) + " != " + quoteList(b.Words)
	}
	if len(a.Conds) != len(b.Conds) {
		return "conditions " + condList(a.Conds) + " != " + condList(b.Conds)
	}
	for i := range a.Conds {
		x, y := a.Conds[i], b.Conds[i]
		if x.Field != y.Field || x.Op != y.Op || x.Negate != y.Negate || !slices.Equal(x.Values, y.Values) {
			return "conditions " + condList(a.Conds) + " != " + condList(b.Conds)
		}
	}
	return ""
}

func quoteList(s []string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func condList(cs []Cond) string {
	b, _ := json.Marshal(cs)
	return string(b)
}
