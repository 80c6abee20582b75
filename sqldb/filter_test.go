package sqldb

import (
	"errors"
	"math"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"

	"roster"
	"roster/query"
)

// The SQL itself is checked against a Go evaluation on both databases in
// search_test.go; these tests pin its shape without a database.

var sqlDialects = map[string]Dialect{"sqlite": SQLite, "postgres": Postgres}

func sqlRegistry() *roster.Registry {
	return roster.NewRegistry([]roster.Field{
		{Key: "nick", Label: "Nick", Type: roster.TypeText, Searchable: true, Sortable: true},
		{Key: "score", Label: "Score", Type: roster.TypeNumber, Sortable: true},
		{Key: "joined", Label: "Joined", Type: roster.TypeDate, Sortable: true},
		{Key: "vip", Label: "VIP", Type: roster.TypeBoolean, Sortable: true},
		{Key: "interests", Label: "Interests", Type: roster.TypeMultiChoice, Choices: []string{"music", "art"}},
		{Key: "fax", Label: "Fax", Type: roster.TypePhone, Searchable: true, Sortable: true},
	})
}

func sqlField(t *testing.T, reg *roster.Registry, key string) roster.Field {
	t.Helper()
	f, ok := reg.Field(key)
	if !ok {
		t.Fatalf("no field %s", key)
	}
	return f
}

func sqlCond(field string, op query.Op, vals ...string) query.Cond {
	return query.Cond{Field: field, Op: op, Values: vals, Pos: -1}
}

func sqlPlan(t *testing.T, reg *roster.Registry, loc *time.Location, sort string, words []string, conds ...query.Cond) *query.Plan {
	t.Helper()
	p, err := query.Compile(query.Filter{Words: words, Conds: conds}, reg, loc)
	if err != nil {
		t.Fatal(err)
	}
	if sort != "" {
		for _, k := range strings.Split(sort, ",") {
			p.Sort = append(p.Sort, query.SortKey{Field: sqlField(t, reg, strings.TrimPrefix(k, "-")), Desc: strings.HasPrefix(k, "-")})
		}
	}
	return p
}

// checkPlaceholders fails when the ? marks of q and its arguments differ:
// the SQL must never hold a literal question mark, since sqldb rebinds
// every ? to $n on PostgreSQL.
func checkPlaceholders(t *testing.T, what, q string, args []any) {
	t.Helper()
	if n := strings.Count(q, "?"); n != len(args) {
		t.Errorf("%s: %d placeholders, %d arguments in %s", what, n, len(args), q)
	}
}

