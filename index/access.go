package index

import (
	"context"
	"slices"
	"time"

	"github.com/RoaringBitmap/roaring/v2"

	"roster"
	"roster/query"
)

// The access field is never stored: it depends on the account policy and
// the time. The index keeps, per slot, what the rule reads (status, email
// confirmed, the reference time) and evaluates roster.AccessRule at query
// time, so a user turns expired at the right moment without a write. A
// filter is one pass over its candidates without an allocation per user.

// Policies gives the account policy in force (sqldb.DB does).
type Policies interface {
	AccountPolicy(ctx context.Context) (roster.AccountPolicy, error)
}

// accIn is what the access rule reads of one user.
type accIn struct {
	ref       int64 // roster.AccessReference, Unix milliseconds
	status    uint8 // index in accStatuses; 0 (active) for an empty slot
	confirmed bool
}

// accStatuses are the statuses accIn codes, in code order.
var accStatuses = []roster.UserStatus{roster.StatusActive, roster.StatusBanned, roster.StatusInvited, roster.StatusPending}

func accInOf(u *roster.User) accIn {
	in := accIn{ref: roster.AccessReference(u), confirmed: u.EmailConfirmed}
	if i := slices.Index(accStatuses, u.Status); i > 0 {
		in.status = uint8(i)
	}
	return in
}

// reader is the state as one query sees it: with the access rule of the
// moment the query started.
type reader struct {
	*state
	rule roster.AccessRule
}

// rule returns the access rule now: the policy in force at the index's
// clock.
func (ix *Index) rule(ctx context.Context) (roster.AccessRule, error) {
	p := roster.DefaultAccountPolicy()
	if ix.Policies != nil {
		var err error
		if p, err = ix.Policies.AccountPolicy(ctx); err != nil {
			return roster.AccessRule{}, err
		}
	}
	now := ix.now()
	ix.rollDay(roster.DayOf(now))
	return p.Rule(now), nil
}

// now is the index's clock.
func (ix *Index) now() time.Time {
	if ix.Now != nil {
		return ix.Now()
	}
	return time.Now()
}

// access returns slot's access state under rd's rule.
func (rd reader) access(slot uint32) roster.AccessState {
	in := rd.acc[slot]
	return rd.rule.State(accStatuses[in.status], in.confirmed, in.ref)
}

// accessBits returns the slots of within whose state is one of pr.Strs.
func (rd reader) accessBits(pr query.Pred, within *roaring.Bitmap) *roaring.Bitmap {
	var want [8]roster.AccessState
	n := copy(want[:], toStates(pr.Strs))
	buf := make([]uint32, 0, 4096)
	out := roaring.New()
	it := within.ManyIterator()
	slots := make([]uint32, 4096)
	for {
		k := it.NextMany(slots)
		if k == 0 {
			break
		}
		for _, s := range slots[:k] {
			st := rd.access(s)
			for _, w := range want[:n] {
				if st == w {
					buf = append(buf, s)
					break
				}
			}
			if len(buf) == cap(buf) {
				out.AddMany(buf)
				buf = buf[:0]
			}
		}
	}
	out.AddMany(buf)
	return out
}

func toStates(strs []string) []roster.AccessState {
	out := make([]roster.AccessState, 0, len(strs))
	for _, s := range strs {
		if roster.ValidAccessState(s) && !slices.Contains(out, roster.AccessState(s)) {
			out = append(out, roster.AccessState(s))
		}
	}
	return out
}

// accessBuckets returns the live slots by access state, in the order of
// the states' names (how access sorts), for a sort's walk: one pass.
func (rd reader) accessBuckets() []bucketRef {
	names := roster.AccessStateNames()
	slices.Sort(names)
	lists := make([][]uint32, len(names))
	it := rd.alive.ManyIterator()
	slots := make([]uint32, 4096)
	for {
		k := it.NextMany(slots)
		if k == 0 {
			break
		}
		for _, s := range slots[:k] {
			st := string(rd.access(s))
			for i, n := range names {
				if n == st {
					lists[i] = append(lists[i], s)
					break
				}
			}
		}
	}
	refs := make([]bucketRef, len(names))
	for i, n := range names {
		refs[i] = bucketRef{set: roaring.BitmapOf(lists[i]...), min: n, max: n, minIncl: true}
	}
	return refs
}
