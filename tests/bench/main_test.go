package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/tributary-dev/tributary/shared/contract"
	"github.com/tributary-dev/tributary/shared/testkit/pgtest"
)

// TestBenchSmoke runs a tiny configuration of the bench end to end (build,
// generator, v4 ids, COPY baselines, the pipeline as child processes, a
// backlog, a sweep, a latency run, table, JSON, charts) to keep it working.
// It checks what was measured is complete and consistent, never how fast
// anything was.
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
		"-runs", "copy,pipeline,backlog,sweep,latency",
		"-rows", "6000", "-rows-per-file", "1000", "-copy-conns", "1,2", "-repeat", "2",
		"-backlog-files", "40", "-backlog-rows-per-file", "10", "-sweep-rows", "6000", "-sweep-rows-per-file", "100,1000",
		"-latency-rate", "1000", "-latency-rows-per-file", "100", "-latency-duration", "2s",
		"-bin", filepath.Join(dir, "bin"), "-results", filepath.Join(dir, "results"), "-timeout", "2m",
	}, &out)
	t.Log("\n" + out.String())
	if err != nil {
		t.Fatalf("bench: %v", err)
	}
	if len(r.Sets) != 5 {
		t.Fatalf("sets = %d, want the main one, the backlog landed at once and waiting, and two sweep sizes", len(r.Sets))
	}
	main := r.Sets[0]
	if main.Kind != setMain || len(main.Copy) != 4 || len(main.copyShown) != 2 {
		t.Errorf("%s set: COPY runs = %d shown as %d, want 4 runs (2 repeats of 2) shown as 2", main.Kind, len(main.Copy), len(main.copyShown))
	}
	var cpu float64
	for _, s := range r.Sets {
		if s.Dataset.IDs != idsV4 {
			t.Errorf("%s set has %s ids, want the default v4", s.Kind, s.Dataset.IDs)
		}
		copies := 4
		if s.Kind == setWaiting {
			copies = 0 // the backlog set's baselines are of the same files
		}
		if len(s.Pipeline) != 2 || len(s.Copy) != copies {
			t.Errorf("%s set: %d pipeline and %d COPY runs, want 2 and %d (2 repeats)", s.Kind, len(s.Pipeline), len(s.Copy), copies)
		}
		// /proc counts CPU in ticks of 10 ms, which a process of these tiny
		// runs may not reach: every process must be measured, and the runs
		// as a whole must have used some.
		for _, c := range s.Copy {
			cpu += c.CPU.total()
			if c.Rows != s.Dataset.Rows || c.Files != s.Dataset.Files || c.RowsPerSec <= 0 || c.FilesPerSec <= 0 || !measured(c.CPU, roleBackends, roleBench) {
				t.Errorf("%s set, %s: %d rows in %d files at %.0f rows/s, %.0f files/s, CPU %v; want %d rows in %d files, the backends and the bench measured",
					s.Kind, c.Name, c.Rows, c.Files, c.RowsPerSec, c.FilesPerSec, c.CPU, s.Dataset.Rows, s.Dataset.Files)
			}
		}
		for _, p := range s.Pipeline {
			if p.Rows != s.Dataset.Rows || p.Latency.N != s.Dataset.Files || p.FilesPerSec <= 0 {
				t.Errorf("%s: %d rows, %d latencies, %.0f files/s; want %d rows, %d files", p.Name, p.Rows, p.Latency.N, p.FilesPerSec, s.Dataset.Rows, s.Dataset.Files)
			}
			cpu += p.CPU.total()
			if !measured(p.CPU, roleLoaders, roleWatcher, roleNATS, roleBackends, roleBackground, roleBench) {
				t.Errorf("%s: CPU while loading = %v, want every process measured", p.Name, p.CPU)
			}
		}
		if (copies > 0 && s.Summary.VsSingleCopy <= 0) || s.Summary.FilesPerSec <= 0 || !measured(s.Summary.CPUPerMillion, roleLoaders, roleBackends) {
			t.Errorf("%s set summary = %+v, want ratios, files/s and CPU per million rows", s.Kind, s.Summary)
		}
	}
	if cpu <= 0 {
		t.Error("no CPU measured in any run")
	}
	if p := main.Pipeline[0]; p.Messages != 6 {
		t.Errorf("%s: %d messages, want 6", p.Name, p.Messages)
	}
	if b := r.Sets[1]; b.Kind != setBacklog || b.Dataset.Files != 40 || b.Dataset.RowsPerFile != 10 {
		t.Errorf("backlog set = %s of %d files of %d rows, want 40 files of 10", b.Kind, b.Dataset.Files, b.Dataset.RowsPerFile)
	}
	if w := r.Sets[2]; w.Kind != setWaiting || w.Dataset != r.Sets[1].Dataset {
		t.Errorf("third set = %s, want the backlog's files waiting at start", w.Kind)
	}
	for _, want := range []string{"pipeline / single COPY, v4 ids", "backlog of 40 files of 10 rows landed at once", "backlog of 40 files of 10 rows waiting when the services start", "sweep, v4 ids", "other cores"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("no %q in the output", want)
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
	checkV4Dataset(ctx, t, filepath.Join(dir, "bin"))
	if r.Machine.NATS.SyncInterval != "always" {
		t.Errorf("NATS ran with sync_interval %q, want the shipped always", r.Machine.NATS.SyncInterval)
	}
	for _, ext := range []string{"[0-9]Z.json", "[0-9]Z.svg", "-sweep.svg"} {
		matches, _ := filepath.Glob(filepath.Join(dir, "results", "bench-*"+ext))
		if len(matches) != 1 {
			t.Errorf("want one %s result, found %v", ext, matches)
		} else if fi, err := os.Stat(matches[0]); err != nil || fi.Size() == 0 {
			t.Errorf("%s is empty", matches[0])
		}
	}
}

