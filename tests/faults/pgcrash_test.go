package faults

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tributary-dev/tributary/tests/faults/cluster"
)

// pgcrashParams size a run: the short one is part of `go test`, the long
// one runs with `go tool task faults:pgcrash` (PGCRASH_LONG=1).
type pgcrashParams struct {
	seed    uint64
	rounds  int // crashes, aimed in turn at each phase of aims
	rows    int // rows to generate at least
	rate    int // generated rows per second
	loaders int
	settle  time.Duration
}

func pgcrashParamsFromEnv(t *testing.T) pgcrashParams {
	p := pgcrashParams{rounds: 9, rows: 10_000, rate: 2000, loaders: 2, settle: 2 * time.Minute}
	if os.Getenv("PGCRASH_LONG") == "1" {
		p = pgcrashParams{rounds: 40, rows: 100_000, rate: 2000, loaders: 2, settle: 10 * time.Minute}
	}
	for name, ptr := range map[string]*int{"PGCRASH_ROUNDS": &p.rounds, "PGCRASH_ROWS": &p.rows, "PGCRASH_LOADERS": &p.loaders} {
		if v := os.Getenv(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				t.Fatalf("%s=%q: want a positive integer", name, v)
			}
			*ptr = n
		}
	}
	p.seed = rand.Uint64() >> 1
	if v := os.Getenv("PGCRASH_SEED"); v != "" {
		seed, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("PGCRASH_SEED=%q: %v", v, err)
		}
		p.seed = seed
	}
	return p
}

