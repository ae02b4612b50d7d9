package fxapp

import (
	"math"
	"os"
	"runtime/debug"
	"testing"
)

// restoreGC puts the runtime's collector settings back after a test.
func restoreGC(t *testing.T) {
	limit := debug.SetMemoryLimit(-1) // -1 reads it
	percent := debug.SetGCPercent(100)
	debug.SetGCPercent(percent)
	t.Cleanup(func() {
		debug.SetMemoryLimit(limit)
		debug.SetGCPercent(percent)
	})
}

func TestMemoryDefaultsApplyUnlessSet(t *testing.T) {
	tests := []struct {
		name        string
		env         map[string]string
		wantLimit   int64 // -1: left as it was
		wantPercent int   // -1: left as it was
	}{
		{"neither set", nil, defaultMemoryLimit, defaultGCPercent},
		{"GOGC set", map[string]string{"GOGC": "100"}, defaultMemoryLimit, -1},
		{"GOMEMLIMIT set", map[string]string{"GOMEMLIMIT": "1GiB"}, -1, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			restoreGC(t)
			for _, k := range []string{"GOGC", "GOMEMLIMIT"} {
				t.Setenv(k, tt.env[k]) // restored after the test
				if _, ok := tt.env[k]; !ok {
					os.Unsetenv(k)
				}
			}
			debug.SetMemoryLimit(math.MaxInt64)
			debug.SetGCPercent(123)
			limitMemory()
			limit, percent := debug.SetMemoryLimit(-1), debug.SetGCPercent(123)
			if want := tt.wantLimit; want == -1 && limit != math.MaxInt64 || want != -1 && limit != want {
				t.Errorf("memory limit %d, want %d (-1: unchanged)", limit, want)
			}
			if want := tt.wantPercent; want == -1 && percent != 123 || want != -1 && percent != want {
				t.Errorf("GC percent %d, want %d (-1: unchanged)", percent, want)
			}
		})
	}
}
