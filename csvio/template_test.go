package csvio

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"roster"
)

func keysOf(fields []roster.Field) string {
	keys := make([]string, len(fields))
	for i, f := range fields {
		keys[i] = f.Key
	}
	return "," + strings.Join(keys, ",") + ","
}

func TestTemplateColumns(t *testing.T) {
	keys := keysOf(TemplateColumns(exportRegistry()))
	for _, want := range []string{"email", "client_id", "created_at", "tags", "groups", "password", "score", "tier", "joined", "addresses"} {
		if !strings.Contains(keys, ","+want+",") {
			t.Errorf("template columns %s lack %s", keys, want)
		}
	}
	for _, bad := range []string{"id", "updated_at", "total_followers", "smart_type", "password_hash", "old"} {
		if strings.Contains(keys, ","+bad+",") {
			t.Errorf("template columns %s hold %s", keys, bad)
		}
	}
	if !strings.HasPrefix(keys, ",client_id,app_id,") || !strings.HasSuffix(keys, ",password,score,tier,joined,") {
		t.Errorf("template columns %s are not in table order", keys)
	}
}

// TestWriteTemplate checks the template against its golden file, and that
// its example row imports: each cell unescaped and parsed as its field's
// text, set on a user, gives a user that validates.
func TestWriteTemplate(t *testing.T) {
	for _, tt := range []struct {
		name string
		reg  *roster.Registry
	}{
		{"builtin", roster.NewRegistry(nil)},
		{"custom", exportRegistry()},
		{"every custom type", everyTypeRegistry()},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := WriteTemplate(&b, tt.reg); err != nil {
				t.Fatal(err)
			}
			if tt.name == "custom" {
				golden(t, "template.csv", b.Bytes())
			}
			recs, err := csv.NewReader(&b).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) != 2 {
				t.Fatalf("%d records, want a header and one example", len(recs))
			}
			cols := TemplateColumns(tt.reg)
			u := &roster.User{}
			touched := map[string]bool{}
			for i, f := range cols {
				if recs[0][i] != f.Key {
					t.Errorf("header %d = %q, want %q", i, recs[0][i], f.Key)
				}
				cell := UnescapeCell(recs[1][i])
				switch f.Type {
				case roster.TypeTags, roster.TypeGroups:
					// Names, which import resolves; a group must exist.
					if f.Type == roster.TypeGroups && cell != "" && (tt.reg.Catalog == nil || cell != tt.reg.Catalog.Groups[0].Name) {
						t.Errorf("groups example %q names no existing group", cell)
					}
					continue
				case roster.TypePassword:
					if cell != "" {
						t.Errorf("password example %q, want empty", cell)
					}
					continue
				}
				v, err := f.ParseText(cell)
				if err != nil {
					t.Errorf("%s: example %q does not parse: %v", f.Key, cell, err)
					continue
				}
				if cell == "" && f.Type != roster.TypeText {
					t.Errorf("%s: no example", f.Key)
				}
				if v != nil && !u.Set(f, v) {
					t.Errorf("%s: example %q cannot be set", f.Key, cell)
				}
				touched[f.Key] = true
			}
			u.Normalize()
			if err := u.Validate(tt.reg, time.Now(), true, touched); err != nil {
				t.Errorf("the example row does not validate: %v", err)
			}
		})
	}
}

// everyTypeRegistry has a custom field of every custom type, required.
func everyTypeRegistry() *roster.Registry {
	var custom []roster.Field
	for _, typ := range roster.CustomFieldTypes {
		f := roster.Field{Key: "c_" + string(typ), Label: string(typ), Type: typ, Required: true, Importable: true, Exportable: true}
		if typ == roster.TypeChoice || typ == roster.TypeMultiChoice {
			f.Choices = []string{"one", "two", "three"}
		}
		if typ == roster.TypeText || typ == roster.TypeChoice || typ == roster.TypeEmail || typ == roster.TypePhone {
			f.MaxLen = roster.MaxTextLen
		}
		custom = append(custom, f)
	}
	return roster.NewRegistry(custom)
}

func TestColumnHelp(t *testing.T) {
	reg := everyTypeRegistry()
	for _, tt := range []struct{ key, typ, format string }{
		{"c_date", "Date", "YYYY-MM-DD"},
		{"c_boolean", "Yes/no", "true/false, yes/no, 1/0"},
		{"c_multi_choice", "Multiple choice", "values separated by |, each one of: one, two, three"},
		{"c_choice", "Choice", "one of: one, two, three"},
		{"roles", "List", "values separated by |"},
		{"tags", "Tags", "tag names separated by | (missing tags are created)"},
		{"groups", "Groups", "group names separated by | (groups must exist)"},
		{"password", "Password", "plain text, hashed on import"},
		{"addresses", "Addresses", `JSON: a list of addresses, such as [{"label": "Home"`},
		{"created_at", "Date and time", "RFC 3339"},
		{"status", "Status", "one of: active, banned, invited, pending"},
	} {
		typ, format := ColumnHelp(field(t, reg, tt.key))
		if typ != tt.typ || !strings.HasPrefix(format, tt.format) {
			t.Errorf("ColumnHelp(%s) = %q, %q; want %q, %q...", tt.key, typ, format, tt.typ, tt.format)
		}
	}
}

func TestTemplateHelp(t *testing.T) {
	reg := exportRegistry()
	help := TemplateHelp(reg)
	// The template's columns, then the import-only invite and
	// password_hash.
	if n := len(TemplateColumns(reg)) + 2; len(help) != n {
		t.Fatalf("%d columns, want %d", len(help), n)
	}
	if inv := help[len(help)-2]; inv.Key != "invite" || !inv.Import || inv.Type != "Yes/no" || !strings.Contains(inv.Format, "invites") {
		t.Errorf("second to last column %+v, want the import-only invite", inv)
	}
	last := help[len(help)-1]
	if last.Key != "password_hash" || !last.Import || !strings.Contains(last.Format, "bcrypt, argon2id, scrypt or PBKDF2") {
		t.Errorf("last column %+v, want the import-only password_hash", last)
	}
	byKey := map[string]TemplateColumn{}
	for _, c := range help {
		byKey[c.Key] = c
	}
	if byKey["tier"].Required != "yes" || byKey["email"].Required == "" || byKey["city"].Required != "" {
		t.Errorf("required: tier %q, email %q, city %q", byKey["tier"].Required, byKey["email"].Required, byKey["city"].Required)
	}
	if byKey["email"].Example != "ada@example.com" || byKey["groups"].Example != "Gold" || byKey["tier"].Example != "gold" {
		t.Errorf("examples: email %q, groups %q, tier %q", byKey["email"].Example, byKey["groups"].Example, byKey["tier"].Example)
	}
}
