package csvio

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"roster"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./csvio -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the output:\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

func TestWriter(t *testing.T) {
	row := []string{"+33612345678", "-Anne", "=1+1", "a,b", "two\nlines", "plain", `say "hi"`}
	for _, tt := range []struct {
		name string
		opts WriteOptions
		want string
	}{
		{"escaped", WriteOptions{}, "'+33612345678,'-Anne,'=1+1,\"a,b\",\"two\nlines\",plain,\"say \"\"hi\"\"\"\n"},
		{"raw", WriteOptions{NoEscape: true}, "+33612345678,-Anne,=1+1,\"a,b\",\"two\nlines\",plain,\"say \"\"hi\"\"\"\n"},
		{"bom", WriteOptions{BOM: true}, "\uFEFF'+33612345678,'-Anne,'=1+1,\"a,b\",\"two\nlines\",plain,\"say \"\"hi\"\"\"\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			w := NewWriter(&b, tt.opts)
			cells := append([]string(nil), row...)
			if err := w.Write(cells); err != nil {
				t.Fatal(err)
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			if got := b.String(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			for i := range row {
				if cells[i] != row[i] {
					t.Errorf("Write changed its argument: %q, was %q", cells[i], row[i])
				}
			}
		})
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriter_Error(t *testing.T) {
	w := NewWriter(failingWriter{}, WriteOptions{})
	w.Write([]string{"a"})
	if err := w.Flush(); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("Flush = %v, want the write error", err)
	}
}

// testCatalog has two tags, two groups and a smart type list.
func testCatalog() *roster.Catalog {
	return &roster.Catalog{
		Tags:       []roster.Tag{{ID: 1, Name: "VIP", Color: "#b42318"}, {ID: 2, Name: "early adopter", Color: "#175cd3"}},
		Groups:     []roster.Group{{ID: 10, Name: "Gold"}, {ID: 11, Name: "Silver"}},
		SmartTypes: []int64{11, 10},
	}
}

func field(t *testing.T, reg *roster.Registry, key string) roster.Field {
	t.Helper()
	f, ok := reg.Field(key)
	if !ok {
		t.Fatalf("no field %s", key)
	}
	return f
}

func TestFormatCell(t *testing.T) {
	reg := roster.NewRegistry([]roster.Field{{Key: "score", Label: "Score", Type: roster.TypeNumber}})
	cat := testCatalog()
	at := time.Date(2025, 3, 1, 12, 30, 15, 123456789, time.FixedZone("CET", 3600))
	for _, tt := range []struct {
		key  string
		v    any
		want string
	}{
		{"created_at", at, "2025-03-01T11:30:15.123456789Z"},
		{"created_at", time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC), "2025-03-01T12:00:00Z"},
		{"last_visit", time.Time{}, ""},
		{"birth_date", roster.Date{Year: 1990, Month: 12, Day: 10}, "1990-12-10"},
		{"birth_date", roster.Date{}, ""},
		{"roles", []string{"member", "vip"}, "member|vip"},
		{"points", int64(-5), "-5"},
		{"newsletter", true, "true"},
		{"score", 3.25, "3.25"},
		{"score", nil, ""},
		{"tags", []string{"2", "1", "99"}, "early adopter|VIP"},
		{"tags", []int64{1}, "VIP"},
		{"tags", []string(nil), ""},
		{"groups", []string{"10", "11"}, "Gold|Silver"},
		{"smart_type", []string{"10", "11"}, "Silver"},
		{"smart_type", []int64{10}, "Gold"},
		{"smart_type", nil, ""},
		{"addresses", []roster.Address{{Line1: "1 Main St", Country: "GB"}}, `[{"line1":"1 Main St","country":"GB"}]`},
		{"addresses", []roster.Address(nil), ""},
		{"password", "secret", ""},
	} {
		if got := FormatCell(field(t, reg, tt.key), tt.v, cat); got != tt.want {
			t.Errorf("FormatCell(%s, %v) = %q, want %q", tt.key, tt.v, got, tt.want)
		}
	}
}

// fullUser has a value in every built-in field that an export writes, and
// in the custom fields of testRegistry.
func fullUser(id int64) *roster.User {
	return &roster.User{
		ID: id, PublicID: "u_" + strings.Repeat("0", 15) + string(rune('a'+id%26)),
		ClientID: "sso-1", AppID: "ios", StripeID: "cus_1", Email: "ada@example.com", EmailConfirmed: true,
		FirstName: "-Anne", LastName: "=1+1", MobilePhone: "+33612345678", HomePhone: "01 23 45 67 89",
		Bio: "line one\nline two, with a comma", BirthDate: roster.Date{Year: 1990, Month: 12, Day: 10},
		City: "Paris", Country: "FR",
		Addresses:       []roster.Address{{Label: "Home", Line1: "1 rue de Rivoli", City: "Paris", Country: "FR"}},
		ProfileImageURL: "https://example.com/a.jpg", SocialLinks: []roster.SocialLink{{Network: "x", URL: "https://x.com/a"}},
		StoreLocation: "Opéra", Teams: []string{"blue", "@red"},
		PushTokens: []roster.PushToken{{Platform: "ios", Token: "abc"}},
		CreatedAt:  time.Date(2025, 1, 2, 3, 4, 5, 600000000, time.UTC), UpdatedAt: time.Date(2025, 2, 3, 4, 5, 6, 0, time.UTC),
		LastInteraction: time.Date(2025, 2, 1, 0, 0, 0, 1, time.UTC),
		Points:          1200, Roles: []string{"member", "vip"}, Badges: []string{"verified"},
		InstagramFollowers: 10, TikTokFollowers: 20, YouTubeFollowers: 30,
		Status: roster.StatusActive, Newsletter: true, NewsletterAt: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC),
		PasswordHash: "$argon2id$secret",
		Custom:       map[string]any{"score": -3.5, "tier": "gold", "joined": roster.Date{Year: 2024, Month: 5, Day: 6}},
		Tags:         []int64{2, 1}, Groups: []int64{10, 11},
	}
}

