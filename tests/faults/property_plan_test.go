package faults

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// opKind is one kind of operation of a property-test sequence.
type opKind string

const (
	opLand        opKind = "land"            // a new content under a name from a small pool
	opInPlace     opKind = "land-in-place"   // a producer writing in input, pausing half way with the file open
	opCopy        opKind = "copy"            // a byte-identical copy of an earlier file
	opReland      opKind = "reland"          // an earlier file's bytes again, after the duplicate window
	opLandBad     opKind = "land-bad"        // a file the contract refuses as a whole
	opSplit       opKind = "split"           // restart the watcher with another WATCHER_MAX_MESSAGE_BYTES
	opWatcher     opKind = "watcher-restart" // kill -9 or stop the watcher, same settings
	opLoaderStop  opKind = "loader-stop"
	opLoaderStart opKind = "loader-start"
	opRestarts    opKind = "loader-restarts" // a supervisor or a rolling deploy: restart a loader n times
	opPGDown      opKind = "pg-down"
	opPGUp        opKind = "pg-up"
	opRecreate    opKind = "recreate-stream" // delete INGEST once drained; the watcher creates it again
	opPause       opKind = "pause-loader"    // SIGSTOP past AckWait: its messages are redelivered
	opIdle        opKind = "idle"
)

// namePool is small so that names come back, often while an earlier file
// of the same name is still held by the watcher.
var namePool = []string{"events_1.csv", "events_2.csv", "events_3.csv"}

// splitLimits are the WATCHER_MAX_MESSAGE_BYTES a sequence moves between:
// two close ones (a small drift of the split) and a far one.
var splitLimits = []int{4096, 4200, 65536}

// op is one step of a sequence, with every parameter drawn up front so
// that the seed alone replays it.
type op struct {
	kind   opKind
	gap    time.Duration // quiet time before it
	name   string        // the file name to land
	rows   int           // land: rows
	bad    int           // land: rows the contract refuses
	shared int           // land: valid rows copied verbatim from earlier files (same event ids)
	of     int           // copy, reland: index in the sequence of the land op whose bytes are landed again
	loader int           // loader slot
	kill   bool          // kill -9 rather than a graceful stop (SIGTERM)
	limit  int           // split: the new WATCHER_MAX_MESSAGE_BYTES
	times  int           // loader-restarts
	wait   time.Duration // idle: how long; watcher-restart, loader-restarts: time down or between restarts
	set    loaderSettings
}

func (o op) String() string {
	how := "stop"
	if o.kill {
		how = "kill -9"
	}
	switch o.kind {
	case opLand:
		return fmt.Sprintf("land %s: %d rows (%d refused by the contract, %d shared with earlier files)", o.name, o.rows, o.bad, o.shared)
	case opInPlace:
		return fmt.Sprintf("write %s in place: %d rows (%d refused, %d shared), open for %s half way", o.name, o.rows, o.bad, o.shared, o.wait)
	case opCopy:
		return fmt.Sprintf("copy the bytes of op %d as %s", o.of+1, o.name)
	case opReland:
		return fmt.Sprintf("wait past the duplicate window, land the bytes of op %d again as %s", o.of+1, o.name)
	case opLandBad:
		return "land " + o.name + " with a bad header"
	case opSplit:
		return fmt.Sprintf("%s the watcher, restart it with WATCHER_MAX_MESSAGE_BYTES=%d", how, o.limit)
	case opWatcher:
		return fmt.Sprintf("%s the watcher, down %s", how, o.wait)
	case opLoaderStop:
		return fmt.Sprintf("%s loader-%d", how, o.loader+1)
	case opLoaderStart:
		return fmt.Sprintf("start loader-%d (%s)", o.loader+1, o.set)
	case opRestarts:
		return fmt.Sprintf("restart loader-%d %d times (%s, %s apart), last with %s", o.loader+1, o.times, how, o.wait, o.set)
	case opPause:
		return fmt.Sprintf("pause loader-%d past AckWait", o.loader+1)
	case opIdle:
		return fmt.Sprintf("idle %s", o.wait)
	}
	return string(o.kind)
}

// plan is a sequence: the starting state, then the operations.
type propPlan struct {
	seed    uint64
	limit   int               // the watcher's first WATCHER_MAX_MESSAGE_BYTES
	loaders []*loaderSettings // the loaders running at the start; nil: not started
	ops     []op
}

func (p propPlan) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "start: watcher WATCHER_MAX_MESSAGE_BYTES=%d", p.limit)
	for i, s := range p.loaders {
		if s == nil {
			fmt.Fprintf(&b, ", loader-%d stopped", i+1)
		} else {
			fmt.Fprintf(&b, ", loader-%d (%s)", i+1, s)
		}
	}
	for i, o := range p.ops {
		fmt.Fprintf(&b, "\n  %2d. +%s %s", i+1, o.gap.Round(time.Millisecond), o)
	}
	return b.String()
}

// planModel is what the generator knows of the state the operations
// leave, so that each op it draws makes sense there (a PostgreSQL restore
// only while it is cut, a start only of a stopped loader).
type planModel struct {
	pgUp    bool
	running []bool
	limit   int
	abrupt  int   // kills and pauses of loaders still allowed
	lands   []int // indexes of land ops
}

