package faults

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tributary-dev/tributary/tests/faults/cluster"
)

// soakParams size a soak. The short one (about a minute) is part of
// `go tool task test`; `go tool task soak` runs SOAK_LONG=1 with DURATION
// and RATE.
type soakParams struct {
	seed     uint64
	duration time.Duration // generating, with faults except in the quiet tail
	rate     int           // events per second
	rows     int           // rows per file
	loaders  int
	faultGap time.Duration // mean quiet time between faults
	every    time.Duration // sampling period
	settle   time.Duration
}

func soakParamsFromEnv(t *testing.T) soakParams {
	p := soakParams{duration: time.Minute, rate: 2000, rows: 1000, loaders: 2, faultGap: 8 * time.Second,
		every: time.Second, settle: 2 * time.Minute}
	if os.Getenv("SOAK_LONG") == "1" {
		p = soakParams{duration: time.Hour, rate: 10_000, rows: 5000, loaders: 2, faultGap: 45 * time.Second,
			every: 5 * time.Second, settle: 10 * time.Minute}
	}
	for name, ptr := range map[string]*time.Duration{"SOAK_DURATION": &p.duration, "SOAK_FAULT_GAP": &p.faultGap, "SOAK_SAMPLE": &p.every} {
		if v := os.Getenv(name); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				t.Fatalf("%s=%q: want a positive duration", name, v)
			}
			*ptr = d
		}
	}
	for name, ptr := range map[string]*int{"SOAK_RATE": &p.rate, "SOAK_ROWS_PER_FILE": &p.rows, "SOAK_LOADERS": &p.loaders} {
		if v := os.Getenv(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				t.Fatalf("%s=%q: want a positive integer", name, v)
			}
			*ptr = n
		}
	}
	p.seed = rand.Uint64() >> 1
	if v := os.Getenv("SOAK_SEED"); v != "" {
		seed, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("SOAK_SEED=%q: %v", v, err)
		}
		p.seed = seed
	}
	return p
}

