package roster_test

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"roster"
)

// goTypes is the Go type of the values of each field type, as Get gives
// them.
var goTypes = map[roster.FieldType]reflect.Type{
	roster.TypeText: reflect.TypeFor[string](), roster.TypeLongText: reflect.TypeFor[string](),
	roster.TypeChoice: reflect.TypeFor[string](), roster.TypeURL: reflect.TypeFor[string](),
	roster.TypeEmail: reflect.TypeFor[string](), roster.TypePhone: reflect.TypeFor[string](),
	roster.TypeCountry: reflect.TypeFor[string](), roster.TypeStatus: reflect.TypeFor[string](),
	roster.TypeNumber: reflect.TypeFor[float64](), roster.TypeInteger: reflect.TypeFor[int64](),
	roster.TypeBoolean: reflect.TypeFor[bool](), roster.TypeDate: reflect.TypeFor[roster.Date](),
	roster.TypeTimestamp: reflect.TypeFor[time.Time](), roster.TypeSet: reflect.TypeFor[[]string](),
	roster.TypeMultiChoice: reflect.TypeFor[[]string](), roster.TypeAddresses: reflect.TypeFor[[]roster.Address](),
	roster.TypeLinks: reflect.TypeFor[[]roster.SocialLink](), roster.TypeDevices: reflect.TypeFor[[]roster.PushToken](),
	roster.TypeTags: reflect.TypeFor[[]string](), roster.TypeGroups: reflect.TypeFor[[]string](),
}

// TestBuiltins holds the field table together: each row's accessor has the
// Go type of its field type, a row has a column exactly when a User holds
// its value, and keys and columns are unique.
func TestBuiltins(t *testing.T) {
	keys, cols := map[string]bool{}, map[string]bool{}
	fields := roster.BuiltinFields()
	if len(fields) != len(roster.Builtins()) {
		t.Fatalf("%d fields for %d rows", len(fields), len(roster.Builtins()))
	}
	for i, b := range roster.Builtins() {
		f := b.Field
		if !reflect.DeepEqual(fields[i], f) {
			t.Errorf("BuiltinFields()[%d] = %+v, want %+v", i, fields[i], f)
		}
		if got, ok := roster.BuiltinOf(f.Key); !ok || !reflect.DeepEqual(got.Field, f) {
			t.Errorf("BuiltinOf(%s) = %+v, %v", f.Key, got.Field, ok)
		}
		if !f.Builtin || !roster.IsBuiltinKey(f.Key) || keys[f.Key] {
			t.Errorf("%s: builtin %v, IsBuiltinKey %v, repeated %v", f.Key, f.Builtin, roster.IsBuiltinKey(f.Key), keys[f.Key])
		}
		keys[f.Key] = true
		if (b.Column != "" || b.Records) != (b.Ptr != nil) || (b.Column != "" && b.Records) {
			t.Errorf("%s: column %q, records %v but Ptr %T: a stored field (in a column or records) is a member of User, and the reverse", f.Key, b.Column, b.Records, b.Ptr)
		}
		if b.Column != "" && cols[b.Column] {
			t.Errorf("%s: column %s is taken", f.Key, b.Column)
		}
		cols[b.Column] = true
		if b.Ptr != nil {
			want := reflect.FuncOf([]reflect.Type{reflect.TypeFor[*roster.User]()}, []reflect.Type{reflect.PointerTo(goTypes[f.Type])}, false)
			if got := reflect.TypeOf(b.Ptr); got != want {
				t.Errorf("%s: Ptr is %v, want %v for type %s", f.Key, got, want, f.Type)
			}
			u := &roster.User{}
			if reflect.ValueOf(b.Addr(u)).Pointer() != reflect.ValueOf(b.Ptr).Call([]reflect.Value{reflect.ValueOf(u)})[0].Pointer() {
				t.Errorf("%s: Addr and Ptr differ", f.Key)
			}
		} else if b.Addr(&roster.User{}) != nil {
			t.Errorf("%s: Addr of a field without a member", f.Key)
		}
		if b.Nullable && reflect.TypeOf(b.Ptr) != reflect.TypeFor[func(*roster.User) *string]() {
			t.Errorf("%s: only text is stored as NULL when empty", f.Key)
		}
		if v := (&roster.User{}).Get(f.Key); v != nil && reflect.TypeOf(v) != goTypes[f.Type] {
			t.Errorf("%s: Get gives %T, want %v", f.Key, v, goTypes[f.Type])
		}
		if b.Example != "" {
			if _, err := f.ParseText(b.Example); err != nil && f.Type != roster.TypeTags {
				t.Errorf("%s: example %q: %v", f.Key, b.Example, err)
			}
		}
		if f.Type == roster.TypeStatus && !slices.Equal(f.Choices, roster.UserStatusNames()) {
			t.Errorf("status choices %v", f.Choices)
		}
	}
	if roster.IsBuiltinKey("shoe_size") {
		t.Errorf("IsBuiltinKey(shoe_size)")
	}
	if _, ok := roster.BuiltinOf("shoe_size"); ok {
		t.Errorf("BuiltinOf(shoe_size)")
	}
	// The copies are the caller's.
	roster.Builtins()[0].Field.Key = "changed"
	roster.BuiltinFields()[0].Key = "changed"
	if roster.BuiltinFields()[0].Key != "id" {
		t.Errorf("the table changed through a copy")
	}
}

