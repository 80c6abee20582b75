package sqldb

// The fields read from a user's sessions, sessions.last_seen (the newest
// use of any of them) and platform (the platforms their devices named):
// in SQL a subquery on the outer users row, when a user is loaded one
// grouped scan for the batch. The sessions counted are those the store
// keeps (live, or over for less than the sweep's month). A change to them
// (a sign-in, a use, a refresh, a sweep) logs a change of the user, so
// that every node's index follows it.

import (
	"context"
	"slices"
	"strings"
	"time"

	"roster"
)

// sessionExpr is the SQL of a field read from sessions, or "" for another
// field: a timestamp (NULL without sessions) or a JSON array of strings.
func (d Dialect) sessionExpr(key string) string {
	switch key {
	case "sessions.last_seen":
		return "(SELECT max(s.last_used_at) FROM user_sessions s WHERE s.user_id = users.id)"
	case "platform":
		if d == Postgres {
			return "(SELECT coalesce(jsonb_agg(s.platform), CAST('[]' AS JSONB)) FROM user_sessions s WHERE s.user_id = users.id AND s.platform <> '')"
		}
		return "(SELECT json_group_array(s.platform) FROM user_sessions s WHERE s.user_id = users.id AND s.platform <> '')"
	}
	return ""
}

// pushTokensExists is "the outer users row has a push token record".
const pushTokensExists = "EXISTS (SELECT 1 FROM user_push_tokens p WHERE p.user_id = users.id)"

// attachSessions fills SessionsLastSeen, Platforms and PushTokens of
// users, whose ids are where's (a condition on user_id with its
// arguments).
func (db *DB) attachSessions(ctx context.Context, q querier, byID map[int64]*roster.User, where string, args []any) error {
	if err := db.attachPushTokens(ctx, q, byID, where, args); err != nil {
		return err
	}
	rows, err := q.QueryContext(ctx, db.rebind("SELECT user_id, platform, max(last_used_at) FROM user_sessions WHERE "+where+" GROUP BY user_id, platform"), args...)
	if err != nil {
		return formatError(err, "load sessions")
	}
	defer rows.Close()
	for rows.Next() {
		var uid int64
		var platform string
		var last time.Time
		if err := rows.Scan(&uid, &platform, timeScan{&last}); err != nil {
			return formatError(err, "load sessions")
		}
		u := byID[uid]
		if u == nil {
			continue
		}
		if last.After(u.SessionsLastSeen) {
			u.SessionsLastSeen = last
		}
		if p := strings.TrimSpace(platform); p != "" && !slices.Contains(u.Platforms, p) {
			u.Platforms = append(u.Platforms, p)
			slices.Sort(u.Platforms)
		}
	}
	return formatError(rows.Err(), "load sessions")
}

// attachPushTokens fills PushTokens of users from their records, oldest
// first, each with the platform its provider stands for.
func (db *DB) attachPushTokens(ctx context.Context, q querier, byID map[int64]*roster.User, where string, args []any) error {
	rows, err := q.QueryContext(ctx, db.rebind("SELECT user_id, provider, token FROM user_push_tokens WHERE "+where+" ORDER BY user_id, created_at, id"), args...)
	if err != nil {
		return formatError(err, "load push tokens")
	}
	defer rows.Close()
	for rows.Next() {
		var uid int64
		var provider, token string
		if err := rows.Scan(&uid, &provider, &token); err != nil {
			return formatError(err, "load push tokens")
		}
		if u := byID[uid]; u != nil {
			u.PushTokens = append(u.PushTokens, roster.PushToken{Platform: providerPlatform[provider], Token: token})
		}
	}
	return formatError(rows.Err(), "load push tokens")
}
