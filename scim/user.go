package scim

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"roster"
)

// Config is how SCIM maps onto this Roster.
type Config struct {
	// UserName is the Roster field userName stands for: "email" (the
	// default) or "client_id".
	UserName string
	// BaseURL is the absolute URL of /scim/v2, for meta.location and
	// $ref; "" writes relative locations.
	BaseURL string
}

// UserNameField returns the field key userName maps to.
func (c Config) UserNameField() string {
	if c.UserName == "client_id" {
		return "client_id"
	}
	return "email"
}

// CheckUserName validates a setting of Config.UserName.
func CheckUserName(s string) error {
	if s != "" && s != "email" && s != "client_id" {
		return roster.Errorf(roster.EINVALID, "the SCIM userName must map to email or client_id, not %s", roster.Quote(s))
	}
	return nil
}

// enterpriseFields maps the enterprise extension's attributes to the keys
// of the custom fields that receive them, when the operator made them.
var enterpriseFields = map[string]string{
	"employeeNumber": "employee_number",
	"costCenter":     "cost_center",
	"organization":   "organization",
	"division":       "division",
	"department":     "department",
	"manager":        "manager", // manager.value: the manager's id
}

// extraCoreFields maps the core attributes Roster has no built-in field for
// to the custom fields that receive them, when the operator made them.
var extraCoreFields = map[string]string{
	"title":             "title",
	"nickName":          "nick_name",
	"preferredLanguage": "preferred_language",
	"locale":            "locale",
	"timezone":          "timezone",
	"userType":          "user_type",
	"profileUrl":        "profile_url",
}

// Version is the ETag of a resource: a hash of its JSON without meta, so
// that it changes exactly when what a client sees changes.
func Version(res Resource) string {
	c := make(map[string]any, len(res))
	for k, v := range res {
		if k != "meta" {
			c[k] = v
		}
	}
	b, _ := json.Marshal(c) // maps marshal in key order
	sum := sha256.Sum256(b)
	return `W/"` + hex.EncodeToString(sum[:10]) + `"`
}

// normalize turns v into what encoding/json decodes it to, so that a
// resource built here and one read from a request compare alike.
func normalize(v map[string]any) Resource {
	b, err := json.Marshal(v)
	if err != nil {
		panic("scim: a resource that does not marshal: " + err.Error())
	}
	var out Resource
	_ = json.Unmarshal(b, &out)
	return out
}

func stamp(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(time.RFC3339)
}

