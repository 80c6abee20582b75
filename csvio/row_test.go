package csvio

import (
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"roster"
)

// mustMatch matches header against testRegistry.
func mustMatch(t *testing.T, header ...string) []Column {
	t.Helper()
	cols, _, err := MatchHeader(header, testRegistry(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return cols
}

func TestDecodeRow(t *testing.T) {
	cols := mustMatch(t, "id", "email", "email_confirmed", "birth_date", "country", "points", "teams", "tags", "groups",
		"created_at", "addresses", "password", "password_hash", "shoe_size", "joined", "city", "updated_at", "Favourite colour", "plan")
	rec := []string{"u_123", " A@x.io ", "yes", "1990-02-03", "fr", "42", "a| b |a", " vip | gold||", "",
		"2025-03-01T12:00:00+02:00", `[{"line1":"1 rue de la Paix"}]`, "  pa ss ", " $argon2id$v=19$abc ", "42.5", "", "", "garbage", "blue", "pro"}
	want := map[string]any{
		"id":              "u_123",
		"email":           "A@x.io",
		"email_confirmed": true,
		"birth_date":      roster.Date{Year: 1990, Month: 2, Day: 3},
		"country":         "FR",
		"points":          int64(42),
		"teams":           []string{"a", "b"},
		"tags":            []string{"vip", "gold"},
		"groups":          []string(nil),
		"created_at":      time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC),
		"addresses":       []roster.Address{{Line1: "1 rue de la Paix"}},
		"password":        "  pa ss ",
		"password_hash":   "$argon2id$v=19$abc",
		"shoe_size":       42.5,
		"joined":          nil, // custom and empty: not set
		"city":            "",  // built-in and empty: cleared
		"plan":            "pro",
	}
	got, errs := DecodeRow(cols, rec, 2)
	for _, e := range errs {
		t.Errorf("error: %v", e)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("values:\n got %#v\nwant %#v", got, want)
	}
}

func TestDecodeRow_Errors(t *testing.T) {
	cols := mustMatch(t, "email", "Birth date", "points", "newsletter", "addresses", "Shoe size", "last_login", "city")
	rec := []string{"a@x.io", "31/02/2020", "12abc", "maybe", "{", "big", "yesterday", "Lyon"}
	values, errs := DecodeRow(cols, rec, 7)
	var got []string
	for _, e := range errs {
		got = append(got, e.Error())
	}
	want := []string{
		`row 7, column Birth date: "31/02/2020" is not a date in the form YYYY-MM-DD`,
		`row 7, column points: "12abc" is not a whole number`,
		`row 7, column newsletter: "maybe" is not true or false`,
		`row 7, column addresses: must be an array of addresses {label, line1, line2, city, region, postal_code, country}`,
		`row 7, column Shoe size: "big" is not a number`,
		`row 7, column last_login: "yesterday" is not a time (RFC 3339, such as 2025-03-01T12:00:00Z, or YYYY-MM-DD)`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("errors:\n got %q\nwant %q", got, want)
	}
	if want := map[string]any{"email": "a@x.io", "city": "Lyon"}; !reflect.DeepEqual(values, want) {
		t.Errorf("values = %v, want the good cells %v", values, want)
	}
}

func TestDecodeRow_FormulaRoundTrip(t *testing.T) {
	cols := mustMatch(t, "mobile_phone", "first_name", "bio", "points", "tags")
	for _, v := range []string{"+33612345678", "-Anne", "=1+1", "@SUM(A1)", "'=1", "'quoted'", "plain"} {
		rec := []string{EscapeCell(v), EscapeCell(v), EscapeCell(v), EscapeCell("-5"), EscapeCell(v)}
		values, errs := DecodeRow(cols, rec, 2)
		if len(errs) > 0 {
			t.Fatalf("%q: %v", v, errs)
		}
		for _, k := range []string{"mobile_phone", "first_name", "bio"} {
			if values[k] != v {
				t.Errorf("%s: %q escaped as %q decodes to %q", k, v, rec[0], values[k])
			}
		}
		if values["points"] != int64(-5) {
			t.Errorf(`points: "'-5" decodes to %v, want -5`, values["points"])
		}
		if got := values["tags"]; !reflect.DeepEqual(got, []string{v}) {
			t.Errorf("tags: %q decodes to %q", rec[4], got)
		}
	}
	// A payload that was not escaped is data like any other: it stays as
	// written, and the export escapes it again.
	values, _ := DecodeRow(cols, []string{"=1+1", "-Anne", "@SUM(A1)", "", ""}, 2)
	if values["mobile_phone"] != "=1+1" || values["first_name"] != "-Anne" || values["bio"] != "@SUM(A1)" {
		t.Errorf("unescaped payloads changed: %v", values)
	}
}

func TestDecodeRow_Columns(t *testing.T) {
	cols := mustMatch(t, "email", "", "Favourite colour")
	tests := []struct {
		name string
		rec  []string
		want []string
	}{
		{"nothing in the nameless column", []string{"a@x.io", " ", "blue"}, nil},
		{"a value in the nameless column", []string{"a@x.io", "x", "blue"}, []string{"row 3: column 2 has a value but no name in the header row"}},
		{"short record", []string{}, []string{"row 3, column email: the row has no cell in this column"}},
		{"nil record", nil, []string{"row 3, column email: the row has no cell in this column"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errs := DecodeRow(cols, tt.rec, 3)
			var got []string
			for _, e := range errs {
				got = append(got, e.Error())
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("errors = %q, want %q", got, tt.want)
			}
		})
	}
	// Columns the caller built by hand, with any index, must not panic.
	odd := []Column{{Index: -1, Header: "x", Field: cols[0].Field}, {Index: 99, Header: "y", Field: cols[0].Field}}
	if _, errs := DecodeRow(odd, []string{"a"}, 2); len(errs) != 2 {
		t.Errorf("out of range columns gave %v", errs)
	}
}

func TestDecodeRow_LongCellMessage(t *testing.T) {
	cols := mustMatch(t, "points")
	cell := strings.Repeat("é", 5000)
	_, errs := DecodeRow(cols, []string{cell}, 2)
	if len(errs) != 1 {
		t.Fatalf("errors = %v", errs)
	}
	msg := errs[0].Message
	if len(msg) > maxMessage+len("…")+4 || !strings.HasSuffix(msg, " is not a whole number") || !utf8.ValidString(msg) {
		t.Errorf("message = %q (%d bytes)", msg, len(msg))
	}
}

func TestEmptyValue(t *testing.T) {
	// The fast path for empty cells must give what the slow path gives.
	fields := roster.BuiltinFields()
	for _, typ := range roster.CustomFieldTypes {
		fields = append(fields, roster.Field{Key: "c_" + string(typ), Type: typ})
	}
	for _, f := range fields {
		got, ok := emptyValue(&f)
		if !ok {
			if f.Type != roster.TypeSmartType && f.Type != roster.TypeAccess { // derived, never read from a cell
				t.Errorf("%s (%s): no empty value", f.Key, f.Type)
			}
			continue
		}
		var want any
		switch f.Type {
		case roster.TypeTags, roster.TypeGroups:
			want = roster.NormalizeSet(strings.Split("", "|"))
		default:
			var err error
			if want, err = f.ParseText(""); err != nil {
				t.Errorf("%s: ParseText(\"\"): %v", f.Key, err)
			}
		}
		if !reflect.DeepEqual(got, want) || reflect.TypeOf(got) != reflect.TypeOf(want) {
			t.Errorf("%s (%s): empty value %#v, ParseText gives %#v", f.Key, f.Type, got, want)
		}
	}
}
