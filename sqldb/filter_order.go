package sqldb

// Ordered values in SQL: range filters, sorts, the values a page's last
// row sorts by, and keyset conditions for the next page (see filter.go for
// the rules they follow).

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"roster"
	"roster/query"
)

// errCursor is returned (wrapped) for a position that cannot belong to
// the plan's sort: a value of the wrong type or out of its field's range.
var errCursor = errors.New("cursor value does not fit the sort")

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
	sqlMinDay   = query.DateValue(roster.Date{Year: 0, Month: 1, Day: 1})
	sqlMaxDay   = query.DateValue(roster.Date{Year: 9999, Month: 12, Day: 31})
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

// ordArg encodes the whole value n of o's domain as an argument comparable
// with o.cmp and o.rangeX.
func (d Dialect) ordArg(o ordCol, n float64) any {
	switch o.dom {
	case domReal:
		return n
	case domDay:
		return time.Unix(int64(n)*86400, 0).UTC().Format(time.DateOnly)
	case domMilli:
		return d.timeValue(time.UnixMilli(int64(n)).UTC())
	}
	return int64(n)
}

// ordered describes the KindOrdered field f, with an activity counter
// counted at r's moment.
func (d Dialect) ordered(f roster.Field, r roster.AccessRule) (ordCol, error) {
	var o ordCol
	if f.Builtin {
		col, err := d.column(f)
		if err != nil {
			return o, err
		}
		if x := d.activityExpr(f.Key, r); x != "" {
			col = x
		}
		o.expr = col
		switch f.Type {
		case roster.TypeInteger:
			o.dom = domInt
		case roster.TypeBoolean:
			o.dom = domBool
			if d == Postgres {
				o.expr = "(CASE WHEN " + col + " THEN 1 ELSE 0 END)"
			}
		case roster.TypeDate:
			o.dom = domDay
			if d == Postgres {
				o.dom = domDays
				o.expr = "(" + col + " - DATE '1970-01-01')"
			}
		case roster.TypeTimestamp:
			o.dom = domMilli
			o.rangeX = col
			if d == Postgres {
				o.expr = "date_trunc('milliseconds', " + col + ")"
			}
		default:
			return o, planError(f.Key, "a %s field is not ordered", f.Type)
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
			return o, planError(f.Key, "custom %s fields are not supported", f.Type)
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
	case f.Builtin && d.sessionExpr(f.Key) != "":
		o.null = d.sessionExpr(f.Key)
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
func (d Dialect) rangeSQL(o ordCol, r query.Range) (sqlFrag, error) {
	if math.IsNaN(r.Lo) || math.IsNaN(r.Hi) {
		return sqlFrag{}, fmt.Errorf("a range bound is NaN")
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

// orderBySQL is the ORDER BY list (without the keywords) of p.Sort, then
// the public id ascending.
func (d Dialect) orderBySQL(p *query.Plan, r roster.AccessRule) (string, error) {
	var parts []string
	for _, k := range p.Sort {
		kc, err := d.sortKey(k.Field, r)
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

// sortExprs returns one SQL expression per key of p.Sort, to SELECT next to
// the rows of a page: scanSortValue turns what they return into the sort
// value query.SortValue gives, for the next page's After.
func (d Dialect) sortExprs(p *query.Plan, r roster.AccessRule) ([]string, error) {
	out := make([]string, len(p.Sort))
	for i, k := range p.Sort {
		kc, err := d.sortKey(k.Field, r)
		if err != nil {
			return nil, err
		}
		out[i] = kc.expr
	}
	return out, nil
}

// scanSortValue converts what the sortExprs expression of f returned (as
// scanned into an any) to the value query.SortValue(f, user) gives: a
// float64 (-Inf when empty) for ordered fields, a string for the others.
func (d Dialect) scanSortValue(f roster.Field, v any) (any, error) {
	kc, err := d.sortKey(f, roster.AccessRule{}) // its shape, not its values
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
			return query.DateValue(dt), nil
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

// keysetSQL is the condition that selects the rows strictly after position
// a in the order of p.Sort then the public id: lexicographic over the keys,
// with empty values first in ascending keys and last in descending ones.
// A value of the wrong type for its key wraps errCursor.
func (d Dialect) keysetSQL(p *query.Plan, a *query.After, r roster.AccessRule) (cond string, args []any, err error) {
	if a == nil {
		return "TRUE", nil, nil
	}
	if len(a.Values) != len(p.Sort) {
		return "", nil, fmt.Errorf("%w: %d values for %d sort keys", errCursor, len(a.Values), len(p.Sort))
	}
	// Built from the last key outwards: rest = after_i OR (eq_i AND rest).
	rest := sqlFrag{d.collate("public_id") + " > ?", []any{a.ID}}
	for i := len(p.Sort) - 1; i >= 0; i-- {
		after, eq, err := d.keyAfter(p.Sort[i], a.Values[i], r)
		if err != nil {
			return "", nil, err
		}
		rest = sqlOr([]sqlFrag{after, sqlAnd([]sqlFrag{eq, rest})})
	}
	return rest.sql, rest.args, nil
}

// sortCol is a sort key in SQL.
type sortCol struct {
	expr     string  // to SELECT
	cmp      string  // to ORDER BY and compare
	ord      *ordCol // nil for string keys
	constant bool    // sets and presence: SortValue is "" for everyone
}

func (d Dialect) sortKey(f roster.Field, r roster.AccessRule) (sortCol, error) {
	switch query.KindOf(f) {
	case query.KindAccess:
		x := d.accessExpr(r)
		return sortCol{expr: x, cmp: d.collate(x)}, nil
	case query.KindOrdered:
		o, err := d.ordered(f, r)
		if err != nil {
			return sortCol{}, err
		}
		return sortCol{expr: o.expr, cmp: o.cmp, ord: &o}, nil
	case query.KindText:
		x, err := d.foldedExpr(f)
		if err != nil {
			return sortCol{}, err
		}
		return sortCol{expr: x, cmp: d.collate(x)}, nil
	case query.KindExact:
		x, err := d.exactExpr(f)
		if err != nil {
			return sortCol{}, err
		}
		return sortCol{expr: x, cmp: d.collate(x)}, nil
	}
	if f.Type == roster.TypePassword || f.Key == "password_hash" {
		return sortCol{}, planError(f.Key, "cannot be sorted")
	}
	return sortCol{expr: "''", constant: true}, nil
}

// keyAfter returns "the row's value of key k comes after v" and "equals
// v" in the direction of k.
func (d Dialect) keyAfter(k query.SortKey, v any, r roster.AccessRule) (after, eq sqlFrag, err error) {
	kc, err := d.sortKey(k.Field, r)
	if err != nil {
		return after, eq, err
	}
	bad := func(why string) (sqlFrag, sqlFrag, error) {
		return after, eq, fmt.Errorf("%w: %s: %v %s", errCursor, k.Field.Key, v, why)
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
