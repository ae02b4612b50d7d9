package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/tributary-dev/tributary/shared/testkit/pgtest"
)

// TestBenchSmoke runs a tiny configuration of the bench end to end (build,
// generator, COPY baselines, the pipeline as child processes, a latency
// run, table, JSON, chart) to keep it working. It checks what was measured
// is complete and consistent, never how fast anything was.
func TestBenchSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("builds binaries and runs the pipeline; skipped with -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, pgtest.AdminURL())
	if err != nil {
		pgtest.Unavailable(t, err)
	}
	conn.Close(ctx)

	dir := t.TempDir()
	var out bytes.Buffer
	r, err := run(ctx, []string{
		"-rows", "6000", "-rows-per-file", "1000", "-copy-conns", "1,2", "-repeat", "2",
		"-latency-rate", "1000", "-latency-rows-per-file", "100", "-latency-duration", "2s",
		"-bin", filepath.Join(dir, "bin"), "-results", filepath.Join(dir, "results"), "-timeout", "2m",
	}, &out)
	t.Log("\n" + out.String())
	if err != nil {
		t.Fatalf("bench: %v", err)
	}
	if len(r.Copy) != 4 || len(r.copyShown) != 2 {
		t.Errorf("COPY runs = %d shown as %d, want 4 runs (2 repeats of 2) shown as 2", len(r.Copy), len(r.copyShown))
	}
	for _, c := range r.Copy {
		if c.Rows != 6000 || c.RowsPerSec <= 0 {
			t.Errorf("%s: %d rows at %.0f rows/s, want 6000", c.Name, c.Rows, c.RowsPerSec)
		}
	}
	if len(r.Pipeline) != 2 {
		t.Fatalf("pipeline runs = %d, want 2", len(r.Pipeline))
	}
	for _, p := range r.Pipeline {
		if p.Rows != 6000 || p.Messages != 6 || p.Latency.N != 6 {
			t.Errorf("%s: %d rows in %d messages (%d latencies), want 6000 in 6", p.Name, p.Rows, p.Messages, p.Latency.N)
		}
	}
	if r.Latency == nil || r.Latency.Latency.N != 20 || r.Latency.Latency.P50 <= 0 || r.Latency.Latency.P99 < r.Latency.Latency.P50 {
		t.Errorf("latency run = %+v, want 20 files with ordered percentiles", r.Latency)
	}
	for _, p := range r.pipelines() {
		for _, s := range p.Services {
			if s.Exit != "ok" || s.PeakRSSMB <= 0 || s.CPUSeconds <= 0 || (s.Name != "generator" && s.StartupMS <= 0) {
				t.Errorf("%s: %+v, want a clean exit with start-up time, RSS and CPU", p.Name, s)
			}
		}
	}
	if r.Machine.NATS.SyncInterval != "always" {
		t.Errorf("NATS ran with sync_interval %q, want the shipped always", r.Machine.NATS.SyncInterval)
	}
	if r.Summary.VsSingleCopy <= 0 || !strings.Contains(out.String(), "pipeline / single COPY") {
		t.Errorf("no ratio to the single COPY in the table")
	}
	for _, ext := range []string{".json", ".svg"} {
		matches, _ := filepath.Glob(filepath.Join(dir, "results", "bench-*"+ext))
		if len(matches) != 1 {
			t.Errorf("want one %s result, found %v", ext, matches)
		} else if fi, err := os.Stat(matches[0]); err != nil || fi.Size() == 0 {
			t.Errorf("%s is empty", matches[0])
		}
	}
}
