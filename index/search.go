package index

import (
	"bytes"
	"context"
	"math"
	"slices"
	"strings"

	"github.com/RoaringBitmap/roaring/v2"

	"roster"
	"roster/query"
)

var _ query.Searcher = (*Index)(nil)

// Search runs p and returns one page of it and the total count.
func (ix *Index) Search(ctx context.Context, p *query.Plan, page query.Page) (*query.Result, error) {
	if !ix.ready.Load() {
		return nil, ErrNotReady
	}
	if page.Limit <= 0 {
		page.Limit = query.DefaultLimit
	}
	rule, err := ix.rule(ctx)
	if err != nil {
		return nil, err
	}
	ix.mu.RLock()
	st := ix.st
	if !st.supports(p) {
		ix.mu.RUnlock()
		return ix.fallback().Search(ctx, p, page)
	}
	if len(p.Sort) > 0 && st.needsTextBuckets(p.Sort[0].Field) {
		// Building a text sort's buckets changes the state: it needs the
		// write lock, once per field.
		ix.mu.RUnlock()
		ix.mu.Lock()
		st.textBuckets(p.Sort[0].Field)
		ix.mu.Unlock()
		ix.mu.RLock()
		st = ix.st
	}
	defer ix.mu.RUnlock()
	rd := reader{st, rule}
	res := rd.match(p)
	ids, next := rd.page(res, p.Sort, page)
	out := &query.Result{Total: int(res.GetCardinality()), IDs: make([]int64, len(ids)), Next: next}
	for i, s := range ids {
		out.IDs[i] = int64(s)
	}
	return out, nil
}

// Match returns the ids of every user p selects, ascending.
func (ix *Index) Match(ctx context.Context, p *query.Plan) ([]int64, error) {
	if !ix.ready.Load() {
		return nil, ErrNotReady
	}
	rule, err := ix.rule(ctx)
	if err != nil {
		return nil, err
	}
	ix.mu.RLock()
	st := ix.st
	if !st.supports(p) {
		ix.mu.RUnlock()
		return ix.fallback().Match(ctx, p)
	}
	res := reader{st, rule}.match(p)
	ix.mu.RUnlock()
	out := make([]int64, 0, res.GetCardinality())
	it := res.Iterator()
	for it.HasNext() {
		out = append(out, int64(it.Next()))
	}
	return out, nil
}

// supports reports whether every predicate of p can run on this state:
// URL text matching runs in SQL, and so does a field created after the
// state was last synchronised.
func (st *state) supports(p *query.Plan) bool {
	ok := true
	p.Walk(func(pr query.Pred) {
		if pr.Kind == query.KindSegment {
			return
		}
		if _, known := st.reg.Field(pr.Field.Key); !known {
			ok = false
		}
		if pr.Kind == query.KindText && pr.Field.Type == roster.TypeURL && pr.Op != query.OpEmpty && pr.Op != query.OpNotEmpty {
			ok = false
		}
	})
	for _, k := range p.Sort {
		if _, known := st.reg.Field(k.Field.Key); !known {
			return false
		}
	}
	return ok
}

// match returns the slots that p selects.
func (st reader) match(p *query.Plan) *roaring.Bitmap {
	res := st.alive.Clone()
	for _, g := range p.Groups {
		if len(g) == 1 {
			res.And(st.pred(g[0], res))
			continue
		}
		parts := make([]*roaring.Bitmap, len(g))
		for i, pr := range g {
			parts[i] = st.pred(pr, res)
		}
		res.And(roaring.FastOr(parts...))
	}
	for _, pr := range p.Not {
		res.AndNot(st.pred(pr, res))
	}
	for _, w := range p.Words {
		res = st.word(w, res)
	}
	return res
}

