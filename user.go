package roster

import (
	"context"
	"math"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// UserStatus is the state of a user's account.
type UserStatus string

// User statuses. Active is the default.
const (
	StatusActive  UserStatus = "active"
	StatusBanned  UserStatus = "banned"
	StatusInvited UserStatus = "invited"
	StatusPending UserStatus = "pending"
)

// UserStatusNames lists the statuses in the order the table offers them.
func UserStatusNames() []string {
	return []string{string(StatusActive), string(StatusBanned), string(StatusInvited), string(StatusPending)}
}

// Address is one postal address of a user.
type Address struct {
	Label      string `json:"label,omitempty"`
	Line1      string `json:"line1"`
	Line2      string `json:"line2,omitempty"`
	City       string `json:"city,omitempty"`
	Region     string `json:"region,omitempty"`
	PostalCode string `json:"postal_code,omitempty"`
	Country    string `json:"country,omitempty"`
}

// SocialLink is a link to one of the user's profiles elsewhere.
type SocialLink struct {
	Network string `json:"network"`
	URL     string `json:"url"`
}

// PushToken is a device's push notification token.
type PushToken struct {
	Platform string `json:"platform"` // ios, android, web
	Token    string `json:"token"`
}

// User is an end user of the operator's product: one row of the user table.
type User struct {
	// ID is the store's dense integer id; PublicID is the id shown and used in
	// URLs and the API.
	ID       int64
	PublicID string

	ClientID string // the SSO id in the operator's app
	AppID    string
	StripeID string

	Email          string // stored lower-cased
	EmailConfirmed bool
	// EmailConfirmedAt is when the address was confirmed (zero: not, or
	// before Roster recorded it).
	EmailConfirmedAt time.Time
	FirstName        string
	LastName         string
	MobilePhone      string
	HomePhone        string
	Bio              string
	BirthDate        Date
	City             string
	Country          string // ISO 3166-1 alpha-2, upper case

	Addresses       []Address
	ProfileImageURL string
	CoverImageURL   string
	SocialLinks     []SocialLink
	StoreLocation   string
	Teams           []string
	PushTokens      []PushToken

	CreatedAt       time.Time
	UpdatedAt       time.Time
	LastInteraction time.Time // zero: never
	LastVisit       time.Time
	FirstSeen       time.Time // the first event's time, or as imported
	LastLogin       time.Time

	Points             int64
	Roles              []string
	Badges             []string
	Missions           []string
	InstagramFollowers int64
	TikTokFollowers    int64
	YouTubeFollowers   int64

	Status     UserStatus
	Newsletter bool
	// The subscription record, which StampNewsletter keeps: when the user
	// last subscribed, how, with what consent text, and when they last
	// unsubscribed.
	NewsletterAt             time.Time
	NewsletterSource         SubscriptionSource
	NewsletterConsent        string
	NewsletterUnsubscribedAt time.Time

	// PasswordHash is a PHC-format hash; never shown, exported or logged.
	PasswordHash string
	// PasswordSetAt is when a password was last set (zero: never, or
	// before Roster recorded it); setting one renews an expired account.
	PasswordSetAt time.Time

	// Custom holds custom field values by key, typed by the field's type.
	Custom map[string]any

	// Tags are the ids of the user's tags, newest first, and Groups those of
	// the groups they belong to. Both are changed through TagService and
	// GroupService, never by an update of the user.
	Tags   []int64
	Groups []int64

	// SessionsLastSeen and Platforms are read from the user's sessions,
	// those the store keeps (live, or ended or expired within the last 30
	// days): the newest use of any of them (zero: none), and the
	// platforms their devices named, sorted. The store fills them when it
	// loads a user; nothing else writes them.
	SessionsLastSeen time.Time
	Platforms        []string

	// ActivityDays are the user's visits and interactions per UTC day,
	// of the days that may still fall in the activity counters' window;
	// Visits30d and Interactions30d are their sums over the window when
	// the store loaded the user (counters.go). The store fills them when
	// it loads a user; nothing else writes them.
	ActivityDays    []ActivityDay
	Visits30d       int64
	Interactions30d int64
}

// TotalFollowers is derived, so it can never be out of step with its parts.
func (u *User) TotalFollowers() int64 {
	return u.InstagramFollowers + u.TikTokFollowers + u.YouTubeFollowers
}

// Name returns the user's full name, or their email when they have none.
func (u *User) Name() string {
	n := strings.TrimSpace(u.FirstName + " " + u.LastName)
	if n == "" {
		return u.Email
	}
	return n
}

// Get returns the value of the field with key, typed by its FieldType: string,
// int64, float64, bool, Date, time.Time, []string, []Address, []SocialLink or
// []PushToken. Unset custom fields are nil. The password fields are never
// returned.
func (u *User) Get(key string) any {
	if b, ok := builtinByKey[key]; ok {
		if b.get == nil {
			return nil // smart_type is derived (Catalog.SmartType); passwords are secret
		}
		return b.get(u)
	}
	if u.Custom == nil {
		return nil
	}
	return u.Custom[key]
}

// Getter returns the function that reads the field with key from a user,
// as Get does, looked up once: for loops that read the same fields of
// many users (the query index loading a million).
func Getter(key string) func(*User) any {
	if b, ok := builtinByKey[key]; ok {
		if b.get == nil {
			return getNothing // smart_type is derived (Catalog.SmartType); passwords are secret
		}
		return b.get
	}
	return func(u *User) any {
		if u.Custom == nil {
			return nil
		}
		return u.Custom[key]
	}
}

func getNothing(*User) any { return nil }

// Set stores v, typed as Get returns it, in the field f. It reports false when
// v has the wrong Go type for f, or f cannot be set: a derived field, or
// "password", which the caller must hash first.
func (u *User) Set(f Field, v any) bool {
	if !f.Builtin {
		if u.Custom == nil {
			u.Custom = map[string]any{}
		}
		if v == nil || isZeroValue(v) {
			delete(u.Custom, f.Key)
			return true
		}
		if !valueFits(f.Type, v) {
			return false
		}
		u.Custom[f.Key] = v
		return true
	}
	b, ok := builtinByKey[f.Key]
	if !ok || b.set == nil {
		return false
	}
	return b.set(u, v) // which checks v's type
}

// valueFits reports whether v has the Go type that fields of type t hold.
func valueFits(t FieldType, v any) bool {
	switch t {
	case TypeText, TypeLongText, TypeChoice, TypeURL, TypeEmail, TypePhone, TypeCountry, TypeStatus, TypePassword:
		_, ok := v.(string)
		return ok
	case TypeNumber:
		_, ok := v.(float64)
		return ok
	case TypeInteger:
		_, ok := v.(int64)
		return ok
	case TypeDate:
		_, ok := v.(Date)
		return ok
	case TypeTimestamp:
		_, ok := v.(time.Time)
		return ok
	case TypeBoolean:
		_, ok := v.(bool)
		return ok
	case TypeSet, TypeMultiChoice:
		_, ok := v.([]string)
		return ok
	case TypeAddresses:
		_, ok := v.([]Address)
		return ok
	case TypeLinks:
		_, ok := v.([]SocialLink)
		return ok
	case TypeDevices:
		_, ok := v.([]PushToken)
		return ok
	}
	return false
}

// isZeroValue reports whether v is its type's empty value, which for a custom
// field means "not set".
func isZeroValue(v any) bool {
	switch x := v.(type) {
	case string:
		return x == ""
	case Date:
		return x.IsZero()
	case time.Time:
		return x.IsZero()
	case []string:
		return len(x) == 0
	}
	return false
}

// IsEmpty reports whether v, as Get returns it, is empty: the meaning of a
// filter's "none".
func IsEmpty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case []Address:
		return len(x) == 0
	case []SocialLink:
		return len(x) == 0
	case []PushToken:
		return len(x) == 0
	}
	return isZeroValue(v)
}

