package index

import (
	"slices"
	"unicode/utf8"

	"github.com/RoaringBitmap/roaring/v2"
)

// trigrams maps every three-rune sequence of the folded searchable text of
// the users to the slots that contain it. A word of three runes or more can
// only occur in a user whose text holds all of the word's trigrams, so
// intersecting their bitmaps gives a small candidate set that is then
// checked exactly.
type trigrams struct {
	m map[uint64]*roaring.Bitmap
}

// gramKey packs three runes (21 bits each) into one key.
func gramKey(a, b, c rune) uint64 {
	return uint64(a)<<42 | uint64(b)<<21 | uint64(c)
}

// grams calls fn for each trigram of s.
func grams(s string, fn func(uint64)) {
	var r0, r1 rune
	n := 0
	for _, r := range s {
		if n >= 2 {
			fn(gramKey(r0, r1, r))
		}
		r0, r1 = r1, r
		n++
	}
}

// gramList returns the distinct trigrams of the texts, sorted, reusing buf.
// Trigrams do not span from one field into the next.
func gramList(texts []string, buf []uint64) []uint64 {
	buf = buf[:0]
	for _, t := range texts {
		grams(t, func(g uint64) { buf = append(buf, g) })
	}
	slices.Sort(buf)
	return slices.Compact(buf)
}

// gramDiff returns the trigrams of old that new lacks and those of new
// that old lacks; both lists are sorted without repeats (gramList).
func gramDiff(old, new []uint64) (gone, came []uint64) {
	i, j := 0, 0
	for i < len(old) && j < len(new) {
		switch {
		case old[i] == new[j]:
			i++
			j++
		case old[i] < new[j]:
			gone = append(gone, old[i])
			i++
		default:
			came = append(came, new[j])
			j++
		}
	}
	return append(gone, old[i:]...), append(came, new[j:]...)
}

func (t *trigrams) add(slot uint32, set []uint64) {
	for _, g := range set {
		b := t.m[g]
		if b == nil {
			b = roaring.New()
			t.m[g] = b
		}
		b.Add(slot)
	}
}

func (t *trigrams) remove(slot uint32, set []uint64) {
	for _, g := range set {
		if b := t.m[g]; b != nil {
			b.Remove(slot)
			if b.IsEmpty() {
				delete(t.m, g)
			}
		}
	}
}

// candidates returns the slots that may contain word, or nil when word is
// too short to narrow anything down (fewer than three runes).
func (t *trigrams) candidates(word string) *roaring.Bitmap {
	if utf8.RuneCountInString(word) < 3 {
		return nil
	}
	var sets []*roaring.Bitmap
	missing := false
	grams(word, func(g uint64) {
		b := t.m[g]
		if b == nil {
			missing = true
			return
		}
		sets = append(sets, b)
	})
	if missing {
		return roaring.New()
	}
	return roaring.FastAnd(sets...)
}

// pendingGrams collects postings during a build, where slots arrive in
// increasing order: adding them a container (65,536 slots) at a time with
// AddMany is several times faster than one Add per posting.
type pendingGrams struct {
	hi    uint32 // slot>>16 of the postings held
	lists map[uint64][]uint32
}

func (p *pendingGrams) add(t *trigrams, slot uint32, set []uint64) {
	if slot>>16 != p.hi {
		p.flush(t)
		p.hi = slot >> 16
	}
	for _, g := range set {
		p.lists[g] = append(p.lists[g], slot)
	}
}

func (p *pendingGrams) flush(t *trigrams) {
	for g, list := range p.lists {
		if len(list) == 0 {
			continue
		}
		b := t.m[g]
		if b == nil {
			b = roaring.New()
			t.m[g] = b
		}
		b.AddMany(list)
		p.lists[g] = list[:0]
	}
}

// compact shrinks every bitmap to its contents once a build is done:
// appending leaves array containers with spare capacity.
func (t *trigrams) compact() {
	for g, b := range t.m {
		b.RunOptimize()
		t.m[g] = b.Clone()
	}
}
