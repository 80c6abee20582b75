package query

// The SQL form of a Plan: the oracle the query index is tested against, and
// how the store answers searches itself. It selects exactly the users, in
// exactly the order, that the Plan semantics define (see plan.go):
//
//   - Empty ordered values are NULL in every SQL expression; ascending sorts
//     put them first (NULLS FIRST), descending ones last (NULLS LAST).
//   - Text values are folded in SQL exactly as FoldValue folds them:
//     TRIM(roster_fold(x), <the unicode.IsSpace runes>), or
//     roster_fold_phone(x) for phones. Absent text is ''.
//   - Strings compare bytewise: COLLATE "C" on PostgreSQL, SQLite's BINARY.
//   - Ordered values whose Go form is whole (integers, booleans, dates as
//     days, timestamps as Unix milliseconds) are compared as whole numbers:
//     a Range is first turned into inclusive whole bounds, so that a
//     PostgreSQL timestamp with microseconds compares as its millisecond
//     does in Go.
//   - Every predicate is two-valued (never NULL), so that NOT excludes
//     exactly what the predicate matches.
//
// SQL is written with ? placeholders (sqldb rebinds them to $n for
// PostgreSQL) and never holds a literal question mark.

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"roster"
)

// SQLDialect says which SQL to write.
type SQLDialect struct {
	Postgres bool
	// TimeArg encodes a time as the store writes times (sqldb's timeArg).
	// When nil: a UTC time.Time on PostgreSQL, UTC text in the fixed form
	// 2006-01-02T15:04:05.000Z on SQLite.
	TimeArg func(time.Time) any
}

// SQLiteTimeFormat is how SQLite stores times: fixed width, so that text
// order is time order.
const SQLiteTimeFormat = "2006-01-02T15:04:05.000Z"

func (d SQLDialect) timeArg(t time.Time) any {
	if d.TimeArg != nil {
		if v := d.TimeArg(t); v != nil {
			return v
		}
	}
	if d.Postgres {
		return t.UTC()
	}
	return t.UTC().Format(SQLiteTimeFormat)
}

// ErrSQLCursor is returned (wrapped) for a position that cannot belong to
// the plan's sort: a value of the wrong type or out of its field's range.
var ErrSQLCursor = errors.New("cursor value does not fit the sort")

// CompileSQL turns p into a WHERE condition (a complete boolean expression,
// "TRUE" when p matches everyone) with its arguments, and the ORDER BY list
// (without the keywords) of p.Sort followed by the public id ascending. reg
// supplies the searchable fields for p.Words; predicates use their own
// Field.
func CompileSQL(p *Plan, reg *roster.Registry, d SQLDialect) (where string, args []any, orderBy string, err error) {
	w, err := d.whereSQL(p, reg)
	if err != nil {
		return "", nil, "", err
	}
	orderBy, err = OrderBySQL(p, d)
	if err != nil {
		return "", nil, "", err
	}
	return w.sql, w.args, orderBy, nil
}

// whereSQL is the condition p selects by.
func (d SQLDialect) whereSQL(p *Plan, reg *roster.Registry) (sqlFrag, error) {
	var conds []sqlFrag
	if len(p.Words) > 0 {
		var fields []roster.Field
		for _, f := range reg.Fields {
			if f.Searchable && sqlStringType(f.Type) {
				fields = append(fields, f)
			}
		}
		exprs := make([]string, len(fields))
		for i, f := range fields {
			var err error
			if exprs[i], err = d.foldedExpr(f); err != nil {
				return sqlFrag{}, err
			}
		}
		for _, w := range p.Words {
			var alts []sqlFrag
			for _, e := range exprs {
				alts = append(alts, d.substr(e, w))
			}
			conds = append(conds, sqlOr(alts))
		}
	}
	for _, g := range p.Groups {
		var alts []sqlFrag
		for _, pr := range g {
			fr, err := d.predSQL(pr)
			if err != nil {
				return sqlFrag{}, err
			}
			alts = append(alts, fr)
		}
		conds = append(conds, sqlOr(alts))
	}
	for _, pr := range p.Not {
		fr, err := d.predSQL(pr)
		if err != nil {
			return sqlFrag{}, err
		}
		conds = append(conds, sqlNot(fr))
	}
	return sqlAnd(conds), nil
}

