package roster

import "time"

// The activity counters, visits_30d and interactions_30d, count a user's
// events of the visit types and of the interaction types (EventSettings)
// whose time falls on one of the 30 UTC days ending today: an event 29
// days old counts today and no longer the day after tomorrow, with no
// write in between. The store keeps the counts per user and UTC day
// (ActivityDay), as it records the events; the SQL sums the days of the
// window at query time, and the query index keeps the same days in memory
// and recounts its users with activity once when the UTC day changes.

// ActivityWindowDays is how many UTC days the activity counters cover,
// today included.
const ActivityWindowDays = 30

// ActivityDay is how many visits and interactions a user made on one UTC
// day.
type ActivityDay struct {
	Day          int32 // days since 1970-01-01 (DayOf)
	Visits       int32
	Interactions int32
}

// DayOf is the UTC day of t, as days since 1970-01-01.
func DayOf(t time.Time) int32 {
	ms := t.UnixMilli()
	d := ms / 86400000
	if ms%86400000 < 0 {
		d--
	}
	return int32(d)
}

// ActivityWindow returns the first and the last UTC day the activity
// counters cover at now.
func ActivityWindow(now time.Time) (first, last int32) {
	last = DayOf(now)
	return last - ActivityWindowDays + 1, last
}

// CountActivity sums the visits and interactions of days that fall in
// the window ending on day today. It allocates nothing.
func CountActivity(days []ActivityDay, today int32) (visits, interactions int64) {
	first := today - ActivityWindowDays + 1
	for _, d := range days {
		if d.Day >= first && d.Day <= today {
			visits += int64(d.Visits)
			interactions += int64(d.Interactions)
		}
	}
	return visits, interactions
}

// DayStart is the start of UTC day d.
func DayStart(d int32) time.Time { return time.UnixMilli(int64(d) * 86400000).UTC() }