func TestCompileSQL_Placeholders(t *testing.T) {
	reg := sqlRegistry()
	minus5 := time.FixedZone("UTC-5", -5*3600)
	plans := []*query.Plan{
		sqlPlan(t, reg, time.UTC, "", nil),
		sqlPlan(t, reg, time.UTC, "-created_at", []string{"zoé", "Paris", "0612"}),
		sqlPlan(t, reg, minus5, "first_name,-points", nil,
			sqlCond("first_name", query.OpEq, "Zoé", "anna"), sqlCond("first_name", query.OpContains, "zo"),
			sqlCond("city", query.OpEmpty), sqlCond("email", query.OpNotEmpty), sqlCond("mobile_phone", query.OpContains, "+33 6"),
			sqlCond("country", query.OpEq, "FR", "de"), sqlCond("status", query.OpEmpty),
			sqlCond("points", query.OpBetween, "1", "10"), sqlCond("points", query.OpGt, "50"),
			sqlCond("birth_date", query.OpLt, "1990-01-01"), sqlCond("last_visit", query.OpEq, "2025-03-01"),
			sqlCond("created_at", query.OpGe, "2025-03-01T10:00:00Z"), sqlCond("newsletter", query.OpEq, "true"),
			sqlCond("score", query.OpLe, "2.5"), sqlCond("joined", query.OpNotEmpty), sqlCond("vip", query.OpEq, "false"),
			sqlCond("roles", query.OpEq, "admin", "vip"), sqlCond("roles", query.OpAll, "a", "b"), sqlCond("teams", query.OpEmpty),
			sqlCond("interests", query.OpAll, "music", "art"), sqlCond("addresses", query.OpNotEmpty),
			query.Cond{Field: "nick", Op: query.OpContains, Values: []string{"x"}, Negate: true},
			query.Cond{Field: "push_tokens", Op: query.OpEmpty, Negate: true},
			query.Cond{Field: "fax", Op: query.OpEq, Values: []string{"+1 555"}, Negate: true},
		),
		sqlPlan(t, reg, time.UTC, "-score,joined,-vip,nick,-fax,id,-last_login,birth_date,roles", []string{"a"}),
	}
	for name, d := range sqlDialects {
		for i, p := range plans {
			where, args, orderBy, err := d.compileSQL(p, reg, testRule)
			if err != nil {
				t.Fatalf("%s plan %d: %v", name, i, err)
			}
			checkPlaceholders(t, name+" where", where, args)
			checkPlaceholders(t, name+" order by", orderBy, nil)
			exprs, err := d.sortExprs(p, testRule)
			if err != nil || len(exprs) != len(p.Sort) {
				t.Fatalf("%s plan %d: sort exprs %v, %v", name, i, exprs, err)
			}
			for _, e := range exprs {
				checkPlaceholders(t, name+" sort expr", e, nil)
			}
			a := &query.After{ID: "u_x"}
			for j, k := range p.Sort {
				if query.KindOf(k.Field) == query.KindOrdered {
					a.Values = append(a.Values, []float64{math.Inf(-1), 3}[j%2])
				} else {
					a.Values = append(a.Values, "x")
				}
			}
			cond, kargs, err := d.keysetSQL(p, a, testRule)
			if err != nil {
				t.Fatalf("%s plan %d: keyset: %v", name, i, err)
			}
			checkPlaceholders(t, name+" keyset", cond, kargs)
		}
	}
}

