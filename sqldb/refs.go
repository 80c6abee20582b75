package sqldb

import (
	"context"
	"strings"
	"time"

	"roster"
)

// A user's tags and groups live in user_tags and group_members; they are
// read for a set of users at once with two ordered scans, which costs
// nothing when the tables are empty, unlike a subquery per user row.

// attachRefs fills Tags and Groups of users, all of whose
// ids lie in [lo, hi], and what they read of their sessions
// (attachSessions).
func (db *DB) attachRefs(ctx context.Context, q querier, users []*roster.User, lo, hi int64) error {
	if len(users) == 0 {
		return nil
	}
	byID := make(map[int64]*roster.User, len(users))
	for _, u := range users {
		u.Tags, u.Groups = nil, nil
		u.SessionsLastSeen, u.Platforms, u.PushTokens = time.Time{}, nil, nil
		u.ActivityDays, u.Visits30d, u.Interactions30d = nil, 0, 0
		byID[u.ID] = u
	}
	// A dense run of ids (a build's batch) is read by range; scattered
	// ids (a page sorted by points) by list, so that the scan never
	// passes over the refs of users in between.
	where, args := "user_id BETWEEN ? AND ?", []any{lo, hi}
	if hi-lo >= 4*int64(len(users)) {
		ids := make([]int64, len(users))
		for i, u := range users {
			ids[i] = u.ID
		}
		list, arg, err := db.idList(ids)
		if err != nil {
			return err
		}
		where, args = "user_id IN "+list, []any{arg}
	}
	load := func(sqlText string, add func(u *roster.User, ref int64)) error {
		rows, err := q.QueryContext(ctx, db.rebind(strings.Replace(sqlText, "USERS", where, 1)), args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var uid, ref int64
			if err := rows.Scan(&uid, &ref); err != nil {
				return err
			}
			if u := byID[uid]; u != nil {
				add(u, ref)
			}
		}
		return rows.Err()
	}
	if err := load("SELECT user_id, tag_id FROM user_tags WHERE USERS ORDER BY user_id, added_at DESC, tag_id DESC",
		func(u *roster.User, ref int64) { u.Tags = append(u.Tags, ref) }); err != nil {
		return formatError(err, "load tags")
	}
	if err := load("SELECT user_id, group_id FROM group_members WHERE USERS ORDER BY user_id, group_id",
		func(u *roster.User, ref int64) { u.Groups = append(u.Groups, ref) }); err != nil {
		return formatError(err, "load groups")
	}
	if err := db.attachActivity(ctx, q, byID, where, args); err != nil {
		return err
	}
	return db.attachSessions(ctx, q, byID, where, args)
}

// idSpan returns the lowest and highest id of users.
func idSpan(users []*roster.User) (lo, hi int64) {
	for i, u := range users {
		if i == 0 || u.ID < lo {
			lo = u.ID
		}
		if u.ID > hi {
			hi = u.ID
		}
	}
	return lo, hi
}