// UserResource is u as a SCIM User, with its meta.version. It is built
// in the types encoding/json decodes to (Resource), so that PATCH and
// filters work on it as on a request's body.
func UserResource(reg *roster.Registry, u *roster.User, cfg Config) Resource {
	m := Resource{
		"schemas":  []any{SchemaUser, SchemaRoster},
		"id":       u.PublicID,
		"userName": u.Get(cfg.UserNameField()),
		"active":   u.Status != roster.StatusBanned,
	}
	if u.ClientID != "" {
		m["externalId"] = u.ClientID
	}
	name := map[string]any{}
	if u.FirstName != "" {
		name["givenName"] = u.FirstName
	}
	if u.LastName != "" {
		name["familyName"] = u.LastName
	}
	if full := strings.TrimSpace(u.FirstName + " " + u.LastName); full != "" {
		name["formatted"] = full
	}
	if len(name) > 0 {
		m["name"] = name
	}
	m["displayName"] = u.Name()
	if u.Email != "" {
		m["emails"] = []any{map[string]any{"value": u.Email, "type": "work", "primary": true}}
	}
	var phones []any
	if u.MobilePhone != "" {
		phones = append(phones, map[string]any{"value": u.MobilePhone, "type": "mobile"})
	}
	if u.HomePhone != "" {
		phones = append(phones, map[string]any{"value": u.HomePhone, "type": "home"})
	}
	if phones != nil {
		m["phoneNumbers"] = phones
	}
	if len(u.Addresses) > 0 {
		var addrs []any
		for _, a := range u.Addresses {
			street := a.Line1
			if a.Line2 != "" {
				street += "\n" + a.Line2
			}
			x := map[string]any{"streetAddress": street}
			for k, v := range map[string]string{"type": a.Label, "locality": a.City, "region": a.Region, "postalCode": a.PostalCode, "country": a.Country} {
				if v != "" {
					x[k] = v
				}
			}
			addrs = append(addrs, x)
		}
		m["addresses"] = addrs
	}
	ext := map[string]any{}
	var keys strings.Builder
	for _, f := range reg.Custom() {
		keys.WriteString(f.Key + ",")
		if v := u.Get(f.Key); !roster.IsEmpty(v) && f.Type != roster.TypePassword {
			ext[f.Key] = customJSON(v)
		}
	}
	ent := map[string]any{}
	for attr, key := range enterpriseFields {
		if v, ok := ext[key]; ok {
			if attr == "manager" {
				v = map[string]any{"value": v}
			}
			ent[attr] = v
		}
	}
	for attr, key := range extraCoreFields {
		if v, ok := ext[key]; ok {
			m[attr] = v
		}
	}
	m[SchemaRoster] = ext
	if len(ent) > 0 {
		m[SchemaEnterprise] = ent
		m["schemas"] = []any{SchemaUser, SchemaEnterprise, SchemaRoster}
	}
	// The version changes with what the resource shows: the user's
	// fields, the userName mapping and the custom fields defined; with
	// updated_at too, which every write moves. Hashing these beats
	// hashing the JSON.
	h := sha256.New()
	fmt.Fprintf(h, "%s|%s|%s|%s|%v|%v", u.PublicID, u.UpdatedAt.UTC().Format(time.RFC3339Nano), cfg.UserNameField(), keys.String(),
		[]string{u.Email, u.ClientID, u.FirstName, u.LastName, u.MobilePhone, u.HomePhone, string(u.Status)}, u.Addresses)
	fmt.Fprintf(h, "|%v", ext) // fmt prints maps in key order
	sum := h.Sum(nil)
	m["meta"] = map[string]any{
		"resourceType": "User",
		"created":      stamp(u.CreatedAt),
		"lastModified": stamp(u.UpdatedAt),
		"location":     cfg.BaseURL + "/Users/" + u.PublicID,
		"version":      `W/"` + hex.EncodeToString(sum[:10]) + `"`,
	}
	return m
}

// customJSON is a custom field value as JSON decodes it.
func customJSON(v any) any {
	switch x := v.(type) {
	case roster.Date:
		return x.String()
	case time.Time:
		return x.UTC().Format(time.RFC3339)
	case int64:
		return float64(x)
	case []string:
		out := make([]any, len(x))
		for i, s := range x {
			out[i] = s
		}
		return out
	}
	return v
}

// UserWrite is what a SCIM User body asks of a Roster user.
type UserWrite struct {
	// Values are the fields to set, typed as User.Get returns them; a
	// nil or empty value clears the field.
	Values map[string]any
	// Password, when not nil, is a new plain password.
	Password *string
	// Active is the SCIM active flag when given.
	Active *bool
}

// readOnlyUser are the User attributes a client cannot write; values a
// POST or PUT carries for them are ignored (RFC 7644 §3.5.1), and a PATCH
// of them is a mutability error.
var readOnlyUser = []string{"id", "meta", "groups", "schemas"}

// ReadOnlyUser returns readOnlyUser, for Apply.
func ReadOnlyUser() []string { return readOnlyUser }

