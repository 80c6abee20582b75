// Package index is Roster's in-memory query index: it answers any filter,
// sort, page and count over every user in milliseconds. It is built from
// the store at start and kept current from the change log; the store stays
// the source of truth, and the SQL that query compiles is the oracle the
// index is tested against.
//
// Users are slots: their dense store ids. Low-cardinality values (country,
// status, sets, small text vocabularies) are roaring bitmaps per value;
// numbers, dates and times are float64 columns partitioned into ordered
// buckets, so that a range is a few bitmap ORs plus two buckets checked
// value by value, and a sort walks the buckets in order; keyword search
// intersects trigram bitmaps and checks the candidates exactly.
package index

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"runtime"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/RoaringBitmap/roaring/v2"

	"roster"
	"roster/query"
)

// Source is what the index reads from the store.
type Source interface {
	ScanUsers(ctx context.Context, afterID int64, batch int, fn func(*roster.User) error) error
	FindUsersByIDs(ctx context.Context, ids []int64) ([]*roster.User, error)
	// FindUserRefs loads only ID, Tags and Groups of the users that exist.
	FindUserRefs(ctx context.Context, ids []int64) ([]*roster.User, error)
	LastUserID(ctx context.Context) (int64, error)
}

// Index answers searches from memory.
type Index struct {
	Users    Source
	Fields   roster.FieldService
	Changes  roster.ChangeLog
	Fallback query.Searcher // runs plans the index cannot (URL text matching)
	// Counts counts tag and group members while the index is not built.
	Counts roster.MemberCounter
	Logger *slog.Logger
	// Policies gives the account policy the access field follows (the
	// default policy when nil), and Now the time it is evaluated at
	// (time.Now when nil; tests move it).
	Policies Policies
	Now      func() time.Time

	mu    sync.RWMutex
	st    *state
	ready atomic.Bool
	seq   atomic.Int64 // last change log seq applied
	// built is how long the last build took, in nanoseconds (Stats).
	built atomic.Int64

	// missing holds change log seqs skipped over, with when they were
	// first missed (see CatchUp). Only CatchUp touches it; followMu makes
	// CatchUp calls take turns.
	followMu sync.Mutex
	missing  map[int64]time.Time

	// applied holds the change log seqs of this node's own commits, whose
	// users Refresh reloaded right after the commit: following the log
	// skips them rather than reloading those users again (all million of
	// an import, say).
	appliedMu sync.Mutex
	applied   map[int64]struct{}
}

// maxApplied bounds applied when nothing follows the log; past it, a
// commit's users are reloaded again by the next catch-up, which is only
// slower.
const maxApplied = 1 << 20

// state is everything the index knows; Build makes a fresh one and swaps it
// in.
type state struct {
	reg     *roster.Registry
	getters []func(*roster.User) any // reads reg.Fields[i] of a user
	n       int                      // slots in use: highest store id + 1
	alive   *roaring.Bitmap
	pubs    []string
	acc     []accIn // what the access rule reads (access.go)
	// act holds the recent activity days of the users that have some,
	// and actDay the UTC day the activity counters are counted at
	// (activity.go).
	act      map[uint32][]roster.ActivityDay
	actDay   int32
	ordered  map[string]*orderedCol
	dicts    map[string]*dictCol
	arenaIdx map[string]int // arena field key -> position in records
	arenaKey []string
	arena    arena
	sets     map[string]*setCol
	presence map[string]*roaring.Bitmap
	grams    trigrams
	search   []roster.Field // searchable fields, for keyword checks
	textSort map[string]*buckets[string]

	// building is set while Build fills a fresh state: slots arrive in
	// order and are new, so postings are batched and buckets filled at
	// the end.
	building bool
	pending  pendingGrams
	gramBuf  []uint64
}

// dictFields are the text fields with few distinct values in practice;
// other text fields live in the arena.
var dictFields = map[string]bool{"first_name": true, "last_name": true, "city": true, "app_id": true, "store_location": true}

