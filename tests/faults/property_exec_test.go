package faults

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"github.com/tributary-dev/tributary/tests/faults/cluster"
)

// runner applies a plan's operations to a cluster, one after another, and
// feeds the oracle with every file it lands.
type runner struct {
	c         *cluster.Cluster
	plan      propPlan
	ackWait   time.Duration
	window    time.Duration // STREAM_DUPLICATE_WINDOW
	logf      func(format string, args ...any)
	watcher   *cluster.Proc
	limit     int
	loaders   []*cluster.Proc // nil: never started
	settings  []loaderSettings
	pgUp      bool
	gen       *contentGen
	o         *propOracle
	landed    map[int][]byte // op index -> the bytes it landed, for copies
	done      int            // operations applied
	writers   sync.WaitGroup // producers still writing a file in place
	writeErr  chan error
	busyNames int // landings that found their name still waiting in input
}

func newRunner(c *cluster.Cluster, p propPlan, ackWait, window time.Duration, logf func(string, ...any)) *runner {
	r := &runner{c: c, plan: p, ackWait: ackWait, window: window, logf: logf, limit: p.limit, pgUp: true,
		loaders: make([]*cluster.Proc, len(p.loaders)), settings: make([]loaderSettings, len(p.loaders)),
		gen: &contentGen{rng: rand.New(rand.NewPCG(p.seed, 2))}, o: newPropOracle(), landed: map[int][]byte{},
		writeErr: make(chan error, len(p.ops))}
	return r
}

// start brings up the plan's starting state.
func (r *runner) start() error {
	if err := r.startWatcher(); err != nil {
		return err
	}
	for i, s := range r.plan.loaders {
		if s != nil {
			if err := r.startLoader(i, *s); err != nil {
				return err
			}
		}
	}
	return nil
}

func (r *runner) startWatcher() error {
	env := map[string]string{"WATCHER_MAX_MESSAGE_BYTES": strconv.Itoa(r.limit)}
	if r.watcher == nil {
		r.watcher = r.c.Service("watcher", "watcher", env)
	} else if err := r.c.Reconfigure(r.watcher, env); err != nil {
		return err
	}
	return r.watcher.Start()
}

func (r *runner) stopWatcher(kill bool) {
	if kill {
		r.watcher.Kill()
	} else {
		r.watcher.Stop(15 * time.Second)
	}
}

func (r *runner) running(i int) bool { return r.loaders[i] != nil && r.loaders[i].Running() }

func (r *runner) anyRunning() bool {
	for i := range r.loaders {
		if r.running(i) {
			return true
		}
	}
	return false
}

// startLoader starts a new incarnation of loader slot i with settings s;
// it shares the slot's log.
func (r *runner) startLoader(i int, s loaderSettings) error {
	if r.running(i) {
		return nil
	}
	r.settings[i] = s
	if r.loaders[i] == nil {
		r.loaders[i] = r.c.Service("loader", "loader-"+strconv.Itoa(i+1), s.env())
	} else if err := r.c.Reconfigure(r.loaders[i], s.env()); err != nil {
		return err
	}
	return r.loaders[i].Start()
}

func (r *runner) stopLoader(i int, kill bool) {
	if !r.running(i) {
		return
	}
	if kill {
		r.loaders[i].Kill()
	} else {
		r.loaders[i].Stop(15 * time.Second)
	}
}

// apply runs operation i of the plan.
func (r *runner) apply(ctx context.Context, i int) error {
	o := r.plan.ops[i]
	sleep(ctx, o.gap)
	r.done++
	switch o.kind {
	case opLand:
		data := r.gen.file(o.rows, o.bad, o.shared)
		r.landed[i] = data
		return r.land(i, o.name, data, true)
	case opInPlace:
		data := r.gen.file(o.rows, o.bad, o.shared)
		r.landed[i] = data
		return r.writeInPlace(i, o.name, data, o.wait)
	case opCopy, opReland:
		data, ok := r.landed[o.of]
		if !ok {
			r.logf("op %d: op %d landed nothing (dropped from the replay); skipped", i+1, o.of+1)
			return nil
		}
		if o.kind == opReland {
			sleep(ctx, r.window+500*time.Millisecond)
		}
		return r.land(i, o.name, data, true)
	case opLandBad:
		return r.land(i, o.name, r.gen.badFile(), false)
	case opSplit:
		r.stopWatcher(o.kill)
		r.limit = o.limit
		return r.startWatcher()
	case opWatcher:
		r.stopWatcher(o.kill)
		sleep(ctx, o.wait)
		return r.startWatcher()
	case opLoaderStop:
		r.stopLoader(o.loader, o.kill)
	case opLoaderStart:
		return r.startLoader(o.loader, o.set)
	case opRestarts:
		for range o.times {
			r.stopLoader(o.loader, o.kill)
			before := r.startupLines(o.loader)
			if err := r.startLoader(o.loader, o.set); err != nil {
				return err
			}
			r.awaitStarted(ctx, o.loader, before)
			sleep(ctx, o.wait)
		}
	case opPause:
		if !r.running(o.loader) {
			return nil
		}
		if err := r.loaders[o.loader].Pause(); err != nil {
			return err
		}
		sleep(ctx, r.ackWait+time.Second)
		return r.loaders[o.loader].Resume()
	case opPGDown:
		r.c.Proxy.Down()
		r.pgUp = false
	case opPGUp:
		if r.pgUp {
			return nil // its pg-down was dropped from the replay
		}
		r.pgUp = true
		return r.c.Proxy.Up()
	case opRecreate:
		return r.recreateStream(ctx, i)
	case opIdle:
		sleep(ctx, o.wait)
	default:
		return fmt.Errorf("unknown operation %q", o.kind)
	}
	return nil
}