// TestMembers holds the member lists of the structured values to the json
// tags of their types: the hand-written codecs that walk them must write
// and read what encoding/json does.
func TestMembers(t *testing.T) {
	check := func(typ reflect.Type, keys []string, omit []bool, set func(i int, v reflect.Value) string) {
		t.Helper()
		if typ.NumField() != len(keys) {
			t.Fatalf("%v has %d fields, %d members", typ, typ.NumField(), len(keys))
		}
		for i := range keys {
			name, opts, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
			if name != keys[i] || (opts == "omitempty") != omit[i] {
				t.Errorf("%v member %d: %q omitempty %v, json tag %q", typ, i, keys[i], omit[i], typ.Field(i).Tag.Get("json"))
			}
			if b, _ := json.Marshal(keys[i]); string(b) != `"`+keys[i]+`"` {
				t.Errorf("%v member %q needs escaping in JSON", typ, keys[i])
			}
			v := reflect.New(typ)
			if got := set(i, v); v.Elem().Field(i).String() != got {
				t.Errorf("%v member %q: Ptr is not field %s", typ, keys[i], typ.Field(i).Name)
			}
		}
	}
	am := roster.AddressMembers()
	check(reflect.TypeFor[roster.Address](), memberKeys(am), memberOmit(am), func(i int, v reflect.Value) string {
		*am[i].Ptr(v.Interface().(*roster.Address)) = "x"
		return "x"
	})
	lm := roster.LinkMembers()
	check(reflect.TypeFor[roster.SocialLink](), memberKeys(lm), memberOmit(lm), func(i int, v reflect.Value) string {
		*lm[i].Ptr(v.Interface().(*roster.SocialLink)) = "x"
		return "x"
	})
	tm := roster.TokenMembers()
	check(reflect.TypeFor[roster.PushToken](), memberKeys(tm), memberOmit(tm), func(i int, v reflect.Value) string {
		*tm[i].Ptr(v.Interface().(*roster.PushToken)) = "x"
		return "x"
	})
}

func memberKeys[T any](ms []roster.Member[T]) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Key)
	}
	return out
}

func memberOmit[T any](ms []roster.Member[T]) []bool {
	var out []bool
	for _, m := range ms {
		out = append(out, m.OmitEmpty)
	}
	return out
}

func TestRegistry(t *testing.T) {
	reg := customRegistry()
	n := len(roster.BuiltinFields())
	if len(reg.Fields) != n+10 {
		t.Fatalf("%d fields, want the built-in ones and 10 active custom ones", len(reg.Fields))
	}
	if f, ok := reg.Field("tier"); !ok || f.Label != "Tier" {
		t.Errorf("Field(tier) = %+v, %v", f, ok)
	}
	if _, ok := reg.Field("old"); ok {
		t.Errorf("a retired field is in force")
	}
	if f, ok := reg.Retired("old"); !ok || !f.Retired {
		t.Errorf("Retired(old) = %+v, %v", f, ok)
	}
	if _, ok := reg.Retired("tier"); ok {
		t.Errorf("Retired(tier) found an active field")
	}
	if _, ok := reg.Field("nope"); ok {
		t.Errorf("Field(nope) found")
	}
	custom := reg.Custom()
	if len(custom) != 10 || custom[0].Key != "alias" {
		t.Errorf("Custom() = %d fields, first %q", len(custom), custom[0].Key)
	}
	keys := reg.Keys()
	if len(keys) != len(reg.Fields) || keys[0] != "id" || keys[n] != "alias" {
		t.Errorf("Keys() = %v", keys)
	}
}

