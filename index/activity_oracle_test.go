package index_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"roster"
	"roster/sqldb"
)

// activityWorld sends users events at various ages through the events API
// and records, independently of the store, what the activity counters and
// first seen should read: which types count as visits and interactions is
// the README's default setting until the test changes it.
type activityWorld struct {
	events *sqldb.EventService
	db     *sqldb.DB
	byUser map[int64][]oracleEvent
	// first is what a user's first seen should read: as created, moved
	// back by their events.
	first map[int64]time.Time
	// visit and interaction are the types that count, as set.
	visit, interaction []string
}

type oracleEvent struct {
	at  time.Time
	typ string
}

var activityTypes = []string{"visit", "page_view", "interaction", "sign_in", "error", "purchase"}

func newActivityWorld(db *sqldb.DB) *activityWorld {
	return &activityWorld{events: sqldb.NewEventService(db), db: db, byUser: map[int64][]oracleEvent{}, first: map[int64]time.Time{},
		visit: []string{"visit", "page_view", "sign_in"}, interaction: []string{"interaction"}}
}

// created records the first seen a user was created with.
func (w *activityWorld) created(u *roster.User) {
	w.first[u.ID] = u.FirstSeen
}

// send records a few events of user u at now, each up to 45 days old or
// up to 6 days ahead (some on a UTC day's first or last millisecond).
func (w *activityWorld) send(t *testing.T, ctx context.Context, r *rand.Rand, u *roster.User, now time.Time) {
	t.Helper()
	var batch []roster.Event
	for range 1 + r.IntN(5) {
		at := now.Add(time.Duration(r.Int64N(int64(51*24*time.Hour))) - 45*24*time.Hour).Truncate(time.Millisecond).UTC()
		switch r.IntN(5) {
		case 0:
			at = time.Date(at.Year(), at.Month(), at.Day(), 0, 0, 0, 0, time.UTC)
		case 1:
			at = time.Date(at.Year(), at.Month(), at.Day(), 23, 59, 59, 999e6, time.UTC)
		}
		if at.After(now.Add(6 * 24 * time.Hour)) {
			at = now
		}
		batch = append(batch, roster.Event{User: roster.EventUser{ID: u.PublicID}, Type: pick(r, activityTypes), At: at,
			Key: fmt.Sprintf("k%d", r.Int64())})
	}
	was := w.db.Now
	w.db.Now = func() time.Time { return now }
	res, err := w.events.RecordEvents(ctx, batch)
	w.db.Now = was
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Refused) > 0 {
		t.Fatalf("events refused: %v", res.Refused[0].Err)
	}
	for _, e := range batch {
		w.byUser[u.ID] = append(w.byUser[u.ID], oracleEvent{e.At, e.Type})
		if f := w.first[u.ID]; f.IsZero() || e.At.Before(f) {
			w.first[u.ID] = e.At
		}
	}
}

// counts returns the visits and interactions of user id on the 30 UTC
// calendar days ending on now's.
func (w *activityWorld) counts(id int64, now time.Time) (visits, interactions int64) {
	now = now.UTC()
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	first := today.AddDate(0, 0, -29)
	for _, e := range w.byUser[id] {
		day := time.Date(e.at.Year(), e.at.Month(), e.at.Day(), 0, 0, 0, 0, time.UTC)
		if day.Before(first) || day.After(today) {
			continue
		}
		for _, v := range w.visit {
			if e.typ == v {
				visits++
			}
		}
		for _, i := range w.interaction {
			if e.typ == i {
				interactions++
			}
		}
	}
	return visits, interactions
}

// value is what the Go oracle reads for an activity counter of user id at
// now; ok is false for another field.
func (w *activityWorld) value(id int64, key string, now time.Time) (any, bool) {
	if w == nil {
		return nil, false
	}
	v, i := w.counts(id, now)
	switch key {
	case "visits_30d":
		return v, true
	case "interactions_30d":
		return i, true
	}
	return nil, false
}

// check fails when a user the store loaded does not read the counters and
// first seen the events make.
func (w *activityWorld) check(t *testing.T, users []*roster.User, now time.Time) {
	t.Helper()
	for _, u := range users {
		v, i := w.counts(u.ID, now)
		if u.Visits30d != v || u.Interactions30d != i {
			t.Fatalf("user %d at %v reads visits_30d %d interactions_30d %d, want %d %d", u.ID, now, u.Visits30d, u.Interactions30d, v, i)
		}
		if f, ok := w.first[u.ID]; ok && !u.FirstSeen.Equal(f) {
			t.Fatalf("user %d reads first_seen %v, want %v", u.ID, u.FirstSeen, f)
		}
	}
}
