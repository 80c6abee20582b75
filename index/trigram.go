package index

import (
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

// gramSet returns the distinct trigrams of the texts, which do not span
// from one field into the next.
func gramSet(texts []string) map[uint64]struct{} {
	set := map[uint64]struct{}{}
	for _, t := range texts {
		grams(t, func(g uint64) { set[g] = struct{}{} })
	}
	return set
}

func (t *trigrams) add(slot uint32, set map[uint64]struct{}) {
	for g := range set {
		b := t.m[g]
		if b == nil {
			b = roaring.New()
			t.m[g] = b
		}
		b.Add(slot)
	}
}

func (t *trigrams) remove(slot uint32, set map[uint64]struct{}) {
	for g := range set {
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
