package csvio

import (
	"reflect"
	"strings"
	"testing"

	"roster"
)

// testRegistry is the built-in fields plus a few custom ones, one retired.
func testRegistry() *roster.Registry {
	return roster.NewRegistry([]roster.Field{
		{Key: "shoe_size", Label: "Shoe size", Type: roster.TypeNumber},
		{Key: "work_email", Label: "Email", Type: roster.TypeEmail},
		{Key: "firstname", Label: "Nickname", Type: roster.TypeText},
		{Key: "plan", Label: "Plan", Type: roster.TypeChoice, Choices: []string{"free", "pro"}},
		{Key: "joined", Label: "Joined", Type: roster.TypeDate},
		{Key: "old_code", Label: "Old code", Type: roster.TypeText, Retired: true},
	})
}

// keys returns each column's field key, "-" for a skipped column and ""
// for an unmapped one.
func keys(cols []Column) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		if c.Skip {
			out[i] = "-"
		} else {
			out[i] = c.Field.Key
		}
	}
	return out
}

func TestMatchHeader(t *testing.T) {
	tests := []struct {
		name    string
		header  []string
		mapping map[string]string
		want    []string // keys(cols)
		unknown []string
		err     string
	}{
		{"key and label spellings", []string{"First name", "last_name", "MOBILE PHONE", "homephone", "E-mail", "birth.date", "Email-Confirmed"},
			nil, []string{"first_name", "last_name", "mobile_phone", "home_phone", "email", "birth_date", "email_confirmed"}, nil, ""},
		{"labels", []string{"Postal addresses", "Profile image", "Subscribed on", "Created", "Password hash", "Tags", "groups"},
			nil, []string{"addresses", "profile_image_url", "newsletter_at", "created_at", "password_hash", "tags", "groups"}, nil, ""},
		{"export's read-only columns", []string{"User ID", "updated_at", "Total followers", "smart_type", "email"},
			nil, []string{"id", "-", "-", "-", "email"}, nil, ""},
		{"password", []string{"email", "password"}, nil, []string{"email", "password"}, nil, ""},
		{"custom fields", []string{"email", "Shoe Size", "plan", "JOINED"}, nil, []string{"email", "shoe_size", "plan", "joined"}, nil, ""},
		{"retired custom field is unknown", []string{"email", "old_code"}, nil, []string{"email", ""}, []string{"old_code"}, ""},
		{"built-in key beats custom label", []string{"Email", "work_email"}, nil, []string{"email", "work_email"}, nil, ""},
		{"exact custom key beats built-in spelling", []string{"firstname", "First Name"}, nil, []string{"firstname", "first_name"}, nil, ""},
		{"unknown columns", []string{"email", "Shoe size ", "Favourite colour", ""}, nil, []string{"email", "shoe_size", "", ""}, []string{"Favourite colour"}, ""},
		{"mapping", []string{"Mail", "Notes", "Prénom", "email2"},
			map[string]string{"Mail": "email", "Notes": "", "Prénom": "first_name", "email2": "work_email"},
			[]string{"email", "-", "first_name", "work_email"}, nil, ""},
		{"mapping overrides a match", []string{"Email", "Backup email"}, map[string]string{"Email": "work_email", "Backup email": "email"},
			[]string{"work_email", "email"}, nil, ""},
		{"mapping to a read-only column skips it", []string{"email", "x"}, map[string]string{"x": "updated_at"}, []string{"email", "-"}, nil, ""},
		{"mapping to no field", []string{"email", "x"}, map[string]string{"x": "nope"}, []string{"email", ""}, nil,
			`column 2 (x) is mapped to "nope", which is not a field that can be imported`},
		{"two columns fill one field", []string{"id", "Email", "City", "Country", "e-mail"}, nil, nil, nil,
			"columns 2 and 5 (Email, e-mail) both fill email"},
		{"mapped onto a matched field", []string{"Email", "Mail"}, map[string]string{"Mail": "email"}, nil, nil,
			"columns 1 and 2 (Email, Mail) both fill email"},
		{"repeated name", []string{"email", "Notes", "Notes"}, nil, nil, []string{"Notes", "Notes"}, `the header repeats "Notes" (columns 2 and 3)`},
		{"repeated field name", []string{"email", "email"}, nil, nil, nil, `the header repeats "email" (columns 1 and 2)`},
		{"every problem listed", []string{"email", "Email", "x", "x"}, nil, nil, []string{"x", "x"},
			`columns 1 and 2 (email, Email) both fill email; the header repeats "x" (columns 3 and 4)`},
		{"two read-only columns are no conflict", []string{"email", "Updated", "updated_at"}, nil, []string{"email", "-", "-"}, nil, ""},
		{"empty names are no conflict", []string{"email", "", ""}, nil, []string{"email", "", ""}, nil, ""},
	}
	reg := testRegistry()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cols, unknown, err := MatchHeader(tt.header, reg, tt.mapping)
			if tt.err != "" {
				if roster.ErrorCode(err) != roster.EINVALID || roster.ErrorMessage(err) != tt.err {
					t.Errorf("error = %v, want EINVALID %q", err, tt.err)
				}
			} else if err != nil {
				t.Errorf("error = %v", err)
			}
			if len(cols) != len(tt.header) {
				t.Fatalf("%d columns for %d header cells", len(cols), len(tt.header))
			}
			if tt.want != nil {
				if got := keys(cols); !reflect.DeepEqual(got, tt.want) {
					t.Errorf("keys = %q, want %q", got, tt.want)
				}
			}
			if !reflect.DeepEqual(unknown, tt.unknown) {
				t.Errorf("unknown = %q, want %q", unknown, tt.unknown)
			}
			for i, c := range cols {
				if c.Index != i || c.Header != tt.header[i] {
					t.Errorf("column %d = {Index %d, Header %q}", i, c.Index, c.Header)
				}
			}
		})
	}
}

func TestMatchHeader_Fields(t *testing.T) {
	// The Field of a column is the registry's, so DecodeRow knows its type.
	cols, _, err := MatchHeader([]string{"Shoe size", "Tags", "id"}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cols[0].Field.Key != "" {
		t.Errorf("without the custom field, Shoe size maps to %q", cols[0].Field.Key)
	}
	if f := cols[1].Field; f.Type != roster.TypeTags || !f.Builtin {
		t.Errorf("Tags field = %+v", f)
	}
	if c := cols[2]; c.Skip || c.Field.Key != "id" {
		t.Errorf("id column = %+v, want kept", c)
	}
}

func TestMatchName(t *testing.T) {
	for _, s := range []string{"First name", "first_name", "FIRST NAME", "firstname", "first-name", "First.Name", " first\u00a0name "} {
		if got := matchName(s); got != "firstname" {
			t.Errorf("matchName(%q) = %q", s, got)
		}
	}
	if got := matchName("Prénom"); !strings.EqualFold(got, "prénom") {
		t.Errorf("matchName(Prénom) = %q", got)
	}
}
