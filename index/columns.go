package index

import (
	"cmp"
	"encoding/binary"
	"math"
	"slices"
	"sort"

	"github.com/RoaringBitmap/roaring/v2"
)

// bucketSize is the number of users a range bucket aims to hold: small
// enough that checking a boundary bucket value by value is cheap, large
// enough that a range over many buckets is a handful of bitmap ORs.
const bucketSize = 8192

// buckets partitions the users by the value of one key into ordered
// buckets. Bucket 0 holds the users without a value; bucket i+1 holds the
// values v with bounds[i-1] < v <= bounds[i] (the last one everything above
// the last bound). Equal values always share a bucket, so a walk through the
// buckets in order, sorting each one, yields the total order.
type buckets[T cmp.Ordered] struct {
	bounds []T
	sets   []*roaring.Bitmap
}

// newBuckets picks bounds from the sorted sample of present values.
func newBuckets[T cmp.Ordered](sample []T, total int) *buckets[T] {
	slices.Sort(sample)
	n := max(1, min(1024, total/bucketSize))
	if len(sample) == 0 {
		n = 1 // no values yet (a field nobody has filled): one bucket
	}
	var bounds []T
	for i := 1; i < n; i++ {
		v := sample[i*len(sample)/n]
		if len(bounds) == 0 || v > bounds[len(bounds)-1] {
			bounds = append(bounds, v)
		}
	}
	b := &buckets[T]{bounds: bounds, sets: make([]*roaring.Bitmap, len(bounds)+2)}
	for i := range b.sets {
		b.sets[i] = roaring.New()
	}
	return b
}

// of returns the bucket of a present value.
func (b *buckets[T]) of(v T) int {
	return 1 + sort.Search(len(b.bounds), func(i int) bool { return b.bounds[i] >= v })
}

// span returns the values bucket i can hold: (lo, hi], open ends flagged.
func (b *buckets[T]) span(i int) (lo, hi T, loOpen, hiOpen bool) {
	if i <= 1 {
		loOpen = true
	} else {
		lo = b.bounds[i-2]
	}
	if i-1 >= len(b.bounds) {
		hiOpen = true
	} else {
		hi = b.bounds[i-1]
	}
	return
}

// orderedCol holds a KindOrdered field: the value of every slot (-Inf when
// empty) and buckets over the present values.
type orderedCol struct {
	vals []float64
	bk   *buckets[float64]
	// integral is true when every value is a whole number (all but custom
	// numbers): a bucket (lo, hi] then holds [lo+1, hi], which lets
	// ranges take whole buckets where they otherwise would check values.
	integral bool
}

func (c *orderedCol) grow(n int) {
	for len(c.vals) < n {
		c.vals = append(c.vals, math.Inf(-1))
	}
}

func (c *orderedCol) bucket(v float64) int {
	if math.IsInf(v, -1) {
		return 0
	}
	return c.bk.of(v)
}

func (c *orderedCol) set(slot uint32, v float64, present bool) {
	if present {
		old := c.vals[slot]
		if old == v || (math.IsNaN(old) && math.IsNaN(v)) {
			return
		}
		c.bk.sets[c.bucket(old)].Remove(slot)
	}
	c.vals[slot] = v
	c.bk.sets[c.bucket(v)].Add(slot)
}

func (c *orderedCol) remove(slot uint32) {
	c.bk.sets[c.bucket(c.vals[slot])].Remove(slot)
	c.vals[slot] = math.Inf(-1)
}

// dictCol holds a field with few distinct values (country, status, a city,
// a choice): a code per slot, and the slots of each value as a bitmap, so
// that equality is a lookup and sorting walks the values in order.
type dictCol struct {
	codes  []uint32
	values []string // code -> value; code 0 is ""
	index  map[string]uint32
	sets   []*roaring.Bitmap
	sorted []uint32 // codes in value order, kept up to date by code
}

func newDictCol() *dictCol {
	return &dictCol{values: []string{""}, index: map[string]uint32{"": 0}, sets: []*roaring.Bitmap{roaring.New()}, sorted: []uint32{0}}
}

func (c *dictCol) grow(n int) {
	for len(c.codes) < n {
		c.codes = append(c.codes, 0)
	}
}

func (c *dictCol) code(v string) uint32 {
	if k, ok := c.index[v]; ok {
		return k
	}
	k := uint32(len(c.values))
	c.values = append(c.values, v)
	c.index[v] = k
	c.sets = append(c.sets, roaring.New())
	// Searches read sorted under the read lock, so it is kept current here,
	// under the write lock, rather than rebuilt lazily.
	i, _ := slices.BinarySearchFunc(c.sorted, v, func(code uint32, v string) int { return cmp.Compare(c.values[code], v) })
	c.sorted = slices.Insert(c.sorted, i, k)
	return k
}

