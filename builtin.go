package roster

import (
	"strings"
	"time"
)

// The built-in fields are described once, in the table below: each row
// gives the field's registry entry, its column in the users table, where a
// User holds its value and a plausible example of it. Everything else that
// lists built-in fields is derived from the table: BuiltinFields,
// User.Get and User.Set, User.Normalize, the store's columns, arguments and
// scan destinations, the export's cells and the import template's example
// row. Adding a built-in field is a row here, a member of User and a
// migration per dialect.

// Builtin describes one built-in field: its registry entry and where its
// value is kept.
type Builtin struct {
	Field Field
	// Column is the field's column in the users table; "" for a field
	// without one of its own (total_followers, which the database
	// generates from its parts, smart_type, access, tags, groups,
	// password).
	Column string
	// Nullable is true when an empty value is stored as NULL, so that the
	// column's unique index lets any number of users go without one.
	Nullable bool
	// Records is true for a field a User holds as a member that the store
	// keeps outside the users table, in records of its own, which it
	// reads and writes itself (push_tokens: user_push_tokens).
	Records bool
	// Ptr, for a field a User holds as a member, is a func(*User) *T
	// returning the member's address, where T is the Go type of the
	// field's values (see User.Get): string, bool, int64, float64, Date,
	// time.Time, []string, []Address, []SocialLink or []PushToken. It is
	// nil for a derived or write-only field.
	Ptr any
	// Value, for a field computed from others, is a func(*User) T giving
	// its value; nil otherwise.
	Value any
	// Example is a plausible, valid value of the field as a CSV cell holds
	// it, for the import template; "" when the type's example does.
	Example string

	addr func(*User) any
	get  func(*User) any
	set  func(*User, any) bool
}

// Addr returns the address of b's value in u, typed as Ptr says (a
// *string, a *[]Address, ...), or nil when u holds no such member. The
// address is boxed without an allocation: a store builds its scan
// destinations and arguments from it.
func (b *Builtin) Addr(u *User) any {
	if b.addr == nil {
		return nil
	}
	return b.addr(u)
}

// access is how a row of the table reads and writes its value.
type access struct {
	ptr, value any
	addr       func(*User) any
	get        func(*User) any
	set        func(*User, any) bool
}

// at is the access of a field held in the member of User that p returns.
func at[T any](p func(*User) *T) access {
	return access{
		ptr:  p,
		addr: func(u *User) any { return p(u) },
		get:  func(u *User) any { return *p(u) },
		set: func(u *User, v any) bool {
			x, ok := v.(T)
			if ok {
				*p(u) = x
			}
			return ok
		},
	}
}

// computed is the access of a read-only field derived from others.
func computed[T any](fn func(*User) T) access {
	return access{value: fn, get: func(u *User) any { return fn(u) }}
}

// secret is a field that is stored and set but never read by Get.
func secret(a access) access {
	a.get = nil
	return a
}

// none is the access of a field User.Get does not give (smart_type,
// password): other services read or write it.
var none = access{}

// def makes a row of the table. Flags are those of field, plus n: an
// empty value is stored as NULL (Nullable), and x: kept in records of its
// own (Records).
func def(key, label string, t FieldType, section, flags, column string, a access, example string) Builtin {
	f := field(key, label, t, section, flags)
	switch t {
	case TypeStatus:
		f.Choices = UserStatusNames() // the statuses live in one place: user.go
	case TypeAccess:
		f.Choices = AccessStateNames() // and the access states in access.go
	}
	return Builtin{Field: f, Column: column, Nullable: strings.ContainsRune(flags, 'n'), Records: strings.ContainsRune(flags, 'x'),
		Ptr: a.ptr, Value: a.value, Example: example, addr: a.addr, get: a.get, set: a.set}
}

// choices gives a row of the table of type choice its choices.
func choices(b Builtin, cs []string) Builtin {
	b.Field.Choices = cs
	return b
}

