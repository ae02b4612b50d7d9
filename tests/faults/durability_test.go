package faults

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/tributary-dev/tributary/shared/datadir"
	"github.com/tributary-dev/tributary/tests/faults/cluster"
)

// BenchmarkDurability measures what JetStream's `sync_interval: always`
// (fsync before every ack) costs, on the same files and machine. Each
// iteration runs both settings back to back, so that a busy machine slows
// both alike:
//
//   - publish: the watcher alone publishes a landed backlog;
//   - pipeline: watcher and loader together take the backlog from input
//     to user_activity.
//
// Run it with `go tool task bench:durability` (DURABILITY_ROWS and
// DURABILITY_ROWS_PER_FILE size the backlog; COUNT repeats it).
func BenchmarkDurability(b *testing.B) {
	rows, perFile := envInt(b, "DURABILITY_ROWS", 200_000), envInt(b, "DURABILITY_ROWS_PER_FILE", 1000)
	files := generateOnce(b, rows/perFile, perFile)
	b.Run("publish", func(b *testing.B) {
		for range b.N {
			for _, sync := range []bool{true, false} {
				c := cluster.New(b, bin, cluster.Options{NATS: cluster.NATSOptions{SyncAlways: sync}})
				bytes := feedAll(b, c, files)
				time.Sleep(settleTime) // found by the start-up scan, not left for the next
				start := time.Now()
				c.Watcher(nil)
				waitFor(b, 10*time.Minute, func() bool { return countDir(c.Data.Path(datadir.Archive)) == len(files) })
				took := time.Since(start).Seconds()
				b.ReportMetric(float64(rows)/took, "rows/s-"+syncName(sync))
				b.ReportMetric(float64(bytes)/took/(1<<20), "MB/s-"+syncName(sync))
			}
		}
	})
	b.Run("pipeline", func(b *testing.B) {
		for range b.N {
			for _, sync := range []bool{true, false} {
				c := cluster.New(b, bin, cluster.Options{NATS: cluster.NATSOptions{SyncAlways: sync}})
				feedAll(b, c, files)
				time.Sleep(settleTime)
				start := time.Now()
				c.Watcher(nil)
				c.Loaders(1, nil)
				waitFor(b, 10*time.Minute, func() bool {
					var n int
					_ = c.Pool.QueryRow(context.Background(), "SELECT count(*) FROM user_activity").Scan(&n)
					return n == rows
				})
				b.ReportMetric(float64(rows)/time.Since(start).Seconds(), "rows/s-"+syncName(sync))
			}
		}
	})
}

func syncName(always bool) string {
	if always {
		return "sync-always"
	}
	return "sync-default"
}

// settleTime lets landed files pass the watcher's WATCHER_SETTLE (200ms in
// clusters), which a file found by a scan must be older than.
const settleTime = 300 * time.Millisecond

// generateOnce lands files of the generator into a directory shared by
// every run, so each mode works on the very same bytes.
func generateOnce(b *testing.B, files, perFile int) []string {
	b.Helper()
	dir := b.TempDir()
	g := cluster.NewProc("generator", filepath.Join(bin, "generator"), nil, []string{
		"DATA_DIR=" + dir, "GENERATOR_FILES=" + strconv.Itoa(files), "GENERATOR_ROWS_PER_FILE=" + strconv.Itoa(perFile),
		"GENERATOR_RATE=0", "GENERATOR_SEED=42", "LOG_LEVEL=warn",
	}, filepath.Join(dir, "generator.log"))
	if err := g.Start(); err != nil {
		b.Fatal(err)
	}
	if err := g.Wait(5 * time.Minute); err != nil {
		b.Fatal(err)
	}
	entries, err := os.ReadDir(filepath.Join(dir, datadir.Input))
	if err != nil {
		b.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, filepath.Join(dir, datadir.Input, e.Name()))
	}
	if len(out) != files {
		b.Fatalf("generated %d files, want %d", len(out), files)
	}
	return out
}

// feedAll lands copies of files into c's input before any service runs.
func feedAll(b *testing.B, c *cluster.Cluster, files []string) int64 {
	b.Helper()
	var total int64
	for _, src := range files {
		data, err := os.ReadFile(src)
		if err != nil {
			b.Fatal(err)
		}
		total += int64(len(data))
		tmp := filepath.Join(c.Data.Path(datadir.Temp), filepath.Base(src))
		if err := os.WriteFile(tmp, data, 0o644); err != nil {
			b.Fatal(err)
		}
		if err := os.Rename(tmp, filepath.Join(c.Data.Path(datadir.Input), filepath.Base(src))); err != nil {
			b.Fatal(err)
		}
	}
	return total
}

func waitFor(b *testing.B, timeout time.Duration, cond func() bool) {
	b.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			b.Fatalf("not done after %s", timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func envInt(b *testing.B, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		b.Fatalf("%s=%q: want a positive integer", name, fmt.Sprint(v))
	}
	return n
}