// OrderBySQL is the ORDER BY list (without the keywords) of p.Sort, then
// the public id ascending.
func OrderBySQL(p *Plan, d SQLDialect) (string, error) {
	var parts []string
	for _, k := range p.Sort {
		kc, err := d.sortKey(k.Field)
		if err != nil {
			return "", err
		}
		if kc.constant {
			continue // every user ties
		}
		dir := " ASC NULLS FIRST"
		if k.Desc {
			dir = " DESC NULLS LAST"
		}
		parts = append(parts, kc.cmp+dir)
	}
	parts = append(parts, d.collate("public_id")+" ASC")
	return strings.Join(parts, ", "), nil
}

// SortExprs returns one SQL expression per key of p.Sort, to SELECT next to
// the rows of a page: ScanSortValue turns what they return into the sort
// value SortValue gives, for the next page's After.
func SortExprs(p *Plan, d SQLDialect) ([]string, error) {
	out := make([]string, len(p.Sort))
	for i, k := range p.Sort {
		kc, err := d.sortKey(k.Field)
		if err != nil {
			return nil, err
		}
		out[i] = kc.expr
	}
	return out, nil
}

// ScanSortValue converts what the SortExprs expression of f returned (as
// scanned into an any) to the value SortValue(f, user) gives: a float64
// (-Inf when empty) for ordered fields, a string for the others.
func ScanSortValue(f roster.Field, d SQLDialect, v any) (any, error) {
	kc, err := d.sortKey(f)
	if err != nil {
		return nil, err
	}
	if b, ok := v.([]byte); ok {
		v = string(b)
	}
	if kc.ord == nil {
		if kc.constant {
			return "", nil
		}
		switch x := v.(type) {
		case nil:
			return "", nil
		case string:
			return x, nil
		}
		return nil, fmt.Errorf("sort value of %s: unexpected %T", f.Key, v)
	}
	if v == nil {
		return math.Inf(-1), nil
	}
	switch x := v.(type) {
	case int64:
		return float64(x), nil
	case float64:
		return x, nil
	case bool:
		if x {
			return 1.0, nil
		}
		return 0.0, nil
	case time.Time:
		return float64(x.UnixMilli()), nil
	case string:
		switch kc.ord.dom {
		case domDay:
			dt, err := roster.ParseDate(x)
			if err != nil {
				return nil, fmt.Errorf("sort value of %s: %w", f.Key, err)
			}
			return DateValue(dt), nil
		case domMilli:
			t, err := time.Parse(time.RFC3339Nano, x)
			if err != nil {
				return nil, fmt.Errorf("sort value of %s: %w", f.Key, err)
			}
			return float64(t.UnixMilli()), nil
		}
		n, err := strconv.ParseFloat(x, 64)
		if err != nil {
			return nil, fmt.Errorf("sort value of %s: %w", f.Key, err)
		}
		return n, nil
	}
	return nil, fmt.Errorf("sort value of %s: unexpected %T", f.Key, v)
}

// KeysetSQL is the condition that selects the rows strictly after position
// a in the order of p.Sort then the public id: lexicographic over the keys,
// with empty values first in ascending keys and last in descending ones.
// A value of the wrong type for its key wraps ErrSQLCursor.
func KeysetSQL(p *Plan, d SQLDialect, a *After) (cond string, args []any, err error) {
	if a == nil {
		return "TRUE", nil, nil
	}
	if len(a.Values) != len(p.Sort) {
		return "", nil, fmt.Errorf("%w: %d values for %d sort keys", ErrSQLCursor, len(a.Values), len(p.Sort))
	}
	// Built from the last key outwards: rest = after_i OR (eq_i AND rest).
	rest := sqlFrag{d.collate("public_id") + " > ?", []any{a.ID}}
	for i := len(p.Sort) - 1; i >= 0; i-- {
		after, eq, err := d.keyAfter(p.Sort[i], a.Values[i])
		if err != nil {
			return "", nil, err
		}
		rest = sqlOr([]sqlFrag{after, sqlAnd([]sqlFrag{eq, rest})})
	}
	return rest.sql, rest.args, nil
}