// builtins are the built-in fields in table order. Flags: r read-only, f
// filterable, s sortable, i importable, e exportable, k keyword
// searchable, n stored as NULL when empty, c a counter (Field.Counter), y a
// system field (Field.System: never editable by the user).
var builtins = []Builtin{
	def("id", "User ID", TypeText, SectionIdentity, "rfse", "public_id",
		at(func(u *User) *string { return &u.PublicID }), ""),
	def("client_id", "Client ID", TypeText, SectionIdentity, "fsieny", "client_id",
		at(func(u *User) *string { return &u.ClientID }), "sso-1001"),
	def("app_id", "App ID", TypeText, SectionIdentity, "fsiey", "app_id",
		at(func(u *User) *string { return &u.AppID }), "ios"),
	def("stripe_id", "Stripe ID", TypeText, SectionIdentity, "fsiey", "stripe_id",
		at(func(u *User) *string { return &u.StripeID }), "cus_9s6XKzkNRiz8i3"),
	def("email", "Email", TypeEmail, SectionContact, "fsiekn", "email",
		at(func(u *User) *string { return &u.Email }), "ada@example.com"),
	def("email_confirmed", "Email confirmed", TypeBoolean, SectionContact, "fsiey", "email_confirmed",
		at(func(u *User) *bool { return &u.EmailConfirmed }), ""),
	def("email_confirmed_at", "Email confirmed on", TypeTimestamp, SectionContact, "rfs", "email_confirmed_at",
		at(func(u *User) *time.Time { return &u.EmailConfirmedAt }), ""),
	def("first_name", "First name", TypeText, SectionIdentity, "fsiek", "first_name",
		at(func(u *User) *string { return &u.FirstName }), "Ada"),
	def("last_name", "Last name", TypeText, SectionIdentity, "fsiek", "last_name",
		at(func(u *User) *string { return &u.LastName }), "Lovelace"),
	def("mobile_phone", "Mobile phone", TypePhone, SectionContact, "fsiek", "mobile_phone",
		at(func(u *User) *string { return &u.MobilePhone }), "+44 7700 900123"),
	def("home_phone", "Home phone", TypePhone, SectionContact, "fsiek", "home_phone",
		at(func(u *User) *string { return &u.HomePhone }), "020 7946 0018"),
	def("bio", "Bio", TypeLongText, SectionProfile, "fiek", "bio",
		at(func(u *User) *string { return &u.Bio }), "Mathematician and writer."),
	def("birth_date", "Birth date", TypeDate, SectionProfile, "fsie", "birth_date",
		at(func(u *User) *Date { return &u.BirthDate }), "1990-12-10"),
	def("city", "City", TypeText, SectionContact, "fsiek", "city",
		at(func(u *User) *string { return &u.City }), "London"),
	def("country", "Country", TypeCountry, SectionContact, "fsie", "country",
		at(func(u *User) *string { return &u.Country }), "GB"),
	def("addresses", "Postal addresses", TypeAddresses, SectionContact, "ie", "addresses",
		at(func(u *User) *[]Address { return &u.Addresses }),
		`[{"label":"Home","line1":"12 St James's Square","city":"London","postal_code":"SW1Y 4JH","country":"GB"}]`),
	def("profile_image_url", "Profile image", TypeURL, SectionProfile, "fie", "profile_image_url",
		at(func(u *User) *string { return &u.ProfileImageURL }), "https://example.com/ada.jpg"),
	def("cover_image_url", "Cover image", TypeURL, SectionProfile, "fie", "cover_image_url",
		at(func(u *User) *string { return &u.CoverImageURL }), "https://example.com/ada-cover.jpg"),
	def("social_links", "Social links", TypeLinks, SectionSocial, "ie", "social_links",
		at(func(u *User) *[]SocialLink { return &u.SocialLinks }),
		`[{"network":"instagram","url":"https://www.instagram.com/ada"}]`),
	def("store_location", "Store location", TypeText, SectionProfile, "fsiek", "store_location",
		at(func(u *User) *string { return &u.StoreLocation }), "London Soho"),
	def("teams", "Teams", TypeSet, SectionCommunity, "fie", "teams",
		at(func(u *User) *[]string { return &u.Teams }), "design|events"),
	// Push tokens are records (user_push_tokens): the store reads and
	// writes this value through them, never a column of users.
	def("push_tokens", "Push tokens", TypeDevices, SectionAccount, "fieyx", "",
		at(func(u *User) *[]PushToken { return &u.PushTokens }),
		`[{"platform":"ios","token":"3580ff0b7f88107d3fd52f2f5130628301036f1fd27f079c"}]`),
	def("created_at", "Created", TypeTimestamp, SectionActivity, "rfsie", "created_at",
		at(func(u *User) *time.Time { return &u.CreatedAt }), "2025-03-01T12:00:00Z"),
	def("updated_at", "Updated", TypeTimestamp, SectionActivity, "rfse", "updated_at",
		at(func(u *User) *time.Time { return &u.UpdatedAt }), ""),
	def("last_interaction", "Last interaction", TypeTimestamp, SectionActivity, "rfsie", "last_interaction",
		at(func(u *User) *time.Time { return &u.LastInteraction }), "2025-03-02T09:30:00Z"),
	def("last_visit", "Last visit", TypeTimestamp, SectionActivity, "rfsie", "last_visit",
		at(func(u *User) *time.Time { return &u.LastVisit }), "2025-03-02T09:30:00Z"),
	def("first_seen", "First seen", TypeTimestamp, SectionActivity, "rfsie", "first_seen",
		at(func(u *User) *time.Time { return &u.FirstSeen }), "2025-03-01T12:05:00Z"),
	def("visits_30d", "Visits (30 days)", TypeInteger, SectionActivity, "rfs", "",
		computed(func(u *User) int64 { return u.Visits30d }), ""),
	def("interactions_30d", "Interactions (30 days)", TypeInteger, SectionActivity, "rfs", "",
		computed(func(u *User) int64 { return u.Interactions30d }), ""),
	def("sessions.last_seen", "Last seen in the app", TypeTimestamp, SectionActivity, "rfs", "",
		computed(func(u *User) time.Time { return u.SessionsLastSeen }), ""),
	def("platform", "Platforms", TypeSet, SectionAccount, "rf", "",
		computed(func(u *User) []string { return u.Platforms }), ""),
	def("last_login", "Last login", TypeTimestamp, SectionActivity, "fsiey", "last_login",
		at(func(u *User) *time.Time { return &u.LastLogin }), "2025-03-02T09:25:00Z"),
	def("points", "Points", TypeInteger, SectionCommunity, "fsiec", "points",
		at(func(u *User) *int64 { return &u.Points }), "1200"),
	def("roles", "Roles", TypeSet, SectionCommunity, "fiey", "roles",
		at(func(u *User) *[]string { return &u.Roles }), "member|vip"),
	def("badges", "Badges", TypeSet, SectionCommunity, "fiey", "badges",
		at(func(u *User) *[]string { return &u.Badges }), "verified|mentor"),
	def("missions", "Missions", TypeSet, SectionCommunity, "fiey", "missions",
		at(func(u *User) *[]string { return &u.Missions }), "complete-profile|join-a-team"),
	def("tags", "Tags", TypeTags, SectionCommunity, "rfie", "",
		computed(func(u *User) []string { return refValues(u.Tags) }), "vip|early-adopter"),
	def("groups", "Groups", TypeGroups, SectionCommunity, "rfie", "",
		computed(func(u *User) []string { return refValues(u.Groups) }), ""),
	def("smart_type", "Smart type", TypeSmartType, SectionCommunity, "rfe", "", none, ""), // Catalog.SmartType
	def("instagram_followers", "Instagram followers", TypeInteger, SectionSocial, "fsie", "instagram_followers",
		at(func(u *User) *int64 { return &u.InstagramFollowers }), "1500"),
	def("tiktok_followers", "TikTok followers", TypeInteger, SectionSocial, "fsie", "tiktok_followers",
		at(func(u *User) *int64 { return &u.TikTokFollowers }), "320"),
	def("youtube_followers", "YouTube followers", TypeInteger, SectionSocial, "fsie", "youtube_followers",
		at(func(u *User) *int64 { return &u.YouTubeFollowers }), "0"),
	def("total_followers", "Total followers", TypeInteger, SectionSocial, "rfse", "",
		computed((*User).TotalFollowers), ""),
	def("status", "Status", TypeStatus, SectionAccount, "fsiey", "status",
		at(func(u *User) *string { return (*string)(&u.Status) }), ""),
	def("access", "Access", TypeAccess, SectionAccount, "rfse", "", none, ""), // AccessRule.Of
	def("newsletter", "Newsletter", TypeBoolean, SectionAccount, "fsie", "newsletter",
		at(func(u *User) *bool { return &u.Newsletter }), ""),
	def("newsletter_at", "Subscribed on", TypeTimestamp, SectionAccount, "fsiey", "newsletter_at",
		at(func(u *User) *time.Time { return &u.NewsletterAt }), "2025-03-01T12:00:00Z"),
	choices(def("newsletter_source", "Subscription source", TypeChoice, SectionAccount, "rfsie", "newsletter_source",
		at(func(u *User) *string { return (*string)(&u.NewsletterSource) }), "import"), SubscriptionSourceNames()),
	def("newsletter_consent", "Consent", TypeText, SectionAccount, "rfiek", "newsletter_consent",
		at(func(u *User) *string { return &u.NewsletterConsent }), "Signed up at the counter"),
	def("newsletter_unsubscribed_at", "Unsubscribed on", TypeTimestamp, SectionAccount, "rfsie", "newsletter_unsubscribed_at",
		at(func(u *User) *time.Time { return &u.NewsletterUnsubscribedAt }), ""),
	def("password", "Password", TypePassword, SectionAccount, "i", "", none, ""), // hashed into password_hash
	def("password_hash", "Password hash", TypeText, SectionAccount, "r", "password_hash",
		secret(at(func(u *User) *string { return &u.PasswordHash })), ""),
	def("password_set_at", "Password set", TypeTimestamp, SectionAccount, "r", "password_set_at",
		at(func(u *User) *time.Time { return &u.PasswordSetAt }), ""),
}