// DecodeUser reads a SCIM User (POST, PUT, or a resource after PATCH) into
// the Roster fields it sets. With replace, every core attribute Roster
// keeps that res leaves out is cleared (PUT); the extensions' attributes
// that res leaves out stay as they are, unless named in cleared (a PATCH
// that removed them). Errors are invalidValue naming the attribute.
func DecodeUser(reg *roster.Registry, res Resource, cfg Config, replace bool) (*UserWrite, error) {
	w := &UserWrite{Values: map[string]any{}}
	bad := func(attr, format string, args ...any) error {
		return Errorf(http.StatusBadRequest, InvalidValue, attr+": "+format, args...)
	}
	str := func(attr string, v any) (string, error) {
		if v == nil {
			return "", nil
		}
		s, ok := v.(string)
		if !ok {
			return "", bad(attr, "must be a string")
		}
		return strings.TrimSpace(s), nil
	}
	if replace {
		for _, k := range []string{"first_name", "last_name", "mobile_phone", "home_phone", "addresses"} {
			w.Values[k] = nil
		}
		if cfg.UserNameField() == "email" {
			w.Values["client_id"] = ""
		} else {
			w.Values["email"] = ""
		}
	}
	keys := make([]string, 0, len(res))
	for k := range res {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var userName, externalID, email *string
	var displayName string
	for _, k := range keys {
		v := res[k]
		switch lk := strings.ToLower(k); {
		case lk == "id" || lk == "meta" || lk == "groups" || lk == "schemas":
			// readOnly: ignored
		case lk == "username":
			s, err := str("userName", v)
			if err != nil {
				return nil, err
			}
			userName = &s
		case lk == "externalid":
			s, err := str("externalId", v)
			if err != nil {
				return nil, err
			}
			externalID = &s
		case lk == "displayname":
			s, err := str("displayName", v)
			if err != nil {
				return nil, err
			}
			displayName = s
		case lk == "password":
			s, ok := v.(string)
			if !ok {
				return nil, bad("password", "must be a string")
			}
			w.Password = &s
		case lk == "active":
			b, err := Bool(v)
			if err != nil {
				return nil, bad("active", "%v", err)
			}
			w.Active = &b
		case lk == "name":
			obj, ok := v.(map[string]any)
			if v != nil && !ok {
				return nil, bad("name", "must be an object")
			}
			for sk, sv := range obj {
				s, err := str("name."+sk, sv)
				if err != nil {
					return nil, err
				}
				switch strings.ToLower(sk) {
				case "givenname":
					w.Values["first_name"] = s
				case "familyname":
					w.Values["last_name"] = s
				case "formatted":
					// derived from the given and family names
				default:
					return nil, bad("name."+sk, "is not kept by Roster (givenName and familyName are)")
				}
			}
		case lk == "emails":
			e, err := decodeEmails(v)
			if err != nil {
				return nil, err
			}
			email = &e
		case lk == "phonenumbers":
			if err := decodePhones(v, w.Values); err != nil {
				return nil, err
			}
		case lk == "addresses":
			a, err := decodeAddresses(v)
			if err != nil {
				return nil, err
			}
			w.Values["addresses"] = a
		case strings.EqualFold(k, SchemaRoster):
			if err := decodeExtension(reg, k, v, nil, w.Values); err != nil {
				return nil, err
			}
		case strings.EqualFold(k, SchemaEnterprise):
			if err := decodeExtension(reg, k, v, enterpriseFields, w.Values); err != nil {
				return nil, err
			}
		default:
			attr, ok := extraAttr(k)
			if !ok {
				return nil, bad(k, "is not an attribute of a User")
			}
			if err := decodeExtension(reg, "", map[string]any{attr: v}, extraCoreFields, w.Values); err != nil {
				return nil, err
			}
		}
	}
	if userName == nil || *userName == "" {
		if replace || userName != nil {
			return nil, Errorf(http.StatusBadRequest, InvalidValue, "userName is required")
		}
	}
	unField := cfg.UserNameField()
	if userName != nil {
		w.Values[unField] = *userName
	}
	if email != nil {
		if unField == "email" && userName != nil && !strings.EqualFold(*email, *userName) && *email != "" {
			return nil, bad("emails", "the primary email %s must be the userName %s (userName is the email)", roster.Quote(*email), roster.Quote(*userName))
		}
		if unField != "email" {
			w.Values["email"] = *email
		}
	}
	if externalID != nil {
		if unField == "client_id" && userName != nil && *externalID != "" && *externalID != *userName {
			return nil, bad("externalId", "must be the userName %s (both are the client id)", roster.Quote(*userName))
		}
		if unField != "client_id" {
			w.Values["client_id"] = *externalID
		}
	}
	if _, named := w.Values["first_name"]; displayName != "" && (!named || w.Values["first_name"] == nil) {
		if _, hasLast := w.Values["last_name"]; !hasLast || w.Values["last_name"] == nil {
			first, last, _ := strings.Cut(displayName, " ")
			w.Values["first_name"], w.Values["last_name"] = first, strings.TrimSpace(last)
		}
	}
	for k, v := range w.Values {
		if v == nil {
			f, _ := reg.Field(k)
			w.Values[k] = emptyOf(f)
		}
	}
	return w, nil
}

// extraAttr recognises a core attribute Roster keeps in a custom field.
func extraAttr(k string) (string, bool) {
	for a := range extraCoreFields {
		if strings.EqualFold(a, k) {
			return a, true
		}
	}
	return "", false
}

func emptyOf(f roster.Field) any {
	if f.Type == roster.TypeAddresses {
		return []roster.Address(nil)
	}
	return ""
}

// Bool reads a SCIM boolean: true, false, or the strings "True" and
// "False" in any case, as Entra ID sends them.
func Bool(v any) (bool, error) {
	switch x := v.(type) {
	case bool:
		return x, nil
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
	}
	return false, Errorf(http.StatusBadRequest, InvalidValue, "must be true or false")
}

// decodeEmails picks the one email Roster keeps: the primary, else the
// first. Several different addresses are refused.
func decodeEmails(v any) (string, error) {
	bad := func(format string, args ...any) (string, error) {
		return "", Errorf(http.StatusBadRequest, InvalidValue, "emails: "+format, args...)
	}
	var primary, first string
	seen := map[string]bool{}
	for i, it := range asList(v) {
		obj, ok := it.(map[string]any)
		if !ok {
			return bad("value %d must be an object with a value", i)
		}
		val, _, _ := lookup(obj, "value")
		s, ok := val.(string)
		if !ok || strings.TrimSpace(s) == "" {
			return bad("value %d needs a string value", i)
		}
		s = strings.ToLower(strings.TrimSpace(s))
		seen[s] = true
		if first == "" {
			first = s
		}
		if p, _, _ := lookup(obj, "primary"); p != nil {
			if b, err := Bool(p); err == nil && b {
				primary = s
			}
		}
	}
	if len(seen) > 1 {
		return bad("Roster keeps one email per user; got %d different ones", len(seen))
	}
	if primary != "" {
		return primary, nil
	}
	return first, nil
}

// decodePhones maps phone numbers by type: mobile to mobile_phone, home
// to home_phone; others take the first of the two left free.
func decodePhones(v any, out map[string]any) error {
	got := map[string]string{}
	var rest []string
	for i, it := range asList(v) {
		obj, ok := it.(map[string]any)
		if !ok {
			return Errorf(http.StatusBadRequest, InvalidValue, "phoneNumbers: value %d must be an object with a value", i)
		}
		val, _, _ := lookup(obj, "value")
		s, ok := val.(string)
		if !ok {
			return Errorf(http.StatusBadRequest, InvalidValue, "phoneNumbers: value %d needs a string value", i)
		}
		t, _, _ := lookup(obj, "type")
		ts, _ := t.(string)
		switch strings.ToLower(ts) {
		case "mobile":
			got["mobile_phone"] = s
		case "home":
			got["home_phone"] = s
		default:
			rest = append(rest, s)
		}
	}
	for _, s := range rest {
		switch {
		case got["mobile_phone"] == "":
			got["mobile_phone"] = s
		case got["home_phone"] == "":
			got["home_phone"] = s
		default:
			return Errorf(http.StatusBadRequest, InvalidValue, "phoneNumbers: Roster keeps two numbers (mobile and home); got more")
		}
	}
	out["mobile_phone"], out["home_phone"] = got["mobile_phone"], got["home_phone"]
	return nil
}

func decodeAddresses(v any) ([]roster.Address, error) {
	var out []roster.Address
	for i, it := range asList(v) {
		obj, ok := it.(map[string]any)
		if !ok {
			return nil, Errorf(http.StatusBadRequest, InvalidValue, "addresses: value %d must be an object", i)
		}
		var a roster.Address
		for k, fv := range obj {
			s, ok := fv.(string)
			if !ok {
				if strings.EqualFold(k, "primary") {
					continue
				}
				return nil, Errorf(http.StatusBadRequest, InvalidValue, "addresses[%d].%s must be a string", i, k)
			}
			switch strings.ToLower(k) {
			case "type":
				a.Label = s
			case "streetaddress":
				a.Line1, a.Line2, _ = strings.Cut(s, "\n")
			case "locality":
				a.City = s
			case "region":
				a.Region = s
			case "postalcode":
				a.PostalCode = s
			case "country":
				a.Country = s
			case "formatted":
				if a.Line1 == "" {
					a.Line1 = strings.ReplaceAll(s, "\n", ", ")
				}
			default:
				return nil, Errorf(http.StatusBadRequest, InvalidValue, "addresses[%d].%s is not an address attribute", i, k)
			}
		}
		out = append(out, a)
	}
	return out, nil
}

// decodeExtension reads an extension object: its members are custom
// fields, by key (the Roster extension, names nil) or by the attribute
// names in names (the enterprise extension).
func decodeExtension(reg *roster.Registry, uri string, v any, names map[string]string, out map[string]any) error {
	obj, ok := v.(map[string]any)
	if v != nil && !ok {
		return Errorf(http.StatusBadRequest, InvalidValue, "%s must be an object", uri)
	}
	prefix := ""
	if uri != "" {
		prefix = uri + ":"
	}
	for attr, fv := range obj {
		key := attr
		if names != nil {
			key = ""
			for a, k := range names {
				if strings.EqualFold(a, attr) {
					key, attr = k, a
				}
			}
			if key == "" {
				return Errorf(http.StatusBadRequest, InvalidValue, "%s%s is not an attribute Roster keeps", prefix, attr)
			}
			if obj, ok := fv.(map[string]any); ok && attr == "manager" {
				fv, _, _ = lookup(obj, "value")
			}
		}
		f, ok := reg.Field(key)
		if !ok || f.Builtin {
			if names != nil {
				return Errorf(http.StatusBadRequest, InvalidValue, "%s%s: Roster keeps it in a custom field %s, which does not exist (create it in Settings → Fields, or stop sending it)", prefix, attr, key)
			}
			return Errorf(http.StatusBadRequest, InvalidValue, "%s%s is not a custom field", prefix, attr)
		}
		if f.ReadOnly || f.Type == roster.TypePassword {
			return Errorf(http.StatusBadRequest, Mutability, "%s%s is read-only", prefix, attr)
		}
		raw, _ := json.Marshal(fv)
		if f.Type == roster.TypeBoolean {
			if s, isStr := fv.(string); isStr {
				if b, err := Bool(s); err == nil {
					raw, _ = json.Marshal(b)
				}
			}
		}
		val, err := f.DecodeJSON(raw)
		if err != nil {
			return Errorf(http.StatusBadRequest, InvalidValue, "%s%s %v", prefix, attr, err)
		}
		out[key] = val
	}
	return nil
}

// ClearedExtensions returns the custom fields whose attributes before
// holds and after does not: what a PATCH removed.
func ClearedExtensions(reg *roster.Registry, before, after Resource) map[string]any {
	out := map[string]any{}
	for _, uri := range []string{SchemaRoster, SchemaEnterprise} {
		b, _ := container(before, Path{URI: uri})
		a, _ := container(after, Path{URI: uri})
		for k := range b {
			if _, _, ok := lookup(a, k); ok {
				continue
			}
			key := k
			if uri == SchemaEnterprise {
				key = enterpriseFields[k]
			}
			if f, ok := reg.Field(key); ok && !f.Builtin {
				out[key] = nil
			}
		}
	}
	for attr, key := range extraCoreFields {
		_, _, had := lookup(before, attr)
		_, _, has := lookup(after, attr)
		if had && !has {
			out[key] = nil
		}
	}
	return out
}
