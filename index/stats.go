package index

import (
	"cmp"
	"context"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/RoaringBitmap/roaring/v2"

	"roster"
	"roster/query"
)

// The statistics of the dashboard: counts, the most common values of a
// field and a histogram of a time field by day, all over the users a plan
// selects. They are bitmap operations and at most one pass over a column,
// so they stay in the milliseconds at millions of users.

// MaxPerDayDays is the longest span PerDay counts over: ten years.
const MaxPerDayDays = 3660

// Count returns the number of users p selects: Search's Total, without a
// page.
func (ix *Index) Count(ctx context.Context, p *query.Plan) (int, error) {
	if !ix.ready.Load() {
		return 0, ErrNotReady
	}
	if p == nil {
		p = &query.Plan{}
	}
	rule, err := ix.rule(ctx)
	if err != nil {
		return 0, err
	}
	ix.mu.RLock()
	st := ix.st
	if !st.supports(p) {
		ix.mu.RUnlock()
		res, err := ix.fallback().Search(ctx, p, query.Page{Limit: 1})
		if err != nil {
			return 0, err
		}
		return res.Total, nil
	}
	defer ix.mu.RUnlock()
	if planIsEmpty(p) {
		return int(st.alive.GetCardinality()), nil
	}
	return int(reader{st, rule}.match(p).GetCardinality()), nil
}

