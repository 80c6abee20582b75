package query

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"roster"
)

// Kind is how a field's values are matched and ordered.
type Kind int

// Kinds of fields.
const (
	KindOrdered  Kind = iota // integer, number, date, timestamp, boolean: values as float64
	KindText                 // text-like: folded strings (phones: digits and +)
	KindExact                // id, country, status: exact strings
	KindSet                  // sets and multiple choice: folded members
	KindPresence             // addresses, links, push tokens: only empty or not
	KindSmart                // smart_type: derived from groups (refs.go)
	KindSegment              // segment:NAME, a saved filter (refs.go)
	KindAccess               // access: computed at search time by the active-account rule
)

// KindOf returns the kind of field f.
func KindOf(f roster.Field) Kind {
	switch f.Type {
	case roster.TypeInteger, roster.TypeNumber, roster.TypeDate, roster.TypeTimestamp, roster.TypeBoolean:
		return KindOrdered
	case roster.TypeSet, roster.TypeMultiChoice, roster.TypeTags, roster.TypeGroups:
		return KindSet
	case roster.TypeSmartType:
		return KindSmart
	case roster.TypeAccess:
		return KindAccess
	case roster.TypeCountry, roster.TypeStatus:
		return KindExact
	case roster.TypeAddresses, roster.TypeLinks, roster.TypeDevices:
		return KindPresence
	}
	if f.Key == "id" {
		return KindExact
	}
	return KindText
}

// Range is an interval of ordered values; -Inf and +Inf stand for open
// ends. Empty values are -Inf and never fall in a Range with an open lower
// end, because that end is exclusive.
type Range struct {
	Lo, Hi         float64
	LoIncl, HiIncl bool
}

// Contains reports whether v lies in r.
func (r Range) Contains(v float64) bool {
	if v < r.Lo || (v == r.Lo && !r.LoIncl) {
		return false
	}
	return v < r.Hi || (v == r.Hi && r.HiIncl)
}

// Pred is a compiled condition: its values typed for its field's kind.
type Pred struct {
	Field  roster.Field
	Kind   Kind
	Op     Op
	Negate bool
	Strs   []string // KindText (folded), KindExact, KindSet (folded): eq, contains, all
	Ranges []Range  // KindOrdered: the union of intervals that match
	// Alts: tags and groups "all of": per value, the ids it names (a tag
	// name may name several tags). The user must have one of each.
	Alts [][]string
	// Smart: KindSmart's ranking, group ids in priority order; Strs holds
	// the target groups.
	Smart []string
	// Segs: KindSegment, any of these segments.
	Segs []*SegPlan
}

// SortKey is one key of a sort order.
type SortKey struct {
	Field roster.Field
	Desc  bool
}

// Plan is a validated filter and sort, ready to run. Groups are ANDed; the
// predicates of one group (the same field, not negated) are ORed; each Not
// predicate excludes what it matches.
type Plan struct {
	Words  []string
	Groups [][]Pred
	Not    []Pred
	Sort   []SortKey // the public id ascending always breaks ties after these
	// Hints are advice on conditions that are valid but likely not meant
	// (boundHints); they change nothing in what the plan selects.
	Hints []Hint
}

// Searcher runs plans: the query index in memory, the store (sqldb) in its
// database.
type Searcher interface {
	Search(ctx context.Context, p *Plan, page Page) (*Result, error)
	// Match returns the store ids of every user p selects, ascending: the
	// targets of a bulk action or an export.
	Match(ctx context.Context, p *Plan) ([]int64, error)
}

// FacetCount is one value of a field and how many users have it: the
// dashboard's counts by value.
type FacetCount struct {
	Value string
	Count int
}

// Page asks for up to Limit users after a position, skipping Offset of
// them first. The API pages with After (keyset cursors, stable under
// writes); the back-office's numbered pages use Offset.
type Page struct {
	Limit  int
	After  *After // nil for the first page
	Offset int
}

// After is a position in a sorted result: the sort values of the last row
// shown (float64 or string per key, in Plan.Sort order) and its public id.
type After struct {
	Values []any
	ID     string
}

// Result is one page of a search.
type Result struct {
	IDs   []int64 // store ids, in order
	Total int     // every match, not just this page
	Next  *After  // nil on the last page
}

// Page size limits.
const (
	DefaultLimit = 50
	MaxLimit     = 500
)

// DefaultSort is the order of the user table when none is asked for.
const DefaultSort = "-created_at"

