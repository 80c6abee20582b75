package sqldb

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"roster"
)

// Ensure EventService implements the domain interface.
var _ roster.EventService = (*EventService)(nil)

// EventService stores users' events. A batch is one transaction: the new
// events, the users' last visit, last interaction and first seen that they
// move, and the change log rows that tell the index, so that a filter on
// last_visit sees an event as soon as its request returns.
type EventService struct {
	db *DB
}

// NewEventService returns an EventService on db.
func NewEventService(db *DB) *EventService { return &EventService{db: db} }

// eventRow is one event of a batch as the insert statements read it: a
// JSON array [user_id, at, key, type, props].
type eventRow [5]any

// RecordEvents validates and stores a batch; see roster.EventService.
func (s *EventService) RecordEvents(ctx context.Context, events []roster.Event) (roster.EventBatchResult, error) {
	var res roster.EventBatchResult
	if len(events) > roster.MaxEventBatch {
		return res, roster.Errorf(roster.EINVALID, "A batch holds at most %d events; this one has %d.", roster.MaxEventBatch, len(events))
	}
	set, err := s.db.EventSettings(ctx)
	if err != nil {
		return res, err
	}
	now := s.db.Now()
	// An event older than the retention period would be deleted by the
	// next pruning, and its month's partition may be gone already.
	cutoff := now.UTC().AddDate(0, -set.RetentionMonths, 0)
	ok := make([]bool, len(events))
	keys := map[string][]string{}
	for i := range events {
		e := &events[i]
		e.User.Email = strings.ToLower(strings.TrimSpace(e.User.Email))
		if err := set.Check(e, now); err != nil {
			res.Refused = append(res.Refused, roster.EventResult{Index: i, Err: err})
			continue
		}
		if e.At.Before(cutoff) {
			msg := fmt.Sprintf("is older than the retention period (%d months)", set.RetentionMonths)
			res.Refused = append(res.Refused, roster.EventResult{Index: i, Err: roster.FieldErrors{"time": msg}.Err()})
			continue
		}
		if e.Key == "" {
			e.Key = newEventKey()
		}
		field, value := eventUserKey(e.User)
		keys[field] = append(keys[field], value)
		ok[i] = true
	}
	if err := s.ensurePartitions(ctx, events, ok); err != nil {
		return res, err
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return res, err
	}
	defer tx.Rollback()
	owners, err := tx.owners(ctx, keys)
	if err != nil {
		return res, err
	}
	var rows []eventRow
	var idx []int // rows[j] is events[idx[j]]
	seen := map[string]bool{}
	for i := range events {
		if !ok[i] {
			continue
		}
		e := &events[i]
		field, value := eventUserKey(e.User)
		o, found := owners[field][value]
		if !found {
			res.Refused = append(res.Refused, roster.EventResult{Index: i, Err: roster.FieldErrors{"user": fmt.Sprintf("no user has %s %q", field, value)}.Err()})
			continue
		}
		e.UserID = o.ID
		res.Accepted++
		k := fmt.Sprint(e.UserID, "\x00", e.Key)
		if seen[k] {
			continue // the same event twice in one batch: stored once
		}
		seen[k] = true
		var props any
		if len(e.Props) > 0 {
			props = string(e.Props)
		}
		rows = append(rows, eventRow{e.UserID, s.db.Dialect.timeValue(e.At), e.Key, e.Type, props})
		idx = append(idx, i)
	}
	sortRefused(res.Refused)
	if len(rows) == 0 {
		return res, nil
	}
	stored, err := tx.insertEvents(ctx, rows)
	if err != nil {
		return res, err
	}
	res.Stored = len(stored)
	var fresh []*roster.Event
	for j, r := range rows {
		if stored[fmt.Sprint(r[0], "\x00", r[2])] {
			fresh = append(fresh, &events[idx[j]])
		}
	}
	moved, err := tx.moveActivity(ctx, fresh, set)
	if err != nil {
		return res, err
	}
	counted, err := tx.addActivityDays(ctx, fresh, set)
	if err != nil {
		return res, err
	}
	for _, id := range counted {
		if !slices.Contains(moved, id) {
			moved = append(moved, id)
		}
	}
	if err := tx.logUpsertIDs(ctx, moved); err != nil {
		return res, err
	}
	return res, tx.commit()
}

