package index_test

import (
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"roster"
	"roster/query"
)

// goOracle is the property test's independent oracle: which users a
// query.Filter selects, worked out in plain Go from the filter as written
// (field keys, operators, values as typed) and the users as the store loads
// them (User.Get). It is written from the filter language's rules (query's
// package doc, the operators' docs, refs.go's list of reference forms) and
// shares no code with the planner (query.Compile, Range, OrderedOf,
// FoldValue, Fold) nor with the SQL compiler, so a bug in compiling a
// filter, which the index and the SQL would share, shows up here.
//
// It covers keyword words and conditions on every field kind but segments:
// ordered fields (integer, number, date, timestamp, boolean, built-in and
// custom: eq, <, <=, >, >=, a..b, none, any), text fields (text, long text,
// choice, URL, email, phone: eq, contains, none, any), exact fields
// (country, status, id: eq, none, any), sets (built-in sets and multiple
// choice: eq, all, none, any), presence fields (addresses, links, devices:
// none, any), tags and groups (by name, any case, or #id: eq, all, none,
// any) and smart_type (eq, none, any). A filter with a segment:NAME
// condition is not covered: eval says so and the test skips the comparison.
// It decides which users match, not their order: the order is compared
// between the index and SQL.
type goOracle struct {
	reg    *roster.Registry
	users  []*roster.User
	tags   map[int64]string // id → name
	groups map[int64]string
	smart  []int64 // the smart type list, in rank order
	// The account policy and the time the access field is evaluated at.
	policy roster.AccountPolicy
	now    time.Time
	// activity gives the activity counters, from the events sent.
	activity *activityWorld
}

// access is the active-account rule as the README states it: the first
// reason that applies, in order, else active. Expired: none of creation,
// last sign-in, last visit and password set (to the millisecond) is after
// the cutoff, ExpiryMonths calendar months before now.
func (o *goOracle) access(u *roster.User) string {
	switch {
	case u.Status == roster.StatusBanned:
		return "banned"
	case u.Status == roster.StatusInvited:
		return "invited"
	case o.policy.ConfirmationRequired && !u.EmailConfirmed:
		return "unconfirmed"
	}
	if o.policy.ExpiryMonths > 0 {
		cutoff := o.now.AddDate(0, -o.policy.ExpiryMonths, 0).Truncate(time.Millisecond)
		recent := false
		for _, t := range []time.Time{u.CreatedAt, u.LastLogin, u.LastVisit, u.PasswordSetAt} {
			if !t.IsZero() && t.Truncate(time.Millisecond).After(cutoff) {
				recent = true
			}
		}
		if !recent {
			return "expired"
		}
	}
	if u.Status == roster.StatusPending {
		return "pending"
	}
	return "active"
}

// errNotCovered marks a filter the oracle does not evaluate.
var errNotCovered = fmt.Errorf("not covered by the Go oracle")

// eval returns the store ids, ascending, of the users f selects with dates
// as calendar days in loc.
func (o *goOracle) eval(f query.Filter, loc *time.Location) ([]int64, error) {
	var words []string
	for _, w := range f.Words {
		if w = oracleFold(strings.TrimSpace(w)); w != "" {
			words = append(words, w)
		}
	}
	type cond struct {
		c query.Cond
		f roster.Field
	}
	byField := map[string][]cond{} // not negated: ORed within a field
	var keys []string
	var negated []cond
	for _, c := range f.Conds {
		key := strings.ToLower(c.Field)
		if key == "segment" || key == "segments" {
			return nil, errNotCovered
		}
		fl, ok := o.reg.Field(key)
		if !ok {
			return nil, fmt.Errorf("oracle: unknown field %q", c.Field)
		}
		if c.Negate {
			negated = append(negated, cond{c, fl})
			continue
		}
		if _, ok := byField[fl.Key]; !ok {
			keys = append(keys, fl.Key)
		}
		byField[fl.Key] = append(byField[fl.Key], cond{c, fl})
	}
	var out []int64
	for _, u := range o.users {
		ok := true
		for _, w := range words {
			if !o.hasWord(u, w) {
				ok = false
				break
			}
		}
		for _, k := range keys {
			if !ok {
				break
			}
			anyOf := false
			for _, c := range byField[k] {
				m, err := o.match(u, c.f, c.c, loc)
				if err != nil {
					return nil, err
				}
				anyOf = anyOf || m
			}
			ok = anyOf
		}
		for _, c := range negated {
			if !ok {
				break
			}
			m, err := o.match(u, c.f, c.c, loc)
			if err != nil {
				return nil, err
			}
			ok = !m
		}
		if ok {
			out = append(out, u.ID)
		}
	}
	slices.Sort(out)
	return out, nil
}