// checkV4Dataset generates a dataset with v4 ids from the built generator:
// every row must still be one the contract accepts, under a v4 id of its
// own.
func checkV4Dataset(ctx context.Context, t *testing.T, bin string) {
	t.Helper()
	ds, err := generate(ctx, bin, t.TempDir(), 30, 10, idsV4)
	if err != nil {
		t.Fatalf("generate v4 dataset: %v", err)
	}
	seen := map[string]bool{}
	for _, path := range ds.Paths() {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		records, err := csv.NewReader(f).ReadAll()
		f.Close()
		if err != nil || len(records) != 11 || !contract.MatchesHeader(records[0]) {
			t.Fatalf("%s: %d records (%v), want the header and 10 rows", path, len(records), err)
		}
		for _, rec := range records[1:] {
			e, err := contract.Parse(rec)
			if err != nil || e.ID[14] != '4' || seen[e.ID] {
				t.Errorf("%s: row %q (%v): want a valid row with a v4 id of its own", path, rec, err)
			}
			seen[e.ID] = true
		}
	}
	if len(seen) != 30 {
		t.Errorf("%d distinct ids, want 30", len(seen))
	}
}

// measured says whether u has every role.
func measured(u CPUUse, roles ...string) bool {
	for _, r := range roles {
		if _, ok := u[r]; !ok {
			return false
		}
	}
	return true
}

// TestBenchFormats lands the same rows in every format and checks each run
// loaded the same table as plain CSV, and reported what each service cost.
func TestBenchFormats(t *testing.T) {
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
	r, err := run(ctx, []string{"-runs", "formats", "-rows", "3000", "-rows-per-file", "1000", "-repeat", "2",
		"-bin", filepath.Join(dir, "bin"), "-results", filepath.Join(dir, "results"), "-timeout", "2m"}, &out)
	t.Log("\n" + out.String())
	if err != nil {
		t.Fatalf("bench: %v", err)
	}
	if len(r.Formats) != len(allFormats) {
		t.Fatalf("%d formats runs, want %d", len(r.Formats), len(allFormats))
	}
	for i, f := range r.Formats {
		if f.Format != allFormats[i] || f.Table != r.Formats[0].Table || f.Table.Rows != 3000 || f.Pipeline.Files != 3 || len(f.Rates) != 2 {
			t.Errorf("run %d: %s loaded %+v from %d files (%d runs), want %s, 3,000 rows and the CSV's %+v in each of 2 runs", i, f.Format, f.Table,
				f.Pipeline.Files, len(f.Rates), allFormats[i], r.Formats[0].Table)
		}
		for _, s := range f.Pipeline.Services {
			if s.PeakRSSMB <= 0 || s.CPUSeconds <= 0 {
				t.Errorf("%s: %s has no peak RSS or CPU: %+v", f.Format, s.Name, s)
			}
		}
	}
	if !strings.Contains(out.String(), "formats: the same rows landed in each format") {
		t.Errorf("no formats table in:\n%s", out.String())
	}
}