func TestCompileSQL(t *testing.T) {
	reg := sqlRegistry()
	minus5 := time.FixedZone("UTC-5", -5*3600)
	march1 := time.Date(2025, 3, 1, 5, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name     string
		dialect  string
		p        *query.Plan
		where    string // the whole condition, or
		contains []string
		args     []any
		orderBy  string
	}{
		{name: "empty sqlite", dialect: "sqlite", p: sqlPlan(t, reg, time.UTC, "", nil), where: "TRUE", orderBy: "public_id ASC"},
		{name: "empty postgres", dialect: "postgres", p: sqlPlan(t, reg, time.UTC, "", nil), where: "TRUE", orderBy: `public_id COLLATE "C" ASC`},
		{name: "integer gt", dialect: "sqlite", p: sqlPlan(t, reg, time.UTC, "", nil, sqlCond("points", query.OpGt, "50")),
			where: "points >= ?", args: []any{int64(51)}},
		{name: "integer same-field or", dialect: "postgres", p: sqlPlan(t, reg, time.UTC, "", nil, sqlCond("points", query.OpLt, "10"), sqlCond("points", query.OpEq, "20", "30")),
			where: "(points <= ?) OR (((points >= ?) AND (points <= ?)) OR ((points >= ?) AND (points <= ?)))", args: []any{int64(9), int64(20), int64(20), int64(30), int64(30)}},
		{name: "timestamp day in a zone sqlite", dialect: "sqlite", p: sqlPlan(t, reg, minus5, "", nil, sqlCond("last_visit", query.OpEq, "2025-03-01")),
			where: "(last_visit IS NOT NULL) AND (last_visit >= ?) AND (last_visit < ?)", args: []any{"2025-03-01T05:00:00.000Z", "2025-03-02T05:00:00.000Z"}},
		{name: "timestamp day in a zone postgres", dialect: "postgres", p: sqlPlan(t, reg, minus5, "", nil, sqlCond("last_visit", query.OpEq, "2025-03-01")),
			where: "(last_visit IS NOT NULL) AND (last_visit >= ?) AND (last_visit < ?)", args: []any{march1, march1.AddDate(0, 0, 1)}},
		{name: "timestamp after an instant: the next millisecond", dialect: "sqlite", p: sqlPlan(t, reg, time.UTC, "", nil, sqlCond("created_at", query.OpGt, "2025-03-01T05:00:00Z")),
			where: "created_at >= ?", args: []any{"2025-03-01T05:00:00.001Z"}},
		{name: "timestamp up to an instant: below the next millisecond", dialect: "postgres", p: sqlPlan(t, reg, time.UTC, "", nil, sqlCond("created_at", query.OpLe, "2025-03-01T05:00:00Z")),
			where: "created_at < ?", args: []any{march1.Add(time.Millisecond)}},
		{name: "date sqlite", dialect: "sqlite", p: sqlPlan(t, reg, time.UTC, "", nil, sqlCond("birth_date", query.OpLt, "1990-01-01")),
			where: "(birth_date IS NOT NULL) AND (birth_date <= ?)", args: []any{"1989-12-31"}},
		{name: "date postgres", dialect: "postgres", p: sqlPlan(t, reg, time.UTC, "", nil, sqlCond("birth_date", query.OpGe, "1970-01-11")),
			where: "(birth_date IS NOT NULL) AND ((birth_date - DATE '1970-01-01') >= ?)", args: []any{int64(10)}},
		{name: "date empty", dialect: "postgres", p: sqlPlan(t, reg, time.UTC, "", nil, sqlCond("birth_date", query.OpEmpty)), where: "birth_date IS NULL"},
		{name: "boolean", dialect: "sqlite", p: sqlPlan(t, reg, time.UTC, "", nil, sqlCond("newsletter", query.OpEq, "true")), where: "newsletter = 1"},
		{name: "boolean both", dialect: "postgres", p: sqlPlan(t, reg, time.UTC, "", nil, sqlCond("newsletter", query.OpEq, "true", "no")),
			where: "((CASE WHEN newsletter THEN 1 ELSE 0 END) = 1) OR ((CASE WHEN newsletter THEN 1 ELSE 0 END) = 0)"},
		{name: "boolean range", dialect: "sqlite", p: &query.Plan{Not: []query.Pred{{Field: sqlField(t, reg, "vip"), Kind: query.KindOrdered, Op: query.OpGe, Negate: true,
			Ranges: []query.Range{{Lo: -1, Hi: math.Inf(1)}}}}}, where: "FALSE"},
		{name: "custom number sqlite", dialect: "sqlite", p: sqlPlan(t, reg, time.UTC, "", nil, sqlCond("score", query.OpGt, "2.5")),
			contains: []string{`json_type(custom, '$."score"') IN ('integer', 'real')`, ") > ?"}, args: []any{2.5}},
		{name: "custom number postgres", dialect: "postgres", p: sqlPlan(t, reg, time.UTC, "", nil, sqlCond("score", query.OpLe, "2.5")),
			contains: []string{`CAST(custom->>'score' AS DOUBLE PRECISION)`, ") <= ?"}, args: []any{2.5}},
		{name: "custom date postgres", dialect: "postgres", p: sqlPlan(t, reg, time.UTC, "", nil, sqlCond("joined", query.OpBetween, "2024-01-01", "2024-12-31")),
			contains: []string{`custom->>'joined'`, `COLLATE "C" >= ?`, `COLLATE "C" <= ?`}, args: []any{"2024-01-01", "2024-12-31"}},
		{name: "custom boolean", dialect: "postgres", p: sqlPlan(t, reg, time.UTC, "", nil, sqlCond("vip", query.OpEq, "false")),
			where: "(CASE WHEN custom->'vip' = CAST('true' AS JSONB) THEN 1 ELSE 0 END) = 0"},
		{name: "text eq", dialect: "sqlite", p: sqlPlan(t, reg, time.UTC, "", nil, sqlCond("first_name", query.OpEq, "Zoé", "ANNA")),
			contains: []string{"roster_fold(COALESCE(first_name, ''))", "IN (?, ?)"}, args: []any{"zoe", "anna"}},
		{name: "text contains empty is true", dialect: "sqlite", p: sqlPlan(t, reg, time.UTC, "", nil, sqlCond("first_name", query.OpContains, "x"), sqlCond("first_name", query.OpContains, " ")),
			where: "TRUE"},
		{name: "phone contains", dialect: "postgres", p: sqlPlan(t, reg, time.UTC, "", nil, sqlCond("fax", query.OpContains, "+1 (555)")),
			contains: []string{"strpos(roster_fold_phone(COALESCE((CASE jsonb_typeof(custom->'fax') WHEN 'string' THEN custom->>'fax' END), '')), ?) > 0"}, args: []any{"+1555"}},
		{name: "exact", dialect: "postgres", p: sqlPlan(t, reg, time.UTC, "", nil, sqlCond("country", query.OpEq, "fr")), where: "country = ?", args: []any{"FR"}},
		{name: "exact id", dialect: "sqlite", p: sqlPlan(t, reg, time.UTC, "", nil, sqlCond("id", query.OpEq, "u_1", "u_2")), where: "public_id IN (?, ?)", args: []any{"u_1", "u_2"}},
		{name: "set sqlite", dialect: "sqlite", p: sqlPlan(t, reg, time.UTC, "", nil, sqlCond("roles", query.OpEq, "Admin")),
			where: "EXISTS (SELECT 1 FROM json_each(roles) WHERE roster_fold(value) = ?)", args: []any{"admin"}},
		{name: "set all postgres", dialect: "postgres", p: sqlPlan(t, reg, time.UTC, "", nil, sqlCond("roles", query.OpAll, "a", "b")),
			where: "(EXISTS (SELECT 1 FROM jsonb_array_elements_text(roles) AS e(v) WHERE (CASE WHEN e.v ~ '[^ -@[-~]' THEN roster_fold(e.v) ELSE e.v END) = ?)) AND " +
				"(EXISTS (SELECT 1 FROM jsonb_array_elements_text(roles) AS e(v) WHERE (CASE WHEN e.v ~ '[^ -@[-~]' THEN roster_fold(e.v) ELSE e.v END) = ?))", args: []any{"a", "b"}},
		{name: "set empty", dialect: "sqlite", p: sqlPlan(t, reg, time.UTC, "", nil, sqlCond("teams", query.OpEmpty)),
			where: "NOT (EXISTS (SELECT 1 FROM json_each(teams) WHERE roster_fold(value) <> ''))"},
		{name: "custom set", dialect: "sqlite", p: sqlPlan(t, reg, time.UTC, "", nil, sqlCond("interests", query.OpEq, "music")),
			contains: []string{`json_each((CASE json_type(custom, '$."interests"') WHEN 'array' THEN json_extract(custom, '$."interests"') ELSE '[]' END))`, "roster_fold(trim(value, char(9, 10, 11"}, args: []any{"music"}},
		{name: "presence", dialect: "postgres", p: sqlPlan(t, reg, time.UTC, "", nil, sqlCond("addresses", query.OpEmpty)), where: "jsonb_array_length(addresses) = 0"},
		{name: "negation", dialect: "sqlite", p: sqlPlan(t, reg, time.UTC, "", nil, query.Cond{Field: "country", Op: query.OpEq, Values: []string{"FR"}, Negate: true}, sqlCond("points", query.OpGe, "1")),
			where: "(points >= ?) AND (NOT (country = ?))", args: []any{int64(1), "FR"}},
		{name: "words", dialect: "postgres", p: sqlPlan(t, reg, time.UTC, "", []string{"Zoé"}),
			contains: []string{"strpos(btrim((CASE WHEN COALESCE(first_name, '') ~ '[^ -@[-~]' THEN roster_fold(COALESCE(first_name, ''))", `E'\u0009\u000A\u000B`, "custom->>'nick'", "roster_fold_phone(COALESCE(mobile_phone, ''))"}},
		{name: "sort", dialect: "postgres", p: sqlPlan(t, reg, time.UTC, "-last_login,first_name,-country,roles", nil),
			where: "TRUE", orderBy: "date_trunc('milliseconds', last_login) DESC NULLS LAST, btrim((CASE WHEN COALESCE(first_name, '') ~ '[^ -@[-~]' THEN roster_fold(COALESCE(first_name, '')) ELSE COALESCE(first_name, '') END), " +
				`E'\u0009\u000A\u000B\u000C\u000D\u0020\u0085\u00A0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200A\u2028\u2029\u202F\u205F\u3000') COLLATE "C" ASC NULLS FIRST, ` +
				`country COLLATE "C" DESC NULLS LAST, public_id COLLATE "C" ASC`},
		{name: "sort sqlite", dialect: "sqlite", p: sqlPlan(t, reg, time.UTC, "birth_date,-vip,-score", nil),
			orderBy: "birth_date ASC NULLS FIRST, (CASE json_type(custom, '$.\"vip\"') WHEN 'true' THEN 1 ELSE 0 END) DESC NULLS LAST, " +
				`(CASE WHEN json_type(custom, '$."score"') IN ('integer', 'real') THEN json_extract(custom, '$."score"') END) DESC NULLS LAST, public_id ASC`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			where, args, orderBy, err := sqlDialects[tt.dialect].compileSQL(tt.p, reg, testRule)
			if err != nil {
				t.Fatal(err)
			}
			checkPlaceholders(t, "where", where, args)
			if tt.where != "" && where != tt.where {
				t.Errorf("where =\n%s\nwant\n%s", where, tt.where)
			}
			for _, c := range tt.contains {
				if !strings.Contains(where, c) {
					t.Errorf("where lacks %s:\n%s", c, where)
				}
			}
			if tt.args != nil && !reflect.DeepEqual(args, tt.args) {
				t.Errorf("args = %#v, want %#v", args, tt.args)
			}
			if tt.orderBy != "" && orderBy != tt.orderBy {
				t.Errorf("order by =\n%s\nwant\n%s", orderBy, tt.orderBy)
			}
		})
	}
}