// sqlFrag is a piece of SQL with the arguments of its placeholders.
type sqlFrag struct {
	sql  string
	args []any
}

var (
	sqlTrue  = sqlFrag{sql: "TRUE"}
	sqlFalse = sqlFrag{sql: "FALSE"}
)

func sqlJoin(frags []sqlFrag, op string, unit, absorb sqlFrag) sqlFrag {
	var keep []sqlFrag
	for _, f := range frags {
		switch f.sql {
		case absorb.sql:
			return absorb
		case unit.sql:
			continue
		}
		keep = append(keep, f)
	}
	switch len(keep) {
	case 0:
		return unit
	case 1:
		return keep[0]
	}
	parts := make([]string, len(keep))
	var args []any
	for i, f := range keep {
		parts[i] = "(" + f.sql + ")"
		args = append(args, f.args...)
	}
	return sqlFrag{strings.Join(parts, " "+op+" "), args}
}

func sqlAnd(frags []sqlFrag) sqlFrag { return sqlJoin(frags, "AND", sqlTrue, sqlFalse) }
func sqlOr(frags []sqlFrag) sqlFrag  { return sqlJoin(frags, "OR", sqlFalse, sqlTrue) }

func sqlNot(f sqlFrag) sqlFrag {
	switch f.sql {
	case "TRUE":
		return sqlFalse
	case "FALSE":
		return sqlTrue
	}
	return sqlFrag{"NOT (" + f.sql + ")", f.args}
}

func sqlBool(b bool) sqlFrag {
	if b {
		return sqlTrue
	}
	return sqlFalse
}

// sqlStringType reports whether User.Get returns a string for fields of t.
func sqlStringType(t roster.FieldType) bool {
	switch t {
	case roster.TypeText, roster.TypeLongText, roster.TypeChoice, roster.TypeURL, roster.TypeEmail,
		roster.TypePhone, roster.TypeCountry, roster.TypeStatus:
		return true
	}
	return false
}

var sqlCustomKey = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// column returns the users column of built-in field f.
func (d SQLDialect) column(f roster.Field) (string, error) {
	if f.Type == roster.TypePassword || f.Key == "password_hash" {
		return "", fmt.Errorf("query: %s cannot be searched", f.Key)
	}
	if !roster.IsBuiltinKey(f.Key) {
		return "", fmt.Errorf("query: %q is not a built-in field", f.Key)
	}
	if f.Key == "id" {
		return "public_id", nil
	}
	return f.Key, nil
}

// custom returns the SQL of custom field f's value when its JSON type is
// jsonType ("string", "number", "boolean", "array"), else NULL: a value
// DecodeJSON refuses is unset for the index too.
func (d SQLDialect) custom(f roster.Field, jsonType string) (string, error) {
	if !sqlCustomKey.MatchString(f.Key) {
		return "", fmt.Errorf("query: bad custom field key %q", f.Key)
	}
	if d.Postgres {
		v := "custom->'" + f.Key + "'"
		switch jsonType {
		case "string":
			return "(CASE jsonb_typeof(" + v + ") WHEN 'string' THEN custom->>'" + f.Key + "' END)", nil
		case "number":
			return "(CASE jsonb_typeof(" + v + ") WHEN 'number' THEN CAST(custom->>'" + f.Key + "' AS DOUBLE PRECISION) END)", nil
		case "boolean":
			return "(CASE WHEN " + v + " = CAST('true' AS JSONB) THEN 1 ELSE 0 END)", nil
		case "array":
			return "(CASE jsonb_typeof(" + v + ") WHEN 'array' THEN " + v + " ELSE CAST('[]' AS JSONB) END)", nil
		}
	} else {
		path := `'$."` + f.Key + `"'`
		typ := "json_type(custom, " + path + ")"
		v := "json_extract(custom, " + path + ")"
		switch jsonType {
		case "string":
			return "(CASE " + typ + " WHEN 'text' THEN " + v + " END)", nil
		case "number":
			return "(CASE WHEN " + typ + " IN ('integer', 'real') THEN " + v + " END)", nil
		case "boolean":
			return "(CASE " + typ + " WHEN 'true' THEN 1 ELSE 0 END)", nil
		case "array":
			return "(CASE " + typ + " WHEN 'array' THEN " + v + " ELSE '[]' END)", nil
		}
	}
	return "", fmt.Errorf("query: bad JSON type %q", jsonType)
}

