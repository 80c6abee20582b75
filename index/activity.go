package index

import (
	"roster"
)

// The activity counters, visits_30d and interactions_30d, depend on the
// day: an event drops out of them 30 UTC days after its own, without a
// write. The index keeps each user's recent days (roster.ActivityDay, as
// the store loads them) beside ordinary ordered columns holding the counts
// as of one UTC day, st.actDay. A user loaded is counted at that day; the
// first query of another day recounts the users that have days, once
// (under the write lock). The days kept are those the store loads, which
// reach a window further back than the counters' (so that a clock set
// back still counts right); a user's are replaced when they are loaded
// again. Queries then read the columns like any other: filters are bucket
// ranges and sorts walk buckets, with no rescan of events and no
// allocation per user.

// activityKeys are the fields the activity counters fill, in the order
// counts returns them.
var activityKeys = [2]string{"visits_30d", "interactions_30d"}

// activityCount returns which count key is (0 visits, 1 interactions), or
// -1 for another field.
func activityCount(key string) int {
	for i, k := range activityKeys {
		if k == key {
			return i
		}
	}
	return -1
}

// putActivity keeps a user's recent days and returns their counts at
// st.actDay.
func (st *state) putActivity(slot uint32, days []roster.ActivityDay) [2]float64 {
	if len(days) == 0 {
		delete(st.act, slot)
		return [2]float64{}
	}
	st.act[slot] = days
	v, i := roster.CountActivity(days, st.actDay)
	return [2]float64{float64(v), float64(i)}
}

// rollDay recounts the users with activity days at day, when it is not
// the day the counts are of.
func (ix *Index) rollDay(day int32) {
	ix.mu.RLock()
	stale := ix.st != nil && ix.st.actDay != day
	ix.mu.RUnlock()
	if !stale {
		return
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	st := ix.st
	if st.actDay == day {
		return
	}
	st.actDay = day
	var cols [2]*orderedCol
	for i, k := range activityKeys {
		cols[i] = st.ordered[k]
	}
	for slot, days := range st.act {
		n := st.putActivity(slot, days)
		for i, c := range cols {
			if c != nil {
				c.set(slot, n[i], true)
			}
		}
	}
}
