package web

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"roster"
)

// The timeline of a user merges what every source in Server.Timeline
// gives (events, staff actions, and whatever other features add), newest
// first, a page at a time. A page's cursor is the time of its last item
// and the items at exactly that time it showed: the next page asks every
// source for items up to that time and leaves those out, so that items
// sharing a millisecond are neither lost nor shown twice.

const (
	timelinePage    = 50
	maxTimelinePage = 200
	// timelineRounds bounds how often one source is asked again for a
	// page filtered by kind.
	timelineRounds = 20
)

// timelineCursor is the decoded position of a page.
type timelineCursor struct {
	At   int64    `json:"t"` // Unix milliseconds of the last item shown
	Seen []string `json:"s"` // "source:cursor" of the items shown at At
}

func (c timelineCursor) encode() string {
	b, _ := json.Marshal(c) // a number and strings: cannot fail
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeTimelineCursor(s string) (*timelineCursor, error) {
	if s == "" {
		return nil, nil
	}
	bad := roster.FieldErrors{"cursor": "is not a cursor this server gave"}.Err()
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, bad
	}
	var c timelineCursor
	if json.Unmarshal(b, &c) != nil || c.At <= 0 {
		return nil, bad
	}
	return &c, nil
}

// timelineItem is an item with the index of its source.
type timelineItem struct {
	roster.Activity
	src int
}

// timelineResult is one page of a timeline.
type timelineResult struct {
	Items []roster.Activity
	Next  string // "" on the last page
}