// Normalize trims and canonicalises values that have one spelling: emails
// lower case, country codes upper case, sets deduplicated.
func (u *User) Normalize() {
	for _, fix := range normalizers {
		fix(u)
	}
	for k, v := range u.Custom {
		switch x := v.(type) {
		case string:
			u.Custom[k] = strings.TrimSpace(x)
		case []string:
			u.Custom[k] = NormalizeSet(x)
		}
	}
}

// NormalizeSet trims the items of a set, drops empty ones and duplicates, and
// keeps the first-seen order. It returns nil for an empty set.
func NormalizeSet(s []string) []string {
	var out []string
	for _, v := range s {
		v = strings.TrimSpace(v)
		if v != "" && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// Validate checks every field of u against reg and returns an EINVALID error
// naming each bad field. now bounds dates that cannot be in the future.
// Required custom fields are checked only when creating (creating is true)
// or when the field is among touched: a field made required later must not
// block unrelated edits of older users.
func (u *User) Validate(reg *Registry, now time.Time, creating bool, touched map[string]bool) error {
	fe := FieldErrors{}
	if u.Email == "" && u.ClientID == "" {
		fe.Add("email", "is required (or a client_id)")
	}
	if u.Email != "" && !ValidEmail(u.Email) {
		fe.Add("email", "is not a valid email address")
	}
	if !u.BirthDate.IsZero() {
		if u.BirthDate.In(time.UTC).After(now) {
			fe.Add("birth_date", "is in the future")
		} else if u.BirthDate.Year < 1900 {
			fe.Add("birth_date", "is before 1900")
		}
	}
	for _, f := range reg.Fields {
		if f.ReadOnly || f.Type == TypePassword {
			continue
		}
		v := u.Get(f.Key)
		if f.Required && IsEmpty(v) && (creating || touched[f.Key]) {
			fe.Add(f.Key, "is required")
			continue
		}
		if v == nil {
			continue
		}
		if msg := checkValue(f, v); msg != "" {
			fe.Add(f.Key, msg)
		}
	}
	for k := range u.Custom {
		if _, retired := reg.Retired(k); retired {
			continue
		}
		if f, ok := reg.Field(k); !ok || f.Builtin {
			fe.Add(k, "is not a field")
		}
	}
	return fe.Err()
}

// MaxCount bounds points and follower counts so that their sum stays exact in
// every store and in JavaScript.
const MaxCount = 1 << 50

// checkValue validates one typed value against its field's type and limits,
// returning a message or "".
func checkValue(f Field, v any) string {
	switch x := v.(type) {
	case string:
		return checkText(f, x)
	case []string:
		return checkSet(f, x)
	case float64:
		return checkNumber(x)
	case int64:
		return checkCount(x)
	case []Address:
		return checkAddresses(x)
	case []SocialLink:
		return checkLinks(x)
	case []PushToken:
		return checkTokens(x)
	}
	return ""
}

// checkText checks a single string value: valid text within f's length,
// and what f's type asks of it.
func checkText(f Field, x string) string {
	switch f.Type {
	case TypeStatus:
		if !slices.Contains(f.Choices, x) {
			return "must be one of " + strings.Join(f.Choices, ", ")
		}
	case TypeCountry:
		if _, ok := CountryName(x); !ok && x != "" {
			return quote(x) + " is not an ISO 3166-1 alpha-2 country code"
		}
	}
	if x == "" {
		return ""
	}
	if !utf8.ValidString(x) || strings.ContainsRune(x, 0) {
		return "contains invalid characters"
	}
	if f.Type == TypeText && strings.ContainsAny(x, "\r\n") {
		return "must be a single line"
	}
	// The input rule: no control characters; tabs and line breaks only in
	// long text.
	if msg := TextProblem(x, 0, f.Type == TypeLongText); msg != "" {
		return msg
	}
	if f.MaxLen > 0 && utf8.RuneCountInString(x) > f.MaxLen {
		return "is longer than " + itoa(f.MaxLen) + " characters"
	}
	switch f.Type {
	case TypeEmail:
		if !ValidEmail(x) {
			return "is not a valid email address"
		}
	case TypePhone:
		if !ValidPhone(x) {
			return "is not a valid phone number"
		}
	case TypeURL:
		if !ValidURL(x) {
			return "is not a valid http(s) URL"
		}
	case TypeChoice:
		if !slices.Contains(f.Choices, x) {
			return quote(x) + " is not one of the choices"
		}
	case TypeText:
		if strings.ContainsAny(x, "\r\n") {
			return "must be a single line"
		}
	}
	return ""
}

// checkSet checks a set: its size, each member's text and, for a multiple
// choice, that each member is a choice.
func checkSet(f Field, x []string) string {
	if len(x) > MaxSetItems {
		return "has more than " + itoa(MaxSetItems) + " values"
	}
	for _, s := range x {
		if !utf8.ValidString(s) || strings.ContainsRune(s, 0) || utf8.RuneCountInString(s) > MaxSetItemLen {
			return "each value must be valid text of at most " + itoa(MaxSetItemLen) + " characters"
		}
		if f.Type == TypeMultiChoice && !slices.Contains(f.Choices, s) {
			return quote(s) + " is not one of the choices"
		}
	}
	return ""
}

// checkNumber refuses what is not a finite number.
func checkNumber(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return "is not a number"
	}
	return ""
}

// checkCount bounds a whole number (points, followers) to [0, MaxCount].
func checkCount(n int64) string {
	if n < 0 {
		return "must not be negative"
	} else if n > MaxCount {
		return "is too large"
	}
	return ""
}

// MaxAddresses and MaxLinks bound the lists of a user.
const (
	MaxAddresses = 20
	MaxLinks     = 20
	// MaxPostalCode bounds a postal code.
	MaxPostalCode = 16
)

// Problems returns what is wrong with the address, by member (its JSON
// key): the one check of an address, which Validate applies to the
// addresses field and the profile's editor to each row.
func (a Address) Problems() map[string]string {
	p := map[string]string{}
	if a.Line1 == "" {
		p["line1"] = "is required"
	}
	for _, m := range AddressMembers() {
		if s := *m.Ptr(&a); utf8.RuneCountInString(s) > MaxTextLen || !utf8.ValidString(s) {
			p[m.Key] = "is longer than 255 characters"
		}
	}
	if a.Country != "" {
		if _, ok := CountryName(a.Country); !ok {
			p["country"] = quote(a.Country) + " is not an ISO 3166-1 alpha-2 country code"
		}
	}
	if a.PostalCode != "" && p["postal_code"] == "" && !validPostalCode(a.PostalCode) {
		p["postal_code"] = quote(a.PostalCode) + " is not a postal code (letters, digits, spaces and hyphens, at most 16)"
	}
	return p
}

// validPostalCode reports whether s looks like a postal code of some
// country: letters and digits, with spaces and hyphens between them.
func validPostalCode(s string) bool {
	if len(s) > MaxPostalCode {
		return false
	}
	digitOrLetter := false
	for _, r := range s {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			digitOrLetter = true
		case r == ' ' || r == '-':
		default:
			return false
		}
	}
	return digitOrLetter
}