// pred returns the slots that pr matches (without its negation). Within
// bounds the work of predicates that check slots one by one: what they
// return outside it does not matter. The result must not be modified.
func (st reader) pred(pr query.Pred, within *roaring.Bitmap) *roaring.Bitmap {
	key := pr.Field.Key
	switch pr.Kind {
	case query.KindOrdered:
		c := st.ordered[key]
		switch pr.Op {
		case query.OpEmpty:
			return c.bk.sets[0]
		case query.OpNotEmpty:
			return roaring.AndNot(st.alive, c.bk.sets[0])
		}
		parts := make([]*roaring.Bitmap, 0, len(pr.Ranges))
		for _, r := range pr.Ranges {
			parts = append(parts, c.rangeBits(r))
		}
		return roaring.FastOr(parts...)
	case query.KindExact:
		if key == "id" {
			return st.idBits(pr)
		}
		return st.dictBits(st.dicts[key], pr)
	case query.KindSmart:
		return st.smartBits(pr)
	case query.KindAccess:
		return st.accessBits(pr, within)
	case query.KindSegment:
		parts := make([]*roaring.Bitmap, len(pr.Segs))
		for i, sp := range pr.Segs {
			parts[i] = st.segmentBits(sp)
		}
		return roaring.FastOr(parts...)
	case query.KindSet:
		c := st.sets[key]
		switch {
		case pr.Op == query.OpEmpty:
			return roaring.AndNot(st.alive, c.any)
		case pr.Op == query.OpNotEmpty:
			return c.any
		case pr.Op == query.OpAll && pr.Alts != nil:
			parts := make([]*roaring.Bitmap, len(pr.Alts))
			for i, alt := range pr.Alts {
				parts[i] = c.anyOf(alt)
			}
			return roaring.FastAnd(parts...)
		case pr.Op == query.OpAll:
			parts := make([]*roaring.Bitmap, 0, len(pr.Strs))
			for _, v := range pr.Strs {
				b := c.members[v]
				if b == nil {
					return roaring.New()
				}
				parts = append(parts, b)
			}
			return roaring.FastAnd(parts...)
		}
		return c.anyOf(pr.Strs)
	case query.KindPresence:
		return st.presenceBits(st.presence[key], pr)
	}
	// KindText
	if b := st.presence[key]; b != nil {
		return st.presenceBits(b, pr)
	}
	if c := st.dicts[key]; c != nil {
		return st.dictBits(c, pr)
	}
	return st.arenaBits(pr, within)
}

func (st *state) presenceBits(b *roaring.Bitmap, pr query.Pred) *roaring.Bitmap {
	if pr.Op == query.OpEmpty {
		return roaring.AndNot(st.alive, b)
	}
	return b
}

func (st *state) dictBits(c *dictCol, pr query.Pred) *roaring.Bitmap {
	switch pr.Op {
	case query.OpEmpty:
		return c.sets[0]
	case query.OpNotEmpty:
		return roaring.AndNot(st.alive, c.sets[0])
	case query.OpContains, query.OpPrefix, query.OpSuffix:
		match := textOps[pr.Op]
		var parts []*roaring.Bitmap
		for code, v := range c.values {
			for _, s := range pr.Strs {
				if match(v, s) {
					parts = append(parts, c.sets[code])
					break
				}
			}
		}
		return roaring.FastOr(parts...)
	}
	var parts []*roaring.Bitmap
	for _, s := range pr.Strs {
		if k, ok := c.index[s]; ok {
			parts = append(parts, c.sets[k])
		}
	}
	return roaring.FastOr(parts...)
}

func (st *state) idBits(pr query.Pred) *roaring.Bitmap {
	out := roaring.New()
	if pr.Op == query.OpEmpty {
		return out
	}
	if pr.Op == query.OpNotEmpty {
		return st.alive
	}
	it := st.alive.Iterator()
	for it.HasNext() {
		s := it.Next()
		if slices.Contains(pr.Strs, st.pubs[s]) {
			out.Add(s)
		}
	}
	return out
}

// arenaBits checks a text field of the arena slot by slot, within the
// candidates; for a searchable field and a value of three runes or more the
// trigram index narrows them first.
func (st *state) arenaBits(pr query.Pred, within *roaring.Bitmap) *roaring.Bitmap {
	i := st.arenaIdx[pr.Field.Key]
	cand := within
	// Every text operator but none/any matches values that contain the
	// value sought.
	if pr.Op != query.OpEmpty && pr.Op != query.OpNotEmpty && pr.Field.Searchable {
		var parts []*roaring.Bitmap
		for _, s := range pr.Strs {
			c := st.grams.candidates(s)
			if c == nil {
				parts = nil
				break
			}
			parts = append(parts, c)
		}
		if parts != nil {
			cand = roaring.And(within, roaring.FastOr(parts...))
		}
	}
	out := roaring.New()
	it := cand.Iterator()
	for it.HasNext() {
		s := it.Next()
		v := fieldBytes(st.arena.record(s), i)
		if textMatch(pr, v) {
			out.Add(s)
		}
	}
	return out
}

