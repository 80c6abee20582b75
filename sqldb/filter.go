package sqldb

// The SQL form of a query.Plan: how the store answers searches itself, and
// so the oracle the query index is tested against. It selects exactly the
// users, in exactly the order, that the Plan semantics define (see
// query/plan.go):
//
//   - Empty ordered values are NULL in every SQL expression; ascending sorts
//     put them first (NULLS FIRST), descending ones last (NULLS LAST).
//   - Text values are folded in SQL exactly as query.FoldValue folds them:
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
// SQL is written with ? placeholders (rebound to $n for PostgreSQL) and
// never holds a literal question mark. This file compiles filters; the
// ordered values, sorts and keysets are in filter_order.go; tags, groups,
// smart types and segments in filter_refs.go.

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"roster"
	"roster/query"
)

// compileSQL turns p into a WHERE condition (a complete boolean expression,
// "TRUE" when p matches everyone) with its arguments, and the ORDER BY list
// (without the keywords) of p.Sort followed by the public id ascending,
// with access evaluated under r. reg
// supplies the searchable fields for p.Words; predicates use their own
// Field. A plan the store cannot run (a field it does not know, an operator
// its kind does not have) is EINVALID, naming the field.
func (d Dialect) compileSQL(p *query.Plan, reg *roster.Registry, r roster.AccessRule) (where string, args []any, orderBy string, err error) {
	w, err := d.whereSQL(p, reg, r)
	if err != nil {
		return "", nil, "", err
	}
	orderBy, err = d.orderBySQL(p, r)
	if err != nil {
		return "", nil, "", err
	}
	return w.sql, w.args, orderBy, nil
}

// planError is the EINVALID error of a plan the store cannot run: the
// message starts with the field at fault.
func planError(key, format string, args ...any) error {
	return roster.Errorf(roster.EINVALID, "%s: "+format, append([]any{key}, args...)...)
}

// whereSQL is the condition p selects by.
func (d Dialect) whereSQL(p *query.Plan, reg *roster.Registry, r roster.AccessRule) (sqlFrag, error) {
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
			fr, err := d.predSQL(pr, r)
			if err != nil {
				return sqlFrag{}, err
			}
			alts = append(alts, fr)
		}
		conds = append(conds, sqlOr(alts))
	}
	for _, pr := range p.Not {
		fr, err := d.predSQL(pr, r)
		if err != nil {
			return sqlFrag{}, err
		}
		conds = append(conds, sqlNot(fr))
	}
	return sqlAnd(conds), nil
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

// column returns the users column of built-in field f, or for a field read
// from sessions its subquery (sessionExpr).
func (d Dialect) column(f roster.Field) (string, error) {
	if f.Type == roster.TypePassword || f.Key == "password_hash" {
		return "", planError(f.Key, "cannot be searched")
	}
	if !roster.IsBuiltinKey(f.Key) {
		return "", planError(f.Key, "not a built-in field")
	}
	if f.Key == "id" {
		return "public_id", nil
	}
	if x := d.sessionExpr(f.Key); x != "" {
		return x, nil
	}
	return f.Key, nil
}

