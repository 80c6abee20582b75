package sqldb

// The access field in SQL: the active-account rule (roster.AccessRule) as
// one CASE expression over the row's status, email confirmation and times,
// with the policy and the moment written in as literals (they come from
// the rule, never from a request), so that a sort expression needs no
// arguments. The WHEN clauses follow roster.AccessStates, in its order.

import (
	"time"

	"roster"
	"roster/query"
)

// accessExpr is the access state of the row under r: never NULL.
func (d Dialect) accessExpr(r roster.AccessRule) string {
	x := "(CASE"
	for _, s := range roster.AccessStates() {
		cond := d.accessCond(s.State, r)
		switch cond {
		case "FALSE":
			continue
		case "TRUE":
			return x + " ELSE '" + string(s.State) + "' END)"
		}
		x += " WHEN " + cond + " THEN '" + string(s.State) + "'"
	}
	return x + " ELSE '" + string(roster.AccessActive) + "' END)"
}

// accessCond is the condition of reason s under r, as AccessRule.holds
// states it: "TRUE" or "FALSE" when it does not depend on the row.
func (d Dialect) accessCond(s roster.AccessState, r roster.AccessRule) string {
	switch s {
	case roster.AccessBanned, roster.AccessInvited, roster.AccessPending:
		return "status = '" + string(s) + "'" // the state is named after its status
	case roster.AccessUnconfirmed:
		if !r.ConfirmationRequired {
			return "FALSE"
		}
		if d == Postgres {
			return "NOT email_confirmed"
		}
		return "email_confirmed = 0"
	case roster.AccessExpired:
		if !r.Expires {
			return "FALSE"
		}
		// The reference time, the latest of these, is at or before the
		// cutoff (to the millisecond): each of them is before the next
		// millisecond.
		lim := d.timeLiteral(time.UnixMilli(r.CutoffMilli() + 1))
		cond := "created_at < " + lim
		for _, col := range []string{"last_login", "last_visit", "password_set_at"} {
			cond += " AND (" + col + " IS NULL OR " + col + " < " + lim + ")"
		}
		return cond
	}
	return "TRUE" // active
}

// timeLiteral is t as an SQL literal comparable with the time columns.
func (d Dialect) timeLiteral(t time.Time) string {
	s := t.UTC().Format(sqliteTime)
	if d == Postgres {
		return "CAST('" + s + "' AS TIMESTAMPTZ)"
	}
	return "'" + s + "'"
}

// accessSQL is "the row's access is one of pr.Strs" under r.
func (d Dialect) accessSQL(pr query.Pred, r roster.AccessRule) (sqlFrag, error) {
	if pr.Op != query.OpEq {
		return sqlFrag{}, planError(pr.Field.Key, "the operator %s is not available", pr.Op)
	}
	return sqlIn(d.accessExpr(r), pr.Strs), nil
}
