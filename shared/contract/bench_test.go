package contract

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkReader reads rows shaped like the generator's, as the loader
// does for every row it loads.
func BenchmarkReader(b *testing.B) {
	var sb strings.Builder
	for i := range 10_000 {
		fmt.Fprintf(&sb, "0193a1b2-c3d4-7e5f-8a9b-%012d,2026-11-26 05:00:00.%06d,%s,%d,%d.%02d,%d,s-%x\n",
			i, i%1_000_000, []string{"view", "purchase"}[i%2], i%1000+1, i%999+1, i%100, i%5000+1, i*7919)
	}
	body := []byte(sb.String())
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		r := NewReader(body, 2)
		for {
			rec, ok := r.Next()
			if !ok {
				break
			}
			if rec.Err != nil {
				b.Fatal(rec.Err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*10_000), "ns/row")
}
