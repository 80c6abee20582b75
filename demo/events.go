package demo

import (
	"fmt"
	"time"

	"roster"
)

// Events returns a stored demo user's events, so that their profile has a
// timeline: sessions of page views ending at their last visit and, a few
// days apart, before it (never before they were created), an interaction
// at their last interaction, now and then an error. They follow from the
// user's id and times alone: the same user always gets the same events,
// keyed so that sending them twice stores them once.
func Events(u *roster.User) []roster.Event {
	if u.LastVisit.IsZero() && u.LastInteraction.IsZero() {
		return nil
	}
	var r rng
	r.p.Seed(uint64(u.ID), 0x9e3779b97f4a7c15)
	pages := []struct{ path, title, feature string }{
		{"/", "Home", ""}, {"/feed", "Feed", "feed"}, {"/events", "Events", "events"},
		{"/shop", "Shop", "shop"}, {"/shop/cart", "Cart", "checkout"}, {"/profile", "Profile", "profile"},
		{"/messages", "Messages", "chat"}, {"/rewards", "Rewards", "points"},
	}
	var out []roster.Event
	add := func(typ string, at time.Time, props string) {
		out = append(out, roster.Event{User: roster.EventUser{ID: u.PublicID}, Type: typ, At: at,
			Key: fmt.Sprintf("demo-%d", len(out)), Props: []byte(props)})
	}
	end := u.LastVisit
	for s := 0; s < 2+int(r.u64()%4) && !end.IsZero(); s++ {
		n := 2 + int(r.u64()%7)
		start := end.Add(-time.Duration(n-1) * time.Duration(1+r.u64()%4) * time.Minute)
		if start.Before(u.CreatedAt) {
			break
		}
		for p := 0; p < n; p++ {
			pg := pages[r.u64()%uint64(len(pages))]
			at := start.Add(time.Duration(p) * end.Sub(start) / time.Duration(max(1, n-1)))
			if p == n-1 {
				at = end
			}
			add(roster.EventPageView, at, fmt.Sprintf(`{"path":%q,"title":%q,"feature":%q}`, pg.path, pg.title, pg.feature))
		}
		if r.u64()%9 == 0 {
			add(roster.EventError, start.Add(time.Minute/2), `{"message":"Payment declined","code":"card_declined","app_version":"4.2.1"}`)
		}
		end = start.Add(-time.Duration(1+r.u64()%10) * 24 * time.Hour)
	}
	if !u.LastInteraction.IsZero() {
		kinds := []string{"post", "comment", "like", "share"}
		add(roster.EventInteraction, u.LastInteraction, fmt.Sprintf(`{"kind":%q}`, kinds[r.u64()%uint64(len(kinds))]))
	}
	return out
}