var (
	// builtinFields are the registry entries of builtins.
	builtinFields = fieldsOf(builtins)
	// builtinByKey finds a row of builtins by field key.
	builtinByKey = indexBuiltins(builtins)
)

func fieldsOf(bs []Builtin) []Field {
	out := make([]Field, len(bs))
	for i := range bs {
		out[i] = bs[i].Field
	}
	return out
}

func indexBuiltins(bs []Builtin) map[string]*Builtin {
	m := make(map[string]*Builtin, len(bs))
	for i := range bs {
		m[bs[i].Field.Key] = &bs[i]
	}
	return m
}

// Builtins returns the descriptions of the built-in fields in table order.
func Builtins() []Builtin {
	out := make([]Builtin, len(builtins))
	copy(out, builtins)
	return out
}

// BuiltinOf returns the description of the built-in field with key.
func BuiltinOf(key string) (Builtin, bool) {
	b, ok := builtinByKey[key]
	if !ok {
		return Builtin{}, false
	}
	return *b, true
}

// BuiltinFields returns a copy of the built-in field list in table order.
func BuiltinFields() []Field {
	out := make([]Field, len(builtinFields))
	copy(out, builtinFields)
	return out
}

// IsBuiltinKey reports whether key names a built-in field; custom fields may
// not take these keys.
func IsBuiltinKey(key string) bool {
	_, ok := builtinByKey[key]
	return ok
}

