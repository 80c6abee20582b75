package index

import (
	"slices"
	"testing"
)

func TestGramDiff(t *testing.T) {
	for _, tt := range []struct{ old, new, gone, came []uint64 }{
		{nil, nil, nil, nil},
		{[]uint64{1, 2, 3}, []uint64{1, 2, 3}, nil, nil},
		{[]uint64{1, 2, 3}, nil, []uint64{1, 2, 3}, nil},
		{nil, []uint64{4, 5}, nil, []uint64{4, 5}},
		{[]uint64{1, 3, 5, 7}, []uint64{2, 3, 6, 7, 9}, []uint64{1, 5}, []uint64{2, 6, 9}},
	} {
		gone, came := gramDiff(tt.old, tt.new)
		if !slices.Equal(gone, tt.gone) || !slices.Equal(came, tt.came) {
			t.Errorf("gramDiff(%v, %v) = %v, %v; want %v, %v", tt.old, tt.new, gone, came, tt.gone, tt.came)
		}
	}
}