// Compile validates f against reg and types its values; dates are calendar
// days in loc. Errors are EINVALID with the position of the culprit.
func Compile(f Filter, reg *roster.Registry, loc *time.Location) (*Plan, error) {
	return compile(f, reg, loc, nil)
}

// compile is Compile inside the segments named by path.
func compile(f Filter, reg *roster.Registry, loc *time.Location, path []string) (*Plan, error) {
	p := &Plan{}
	for i, w := range f.Words {
		fw := Fold(strings.TrimSpace(w))
		if fw == "" {
			continue
		}
		if len(fw) > 200 {
			return nil, errAt(pos(f.WordPos, i), "search word is longer than 200 bytes")
		}
		p.Words = append(p.Words, fw)
	}
	groups := map[string]int{}
	var groupConds [][]Cond // the conditions of each of p.Groups
	for _, c := range f.Conds {
		var pr Pred
		var err error
		fld, ok := lookupField(reg, c.Field)
		switch {
		case isSegmentKey(c.Field):
			fld = SegmentField
			pr, err = compileSegmentCond(c, reg, loc, path)
		case !ok:
			return nil, errAt(c.Pos, "unknown field %s%s", roster.Quote(c.Field), suggestion(reg, c.Field))
		default:
			pr, err = compileCond(fld, c, loc, reg.Catalog)
		}
		if err != nil {
			return nil, err
		}
		if c.Negate {
			p.Not = append(p.Not, pr)
			continue
		}
		if i, ok := groups[fld.Key]; ok {
			p.Groups[i] = append(p.Groups[i], pr)
			groupConds[i] = append(groupConds[i], c)
		} else {
			groups[fld.Key] = len(p.Groups)
			p.Groups = append(p.Groups, []Pred{pr})
			groupConds = append(groupConds, []Cond{c})
		}
	}
	for i, g := range p.Groups {
		if h := boundHints(groupConds[i], g); h != nil {
			p.Hints = append(p.Hints, *h)
		}
	}
	return p, nil
}

// aliases lets people type the singular of set fields.
var aliases = map[string]string{"role": "roles", "badge": "badges", "mission": "missions", "team": "teams", "tag": "tags", "group": "groups"}

func lookupField(reg *roster.Registry, key string) (roster.Field, bool) {
	k := strings.ToLower(key)
	if a, ok := aliases[k]; ok {
		k = a
	}
	f, ok := reg.Field(k)
	if !ok || f.Type == roster.TypePassword || f.Key == "password_hash" {
		return roster.Field{}, false
	}
	return f, true
}

func pos(p []int, i int) int {
	if i < len(p) {
		return p[i]
	}
	return -1
}

// errAt returns an EINVALID error at byte offset p.
func errAt(p int, format string, args ...any) error {
	e := roster.Errorf(roster.EINVALID, format, args...)
	e.Position = p
	return e
}