// textOps and textOpsBytes are the text operators that compare a value
// with the one sought, on strings and on the arena's bytes.
var (
	textOps = map[query.Op]func(v, s string) bool{
		query.OpContains: strings.Contains,
		query.OpPrefix:   strings.HasPrefix,
		query.OpSuffix:   strings.HasSuffix,
	}
	textOpsBytes = map[query.Op]func(v, s []byte) bool{
		query.OpContains: bytes.Contains,
		query.OpPrefix:   bytes.HasPrefix,
		query.OpSuffix:   bytes.HasSuffix,
	}
)

func textMatch(pr query.Pred, v []byte) bool {
	switch pr.Op {
	case query.OpEmpty:
		return len(v) == 0
	case query.OpNotEmpty:
		return len(v) > 0
	case query.OpContains, query.OpPrefix, query.OpSuffix:
		match := textOpsBytes[pr.Op]
		for _, s := range pr.Strs {
			if match(v, []byte(s)) {
				return true
			}
		}
		return false
	}
	for _, s := range pr.Strs {
		if string(v) == s {
			return true
		}
	}
	return false
}

// rangeBits returns the slots whose value lies in r: whole buckets inside
// r, and the values of the buckets r only overlaps, checked one by one.
func (c *orderedCol) rangeBits(r query.Range) *roaring.Bitmap {
	var whole []*roaring.Bitmap
	partial := roaring.New()
	for i := 1; i < len(c.bk.sets); i++ {
		lo, hi, loOpen, hiOpen := c.bk.span(i)
		// The bucket holds values in (lo, hi].
		if !hiOpen && (hi < r.Lo || (hi == r.Lo && !r.LoIncl)) {
			continue
		}
		if !loOpen && lo >= r.Hi {
			continue
		}
		inLo := (loOpen && math.IsInf(r.Lo, -1)) || (!loOpen && r.Lo <= lo)
		if c.integral && !loOpen {
			// Whole values above lo start at lo+1.
			inLo = r.Lo < lo+1 || (r.Lo == lo+1 && r.LoIncl)
		}
		inHi := (hiOpen && math.IsInf(r.Hi, 1)) || (!hiOpen && (hi < r.Hi || (hi == r.Hi && r.HiIncl)))
		if inLo && inHi {
			whole = append(whole, c.bk.sets[i])
			continue
		}
		it := c.bk.sets[i].Iterator()
		for it.HasNext() {
			s := it.Next()
			if r.Contains(c.vals[s]) {
				partial.Add(s)
			}
		}
	}
	return roaring.FastOr(append(whole, partial)...)
}

// word returns the slots of res whose searchable text contains w.
func (st *state) word(w string, res *roaring.Bitmap) *roaring.Bitmap {
	cand := res
	if c := st.grams.candidates(w); c != nil {
		cand = roaring.And(res, c)
	}
	out := roaring.New()
	it := cand.Iterator()
	wb := []byte(w)
	for it.HasNext() {
		s := it.Next()
		if st.slotContains(s, wb) {
			out.Add(s)
		}
	}
	return out
}

func (st *state) slotContains(slot uint32, w []byte) bool {
	var rec []byte
	for _, f := range st.search {
		var v []byte
		if c := st.dicts[f.Key]; c != nil {
			if bytes.Contains([]byte(c.values[c.codes[slot]]), w) {
				return true
			}
			continue
		}
		if rec == nil {
			rec = st.arena.record(slot)
		}
		v = fieldBytes(rec, st.arenaIdx[f.Key])
		if bytes.Contains(v, w) {
			return true
		}
	}
	return false
}

// sortKey returns slot's value for a sort key: what query.SortValue gives
// for the user.
func (st reader) sortKey(f roster.Field, slot uint32) any {
	switch query.KindOf(f) {
	case query.KindAccess:
		return string(st.access(slot))
	case query.KindOrdered:
		return st.ordered[f.Key].vals[slot]
	case query.KindExact:
		if f.Key == "id" {
			return st.pubs[slot]
		}
		c := st.dicts[f.Key]
		return c.values[c.codes[slot]]
	}
	return st.sortText(f, slot)
}

// sortText is the folded text of slot for field f.
func (st *state) sortText(f roster.Field, slot uint32) string {
	if f.Key == "id" {
		return st.pubs[slot]
	}
	return st.text(f.Key, slot)
}