// Times in filters are encoded as the store writes them (DB.timeArg).
func TestCompileSQL_TimeArg(t *testing.T) {
	reg := sqlRegistry()
	day2, day3 := time.Date(1970, 1, 2, 0, 0, 0, 0, time.UTC), time.Date(1970, 1, 3, 0, 0, 0, 0, time.UTC)
	for name, want := range map[string][]any{
		"sqlite":   {"1970-01-02T00:00:00.000Z", "1970-01-03T00:00:00.000Z"},
		"postgres": {day2, day3},
	} {
		d := sqlDialects[name]
		_, args, _, err := d.compileSQL(sqlPlan(t, reg, time.UTC, "", nil, sqlCond("last_login", query.OpEq, "1970-01-02")), reg, testRule)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(args, want) {
			t.Errorf("%s: args = %#v, want %#v", name, args, want)
		}
		db := &DB{Dialect: d}
		if store := []any{db.timeArg(day2), db.timeArg(day3)}; !reflect.DeepEqual(args, store) {
			t.Errorf("%s: args = %#v, the store writes %#v", name, args, store)
		}
	}
}

// Ranges built by hand, not only by Compile: whole-valued fields take the
// whole values inside.
func TestCompileSQL_Ranges(t *testing.T) {
	reg := sqlRegistry()
	points, birth := sqlField(t, reg, "points"), sqlField(t, reg, "birth_date")
	inf := math.Inf(1)
	for _, tt := range []struct {
		f     roster.Field
		r     query.Range
		where string
		args  []any
	}{
		{points, query.Range{Lo: 2.5, Hi: 7.5}, "(points >= ?) AND (points <= ?)", []any{int64(3), int64(7)}},
		{points, query.Range{Lo: 2, Hi: 7}, "(points >= ?) AND (points <= ?)", []any{int64(3), int64(6)}},
		{points, query.Range{Lo: 2, Hi: 7, LoIncl: true, HiIncl: true}, "(points >= ?) AND (points <= ?)", []any{int64(2), int64(7)}},
		{points, query.Range{Lo: 2, Hi: 3}, "FALSE", nil},
		{points, query.Range{Lo: 2.2, Hi: 2.8, LoIncl: true, HiIncl: true}, "FALSE", nil},
		{points, query.Range{Lo: -inf, Hi: inf}, "TRUE", nil},
		{points, query.Range{Lo: inf, Hi: inf, LoIncl: true, HiIncl: true}, "FALSE", nil},
		{points, query.Range{Lo: -1e300, Hi: 1e300}, "TRUE", nil},
		{birth, query.Range{Lo: -inf, Hi: inf}, "birth_date IS NOT NULL", nil},
		{birth, query.Range{Lo: -1e9, Hi: 0, HiIncl: true}, "(birth_date IS NOT NULL) AND (birth_date <= ?)", []any{"1970-01-01"}},
		{birth, query.Range{Lo: 1e9, Hi: inf}, "FALSE", nil},
	} {
		p := &query.Plan{Groups: [][]query.Pred{{{Field: tt.f, Kind: query.KindOrdered, Op: query.OpBetween, Ranges: []query.Range{tt.r}}}}}
		where, args, _, err := SQLite.compileSQL(p, reg, testRule)
		if err != nil {
			t.Fatal(err)
		}
		if where != tt.where || !reflect.DeepEqual(args, tt.args) {
			t.Errorf("%s %+v: got %s %v, want %s %v", tt.f.Key, tt.r, where, args, tt.where, tt.args)
		}
	}
}