func newState(reg *roster.Registry) *state {
	st := &state{
		reg: reg, alive: roaring.New(),
		ordered: map[string]*orderedCol{}, dicts: map[string]*dictCol{}, arenaIdx: map[string]int{},
		sets: map[string]*setCol{}, presence: map[string]*roaring.Bitmap{},
		grams: trigrams{m: map[uint64]*roaring.Bitmap{}}, textSort: map[string]*buckets[string]{},
		act: map[uint32][]roster.ActivityDay{},
	}
	st.syncFields(reg)
	return st
}

// syncFields adds columns for fields the state does not have yet (a custom
// field created since): every user starts without a value, as in the store.
func (st *state) syncFields(reg *roster.Registry) {
	st.reg = reg
	st.getters = st.getters[:0]
	for _, f := range reg.Fields {
		st.getters = append(st.getters, roster.Getter(f.Key))
	}
	st.search = st.search[:0]
	for _, f := range reg.Fields {
		if f.Searchable && query.KindOf(f) == query.KindText {
			st.search = append(st.search, f)
		}
		switch query.KindOf(f) {
		case query.KindOrdered:
			if st.ordered[f.Key] == nil {
				c := &orderedCol{bk: newBuckets[float64](nil, 0), integral: f.Type != roster.TypeNumber}
				c.grow(st.n)
				c.bk.sets[0].AddRange(0, uint64(st.n))
				c.bk.sets[0].And(st.alive)
				st.ordered[f.Key] = c
			}
		case query.KindExact:
			if f.Key != "id" && st.dicts[f.Key] == nil {
				c := newDictCol()
				c.grow(st.n)
				c.sets[0].Or(st.alive)
				st.dicts[f.Key] = c
			}
		case query.KindSet:
			if st.sets[f.Key] == nil {
				st.sets[f.Key] = newSetCol()
			}
		case query.KindPresence:
			if st.presence[f.Key] == nil {
				st.presence[f.Key] = roaring.New()
			}
		case query.KindText:
			switch {
			case f.Type == roster.TypeURL:
				if st.presence[f.Key] == nil {
					st.presence[f.Key] = roaring.New()
				}
			case f.Type == roster.TypeChoice || (f.Builtin && dictFields[f.Key]):
				if st.dicts[f.Key] == nil {
					c := newDictCol()
					c.grow(st.n)
					c.sets[0].Or(st.alive)
					st.dicts[f.Key] = c
				}
			default:
				if _, ok := st.arenaIdx[f.Key]; !ok {
					st.arenaIdx[f.Key] = len(st.arenaKey)
					st.arenaKey = append(st.arenaKey, f.Key)
				}
			}
		}
	}
}

// reserve sizes every per-slot column for n slots at once, so that a build
// does not grow them by doubling (and keep up to twice the memory).
func (st *state) reserve(n int) {
	st.n = n
	st.pubs = make([]string, n)
	st.acc = make([]accIn, n)
	for _, c := range st.ordered {
		c.vals = make([]float64, n)
		for i := range c.vals {
			c.vals[i] = math.Inf(-1)
		}
	}
	for _, c := range st.dicts {
		c.codes = make([]uint32, n)
	}
	st.arena.refs = make([]uint64, n)
}

// grow makes room for slot.
func (st *state) grow(slot uint32) {
	n := int(slot) + 1
	if n <= st.n {
		return
	}
	if n > cap(st.pubs) {
		// Grow by half again so that appending users one by one stays
		// linear.
		n = max(n, st.n+st.n/2, 1024)
	}
	st.n = n
	for len(st.pubs) < n {
		st.pubs = append(st.pubs, "")
		st.acc = append(st.acc, accIn{})
	}
	for _, c := range st.ordered {
		c.grow(n)
	}
	for _, c := range st.dicts {
		c.grow(n)
	}
	st.arena.grow(n)
}

// text returns the folded text value of field key for slot.
func (st *state) text(key string, slot uint32) string {
	if c := st.dicts[key]; c != nil {
		return c.values[c.codes[slot]]
	}
	if i, ok := st.arenaIdx[key]; ok {
		return field(st.arena.record(slot), i)
	}
	return ""
}