// field is a compact constructor of a built-in Field.
func field(key, label string, t FieldType, section string, flags string) Field {
	f := Field{Key: key, Label: label, Type: t, Section: section, Builtin: true}
	for _, c := range flags {
		switch c {
		case 'r':
			f.ReadOnly = true
		case 'f':
			f.Filterable = true
		case 's':
			f.Sortable = true
		case 'i':
			f.Importable = true
		case 'e':
			f.Exportable = true
		case 'k':
			f.Searchable = true
		case 'c':
			f.Counter = true
		case 'y':
			f.System = true
		}
	}
	switch t {
	case TypeText, TypeChoice, TypeEmail, TypePhone:
		f.MaxLen = MaxTextLen
	case TypeLongText:
		f.MaxLen = MaxLongTextLen
	case TypeURL:
		f.MaxLen = MaxURLLen
	}
	return f
}

// normalizers canonicalise the built-in values that have one spelling, as
// their types say: User.Normalize runs them.
var normalizers = makeNormalizers(builtins)

func makeNormalizers(bs []Builtin) []func(*User) {
	var out []func(*User)
	for _, b := range bs {
		if b.Field.ReadOnly {
			continue
		}
		switch p := b.Ptr.(type) {
		case func(*User) *string:
			var fix func(string) string
			switch b.Field.Type {
			case TypeEmail:
				fix = func(s string) string { return strings.ToLower(strings.TrimSpace(s)) }
			case TypeCountry:
				fix = func(s string) string { return strings.ToUpper(strings.TrimSpace(s)) }
			case TypeText, TypePhone, TypeURL:
				fix = strings.TrimSpace
			case TypeStatus:
				fix = func(s string) string {
					if s == "" {
						return string(StatusActive)
					}
					return s
				}
			default:
				continue // long text keeps its spaces
			}
			out = append(out, func(u *User) { s := p(u); *s = fix(*s) })
		case func(*User) *[]string:
			out = append(out, func(u *User) { s := p(u); *s = NormalizeSet(*s) })
		}
	}
	return out
}