// Facet returns the values of field among the users p selects with the
// number of users having each, most common first (ties by value), at most
// limit of them (all when limit <= 0). Users without a value are left out.
// field is a field held as a dictionary (country, status, city, a choice:
// for text fields the values are folded, as searches compare them) or a
// set (roles, tags, a multiple choice: folded members).
func (ix *Index) Facet(ctx context.Context, p *query.Plan, field string, limit int) ([]query.FacetCount, error) {
	if !ix.ready.Load() {
		return nil, ErrNotReady
	}
	if p == nil {
		p = &query.Plan{}
	}
	rule, err := ix.rule(ctx)
	if err != nil {
		return nil, err
	}
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	st := ix.st
	if !st.supports(p) {
		return nil, roster.Errorf(roster.EINVALID, "This filter cannot be counted by value.")
	}
	var out []query.FacetCount
	res := reader{st, rule}.matchOrAll(p)
	switch {
	case st.dicts[field] != nil:
		c := st.dicts[field]
		for code := 1; code < len(c.sets); code++ {
			if n := int(c.sets[code].AndCardinality(res)); n > 0 {
				out = append(out, query.FacetCount{Value: c.values[code], Count: n})
			}
		}
	case st.sets[field] != nil:
		for v, b := range st.sets[field].members {
			if n := int(b.AndCardinality(res)); n > 0 && v != "" {
				out = append(out, query.FacetCount{Value: v, Count: n})
			}
		}
	default:
		return nil, roster.Errorf(roster.EINVALID, "%s: values can only be counted for a country, status, choice, set or short text field.", field)
	}
	slices.SortFunc(out, func(a, b query.FacetCount) int {
		if c := cmp.Compare(b.Count, a.Count); c != 0 {
			return c
		}
		return cmp.Compare(a.Value, b.Value)
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

var _ roster.MemberCounter = (*Index)(nil)

// MemberCounts returns the number of users of every tag (field "tags") or
// group ("groups") from the cardinality of their bitmaps: its cost grows
// with the number of tags and groups, not of assignments. Before the index
// is built, Counts answers.
func (ix *Index) MemberCounts(ctx context.Context, field string) (map[int64]int, error) {
	if field != "tags" && field != "groups" {
		return nil, roster.Errorf(roster.EINVALID, "%s: only tags and groups have member counts.", field)
	}
	if !ix.ready.Load() {
		if ix.Counts == nil {
			return nil, ErrNotReady
		}
		return ix.Counts.MemberCounts(ctx, field)
	}
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	out := map[int64]int{}
	c := ix.st.sets[field]
	if c == nil {
		return out, nil
	}
	for v, b := range c.members {
		// A deleted user's slot leaves every bitmap, so the
		// cardinality is the count of living users.
		if n := int(b.GetCardinality()); n > 0 {
			if id, err := strconv.ParseInt(v, 10, 64); err == nil {
				out[id] = n
			}
		}
	}
	return out, nil
}

// PerDay returns, for each calendar day from from to to inclusive, the
// number of users p selects whose value of field falls on that day: for a
// timestamp field, the day in loc (days are cut at midnight in loc, so a
// day around a daylight saving change lasts 23 or 25 hours); for a date
// field, the date itself. The result has one count per day, from first.
func (ix *Index) PerDay(ctx context.Context, p *query.Plan, field string, from, to roster.Date, loc *time.Location) ([]int, error) {
	if !ix.ready.Load() {
		return nil, ErrNotReady
	}
	if loc == nil {
		loc = time.UTC
	}
	if p == nil {
		p = &query.Plan{}
	}
	days := int(math.Round(to.In(time.UTC).Sub(from.In(time.UTC)).Hours()/24)) + 1
	if from.IsZero() || to.IsZero() || days < 1 {
		return nil, roster.Errorf(roster.EINVALID, "The days to count run from %s to %s: the end is before the start.", from, to)
	}
	if days > MaxPerDayDays {
		return nil, roster.Errorf(roster.EINVALID, "At most %d days can be counted at once.", MaxPerDayDays)
	}
	rule, err := ix.rule(ctx)
	if err != nil {
		return nil, err
	}
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	st := ix.st
	f, ok := st.reg.Field(field)
	if !ok || (f.Type != roster.TypeTimestamp && f.Type != roster.TypeDate) || st.ordered[field] == nil {
		return nil, roster.Errorf(roster.EINVALID, "%s: users can only be counted per day by a date or time field.", field)
	}
	if !st.supports(p) {
		return nil, roster.Errorf(roster.EINVALID, "This filter cannot be counted per day.")
	}
	// bounds[i] is the first value of day i; bounds[days] ends the last.
	bounds := make([]float64, days+1)
	for i := range bounds {
		if f.Type == roster.TypeDate {
			bounds[i] = query.DateValue(from) + float64(i)
			continue
		}
		// time.Date normalises day overflow, and gives the first instant
		// of the day even where midnight does not exist.
		bounds[i] = float64(time.Date(from.Year, from.Month, from.Day+i, 0, 0, 0, 0, loc).UnixMilli())
	}
	col := st.ordered[field]
	var res *roaring.Bitmap
	if !planIsEmpty(p) {
		res = reader{st, rule}.match(p)
	}
	lo, hi := bounds[0], bounds[days]
	// Days are a day long but for a change of clocks: the day of a value
	// is found from its offset, give or take one.
	dayLen := (hi - lo) / float64(days)
	out := make([]int, days)
	count := func(slot uint32) {
		v := col.vals[slot]
		if !(v >= lo && v < hi) {
			return
		}
		i := min(days-1, int((v-lo)/dayLen))
		for i > 0 && v < bounds[i] {
			i--
		}
		for i < days-1 && v >= bounds[i+1] {
			i++
		}
		out[i]++
	}
	// The slots of the buckets that can hold values in [lo, hi), the
	// matching ones, in slot order: one pass over the column, forward.
	var parts []*roaring.Bitmap
	for b := 1; b < len(col.bk.sets); b++ {
		blo, bhi, loOpen, hiOpen := col.bk.span(b)
		// The bucket holds values in (blo, bhi].
		if (!hiOpen && bhi < lo) || (!loOpen && blo >= hi) {
			continue
		}
		parts = append(parts, col.bk.sets[b])
	}
	cand := roaring.FastOr(parts...)
	if res != nil {
		cand.And(res)
	}
	buf := make([]uint32, 4096)
	it := cand.ManyIterator()
	for n := it.NextMany(buf); n > 0; n = it.NextMany(buf) {
		for _, slot := range buf[:n] {
			count(slot)
		}
	}
	return out, nil
}

// planIsEmpty reports whether p selects every user.
func planIsEmpty(p *query.Plan) bool {
	return len(p.Groups) == 0 && len(p.Not) == 0 && len(p.Words) == 0
}

// matchOrAll is match, skipping the copy of every slot when p selects
// them all. The result must not be modified.
func (st reader) matchOrAll(p *query.Plan) *roaring.Bitmap {
	if planIsEmpty(p) {
		return st.alive
	}
	return st.match(p)
}