// hasWord: the word occurs in the folded text of a searchable field.
func (o *goOracle) hasWord(u *roster.User, w string) bool {
	for _, f := range o.reg.Fields {
		if s, ok := u.Get(f.Key).(string); ok && f.Searchable && strings.Contains(oracleText(f, s), w) {
			return true
		}
	}
	return false
}

// match reports whether u satisfies c, ignoring its negation.
func (o *goOracle) match(u *roster.User, f roster.Field, c query.Cond, loc *time.Location) (bool, error) {
	v := u.Get(f.Key)
	if n, ok := o.activity.value(u.ID, f.Key, o.now); ok {
		v = n
	}
	switch f.Type {
	case roster.TypeInteger, roster.TypeNumber, roster.TypeDate, roster.TypeTimestamp, roster.TypeBoolean:
		return oracleOrdered(f, v, c, loc)
	case roster.TypeText, roster.TypeLongText, roster.TypeChoice, roster.TypeURL, roster.TypeEmail, roster.TypePhone:
		s, _ := v.(string)
		s = oracleText(f, s)
		switch c.Op {
		case query.OpEq:
			return slices.ContainsFunc(c.Values, func(x string) bool { return oracleText(f, x) == s }), nil
		case query.OpContains:
			return slices.ContainsFunc(c.Values, func(x string) bool { return strings.Contains(s, oracleText(f, x)) }), nil
		case query.OpPrefix:
			return slices.ContainsFunc(c.Values, func(x string) bool { return strings.HasPrefix(s, oracleText(f, x)) }), nil
		case query.OpSuffix:
			return slices.ContainsFunc(c.Values, func(x string) bool { return strings.HasSuffix(s, oracleText(f, x)) }), nil
		case query.OpEmpty, query.OpNotEmpty:
			return (s == "") == (c.Op == query.OpEmpty), nil
		}
	case roster.TypeCountry, roster.TypeStatus:
		s, _ := v.(string)
		canon := strings.ToUpper
		if f.Type == roster.TypeStatus {
			canon = strings.ToLower
		}
		switch c.Op {
		case query.OpEq:
			return slices.ContainsFunc(c.Values, func(x string) bool { return canon(strings.TrimSpace(x)) == s }), nil
		case query.OpEmpty, query.OpNotEmpty:
			return (s == "") == (c.Op == query.OpEmpty), nil
		}
	case roster.TypeSet, roster.TypeMultiChoice:
		// Members are folded and trimmed; an empty one is no member.
		vals, _ := v.([]string)
		members := map[string]bool{}
		for _, m := range vals {
			if m = oracleFold(strings.TrimSpace(m)); m != "" {
				members[m] = true
			}
		}
		return oracleSet(members, c, func(x string) []string { return []string{oracleFold(strings.TrimSpace(x))} })
	case roster.TypeTags, roster.TypeGroups:
		ids, _ := v.([]string)
		have := map[string]bool{}
		for _, id := range ids {
			have[id] = true
		}
		names := o.tags
		if f.Type == roster.TypeGroups {
			names = o.groups
		}
		return oracleSet(have, c, func(x string) []string { return oracleRefs(names, x) })
	case roster.TypeSmartType:
		smart := ""
		for _, g := range o.smart {
			if slices.Contains(u.Groups, g) {
				smart = strconv.FormatInt(g, 10)
				break
			}
		}
		switch c.Op {
		case query.OpEq:
			return smart != "" && slices.ContainsFunc(c.Values, func(x string) bool { return slices.Contains(oracleRefs(o.groups, x), smart) }), nil
		case query.OpEmpty, query.OpNotEmpty:
			return (smart == "") == (c.Op == query.OpEmpty), nil
		}
	case roster.TypeAccess:
		if c.Op == query.OpEq {
			a := o.access(u)
			return slices.ContainsFunc(c.Values, func(x string) bool { return strings.ToLower(strings.TrimSpace(x)) == a }), nil
		}
	case roster.TypeAddresses, roster.TypeLinks, roster.TypeDevices:
		empty := v == nil || reflect.ValueOf(v).Len() == 0
		switch c.Op {
		case query.OpEmpty, query.OpNotEmpty:
			return empty == (c.Op == query.OpEmpty), nil
		}
	default:
		if f.Key == "id" {
			s, _ := v.(string)
			switch c.Op {
			case query.OpEq:
				return slices.ContainsFunc(c.Values, func(x string) bool { return strings.TrimSpace(x) == s }), nil
			case query.OpEmpty, query.OpNotEmpty:
				return (s == "") == (c.Op == query.OpEmpty), nil
			}
		}
	}
	return false, fmt.Errorf("oracle: %s (%s) %s is not covered", f.Key, f.Type, c.Op)
}