func compileCond(f roster.Field, c Cond, loc *time.Location, cat *roster.Catalog) (Pred, error) {
	k := KindOf(f)
	if c.Op == OpAll && k != KindSet {
		// "+" only means "all of" for sets; elsewhere it is part of the
		// value, as in an email a+b@example.com.
		c.Op, c.Values = OpEq, []string{strings.Join(c.Values, "+")}
	}
	pr := Pred{Field: f, Kind: k, Op: c.Op, Negate: c.Negate}
	bad := func(format string, args ...any) (Pred, error) {
		return Pred{}, errAt(c.Pos, "%s: "+format, append([]any{f.Key}, args...)...)
	}
	allowed := map[Kind][]Op{
		KindOrdered:  {OpEq, OpLt, OpLe, OpGt, OpGe, OpBetween, OpEmpty, OpNotEmpty},
		KindText:     {OpEq, OpContains, OpPrefix, OpSuffix, OpEmpty, OpNotEmpty},
		KindExact:    {OpEq, OpEmpty, OpNotEmpty},
		KindSet:      {OpEq, OpAll, OpEmpty, OpNotEmpty},
		KindPresence: {OpEmpty, OpNotEmpty},
		KindSmart:    {OpEq, OpEmpty, OpNotEmpty},
		KindAccess:   {OpEq},
	}[k]
	if f.Type == roster.TypeBoolean {
		allowed = []Op{OpEq}
	}
	if !slices.Contains(allowed, c.Op) {
		return bad("the operator %s is not available for a %s field (use %s)", opName(c.Op), f.Type, opNames(allowed))
	}
	switch c.Op {
	case OpEmpty, OpNotEmpty:
		if len(c.Values) != 0 {
			return bad("%s takes no value", opName(c.Op))
		}
		if k == KindSmart {
			return compileSmart(pr, f, c, cat), nil // the list decides who has none
		}
		return pr, nil
	case OpLt, OpLe, OpGt, OpGe:
		if len(c.Values) != 1 {
			return bad("%s takes one value", opName(c.Op))
		}
	case OpBetween:
		if len(c.Values) != 2 {
			return bad("a range takes two values (a..b)")
		}
	default:
		if len(c.Values) == 0 {
			return bad("a value is required")
		}
		if len(c.Values) > 1000 {
			return bad("at most 1000 values")
		}
	}
	switch {
	case f.Type == roster.TypeTags || f.Type == roster.TypeGroups:
		return compileRefs(pr, f, c, cat), nil
	case k == KindSmart:
		return compileSmart(pr, f, c, cat), nil
	}
	switch k {
	case KindOrdered:
		var ranges []Range
		if c.Op == OpBetween {
			lo, err := orderedBounds(f, c.Values[0], loc)
			if err != nil {
				return bad("%v", err)
			}
			hi, err := orderedBounds(f, c.Values[1], loc)
			if err != nil {
				return bad("%v", err)
			}
			if hi.Hi < lo.Lo {
				return bad("the range %s..%s is empty: its end is before its start", c.Values[0], c.Values[1])
			}
			ranges = append(ranges, Range{Lo: lo.Lo, LoIncl: lo.LoIncl, Hi: hi.Hi, HiIncl: hi.HiIncl})
		} else {
			for _, v := range c.Values {
				b, err := orderedBounds(f, v, loc)
				if err != nil {
					return bad("%v", err)
				}
				inf := math.Inf(1)
				switch c.Op {
				case OpEq:
					ranges = append(ranges, b)
				case OpLt:
					ranges = append(ranges, Range{Lo: -inf, Hi: b.Lo, HiIncl: !b.LoIncl})
				case OpLe:
					ranges = append(ranges, Range{Lo: -inf, Hi: b.Hi, HiIncl: b.HiIncl})
				case OpGt:
					ranges = append(ranges, Range{Lo: b.Hi, LoIncl: !b.HiIncl, Hi: inf})
				case OpGe:
					ranges = append(ranges, Range{Lo: b.Lo, LoIncl: b.LoIncl, Hi: inf})
				}
			}
		}
		pr.Ranges = ranges
	case KindText, KindExact, KindSet, KindAccess:
		for _, v := range c.Values {
			s, err := textValue(f, k, v)
			if err != nil {
				return bad("%v", err)
			}
			pr.Strs = append(pr.Strs, s)
		}
	}
	return pr, nil
}

// orderedBounds returns the interval that value v of field f stands for: a
// single point, or for a date given to a timestamp field, that whole day in
// loc ([start, next start)).
func orderedBounds(f roster.Field, v string, loc *time.Location) (Range, error) {
	v = strings.TrimSpace(v)
	point := func(x float64) Range { return Range{Lo: x, Hi: x, LoIncl: true, HiIncl: true} }
	switch f.Type {
	case roster.TypeInteger:
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n > roster.MaxCount || n < -roster.MaxCount {
			return Range{}, errf("%s is not a whole number", roster.Quote(v))
		}
		return point(float64(n)), nil
	case roster.TypeNumber:
		x, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return Range{}, errf("%s is not a number", roster.Quote(v))
		}
		return point(x), nil
	case roster.TypeBoolean:
		switch strings.ToLower(v) {
		case "true", "yes", "1", "y", "on":
			return point(1), nil
		case "false", "no", "0", "n", "off":
			return point(0), nil
		}
		return Range{}, errf("%s is not true or false", roster.Quote(v))
	case roster.TypeDate:
		d, err := roster.ParseDate(v)
		if err != nil {
			return Range{}, errf("%s is not a date (YYYY-MM-DD)", roster.Quote(v))
		}
		return point(DateValue(d)), nil
	case roster.TypeTimestamp:
		if d, err := roster.ParseDate(v); err == nil {
			start := d.In(loc)
			return Range{Lo: float64(start.UnixMilli()), LoIncl: true, Hi: float64(start.AddDate(0, 0, 1).UnixMilli())}, nil
		}
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return Range{}, errf("%s is not a date (YYYY-MM-DD) or a time (RFC 3339)", roster.Quote(v))
		}
		return point(float64(t.UnixMilli())), nil
	}
	return Range{}, errf("not an ordered field")
}