// custom returns the SQL of custom field f's value when its JSON type is
// jsonType ("string", "number", "boolean", "array"), else NULL: a value
// DecodeJSON refuses is unset for the index too.
func (d Dialect) custom(f roster.Field, jsonType string) (string, error) {
	if !sqlCustomKey.MatchString(f.Key) {
		return "", roster.Errorf(roster.EINVALID, "%q is not a custom field key", f.Key)
	}
	if d == Postgres {
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
	return "", fmt.Errorf("filter %s: bad JSON type %q", f.Key, jsonType)
}

// stringExpr is the SQL of a string field's value, NULL or the empty string when absent.
func (d Dialect) stringExpr(f roster.Field) (string, error) {
	if !sqlStringType(f.Type) {
		return "", planError(f.Key, "not a text field")
	}
	if f.Builtin {
		return d.column(f)
	}
	return d.custom(f, "string")
}

// exactExpr is the value of a KindExact field, the empty string when absent.
func (d Dialect) exactExpr(f roster.Field) (string, error) {
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
// strings.TrimSpace (and so query.FoldValue) trims.
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

// foldedExpr is query.FoldValue of string field f in SQL: never NULL.
func (d Dialect) foldedExpr(f roster.Field) (string, error) {
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
func (d Dialect) fold(x string) string {
	if d == Postgres {
		return "(CASE WHEN " + x + " ~ '[^ -@[-~]' THEN roster_fold(" + x + ") ELSE " + x + " END)"
	}
	return "roster_fold(" + x + ")"
}

func (d Dialect) trim(x string) string {
	if d == Postgres {
		return "btrim(" + x + ", " + pgSpaces + ")"
	}
	return "trim(" + x + ", " + sqliteSpaces + ")"
}

// substr is "sub occurs in x" (strings.Contains).
// textOp is x contains, starts with or ends with s (op). The ends are
// compared by their characters (substr counts characters on both
// databases), with no LIKE pattern to escape.
func (d Dialect) textOp(op query.Op, x, s string) sqlFrag {
	n := utf8.RuneCountInString(s)
	switch {
	case op == query.OpContains || n == 0:
		return d.substr(x, s)
	case op == query.OpPrefix:
		return sqlFrag{"substr(" + x + ", 1, CAST(? AS integer)) = ?", []any{n, s}}
	case d == Postgres:
		return sqlFrag{"right(" + x + ", CAST(? AS integer)) = ?", []any{n, s}}
	}
	return sqlFrag{"substr(" + x + ", -CAST(? AS integer)) = ?", []any{n, s}}
}

func (d Dialect) substr(x, sub string) sqlFrag {
	if sub == "" {
		return sqlTrue
	}
	if d == Postgres {
		return sqlFrag{"strpos(" + x + ", ?) > 0", []any{sub}}
	}
	return sqlFrag{"instr(" + x + ", ?) > 0", []any{sub}}
}

func (d Dialect) collate(x string) string {
	if d == Postgres {
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
	return sqlFrag{x + " IN (" + placeholders(len(strs)) + ")", args}
}

// predSQL is pr without its negation, as a two-valued condition.
func (d Dialect) predSQL(pr query.Pred, r roster.AccessRule) (sqlFrag, error) {
	f := pr.Field
	bad := func() (sqlFrag, error) {
		return sqlFrag{}, planError(f.Key, "the operator %s is not available", pr.Op)
	}
	switch {
	case f.Type == roster.TypeTags || f.Type == roster.TypeGroups:
		return d.refSQL(pr)
	case pr.Kind == query.KindSmart:
		return d.smartSQL(pr)
	case pr.Kind == query.KindSegment:
		return d.segmentSQL(pr, r)
	case pr.Kind == query.KindAccess:
		return d.accessSQL(pr, r)
	}
	switch pr.Kind {
	case query.KindOrdered:
		o, err := d.ordered(f, r)
		if err != nil {
			return sqlFrag{}, err
		}
		switch pr.Op {
		case query.OpEmpty, query.OpNotEmpty:
			return o.isNull(pr.Op == query.OpEmpty), nil
		case query.OpEq, query.OpLt, query.OpLe, query.OpGt, query.OpGe, query.OpBetween:
			var alts []sqlFrag
			for _, r := range pr.Ranges {
				fr, err := d.rangeSQL(o, r)
				if err != nil {
					return sqlFrag{}, planError(f.Key, "%v", err)
				}
				alts = append(alts, fr)
			}
			return sqlOr(alts), nil
		}
		return bad()
	case query.KindText, query.KindExact:
		var x string
		var err error
		if pr.Kind == query.KindText {
			x, err = d.foldedExpr(f)
		} else {
			x, err = d.exactExpr(f)
		}
		if err != nil {
			return sqlFrag{}, err
		}
		switch pr.Op {
		case query.OpEq:
			return sqlIn(x, pr.Strs), nil
		case query.OpContains, query.OpPrefix, query.OpSuffix:
			if pr.Kind != query.KindText {
				return bad()
			}
			var alts []sqlFrag
			for _, s := range pr.Strs {
				alts = append(alts, d.textOp(pr.Op, x, s))
			}
			return sqlOr(alts), nil
		case query.OpEmpty:
			return sqlFrag{x + " = ''", nil}, nil
		case query.OpNotEmpty:
			return sqlFrag{x + " <> ''", nil}, nil
		}
		return bad()
	case query.KindSet:
		switch pr.Op {
		case query.OpEq:
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
		case query.OpAll:
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
		case query.OpEmpty, query.OpNotEmpty:
			fr, err := d.members(f, func(m string) sqlFrag { return sqlFrag{m + " <> ''", nil} })
			if err != nil {
				return sqlFrag{}, err
			}
			if pr.Op == query.OpEmpty {
				return sqlNot(fr), nil
			}
			return fr, nil
		}
		return bad()
	case query.KindPresence:
		if !f.Builtin {
			return sqlFrag{}, planError(f.Key, "presence of custom fields is not supported")
		}
		if f.Key == "push_tokens" { // records, not a column
			switch pr.Op {
			case query.OpEmpty:
				return sqlFrag{"NOT " + pushTokensExists, nil}, nil
			case query.OpNotEmpty:
				return sqlFrag{pushTokensExists, nil}, nil
			}
			return bad()
		}
		col, err := d.column(f)
		if err != nil {
			return sqlFrag{}, err
		}
		n := "json_array_length(" + col + ")"
		if d == Postgres {
			n = "jsonb_array_length(" + col + ")"
		}
		switch pr.Op {
		case query.OpEmpty:
			return sqlFrag{n + " = 0", nil}, nil
		case query.OpNotEmpty:
			return sqlFrag{n + " > 0", nil}, nil
		}
		return bad()
	}
	return sqlFrag{}, planError(f.Key, "unknown kind %d", pr.Kind)
}

// members is "some member m of set field f satisfies cond(m)", where m is
// the member as the index holds it: Fold of the stored string for built-in
// sets; for custom sets, which the store's reader normalises
// (roster.NormalizeSet), Fold of the trimmed string. Empty members are not
// members: callers' conditions must reject the empty string.
func (d Dialect) members(f roster.Field, cond func(m string) sqlFrag) (sqlFrag, error) {
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
	if d == Postgres {
		val = "e.v"
		from = "jsonb_array_elements_text(" + arr + ") AS e(v)"
	}
	if !f.Builtin {
		val = d.trim(val)
	}
	c := cond(d.fold(val))
	return sqlFrag{"EXISTS (SELECT 1 FROM " + from + " WHERE " + c.sql + ")", c.args}, nil
}
