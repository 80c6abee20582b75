package index

import (
	"testing"
	"time"

	"github.com/RoaringBitmap/roaring/v2"

	"roster"
	"roster/query"
)

// TestAccessScanAllocations: filtering a million users by access is one
// pass without an allocation per user (what allocates is the result
// bitmap's containers and one buffer), and it agrees with the rule.
func TestAccessScanAllocations(t *testing.T) {
	const n = 1 << 20
	st := newState(roster.NewRegistry(nil))
	st.reserve(n)
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		st.acc[i] = accIn{ref: now.AddDate(0, 0, -(i % 900)).UnixMilli(), status: uint8(i % 4), confirmed: i%3 == 0}
	}
	st.alive.AddRange(0, n)
	p := roster.DefaultAccountPolicy()
	p.ConfirmationRequired = true
	rd := reader{st, p.Rule(now)}
	f, _ := st.reg.Field("access")
	pr := query.Pred{Field: f, Kind: query.KindAccess, Op: query.OpEq, Strs: []string{"active", "expired"}}
	var got *roaring.Bitmap
	start := time.Now()
	allocs := testing.AllocsPerRun(3, func() { got = rd.accessBits(pr, st.alive) })
	t.Logf("%d users: %.0f allocations, %v per scan", n, allocs, time.Since(start)/4)
	if allocs > 500 {
		t.Errorf("%.0f allocations for %d users: more than the result's containers", allocs, n)
	}
	want := 0
	for i := range n {
		in := st.acc[i]
		if s := rd.rule.State(accStatuses[in.status], in.confirmed, in.ref); s == roster.AccessActive || s == roster.AccessExpired {
			want++
			if !got.Contains(uint32(i)) {
				t.Fatalf("slot %d (%s) is missing", i, s)
			}
		}
	}
	if int(got.GetCardinality()) != want || want == 0 {
		t.Errorf("%d matched, want %d", got.GetCardinality(), want)
	}
}