// newPlan draws a sequence of n operations over loaders loader slots.
// abrupt bounds the loader kills and pauses: each can cost a message one
// delivery, and more than CONSUMER_MAX_DELIVER of them in a row would
// dead-letter it rightly, as a suspected crash loop. Graceful stops,
// outages and restarts are not bounded: they must cost no delivery.
func newPropPlan(seed uint64, n, loaders, abrupt int) propPlan {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	p := propPlan{seed: seed, limit: splitLimits[rng.IntN(len(splitLimits))]}
	m := planModel{pgUp: true, running: make([]bool, loaders), limit: p.limit, abrupt: abrupt}
	for i := range loaders {
		// Often no loader at the start: the stream fills and the watcher
		// holds files, the state where names and splits matter.
		if rng.IntN(2) == 0 {
			s := drawSettings(rng)
			p.loaders = append(p.loaders, &s)
			m.running[i] = true
		} else {
			p.loaders = append(p.loaders, nil)
		}
	}
	for i := range n {
		o := m.draw(rng, i)
		o.gap = time.Duration(rng.IntN(400)) * time.Millisecond
		p.ops = append(p.ops, o)
	}
	return p
}

func drawSettings(rng *rand.Rand) loaderSettings {
	pick := func(xs ...int) int { return xs[rng.IntN(len(xs))] }
	return loaderSettings{
		workers:       pick(1, 2, 3),
		batchMessages: pick(1, 4, 16),
		batchRows:     pick(200, 100_000),
		batchBytes:    pick(64<<10, 4<<20),
		batchWait:     time.Duration(pick(0, 0, 50)) * time.Millisecond,
		// Migrations run apart, as in a deployment that migrates in a job:
		// such a loader fetches (and holds) messages while PostgreSQL is away.
		migrate: rng.IntN(3) == 0,
	}
}

func (m *planModel) slots(running bool) []int {
	var out []int
	for i, r := range m.running {
		if r == running {
			out = append(out, i)
		}
	}
	return out
}

// draw picks the next operation by weights that depend on the state.
func (m *planModel) draw(rng *rand.Rand, index int) op {
	up, down := m.slots(true), m.slots(false)
	type choice struct {
		kind opKind
		w    int
	}
	choices := []choice{{opLand, 30}, {opInPlace, 5}, {opLandBad, 2}, {opSplit, 9}, {opWatcher, 3}, {opIdle, 3}}
	if len(m.lands) > 0 {
		choices = append(choices, choice{opCopy, 7}, choice{opReland, 3})
	}
	if len(up) > 0 {
		choices = append(choices, choice{opLoaderStop, 6})
		if m.abrupt > 0 {
			choices = append(choices, choice{opPause, 2})
		}
	}
	if len(down) > 0 {
		w := 6
		if len(up) == 0 {
			w = 10
		}
		choices = append(choices, choice{opLoaderStart, w})
	}
	restarts := 4
	if m.pgUp {
		choices = append(choices, choice{opPGDown, 5})
		if len(up) > 0 {
			choices = append(choices, choice{opRecreate, 3})
		}
	} else {
		choices = append(choices, choice{opPGUp, 6})
		restarts = 16 // restarts while PostgreSQL is away: a supervisor, a rolling deploy
	}
	choices = append(choices, choice{opRestarts, restarts})
	total := 0
	for _, c := range choices {
		total += c.w
	}
	x := rng.IntN(total)
	var kind opKind
	for _, c := range choices {
		if x < c.w {
			kind = c.kind
			break
		}
		x -= c.w
	}

	o := op{kind: kind}
	switch kind {
	case opLand, opInPlace:
		o.name = namePool[rng.IntN(len(namePool))]
		o.rows = []int{20, 120, 400, 900, 1600, 2400}[rng.IntN(6)]
		if rng.IntN(5) == 0 {
			o.bad = 1 + rng.IntN(2)
		}
		if len(m.lands) > 0 && rng.IntN(4) == 0 {
			o.shared = 1 + rng.IntN(8)
		}
		if kind == opInPlace {
			o.wait = time.Duration(800+rng.IntN(2200)) * time.Millisecond
		}
		m.lands = append(m.lands, index)
	case opCopy, opReland:
		o.of = m.lands[rng.IntN(len(m.lands))]
		o.name = namePool[rng.IntN(len(namePool))]
		if rng.IntN(3) == 0 {
			o.name = fmt.Sprintf("copy_%d.csv", index+1)
		}
	case opLandBad:
		o.name = namePool[rng.IntN(len(namePool))]
	case opSplit:
		for o.limit == 0 || o.limit == m.limit {
			o.limit = splitLimits[rng.IntN(len(splitLimits))]
		}
		m.limit = o.limit
		o.kill = rng.IntN(2) == 0
	case opWatcher:
		o.kill = rng.IntN(2) == 0
		o.wait = time.Duration(rng.IntN(1000)) * time.Millisecond
	case opLoaderStop:
		o.loader = up[rng.IntN(len(up))]
		o.kill = m.abrupt > 0 && rng.IntN(3) == 0
		m.running[o.loader] = false
	case opLoaderStart:
		o.loader = down[rng.IntN(len(down))]
		o.set = drawSettings(rng)
		m.running[o.loader] = true
	case opRestarts:
		o.loader = rng.IntN(len(m.running))
		o.times = 2 + rng.IntN(4)
		o.kill = m.abrupt > 0 && rng.IntN(4) == 0
		o.wait = time.Duration(200+rng.IntN(1000)) * time.Millisecond
		o.set = drawSettings(rng)
		m.running[o.loader] = true
	case opPause:
		o.loader = up[rng.IntN(len(up))]
	case opPGDown:
		m.pgUp = false
	case opPGUp:
		m.pgUp = true
	case opIdle:
		o.wait = time.Duration(300+rng.IntN(1700)) * time.Millisecond
	}
	// Each kill or pause may cost the messages a loader holds one delivery.
	cost := 0
	switch {
	case kind == opPause, kind == opLoaderStop && o.kill:
		cost = 1
	case kind == opRestarts && o.kill:
		cost = o.times
	}
	if cost > m.abrupt { // over the budget: gracefully instead
		o.kill, cost = false, 0
	}
	m.abrupt -= cost
	return o
}