func TestKeysetSQL(t *testing.T) {
	reg := sqlRegistry()
	p := sqlPlan(t, reg, time.UTC, "-points,country", nil)
	cond, args, err := SQLite.keysetSQL(p, &query.After{ID: "u_1", Values: []any{10.0, "FR"}}, testRule)
	if err != nil {
		t.Fatal(err)
	}
	want := "(points < ?) OR ((points = ?) AND ((country > ?) OR ((country = ?) AND (public_id > ?))))"
	if cond != want || !reflect.DeepEqual(args, []any{int64(10), int64(10), "FR", "FR", "u_1"}) {
		t.Errorf("got %s %v\nwant %s", cond, args, want)
	}

	p = sqlPlan(t, reg, time.UTC, "-birth_date,last_login", nil)
	for _, tt := range []struct {
		values []any
		want   string
		args   []any
	}{
		// Descending, empty: only later empties; ascending, empty: every
		// value comes after.
		{[]any{math.Inf(-1), math.Inf(-1)}, "(birth_date IS NULL) AND ((last_login IS NOT NULL) OR ((last_login IS NULL) AND (public_id > ?)))", []any{"u_1"}},
		{[]any{0.0, 1.0}, "((birth_date < ?) OR (birth_date IS NULL)) OR ((birth_date = ?) AND ((last_login > ?) OR ((last_login = ?) AND (public_id > ?))))",
			[]any{"1970-01-01", "1970-01-01", "1970-01-01T00:00:00.001Z", "1970-01-01T00:00:00.001Z", "u_1"}},
	} {
		cond, args, err := SQLite.keysetSQL(p, &query.After{ID: "u_1", Values: tt.values}, testRule)
		if err != nil {
			t.Fatal(err)
		}
		if cond != tt.want || !reflect.DeepEqual(args, tt.args) {
			t.Errorf("%v: got %s %v\nwant %s %v", tt.values, cond, args, tt.want, tt.args)
		}
	}

	// Sets and presence sort as "" for everyone.
	p = sqlPlan(t, reg, time.UTC, "roles,-addresses", nil)
	for _, tt := range []struct {
		values []any
		want   string
	}{
		{[]any{"", ""}, "public_id > ?"},
		{[]any{"", "x"}, "TRUE"},
		{[]any{"x", ""}, "FALSE"},
	} {
		cond, _, err := SQLite.keysetSQL(p, &query.After{ID: "u_1", Values: tt.values}, testRule)
		if err != nil || cond != tt.want {
			t.Errorf("%v: got %s, %v, want %s", tt.values, cond, err, tt.want)
		}
	}

	cond, args, err = SQLite.keysetSQL(p, nil, testRule)
	if cond != "TRUE" || args != nil || err != nil {
		t.Errorf("first page: %s %v %v", cond, args, err)
	}

	p = sqlPlan(t, reg, time.UTC, "-points,first_name,vip", nil)
	for _, values := range [][]any{
		{10.0, "a"},
		{"10", "a", 1.0},
		{10.5, "a", 1.0},
		{math.NaN(), "a", 1.0},
		{math.Inf(1), "a", 1.0},
		{10.0, 1.0, 1.0},
		{10.0, "a", 2.0},
	} {
		_, _, err := Postgres.keysetSQL(p, &query.After{ID: "u_1", Values: values}, testRule)
		if !errors.Is(err, errCursor) {
			t.Errorf("%v: err = %v, want errCursor", values, err)
		}
	}
}

