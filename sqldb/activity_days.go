package sqldb

// The activity counters, visits_30d and interactions_30d (roster's
// counters.go): activity_days holds each user's visits and interactions
// per UTC day. Recording events adds to it in the same transaction; a
// change of the visit or interaction types rebuilds it from the events.
// In SQL a counter is a sum over the days of the window, written in as
// literals from the rule's moment; when a user is loaded, their recent
// days come with them, for the query index, which recounts at query time.

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"

	"roster"
)

// activityExpr is the SQL of an activity counter at the rule's moment, or
// "" for another field: never NULL.
func (d Dialect) activityExpr(key string, r roster.AccessRule) string {
	col := ""
	switch key {
	case "visits_30d":
		col = "visits"
	case "interactions_30d":
		col = "interactions"
	default:
		return ""
	}
	first, last := roster.ActivityWindow(r.Now)
	return "(SELECT coalesce(sum(a." + col + "), 0) FROM activity_days a WHERE a.user_id = users.id AND a.day BETWEEN " +
		strconv.Itoa(int(first)) + " AND " + strconv.Itoa(int(last)) + ")"
}

// addActivityDays adds the visits and interactions of events (new ones)
// to their users' days, in one statement, and returns the users whose
// counts changed.
func (tx *Tx) addActivityDays(ctx context.Context, events []*roster.Event, set roster.EventSettings) ([]int64, error) {
	type key struct {
		user int64
		day  int32
	}
	by := map[key]*[2]int{}
	var order []key
	for _, e := range events {
		v, i := set.IsVisit(e.Type), set.IsInteraction(e.Type)
		if !v && !i {
			continue
		}
		k := key{e.UserID, roster.DayOf(e.At)}
		c := by[k]
		if c == nil {
			c = new([2]int)
			by[k] = c
			order = append(order, k)
		}
		if v {
			c[0]++
		}
		if i {
			c[1]++
		}
	}
	if len(order) == 0 {
		return nil, nil
	}
	rows := make([][4]int64, len(order))
	var ids []int64
	for n, k := range order {
		c := by[k]
		rows[n] = [4]int64{k.user, int64(k.day), int64(c[0]), int64(c[1])}
		if !slices.Contains(ids, k.user) {
			ids = append(ids, k.user)
		}
	}
	b, err := json.Marshal(rows)
	if err != nil {
		return nil, err
	}
	src := "SELECT value->>0, value->>1, value->>2, value->>3 FROM json_each(?) WHERE true"
	if tx.db.Dialect == Postgres {
		src = "SELECT (x->>0)::bigint, (x->>1)::int, (x->>2)::int, (x->>3)::int FROM jsonb_array_elements(?::jsonb) AS x"
	}
	q := `INSERT INTO activity_days (user_id, day, visits, interactions) ` + src + `
		ON CONFLICT (user_id, day) DO UPDATE SET visits = activity_days.visits + excluded.visits,
			interactions = activity_days.interactions + excluded.interactions`
	if _, err := tx.exec(ctx, q, string(b)); err != nil {
		return nil, formatError(err, "record events: activity days")
	}
	return ids, nil
}

// rebuildActivityDays recounts activity_days from the events under set
// and logs a change for every user with events on the days a user loads
// with (attachActivity), whose counts may have changed.
func (tx *Tx) rebuildActivityDays(ctx context.Context, set roster.EventSettings) error {
	visits, va, err := tx.db.stringList(set.VisitTypes)
	if err != nil {
		return err
	}
	inters, ia, err := tx.db.stringList(set.InteractionTypes)
	if err != nil {
		return err
	}
	day := "CAST(strftime('%s', e.at) AS INTEGER) / 86400"
	if tx.db.Dialect == Postgres {
		day = "floor(extract(epoch FROM e.at) / 86400)::int"
	}
	if _, err := tx.exec(ctx, "DELETE FROM activity_days"); err != nil {
		return formatError(err, "event settings: activity days")
	}
	q := `INSERT INTO activity_days (user_id, day, visits, interactions)
		SELECT e.user_id, ` + day + `, count(v.t), count(i.t)
		FROM events e LEFT JOIN (SELECT DISTINCT v AS t FROM ` + visits + ` l) v ON v.t = e.type
			LEFT JOIN (SELECT DISTINCT v AS t FROM ` + inters + ` l) i ON i.t = e.type
		WHERE v.t IS NOT NULL OR i.t IS NOT NULL
		GROUP BY 1, 2`
	if _, err := tx.exec(ctx, q, va, ia); err != nil {
		return formatError(err, "event settings: activity days")
	}
	first, _ := roster.ActivityWindow(tx.now)
	ids, err := tx.ids(ctx, "SELECT DISTINCT user_id FROM events WHERE at >= ?", tx.db.timeArg(roster.DayStart(first-roster.ActivityWindowDays)))
	if err != nil {
		return formatError(err, "event settings: activity days")
	}
	return tx.logUpsertIDs(ctx, ids)
}

// attachActivity fills ActivityDays, Visits30d and Interactions30d of
// users, whose ids are where's (a condition on user_id with its
// arguments), counted at the store's clock: the days from the window's
// first on, and those of the window before it, so that the query index
// still counts right when the clock is set back (it keeps what it loads).
func (db *DB) attachActivity(ctx context.Context, q querier, byID map[int64]*roster.User, where string, args []any) error {
	now := db.Now()
	first, today := roster.ActivityWindow(now)
	rows, err := q.QueryContext(ctx, db.rebind("SELECT user_id, day, visits, interactions FROM activity_days WHERE "+where+" AND day >= ? ORDER BY user_id, day"),
		append(slices.Clip(args), first-roster.ActivityWindowDays)...)
	if err != nil {
		return formatError(err, "load activity")
	}
	defer rows.Close()
	for rows.Next() {
		var uid int64
		var d roster.ActivityDay
		if err := rows.Scan(&uid, &d.Day, &d.Visits, &d.Interactions); err != nil {
			return formatError(err, "load activity")
		}
		if u := byID[uid]; u != nil {
			u.ActivityDays = append(u.ActivityDays, d)
		}
	}
	if err := rows.Err(); err != nil {
		return formatError(err, "load activity")
	}
	for _, u := range byID {
		u.Visits30d, u.Interactions30d = roster.CountActivity(u.ActivityDays, today)
	}
	return nil
}
