package faults

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tributary-dev/tributary/tests/faults/cluster"
)

// fault is one kind of nemesis action.
type fault string

const (
	killWatcher   fault = "kill -9 watcher"
	killLoader    fault = "kill -9 loader"
	killNATS      fault = "kill -9 nats"
	stopNATS      fault = "graceful nats restart"
	killGenerator fault = "kill -9 generator"
	pauseLoader   fault = "pause loader past AckWait"
	pgTerminate   fault = "pg_terminate_backend"
	pgOutage      fault = "postgres unavailable"
)

// step is one scheduled fault.
type step struct {
	fault fault
	gap   time.Duration // quiet time before it
	down  time.Duration // how long the victim stays down
	which int           // loader index
}

// plan draws the fault schedule from the seed: at least minPG PostgreSQL
// interruptions (the first outage lasts outage, the others a few seconds),
// the rest kills weighted towards the watcher, the loaders and NATS.
func plan(rng *rand.Rand, rounds, loaders, minPG int, outage, maxGap time.Duration) []step {
	var steps []step
	outages := max(1, minPG/3)
	for i := range minPG {
		s := step{fault: pgTerminate}
		if i < outages {
			s.fault, s.down = pgOutage, time.Duration(2+rng.IntN(4))*time.Second
			if i == 0 {
				s.down = outage
			}
		}
		steps = append(steps, s)
	}
	weights := []struct {
		f fault
		w int
	}{{killWatcher, 28}, {killLoader, 30}, {killNATS, 16}, {stopNATS, 8}, {killGenerator, 8}, {pauseLoader, 5}, {pgTerminate, 5}, {pgOutage, 2}}
	total := 0
	for _, w := range weights {
		total += w.w
	}
	for len(steps) < rounds {
		x := rng.IntN(total)
		for _, w := range weights {
			if x < w.w {
				steps = append(steps, step{fault: w.f})
				break
			}
			x -= w.w
		}
	}
	rng.Shuffle(len(steps), func(i, j int) { steps[i], steps[j] = steps[j], steps[i] })
	for i := range steps {
		s := &steps[i]
		s.gap = time.Duration(rng.Int64N(int64(maxGap)))
		s.which = rng.IntN(loaders)
		switch {
		case s.down > 0:
		case s.fault == pgOutage:
			s.down = time.Duration(2+rng.IntN(4)) * time.Second
		default:
			s.down = time.Duration(rng.Int64N(int64(800 * time.Millisecond)))
		}
	}
	return steps
}

// nemesis applies a plan to a cluster.
type nemesis struct {
	c         *cluster.Cluster
	watcher   *cluster.Proc
	loaders   []*cluster.Proc
	generator func() *cluster.Proc // the current incarnation
	respawn   func() error         // kill it and start a new one
	ackWait   time.Duration
	logf      func(format string, args ...any)

	counts   map[fault]int
	copying  int // backends terminated in the middle of a COPY
	sessions int // backends terminated in all
}

func (n *nemesis) apply(ctx context.Context, s step) error {
	n.counts[s.fault]++
	switch s.fault {
	case killWatcher:
		n.watcher.Kill()
		sleep(ctx, s.down)
		return n.watcher.Start()
	case killLoader:
		l := n.loaders[s.which]
		l.Kill()
		sleep(ctx, s.down)
		return l.Start()
	case killNATS, stopNATS:
		if s.fault == killNATS {
			n.c.NATS.Kill()
		} else {
			n.c.NATS.Stop(30 * time.Second)
		}
		sleep(ctx, s.down)
		return n.c.NATS.Start()
	case killGenerator:
		return n.respawn()
	case pauseLoader:
		l := n.loaders[s.which]
		if err := l.Pause(); err != nil {
			return err
		}
		sleep(ctx, n.ackWait+time.Second+s.down)
		return l.Resume()
	case pgTerminate:
		killed, copying, err := n.c.TerminateLoaderBackends(ctx, 2*time.Second)
		n.sessions += killed
		n.copying += copying
		return err
	case pgOutage:
		n.c.Proxy.Down()
		n.logf("postgres unavailable for %s", s.down)
		sleep(ctx, s.down)
		return n.c.Proxy.Up()
	}
	return fmt.Errorf("unknown fault %q", s.fault)
}

func (n *nemesis) summary() string {
	var parts []string
	for f, c := range n.counts {
		parts = append(parts, fmt.Sprintf("%s=%d", f, c))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ") + " (sessions terminated " + strconv.Itoa(n.sessions) +
		", of which mid-COPY " + strconv.Itoa(n.copying) + ")"
}

// kills counts the SIGKILLs of the watcher, the loaders and NATS.
func (n *nemesis) kills() int {
	return n.counts[killWatcher] + n.counts[killLoader] + n.counts[killNATS]
}

// pgInterruptions counts terminations and outages.
func (n *nemesis) pgInterruptions() int { return n.counts[pgTerminate] + n.counts[pgOutage] }

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