func (c *dictCol) set(slot uint32, v string, present bool) {
	k := c.code(v)
	if present {
		if c.codes[slot] == k {
			return
		}
		c.sets[c.codes[slot]].Remove(slot)
	}
	c.codes[slot] = k
	c.sets[k].Add(slot)
}

func (c *dictCol) remove(slot uint32) {
	c.sets[c.codes[slot]].Remove(slot)
	c.codes[slot] = 0
}

// order returns the codes sorted by value.
func (c *dictCol) order() []uint32 { return c.sorted }

// setCol holds a set field: the slots having each member.
type setCol struct {
	members map[string]*roaring.Bitmap
	any     *roaring.Bitmap // slots with at least one member
}

func newSetCol() *setCol { return &setCol{members: map[string]*roaring.Bitmap{}, any: roaring.New()} }

func (c *setCol) set(slot uint32, old, vals []string) {
	for _, v := range old {
		if !slices.Contains(vals, v) {
			if b := c.members[v]; b != nil {
				b.Remove(slot)
			}
		}
	}
	for _, v := range vals {
		b := c.members[v]
		if b == nil {
			b = roaring.New()
			c.members[v] = b
		}
		b.Add(slot)
	}
	if len(vals) > 0 {
		c.any.Add(slot)
	} else {
		c.any.Remove(slot)
	}
}

// arena stores the folded values of the high-cardinality text fields of
// every slot as one record: a uvarint length then the bytes, per field.
// Records live in large byte chunks that hold no pointers, so that the
// garbage collector does not scan millions of strings; a changed record is
// appended and the old one left as garbage until compact.
type arena struct {
	chunks  [][]byte
	refs    []uint64 // slot -> chunk<<32 | offset; 0 means no record
	garbage int
	used    int
}

const chunkSize = 32 << 20

func (a *arena) grow(n int) {
	for len(a.refs) < n {
		a.refs = append(a.refs, 0)
	}
}

// put stores the record of slot.
func (a *arena) put(slot uint32, fields []string) {
	if old := a.record(slot); old != nil {
		a.garbage += len(old)
	}
	size := 0
	for _, f := range fields {
		size += binary.MaxVarintLen32 + len(f)
	}
	if len(a.chunks) == 0 || len(a.chunks[len(a.chunks)-1])+size+binary.MaxVarintLen32 > cap(a.chunks[len(a.chunks)-1]) {
		a.chunks = append(a.chunks, make([]byte, 0, max(chunkSize, size*2)))
	}
	ci := len(a.chunks) - 1
	ch := a.chunks[ci]
	start := len(ch)
	body := 0
	for _, f := range fields {
		body += uvarintLen(uint64(len(f))) + len(f)
	}
	ch = binary.AppendUvarint(ch, uint64(body))
	for _, f := range fields {
		ch = binary.AppendUvarint(ch, uint64(len(f)))
		ch = append(ch, f...)
	}
	a.chunks[ci] = ch
	// Offset 0 of chunk 0 would read as "no record": offsets are stored +1.
	a.refs[slot] = uint64(ci)<<32 | uint64(start+1)
	a.used += len(ch) - start
}

func uvarintLen(x uint64) int {
	n := 1
	for x >= 0x80 {
		x >>= 7
		n++
	}
	return n
}

// record returns the body of slot's record, or nil.
func (a *arena) record(slot uint32) []byte {
	if int(slot) >= len(a.refs) || a.refs[slot] == 0 {
		return nil
	}
	ref := a.refs[slot]
	ch := a.chunks[ref>>32]
	off := int(ref&0xffffffff) - 1
	n, k := binary.Uvarint(ch[off:])
	return ch[off+k : off+k+int(n)]
}

func (a *arena) drop(slot uint32) {
	if r := a.record(slot); r != nil {
		a.garbage += len(r)
		a.refs[slot] = 0
	}
}

// field returns field i of a record ("" when the record is shorter: a field
// added after the record was written).
func field(rec []byte, i int) string {
	for j := 0; len(rec) > 0; j++ {
		n, k := binary.Uvarint(rec)
		rec = rec[k:]
		if j == i {
			return string(rec[:n])
		}
		rec = rec[n:]
	}
	return ""
}

// fieldBytes is field without copying, for substring checks.
func fieldBytes(rec []byte, i int) []byte {
	for j := 0; len(rec) > 0; j++ {
		n, k := binary.Uvarint(rec)
		rec = rec[k:]
		if j == i {
			return rec[:n]
		}
		rec = rec[n:]
	}
	return nil
}

// add puts slot in the bucket of v; the zero value (no value) goes to
// bucket 0.
func (b *buckets[T]) add(slot uint32, v T) {
	var zero T
	if v == zero {
		b.sets[0].Add(slot)
		return
	}
	b.sets[b.of(v)].Add(slot)
}

// remove takes slot out of whichever bucket holds it.
func (b *buckets[T]) remove(slot uint32) {
	for _, s := range b.sets {
		s.Remove(slot)
	}
}