// searchTexts returns the folded values of the searchable fields of slot.
func (st *state) searchTexts(slot uint32, out []string) []string {
	for _, f := range st.search {
		if t := st.text(f.Key, slot); t != "" {
			out = append(out, t)
		}
	}
	return out
}

// put stores u in its slot, replacing what was there. fresh is true when
// the slot is known to be empty (during a build), which skips the removal
// of old values.
func (st *state) put(u *roster.User, fresh bool) error {
	if u.ID <= 0 || u.ID > math.MaxUint32-1 {
		return fmt.Errorf("index: user id %d out of range", u.ID)
	}
	slot := uint32(u.ID)
	st.grow(slot)
	present := !fresh && st.alive.Contains(slot)
	var oldTexts []string
	if present {
		oldTexts = st.searchTexts(slot, nil)
	}
	st.pubs[slot] = u.PublicID
	st.acc[slot] = accInOf(u)
	counts := st.putActivity(slot, u.ActivityDays)
	var rec []string
	if len(st.arenaKey) > 0 {
		rec = make([]string, len(st.arenaKey))
	}
	for i, f := range st.reg.Fields {
		v := st.getters[i](u)
		switch query.KindOf(f) {
		case query.KindOrdered:
			x := query.OrderedOf(f, v)
			if i := activityCount(f.Key); i >= 0 && f.Builtin {
				x = counts[i] // at the index's day, not the store's
			}
			if st.building {
				st.ordered[f.Key].vals[slot] = x // rebucket files it
				continue
			}
			st.ordered[f.Key].set(slot, x, present)
		case query.KindExact:
			if c := st.dicts[f.Key]; c != nil {
				s, _ := v.(string)
				st.setDict(c, slot, s, present)
			}
		case query.KindSet:
			vals, _ := v.([]string)
			folded := make([]string, 0, len(vals))
			for _, m := range vals {
				if fm := query.Fold(m); fm != "" && !slices.Contains(folded, fm) {
					folded = append(folded, fm)
				}
			}
			var old []string
			if present {
				old = st.members(f.Key, slot)
			}
			st.sets[f.Key].set(slot, old, folded)
		case query.KindPresence:
			setBit(st.presence[f.Key], slot, !roster.IsEmpty(v))
		case query.KindText:
			s, _ := v.(string)
			if b := st.presence[f.Key]; b != nil {
				setBit(b, slot, s != "")
			} else if c := st.dicts[f.Key]; c != nil {
				st.setDict(c, slot, query.FoldValue(f, s), present)
			} else if i, ok := st.arenaIdx[f.Key]; ok {
				rec[i] = query.FoldValue(f, s)
			}
			if tb := st.textSort[f.Key]; tb != nil && present {
				tb.remove(slot)
			}
		}
	}
	if rec != nil {
		st.arena.put(slot, rec)
	}
	newTexts := st.searchTexts(slot, nil)
	st.gramBuf = gramList(newTexts, st.gramBuf)
	switch {
	case st.building:
		if present {
			st.grams.remove(slot, gramList(oldTexts, nil))
		}
		st.pending.add(&st.grams, slot, st.gramBuf)
	case present:
		// Only the trigrams that changed: a user whose texts did not
		// (a status set by a bulk invite) touches no bitmap.
		gone, came := gramDiff(gramList(oldTexts, nil), st.gramBuf)
		st.grams.remove(slot, gone)
		st.grams.add(slot, came)
	default:
		st.grams.add(slot, st.gramBuf)
	}
	st.alive.Add(slot)
	for key, tb := range st.textSort {
		if f, ok := st.reg.Field(key); ok {
			tb.add(slot, st.sortText(f, slot))
		}
	}
	return nil
}

// setDict sets slot's value in a dictionary column; during a build only
// the code is recorded and finishBuild files the slots into bitmaps.
func (st *state) setDict(c *dictCol, slot uint32, v string, present bool) {
	if st.building {
		c.codes[slot] = c.code(v)
		return
	}
	c.set(slot, v, present)
}