// TestSoak runs the whole pipeline at a steady rate for a while with the
// nemesis's faults at random, samples every process's RSS, open files and
// goroutines and its latency histogram, and fails on growth inside an
// incarnation or on any loss or duplicate. The last sixth of the run has
// no faults, so that every service has a last incarnation long enough to
// judge.
func TestSoak(t *testing.T) {
	p := soakParamsFromEnv(t)
	quietFrom := p.duration - max(20*time.Second, p.duration/6)
	t.Logf("seed %d (replay with SOAK_SEED=%d): %s at %d events/s in files of %d rows, %d loaders, a fault every ~%s until %s, samples every %s",
		p.seed, p.seed, p.duration, p.rate, p.rows, p.loaders, p.faultGap, quietFrom, p.every)
	start := time.Now()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	c := cluster.New(t, bin, cluster.Options{NATS: cluster.NATSOptions{SyncAlways: true}, Vars: map[string]string{
		"WATCHER_MAX_MESSAGE_BYTES": "262144",
		"STREAM_DUPLICATE_WINDOW":   "10s",
	}})
	defer func() {
		if t.Failed() {
			t.Logf("seed %d; logs:\n%s", p.seed, c.LogTails(25))
			if dir, err := c.KeepLogs(fmt.Sprintf("tributary-soak-%d", p.seed)); err == nil {
				t.Logf("all logs kept in %s", dir)
			}
		}
	}()
	// Fixed ports, so that a restarted process is scraped where it was.
	addr := map[string]string{}
	for _, name := range []string{"generator", "watcher", "loader"} {
		for i := range p.loaders {
			if name != "loader" && i > 0 {
				break
			}
			key := name
			if name == "loader" {
				key = "loader-" + strconv.Itoa(i+1)
			}
			addr[key] = freeAddr(t)
		}
	}
	watcher := c.Watcher(map[string]string{"HTTP_ADDR": addr["watcher"]})
	var loaders []*cluster.Proc
	for i := range p.loaders {
		name := "loader-" + strconv.Itoa(i+1)
		loaders = append(loaders, c.Start(c.Service("loader", name, map[string]string{"HTTP_ADDR": addr[name]})))
	}

	f := &feeder{stage: c.Stage, data: c.Data, rng: rand.New(rand.NewPCG(p.seed, 2)), o: newOracle(), rowsPerFile: map[int]bool{p.rows: true}}
	var gen atomic.Pointer[cluster.Proc] // replaced by the nemesis, read by the sampler
	genVars := map[string]string{"GENERATOR_ROWS_PER_FILE": strconv.Itoa(p.rows), "GENERATOR_RATE": strconv.Itoa(p.rate), "HTTP_ADDR": addr["generator"]}
	spawn := func() error {
		if old := gen.Load(); old != nil {
			old.Kill()
		}
		g := c.Generator(genVars)
		gen.Store(g)
		return g.Start()
	}
	if err := spawn(); err != nil {
		t.Fatal(err)
	}

	all := []*series{{target: target{name: "nats", proc: func() *cluster.Proc { return c.NATS.Proc }}},
		{target: target{name: "generator", proc: func() *cluster.Proc { return gen.Load() }, addr: addr["generator"], hist: "tributary_generator_file_write_duration_seconds"}},
		{target: target{name: "watcher", proc: func() *cluster.Proc { return watcher }, addr: addr["watcher"], hist: "tributary_watcher_publish_duration_seconds"}}}
	for i, l := range loaders {
		all = append(all, &series{target: target{name: l.Name, proc: func() *cluster.Proc { return loaders[i] }, addr: addr[l.Name],
			hist: "tributary_loader_landed_to_committed_seconds"}})
	}

	// The nemesis runs in this goroutine; the feeder and the sampler beside it.
	feedErr := make(chan error, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		client := &http.Client{Timeout: 2 * time.Second}
		next := time.Now()
		for ctx.Err() == nil {
			if err := f.feed(); err != nil {
				feedErr <- err
				return
			}
			if time.Now().After(next) {
				for _, s := range all {
					s.sampleOnce(ctx, client)
				}
				next = next.Add(p.every)
			}
			sleep(ctx, 100*time.Millisecond)
		}
	}()
	check := func() {
		t.Helper()
		select {
		case err := <-feedErr:
			t.Fatal(err)
		default:
		}
		if err := c.Died(); err != nil {
			t.Fatal(err)
		}
	}

	n := &nemesis{c: c, watcher: watcher, loaders: loaders, respawn: spawn, ackWait: 3 * time.Second, logf: t.Logf, counts: map[fault]int{}}
	rng := rand.New(rand.NewPCG(p.seed, 1))
	for faults := 0; ; faults++ {
		s := plan(rng, 1, p.loaders, 0, 0, 2*p.faultGap)[0]
		if time.Since(start)+s.gap >= quietFrom {
			break
		}
		sleep(ctx, s.gap)
		check()
		if err := n.apply(ctx, s); err != nil {
			t.Fatalf("fault %d (%s): %v", faults+1, s.fault, err)
		}
	}
	for time.Since(start) < p.duration {
		sleep(ctx, time.Second)
		check()
	}
	gen.Load().Stop(10 * time.Second)
	cancel()
	<-done
	check()
	if err := f.feed(); err != nil {
		t.Fatal(err)
	}
	generated := time.Since(start)
	backlog := f.o.Rows() - loadedRows(t, c)
	t.Logf("generating done after %s: %d rows fed (%.0f rows/s of %d asked), %d not yet loaded; faults: %s",
		generated.Round(time.Second), f.o.Rows(), float64(f.o.Rows())/generated.Seconds(), p.rate, backlog, n.summary())

	if err := settle(context.Background(), c, f.o, p.settle); err != nil {
		t.Errorf("did not settle: %v", err)
	}
	drained := time.Since(start) - generated
	check()

	t.Logf("per service (start = first steady sample of the first incarnation, end = last sample; latency from each incarnation's /metrics, summed):\n%s", table(all))
	t.Logf("landed-to-committed per message, from the ledger: %s", ledgerLatency(t, c))
	var leaks []string
	for _, s := range all {
		for _, g := range gauges {
			if s.addr == "" && g.name == "goroutines" {
				continue
			}
			l, judged := growth(s, g)
			leaks = append(leaks, l...)
			if judged == 0 {
				t.Errorf("%s: no incarnation long enough to judge its %s (%d samples, %d misses)", s.name, g.name, len(s.samples), s.misses)
			}
		}
	}
	for _, l := range leaks {
		t.Errorf("growth: %s", l)
	}
	for _, s := range all[1:] {
		if s.lat.count() == 0 {
			t.Errorf("%s: its histogram %s recorded nothing (renamed?)", s.name, s.hist)
		}
	}
	res := verify(t, c, f.o) // last: a failure there must not hide the table and the growth
	t.Logf("RESULT seed=%d run=%s (generating %s, drain %s) rows=%d rate=%.0f/%d files=%d faults: %s leaks=%d lost=%d duplicated=%d extra=%d",
		p.seed, time.Since(start).Round(time.Second), generated.Round(time.Second), drained.Round(time.Second), f.o.rows,
		float64(f.o.rows)/generated.Seconds(), p.rate, len(f.o.good)+len(f.o.bad), n.summary(), len(leaks), res.lost, res.duplicated, res.extra)
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func loadedRows(t *testing.T, c *cluster.Cluster) int {
	t.Helper()
	var n int
	if err := c.Pool.QueryRow(context.Background(), "SELECT count(*) FROM user_activity").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// ledgerLatency gives exact landed-to-committed percentiles over every
// message, and over the first and the last tenth of the run by commit
// time: a pipeline that slowly falls behind shows there.
func ledgerLatency(t *testing.T, c *cluster.Cluster) string {
	t.Helper()
	rows, err := c.Pool.Query(context.Background(), `
		WITH l AS (SELECT extract(epoch FROM committed_at - landed_at) AS s, ntile(10) OVER (ORDER BY committed_at) AS tenth
		           FROM ingest_ledger WHERE landed_at IS NOT NULL)
		SELECT w, count(*), percentile_cont(0.5) WITHIN GROUP (ORDER BY s), percentile_cont(0.9) WITHIN GROUP (ORDER BY s),
		       percentile_cont(0.99) WITHIN GROUP (ORDER BY s), max(s)
		FROM (SELECT 'all' AS w, s FROM l UNION ALL SELECT 'first tenth', s FROM l WHERE tenth = 1
		      UNION ALL SELECT 'last tenth', s FROM l WHERE tenth = 10) x GROUP BY w ORDER BY w`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var parts []string
	for rows.Next() {
		var w string
		var n int
		var p50, p90, p99, mx float64
		if err := rows.Scan(&w, &n, &p50, &p90, &p99, &mx); err != nil {
			t.Fatal(err)
		}
		parts = append(parts, fmt.Sprintf("%s (%d messages): p50 %s p90 %s p99 %s max %s", w, n, secs(p50), secs(p90), secs(p99), secs(mx)))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(parts, "; ")
}
