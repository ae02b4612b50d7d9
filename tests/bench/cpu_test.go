package main

import (
	"math"
	"testing"
	"time"
)

func TestUsageCountsEachRolesProcessesOverTheWindow(t *testing.T) {
	t0 := time.Unix(1000, 0)
	a := cpuSample{at: t0, machine: 100, procs: map[string]map[int]float64{
		roleLoaders:  {10: 1.0, 11: 2.0},
		roleBackends: {20: 5.0, 21: 7.0}, // 21 ends during the run
	}}
	b := cpuSample{at: t0.Add(10 * time.Second), machine: 120, procs: map[string]map[int]float64{
		roleLoaders:  {10: 3.5, 11: 2.5},
		roleBackends: {20: 9.0, 22: 1.5}, // 22 starts during the run: all of it counts
		roleBench:    {30: 0.5},
	}}
	u := usage(a, b)
	want := CPUUse{roleLoaders: 3.0, roleBackends: 5.5, roleBench: 0.5}
	if len(u) != len(want) {
		t.Fatalf("usage = %v, want %v", u, want)
	}
	for k, v := range want {
		if math.Abs(u[k]-v) > 1e-9 {
			t.Errorf("%s = %v, want %v", k, u[k], v)
		}
	}
	if pm := u.perMillion(500_000); math.Abs(pm[roleBackends]-11) > 1e-9 {
		t.Errorf("backends per million rows = %v, want 11", pm[roleBackends])
	}

	// 20 CPU-seconds in 10 s is 2 cores busy; the run used 9 s: 1.1 cores were others'.
	tests := []struct {
		name      string
		limit     float64
		contended bool
	}{
		{"above the limit", 0.3, true},
		{"under the limit", 1.5, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := contention(a, b, u, tt.limit)
			if math.Abs(got.Cores-2) > 1e-9 || math.Abs(got.Others-1.1) > 1e-9 || got.Contended != tt.contended {
				t.Errorf("contention = %+v, want 2 busy cores, 1.1 others', contended %v", got, tt.contended)
			}
		})
	}
	// The run's own processes are never others (rounding of /proc ticks
	// can make them look bigger than the machine).
	if got := contention(a, b, CPUUse{roleBackends: 25}, 0.3); got.Others != 0 || got.Contended {
		t.Errorf("contention = %+v, want no others", got)
	}
}