// members returns the folded members slot has in set field key.
func (st *state) members(key string, slot uint32) []string {
	c := st.sets[key]
	if !c.any.Contains(slot) {
		return nil
	}
	var out []string
	for m, b := range c.members {
		if b.Contains(slot) {
			out = append(out, m)
		}
	}
	return out
}

// drop removes slot entirely (a deleted user).
func (st *state) drop(slot uint32) {
	if int(slot) >= st.n || !st.alive.Contains(slot) {
		return
	}
	st.grams.remove(slot, gramList(st.searchTexts(slot, nil), nil))
	for _, c := range st.ordered {
		c.remove(slot)
	}
	for _, c := range st.dicts {
		c.remove(slot)
	}
	for key, c := range st.sets {
		c.set(slot, st.members(key, slot), nil)
	}
	for _, b := range st.presence {
		b.Remove(slot)
	}
	for _, tb := range st.textSort {
		tb.remove(slot)
	}
	st.arena.drop(slot)
	st.pubs[slot] = ""
	st.acc[slot] = accIn{}
	delete(st.act, slot)
	st.alive.Remove(slot)
}

func setBit(b *roaring.Bitmap, slot uint32, on bool) {
	if on {
		b.Add(slot)
	} else {
		b.Remove(slot)
	}
}

// ErrNotReady is returned by Search before the first build finished: the
// client may retry (HTTP 503).
var ErrNotReady = roster.Errorf(roster.EUNAVAILABLE, "The search index is still being built; retry in a few seconds.")

// Ready reports whether the index has been built.
func (ix *Index) Ready() bool { return ix.ready.Load() }

// Build reads every user from the store into a fresh state and swaps it in,
// then applies the changes made while it read. Reading (the database and
// decoding) and indexing run on two goroutines.
func (ix *Index) Build(ctx context.Context) error {
	start := time.Now()
	seq, err := ix.Changes.LastChange(ctx)
	if err != nil {
		return err
	}
	reg, err := ix.Fields.Registry(ctx)
	if err != nil {
		return err
	}
	maxID, err := ix.Users.LastUserID(ctx)
	if err != nil {
		return err
	}
	st := newState(reg)
	st.actDay = roster.DayOf(ix.now())
	st.reserve(int(maxID) + 1)
	st.building = true
	// Most of what a build allocates is garbage at once (decoded users);
	// collecting less often while it runs saves a good part of its time.
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	st.pending.lists = map[uint64][]uint32{}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan []*roster.User, 4)
	scanErr := make(chan error, 1)
	go func() {
		defer close(batches)
		batch := make([]*roster.User, 0, 1000)
		err := ix.Users.ScanUsers(ctx, 0, 5000, func(u *roster.User) error {
			batch = append(batch, u)
			if len(batch) == cap(batch) {
				select {
				case batches <- batch:
				case <-ctx.Done():
					return ctx.Err()
				}
				batch = make([]*roster.User, 0, 1000)
			}
			return nil
		})
		if err == nil && len(batch) > 0 {
			batches <- batch
		}
		scanErr <- err
	}()
	var count int
	lastLog := time.Now()
	for batch := range batches {
		for _, u := range batch {
			if err := st.put(u, true); err != nil {
				cancel()
				for range batches {
				}
				return fmt.Errorf("build index: %w", err)
			}
		}
		count += len(batch)
		if time.Since(lastLog) > 2*time.Second {
			ix.logger().Info("building index", "users", count, "of_about", maxID, "elapsed", time.Since(start).Round(time.Millisecond))
			lastLog = time.Now()
		}
	}
	if err := <-scanErr; err != nil {
		return fmt.Errorf("build index: %w", err)
	}
	st.finishBuild()
	ix.mu.Lock()
	ix.st = st
	ix.mu.Unlock()
	ix.seq.Store(seq)
	if err := ix.CatchUp(ctx); err != nil {
		return err
	}
	ix.ready.Store(true)
	// The build leaves a lot of garbage (decoded users, posting lists);
	// give it back now rather than carry it as resident memory.
	runtime.GC()
	debug.FreeOSMemory()
	ix.built.Store(int64(time.Since(start)))
	ix.logger().Info("index built", "users", count, "duration", time.Since(start).Round(time.Millisecond))
	return nil
}