// Member is one member of a structured value (an Address, a SocialLink, a
// PushToken) as JSON holds it. The store's and the export's hand-written
// JSON codecs walk these lists rather than spell the members out again;
// TestMembers holds them to the types' json tags.
type Member[T any] struct {
	Key string
	// OmitEmpty leaves the member out of JSON when it is "".
	OmitEmpty bool
	Ptr       func(*T) *string
}

// AddressMembers returns the members of Address in the order json.Marshal
// writes them.
func AddressMembers() []Member[Address] {
	return []Member[Address]{
		{"label", true, func(a *Address) *string { return &a.Label }},
		{"line1", false, func(a *Address) *string { return &a.Line1 }},
		{"line2", true, func(a *Address) *string { return &a.Line2 }},
		{"city", true, func(a *Address) *string { return &a.City }},
		{"region", true, func(a *Address) *string { return &a.Region }},
		{"postal_code", true, func(a *Address) *string { return &a.PostalCode }},
		{"country", true, func(a *Address) *string { return &a.Country }},
	}
}

// LinkMembers returns the members of SocialLink in JSON order.
func LinkMembers() []Member[SocialLink] {
	return []Member[SocialLink]{
		{"network", false, func(l *SocialLink) *string { return &l.Network }},
		{"url", false, func(l *SocialLink) *string { return &l.URL }},
	}
}

// TokenMembers returns the members of PushToken in JSON order.
func TokenMembers() []Member[PushToken] {
	return []Member[PushToken]{
		{"platform", false, func(p *PushToken) *string { return &p.Platform }},
		{"token", false, func(p *PushToken) *string { return &p.Token }},
	}
}
