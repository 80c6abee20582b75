package roster

import (
	"context"
	"regexp"
	"time"
)

// FieldType is the type of a field's value. It decides validation, the
// filter operators a field accepts and the control the UI shows for it.
type FieldType string

// Field types. The first ten are the ones staff may give a custom field; the
// rest describe built-in fields.
const (
	TypeText        FieldType = "text"
	TypeLongText    FieldType = "long_text"
	TypeNumber      FieldType = "number" // float64
	TypeDate        FieldType = "date"   // a calendar day, Date
	TypeBoolean     FieldType = "boolean"
	TypeChoice      FieldType = "choice"       // one of Choices
	TypeMultiChoice FieldType = "multi_choice" // a subset of Choices
	TypeURL         FieldType = "url"
	TypeEmail       FieldType = "email"
	TypePhone       FieldType = "phone"

	TypeInteger   FieldType = "integer"    // int64
	TypeTimestamp FieldType = "timestamp"  // time.Time, UTC
	TypeSet       FieldType = "set"        // a free set of strings: roles, badges, ...
	TypeCountry   FieldType = "country"    // ISO 3166-1 alpha-2
	TypeStatus    FieldType = "status"     // UserStatus
	TypeAddresses FieldType = "addresses"  // []Address
	TypeLinks     FieldType = "links"      // []SocialLink
	TypeDevices   FieldType = "devices"    // []PushToken
	TypePassword  FieldType = "password"   // write-only; hashed before it is stored
	TypeTags      FieldType = "tags"       // tag ids, newest first; names and colours in the Catalog
	TypeGroups    FieldType = "groups"     // group ids
	TypeSmartType FieldType = "smart_type" // derived from groups and the smart type list
	TypeAccess    FieldType = "access"     // AccessState, computed by the active-account rule
)

// CustomFieldTypes lists the types a custom field may have, in the order the
// settings page offers them.
var CustomFieldTypes = []FieldType{
	TypeText, TypeLongText, TypeNumber, TypeDate, TypeBoolean,
	TypeChoice, TypeMultiChoice, TypeURL, TypeEmail, TypePhone,
}

// IsCustomType reports whether staff may define a custom field of type t.
func IsCustomType(t FieldType) bool {
	for _, c := range CustomFieldTypes {
		if c == t {
			return true
		}
	}
	return false
}

// IsSet reports whether values of t are sets of strings.
func (t FieldType) IsSet() bool { return t == TypeSet || t == TypeMultiChoice }

// IsTextual reports whether values of t are single strings.
func (t FieldType) IsTextual() bool {
	switch t {
	case TypeText, TypeLongText, TypeChoice, TypeURL, TypeEmail, TypePhone, TypeCountry, TypeStatus:
		return true
	}
	return false
}

// Field describes one field of the user table, built-in or custom. The
// registry of fields is the single source for the table's columns, the
// filters, the CSV template, the profile and the API.
type Field struct {
	Key   string    `json:"key"`
	Label string    `json:"label"`
	Type  FieldType `json:"type"`
	// Section groups fields on the profile page.
	Section  string `json:"section"`
	Builtin  bool   `json:"builtin"`
	Required bool   `json:"required"`
	// ReadOnly fields are set by Roster (id, created_at, total_followers, ...)
	// and refused when an API body or a form names them.
	ReadOnly bool `json:"read_only"`
	// Counter fields are balances kept by a ledger (LedgerService): given
	// when a user is created or imported, and changed afterwards only by a
	// ledger entry with a reason, never by an edit.
	Counter bool `json:"counter,omitempty"`
	// System fields are kept by Roster or set by staff and the operator's
	// backend (identifiers from other systems, the status, roles and
	// badges, when the email was confirmed): never by the user themself.
	System     bool     `json:"system,omitempty"`
	Filterable bool     `json:"filterable"`
	Sortable   bool     `json:"sortable"`
	Importable bool     `json:"importable"`
	Exportable bool     `json:"exportable"`
	Searchable bool     `json:"searchable"` // part of keyword search
	Choices    []string `json:"choices,omitempty"`
	MaxLen     int      `json:"max_length,omitempty"`

	// Custom fields only.
	ID        int64     `json:"id,omitempty"`
	Position  int       `json:"position,omitempty"`
	Retired   bool      `json:"retired,omitempty"`
	CreatedAt time.Time `json:"created_at,omitzero"`
}

// Hidden reports whether f is never shown in the API or on the profile:
// the password, its hash, and when it was last set (which only feeds the
// access field).
func (f Field) Hidden() bool {
	return f.Type == TypePassword || f.Key == "password_hash" || f.Key == "password_set_at"
}

// UserEditable reports whether the operator may let users change f
// themselves (Settings → Fields, "Editable by the user", and
// PATCH /api/member/v1/me): not a read-only (computed) field, a counter, a
// system field or a hidden one. It is the one rule both apply.
func (f Field) UserEditable() bool {
	return !f.ReadOnly && !f.Counter && !f.System && !f.Hidden()
}