// Stats returns how many users the index holds and how long its last
// build took; zeros before the first build.
func (ix *Index) Stats() (users int, build time.Duration) {
	ix.mu.RLock()
	if ix.st != nil {
		users = int(ix.st.alive.GetCardinality())
	}
	ix.mu.RUnlock()
	return users, time.Duration(ix.built.Load())
}

// finishBuild files what a build batched: the last postings, the buckets
// of ordered columns, and compact copies of the bitmaps.
func (st *state) finishBuild() {
	st.pending.flush(&st.grams)
	st.pending = pendingGrams{}
	st.building = false
	st.grams.compact()
	for _, c := range st.dicts {
		lists := make([][]uint32, len(c.sets))
		it := st.alive.Iterator()
		for it.HasNext() {
			s := it.Next()
			lists[c.codes[s]] = append(lists[c.codes[s]], s)
		}
		for i, l := range lists {
			b := roaring.New()
			b.AddMany(l)
			b.RunOptimize()
			c.sets[i] = b
		}
	}
	for _, c := range st.sets {
		for k, b := range c.members {
			b.RunOptimize()
			c.members[k] = b.Clone()
		}
		c.any.RunOptimize()
	}
	st.rebucket()
}

// rebucket chooses bucket bounds for every ordered column from its values
// and fills the buckets; done once after a build, when all values are known.
func (st *state) rebucket() {
	for _, c := range st.ordered {
		var sample []float64
		step := max(1, st.n/65536)
		for slot := 0; slot < st.n; slot += step {
			if v := c.vals[slot]; !math.IsInf(v, -1) && st.alive.Contains(uint32(slot)) {
				sample = append(sample, v)
			}
		}
		c.bk = newBuckets(sample, int(st.alive.GetCardinality()))
		lists := make([][]uint32, len(c.bk.sets))
		it := st.alive.Iterator()
		for it.HasNext() {
			slot := it.Next()
			b := c.bucket(c.vals[slot])
			lists[b] = append(lists[b], slot)
		}
		for i, l := range lists {
			c.bk.sets[i].AddMany(l)
			c.bk.sets[i].RunOptimize()
		}
	}
}

func (ix *Index) logger() *slog.Logger {
	if ix.Logger == nil {
		return slog.Default()
	}
	return ix.Logger
}

// Refresh reloads the given users from the store; the store calls it after
// each commit so that a write is visible to the next search on this node.
// seqs are the commit's change log entries, which CatchUp then skips.
func (ix *Index) Refresh(ctx context.Context, ids, seqs []int64) error {
	if !ix.ready.Load() {
		return nil // Build's catch-up will see these changes
	}
	if err := ix.reload(ctx, ids); err != nil {
		return err
	}
	ix.markApplied(seqs)
	return nil
}

// markApplied notes seqs as applied already, unless CatchUp passed them.
func (ix *Index) markApplied(seqs []int64) {
	ix.appliedMu.Lock()
	defer ix.appliedMu.Unlock()
	if ix.applied == nil {
		ix.applied = map[int64]struct{}{}
	}
	done := ix.seq.Load()
	for _, s := range seqs {
		if s > done && len(ix.applied) < maxApplied {
			ix.applied[s] = struct{}{}
		}
	}
}

// takeApplied reports whether seq was applied by Refresh, and forgets it.
func (ix *Index) takeApplied(seq int64) bool {
	ix.appliedMu.Lock()
	defer ix.appliedMu.Unlock()
	_, ok := ix.applied[seq]
	delete(ix.applied, seq)
	return ok
}

// pruneApplied forgets the applied seqs up to seq, which CatchUp passed
// while Refresh was noting them.
func (ix *Index) pruneApplied(seq int64) {
	ix.appliedMu.Lock()
	defer ix.appliedMu.Unlock()
	for s := range ix.applied {
		if s <= seq {
			delete(ix.applied, s)
		}
	}
}

