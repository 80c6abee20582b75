package sqldb

import (
	"slices"
	"strconv"

	"roster"
	"roster/query"
)

// The SQL of references (see query/refs.go for the filters): tags and
// groups are rows of user_tags and group_members, tested with EXISTS
// against the outer users row.

func refTable(f roster.Field) (table, col string) {
	if f.Type == roster.TypeTags {
		return "user_tags", "tag_id"
	}
	return "group_members", "group_id"
}

// refExists is "the user has one of ids" (any at all when ids is nil); key
// is the field filtered on, for errors.
func refExists(key, table, col string, ids []string, anyRef bool) (sqlFrag, error) {
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
			return sqlFrag{}, roster.Errorf(roster.EINVALID, "%s: %q is not an id", key, s)
		}
		args[i] = n
	}
	return sqlFrag{q + " AND r." + col + " IN (" + placeholders(len(ids)) + "))", args}, nil
}

func (d Dialect) refSQL(pr query.Pred) (sqlFrag, error) {
	table, col := refTable(pr.Field)
	switch pr.Op {
	case query.OpEq:
		return refExists(pr.Field.Key, table, col, pr.Strs, false)
	case query.OpAll:
		var all []sqlFrag
		for _, alt := range pr.Alts {
			fr, err := refExists(pr.Field.Key, table, col, alt, false)
			if err != nil {
				return sqlFrag{}, err
			}
			all = append(all, fr)
		}
		return sqlAnd(all), nil
	case query.OpEmpty:
		fr, _ := refExists(pr.Field.Key, table, col, nil, true)
		return sqlNot(fr), nil
	case query.OpNotEmpty:
		return refExists(pr.Field.Key, table, col, nil, true)
	}
	return sqlFrag{}, planError(pr.Field.Key, "the operator %s is not available", pr.Op)
}

// smartSQL: a user's smart type is X when they are in X and in none of the
// groups ranked before X.
func (d Dialect) smartSQL(pr query.Pred) (sqlFrag, error) {
	switch pr.Op {
	case query.OpEmpty, query.OpNotEmpty:
		if len(pr.Smart) == 0 {
			return sqlBool(pr.Op == query.OpEmpty), nil
		}
		fr, err := refExists(pr.Field.Key, "group_members", "group_id", pr.Smart, false)
		if err != nil || pr.Op == query.OpNotEmpty {
			return fr, err
		}
		return sqlNot(fr), nil
	case query.OpEq:
		var alts []sqlFrag
		for _, target := range pr.Strs {
			i := slices.Index(pr.Smart, target)
			if i < 0 {
				continue // not on the list: nobody has it as smart type
			}
			in, err := refExists(pr.Field.Key, "group_members", "group_id", []string{target}, false)
			if err != nil {
				return sqlFrag{}, err
			}
			parts := []sqlFrag{in}
			if i > 0 {
				before, err := refExists(pr.Field.Key, "group_members", "group_id", pr.Smart[:i], false)
				if err != nil {
					return sqlFrag{}, err
				}
				parts = append(parts, sqlNot(before))
			}
			alts = append(alts, sqlAnd(parts))
		}
		return sqlOr(alts), nil
	}
	return sqlFrag{}, planError(pr.Field.Key, "the operator %s is not available", pr.Op)
}

// segmentSQL is the members of any of pr's segments, on the outer row.
func (d Dialect) segmentSQL(pr query.Pred, r roster.AccessRule) (sqlFrag, error) {
	var alts []sqlFrag
	for _, sp := range pr.Segs {
		fr, err := d.segPlanSQL(sp, r)
		if err != nil {
			return sqlFrag{}, err
		}
		alts = append(alts, fr)
	}
	return sqlOr(alts), nil
}

func (d Dialect) segPlanSQL(sp *query.SegPlan, r roster.AccessRule) (sqlFrag, error) {
	var base []sqlFrag
	switch {
	case sp.Plan != nil:
		w, err := d.whereSQL(sp.Plan, sp.Reg, r)
		if err != nil {
			return sqlFrag{}, err
		}
		base = append(base, w)
	case len(sp.Include) == 0:
		base = append(base, sqlTrue)
	}
	for _, pr := range sp.Include {
		fr, err := d.predSQL(pr, r)
		if err != nil {
			return sqlFrag{}, err
		}
		base = append(base, fr)
	}
	parts := []sqlFrag{sqlOr(base)}
	for _, pr := range sp.Exclude {
		fr, err := d.predSQL(pr, r)
		if err != nil {
			return sqlFrag{}, err
		}
		parts = append(parts, sqlNot(fr))
	}
	// Then the users added by hand, less those removed by hand.
	res := []sqlFrag{sqlAnd(parts)}
	for _, pr := range sp.Added {
		fr, err := d.predSQL(pr, r)
		if err != nil {
			return sqlFrag{}, err
		}
		res = append(res, fr)
	}
	out := []sqlFrag{sqlOr(res)}
	for _, pr := range sp.Removed {
		fr, err := d.predSQL(pr, r)
		if err != nil {
			return sqlFrag{}, err
		}
		out = append(out, sqlNot(fr))
	}
	return sqlAnd(out), nil
}
