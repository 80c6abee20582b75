package query

import (
	"fmt"
	"slices"
	"strconv"

	"roster"
)

// The SQL of references: tags and groups are rows of user_tags and
// group_members, tested with EXISTS against the outer users row.

func refTable(f roster.Field) (table, col string) {
	if f.Type == roster.TypeTags {
		return "user_tags", "tag_id"
	}
	return "group_members", "group_id"
}

// refExists is "the user has one of ids" (any at all when ids is nil).
func refExists(table, col string, ids []string, anyRef bool) (sqlFrag, error) {
	q := "EXISTS (SELECT 1 FROM " + table + " r WHERE r.user_id = users.id"
	if anyRef {
		return sqlFrag{q + ")", nil}, nil
	}
	if len(ids) == 0 {
		return sqlFalse, nil
	}
	args := make([]any, len(ids))
	for i, s := range ids {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return sqlFrag{}, fmt.Errorf("query: %q is not an id", s)
		}
		args[i] = n
	}
	return sqlFrag{q + " AND r." + col + " IN (" + placeholdersN(len(ids)) + "))", args}, nil
}

func placeholdersN(n int) string {
	b := make([]byte, 0, 3*n)
	for i := range n {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = append(b, '?')
	}
	return string(b)
}

func (d SQLDialect) refSQL(pr Pred) (sqlFrag, error) {
	table, col := refTable(pr.Field)
	switch pr.Op {
	case OpEq:
		return refExists(table, col, pr.Strs, false)
	case OpAll:
		var all []sqlFrag
		for _, alt := range pr.Alts {
			fr, err := refExists(table, col, alt, false)
			if err != nil {
				return sqlFrag{}, err
			}
			all = append(all, fr)
		}
		return sqlAnd(all), nil
	case OpEmpty:
		fr, _ := refExists(table, col, nil, true)
		return sqlNot(fr), nil
	case OpNotEmpty:
		return refExists(table, col, nil, true)
	}
	return sqlFrag{}, fmt.Errorf("query: the operator %s is not available for %s", pr.Op, pr.Field.Key)
}

// smartSQL: a user's smart type is X when they are in X and in none of the
// groups ranked before X.
func (d SQLDialect) smartSQL(pr Pred) (sqlFrag, error) {
	switch pr.Op {
	case OpEmpty, OpNotEmpty:
		if len(pr.Smart) == 0 {
			return sqlBool(pr.Op == OpEmpty), nil
		}
		fr, err := refExists("group_members", "group_id", pr.Smart, false)
		if err != nil || pr.Op == OpNotEmpty {
			return fr, err
		}
		return sqlNot(fr), nil
	case OpEq:
		var alts []sqlFrag
		for _, target := range pr.Strs {
			i := slices.Index(pr.Smart, target)
			if i < 0 {
				continue // not on the list: nobody has it as smart type
			}
			in, err := refExists("group_members", "group_id", []string{target}, false)
			if err != nil {
				return sqlFrag{}, err
			}
			parts := []sqlFrag{in}
			if i > 0 {
				before, err := refExists("group_members", "group_id", pr.Smart[:i], false)
				if err != nil {
					return sqlFrag{}, err
				}
				parts = append(parts, sqlNot(before))
			}
			alts = append(alts, sqlAnd(parts))
		}
		return sqlOr(alts), nil
	}
	return sqlFrag{}, fmt.Errorf("query: the operator %s is not available for smart_type", pr.Op)
}

// segmentSQL is the members of any of pr's segments, on the outer row.
func (d SQLDialect) segmentSQL(pr Pred) (sqlFrag, error) {
	var alts []sqlFrag
	for _, sp := range pr.Segs {
		fr, err := d.segPlanSQL(sp)
		if err != nil {
			return sqlFrag{}, err
		}
		alts = append(alts, fr)
	}
	return sqlOr(alts), nil
}

func (d SQLDialect) segPlanSQL(sp *SegPlan) (sqlFrag, error) {
	var base []sqlFrag
	switch {
	case sp.Plan != nil:
		w, err := d.whereSQL(sp.Plan, sp.Reg)
		if err != nil {
			return sqlFrag{}, err
		}
		base = append(base, w)
	case len(sp.Include) == 0:
		base = append(base, sqlTrue)
	}
	for _, pr := range sp.Include {
		fr, err := d.predSQL(pr)
		if err != nil {
			return sqlFrag{}, err
		}
		base = append(base, fr)
	}
	parts := []sqlFrag{sqlOr(base)}
	for _, pr := range sp.Exclude {
		fr, err := d.predSQL(pr)
		if err != nil {
			return sqlFrag{}, err
		}
		parts = append(parts, sqlNot(fr))
	}
	return sqlAnd(parts), nil
}
