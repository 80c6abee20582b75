package roster_test

import (
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"roster"
)

// sample returns a valid, non-empty value of a field of type t, as Get
// gives it.
func sample(t *testing.T, f roster.Field) any {
	t.Helper()
	switch f.Type {
	case roster.TypeText, roster.TypeLongText:
		return "some " + f.Key
	case roster.TypeEmail:
		return "ada@example.com"
	case roster.TypePhone:
		return "+44 7700 900123"
	case roster.TypeURL:
		return "https://example.com/" + f.Key
	case roster.TypeCountry:
		return "GB"
	case roster.TypeStatus:
		return "banned"
	case roster.TypeChoice:
		return f.Choices[0]
	case roster.TypeBoolean:
		return true
	case roster.TypeInteger:
		return int64(42)
	case roster.TypeNumber:
		return 4.5
	case roster.TypeDate:
		return roster.Date{Year: 1990, Month: 12, Day: 10}
	case roster.TypeTimestamp:
		return time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	case roster.TypeSet, roster.TypeMultiChoice:
		return []string{"a", "b"}
	case roster.TypeAddresses:
		return []roster.Address{{Line1: "12 St James's Square", City: "London", Country: "GB"}}
	case roster.TypeLinks:
		return []roster.SocialLink{{Network: "instagram", URL: "https://www.instagram.com/ada"}}
	case roster.TypeDevices:
		return []roster.PushToken{{Platform: "ios", Token: "abc"}}
	}
	t.Fatalf("no sample of type %s", f.Type)
	return nil
}

// wrongType is a value of a Go type no field holds.
const wrongType = 42

// TestUser_GetSet sets every built-in field that a User holds and reads it
// back; derived and write-only fields refuse to be set, and a value of the
// wrong Go type is refused without changing the user.
func TestUser_GetSet(t *testing.T) {
	for _, b := range roster.Builtins() {
		f := b.Field
		t.Run(f.Key, func(t *testing.T) {
			u := &roster.User{InstagramFollowers: 1, TikTokFollowers: 2, YouTubeFollowers: 3, Tags: []int64{7, 3}, Groups: []int64{9}}
			before := *u
			if u.Set(f, wrongType) {
				t.Errorf("Set(%s, wrong type) = true", f.Key)
			}
			if !reflect.DeepEqual(*u, before) {
				t.Errorf("a refused Set changed the user")
			}
			switch f.Key {
			case "total_followers":
				if got := u.Get(f.Key); got != int64(6) {
					t.Errorf("Get = %v, want 6", got)
				}
			case "tags":
				if got := u.Get(f.Key); !reflect.DeepEqual(got, []string{"7", "3"}) {
					t.Errorf("Get = %#v, want the tag ids as text", got)
				}
			case "groups":
				if got := u.Get(f.Key); !reflect.DeepEqual(got, []string{"9"}) {
					t.Errorf("Get = %#v, want the group ids as text", got)
				}
			case "smart_type", "password", "password_hash":
				if got := u.Get(f.Key); got != nil {
					t.Errorf("Get = %#v, want nil", got)
				}
			}
			if b.Ptr == nil {
				v := any([]string{"1"})
				if f.Type == roster.TypeInteger || f.Type == roster.TypePassword || f.Type == roster.TypeSmartType {
					v = "1"
				}
				if u.Set(f, v) || u.Set(f, int64(1)) {
					t.Errorf("Set of a derived or write-only field = true")
				}
				return
			}
			v := sample(t, f)
			if !u.Set(f, v) {
				t.Fatalf("Set(%s, %#v) = false", f.Key, v)
			}
			if f.Key == "password_hash" {
				if u.PasswordHash != v {
					t.Errorf("PasswordHash = %q, want %q", u.PasswordHash, v)
				}
				return
			}
			if got := u.Get(f.Key); !reflect.DeepEqual(got, v) {
				t.Errorf("Get = %#v, want %#v", got, v)
			}
			// Addr gives the member Set wrote.
			if got := reflect.ValueOf(b.Addr(u)).Elem().Interface(); !reflect.DeepEqual(got, v) {
				t.Errorf("*Addr = %#v, want %#v", got, v)
			}
		})
	}
}