// stringExpr is the SQL of a string field's value, NULL or the empty string when absent.
func (d SQLDialect) stringExpr(f roster.Field) (string, error) {
	if !sqlStringType(f.Type) {
		return "", fmt.Errorf("query: %s is not a text field", f.Key)
	}
	if f.Builtin {
		return d.column(f)
	}
	return d.custom(f, "string")
}

// exactExpr is the value of a KindExact field, the empty string when absent.
func (d SQLDialect) exactExpr(f roster.Field) (string, error) {
	x, err := d.stringExpr(f)
	if err != nil {
		return "", err
	}
	if f.Builtin && !sqlNullable[f.Key] {
		return x, nil // NOT NULL columns: keep them bare for their indexes
	}
	return "COALESCE(" + x + ", '')", nil
}

// sqlNullable are the text columns that hold NULL for "absent".
var sqlNullable = map[string]bool{"client_id": true, "email": true}

// sqlSpaceRunes are the runes unicode.IsSpace reports, which
// strings.TrimSpace (and so FoldValue) trims.
var sqlSpaceRunes = []rune{'\t', '\n', '\v', '\f', '\r', ' ', 0x85, 0xA0, 0x1680,
	0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200A,
	0x2028, 0x2029, 0x202F, 0x205F, 0x3000}

var sqliteSpaces, pgSpaces = func() (string, string) {
	lite := make([]string, len(sqlSpaceRunes))
	var pg strings.Builder
	for i, r := range sqlSpaceRunes {
		lite[i] = strconv.Itoa(int(r))
		fmt.Fprintf(&pg, `\u%04X`, r)
	}
	return "char(" + strings.Join(lite, ", ") + ")", "E'" + pg.String() + "'"
}()

// foldedExpr is FoldValue of string field f in SQL: never NULL.
func (d SQLDialect) foldedExpr(f roster.Field) (string, error) {
	x, err := d.stringExpr(f)
	if err != nil {
		return "", err
	}
	x = "COALESCE(" + x + ", '')"
	if f.Type == roster.TypePhone {
		return "roster_fold_phone(" + x + ")", nil
	}
	return d.trim(d.fold(x)), nil // Fold maps no rune to or from a space: the order does not matter
}

// fold is roster_fold(x). PostgreSQL's roster_fold is a translate() over
// the whole table, slow per character, so text that it would leave as is
// (printable ASCII without capitals) skips it; x must be cheap to repeat.
// SQLite's is query.Fold, which has that fast path already.
func (d SQLDialect) fold(x string) string {
	if d.Postgres {
		return "(CASE WHEN " + x + " ~ '[^ -@[-~]' THEN roster_fold(" + x + ") ELSE " + x + " END)"
	}
	return "roster_fold(" + x + ")"
}

func (d SQLDialect) trim(x string) string {
	if d.Postgres {
		return "btrim(" + x + ", " + pgSpaces + ")"
	}
	return "trim(" + x + ", " + sqliteSpaces + ")"
}

// substr is "sub occurs in x" (strings.Contains).
func (d SQLDialect) substr(x, sub string) sqlFrag {
	if sub == "" {
		return sqlTrue
	}
	if d.Postgres {
		return sqlFrag{"strpos(" + x + ", ?) > 0", []any{sub}}
	}
	return sqlFrag{"instr(" + x + ", ?) > 0", []any{sub}}
}

func (d SQLDialect) collate(x string) string {
	if d.Postgres {
		return x + ` COLLATE "C"`
	}
	return x
}