// TestPostgresCrashRecovery lands files while a private PostgreSQL
// instance is SIGKILLed (postmaster and backends) in the middle of the
// loaders' COPY or COMMIT and started again, so crash recovery decides
// what was committed. Commits whose reply was lost must settle on the
// ledger (their retry loads nothing), the loaders must resume by
// themselves, and PostgreSQL must end up holding exactly what the files
// held.
func TestPostgresCrashRecovery(t *testing.T) {
	p := pgcrashParamsFromEnv(t)
	pg := cluster.StartPostgres(t) // before the cluster: its cleanup runs last
	t.Setenv("TEST_DATABASE_URL", pg.AdminURL)
	t.Logf("seed %d (replay with PGCRASH_SEED=%d): %d crashes, >= %d rows at %d rows/s, %d loader(s), private PostgreSQL in %s",
		p.seed, p.seed, p.rounds, p.rows, p.rate, p.loaders, pg.Dir)
	start := time.Now()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	c := cluster.New(t, bin, cluster.Options{NATS: cluster.NATSOptions{SyncAlways: true}, Vars: map[string]string{
		"LOADER_BATCH_WAIT":         "50ms",  // fuller batches: longer COPYs to aim at
		"WATCHER_MAX_MESSAGE_BYTES": "32768", // several parts per file, several messages per batch
	}})
	defer func() {
		if t.Failed() {
			t.Logf("seed %d; logs:\n%s", p.seed, c.LogTails(25))
			if b, err := os.ReadFile(pg.LogFile()); err == nil {
				lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
				t.Logf("--- postgres, last lines:\n%s", strings.Join(lines[max(0, len(lines)-25):], "\n"))
			}
			if dir, err := c.KeepLogs(fmt.Sprintf("tributary-pgcrash-%d", p.seed)); err == nil {
				if b, err := os.ReadFile(pg.LogFile()); err == nil {
					_ = os.WriteFile(filepath.Join(dir, "postgres.log"), b, 0o644)
				}
				t.Logf("all logs kept in %s", dir)
			}
		}
	}()
	c.Watcher(nil)
	c.Loaders(p.loaders, nil)
	rng := rand.New(rand.NewPCG(p.seed, 1))
	f := &feeder{stage: c.Stage, data: c.Data, rng: rand.New(rand.NewPCG(p.seed, 2)), o: newOracle(), rowsPerFile: map[int]bool{}}
	rows := []int{500, 1000, 2000}[rng.IntN(3)]
	f.allowRows(rows)
	gen := c.Start(c.Generator(map[string]string{"GENERATOR_ROWS_PER_FILE": strconv.Itoa(rows), "GENERATOR_RATE": strconv.Itoa(p.rate)}))
	feedErr := make(chan error, 1)
	feedDone := make(chan struct{})
	go func() {
		defer close(feedDone)
		for ctx.Err() == nil {
			if err := f.feed(); err != nil {
				feedErr <- err
				return
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
			t.Fatal(err) // a loader that gave up instead of resuming by itself
		}
	}

	eventually(t, time.Minute, "a first batch committed", func() bool {
		var n int
		return c.Pool.QueryRow(ctx, "SELECT count(*) FROM ingest_ledger").Scan(&n) == nil && n > 0
	})
	cr := &crasher{pg: pg, c: c, logf: t.Logf}
	for round := range p.rounds {
		sleep(ctx, time.Duration(300+rng.IntN(1200))*time.Millisecond)
		aim := aims[round%len(aims)]
		if err := cr.round(ctx, round+1, aim); err != nil {
			t.Fatalf("crash %d (%s): %v", round+1, aim, err)
		}
		check()
	}
	// A COMMIT's flush lasts a millisecond or two, and a crash aimed at it
	// lands just after about half the time (3 of 3 did in one CI run, and
	// the check below failed): aim at it again, a bounded number of times,
	// until one is seen inside. A hit is mostly a reply lost after the
	// flush, which only the tally after settling tells, so the extra
	// crashes usually all run; their outcome is verified like the others.
	for n := p.rounds + 1; n <= p.rounds+extraFlushCrashes && !cr.hit(aimFlush); n++ {
		sleep(ctx, time.Duration(300+rng.IntN(1200))*time.Millisecond)
		if err := cr.round(ctx, n, aimFlush); err != nil {
			t.Fatalf("crash %d (%s): %v", n, aimFlush, err)
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
	if err := f.feed(); err != nil {
		t.Fatal(err)
	}
	crashesDone := time.Now()
	if err := settle(context.Background(), c, f.o, p.settle); err != nil {
		t.Errorf("did not settle: %v", err)
	}
	settled := time.Now()
	check()
	res := verify(t, c, f.o)
	aimed, hits, settledFlush := cr.tally(t)
	for _, a := range aims {
		if hits[a] == 0 {
			t.Errorf("none of the %d crashes aimed at %s hit it", aimed[a], a)
		}
	}
	t.Logf("RESULT seed=%d crashes=%d: COPY %d/%d [loader saw %d COPYs cut], COMMIT in flight %d/%d [%d rolled back, %d messages committed with the reply lost], "+
		"COMMIT durable with reply pending %d/%d [%d batch COMMITs, %d messages, %d other statements] (hit/aimed) recovery=%s..%s "+
		"rows=%d contents=%d files=%d (copies %d, bad-header %d) loaders=%d ledger-skips=%d lost=%d duplicated=%d extra=%d "+
		"run=%s (crashes %s, drain %s)",
		p.seed, len(cr.rounds), hits[aimCopy], aimed[aimCopy], cr.copyCutsLogged(), hits[aimFlush], aimed[aimFlush], cr.flushAborted, settledFlush,
		hits[aimReply], aimed[aimReply], cr.batchCommits, len(cr.unacked), cr.otherCommits,
		cr.minRecovery.Round(time.Millisecond), cr.maxRecovery.Round(time.Millisecond),
		f.o.rows, len(f.o.contents), len(f.o.good)+len(f.o.bad), f.o.dups, len(f.o.bad), p.loaders, c.SkippedByLedger(),
		res.lost, res.duplicated, res.extra,
		settled.Sub(start).Round(time.Second), crashesDone.Sub(start).Round(time.Second), settled.Sub(crashesDone).Round(time.Second))
}