func TestScanSortValue(t *testing.T) {
	reg := sqlRegistry()
	lite, pg := SQLite, Postgres
	ms := float64(time.Date(2025, 3, 1, 10, 0, 0, 123e6, time.UTC).UnixMilli())
	for _, tt := range []struct {
		key  string
		d    Dialect
		in   any
		want any
	}{
		{"last_login", lite, "2025-03-01T10:00:00.123Z", ms},
		{"last_login", lite, []byte("2025-03-01T10:00:00.123Z"), ms},
		{"last_login", pg, time.Date(2025, 3, 1, 10, 0, 0, 123e6, time.UTC), ms},
		{"last_login", pg, nil, math.Inf(-1)},
		{"birth_date", lite, "1970-01-11", 10.0},
		{"birth_date", pg, int64(10), 10.0},
		{"joined", pg, "1969-12-31", -1.0},
		{"joined", lite, nil, math.Inf(-1)},
		{"points", lite, int64(7), 7.0},
		{"score", lite, int64(7), 7.0},
		{"score", pg, 2.5, 2.5},
		{"vip", pg, int64(1), 1.0},
		{"newsletter", lite, int64(0), 0.0},
		{"first_name", lite, "zoe", "zoe"},
		{"email", pg, nil, ""},
		{"roles", pg, "", ""},
	} {
		got, err := tt.d.scanSortValue(sqlField(t, reg, tt.key), tt.in)
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s %v: got %#v, %v, want %#v", tt.key, tt.in, got, err, tt.want)
		}
	}
}