// checkAddresses checks a list of postal addresses.
func checkAddresses(x []Address) string {
	if len(x) > MaxAddresses {
		return "has more than 20 addresses"
	}
	for _, a := range x {
		p := a.Problems()
		switch {
		case p["line1"] == "is required":
			return "each address needs line1"
		case p["country"] != "":
			return p["country"]
		}
		for _, m := range AddressMembers() {
			if p[m.Key] == "is longer than 255 characters" {
				return "an address line is longer than 255 characters"
			}
		}
		if p["postal_code"] != "" {
			return "postal code " + p["postal_code"]
		}
	}
	return ""
}

// Problems returns what is wrong with the link, by member: the one check
// of a social link (Validate, and the profile's editor per row).
func (l SocialLink) Problems() map[string]string {
	p := map[string]string{}
	if l.Network == "" || utf8.RuneCountInString(l.Network) > MaxSetItemLen {
		p["network"] = "is required, at most 100 characters"
	}
	if !ValidURL(l.URL) || len(l.URL) > MaxURLLen {
		p["url"] = "is not a valid http(s) URL"
	}
	return p
}

// checkLinks checks a list of social links.
func checkLinks(x []SocialLink) string {
	if len(x) > MaxLinks {
		return "has more than 20 links"
	}
	for _, l := range x {
		p := l.Problems()
		if p["network"] != "" {
			return "each link needs a network name of at most 100 characters"
		}
		if p["url"] != "" {
			return "link " + quote(l.Network) + " is not a valid http(s) URL"
		}
	}
	return ""
}