// oracleSet evaluates a set condition over the members a user has; values
// lists the members a typed value stands for (one for sets, the ids of
// every tag or group of that name for references).
func oracleSet(has map[string]bool, c query.Cond, values func(string) []string) (bool, error) {
	hasOne := func(x string) bool {
		return slices.ContainsFunc(values(x), func(m string) bool { return m != "" && has[m] })
	}
	switch c.Op {
	case query.OpEq:
		return slices.ContainsFunc(c.Values, hasOne), nil
	case query.OpAll:
		return !slices.ContainsFunc(c.Values, func(x string) bool { return !hasOne(x) }), nil
	case query.OpEmpty, query.OpNotEmpty:
		return (len(has) == 0) == (c.Op == query.OpEmpty), nil
	}
	return false, fmt.Errorf("oracle: set operator %s is not covered", c.Op)
}

var oracleRefID = regexp.MustCompile(`^#([0-9]{1,18})$`)

// oracleRefs returns the ids a value typed for tags, groups or smart_type
// names: #N is the id N, anything else every entry of that name, any case.
func oracleRefs(names map[int64]string, x string) []string {
	x = strings.TrimSpace(x)
	if m := oracleRefID.FindStringSubmatch(x); m != nil {
		n, _ := strconv.ParseInt(m[1], 10, 64)
		return []string{strconv.FormatInt(n, 10)}
	}
	var out []string
	for id, name := range names {
		if oracleFold(name) == oracleFold(x) {
			out = append(out, strconv.FormatInt(id, 10))
		}
	}
	return out
}

// oracleSpan is what one typed value of an ordered field stands for: the
// point lo (= hi, hiIn) or, for a date typed for a timestamp, the day
// [lo, hi). Values are whole numbers (integers, days since 1970, Unix
// milliseconds, booleans as 0 and 1), exact in a float64, or numbers.
type oracleSpan struct {
	lo, hi float64
	hiIn   bool
}

