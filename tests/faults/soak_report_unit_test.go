package faults

import (
	"math"
	"strings"
	"testing"
	"time"
)

// The soak's leak judgement on made-up samples: it must flag a steady
// climb, pass noise, and never compare across a restart.
func TestSoakGrowthJudgement(t *testing.T) {
	at := time.Unix(0, 0)
	mk := func(pid int, goroutines ...float64) []sample {
		var out []sample
		for _, g := range goroutines {
			at = at.Add(time.Second)
			out = append(out, sample{at: at, pid: pid, rss: 20 << 20, fds: 12, goroutines: g})
		}
		return out
	}
	flat := func(n int, v float64) []float64 {
		out := make([]float64, n)
		for i := range out {
			out[i] = v + float64(i%3) // noise of a couple of goroutines
		}
		return out
	}
	climb := make([]float64, 40)
	for i := range climb {
		climb[i] = 20 + float64(i)
	}
	goroutines := gauges[2]
	tests := []struct {
		name       string
		give       []sample
		wantLeaks  int
		wantJudged int
	}{
		{"flat with noise", mk(1, flat(40, 20)...), 0, 1},
		{"a goroutine per sample", mk(1, climb...), 1, 1},
		{"restart comes back higher", append(mk(1, flat(30, 20)...), mk(2, flat(30, 60)...)...), 0, 2},
		{"too short to judge", mk(1, climb[:12]...), 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &series{target: target{name: "svc"}, samples: tt.give}
			leaks, judged := growth(s, goroutines)
			if len(leaks) != tt.wantLeaks || judged != tt.wantJudged {
				t.Errorf("growth = %q, judged %d; want %d leaks, %d judged", leaks, judged, tt.wantLeaks, tt.wantJudged)
			}
			for _, l := range leaks {
				if !strings.Contains(l, "goroutines grew") {
					t.Errorf("leak line %q does not say what grew", l)
				}
			}
		})
	}
}

// A restarted process's histogram starts from zero: its first scrape
// counts whole, later ones by difference.
func TestSoakHistogramAcrossRestarts(t *testing.T) {
	bounds := []float64{0.1, 1, math.Inf(1)}
	var h histAcc
	h.add(1, bounds, []float64{1, 3, 5})
	h.add(1, bounds, []float64{2, 5, 8})
	h.add(2, bounds, []float64{1, 1, 2})
	if got, want := h.total, []float64{3, 6, 10}; !equal(got, want) {
		t.Fatalf("totals %v, want %v", got, want)
	}
	// The 5th of 10 observations falls in (0.1, 1], 2 of the 3 there.
	if got := h.quantile(0.5); math.Abs(got-0.7) > 1e-9 {
		t.Errorf("p50 = %v, want 0.7", got)
	}
	if got := h.quantile(0.99); got != 1 {
		t.Errorf("p99 = %v, want 1 (the last finite bound)", got)
	}
}

func equal(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