func TestUser_GetSetCustom(t *testing.T) {
	reg := customRegistry()
	u := &roster.User{}
	for _, tc := range []struct {
		key  string
		v    any
		ok   bool
		want any // Get afterwards
	}{
		{"alias", "Ada", true, "Ada"},
		{"alias", 3, false, "Ada"},
		{"alias", "", true, nil}, // empty: not set
		{"shoe", 38.5, true, 38.5},
		{"shoe", int64(38), false, 38.5},
		{"shoe", nil, true, nil},
		{"vip", true, true, true},
		{"vip", "yes", false, true},
		{"joined", roster.Date{Year: 2024, Month: 5, Day: 6}, true, roster.Date{Year: 2024, Month: 5, Day: 6}},
		{"joined", roster.Date{}, true, nil},
		{"skills", []string{"go"}, true, []string{"go"}},
		{"skills", []string{}, true, nil},
		{"tier", "gold", true, "gold"},
	} {
		f, _ := reg.Field(tc.key)
		if got := u.Set(f, tc.v); got != tc.ok {
			t.Errorf("Set(%s, %#v) = %v, want %v", tc.key, tc.v, got, tc.ok)
		}
		if got := u.Get(tc.key); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("after Set(%s, %#v): Get = %#v, want %#v", tc.key, tc.v, got, tc.want)
		}
	}
	if got := (&roster.User{}).Get("alias"); got != nil {
		t.Errorf("Get on a user without custom values = %#v", got)
	}
	if (&roster.User{}).Set(roster.Field{Key: "nope", Builtin: true, Type: roster.TypeText}, "x") {
		t.Errorf("Set of an unknown built-in key = true")
	}
}

// customRegistry has a custom field of every type staff may choose.
func customRegistry() *roster.Registry {
	return roster.NewRegistry([]roster.Field{
		{Key: "alias", Label: "Alias", Type: roster.TypeText, MaxLen: roster.MaxTextLen},
		{Key: "notes", Label: "Notes", Type: roster.TypeLongText, MaxLen: roster.MaxLongTextLen},
		{Key: "shoe", Label: "Shoe size", Type: roster.TypeNumber},
		{Key: "joined", Label: "Joined", Type: roster.TypeDate},
		{Key: "vip", Label: "VIP", Type: roster.TypeBoolean},
		{Key: "tier", Label: "Tier", Type: roster.TypeChoice, Choices: []string{"gold", "silver"}, MaxLen: roster.MaxTextLen, Required: true},
		{Key: "skills", Label: "Skills", Type: roster.TypeMultiChoice, Choices: []string{"go", "sql"}},
		{Key: "site", Label: "Site", Type: roster.TypeURL, MaxLen: roster.MaxURLLen},
		{Key: "work_email", Label: "Work email", Type: roster.TypeEmail, MaxLen: roster.MaxTextLen},
		{Key: "work_phone", Label: "Work phone", Type: roster.TypePhone, MaxLen: roster.MaxTextLen},
		{Key: "old", Label: "Old", Type: roster.TypeText, Retired: true},
	})
}

