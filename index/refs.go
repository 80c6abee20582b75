package index

import (
	"context"
	"math"
	"slices"

	"github.com/RoaringBitmap/roaring/v2"

	"roster"
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
// what it excludes; then or'ed with the users added by hand, less those
// removed by hand.
func (st reader) segmentBits(sp *query.SegPlan) *roaring.Bitmap {
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
	for _, pr := range sp.Added {
		res.Or(st.pred(pr, st.alive))
	}
	for _, pr := range sp.Removed {
		res.AndNot(st.pred(pr, res))
	}
	return res
}

// RefreshRefs reloads the tags and groups of the given users, whose other
// fields did not change; the store calls it after commits such as a bulk
// tagging.
func (ix *Index) RefreshRefs(ctx context.Context, ids, seqs []int64) error {
	if !ix.ready.Load() {
		return nil // Build's catch-up will see these changes
	}
	if err := ix.reloadRefs(ctx, ids); err != nil {
		return err
	}
	ix.markApplied(seqs)
	return nil
}

// reloadRefs clears the affected slots from every member bitmap of tags and
// groups at once (one AndNot per member, cheaper than finding each slot's
// members) and sets them again from the store.
func (ix *Index) reloadRefs(ctx context.Context, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	users, err := ix.Users.FindUserRefs(ctx, ids)
	if err != nil {
		return err
	}
	return ix.withState(func(st *state) error {
		affected := roaring.New()
		for _, id := range ids {
			// A user not in the index yet gets their refs with the rest of
			// them when their own change is applied.
			if id > 0 && id < math.MaxUint32 && st.alive.Contains(uint32(id)) {
				affected.Add(uint32(id))
			}
		}
		for _, key := range []string{"tags", "groups"} {
			c := st.sets[key]
			if c == nil {
				continue
			}
			for m, b := range c.members {
				b.AndNot(affected)
				if b.IsEmpty() {
					delete(c.members, m)
				}
			}
			c.any.AndNot(affected)
		}
		for _, u := range users {
			slot := uint32(u.ID)
			if !affected.Contains(slot) {
				continue
			}
			for key, vals := range map[string][]string{"tags": refStrings(u.Tags), "groups": refStrings(u.Groups)} {
				if c := st.sets[key]; c != nil && len(vals) > 0 {
					c.set(slot, nil, vals)
				}
			}
		}
		return nil
	})
}

func refStrings(ids []int64) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = roster.RefValue(id)
	}
	return out
}