// sortRefused orders refusals by index (those the store refused came after
// those the checks refused).
func sortRefused(r []roster.EventResult) {
	for i := 1; i < len(r); i++ {
		for j := i; j > 0 && r[j].Index < r[j-1].Index; j-- {
			r[j], r[j-1] = r[j-1], r[j]
		}
	}
}

// eventUserKey is how an event names its user: the unique field and value.
func eventUserKey(u roster.EventUser) (string, string) {
	switch {
	case u.ID != "":
		return "id", u.ID
	case u.ClientID != "":
		return "client_id", u.ClientID
	}
	return "email", u.Email
}

// newEventKey is the idempotency key of an event sent without one: never
// the same twice, so such an event is stored each time it is sent.
func newEventKey() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return "_" + hex.EncodeToString(b)
}

// insertEvents stores rows, skipping those whose (user, key) is stored
// already, and returns the "user\x00key" of the rows it stored.
func (tx *Tx) insertEvents(ctx context.Context, rows []eventRow) (map[string]bool, error) {
	b, err := json.Marshal(rows)
	if err != nil {
		return nil, err
	}
	var q string
	if tx.db.Dialect == Postgres {
		// The key comes first: event_keys says which events are new, and
		// only those go into events.
		q = `WITH b AS (SELECT (v->>0)::bigint AS user_id, (v->>1)::timestamptz AS at, v->>2 AS key, v->>3 AS type, (v->>4)::jsonb AS props
				FROM jsonb_array_elements(?::jsonb) AS v),
			k AS (INSERT INTO event_keys (user_id, key, at) SELECT user_id, key, at FROM b ON CONFLICT DO NOTHING RETURNING user_id, key)
			INSERT INTO events (user_id, at, key, type, props) SELECT b.user_id, b.at, b.key, b.type, b.props FROM b JOIN k USING (user_id, key)
			RETURNING user_id, key`
	} else {
		q = `INSERT INTO events (user_id, at, key, type, props)
			SELECT value->>0, value->>1, value->>2, value->>3, value->>4 FROM json_each(?) WHERE true
			ON CONFLICT DO NOTHING RETURNING user_id, key`
	}
	rs, err := tx.query(ctx, q, string(b))
	if err != nil {
		return nil, formatError(err, "record events")
	}
	defer rs.Close()
	out := make(map[string]bool, len(rows))
	for rs.Next() {
		var uid int64
		var key string
		if err := rs.Scan(&uid, &key); err != nil {
			return nil, formatError(err, "record events")
		}
		out[fmt.Sprint(uid, "\x00", key)] = true
	}
	return out, formatError(rs.Err(), "record events")
}