func sqlIn(x string, strs []string) sqlFrag {
	if len(strs) == 0 {
		return sqlFalse
	}
	args := make([]any, len(strs))
	for i, s := range strs {
		args[i] = s
	}
	if len(strs) == 1 {
		return sqlFrag{x + " = ?", args}
	}
	return sqlFrag{x + " IN (" + strings.TrimSuffix(strings.Repeat("?, ", len(strs)), ", ") + ")", args}
}

// predSQL is pr without its negation, as a two-valued condition.
func (d SQLDialect) predSQL(pr Pred) (sqlFrag, error) {
	f := pr.Field
	bad := func() (sqlFrag, error) {
		return sqlFrag{}, fmt.Errorf("query: the operator %s is not available for %s", pr.Op, f.Key)
	}
	switch {
	case f.Type == roster.TypeTags || f.Type == roster.TypeGroups:
		return d.refSQL(pr)
	case pr.Kind == KindSmart:
		return d.smartSQL(pr)
	case pr.Kind == KindSegment:
		return d.segmentSQL(pr)
	}
	switch pr.Kind {
	case KindOrdered:
		o, err := d.ordered(f)
		if err != nil {
			return sqlFrag{}, err
		}
		switch pr.Op {
		case OpEmpty, OpNotEmpty:
			return o.isNull(pr.Op == OpEmpty), nil
		case OpEq, OpLt, OpLe, OpGt, OpGe, OpBetween:
			var alts []sqlFrag
			for _, r := range pr.Ranges {
				fr, err := d.rangeSQL(o, r)
				if err != nil {
					return sqlFrag{}, err
				}
				alts = append(alts, fr)
			}
			return sqlOr(alts), nil
		}
		return bad()
	case KindText, KindExact:
		var x string
		var err error
		if pr.Kind == KindText {
			x, err = d.foldedExpr(f)
		} else {
			x, err = d.exactExpr(f)
		}
		if err != nil {
			return sqlFrag{}, err
		}
		switch pr.Op {
		case OpEq:
			return sqlIn(x, pr.Strs), nil
		case OpContains:
			if pr.Kind != KindText {
				return bad()
			}
			var alts []sqlFrag
			for _, s := range pr.Strs {
				alts = append(alts, d.substr(x, s))
			}
			return sqlOr(alts), nil
		case OpEmpty:
			return sqlFrag{x + " = ''", nil}, nil
		case OpNotEmpty:
			return sqlFrag{x + " <> ''", nil}, nil
		}
		return bad()
	case KindSet:
		switch pr.Op {
		case OpEq:
			var strs []string
			for _, s := range pr.Strs {
				if s != "" { // members are never empty
					strs = append(strs, s)
				}
			}
			if len(strs) == 0 {
				return sqlFalse, nil
			}
			return d.members(f, func(m string) sqlFrag { return sqlIn(m, strs) })
		case OpAll:
			var all []sqlFrag
			seen := map[string]bool{}
			for _, s := range pr.Strs {
				if seen[s] {
					continue
				}
				seen[s] = true
				if s == "" {
					return sqlFalse, nil
				}
				fr, err := d.members(f, func(m string) sqlFrag { return sqlFrag{m + " = ?", []any{s}} })
				if err != nil {
					return sqlFrag{}, err
				}
				all = append(all, fr)
			}
			return sqlAnd(all), nil
		case OpEmpty, OpNotEmpty:
			fr, err := d.members(f, func(m string) sqlFrag { return sqlFrag{m + " <> ''", nil} })
			if err != nil {
				return sqlFrag{}, err
			}
			if pr.Op == OpEmpty {
				return sqlNot(fr), nil
			}
			return fr, nil
		}
		return bad()
	case KindPresence:
		if !f.Builtin {
			return sqlFrag{}, fmt.Errorf("query: %s: presence of custom fields is not supported", f.Key)
		}
		col, err := d.column(f)
		if err != nil {
			return sqlFrag{}, err
		}
		n := "json_array_length(" + col + ")"
		if d.Postgres {
			n = "jsonb_array_length(" + col + ")"
		}
		switch pr.Op {
		case OpEmpty:
			return sqlFrag{n + " = 0", nil}, nil
		case OpNotEmpty:
			return sqlFrag{n + " > 0", nil}, nil
		}
		return bad()
	}
	return sqlFrag{}, fmt.Errorf("query: %s: unknown kind %d", f.Key, pr.Kind)
}

