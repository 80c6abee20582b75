package query

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"roster"
)

var fuzzSeeds = []string{
	"",
	"york",
	`"new york" Zoé 山田`,
	"10:30 -5 -word a,b c+d",
	`foo"bar "say \"hi\" \\o/" ""`,
	"country:FR",
	"country:FR,BE country:BE",
	"tags:a+b+c",
	"-tags:a,b",
	"tag:vip role:admin",
	`city:"New York","Los Angeles"`,
	`tags:"a,b" tags:"a+b"+c`,
	"created_at:2025-03-01..2025-03-31",
	`created_at:"2025-03-01"..""`,
	"points:>5000 points:<=10",
	"points:100.. points:..10",
	"points:1.5..2.5 points:-5..-1",
	"last_login:>=2025-03-01T10:00:00Z",
	"email:~gmail bio:~cat,dog bio:~c++",
	"bio:none -bio:ANY bio:\"none\"",
	"mobile_phone:+33612345678 mobile_phone:+33612,+44",
	"tags:+a+b tags:c++ tags:a+,b",
	`tags:a+"+b" city:a"b`,
	"newsletter:yes status:active birth_date:<1990-01-01",
	"cuntry:FR city:>5 points:abc",
	`"unterminated`,
	`city:"New York"x`,
	"tags:a,b+c points:1..2..3 points:>5,6",
	"city: city:, city:a,,b",
	"Zoé\u00a0山田\u3000x\u2028y",
	"url:http://x.com/a?b=c _x1:y",
	"created_at:2025-03-31..2025-03-01 addresses:any",
	"email:^ann,$x -city:$ville c:^ c:$ c:^^a",
}

func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	reg := roster.NewRegistry(nil)
	f.Fuzz(func(t *testing.T, text string) {
		flt, err := Parse(text)
		if err != nil {
			var e *roster.Error
			if !errors.As(err, &e) || e.Code != roster.EINVALID || e.Position < 0 || e.Position > len(text) {
				t.Fatalf("Parse(%q): error %#v", text, err)
			}
			return
		}
		if len(flt.WordPos) != len(flt.Words) {
			t.Fatalf("Parse(%q): %d words, %d positions", text, len(flt.Words), len(flt.WordPos))
		}
		for _, c := range flt.Conds {
			if c.Pos < 0 || c.Pos >= len(text) || !isFieldName(c.Field) {
				t.Fatalf("Parse(%q): bad condition %+v", text, c)
			}
		}
		s := flt.String()
		again, err := Parse(s)
		switch {
		case err != nil && len(s) > MaxFilterLen:
			// Canonical quoting may lengthen a text near the limit.
		case err != nil:
			t.Fatalf("Parse(%q) ok, but Parse(String() = %q): %v", text, s, err)
		default:
			if d := filterDiff(flt, again); d != "" {
				t.Fatalf("Parse(%q) then through %q: %s", text, s, d)
			}
			if s2 := again.String(); s2 != s {
				t.Fatalf("Parse(%q): String() not stable: %q then %q", text, s, s2)
			}
		}
		_, _ = Compile(flt, reg, time.UTC)
		b, err := json.Marshal(flt)
		if err != nil {
			t.Fatal(err)
		}
		fromJSON, err := ParseJSON(b)
		if err != nil {
			t.Fatalf("Parse(%q) ok, but ParseJSON(%s): %v", text, b, err)
		}
		if d := filterDiff(flt, fromJSON); d != "" {
			t.Fatalf("Parse(%q) then through %s: %s", text, b, d)
		}
	})
}

// FuzzJSON fuzzes ParseJSON. (Not FuzzParseJSON: -fuzz FuzzParse would then
// match two fuzz tests and refuse to run.)
func FuzzJSON(f *testing.F) {
	for _, s := range fuzzSeeds {
		b, _ := json.Marshal(map[string]string{"q": s})
		f.Add(b)
	}
	for _, s := range []string{
		`{}`,
		`{"q": null}`,
		`{"words": ["new york", "Zoé"], "conditions": [{"field": "country", "op": "eq", "values": ["FR","BE"], "negate": false}]}`,
		`{"conditions": [{"field": "points", "op": "between", "values": [1.5, -2e3]}, {"field": "newsletter", "values": [true]}]}`,
		`{"conditions": [{"field": "bio", "op": "empty", "values": ["x"]}, {"field": "tags", "op": "all", "values": ["a"]}]}`,
		`{"conditions": [{"field": "a", "op": "like"}]}`,
		`{"conditions": [null, 5, {"extra": 1}]}`,
		`{"q": "a", "words": []}`,
		`[1, 2]`,
		`{"words": [null, {}, [], 1e999]}`,
	} {
		f.Add([]byte(s))
	}
	reg := roster.NewRegistry(nil)
	f.Fuzz(func(t *testing.T, data []byte) {
		flt, err := ParseJSON(data)
		if err != nil {
			var e *roster.Error
			if !errors.As(err, &e) || e.Code != roster.EINVALID {
				t.Fatalf("ParseJSON(%q): error %#v", data, err)
			}
			return
		}
		_, _ = Compile(flt, reg, time.UTC)
		_ = flt.String()
		b, err := json.Marshal(flt)
		if err != nil {
			t.Fatal(err)
		}
		again, err := ParseJSON(b)
		if err != nil {
			t.Fatalf("ParseJSON(%q) ok, but ParseJSON(%s): %v", data, b, err)
		}
		if d := filterDiff(flt, again); d != "" {
			t.Fatalf("ParseJSON(%q) then through %s: %s", data, b, d)
		}
	})
}