// checkTokens checks a list of push tokens.
func checkTokens(x []PushToken) string {
	if len(x) > 50 {
		return "has more than 50 tokens"
	}
	for _, p := range x {
		if p.Token == "" || len(p.Token) > 4096 {
			return "each token must have 1 to 4096 characters"
		}
		if len(p.Platform) > 20 {
			return "platform is longer than 20 characters"
		}
	}
	return ""
}

// ValidEmail reports whether s is a plain address (no display name).
func ValidEmail(s string) bool {
	if len(s) > 254 || strings.ContainsAny(s, " \t\r\n<>") {
		return false
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	return at > 0 && strings.Contains(s[at+1:], ".")
}

// ValidPhone accepts international and local formats: digits with spaces,
// dots, dashes and parentheses, an optional leading +, 4 to 20 digits.
func ValidPhone(s string) bool {
	digits, open := 0, false
	prevSep := true // no separator first
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
			prevSep = false
			continue
		case r == '+' && i == 0:
			continue
		case r == '(' && !open:
			open = true
		case r == ')' && open:
			open = false
		case r == ' ' || r == '-' || r == '.':
			if prevSep && r != ' ' {
				return false // "--", "-." or a leading dash
			}
		default:
			return false
		}
		prevSep = r != ')'
	}
	return !open && digits >= 4 && digits <= 20 && !dateLike.MatchString(s)
}