// timelineKinds returns the kinds the sources give, sorted.
func (s *Server) timelineKinds() []string {
	var out []string
	for _, src := range s.Timeline {
		if k, ok := src.(roster.ActivityKinds); ok {
			for _, x := range k.ActivityKinds() {
				if !slices.Contains(out, x) {
					out = append(out, x)
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

// parseKinds reads a kind filter ("visit,staff"); unknown kinds are the
// kind field's error.
func (s *Server) parseKinds(v string) ([]string, error) {
	if v == "" {
		return nil, nil
	}
	known := s.timelineKinds()
	var out []string
	for _, k := range strings.Split(v, ",") {
		k = strings.TrimSpace(k)
		if k == "" {
			continue
		}
		if !slices.Contains(known, k) {
			return nil, roster.FieldErrors{"kind": fmt.Sprintf("%q is not a kind of activity (%s)", k, strings.Join(known, ", "))}.Err()
		}
		out = append(out, k)
	}
	return out, nil
}

// timeline returns a page of the user's timeline after cursor, of the
// given kinds (none: all).
func (s *Server) timeline(ctx context.Context, userID int64, cursor string, kinds []string, limit int) (timelineResult, error) {
	c, err := decodeTimelineCursor(cursor)
	if err != nil {
		return timelineResult{}, err
	}
	if limit <= 0 {
		limit = timelinePage
	}
	limit = min(limit, maxTimelinePage)
	var all []timelineItem
	more := false
	for i, src := range s.Timeline {
		if k, ok := src.(roster.ActivityKinds); ok && len(kinds) > 0 && !slices.ContainsFunc(k.ActivityKinds(), func(x string) bool { return slices.Contains(kinds, x) }) {
			continue
		}
		items, full, err := sourcePage(ctx, src, i, userID, c, kinds, limit)
		if err != nil {
			return timelineResult{}, err
		}
		more = more || full
		all = append(all, items...)
	}
	sort.SliceStable(all, func(a, b int) bool {
		if !all[a].At.Equal(all[b].At) {
			return all[a].At.After(all[b].At)
		}
		return all[a].src < all[b].src
	})
	if len(all) > limit {
		all, more = all[:limit], true
	}
	res := timelineResult{Items: make([]roster.Activity, len(all))}
	for i, it := range all {
		res.Items[i] = it.Activity
	}
	if more && len(all) > 0 {
		last := all[len(all)-1].At
		next := timelineCursor{At: last.UnixMilli()}
		if c != nil && c.At == next.At {
			// Still within the same millisecond: what earlier pages
			// showed of it stays shown.
			next.Seen = append(next.Seen, c.Seen...)
		}
		for _, it := range all {
			if it.At.UnixMilli() == next.At {
				next.Seen = append(next.Seen, strconv.Itoa(it.src)+":"+it.Cursor)
			}
		}
		res.Next = next.encode()
	}
	return res, nil
}

// sourcePage asks source i for up to limit items after c of the given
// kinds, asking again when a kind filter leaves too few; full reports
// that the source may have more.
func sourcePage(ctx context.Context, src roster.ActivitySource, i int, userID int64, c *timelineCursor, kinds []string, limit int) ([]timelineItem, bool, error) {
	var before time.Time
	ask := limit
	if c != nil {
		before = time.UnixMilli(c.At + 1)
		ask += len(c.Seen)
	}
	var out []timelineItem
	for round := 0; round < timelineRounds; round++ {
		got, err := src.UserActivity(ctx, userID, before, ask)
		if err != nil {
			return nil, false, err
		}
		for _, a := range got {
			if c != nil {
				ms := a.At.UnixMilli()
				if ms > c.At || (ms == c.At && slices.Contains(c.Seen, strconv.Itoa(i)+":"+a.Cursor)) {
					continue
				}
			}
			if len(kinds) > 0 && !slices.Contains(kinds, a.Kind) {
				continue
			}
			out = append(out, timelineItem{a, i})
		}
		full := len(got) >= ask
		if !full || len(out) >= limit {
			return out, full, nil
		}
		before = got[len(got)-1].At
	}
	return out, true, nil
}

// activityJSON is one timeline item in the API.
type activityJSON struct {
	At     time.Time `json:"at"`
	Kind   string    `json:"kind"`
	Title  string    `json:"title"`
	Detail string    `json:"detail,omitempty"`
	Actor  string    `json:"actor,omitempty"`
	Link   string    `json:"link,omitempty"`
}

// apiUserActivity answers GET /api/v1/users/{id}/activity: a page of the
// user's timeline (cursor, kind, limit).
func (s *Server) apiUserActivity(w http.ResponseWriter, r *http.Request) {
	u, err := s.Users.FindUserByID(r.Context(), r.PathValue("id"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	q := r.URL.Query()
	kinds, err := s.parseKinds(q.Get("kind"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	limit := timelinePage
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxTimelinePage {
			s.error(w, r, roster.FieldErrors{"limit": fmt.Sprintf("must be a whole number from 1 to %d", maxTimelinePage)}.Err())
			return
		}
		limit = n
	}
	page, err := s.timeline(r.Context(), u.ID, q.Get("cursor"), kinds, limit)
	if err != nil {
		s.error(w, r, err)
		return
	}
	out := struct {
		Items []activityJSON `json:"items"`
		Next  string         `json:"next_cursor,omitempty"`
	}{Items: make([]activityJSON, len(page.Items)), Next: page.Next}
	for i, a := range page.Items {
		out.Items[i] = activityJSON{a.At.UTC(), a.Kind, a.Title, a.Detail, a.Actor, a.Link}
	}
	writeJSON(w, http.StatusOK, out)
}

// timelineDay is the items of one day in the staff member's time zone.
type timelineDay struct {
	Day   string // "Monday 2 March 2026"
	Items []roster.Activity
}

// groupByDay groups items (newest first) by their day in loc.
func groupByDay(items []roster.Activity, loc *time.Location) []timelineDay {
	var out []timelineDay
	for _, a := range items {
		d := a.At.In(loc).Format("Monday 2 January 2006")
		if len(out) == 0 || out[len(out)-1].Day != d {
			out = append(out, timelineDay{Day: d})
		}
		out[len(out)-1].Items = append(out[len(out)-1].Items, a)
	}
	return out
}