// members is "some member m of set field f satisfies cond(m)", where m is
// the member as the index holds it: Fold of the stored string for built-in
// sets; for custom sets, which the store's reader normalises
// (roster.NormalizeSet), Fold of the trimmed string. Empty members are not
// members: callers' conditions must reject the empty string.
func (d SQLDialect) members(f roster.Field, cond func(m string) sqlFrag) (sqlFrag, error) {
	var arr string
	var err error
	if f.Builtin {
		arr, err = d.column(f)
	} else {
		arr, err = d.custom(f, "array")
	}
	if err != nil {
		return sqlFrag{}, err
	}
	val := "value"
	from := "json_each(" + arr + ")"
	if d.Postgres {
		val = "e.v"
		from = "jsonb_array_elements_text(" + arr + ") AS e(v)"
	}
	if !f.Builtin {
		val = d.trim(val)
	}
	c := cond(d.fold(val))
	return sqlFrag{"EXISTS (SELECT 1 FROM " + from + " WHERE " + c.sql + ")", c.args}, nil
}

// Ordered domains: how the ordered values of a field are held in SQL.
type ordDomain int

const (
	domInt   ordDomain = iota // whole numbers
	domReal                   // float64
	domBool                   // 0 or 1, never NULL
	domDay                    // days since 1970-01-01, as 'YYYY-MM-DD' text
	domDays                   // days since 1970-01-01, as an integer (PostgreSQL DATE columns)
	domMilli                  // Unix milliseconds, as the store's times
)

// ordCol is an ordered field in SQL.
type ordCol struct {
	expr   string // the value; NULL when empty
	null   string // IS NULL of this is "empty"; "" for NOT NULL columns
	cmp    string // expr as compared for sorting and keysets
	rangeX string // what range filters compare (a raw time column)
	dom    ordDomain
}

var (
	sqlMinDay   = DateValue(roster.Date{Year: 0, Month: 1, Day: 1})
	sqlMaxDay   = DateValue(roster.Date{Year: 9999, Month: 12, Day: 31})
	sqlMinMilli = float64(time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli())
	sqlMaxMilli = float64(time.Date(9999, 12, 31, 23, 59, 59, 999e6, time.UTC).UnixMilli())
)

// isNull is "the value is empty" (or, when null is false, "is not").
func (o ordCol) isNull(null bool) sqlFrag {
	if o.null == "" {
		return sqlBool(!null)
	}
	if null {
		return sqlFrag{o.null + " IS NULL", nil}
	}
	return sqlFrag{o.null + " IS NOT NULL", nil}
}

// limits are the whole values a domain can hold in SQL.
func (o ordCol) limits() (lo, hi float64) {
	switch o.dom {
	case domDay, domDays:
		return sqlMinDay, sqlMaxDay
	case domMilli:
		return sqlMinMilli, sqlMaxMilli
	}
	return -(1 << 53), 1 << 53
}

// arg encodes the whole value n of o's domain as an argument comparable
// with o.cmp and o.rangeX.
func (d SQLDialect) ordArg(o ordCol, n float64) any {
	switch o.dom {
	case domReal:
		return n
	case domDay:
		return time.Unix(int64(n)*86400, 0).UTC().Format(time.DateOnly)
	case domMilli:
		return d.timeArg(time.UnixMilli(int64(n)).UTC())
	}
	return int64(n)
}