// reload reads users by id and puts them in place; ids the store no longer
// has are dropped.
func (ix *Index) reload(ctx context.Context, ids []int64) error {
	reg, err := ix.Fields.Registry(ctx)
	if err != nil {
		return err
	}
	users, err := ix.Users.FindUsersByIDs(ctx, ids)
	if err != nil {
		return err
	}
	return ix.withState(func(st *state) error {
		st.syncFields(reg)
		found := make(map[int64]bool, len(users))
		for _, u := range users {
			found[u.ID] = true
			if err := st.put(u, false); err != nil {
				return err
			}
		}
		for _, id := range ids {
			if !found[id] && id > 0 && id < math.MaxUint32 {
				st.drop(uint32(id))
			}
		}
		return nil
	})
}

// CatchUp applies every change logged since the last one applied.
//
// On PostgreSQL a transaction can commit after one that took a later seq,
// so a seq skipped over may still appear. Skipped seqs are watched for a
// while (sequences also have holes from rolled-back transactions, which
// never fill): until then the position read from stays before the oldest
// of them, and the changes after it are read again, which is harmless
// because applying a change reloads the user.
func (ix *Index) CatchUp(ctx context.Context) error {
	ix.followMu.Lock()
	defer ix.followMu.Unlock()
	for {
		from := ix.seq.Load()
		changes, err := ix.Changes.ChangesSince(ctx, from, 5000)
		if err != nil {
			return err
		}
		if len(changes) == 0 {
			ix.expireGaps(from)
			ix.pruneApplied(from)
			return nil
		}
		// A user with any full change is reloaded whole; one whose tags or
		// groups alone changed gets only those reloaded.
		full := map[int64]bool{}
		var order []int64 // users in the order of their first change
		for _, c := range changes {
			if ix.takeApplied(c.Seq) {
				continue
			}
			if _, ok := full[c.UserID]; !ok {
				order = append(order, c.UserID)
				full[c.UserID] = false
			}
			if c.Kind != roster.ChangeRefs {
				full[c.UserID] = true
			}
		}
		ids := make([]int64, 0, len(order))
		var refs []int64
		for _, id := range order {
			if full[id] {
				ids = append(ids, id)
			} else {
				refs = append(refs, id)
			}
		}
		if err := ix.reload(ctx, ids); err != nil {
			return err
		}
		if err := ix.reloadRefs(ctx, refs); err != nil {
			return err
		}
		ix.noteGaps(from, changes)
		next := ix.expireGaps(changes[len(changes)-1].Seq)
		ix.seq.Store(next)
		if len(changes) < 5000 || next == from {
			return nil
		}
	}
}

// noteGaps records the seqs missing between from and the changes read.
func (ix *Index) noteGaps(from int64, changes []roster.UserChange) {
	if ix.missing == nil {
		ix.missing = map[int64]time.Time{}
	}
	now := time.Now()
	prev := from
	for _, c := range changes {
		for s := prev + 1; s < c.Seq && s > c.Seq-1000; s++ {
			if _, ok := ix.missing[s]; !ok {
				ix.missing[s] = now
			}
		}
		delete(ix.missing, c.Seq)
		prev = max(prev, c.Seq)
	}
}

// expireGaps forgets gaps watched long enough and returns the position to
// read from next: last, or just before the oldest gap still watched.
func (ix *Index) expireGaps(last int64) int64 {
	now := time.Now()
	next := last
	for s, t := range ix.missing {
		if now.Sub(t) > gapWait {
			delete(ix.missing, s)
		} else if s-1 < next {
			next = s - 1
		}
	}
	return next
}

// gapWait is how long a skipped seq may take to commit.
const gapWait = 5 * time.Second

// Follow applies the change log every interval until ctx ends: how writes
// made by other nodes reach this one.
func (ix *Index) Follow(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := ix.CatchUp(ctx); err != nil && ctx.Err() == nil {
				ix.logger().Error("follow change log", "err", err)
			}
		}
	}
}

// withState runs fn on the index's state under the write lock; before
// the first build there is none, and nothing to do.
func (ix *Index) withState(fn func(st *state) error) error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.st == nil {
		return nil
	}
	return fn(ix.st)
}
