package ledger

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// Ranges behave as a set of bytes: checked against a bitmap over random
// operations.
func TestRangesMatchASetOfBytes(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		var rs Ranges
		var set [64]bool
		for range rng.IntN(8) + 1 {
			lo := rng.Int64N(63)
			r := Range{Lo: lo, Hi: lo + 1 + rng.Int64N(63-lo)}
			q := Range{Lo: rng.Int64N(32), Hi: 32 + rng.Int64N(32)}
			var want []int64
			for b := q.Lo; b < q.Hi; b++ {
				if !set[b] {
					want = append(want, b)
				}
			}
			var got []int64
			for _, m := range rs.Minus(q) {
				for b := m.Lo; b < m.Hi; b++ {
					got = append(got, b)
				}
			}
			if !slices.Equal(got, want) {
				t.Fatalf("%v minus %v = bytes %v, want %v", rs, q, got, want)
			}
			rs = rs.Plus(r)
			for b := r.Lo; b < r.Hi; b++ {
				set[b] = true
			}
			for i := 1; i < len(rs); i++ {
				if rs[i-1].Hi >= rs[i].Lo {
					t.Fatalf("%v: not sorted, disjoint and merged", rs)
				}
			}
			for b := range int64(64) {
				if rs.HoldsRowEnding(b+1) != set[b] {
					t.Fatalf("%v: byte %d held = %v, want %v", rs, b, !set[b], set[b])
				}
			}
		}
	}
}