// textValue normalises a value typed for a text, exact or set field the way
// stored values are normalised, so that they compare equal.
func textValue(f roster.Field, k Kind, v string) (string, error) {
	if len(v) > 1000 {
		return "", errf("a value is longer than 1000 bytes")
	}
	switch {
	case f.Type == roster.TypeCountry:
		c := strings.ToUpper(strings.TrimSpace(v))
		if _, ok := roster.CountryName(c); !ok {
			return "", errf("%s is not an ISO 3166-1 alpha-2 country code", roster.Quote(v))
		}
		return c, nil
	case f.Type == roster.TypeStatus:
		s := strings.ToLower(strings.TrimSpace(v))
		if !slices.Contains(roster.UserStatusNames(), s) {
			return "", errf("%s is not a status (active, banned, invited, pending)", roster.Quote(v))
		}
		return s, nil
	case f.Type == roster.TypeAccess:
		s := strings.ToLower(strings.TrimSpace(v))
		if !roster.ValidAccessState(s) {
			return "", errf("%s is not an access state (%s)", roster.Quote(v), strings.Join(roster.AccessStateNames(), ", "))
		}
		return s, nil
	case k == KindExact:
		return strings.TrimSpace(v), nil
	}
	return FoldValue(f, v), nil
}

// FoldValue is the folded form under which text and set values of f are
// matched and sorted.
func FoldValue(f roster.Field, s string) string {
	if f.Type == roster.TypePhone {
		return FoldPhone(s)
	}
	return Fold(strings.TrimSpace(s))
}

// DateValue is a calendar day as an ordered value: days since 1970-01-01.
func DateValue(d roster.Date) float64 {
	return float64(d.In(time.UTC).Unix() / 86400)
}

// OrderedOf is the ordered value of v, as User.Get returns it for the
// KindOrdered field f: -Inf when empty. An unset boolean reads as false.
func OrderedOf(f roster.Field, v any) float64 {
	if v == nil && f.Type == roster.TypeBoolean {
		return 0
	}
	return orderedValue(v)
}

func orderedValue(v any) float64 {
	switch x := v.(type) {
	case int64:
		return float64(x)
	case float64:
		return x
	case bool:
		if x {
			return 1
		}
		return 0
	case roster.Date:
		if x.IsZero() {
			return math.Inf(-1)
		}
		return DateValue(x)
	case time.Time:
		if x.IsZero() {
			return math.Inf(-1)
		}
		return float64(x.UnixMilli())
	}
	// nil: an unset custom field. Unset booleans read as false.
	return math.Inf(-1)
}

// Empty is the ordered value of "no value".
var Empty = math.Inf(-1)

type queryError string

func (e queryError) Error() string { return string(e) }

func errf(format string, args ...any) error {
	return queryError(fmt.Sprintf(format, args...))
}

func opName(op Op) string {
	switch op {
	case OpEq:
		return "equals"
	case OpAll:
		return "has all (a+b)"
	case OpContains:
		return "contains (~)"
	case OpPrefix:
		return "starts with (^)"
	case OpSuffix:
		return "ends with ($)"
	case OpLt:
		return "<"
	case OpLe:
		return "<="
	case OpGt:
		return ">"
	case OpGe:
		return ">="
	case OpBetween:
		return "range (a..b)"
	case OpEmpty:
		return "none"
	case OpNotEmpty:
		return "any"
	}
	return string(op)
}

func opNames(ops []Op) string {
	names := make([]string, len(ops))
	for i, o := range ops {
		names[i] = opName(o)
	}
	return strings.Join(names, ", ")
}

func suggestion(reg *roster.Registry, key string) string {
	if s := Suggest(reg, key); s != "" {
		return "; did you mean " + s + "?"
	}
	return ""
}

// Suggest returns the registry key closest to key when one is close enough
// to be a typo of it, else "".
func Suggest(reg *roster.Registry, key string) string {
	best, bestD := "", 4
	key = strings.ToLower(key)
	for _, k := range reg.Keys() {
		if k == "password" || k == "password_hash" {
			continue
		}
		// Lengths that differ by bestD or more cannot be closer: skip the
		// quadratic distance, which a long typo would make slow.
		if diff := len(key) - len(k); diff >= bestD || -diff >= bestD {
			continue
		}
		if d := editDistance(key, k); d < bestD {
			best, bestD = k, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