func TestField_Validate(t *testing.T) {
	for _, tc := range []struct {
		name     string
		f        roster.Field
		key, msg string
	}{
		{"ok", roster.Field{Key: "shoe_size", Label: "Shoe size", Type: roster.TypeNumber}, "", ""},
		{"ok choice", roster.Field{Key: "tier", Label: "Tier", Type: roster.TypeChoice, Choices: []string{"a", "b"}}, "", ""},
		{"bad key", roster.Field{Key: "Shoe", Label: "S", Type: roster.TypeText}, "key", "must start with a lower-case letter and hold only a-z, 0-9 and _ (at most 40)"},
		{"long key", roster.Field{Key: "a" + strings.Repeat("b", 40), Label: "S", Type: roster.TypeText}, "key", "must start with a lower-case letter and hold only a-z, 0-9 and _ (at most 40)"},
		{"built-in key", roster.Field{Key: "city", Label: "S", Type: roster.TypeText}, "key", "is reserved by a built-in field"},
		{"segment key", roster.Field{Key: "segment", Label: "S", Type: roster.TypeText}, "key", "is reserved by a built-in field"},
		{"no label", roster.Field{Key: "s", Type: roster.TypeText}, "label", "is required"},
		{"long label", roster.Field{Key: "s", Label: strings.Repeat("é", 101), Type: roster.TypeText}, "label", "is longer than 100 characters"},
		{"built-in type", roster.Field{Key: "s", Label: "S", Type: roster.TypeInteger}, "type", "must be one of text, long_text, number, date, boolean, choice, multi_choice, url, email, phone"},
		{"no choices", roster.Field{Key: "s", Label: "S", Type: roster.TypeMultiChoice}, "choices", "a choice field needs at least one choice"},
		{"empty choice", roster.Field{Key: "s", Label: "S", Type: roster.TypeChoice, Choices: []string{""}}, "choices", "each choice must have 1 to 100 characters"},
		{"repeated choice", roster.Field{Key: "s", Label: "S", Type: roster.TypeChoice, Choices: []string{"a", "a"}}, "choices", `choice "a" is listed twice`},
		{"choices of text", roster.Field{Key: "s", Label: "S", Type: roster.TypeText, Choices: []string{"a"}}, "choices", "only choice fields have choices"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.f.Validate()
			if tc.key == "" {
				if err != nil {
					t.Fatalf("Validate = %v", err)
				}
				return
			}
			if got := roster.ErrorFields(err)[tc.key]; got != tc.msg {
				t.Errorf("%s: %q, want %q (%v)", tc.key, got, tc.msg, err)
			}
		})
	}
}

func TestFieldType(t *testing.T) {
	for _, typ := range roster.CustomFieldTypes {
		if !roster.IsCustomType(typ) {
			t.Errorf("IsCustomType(%s) = false", typ)
		}
	}
	for _, typ := range []roster.FieldType{roster.TypeInteger, roster.TypeTags, roster.TypePassword, "nope"} {
		if roster.IsCustomType(typ) {
			t.Errorf("IsCustomType(%s) = true", typ)
		}
	}
	for typ, goType := range goTypes {
		if got, want := typ.IsSet(), goType == reflect.TypeFor[[]string]() && typ != roster.TypeTags && typ != roster.TypeGroups; got != want {
			t.Errorf("%s.IsSet() = %v", typ, got)
		}
		if got, want := typ.IsTextual(), goType == reflect.TypeFor[string](); got != want {
			t.Errorf("%s.IsTextual() = %v", typ, got)
		}
	}
}

// TestUserEditable: the one rule of what users may edit themselves.
func TestUserEditable(t *testing.T) {
	for _, f := range roster.BuiltinFields() {
		want := !f.ReadOnly && !f.Counter && !f.System && !f.Hidden()
		if f.UserEditable() != want {
			t.Errorf("%s: UserEditable %v", f.Key, f.UserEditable())
		}
	}
	for key, want := range map[string]bool{
		"city": true, "bio": true, "first_name": true, "addresses": true,
		"points": false, "last_visit": false, "last_interaction": false, "access": false, "status": false,
		"roles": false, "badges": false, "tags": false, "groups": false, "password": false, "created_at": false, "email_confirmed": false,
	} {
		b, ok := roster.BuiltinOf(key)
		if !ok || b.Field.UserEditable() != want {
			t.Errorf("%s: UserEditable %v, want %v", key, b.Field.UserEditable(), want)
		}
	}
	if !(roster.Field{Key: "nick", Type: roster.TypeText}).UserEditable() {
		t.Error("a custom field is not editable by the user")
	}
}