// ordered describes the KindOrdered field f.
func (d SQLDialect) ordered(f roster.Field) (ordCol, error) {
	var o ordCol
	if f.Builtin {
		col, err := d.column(f)
		if err != nil {
			return o, err
		}
		o.expr = col
		switch f.Type {
		case roster.TypeInteger:
			o.dom = domInt
		case roster.TypeBoolean:
			o.dom = domBool
			if d.Postgres {
				o.expr = "(CASE WHEN " + col + " THEN 1 ELSE 0 END)"
			}
		case roster.TypeDate:
			o.dom = domDay
			if d.Postgres {
				o.dom = domDays
				o.expr = "(" + col + " - DATE '1970-01-01')"
			}
		case roster.TypeTimestamp:
			o.dom = domMilli
			o.rangeX = col
			if d.Postgres {
				o.expr = "date_trunc('milliseconds', " + col + ")"
			}
		default:
			return o, fmt.Errorf("query: %s (%s) is not ordered", f.Key, f.Type)
		}
	} else {
		var err error
		switch f.Type {
		case roster.TypeNumber, roster.TypeInteger:
			o.dom = domReal
			o.expr, err = d.custom(f, "number")
		case roster.TypeBoolean:
			o.dom = domBool
			o.expr, err = d.custom(f, "boolean")
		case roster.TypeDate:
			o.dom = domDay
			o.expr, err = d.custom(f, "string")
			o.expr = "NULLIF(" + o.expr + ", '')"
		default:
			return o, fmt.Errorf("query: custom %s fields (%s) are not supported", f.Type, f.Key)
		}
		if err != nil {
			return o, err
		}
	}
	switch {
	case o.dom == domBool:
		o.null = "" // never empty
	case f.Builtin && (o.dom == domInt || f.Key == "created_at" || f.Key == "updated_at"):
		o.null = "" // NOT NULL columns
	case f.Builtin:
		o.null = f.Key // the bare column
	default:
		o.null = o.expr
	}
	o.cmp = o.expr
	if o.dom == domDay {
		o.cmp = d.collate(o.expr)
	}
	if o.rangeX == "" {
		o.rangeX = o.cmp
	}
	return o, nil
}

// rangeSQL is "the value of o lies in r" (Range.Contains), never NULL.
func (d SQLDialect) rangeSQL(o ordCol, r Range) (sqlFrag, error) {
	if math.IsNaN(r.Lo) || math.IsNaN(r.Hi) {
		return sqlFrag{}, fmt.Errorf("query: a range bound is NaN")
	}
	if o.dom == domBool {
		// Only 0 and 1: decide here.
		in0, in1 := r.Contains(0), r.Contains(1)
		switch {
		case in0 && in1:
			return sqlTrue, nil
		case in1:
			return sqlFrag{o.expr + " = 1", nil}, nil
		case in0:
			return sqlFrag{o.expr + " = 0", nil}, nil
		}
		return sqlFalse, nil
	}
	if r.Lo == math.Inf(1) || r.Hi == math.Inf(-1) {
		return sqlFalse, nil
	}
	var conds []sqlFrag
	if o.null != "" {
		// Keeps the condition two-valued: false, not NULL, when empty.
		conds = append(conds, sqlFrag{o.null + " IS NOT NULL", nil})
	}
	if o.dom == domReal {
		if !math.IsInf(r.Lo, -1) {
			op := " > ?"
			if r.LoIncl {
				op = " >= ?"
			}
			conds = append(conds, sqlFrag{o.rangeX + op, []any{r.Lo}})
		}
		if !math.IsInf(r.Hi, 1) {
			op := " < ?"
			if r.HiIncl {
				op = " <= ?"
			}
			conds = append(conds, sqlFrag{o.rangeX + op, []any{r.Hi}})
		}
		return sqlAnd(conds), nil
	}
	// Whole values: the inclusive whole bounds [lo, hi] of r, then clamped
	// to what the domain can hold.
	lo, hi := math.Inf(-1), math.Inf(1)
	if !math.IsInf(r.Lo, -1) {
		if r.LoIncl {
			lo = math.Ceil(r.Lo)
		} else {
			lo = math.Floor(r.Lo) + 1
		}
	}
	if !math.IsInf(r.Hi, 1) {
		if r.HiIncl {
			hi = math.Floor(r.Hi)
		} else {
			hi = math.Ceil(r.Hi) - 1
		}
	}
	if lo > hi {
		return sqlFalse, nil
	}
	minV, maxV := o.limits()
	if lo > maxV || hi < minV {
		return sqlFalse, nil
	}
	if lo > minV {
		conds = append(conds, sqlFrag{o.rangeX + " >= ?", []any{d.ordArg(o, lo)}})
	}
	if hi < maxV {
		if o.dom == domMilli {
			// The store may keep finer times than the millisecond the index
			// sees: below the next millisecond.
			conds = append(conds, sqlFrag{o.rangeX + " < ?", []any{d.ordArg(o, hi+1)}})
		} else {
			conds = append(conds, sqlFrag{o.rangeX + " <= ?", []any{d.ordArg(o, hi)}})
		}
	}
	return sqlAnd(conds), nil
}

