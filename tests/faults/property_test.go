package faults

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tributary-dev/tributary/shared/datadir"
	"github.com/tributary-dev/tributary/tests/faults/cluster"
)

// The property test draws random sequences of operations from a seed and
// runs each against the real binaries: land files (names from a pool of
// three, byte-identical copies, copies after the duplicate window, bad
// files), change the split limit, kill or stop and restart the watcher and
// the loaders with other settings, cut PostgreSQL and restore it, recreate
// the stream, pause a loader past AckWait. Then it drains the pipeline and
// checks the oracle computed from the bytes landed.
//
// It uses its own seeded generator rather than pgregory.net/rapid: a
// sequence costs tens of seconds of real processes and its outcome depends
// on timing, so rapid's shrinking would re-run dozens of variants, each as
// slow, and a timing-dependent failure need not reproduce while shrinking.
// Instead the seed alone fixes the sequence (every parameter is drawn up
// front, contents too), the test prints it, PROP_SEED replays it and
// PROP_DROP=3,7 replays it without some operations, to shrink by hand.

// propParams size a run. The short run is part of `go tool task test`; the
// long one is `go tool task faults:property` (PROP_LONG=1).
type propParams struct {
	seeds   []uint64
	ops     int
	drop    map[int]bool
	settle  time.Duration // longest drain
	loaders int
}

const (
	propMaxDeliver = 5
	propAckWait    = 3 * time.Second
	propWindow     = 2 * time.Second
)

func propParamsFromEnv(t *testing.T) propParams {
	p := propParams{ops: 16, settle: 2 * time.Minute, loaders: 2}
	sequences := 5
	if os.Getenv("PROP_LONG") == "1" {
		sequences, p.ops, p.settle = 20, 40, 5*time.Minute
	}
	for name, ptr := range map[string]*int{"PROP_SEQUENCES": &sequences, "PROP_OPS": &p.ops} {
		if v := os.Getenv(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				t.Fatalf("%s=%q: want a positive integer", name, v)
			}
			*ptr = n
		}
	}
	p.drop = map[int]bool{}
	if v := os.Getenv("PROP_DROP"); v != "" {
		for _, f := range strings.Split(v, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n < 1 {
				t.Fatalf("PROP_DROP=%q: want operation numbers such as 3,7", v)
			}
			p.drop[n] = true
		}
	}
	if v := os.Getenv("PROP_SEED"); v != "" {
		seed, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("PROP_SEED=%q: %v", v, err)
		}
		p.seeds = []uint64{seed}
		return p
	}
	rng := rand.New(rand.NewPCG(rand.Uint64(), 0))
	for range sequences {
		p.seeds = append(p.seeds, rng.Uint64()>>1)
	}
	return p
}

// TestPropertyRandomSequences checks that whatever sequence of operations
// runs, every landed file is accounted for and every row loads exactly
// once: no event lost, none loaded twice, no good message dead-lettered.
func TestPropertyRandomSequences(t *testing.T) {
	p := propParamsFromEnv(t)
	start := time.Now()
	var sum struct{ ops, failed, lost, duplicated, dead, deadCommitted, files, rows int }
	for i, seed := range p.seeds {
		t.Run(fmt.Sprintf("seq%d-seed%d", i+1, seed), func(t *testing.T) {
			r, res := runSequence(t, seed, p)
			sum.ops += r.done
			sum.files += len(r.o.good) + len(r.o.bad)
			sum.rows += r.o.rows()
			sum.lost += res.lost
			sum.duplicated += res.duplicated
			sum.dead += res.dead
			sum.deadCommitted += res.deadCommitted
			if t.Failed() {
				sum.failed++
			}
		})
	}
	t.Logf("PROPERTY sequences=%d (failed %d) operations=%d files=%d rows=%d: lost=%d duplicated=%d wrongly-dead-lettered=%d "+
		"(of which committed per the ledger %d) run=%s",
		len(p.seeds), sum.failed, sum.ops, sum.files, sum.rows, sum.lost, sum.duplicated, sum.dead, sum.deadCommitted,
		time.Since(start).Round(time.Second))
}

