package main

import (
	"cmp"
	"math"
	"slices"
	"time"
)

// event is a number of rows committed at a moment of a run.
type event struct {
	at   time.Duration // since the run's start
	rows int64
}

// Point is the throughput at a moment of a run.
type Point struct {
	T          float64 `json:"t_seconds"`
	RowsPerSec float64 `json:"rows_per_second"` // over the window ending at T
}

// series samples throughput at 100 moments of a run, each over a sliding
// window of a tenth of the run (at least half a second): commits come in
// batches, and a narrower window shows the batching rather than the rate.
func series(events []event, total time.Duration) []Point {
	const samples = 100
	window := max(500*time.Millisecond, total/10)
	s := slices.Clone(events)
	slices.SortFunc(s, func(a, b event) int { return cmp.Compare(a.at, b.at) })
	cum := make([]int64, len(s)+1) // cum[i]: rows of the first i events
	for i, e := range s {
		cum[i+1] = cum[i] + e.rows
	}
	upTo := func(t time.Duration) int64 { // rows committed at or before t
		i, _ := slices.BinarySearchFunc(s, t, func(e event, t time.Duration) int {
			if e.at <= t {
				return -1
			}
			return 1
		})
		return cum[i]
	}
	out := make([]Point, 0, samples+1)
	for i := 0; i <= samples; i++ {
		t := total * time.Duration(i) / samples
		rows := upTo(t) - upTo(t-window) // the first window ramps up from 0
		out = append(out, Point{T: t.Seconds(), RowsPerSec: float64(rows) / window.Seconds()})
	}
	return out
}

// Percentiles of a latency distribution, in milliseconds.
type Percentiles struct {
	N    int     `json:"n"`
	Mean float64 `json:"mean_ms"`
	P50  float64 `json:"p50_ms"`
	P90  float64 `json:"p90_ms"`
	P99  float64 `json:"p99_ms"`
	P999 float64 `json:"p99_9_ms"`
	Max  float64 `json:"max_ms"`
}

// percentiles uses the nearest-rank method: every figure is a latency that
// was measured, never an interpolation.
func percentiles(ds []time.Duration) Percentiles {
	if len(ds) == 0 {
		return Percentiles{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	rank := func(p float64) float64 {
		i := int(math.Ceil(p*float64(len(s)))) - 1
		return ms(s[min(max(i, 0), len(s)-1)])
	}
	var sum time.Duration
	for _, d := range s {
		sum += d
	}
	return Percentiles{N: len(s), Mean: ms(sum / time.Duration(len(s))), P50: rank(0.50), P90: rank(0.90),
		P99: rank(0.99), P999: rank(0.999), Max: ms(s[len(s)-1])}
}
