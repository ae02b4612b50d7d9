package faults

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/tributary-dev/tributary/tests/faults/cluster"
	"github.com/tributary-dev/tributary/tests/harness"
)

// params size a run. The short run is part of `go tool task test`; the long
// one runs with `go tool task faults` (FAULTS_LONG=1).
type params struct {
	seed    uint64
	rounds  int           // faults
	minPG   int           // PostgreSQL interruptions among them
	rows    int           // rows to generate at least
	rate    int           // generated rows per second
	sizes   []int         // rows per file, one per generator incarnation
	loaders int           // loaders on the durable consumer
	outage  time.Duration // the long PostgreSQL outage
	maxGap  time.Duration // longest quiet time between faults
	settle  time.Duration // how long the pipeline may take to drain after the faults
}

func paramsFromEnv(t *testing.T) params {
	p := params{rounds: 14, minPG: 3, rows: 15_000, rate: 1500, sizes: []int{100, 400, 1000}, loaders: 3,
		outage: 3 * time.Second, maxGap: 1500 * time.Millisecond, settle: 2 * time.Minute}
	if os.Getenv("FAULTS_LONG") == "1" {
		p = params{rounds: 85, minPG: 5, rows: 200_000, rate: 1500, sizes: []int{250, 1000, 2500}, loaders: 1,
			outage: time.Minute, maxGap: 3 * time.Second, settle: 10 * time.Minute}
	}
	ints := map[string]*int{"FAULTS_ROUNDS": &p.rounds, "FAULTS_PG": &p.minPG, "FAULTS_ROWS": &p.rows,
		"FAULTS_RATE": &p.rate, "FAULTS_LOADERS": &p.loaders}
	for name, ptr := range ints {
		if v := os.Getenv(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				t.Fatalf("%s=%q: want a positive integer", name, v)
			}
			*ptr = n
		}
	}
	if v := os.Getenv("FAULTS_OUTAGE"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("FAULTS_OUTAGE=%q: %v", v, err)
		}
		p.outage = d
	}
	if v := os.Getenv("FAULTS_SEED"); v != "" {
		seed, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("FAULTS_SEED=%q: %v", v, err)
		}
		p.seed = seed
	} else {
		p.seed = rand.Uint64() >> 1
	}
	p.minPG = min(p.minPG, p.rounds)
	return p
}