// runSequence runs one sequence on a cluster of its own and checks it.
func runSequence(t *testing.T, seed uint64, p propParams) (*runner, propResult) {
	pl := newPropPlan(seed, p.ops, p.loaders, propMaxDeliver-2)
	replay := fmt.Sprintf("go tool task faults:property SEED=%d OPS=%d, or PROP_SEED=%d PROP_OPS=%d go test -run TestPropertyRandomSequences ./tests/faults/",
		seed, p.ops, seed, p.ops)
	t.Logf("seed %d (replay: %s)\n%s", seed, replay, pl)
	start := time.Now()
	ctx := context.Background()
	c := cluster.New(t, bin, cluster.Options{NATS: cluster.NATSOptions{SyncAlways: true}, Vars: map[string]string{
		// Small enough that two or three files fill it: publishing stops
		// half way through a file while no loader takes anything.
		"STREAM_MAX_BYTES":        "163840",
		"STREAM_DUPLICATE_WINDOW": propWindow.String(),
		"CONSUMER_ACK_WAIT":       propAckWait.String(),
		"CONSUMER_MAX_DELIVER":    strconv.Itoa(propMaxDeliver),
	}})
	r := newRunner(c, pl, propAckWait, propWindow, t.Logf)
	defer func() {
		if t.Failed() {
			t.Logf("FAILED seed %d (replay: %s); the sequence:\n%s\nlogs:\n%s", seed, replay, pl, c.LogTails(20))
			if dir, err := c.KeepLogs(fmt.Sprintf("tributary-property-%d", seed)); err == nil {
				t.Logf("all logs kept in %s", dir)
			}
		}
	}()
	if err := r.start(); err != nil {
		t.Fatal(err)
	}
	for i, o := range pl.ops {
		if p.drop[i+1] {
			t.Logf("op %d dropped (PROP_DROP)", i+1)
			continue
		}
		t.Logf("op %d: %s", i+1, o)
		if err := r.apply(ctx, i); err != nil {
			t.Fatalf("op %d (%s): %v", i+1, o, err)
		}
		if err := c.Died(); err != nil {
			t.Fatalf("after op %d: %v", i+1, err)
		}
	}
	opsDone := time.Since(start)
	if err := r.drain(); err != nil {
		t.Fatal(err)
	}
	if err := propSettle(ctx, c, r.o.rows(), p.settle); err != nil {
		t.Errorf("did not settle: %v", err)
	}
	if err := c.Died(); err != nil {
		t.Fatal(err)
	}
	res, err := propVerify(ctx, c, r.o)
	if err != nil {
		t.Fatal(err)
	}
	for _, problem := range res.problems {
		t.Error("ORACLE: " + problem)
	}
	t.Logf("RESULT seed=%d ops=%d files=%d (bad %d, distinct contents %d) rows=%d lost=%d duplicated=%d dead-letters=%d "+
		"(committed %d) problems=%d names-busy-in-input=%d run=%s (ops %s)", seed, r.done, len(r.o.good)+len(r.o.bad), len(r.o.bad), len(r.o.contents),
		r.o.rows(), res.lost, res.duplicated, res.dead, res.deadCommitted, len(res.problems), r.busyNames,
		time.Since(start).Round(time.Second), opsDone.Round(time.Second))
	return r, res
}

// propSettle waits until the pipeline has nothing left to do: nothing in
// input or claimed, nothing in the stream or held by a loader, and the
// rows expected loaded. A state that stops changing ends the wait early
// (10 s idle, 60 s otherwise): verify then says what is wrong.
func propSettle(ctx context.Context, c *cluster.Cluster, want int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var last string
	since := time.Now()
	for {
		input, claimed := countDir(c.Data.Path(datadir.Input)), countDir(c.Data.Path(datadir.Claimed+"/w1"))
		msgs, ackPending, err := c.Backlog(ctx)
		var rows int
		if qerr := c.Pool.QueryRow(ctx, "SELECT count(*) FROM user_activity").Scan(&rows); qerr != nil {
			err = qerr
		}
		state := fmt.Sprintf("input=%d claimed=%d stream=%d ack_pending=%d rows=%d/%d err=%v", input, claimed, msgs, ackPending, rows, want, err)
		idle := err == nil && input == 0 && claimed == 0 && msgs == 0 && ackPending == 0
		if idle && rows == want {
			return nil
		}
		if state != last {
			last, since = state, time.Now()
		}
		if quiet := time.Since(since); (idle && quiet > 10*time.Second) || quiet > time.Minute {
			if idle {
				return nil
			}
			return fmt.Errorf("stuck for %s: %s", quiet.Round(time.Second), state)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("after %s: %s", timeout, state)
		}
		time.Sleep(250 * time.Millisecond)
	}
}