// needsTextBuckets reports whether sorting by f first needs buckets that
// have not been built.
func (st *state) needsTextBuckets(f roster.Field) bool {
	if k := query.KindOf(f); k == query.KindOrdered || k == query.KindAccess || st.dicts[f.Key] != nil {
		return false
	}
	return st.textSort[f.Key] == nil
}

// textBuckets builds the sort buckets of a text field kept in the arena
// (or of the id), the first time something sorts by it.
func (st *state) textBuckets(f roster.Field) {
	if st.textSort[f.Key] != nil {
		return
	}
	var sample []string
	step := max(1, st.n/65536)
	for slot := 0; slot < st.n; slot += step {
		if st.alive.Contains(uint32(slot)) {
			if v := st.sortText(f, uint32(slot)); v != "" {
				sample = append(sample, v)
			}
		}
	}
	b := newBuckets(sample, int(st.alive.GetCardinality()))
	it := st.alive.Iterator()
	for it.HasNext() {
		s := it.Next()
		b.add(s, st.sortText(f, s))
	}
	st.textSort[f.Key] = b
}

// bucketRef is one bucket of the first sort key, in walking order, with
// the values it may hold, so that a walk can skip buckets before a cursor.
type bucketRef struct {
	set      *roaring.Bitmap
	empty    bool // the bucket of users without a value
	min, max any
	minIncl  bool
	open     bool // max is unbounded
}

// bucketsFor returns the buckets of f in ascending order.
func (st reader) bucketsFor(f roster.Field) []bucketRef {
	if query.KindOf(f) == query.KindAccess {
		return st.accessBuckets()
	}
	if query.KindOf(f) == query.KindOrdered {
		c := st.ordered[f.Key]
		refs := []bucketRef{{set: c.bk.sets[0], empty: true}}
		for i := 1; i < len(c.bk.sets); i++ {
			lo, hi, loOpen, hiOpen := c.bk.span(i)
			r := bucketRef{set: c.bk.sets[i], min: lo, max: hi, open: hiOpen}
			if loOpen {
				r.min, r.minIncl = math.Inf(-1), false
			}
			refs = append(refs, r)
		}
		return refs
	}
	if c := st.dicts[f.Key]; c != nil {
		var refs []bucketRef
		for _, code := range c.order() {
			v := c.values[code]
			refs = append(refs, bucketRef{set: c.sets[code], empty: v == "", min: v, max: v, minIncl: true})
		}
		return refs
	}
	b := st.textSort[f.Key]
	refs := []bucketRef{{set: b.sets[0], empty: true}}
	for i := 1; i < len(b.sets); i++ {
		lo, hi, _, hiOpen := b.span(i)
		refs = append(refs, bucketRef{set: b.sets[i], min: lo, max: hi, open: hiOpen})
	}
	return refs
}