// Plans the store cannot run are refused as EINVALID, naming the field.
func TestCompileSQL_Errors(t *testing.T) {
	reg := sqlRegistry()
	pw := sqlField(t, reg, "password_hash")
	bad := roster.Field{Key: "x'); DROP TABLE users; --", Type: roster.TypeText}
	tags, country, score := sqlField(t, reg, "tags"), sqlField(t, reg, "country"), sqlField(t, reg, "score")
	stamp := roster.Field{Key: "seen", Type: roster.TypeTimestamp}
	links := roster.Field{Key: "homepages", Type: roster.TypeLinks}
	group := func(pr query.Pred) *query.Plan { return &query.Plan{Groups: [][]query.Pred{{pr}}} }
	for _, tt := range []struct {
		name string
		p    *query.Plan
		code string
		want string // the field the message names
	}{
		{"sort password", &query.Plan{Sort: []query.SortKey{{Field: pw}}}, roster.EINVALID, "password_hash: cannot be"},
		{"filter password", group(query.Pred{Field: pw, Kind: query.KindText, Op: query.OpEmpty}), roster.EINVALID, "password_hash: "},
		{"bad custom key", &query.Plan{Not: []query.Pred{{Field: bad, Kind: query.KindText, Op: query.OpEmpty}}}, roster.EINVALID, `"x'); DROP TABLE users; --" is not a custom field key`},
		{"bad operator", group(query.Pred{Field: country, Kind: query.KindExact, Op: query.OpLt}), roster.EINVALID, "country: the operator lt is not available"},
		{"contains on an exact field", group(query.Pred{Field: country, Kind: query.KindExact, Op: query.OpContains, Strs: []string{"F"}}), roster.EINVALID, "country: the operator contains"},
		{"unknown built-in", group(query.Pred{Field: roster.Field{Key: "nope", Builtin: true, Type: roster.TypeText}, Kind: query.KindText, Op: query.OpEmpty}), roster.EINVALID, "nope: not a built-in field"},
		{"bad tag id", group(query.Pred{Field: tags, Kind: query.KindSet, Op: query.OpEq, Strs: []string{"vip"}}), roster.EINVALID, `tags: "vip" is not an id`},
		{"NaN bound", group(query.Pred{Field: score, Kind: query.KindOrdered, Op: query.OpBetween, Ranges: []query.Range{{Lo: math.NaN(), Hi: 1}}}), roster.EINVALID, "score: a range bound is NaN"},
		{"custom timestamp", group(query.Pred{Field: stamp, Kind: query.KindOrdered, Op: query.OpEmpty}), roster.EINVALID, "seen: custom timestamp fields"},
		{"custom presence", group(query.Pred{Field: links, Kind: query.KindPresence, Op: query.OpEmpty}), roster.EINVALID, "homepages: presence of custom fields"},
		{"unknown kind", group(query.Pred{Field: country, Kind: query.Kind(99), Op: query.OpEq}), roster.EINVALID, "country: unknown kind 99"},
	} {
		for dn, d := range sqlDialects {
			_, _, _, err := d.compileSQL(tt.p, reg, testRule)
			if code := roster.ErrorCode(err); code != tt.code {
				t.Errorf("%s %s: code %q (%v), want %q", tt.name, dn, code, err, tt.code)
			}
			if msg := roster.ErrorMessage(err); !strings.Contains(msg, tt.want) {
				t.Errorf("%s %s: message %q, want it to name %q", tt.name, dn, msg, tt.want)
			}
		}
	}
}

