package sqldb

import (
	"context"
	"encoding/json"
	"time"

	"roster"
)

// The timeline's sources for events and staff actions.

// Ensure both are timeline sources.
var (
	_ roster.ActivitySource = (*EventService)(nil)
	_ roster.ActivitySource = (*AuditService)(nil)
)

// ActivityKinds lists the kinds of the events' items.
func (s *EventService) ActivityKinds() []string { return []string{roster.KindVisit, roster.KindEvent} }

// UserActivity gives the user's events as timeline items, newest first,
// before a time: visits collapsed into sessions. A session is given whole
// (reading on until it ends), and one that has an event at or after
// before was given already, so its older events are skipped.
func (s *EventService) UserActivity(ctx context.Context, userID int64, before time.Time, limit int) ([]roster.Activity, error) {
	if limit <= 0 {
		limit = 50
	}
	set, err := s.db.EventSettings(ctx)
	if err != nil {
		return nil, err
	}
	var chain time.Time // the oldest visit of a session given already
	if !before.IsZero() && len(set.VisitTypes) > 0 {
		if chain, err = s.oldestVisitFrom(ctx, userID, before, set.VisitTypes); err != nil {
			return nil, err
		}
	}
	var kept []roster.Event
	pos := eventPos{at: before}
	chunk := 4*limit + 50
	for {
		evs, err := s.eventsBefore(ctx, userID, pos, chunk)
		if err != nil {
			return nil, err
		}
		for _, e := range evs {
			if !chain.IsZero() && set.IsVisit(e.Type) {
				if chain.Sub(e.At) <= roster.SessionGap {
					chain = e.At
					continue
				}
				chain = time.Time{}
			}
			kept = append(kept, e)
		}
		done := len(evs) < chunk
		items, open := roster.EventActivities(kept, set)
		if done {
			if len(items) > limit {
				items = items[:limit]
			}
			return items, nil
		}
		complete := items
		if !open.IsZero() {
			// The oldest session may go on in older events: give only
			// what is newer than it.
			n := 0
			for n < len(items) && items[n].At.After(open) {
				n++
			}
			complete = items[:n]
		}
		if len(complete) >= limit {
			return complete[:limit], nil
		}
		last := evs[len(evs)-1]
		pos = eventPos{at: last.At, key: last.Key}
		if chunk < 4000 {
			chunk *= 2
		}
	}
}

// eventPos is a place in a user's events, newest first: before at, or at
// at with a smaller key.
type eventPos struct {
	at  time.Time
	key string
}

// eventsBefore reads up to limit of a user's events after pos, newest
// first.
func (s *EventService) eventsBefore(ctx context.Context, userID int64, pos eventPos, limit int) ([]roster.Event, error) {
	q := "SELECT at, key, type, props FROM events WHERE user_id = ?"
	args := []any{userID}
	switch {
	case pos.key != "":
		q, args = q+" AND (at < ? OR (at = ? AND key < ?))", append(args, s.db.timeArg(pos.at), s.db.timeArg(pos.at), pos.key)
	case !pos.at.IsZero():
		q, args = q+" AND at < ?", append(args, s.db.timeArg(pos.at))
	}
	rows, err := s.db.query(ctx, q+" ORDER BY at DESC, key DESC LIMIT ?", append(args, limit)...)
	if err != nil {
		return nil, formatError(err, "user activity")
	}
	defer rows.Close()
	out := make([]roster.Event, 0, limit)
	for rows.Next() {
		e := roster.Event{UserID: userID}
		var props *string
		if err := rows.Scan(timeScan{&e.At}, &e.Key, &e.Type, &props); err != nil {
			return nil, formatError(err, "user activity")
		}
		if props != nil {
			e.Props = json.RawMessage(*props)
		}
		out = append(out, e)
	}
	return out, formatError(rows.Err(), "user activity")
}

// oldestVisitFrom returns the time of the user's oldest visit at or after
// t, or zero.
func (s *EventService) oldestVisitFrom(ctx context.Context, userID int64, t time.Time, types []string) (time.Time, error) {
	list, arg, err := s.db.stringList(types)
	if err != nil {
		return time.Time{}, err
	}
	rows, err := s.db.query(ctx, "SELECT at FROM events WHERE user_id = ? AND at >= ? AND type IN (SELECT v FROM "+list+" l) ORDER BY at LIMIT 1",
		userID, s.db.timeArg(t), arg)
	if err != nil {
		return time.Time{}, formatError(err, "user activity")
	}
	defer rows.Close()
	var at time.Time
	for rows.Next() {
		if err := rows.Scan(timeScan{&at}); err != nil {
			return time.Time{}, formatError(err, "user activity")
		}
	}
	return at, formatError(rows.Err(), "user activity")
}

// ActivityKinds lists the kinds of the audit log's items.
func (s *AuditService) ActivityKinds() []string { return []string{roster.KindStaff} }

// UserActivity gives the staff actions on the user, newest first, before
// a time, with the values they changed before and after.
func (s *AuditService) UserActivity(ctx context.Context, userID int64, before time.Time, limit int) ([]roster.Activity, error) {
	var pid string
	if err := s.db.queryRow(ctx, "SELECT public_id FROM users WHERE id = ?", userID).Scan(&pid); err != nil {
		return nil, formatError(err, "user activity")
	}
	entries, err := s.FindAuditEntries(ctx, roster.AuditFilter{TargetType: "user", TargetID: pid, Until: before, Limit: limit})
	if err != nil {
		return nil, err
	}
	out := make([]roster.Activity, len(entries))
	for i, e := range entries {
		out[i] = roster.AuditActivity(e)
	}
	return out, nil
}