// awaitStarted waits (a few seconds at most) until a loader incarnation
// is past its start-up: loading, or telling why it cannot yet. A restart
// that comes sooner would never have fetched anything.
func (r *runner) awaitStarted(ctx context.Context, i, before int) {
	deadline := time.Now().Add(5 * time.Second)
	for r.startupLines(i) == before && time.Now().Before(deadline) && ctx.Err() == nil {
		sleep(ctx, 50*time.Millisecond)
	}
}

// startupLines counts the lines of loader slot i's log that end a start-up.
func (r *runner) startupLines(i int) int {
	p := r.loaders[i]
	if p == nil {
		return 0
	}
	return cluster.CountLog(p, "msg=loading") + cluster.CountLog(p, "not ready to load yet")
}

// recreateStream deletes INGEST and lets the watcher create it again. Only
// an empty stream is deleted, with the watcher stopped so that nothing is
// published meanwhile: deleting messages nobody loaded would be the
// operator's loss, which no oracle could tell from a bug.
func (r *runner) recreateStream(ctx context.Context, i int) error {
	r.stopWatcher(false)
	deleted := false
	if r.pgUp && r.anyRunning() {
		deadline := time.Now().Add(45 * time.Second)
		for time.Now().Before(deadline) && ctx.Err() == nil {
			msgs, pending, err := r.c.Backlog(ctx)
			if err == nil && msgs == 0 && pending == 0 {
				if err := r.c.JS.DeleteStream(ctx, r.c.Settings.Stream); err != nil {
					return fmt.Errorf("delete stream: %w", err)
				}
				deleted = true
				break
			}
			sleep(ctx, 100*time.Millisecond)
		}
	}
	if !deleted {
		r.logf("op %d: the stream did not drain (PostgreSQL cut or no loader); not deleted", i+1)
	}
	return r.startWatcher()
}

// drain lets the producers finish, brings every service up, PostgreSQL
// back, and starts the loaders that are down, so that whatever is held can
// finish.
func (r *runner) drain() error {
	r.writers.Wait()
	select {
	case err := <-r.writeErr:
		return err
	default:
	}
	if !r.pgUp {
		r.pgUp = true
		if err := r.c.Proxy.Up(); err != nil {
			return err
		}
	}
	for i := range r.loaders {
		s := r.settings[i]
		if r.loaders[i] == nil {
			s = loaderSettings{workers: 2, batchMessages: 16, batchRows: 100_000, batchBytes: 4 << 20, migrate: true}
		}
		if err := r.startLoader(i, s); err != nil {
			return err
		}
	}
	return nil
}

// loaderSettings are a loader incarnation's own environment.
type loaderSettings struct {
	workers, batchMessages, batchRows, batchBytes int
	batchWait                                     time.Duration
	migrate                                       bool
}

func (s loaderSettings) env() map[string]string {
	return map[string]string{
		"LOADER_WORKERS":        fmt.Sprint(s.workers),
		"LOADER_BATCH_MESSAGES": fmt.Sprint(s.batchMessages),
		"LOADER_BATCH_ROWS":     fmt.Sprint(s.batchRows),
		"LOADER_BATCH_BYTES":    fmt.Sprint(s.batchBytes),
		"LOADER_BATCH_WAIT":     s.batchWait.String(),
		"LOADER_MIGRATE":        fmt.Sprint(s.migrate),
	}
}

func (s loaderSettings) String() string {
	return fmt.Sprintf("workers=%d batch=%dmsg/%drows/%dB wait=%s migrate=%t",
		s.workers, s.batchMessages, s.batchRows, s.batchBytes, s.batchWait, s.migrate)
}
