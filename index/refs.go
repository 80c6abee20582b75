package index

import (
	"slices"

	"github.com/RoaringBitmap/roaring/v2"

	"roster/query"
)

// anyOf returns the slots having any of the members vals.
func (c *setCol) anyOf(vals []string) *roaring.Bitmap {
	parts := make([]*roaring.Bitmap, 0, len(vals))
	for _, v := range vals {
		if b := c.members[v]; b != nil {
			parts = append(parts, b)
		}
	}
	return roaring.FastOr(parts...)
}

// smartBits computes smart types from the groups column when asked: a
// user's smart type is X when they are in X and in no group ranked before
// X. Nothing is stored per user, so reordering the list costs nothing.
func (st *state) smartBits(pr query.Pred) *roaring.Bitmap {
	groups := st.sets["groups"]
	if groups == nil {
		return roaring.New()
	}
	switch pr.Op {
	case query.OpEmpty:
		return roaring.AndNot(st.alive, groups.anyOf(pr.Smart))
	case query.OpNotEmpty:
		return groups.anyOf(pr.Smart)
	}
	var parts []*roaring.Bitmap
	for _, target := range pr.Strs {
		i := slices.Index(pr.Smart, target)
		if i < 0 {
			continue
		}
		b := groups.anyOf([]string{target}).Clone()
		if i > 0 {
			b.AndNot(groups.anyOf(pr.Smart[:i]))
		}
		parts = append(parts, b)
	}
	return roaring.FastOr(parts...)
}

// segmentBits returns a segment's members: its filter's matches (everyone
// when it has none and includes nothing) or'ed with what it includes, less
// what it excludes.
func (st *state) segmentBits(sp *query.SegPlan) *roaring.Bitmap {
	var res *roaring.Bitmap
	switch {
	case sp.Plan != nil:
		res = st.match(sp.Plan)
	case len(sp.Include) == 0:
		res = st.alive.Clone()
	default:
		res = roaring.New()
	}
	for _, pr := range sp.Include {
		res.Or(st.pred(pr, st.alive))
	}
	for _, pr := range sp.Exclude {
		res.AndNot(st.pred(pr, res))
	}
	return res
}