// page returns up to pg.Limit slots of res in sort order after pg.After,
// and the position after the last one when more follow.
func (st reader) page(res *roaring.Bitmap, keys []query.SortKey, pg query.Page) ([]uint32, *query.After) {
	need := pg.Limit + 1
	cmpSlots := func(a, b uint32) int {
		for _, k := range keys {
			c := query.CompareValues(st.sortKey(k.Field, a), st.sortKey(k.Field, b))
			if k.Desc {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		return strings.Compare(st.pubs[a], st.pubs[b])
	}
	if len(keys) > 0 && query.KindOf(keys[0].Field) == query.KindOrdered {
		// Most comparisons are settled by the first key: compare its
		// floats directly rather than boxed in sortKey's interface, which
		// allocates twice per comparison (an export sorts every user).
		vals, desc, full := st.ordered[keys[0].Field.Key].vals, keys[0].Desc, cmpSlots
		cmpSlots = func(a, b uint32) int {
			switch va, vb := vals[a], vals[b]; {
			case va < vb && !desc, va > vb && desc:
				return -1
			case va > vb && !desc, va < vb && desc:
				return 1
			}
			return full(a, b)
		}
	}
	after := func(s uint32) bool {
		if pg.After == nil {
			return true
		}
		for i, k := range keys {
			c := query.CompareValues(st.sortKey(k.Field, s), pg.After.Values[i])
			if k.Desc {
				c = -c
			}
			if c != 0 {
				return c > 0
			}
		}
		return st.pubs[s] > pg.After.ID
	}
	var out []uint32
	skip := max(pg.Offset, 0)
	take := func(slots []uint32) {
		slots = slices.DeleteFunc(slots, func(s uint32) bool { return !after(s) })
		sel := smallest(slots, need-len(out)+skip, cmpSlots)
		drop := min(skip, len(sel))
		skip -= drop
		out = append(out, sel[drop:]...)
	}
	if len(keys) == 0 || res.GetCardinality() <= 4096 {
		take(res.ToArray())
	} else {
		refs := st.bucketsFor(keys[0].Field)
		desc := keys[0].Desc
		if desc {
			slices.Reverse(refs)
		}
		var cv any
		if pg.After != nil {
			cv = pg.After.Values[0]
		}
		for _, r := range refs {
			if len(out) >= need {
				break
			}
			if cv != nil && skipBucket(r, cv, desc) {
				continue
			}
			if r.set.IsEmpty() {
				continue
			}
			// Whole buckets inside the offset are skipped by counting
			// alone. (The cursor bucket is never skipped this way: the
			// back-office pages by offset, the API by cursor.)
			if skip > 0 && pg.After == nil {
				if n := int(r.set.AndCardinality(res)); n <= skip {
					skip -= n
					continue
				}
			}
			take(roaring.And(r.set, res).ToArray())
		}
	}
	if len(out) < need {
		return out, nil
	}
	out = out[:pg.Limit]
	last := out[len(out)-1]
	a := &query.After{ID: st.pubs[last], Values: make([]any, len(keys))}
	for i, k := range keys {
		a.Values[i] = st.sortKey(k.Field, last)
	}
	return out, a
}

// isEmptyValue reports whether a sort value stands for "no value".
func isEmptyValue(v any) bool {
	switch x := v.(type) {
	case float64:
		return math.IsInf(x, -1)
	case string:
		return x == ""
	}
	return true
}

// skipBucket reports whether every row of r comes before the cursor value
// cv in the walk's direction, so the bucket can be passed over.
func skipBucket(r bucketRef, cv any, desc bool) bool {
	cvEmpty := isEmptyValue(cv)
	if r.empty {
		// Empty values come first ascending and last descending.
		return !desc && !cvEmpty
	}
	if !desc {
		if cvEmpty || r.open {
			return false
		}
		return query.CompareValues(r.max, cv) < 0
	}
	if cvEmpty {
		return true
	}
	c := query.CompareValues(r.min, cv)
	return c > 0 || (c == 0 && !r.minIncl)
}

// smallest returns the k smallest of s under cmp, sorted. A full sort when
// k is a good part of s; otherwise a bounded heap, which matters when one
// bucket holds most users (sorting by status, say).
func smallest(s []uint32, k int, cmpFn func(a, b uint32) int) []uint32 {
	if k <= 0 {
		return nil
	}
	if len(s) <= 4*k {
		slices.SortFunc(s, cmpFn)
		return s[:min(k, len(s))]
	}
	// Max-heap of the k smallest so far.
	h := make([]uint32, 0, k)
	less := func(i, j int) bool { return cmpFn(h[i], h[j]) > 0 }
	down := func(i int) {
		for {
			l := 2*i + 1
			if l >= len(h) {
				return
			}
			m := l
			if r := l + 1; r < len(h) && less(r, l) {
				m = r
			}
			if !less(m, i) {
				return
			}
			h[i], h[m] = h[m], h[i]
			i = m
		}
	}
	for _, x := range s {
		if len(h) < k {
			h = append(h, x)
			for i := len(h) - 1; i > 0; {
				p := (i - 1) / 2
				if !less(i, p) {
					break
				}
				h[i], h[p] = h[p], h[i]
				i = p
			}
			continue
		}
		if cmpFn(x, h[0]) < 0 {
			h[0] = x
			down(0)
		}
	}
	slices.SortFunc(h, cmpFn)
	return h
}

// fallback returns what runs the plans the index cannot (a URL's text
// matching): the store's SQL, or, when there is none, a searcher that
// refuses them.
func (ix *Index) fallback() query.Searcher {
	if ix.Fallback == nil {
		return refuse{}
	}
	return ix.Fallback
}

// refuse refuses every plan: the fallback of an index without one.
type refuse struct{}

func (refuse) Search(context.Context, *query.Plan, query.Page) (*query.Result, error) {
	return nil, roster.Errorf(roster.EINVALID, "This filter cannot run here.")
}

func (refuse) Match(context.Context, *query.Plan) ([]int64, error) {
	return nil, roster.Errorf(roster.EINVALID, "This filter cannot run here.")
}