// oracleOrdered evaluates a condition on an ordered field. Empty values
// (unset numbers and dates, zero times) fall in no interval; an unset
// boolean is false.
func oracleOrdered(f roster.Field, v any, c query.Cond, loc *time.Location) (bool, error) {
	x, empty := 0.0, false
	switch t := v.(type) {
	case nil:
		empty = f.Type != roster.TypeBoolean
	case int64:
		x = float64(t)
	case float64:
		x = t
	case bool:
		if t {
			x = 1
		}
	case roster.Date:
		empty = t.IsZero()
		x = float64(time.Date(t.Year, t.Month, t.Day, 0, 0, 0, 0, time.UTC).Unix() / 86400)
	case time.Time:
		empty = t.IsZero()
		x = float64(t.UnixMilli())
	default:
		return false, fmt.Errorf("oracle: %s holds %T", f.Key, v)
	}
	switch c.Op {
	case query.OpEmpty:
		return empty, nil
	case query.OpNotEmpty:
		return !empty, nil
	}
	spans := make([]oracleSpan, len(c.Values))
	for i, s := range c.Values {
		var err error
		if spans[i], err = oracleValue(f, strings.TrimSpace(s), loc); err != nil {
			return false, err
		}
	}
	if empty {
		return false, nil
	}
	below := func(s oracleSpan) bool { return x < s.hi || (s.hiIn && x == s.hi) } // not past the end
	switch c.Op {
	case query.OpBetween:
		return x >= spans[0].lo && below(spans[1]), nil
	case query.OpEq, query.OpLt, query.OpLe, query.OpGt, query.OpGe:
		for _, s := range spans {
			var m bool
			switch c.Op {
			case query.OpEq:
				m = x >= s.lo && below(s)
			case query.OpLt:
				m = x < s.lo
			case query.OpLe:
				m = below(s)
			case query.OpGt:
				m = !below(s)
			case query.OpGe:
				m = x >= s.lo
			}
			if m {
				return true, nil
			}
		}
		return false, nil
	}
	return false, fmt.Errorf("oracle: ordered operator %s is not covered", c.Op)
}

// oracleValue reads a value typed for ordered field f.
func oracleValue(f roster.Field, s string, loc *time.Location) (oracleSpan, error) {
	point := func(x float64) (oracleSpan, error) { return oracleSpan{x, x, true}, nil }
	switch f.Type {
	case roster.TypeInteger:
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return point(float64(n))
		}
	case roster.TypeNumber:
		if n, err := strconv.ParseFloat(s, 64); err == nil {
			return point(n)
		}
	case roster.TypeBoolean:
		switch strings.ToLower(s) {
		case "true", "yes", "1", "y", "on":
			return point(1)
		case "false", "no", "0", "n", "off":
			return point(0)
		}
	case roster.TypeDate:
		if d, err := time.Parse(time.DateOnly, s); err == nil {
			return point(float64(d.Unix() / 86400))
		}
	case roster.TypeTimestamp:
		if d, err := time.ParseInLocation(time.DateOnly, s, loc); err == nil {
			next := time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, loc)
			return oracleSpan{float64(d.UnixMilli()), float64(next.UnixMilli()), false}, nil
		}
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return point(float64(t.UnixMilli()))
		}
	}
	return oracleSpan{}, fmt.Errorf("oracle: cannot read %q for %s (%s)", s, f.Key, f.Type)
}

// oracleText is how text values compare: phones by their digits and plus
// signs, other text trimmed and folded.
func oracleText(f roster.Field, s string) string {
	if f.Type == roster.TypePhone {
		return strings.Map(func(r rune) rune {
			if r == '+' || ('0' <= r && r <= '9') {
				return r
			}
			return -1
		}, s)
	}
	return oracleFold(strings.TrimSpace(s))
}

// oracleFold is folding as the query package documents it, derived from
// Unicode here rather than read from its table: letters of the Latin
// (U+0041-U+024F, U+1E00-U+1EFF), Greek and Cyrillic (U+0370-U+04FF) blocks
// become their lower-case form without combining marks; ø, đ, ł, ħ, ı and
// final sigma, which do not decompose, are mapped by hand.
func oracleFold(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case 'ø', 'Ø':
			return 'o'
		case 'đ', 'Đ':
			return 'd'
		case 'ł', 'Ł':
			return 'l'
		case 'ħ', 'Ħ':
			return 'h'
		case 'ı':
			return 'i'
		case 'ς':
			return 'σ'
		}
		if latinGreekCyrillic := r >= 0x41 && r <= 0x24F || r >= 0x370 && r <= 0x4FF || r >= 0x1E00 && r <= 0x1EFF; !latinGreekCyrillic {
			return r
		}
		base := []rune(norm.NFD.String(string(unicode.ToLower(r))))
		for _, m := range base[1:] {
			if !unicode.Is(unicode.Mn, m) {
				return unicode.ToLower(r) // not a letter with marks: as it is
			}
		}
		return base[0]
	}, s)
}