// Profile sections, in display order.
const (
	SectionIdentity  = "Identity"
	SectionContact   = "Contact"
	SectionProfile   = "Profile"
	SectionActivity  = "Activity"
	SectionCommunity = "Community"
	SectionSocial    = "Social"
	SectionAccount   = "Account"
	SectionCustom    = "Custom fields"
)

// Length limits shared by validation and the UI's maxlength attributes.
const (
	MaxNameLen     = 100
	MaxTextLen     = 255
	MaxLongTextLen = 5000
	MaxURLLen      = 2048
	MaxSetItems    = 100
	MaxSetItemLen  = 100
)

// Registry is the set of fields in force: the built-in fields followed by the
// active custom fields in their chosen order.
type Registry struct {
	Fields []Field
	// Catalog holds the tags, groups and segments that filters name; nil
	// when the registry was loaded without it.
	Catalog *Catalog
	// Access is the active-account rule when the registry was loaded: how
	// the access field reads for the users shown with it (a profile, an
	// export, the API). The query index evaluates its own at each search.
	Access AccessRule

	byKey   map[string]int
	retired map[string]Field
}

// NewRegistry builds a registry from the built-in fields and custom.
// Retired custom fields are left out.
func NewRegistry(custom []Field) *Registry {
	r := &Registry{byKey: make(map[string]int), retired: make(map[string]Field)}
	r.Fields = append(r.Fields, builtinFields...)
	for _, f := range custom {
		if f.Retired {
			r.retired[f.Key] = f
		} else {
			r.Fields = append(r.Fields, f)
		}
	}
	for i, f := range r.Fields {
		r.byKey[f.Key] = i
	}
	return r
}

// Field returns the field with key, if any.
func (r *Registry) Field(key string) (Field, bool) {
	i, ok := r.byKey[key]
	if !ok {
		return Field{}, false
	}
	return r.Fields[i], true
}

// Retired returns the retired custom field with key, if any. Values of
// retired fields are kept, unseen, so that un-retiring a field restores them.
func (r *Registry) Retired(key string) (Field, bool) {
	f, ok := r.retired[key]
	return f, ok
}

// Custom returns the active custom fields.
func (r *Registry) Custom() []Field {
	var out []Field
	for _, f := range r.Fields {
		if !f.Builtin {
			out = append(out, f)
		}
	}
	return out
}

// Keys returns every field key in order.
func (r *Registry) Keys() []string {
	out := make([]string, len(r.Fields))
	for i, f := range r.Fields {
		out[i] = f.Key
	}
	return out
}

var customKeyRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

// Validate checks a custom field definition.
func (f *Field) Validate() error {
	fe := FieldErrors{}
	if !customKeyRE.MatchString(f.Key) {
		fe.Add("key", "must start with a lower-case letter and hold only a-z, 0-9 and _ (at most 40)")
	} else if IsBuiltinKey(f.Key) || f.Key == "segment" || f.Key == "q" || f.Key == ImportInviteField.Key || IsSessionAnswerKey(f.Key) {
		fe.Add("key", "is reserved by a built-in field")
	}
	if f.Label == "" {
		fe.Add("label", "is required")
	} else if msg := TextProblem(f.Label, MaxNameLen, false); msg != "" {
		fe.Add("label", msg)
	}
	if !IsCustomType(f.Type) {
		fe.Add("type", "must be one of text, long_text, number, date, boolean, choice, multi_choice, url, email, phone")
	}
	if f.Type == TypeChoice || f.Type == TypeMultiChoice {
		if len(f.Choices) == 0 {
			fe.Add("choices", "a choice field needs at least one choice")
		}
		seen := map[string]bool{}
		for _, c := range f.Choices {
			if c == "" || len([]rune(c)) > MaxSetItemLen {
				fe.Add("choices", "each choice must have 1 to 100 characters")
			} else if msg := TextProblem(c, 0, false); msg != "" {
				fe.Add("choices", "choice "+quote(c)+" "+msg)
			} else if seen[c] {
				fe.Add("choices", "choice "+quote(c)+" is listed twice")
			}
			seen[c] = true
		}
	} else if len(f.Choices) > 0 {
		fe.Add("choices", "only choice fields have choices")
	}
	return fe.Err()
}

// CustomFieldUpdate is a change to a custom field. A field's key and type
// never change: values already stored depend on them.
type CustomFieldUpdate struct {
	Label    *string  `json:"label"`
	Required *bool    `json:"required"`
	Choices  []string `json:"choices"` // replaces the list when non-nil
	Position *int     `json:"position"`
	Retired  *bool    `json:"retired"`
}

// FieldService manages custom fields.
type FieldService interface {
	// Registry returns the fields in force.
	Registry(ctx context.Context) (*Registry, error)
	// FindCustomFields returns every custom field, retired ones included.
	FindCustomFields(ctx context.Context) ([]Field, error)
	// CreateCustomField creates f. EINVALID, ECONFLICT (key taken).
	CreateCustomField(ctx context.Context, f *Field) error
	// UpdateCustomField changes the field with key. ENOTFOUND, EINVALID.
	UpdateCustomField(ctx context.Context, key string, upd CustomFieldUpdate) (*Field, error)
}