func exportRegistry() *roster.Registry {
	reg := roster.NewRegistry([]roster.Field{
		{Key: "score", Label: "Score", Type: roster.TypeNumber, Exportable: true, Importable: true},
		{Key: "tier", Label: "Tier", Type: roster.TypeChoice, Choices: []string{"gold", "silver"}, Exportable: true, Importable: true, Required: true},
		{Key: "joined", Label: "Joined", Type: roster.TypeDate, Exportable: true, Importable: true},
		{Key: "old", Label: "Old", Type: roster.TypeText, Exportable: true, Importable: true, Retired: true},
	})
	reg.Catalog = testCatalog()
	return reg
}

func TestUserEncoder(t *testing.T) {
	reg := exportRegistry()
	cols := ExportColumns(reg)
	var b bytes.Buffer
	e, err := NewUserEncoder(&b, cols, reg.Catalog, WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	u := fullUser(1)
	if err := e.Encode(u); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if e.Count() != 1 {
		t.Errorf("Count = %d, want 1", e.Count())
	}
	golden(t, "export.csv", b.Bytes())
	if strings.Contains(b.String(), "argon2") || strings.Contains(b.String(), "password") {
		t.Errorf("the export holds a password: %s", b.String())
	}

	// Every cell reads back, unescaped and parsed, as the value it came
	// from: FormatCell's inverse is what import does.
	recs, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 {
		t.Fatalf("%d records, want 2", len(recs))
	}
	for i, f := range cols {
		if recs[0][i] != f.Key {
			t.Errorf("header %d = %q, want %q", i, recs[0][i], f.Key)
		}
		cell := UnescapeCell(recs[1][i])
		switch f.Type {
		case roster.TypeTags, roster.TypeGroups, roster.TypeSmartType:
			continue // names, resolved by import
		case roster.TypeAccess:
			continue // computed, never imported
		}
		got, err := f.ParseText(cell)
		if err != nil {
			t.Errorf("%s: %q does not parse: %v", f.Key, cell, err)
			continue
		}
		if a, b := roster.FormatText(f.Type, got), roster.FormatText(f.Type, u.Get(f.Key)); a != b {
			t.Errorf("%s: round trip gives %q, want %q", f.Key, a, b)
		}
		if f.Type == roster.TypeTimestamp {
			if want, _ := u.Get(f.Key).(time.Time); !got.(time.Time).Equal(want) {
				t.Errorf("%s: round trip gives %v, want %v (nanoseconds lost?)", f.Key, got, want)
			}
		}
	}
}

func TestUserEncoder_Raw(t *testing.T) {
	reg := exportRegistry()
	cols, err := ParseColumns(reg, []string{"mobile_phone", "first_name", "last_name", "score", "tags", "smart_type"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		opts WriteOptions
		want string
	}{
		{WriteOptions{}, "mobile_phone,first_name,last_name,score,tags,smart_type\n'+33612345678,'-Anne,'=1+1,-3.5,early adopter|VIP,Silver\n"},
		{WriteOptions{NoEscape: true, BOM: true}, "\uFEFFmobile_phone,first_name,last_name,score,tags,smart_type\n+33612345678,-Anne,=1+1,-3.5,early adopter|VIP,Silver\n"},
	} {
		var b bytes.Buffer
		e, err := NewUserEncoder(&b, cols, reg.Catalog, tt.opts)
		if err != nil {
			t.Fatal(err)
		}
		e.Encode(fullUser(1))
		if err := e.Close(); err != nil {
			t.Fatal(err)
		}
		if b.String() != tt.want {
			t.Errorf("%+v: got %q, want %q", tt.opts, b.String(), tt.want)
		}
	}
}

func TestParseColumns(t *testing.T) {
	reg := exportRegistry()
	all, err := ParseColumns(reg, nil)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, f := range all {
		keys = append(keys, f.Key)
	}
	got := strings.Join(keys, ",")
	for _, want := range []string{"id,client_id", "tags,groups,smart_type", "total_followers", "updated_at", "score,tier,joined"} {
		if !strings.Contains(got, want) {
			t.Errorf("all columns %s lack %s", got, want)
		}
	}
	for _, bad := range []string{"password", "password_hash", "old"} {
		if strings.Contains(","+got+",", ","+bad+",") {
			t.Errorf("all columns %s hold %s", got, bad)
		}
	}
	for _, tt := range []struct {
		keys []string
		err  string
	}{
		{[]string{"email", "cuntry"}, `unknown field "cuntry"`},
		{[]string{"password_hash"}, "password_hash cannot be exported"},
		{[]string{"password"}, "password cannot be exported"},
		{[]string{"old"}, `unknown field "old"`},
		{[]string{"email", " email"}, "email is listed twice"},
	} {
		_, err := ParseColumns(reg, tt.keys)
		if roster.ErrorCode(err) != roster.EINVALID || !strings.Contains(roster.ErrorMessage(err), tt.err) {
			t.Errorf("ParseColumns(%q) = %v, want EINVALID %q", tt.keys, err, tt.err)
		}
	}
	cols, err := ParseColumns(reg, []string{" email", "first_name", ""})
	if err != nil || len(cols) != 2 || cols[0].Key != "email" || cols[1].Key != "first_name" {
		t.Errorf("ParseColumns(email, first_name) = %v, %v", cols, err)
	}
}

// FuzzAppendField checks the export's own field writer against
// encoding/csv on any text, escaped or not.
func FuzzAppendField(f *testing.F) {
	for _, s := range []string{"", "plain", "a,b", `say "hi"`, "two\nlines", "\r", " lead", "\tx", `\.`, "\u00a0nbsp", "\u2003em", "=1+1", "-Anne", "'=x", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, esc := range []bool{false, true} {
			want := s
			if esc {
				want = "'" + s
			}
			var b bytes.Buffer
			cw := csv.NewWriter(&b)
			cw.Write([]string{want, "x"})
			cw.Flush()
			got := append(appendField(nil, esc, []byte(s)), ",x\n"...)
			if string(got) != b.String() {
				t.Fatalf("appendField(%v, %q) = %q, encoding/csv %q", esc, s, got, b.String())
			}
		}
	})
}

// FuzzAppendJSON checks the structured fields' JSON against json.Marshal.
func FuzzAppendJSON(f *testing.F) {
	for _, s := range []string{"", "plain", `q"b\s`, "<a&b>", "\x00\x01\b\f\n\r\t\x1f\x7f", "\u2028\u2029", "\xff", "é😀"} {
		f.Add(s, "x")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		check := func(what string, got []byte, v any) {
			want, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(want) {
				t.Fatalf("%s(%q, %q) = %s, json.Marshal %s", what, a, b, got, want)
			}
		}
		addrs := []roster.Address{{Label: a, Line1: b, Line2: a, City: b, Region: a, PostalCode: b, Country: a}, {Line1: a}}
		check("appendAddresses", appendAddresses(nil, addrs), addrs)
		links := []roster.SocialLink{{Network: a, URL: b}}
		check("appendLinks", appendLinks(nil, links), links)
		toks := []roster.PushToken{{Platform: a, Token: b}, {}}
		check("appendTokens", appendTokens(nil, toks), toks)
	})
}

// FuzzAppendRow checks a whole row as the export appends it against the
// cells FormatCell gives written by a Writer, with any text in the fields.
func FuzzAppendRow(f *testing.F) {
	for _, s := range []string{"", "-Anne", "=1+1", "a,b", " lead", "'@x", "\"q\"", "\xff", "é"} {
		f.Add(s, true)
	}
	reg := exportRegistry()
	cols := ExportColumns(reg)
	f.Fuzz(func(t *testing.T, s string, raw bool) {
		u := fullUser(1)
		u.FirstName, u.City, u.Bio, u.Teams = s, s, s+s, []string{s, "x"}
		u.Addresses = []roster.Address{{Line1: s}}
		u.Custom["tier"] = s
		var b bytes.Buffer
		e, _ := NewUserEncoder(&b, cols, reg.Catalog, WriteOptions{NoEscape: raw})
		e.Encode(u)
		e.Close()
		_, want, _ := strings.Cut(b.String(), "\n") // after the header
		got := newRowFormatter(cols, reg.Catalog, raw).appendRow(nil, u)
		if string(got) != want {
			t.Fatalf("appendRow = %q, Writer %q", got, want)
		}
	})
}
