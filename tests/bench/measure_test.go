package main

import (
	"testing"
	"time"
)

func TestPercentilesAreMeasuredValues(t *testing.T) {
	var ds []time.Duration
	for i := 100; i >= 1; i-- {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	got := percentiles(ds)
	want := Percentiles{N: 100, Mean: 50.5, P50: 50, P90: 90, P99: 99, P999: 100, Max: 100}
	if got != want {
		t.Errorf("percentiles = %+v, want %+v", got, want)
	}
	if p := percentiles(nil); p.N != 0 {
		t.Errorf("no latencies: %+v", p)
	}
}

func TestMedianRunAndSeries(t *testing.T) {
	runs := []CopyRun{{Conns: 1, RowsPerSec: 3}, {Conns: 2, RowsPerSec: 10}, {Conns: 1, RowsPerSec: 1}, {Conns: 1, RowsPerSec: 2}, {Conns: 2, RowsPerSec: 20}}
	shown, rates := medianCopies(runs)
	if len(shown) != 2 || shown[0].RowsPerSec != 2 || shown[1].RowsPerSec != 10 {
		t.Errorf("medians = %+v, want 2 (of 3, 1, 2) and 10 (lower middle of 10, 20)", shown)
	}
	if len(rates[0]) != 3 || rates[0][0] != 3 {
		t.Errorf("rates = %v, want every run in run order", rates)
	}
	// 1,000 rows every 10 ms for 2 s: 100,000 rows/s once the window is full.
	var events []event
	for at := 10 * time.Millisecond; at <= 2*time.Second; at += 10 * time.Millisecond {
		events = append(events, event{at: at, rows: 1000})
	}
	pts := series(events, 2*time.Second)
	if last := pts[len(pts)-1]; last.T != 2 || last.RowsPerSec != 100_000 {
		t.Errorf("last point = %+v, want 100,000 rows/s at 2 s", last)
	}
}