// dateLike matches text written as a date (2025-02-30, 30.02.2025,
// 2025/02/30): digits in date groups are a date typed into the wrong
// field, not a phone number.
var dateLike = regexp.MustCompile(`^(\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{2,4})$`)

// ValidURL reports whether s is an absolute http or https URL with a host.
func ValidURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && !strings.ContainsAny(s, " \t\r\n")
}

// UserUpdate is a set of field values to change, keyed by field key and typed
// as User.Get returns them. Password, when set, is a plain password that the
// store hashes.
type UserUpdate struct {
	Values   map[string]any
	Password *string
	// Note is recorded with the audit entry: the reason for a ban, say.
	Note string
	// Via is how a change of the newsletter is recorded (StampNewsletter);
	// the store takes it from the context (SubscriptionFromContext) when
	// its Source is empty.
	Via Subscription
}

// UserService reads and writes users. Every write runs in one transaction
// that also appends to the change log and, when a staff member acts, to the
// audit log.
type UserService interface {
	// FindUserByID returns the user with public id. ENOTFOUND.
	FindUserByID(ctx context.Context, id string) (*User, error)
	// CreateUser stores u, filling its ids and timestamps. password, when not
	// empty, is hashed. EINVALID, ECONFLICT (email or client id taken).
	CreateUser(ctx context.Context, u *User, password string) error
	// CreateUsers stores many users in one transaction, with one change row
	// each and one audit entry for the batch. Used by seeding and import.
	CreateUsers(ctx context.Context, users []*User) error
	// UpdateUser applies upd to the user with id. ENOTFOUND, EINVALID,
	// ECONFLICT.
	UpdateUser(ctx context.Context, id string, upd UserUpdate) (*User, error)
	// DeleteUser deletes the user with id permanently. ENOTFOUND.
	DeleteUser(ctx context.Context, id string) error
	// FindUsersByIDs returns the users with the given store ids in that
	// order, skipping ids without a user: how a page of search results is
	// loaded.
	FindUsersByIDs(ctx context.Context, ids []int64) ([]*User, error)
	// CountUsers returns the number of users.
	CountUsers(ctx context.Context) (int, error)
	// Authenticate checks an end user's sign-in in the operator's product:
	// login is their email (in any case) or their client id. An unknown
	// login, a user without a password and a wrong password give the same
	// EUNAUTHORIZED error after the same work; repeated failures for one
	// login are slowed and then locked (ETOOMANY). A banned user gets
	// EFORBIDDEN, only once the password matched. On success last_login is
	// set, and a hash imported from another product or made with older
	// parameters is replaced by a current one.
	Authenticate(ctx context.Context, login, password string) (*User, error)
	// SignIn is Authenticate for a client that calls directly (the
	// member API's public sign-in): failures are counted for the client's
	// address too, across logins, as staff sign-ins are.
	SignIn(ctx context.Context, login, password, client string) (*User, error)
	// CheckPassword checks the password of the user (store id) without
	// signing in: what a password change asks first. It is throttled as
	// a sign-in of the user's email. EUNAUTHORIZED, ETOOMANY.
	CheckPassword(ctx context.Context, id int64, password string) error
}

// quote quotes a value for a message, cut short: see Quote.
func quote(s string) string { return Quote(s) }

func itoa(n int) string { return strconv.Itoa(n) }