// TestUser_Validate checks one bad value of each kind and the message a
// user sees for it.
func TestUser_Validate(t *testing.T) {
	now := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	reg := customRegistry()
	ok := func() roster.User {
		return roster.User{Email: "ada@example.com", Status: roster.StatusActive, Custom: map[string]any{"tier": "gold"}}
	}
	long := func(n int) string { return strings.Repeat("x", n) }
	for _, tc := range []struct {
		name     string
		change   func(u *roster.User)
		creating bool
		touched  string
		key, msg string // "" when valid
	}{
		{"valid", func(u *roster.User) {}, true, "", "", ""},
		{"every field", func(u *roster.User) {
			for _, f := range roster.BuiltinFields() {
				if !f.ReadOnly && f.Type != roster.TypePassword {
					u.Set(f, sample(t, f))
				}
			}
		}, true, "", "", ""},
		{"no email or client id", func(u *roster.User) { u.Email = "" }, false, "", "email", "is required (or a client_id)"},
		{"client id only", func(u *roster.User) { u.Email, u.ClientID = "", "sso-1" }, false, "", "", ""},
		{"bad email", func(u *roster.User) { u.Email = "ada@" }, false, "", "email", "is not a valid email address"},
		{"long email", func(u *roster.User) { u.Email = long(250) + "@example.com" }, false, "", "email", "is not a valid email address"},
		{"text too long", func(u *roster.User) { u.City = long(256) }, false, "", "city", "is longer than 255 characters"},
		{"text on two lines", func(u *roster.User) { u.FirstName = "Ada\nLovelace" }, false, "", "first_name", "must be a single line"},
		{"invalid UTF-8", func(u *roster.User) { u.LastName = "\xff" }, false, "", "last_name", "contains invalid characters"},
		{"NUL", func(u *roster.User) { u.Bio = "a\x00b" }, false, "", "bio", "contains invalid characters"},
		{"long text", func(u *roster.User) { u.Bio = long(5001) }, false, "", "bio", "is longer than 5000 characters"},
		{"long text on lines", func(u *roster.User) { u.Bio = "one\ntwo" }, false, "", "", ""},
		{"phone", func(u *roster.User) { u.MobilePhone = "call me" }, false, "", "mobile_phone", "is not a valid phone number"},
		{"phone too short", func(u *roster.User) { u.HomePhone = "123" }, false, "", "home_phone", "is not a valid phone number"},
		{"url", func(u *roster.User) { u.ProfileImageURL = "javascript:alert(1)" }, false, "", "profile_image_url", "is not a valid http(s) URL"},
		{"country", func(u *roster.User) { u.Country = "XX" }, false, "", "country", `"XX" is not an ISO 3166-1 alpha-2 country code`},
		{"status", func(u *roster.User) { u.Status = "gone" }, false, "", "status", "must be one of active, banned, invited, pending"},
		{"no status", func(u *roster.User) { u.Status = "" }, false, "", "status", "must be one of active, banned, invited, pending"},
		{"future birth date", func(u *roster.User) { u.BirthDate = roster.Date{Year: 2026, Month: 1, Day: 1} }, false, "", "birth_date", "is in the future"},
		{"old birth date", func(u *roster.User) { u.BirthDate = roster.Date{Year: 1899, Month: 12, Day: 31} }, false, "", "birth_date", "is before 1900"},
		{"negative count", func(u *roster.User) { u.TikTokFollowers = -1 }, false, "", "tiktok_followers", "must not be negative"},
		{"huge count", func(u *roster.User) { u.Points = roster.MaxCount + 1 }, false, "", "points", "is too large"},
		{"too many values", func(u *roster.User) { u.Roles = make([]string, 101) }, false, "", "roles", "has more than 100 values"},
		{"long value", func(u *roster.User) { u.Badges = []string{long(101)} }, false, "", "badges", "each value must be valid text of at most 100 characters"},
		{"address without line1", func(u *roster.User) { u.Addresses = []roster.Address{{City: "Paris"}} }, false, "", "addresses", "each address needs line1"},
		{"address country", func(u *roster.User) { u.Addresses = []roster.Address{{Line1: "1", Country: "ZZ"}} }, false, "", "addresses", `"ZZ" is not an ISO 3166-1 alpha-2 country code`},
		{"address line", func(u *roster.User) { u.Addresses = []roster.Address{{Line1: long(256)}} }, false, "", "addresses", "an address line is longer than 255 characters"},
		{"many addresses", func(u *roster.User) { u.Addresses = slices.Repeat([]roster.Address{{Line1: "1"}}, 21) }, false, "", "addresses", "has more than 20 addresses"},
		{"link url", func(u *roster.User) { u.SocialLinks = []roster.SocialLink{{Network: "x", URL: "x.com"}} }, false, "", "social_links", `link "x" is not a valid http(s) URL`},
		{"link network", func(u *roster.User) { u.SocialLinks = []roster.SocialLink{{URL: "https://x.com"}} }, false, "", "social_links", "each link needs a network name of at most 100 characters"},
		{"many links", func(u *roster.User) {
			u.SocialLinks = slices.Repeat([]roster.SocialLink{{Network: "x", URL: "https://x.com"}}, 21)
		}, false, "", "social_links", "has more than 20 links"},
		{"empty token", func(u *roster.User) { u.PushTokens = []roster.PushToken{{Platform: "ios"}} }, false, "", "push_tokens", "each token must have 1 to 4096 characters"},
		{"platform", func(u *roster.User) { u.PushTokens = []roster.PushToken{{Platform: long(21), Token: "t"}} }, false, "", "push_tokens", "platform is longer than 20 characters"},
		{"many tokens", func(u *roster.User) { u.PushTokens = slices.Repeat([]roster.PushToken{{Token: "t"}}, 51) }, false, "", "push_tokens", "has more than 50 tokens"},
		{"choice", func(u *roster.User) { u.Custom["tier"] = "bronze" }, false, "", "tier", `"bronze" is not one of the choices`},
		{"multiple choice", func(u *roster.User) { u.Custom["skills"] = []string{"go", "cobol"} }, false, "", "skills", `"cobol" is not one of the choices`},
		{"number", func(u *roster.User) { u.Custom["shoe"] = math.NaN() }, false, "", "shoe", "is not a number"},
		{"infinite number", func(u *roster.User) { u.Custom["shoe"] = math.Inf(1) }, false, "", "shoe", "is not a number"},
		{"custom email", func(u *roster.User) { u.Custom["work_email"] = "nope" }, false, "", "work_email", "is not a valid email address"},
		{"custom long email", func(u *roster.User) { u.Custom["work_email"] = long(300) }, false, "", "work_email", "is longer than 255 characters"},
		{"custom phone", func(u *roster.User) { u.Custom["work_phone"] = "x" }, false, "", "work_phone", "is not a valid phone number"},
		{"custom url", func(u *roster.User) { u.Custom["site"] = "ftp://x" }, false, "", "site", "is not a valid http(s) URL"},
		{"custom long text", func(u *roster.User) { u.Custom["notes"] = "a\nb" }, false, "", "", ""},
		{"required when creating", func(u *roster.User) { delete(u.Custom, "tier") }, true, "", "tier", "is required"},
		{"required when touched", func(u *roster.User) { delete(u.Custom, "tier") }, false, "tier", "tier", "is required"},
		{"required, untouched edit", func(u *roster.User) { delete(u.Custom, "tier") }, false, "", "", ""},
		{"unknown custom key", func(u *roster.User) { u.Custom["ghost"] = "x" }, false, "", "ghost", "is not a field"},
		{"built-in key in custom", func(u *roster.User) { u.Custom["city"] = "x" }, false, "", "city", "is not a field"},
		{"retired custom key", func(u *roster.User) { u.Custom["old"] = "kept" }, false, "", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u := ok()
			tc.change(&u)
			touched := map[string]bool{tc.touched: tc.touched != ""}
			err := u.Validate(reg, now, tc.creating, touched)
			if tc.key == "" {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				return
			}
			if roster.ErrorCode(err) != roster.EINVALID {
				t.Fatalf("Validate = %v, want EINVALID", err)
			}
			if got := roster.ErrorFields(err)[tc.key]; got != tc.msg {
				t.Errorf("%s: %q, want %q (all: %v)", tc.key, got, tc.msg, roster.ErrorFields(err))
			}
		})
	}
}