// TestExactlyOnceUnderFaults generates files while killing and restarting
// the watcher, the loaders, NATS and the generator, terminating the
// loaders' PostgreSQL sessions and cutting PostgreSQL off; then checks that
// PostgreSQL holds exactly what the files held.
func TestExactlyOnceUnderFaults(t *testing.T) {
	p := paramsFromEnv(t)
	t.Logf("seed %d (replay with FAULTS_SEED=%d): %d faults (>= %d on PostgreSQL, outage %s), >= %d rows at %d rows/s, %d loader(s)",
		p.seed, p.seed, p.rounds, p.minPG, p.outage, p.rows, p.rate, p.loaders)
	start := time.Now()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	c := cluster.New(t, bin, cluster.Options{NATS: cluster.NATSOptions{SyncAlways: true}, Vars: map[string]string{
		"WATCHER_MAX_MESSAGE_BYTES": "32768", // several parts per file
		"STREAM_DUPLICATE_WINDOW":   "10s",   // re-publishes after restarts often fall outside it
	}})
	// A second contract, orders (a column of every type), loads beside
	// user_activity through the same faults.
	c.SetVar("CONTRACTS_DIR", harness.WithExamples(t, c.Pool, "orders"))
	orders := newOrdersFeed(p.seed)
	defer func() {
		if t.Failed() {
			t.Logf("seed %d; logs:\n%s", p.seed, c.LogTails(25))
			if dir, err := c.KeepLogs(fmt.Sprintf("tributary-faults-%d", p.seed)); err == nil {
				t.Logf("all logs kept in %s", dir)
			}
		}
	}()
	watcher := c.Watcher(nil)
	loaders := c.Loaders(p.loaders, nil)

	f := &feeder{stage: c.Stage, data: c.Data, rng: rand.New(rand.NewPCG(p.seed, 2)), o: newOracle(), rowsPerFile: map[int]bool{}}
	genRng := rand.New(rand.NewPCG(p.seed, 3))
	var gen *cluster.Proc
	spawn := func() error {
		if gen != nil {
			gen.Kill()
		}
		rows := p.sizes[genRng.IntN(len(p.sizes))]
		f.allowRows(rows)
		gen = c.Generator(map[string]string{"GENERATOR_ROWS_PER_FILE": strconv.Itoa(rows), "GENERATOR_RATE": strconv.Itoa(p.rate)})
		return gen.Start()
	}
	if err := spawn(); err != nil {
		t.Fatal(err)
	}
	feedErr := make(chan error, 1)
	feedDone := make(chan struct{})
	go func() {
		defer close(feedDone)
		for i := 0; ctx.Err() == nil; i++ {
			if err := f.feed(); err != nil {
				feedErr <- err
				return
			}
			if i%5 == 0 {
				if err := f.land(orders.file()); err != nil {
					feedErr <- err
					return
				}
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

	n := &nemesis{c: c, watcher: watcher, loaders: loaders, respawn: spawn, ackWait: 3 * time.Second,
		logf: t.Logf, counts: map[fault]int{}}
	for i, s := range plan(rand.New(rand.NewPCG(p.seed, 1)), p.rounds, p.loaders, p.minPG, p.outage, p.maxGap) {
		sleep(ctx, s.gap)
		if err := n.apply(ctx, s); err != nil {
			t.Fatalf("fault %d (%s): %v", i+1, s.fault, err)
		}
		check()
	}
	for f.o.Rows() < p.rows {
		sleep(ctx, 200*time.Millisecond)
		check()
	}
	gen.Stop(10 * time.Second)
	cancel()
	<-feedDone
	check()
	if err := f.feed(); err != nil { // what landed since the last pass
		t.Fatal(err)
	}
	faultsDone := time.Now()
	t.Logf("faults done after %s: %s", faultsDone.Sub(start).Round(time.Second), n.summary())

	if err := settle(context.Background(), c, f.o, p.settle); err != nil {
		t.Errorf("did not settle: %v", err)
	}
	settled := time.Now()
	check()
	res := verify(t, c, f.o)
	orders.verify(t, c)
	t.Logf("RESULT seed=%d rows=%d contents=%d files=%d (copies %d, bad-header %d) loaders=%d kills=%d "+
		"(watcher %d, loader %d, nats %d) nats-graceful=%d generator-kills=%d pauses=%d pg-interruptions=%d "+
		"(terminate %d [%d sessions, %d mid-COPY], outages %d) ledger-skips=%d lost=%d duplicated=%d extra=%d "+
		"run=%s (faults %s, drain %s)",
		p.seed, f.o.rows, len(f.o.contents), len(f.o.good)+len(f.o.bad), f.o.dups, len(f.o.bad), p.loaders, n.kills(),
		n.counts[killWatcher], n.counts[killLoader], n.counts[killNATS], n.counts[stopNATS], n.counts[killGenerator],
		n.counts[pauseLoader], n.pgInterruptions(), n.counts[pgTerminate], n.sessions, n.copying, n.counts[pgOutage],
		c.SkippedByLedger(), res.lost, res.duplicated, res.extra,
		settled.Sub(start).Round(time.Second), faultsDone.Sub(start).Round(time.Second), settled.Sub(faultsDone).Round(time.Second))
}

// settle waits until the pipeline has nothing left to do: no file in input
// or claimed, no message in the stream or held by a loader, and the rows
// expected loaded (or nothing changing any more).
func settle(ctx context.Context, c *cluster.Cluster, o *oracle, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var last string
	since := time.Now()
	for {
		input, claimed := countDir(c.Data.Path("input")), countDir(c.Data.Path("claimed/w1"))
		msgs, ackPending, err := c.Backlog(ctx)
		var rows int
		if qerr := c.Pool.QueryRow(ctx, "SELECT count(*) FROM user_activity").Scan(&rows); qerr != nil {
			err = qerr
		}
		state := fmt.Sprintf("input=%d claimed=%d stream=%d ack_pending=%d rows=%d/%d err=%v", input, claimed, msgs, ackPending, rows, o.rows, err)
		idle := err == nil && input == 0 && claimed == 0 && msgs == 0 && ackPending == 0
		if idle && rows == o.rows {
			return nil
		}
		if state != last {
			last, since = state, time.Now()
		}
		if idle && time.Since(since) > 15*time.Second {
			return nil // nothing moves any more: let verify say what is wrong
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("after %s: %s", timeout, state)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func countDir(dir string) int {
	entries, _ := os.ReadDir(dir)
	return len(entries)
}
