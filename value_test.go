package roster_test

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"roster"
)

// TestParseText parses the text form of a value of every type, as a CSV
// cell or a form gives it, and checks the message of a bad one.
func TestParseText(t *testing.T) {
	reg := customRegistry()
	field := func(key string) roster.Field {
		f, ok := reg.Field(key)
		if !ok {
			t.Fatalf("no field %s", key)
		}
		return f
	}
	march := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		field string
		in    string
		want  any
		err   string
	}{
		{"first_name", "  Ada ", "Ada", ""},
		{"first_name", "", "", ""},
		{"alias", "", nil, ""}, // an empty custom value is no value
		{"bio", "a\nb", "a\nb", ""},
		{"email", "Ada@Example.com", "Ada@Example.com", ""}, // Normalize lower-cases it
		{"country", "gb", "GB", ""},
		{"status", "banned", "banned", ""},
		{"tier", "gold", "gold", ""},
		{"points", "1200", int64(1200), ""},
		{"points", "-3", int64(-3), ""},
		{"points", "12.5", nil, `"12.5" is not a whole number`},
		{"points", "", int64(0), ""},
		{"shoe", "38.5", 38.5, ""},
		{"shoe", "NaN", nil, `"NaN" is not a number`},
		{"shoe", "forty", nil, `"forty" is not a number`},
		{"vip", "Yes", true, ""},
		{"vip", "off", false, ""},
		{"vip", "maybe", nil, `"maybe" is not true or false`},
		{"newsletter", "", false, ""},
		{"birth_date", "1990-12-10", roster.Date{Year: 1990, Month: 12, Day: 10}, ""},
		{"birth_date", "10/12/1990", nil, `"10/12/1990" is not a date in the form YYYY-MM-DD`},
		{"birth_date", "", roster.Date{}, ""},
		{"last_visit", "2025-03-01T13:00:00+01:00", march, ""},
		{"last_visit", "2025-03-01", time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), ""},
		{"last_visit", "yesterday", nil, `"yesterday" is not a time (RFC 3339, such as 2025-03-01T12:00:00Z, or YYYY-MM-DD)`},
		{"last_visit", "", time.Time{}, ""},
		{"roles", "member| vip |member|", []string{"member", "vip"}, ""},
		{"roles", "", []string(nil), ""},
		{"skills", "go|sql", []string{"go", "sql"}, ""},
		{"addresses", `[{"line1":"1 Main St","city":"Paris"}]`, []roster.Address{{Line1: "1 Main St", City: "Paris"}}, ""},
		{"addresses", `[{"street":"1 Main St"}]`, nil, "must be an array of addresses {label, line1, line2, city, region, postal_code, country}"},
		{"addresses", "", []roster.Address(nil), ""},
		{"social_links", `[{"network":"x","url":"https://x.com/a"}]`, []roster.SocialLink{{Network: "x", URL: "https://x.com/a"}}, ""},
		{"social_links", `{"network":"x"}`, nil, "must be an array of {network, url}"},
		{"push_tokens", `[{"platform":"ios","token":"t"}]`, []roster.PushToken{{Platform: "ios", Token: "t"}}, ""},
		{"push_tokens", `[1]`, nil, "must be an array of {platform, token}"},
		{"password", " secret words ", "secret words", ""},
		{"tags", "vip", nil, "cannot be set"},
		{"smart_type", "Gold", nil, "cannot be set"},
	} {
		f := field(tc.field)
		got, err := f.ParseText(tc.in)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("ParseText(%s, %q) error = %v, want %q", tc.field, tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseText(%s, %q) = %#v, %v; want %#v", tc.field, tc.in, got, err, tc.want)
		}
	}
}