func TestUser_Normalize(t *testing.T) {
	u := &roster.User{
		Email: "  Ada@Example.COM ", Country: " gb", ClientID: " sso-1 ", FirstName: " Ada ", LastName: "Lovelace ",
		MobilePhone: " +44 7700 900123", City: " London ", ProfileImageURL: " https://x.com/a ", StoreLocation: " Soho ",
		Bio: "  indented\n", PublicID: " u_x ",
		Teams: []string{" a", "b", "a", ""}, Roles: []string{"", " "}, Badges: []string{"x"}, Missions: nil,
		Custom: map[string]any{"alias": " Ada ", "skills": []string{"go", " go"}, "shoe": 38.5},
	}
	u.Normalize()
	want := &roster.User{
		Email: "ada@example.com", Country: "GB", ClientID: "sso-1", FirstName: "Ada", LastName: "Lovelace",
		MobilePhone: "+44 7700 900123", City: "London", ProfileImageURL: "https://x.com/a", StoreLocation: "Soho",
		Bio: "  indented\n", PublicID: " u_x ", // long text and read-only fields are left as they are
		Teams: []string{"a", "b"}, Badges: []string{"x"}, Status: roster.StatusActive,
		Custom: map[string]any{"alias": "Ada", "skills": []string{"go"}, "shoe": 38.5},
	}
	if !reflect.DeepEqual(u, want) {
		t.Errorf("Normalize:\n got %+v\nwant %+v", u, want)
	}
	banned := &roster.User{Status: roster.StatusBanned}
	if banned.Normalize(); banned.Status != roster.StatusBanned {
		t.Errorf("status %q, want banned kept", banned.Status)
	}
}