// The runes SQL trims are those strings.TrimSpace trims.
func TestCompileSQL_Spaces(t *testing.T) {
	reg := sqlRegistry()
	where, _, _, err := SQLite.compileSQL(sqlPlan(t, reg, time.UTC, "", nil, sqlCond("city", query.OpEmpty)), reg, testRule)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`trim\(.*, char\(([0-9, ]+)\)\)`).FindStringSubmatch(where)
	if m == nil {
		t.Fatalf("no trim in %s", where)
	}
	var got, want []rune
	for _, n := range strings.Split(m[1], ", ") {
		r, _ := strconv.Atoi(n)
		got = append(got, rune(r))
	}
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if unicode.IsSpace(r) {
			want = append(want, r)
		}
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("trimmed runes %U, want %U", got, want)
	}
}

// BenchmarkCompileSQL measures compiling a filter of many kinds, its sort
// and a keyset, as every fallback search does.
func BenchmarkCompileSQL(b *testing.B) {
	reg := sqlRegistry()
	p, err := query.Compile(query.Filter{Words: []string{"zoé", "paris"}, Conds: []query.Cond{
		sqlCond("first_name", query.OpEq, "Zoé", "anna"), sqlCond("city", query.OpContains, "par"),
		sqlCond("country", query.OpEq, "FR", "DE"), sqlCond("points", query.OpBetween, "1", "10"),
		sqlCond("last_visit", query.OpEq, "2025-03-01"), sqlCond("roles", query.OpAll, "a", "b"),
		sqlCond("score", query.OpGt, "2.5"), sqlCond("interests", query.OpEq, "music"),
		{Field: "email", Op: query.OpEmpty, Negate: true, Pos: -1},
	}}, reg, time.UTC)
	if err != nil {
		b.Fatal(err)
	}
	p.Sort = []query.SortKey{{Field: sqlField(&testing.T{}, reg, "last_login"), Desc: true}, {Field: sqlField(&testing.T{}, reg, "first_name")}}
	a := &query.After{ID: "u_1", Values: []any{1.7e12, "zoe"}}
	for name, d := range sqlDialects {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, _, _, err := d.compileSQL(p, reg, testRule); err != nil {
					b.Fatal(err)
				}
				if _, err := d.sortExprs(p, testRule); err != nil {
					b.Fatal(err)
				}
				if _, _, err := d.keysetSQL(p, a, testRule); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// testRule is the access rule the SQL compiler tests run under.
var testRule = roster.DefaultAccountPolicy().Rule(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