// TestDecodeJSON decodes the JSON value of every type, as the API gives
// it, and checks the message of a bad one.
func TestDecodeJSON(t *testing.T) {
	reg := customRegistry()
	for _, tc := range []struct {
		field string
		in    string
		want  any
		err   string
	}{
		{"first_name", `"Ada"`, "Ada", ""},
		{"first_name", `12`, nil, "must be a string"},
		{"first_name", `null`, "", ""},
		{"alias", `null`, nil, ""},
		{"password", `"pw"`, "pw", ""},
		{"points", `1200`, int64(1200), ""},
		{"points", `"1200"`, int64(1200), ""}, // encoding/json takes a number in a string
		{"points", `"twelve"`, nil, "must be a whole number"},
		{"points", `1.5`, nil, "must be a whole number"},
		{"shoe", `38.5`, 38.5, ""},
		{"shoe", `"38"`, nil, "must be a number"},
		{"vip", `true`, true, ""},
		{"vip", `"yes"`, nil, "must be true or false"},
		{"birth_date", `"1990-12-10"`, roster.Date{Year: 1990, Month: 12, Day: 10}, ""},
		{"birth_date", `19901210`, nil, "must be a date string YYYY-MM-DD"},
		{"birth_date", `"1990-13-10"`, nil, `"1990-13-10" is not a date in the form YYYY-MM-DD`},
		{"last_visit", `"2025-03-01T12:00:00Z"`, time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC), ""},
		{"last_visit", `0`, nil, "must be an RFC 3339 time string"},
		{"roles", `["b"," a","b"]`, []string{"b", "a"}, ""},
		{"roles", `"a|b"`, nil, "must be an array of strings"},
		{"addresses", `[{"line1":"1"}]`, []roster.Address{{Line1: "1"}}, ""},
		{"addresses", `[{"line1":"1","floor":2}]`, nil, "must be an array of addresses {label, line1, line2, city, region, postal_code, country}"},
		{"social_links", `[]`, []roster.SocialLink{}, ""},
		{"social_links", `[{"site":"x"}]`, nil, "must be an array of {network, url}"},
		{"push_tokens", `[{"token":"t"}]`, []roster.PushToken{{Token: "t"}}, ""},
		{"push_tokens", `{}`, nil, "must be an array of {platform, token}"},
		{"groups", `["Gold"]`, nil, "cannot be set"},
	} {
		f, _ := reg.Field(tc.field)
		got, err := f.DecodeJSON(json.RawMessage(tc.in))
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("DecodeJSON(%s, %s) error = %v, want %q", tc.field, tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("DecodeJSON(%s, %s) = %#v, %v; want %#v", tc.field, tc.in, got, err, tc.want)
		}
	}
}

// TestFormatText checks that FormatText is ParseText's inverse for a value
// of every built-in field.
func TestFormatText(t *testing.T) {
	for _, b := range roster.Builtins() {
		f := b.Field
		if b.Ptr == nil || f.Key == "password_hash" {
			continue
		}
		v := sample(t, f)
		text := roster.FormatText(f.Type, v)
		got, err := f.ParseText(text)
		if err != nil || !reflect.DeepEqual(got, v) {
			t.Errorf("%s: ParseText(FormatText(%#v) = %q) = %#v, %v", f.Key, v, text, got, err)
		}
		// The empty value formats as "", which parses back as empty.
		if zero, _ := f.ParseText(""); roster.FormatText(f.Type, zero) != "" && f.Type != roster.TypeBoolean && f.Type != roster.TypeInteger {
			t.Errorf("%s: the empty value formats as %q", f.Key, roster.FormatText(f.Type, zero))
		}
	}
	for _, tc := range []struct {
		v    any
		want string
	}{
		{nil, ""}, {2.5, "2.5"}, {false, "false"}, {int64(-3), "-3"}, {time.Time{}, ""},
		{time.Date(2025, 3, 1, 13, 0, 0, 0, time.FixedZone("CET", 3600)), "2025-03-01T12:00:00Z"},
		{[]roster.Address(nil), ""}, {[]roster.PushToken{}, ""}, {[]int64{1}, "[1]"},
	} {
		if got := roster.FormatText(roster.TypeText, tc.v); got != tc.want {
			t.Errorf("FormatText(%#v) = %q, want %q", tc.v, got, tc.want)
		}
	}
}

func TestDate(t *testing.T) {
	d, err := roster.ParseDate("2024-02-29")
	if err != nil || d != (roster.Date{Year: 2024, Month: 2, Day: 29}) || d.String() != "2024-02-29" {
		t.Errorf("ParseDate = %v, %v", d, err)
	}
	if _, err := roster.ParseDate("2023-02-29"); err == nil {
		t.Errorf("ParseDate accepted February 29th, 2023")
	}
	if (roster.Date{}).String() != "" || !(roster.Date{}).IsZero() || d.IsZero() {
		t.Errorf("zero Date")
	}
	if e := (roster.Date{Year: 2024, Month: 3, Day: 1}); d.Compare(e) != -1 || e.Compare(d) != 1 || d.Compare(roster.Date{Year: 2024, Month: 2, Day: 29}) != 0 {
		t.Errorf("Compare")
	}
	if got := roster.DateOf(time.Date(2024, 2, 29, 23, 0, 0, 0, time.UTC)); got != d {
		t.Errorf("DateOf = %v", got)
	}
	b, _ := json.Marshal(struct{ D roster.Date }{d})
	var back struct{ D roster.Date }
	if err := json.Unmarshal(b, &back); err != nil || back.D != d || string(b) != `{"D":"2024-02-29"}` {
		t.Errorf("JSON round trip: %s, %v, %v", b, back.D, err)
	}
	if err := back.D.UnmarshalText(nil); err != nil || !back.D.IsZero() {
		t.Errorf("UnmarshalText(empty) = %v, %v", back.D, err)
	}
	if err := back.D.UnmarshalText([]byte("soon")); err == nil {
		t.Errorf("UnmarshalText(soon) accepted")
	}
}