// sortCol is a sort key in SQL.
type sortCol struct {
	expr     string  // to SELECT
	cmp      string  // to ORDER BY and compare
	ord      *ordCol // nil for string keys
	constant bool    // sets and presence: SortValue is "" for everyone
}

func (d SQLDialect) sortKey(f roster.Field) (sortCol, error) {
	switch KindOf(f) {
	case KindOrdered:
		o, err := d.ordered(f)
		if err != nil {
			return sortCol{}, err
		}
		return sortCol{expr: o.expr, cmp: o.cmp, ord: &o}, nil
	case KindText:
		x, err := d.foldedExpr(f)
		if err != nil {
			return sortCol{}, err
		}
		return sortCol{expr: x, cmp: d.collate(x)}, nil
	case KindExact:
		x, err := d.exactExpr(f)
		if err != nil {
			return sortCol{}, err
		}
		return sortCol{expr: x, cmp: d.collate(x)}, nil
	}
	if f.Type == roster.TypePassword || f.Key == "password_hash" {
		return sortCol{}, fmt.Errorf("query: %s cannot be sorted", f.Key)
	}
	return sortCol{expr: "''", constant: true}, nil
}

// keyAfter returns "the row's value of key k comes after v" and "equals
// v" in the direction of k.
func (d SQLDialect) keyAfter(k SortKey, v any) (after, eq sqlFrag, err error) {
	kc, err := d.sortKey(k.Field)
	if err != nil {
		return after, eq, err
	}
	bad := func(why string) (sqlFrag, sqlFrag, error) {
		return after, eq, fmt.Errorf("%w: %s: %v %s", ErrSQLCursor, k.Field.Key, v, why)
	}
	if kc.ord == nil {
		s, ok := v.(string)
		if !ok {
			return bad("is not a string")
		}
		if kc.constant {
			if k.Desc {
				return sqlBool(s != ""), sqlBool(s == ""), nil
			}
			return sqlFalse, sqlBool(s == ""), nil
		}
		op := " > ?"
		if k.Desc {
			op = " < ?"
		}
		return sqlFrag{kc.cmp + op, []any{s}}, sqlFrag{kc.cmp + " = ?", []any{s}}, nil
	}
	o := *kc.ord
	x, ok := v.(float64)
	if !ok || math.IsNaN(x) || math.IsInf(x, 1) {
		return bad("is not an ordered value")
	}
	if math.IsInf(x, -1) { // empty: first ascending, last descending
		eq = o.isNull(true)
		if k.Desc {
			return sqlFalse, eq, nil
		}
		return o.isNull(false), eq, nil
	}
	if o.dom != domReal {
		minV, maxV := o.limits()
		if o.dom == domBool {
			minV, maxV = 0, 1
		}
		if x != math.Trunc(x) || x < minV || x > maxV {
			return bad("is out of range")
		}
	}
	arg := d.ordArg(o, x)
	eq = sqlFrag{o.cmp + " = ?", []any{arg}}
	if k.Desc {
		return sqlOr([]sqlFrag{{o.cmp + " < ?", []any{arg}}, o.isNull(true)}), eq, nil
	}
	return sqlFrag{o.cmp + " > ?", []any{arg}}, eq, nil
}