// moveActivity moves the last visit, last interaction and first seen of
// the users of events (new ones) forward (back, for first seen), in one
// statement, and returns the users whose row moved (a change is due).
func (tx *Tx) moveActivity(ctx context.Context, events []*roster.Event, set roster.EventSettings) ([]int64, error) {
	type times struct{ visit, interaction, first time.Time }
	by := map[int64]*times{}
	var order []int64
	for _, e := range events {
		t := by[e.UserID]
		if t == nil {
			t = &times{first: e.At}
			by[e.UserID] = t
			order = append(order, e.UserID)
		}
		if e.At.Before(t.first) {
			t.first = e.At
		}
		if set.IsVisit(e.Type) && e.At.After(t.visit) {
			t.visit = e.At
		}
		if set.IsInteraction(e.Type) && e.At.After(t.interaction) {
			t.interaction = e.At
		}
	}
	if len(order) == 0 {
		return nil, nil
	}
	rows := make([][4]any, len(order))
	for i, id := range order {
		t := by[id]
		rows[i] = [4]any{id, tx.db.timeArg(t.visit), tx.db.timeArg(t.interaction), tx.db.timeArg(t.first)}
	}
	b, err := json.Marshal(rows)
	if err != nil {
		return nil, err
	}
	src := "(SELECT value->>0 AS id, value->>1 AS v, value->>2 AS i, value->>3 AS f FROM json_each(?))"
	if tx.db.Dialect == Postgres {
		src = "(SELECT (x->>0)::bigint AS id, (x->>1)::timestamptz AS v, (x->>2)::timestamptz AS i, (x->>3)::timestamptz AS f FROM jsonb_array_elements(?::jsonb) AS x)"
	}
	// A time moves only forward (first seen only back); a user whose row
	// does not move is left alone, and gets no change log row.
	q := `UPDATE users SET
		last_visit = CASE WHEN d.v IS NOT NULL AND (users.last_visit IS NULL OR users.last_visit < d.v) THEN d.v ELSE users.last_visit END,
		last_interaction = CASE WHEN d.i IS NOT NULL AND (users.last_interaction IS NULL OR users.last_interaction < d.i) THEN d.i ELSE users.last_interaction END,
		first_seen = CASE WHEN users.first_seen IS NULL OR users.first_seen > d.f THEN d.f ELSE users.first_seen END
		FROM ` + src + ` d
		WHERE users.id = d.id AND (
			(d.v IS NOT NULL AND (users.last_visit IS NULL OR users.last_visit < d.v)) OR
			(d.i IS NOT NULL AND (users.last_interaction IS NULL OR users.last_interaction < d.i)) OR
			users.first_seen IS NULL OR users.first_seen > d.f)
		RETURNING users.id`
	ids, err := tx.ids(ctx, q, string(b))
	return ids, formatError(err, "record events: move activity")
}

// logUpsertIDs appends an upsert change for each of ids with one statement.
func (tx *Tx) logUpsertIDs(ctx context.Context, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	list, arg, err := tx.db.idList(ids)
	if err != nil {
		return err
	}
	if err := tx.appendChanges(ctx, "SELECT id, ?, ? FROM "+list+" l", false, string(roster.ChangeUpsert), tx.db.timeArg(tx.now), arg); err != nil {
		return err
	}
	tx.changed = append(tx.changed, ids...)
	return nil
}

// UserEvents returns a user's events before a time, newest first; see
// roster.EventService.
func (s *EventService) UserEvents(ctx context.Context, userID int64, before time.Time, types []string, limit int) ([]roster.Event, error) {
	if limit <= 0 || limit > 10000 {
		limit = 100
	}
	q := "SELECT at, key, type, props FROM events WHERE user_id = ?"
	args := []any{userID}
	if !before.IsZero() {
		q, args = q+" AND at < ?", append(args, s.db.timeArg(before))
	}
	if len(types) > 0 {
		list, arg, err := s.db.stringList(types)
		if err != nil {
			return nil, err
		}
		q, args = q+" AND type IN (SELECT v FROM "+list+" l)", append(args, arg)
	}
	rows, err := s.db.query(ctx, q+" ORDER BY at DESC, key DESC LIMIT ?", append(args, limit)...)
	if err != nil {
		return nil, formatError(err, "user events")
	}
	defer rows.Close()
	var out []roster.Event
	for rows.Next() {
		e := roster.Event{UserID: userID}
		var props *string
		if err := rows.Scan(timeScan{&e.At}, &e.Key, &e.Type, &props); err != nil {
			return nil, formatError(err, "user events")
		}
		if props != nil {
			e.Props = json.RawMessage(*props)
		}
		out = append(out, e)
	}
	return out, formatError(rows.Err(), "user events")
}

// CountUserEvents returns how many events a user has stored.
func (s *EventService) CountUserEvents(ctx context.Context, userID int64) (int64, error) {
	var n int64
	err := s.db.queryRow(ctx, "SELECT COUNT(*) FROM events WHERE user_id = ?", userID).Scan(&n)
	return n, formatError(err, "count events")
}