func TestUser_Name(t *testing.T) {
	for _, tc := range []struct {
		u    roster.User
		want string
	}{
		{roster.User{FirstName: "Ada", LastName: "Lovelace", Email: "a@x.io"}, "Ada Lovelace"},
		{roster.User{LastName: "Lovelace"}, "Lovelace"},
		{roster.User{Email: "a@x.io"}, "a@x.io"},
	} {
		if got := tc.u.Name(); got != tc.want {
			t.Errorf("Name() = %q, want %q", got, tc.want)
		}
	}
}

func TestIsEmpty(t *testing.T) {
	for _, tc := range []struct {
		v    any
		want bool
	}{
		{nil, true}, {"", true}, {"x", false}, {roster.Date{}, true}, {roster.Date{Year: 2000, Month: 1, Day: 1}, false},
		{time.Time{}, true}, {time.Unix(0, 1), false}, {[]string(nil), true}, {[]string{"a"}, false},
		{[]roster.Address(nil), true}, {[]roster.Address{{}}, false}, {[]roster.SocialLink{}, true},
		{[]roster.SocialLink{{}}, false}, {[]roster.PushToken(nil), true}, {[]roster.PushToken{{}}, false},
		{int64(0), false}, {false, false}, // numbers and booleans always have a value
	} {
		if got := roster.IsEmpty(tc.v); got != tc.want {
			t.Errorf("IsEmpty(%#v) = %v, want %v", tc.v, got, tc.want)
		}
	}
}

func TestValidEmailPhoneURL(t *testing.T) {
	for _, tc := range []struct {
		s                 string
		email, phone, url bool
	}{
		{"ada@example.com", true, false, false},
		{"Ada <ada@example.com>", false, false, false},
		{"ada@localhost", false, false, false},
		{"ada @example.com", false, false, false},
		{"+44 (0)20 7946-0018", false, true, false},
		{"12.34", false, true, false},
		{"1+234", false, false, false},
		{"١٢٣٤٥", false, false, false}, // digits, but not ASCII ones
		{"123456789012345678901", false, false, false},
		{"https://example.com/a?b=c", false, false, true},
		{"http://example.com", false, false, true},
		{"https:///path", false, false, false},
		{"https://example.com/a b", false, false, false},
		{"mailto:ada@example.com", false, false, false},
	} {
		if got := roster.ValidEmail(tc.s); got != tc.email {
			t.Errorf("ValidEmail(%q) = %v", tc.s, got)
		}
		if got := roster.ValidPhone(tc.s); got != tc.phone {
			t.Errorf("ValidPhone(%q) = %v", tc.s, got)
		}
		if got := roster.ValidURL(tc.s); got != tc.url {
			t.Errorf("ValidURL(%q) = %v", tc.s, got)
		}
	}
}

func TestNormalizeSet(t *testing.T) {
	if got := roster.NormalizeSet([]string{" b", "a", "b ", "", "  "}); !slices.Equal(got, []string{"b", "a"}) {
		t.Errorf("NormalizeSet = %q", got)
	}
	if got := roster.NormalizeSet([]string{" "}); got != nil {
		t.Errorf("NormalizeSet of blanks = %#v, want nil", got)
	}
}
