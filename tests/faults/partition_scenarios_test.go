package faults

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/tributary-dev/tributary/shared/datadir"
	"github.com/tributary-dev/tributary/tests/faults/cluster"
)

// holdFor is how long a cut that leaves no quorum is kept: long enough for
// the watcher to retry its publishes several times.
const holdFor = 3 * time.Second

// partitioner runs the partition scenarios on one pipeline and keeps the
// matrix of what each did.
type partitioner struct {
	t      *testing.T
	c      *cluster.Cluster
	o      *oracle
	loader *cluster.Proc
	round  int
	files  int
	matrix []string
}

var nodes = []string{"nats-1", "nats-2", "nats-3"}

// land lands n new files and returns how many rows the oracle then expects.
func (p *partitioner) land(scenario string, n int) int {
	p.t.Helper()
	for range n {
		p.files++
		name := fmt.Sprintf("part-%d-%s-%d.csv", p.round, scenario, p.files)
		data := csvFile(fmt.Sprintf("p%d", p.files), 300)
		if err := p.o.add(name, data); err != nil {
			p.t.Fatal(err)
		}
		land(p.t, p.c, name, data)
	}
	return p.o.rows
}

func (p *partitioner) rows() int {
	var n int
	if err := p.c.Pool.QueryRow(context.Background(), "SELECT count(*) FROM user_activity").Scan(&n); err != nil {
		return -1
	}
	return n
}

// loaded waits until every file landed so far is archived and loaded.
func (p *partitioner) loaded(what string, timeout time.Duration) {
	p.t.Helper()
	eventually(p.t, timeout, what, func() bool {
		return len(names(p.t, p.c.Data.Path(datadir.Archive))) == len(p.o.good) && p.rows() == p.o.rows
	})
}

func (p *partitioner) landAndLoad(scenario string, n int) {
	p.land(scenario, n)
	p.loaded(scenario+": files load", time.Minute)
}

func (p *partitioner) must(err error) {
	p.t.Helper()
	if err != nil {
		p.t.Fatal(err)
	}
}

func (p *partitioner) streamLeader() string {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	st, err := p.c.JS.Stream(ctx, p.c.Settings.Stream)
	if err != nil {
		return ""
	}
	si, err := st.Info(ctx)
	if err != nil || si.Cluster == nil {
		return ""
	}
	return si.Cluster.Leader
}

func (p *partitioner) leader() string {
	var l string
	eventually(p.t, time.Minute, "the stream has a leader", func() bool { l = p.streamLeader(); return l != "" })
	return l
}

func followers(leader string) []string {
	return slices.DeleteFunc(slices.Clone(nodes), func(n string) bool { return n == leader })
}

// record notes a scenario: from the cut to the moment the files landed
// during it were all loaded.
func (p *partitioner) record(scenario string, cut time.Time, detail string) {
	line := fmt.Sprintf("round %d %-28s held %-6s %s; lost 0 / duplicated 0 checked at the end", p.round, scenario,
		time.Since(cut).Round(100*time.Millisecond), detail)
	p.t.Log(line)
	p.matrix = append(p.matrix, line)
}

// (1) The stream leader alone on one side: the majority elects a new
// leader and goes on loading while the old one is cut off.
func (p *partitioner) leaderIsolated() {
	old := p.leader()
	cut := time.Now()
	p.must(p.c.Net.Cut(old))
	eventually(p.t, time.Minute, "a new stream leader on the majority side", func() bool {
		l := p.streamLeader()
		return l != "" && l != old
	})
	p.land("leader", 3)
	p.loaded("leader isolated: files load on the majority", 2*time.Minute)
	p.record("stream leader isolated", cut, fmt.Sprintf("(%s cut, %s took over)", old, p.streamLeader()))
	p.must(p.c.Net.Heal(old))
}

// (2) One follower cut off: the leader and the other follower are a quorum.
func (p *partitioner) minorityIsolated() {
	f := followers(p.leader())[0]
	cut := time.Now()
	p.must(p.c.Net.Cut(f))
	p.land("minority", 3)
	p.loaded("minority isolated: files load", 2*time.Minute)
	p.record("minority isolated", cut, fmt.Sprintf("(%s cut)", f))
	p.must(p.c.Net.Heal(f))
}

// (3) Both followers cut off: no quorum answers anywhere. The files must
// be held (nothing archived) until the links come back.
func (p *partitioner) quorumLost() {
	fs := followers(p.leader())
	archived := len(names(p.t, p.c.Data.Path(datadir.Archive)))
	cut := time.Now()
	for _, f := range fs {
		p.must(p.c.Net.Cut(f))
	}
	p.land("noquorum", 3)
	eventually(p.t, time.Minute, "the watcher claims the files", func() bool {
		return countDir(p.c.Data.Path(datadir.Input)) == 0
	})
	held := time.Now().Add(holdFor)
	for time.Now().Before(held) {
		if n := len(names(p.t, p.c.Data.Path(datadir.Archive))); n != archived {
			p.t.Fatalf("no quorum, yet %d files were archived: a publish was taken as acknowledged without a quorum", n-archived)
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, f := range fs {
		p.must(p.c.Net.Heal(f))
	}
	p.loaded("quorum back: the held files load", 2*time.Minute)
	p.record("quorum lost (2 of 3 cut)", cut, fmt.Sprintf("(%v cut, 0 archived while cut)", fs))
}

// (4) Asymmetric: the leader's packets to one follower are dropped, the
// follower's to the leader still arrive.
func (p *partitioner) asymmetric() {
	l := p.leader()
	f := followers(l)[0]
	cut := time.Now()
	p.must(p.c.Net.Blackhole(l, f))
	p.land("asym", 3)
	p.loaded("asymmetric cut: files load", 2*time.Minute)
	p.record("asymmetric leader->follower", cut, fmt.Sprintf("(%s->%s dropped)", l, f))
	p.must(p.c.Net.Unblackhole(l, f))
}

// (5) The loader is cut from NATS while it holds a batch: it may commit
// (PostgreSQL is on a socket) but cannot ack; the batch comes back after
// the ack wait and the ledger absorbs it.
func (p *partitioner) loaderCutHoldingBatch() {
	ctx := context.Background()
	// The loader is paused while a file lands, so that what its pending
	// pull delivers stays unacknowledged; if its pull had expired nothing is
	// delivered: let it load and try again.
	var cut time.Time
	for attempt := 0; ; attempt++ {
		if attempt == 10 {
			p.t.Fatal("the loader never held a batch while paused")
		}
		p.must(p.loader.Pause())
		p.land("loadercut", 1)
		held := false
		deadline := time.Now().Add(5 * time.Second)
		for !held && time.Now().Before(deadline) {
			info, err := consumerInfo(ctx, p.c)
			held = err == nil && info.NumAckPending > 0
			time.Sleep(50 * time.Millisecond)
		}
		if held {
			cut = time.Now()
			break
		}
		p.must(p.loader.Resume())
		p.loaded("loader resumed: the file loads", time.Minute)
	}
	p.must(p.c.Net.Cut("loader-1"))
	p.must(p.loader.Resume())
	// The loader applies the batch it holds (PostgreSQL is on a socket) but
	// its ack cannot leave: wait for the commit, or at most holdFor*10.
	committed := false
	deadline := time.Now().Add(10 * holdFor)
	for !committed && time.Now().Before(deadline) {
		committed = p.rows() == p.o.rows
		time.Sleep(100 * time.Millisecond)
	}
	p.must(p.c.Net.Heal("loader-1"))
	p.loaded("loader back: the held batch loads once", 2*time.Minute)
	p.record("loader cut holding a batch", cut, fmt.Sprintf("(committed while cut: %v; %d redeliveries absorbed by the ledger so far)", committed, p.c.SkippedByLedger()))
}

// (6) The watcher's publishes reach the cluster but no ack comes back (the
// nodes' packets to it dropped): the message is stored, the watcher keeps
// the file and publishes again after the heal; the Nats-Msg-Id and the
// ledger keep it from loading twice.
func (p *partitioner) watcherCutBeforeAck() {
	ctx := context.Background()
	// From a stream with a leader: the heals before may still be settling
	// (a run once cut the watcher while the cluster had no quorum, and
	// nothing could be stored for a minute).
	p.leader()
	before := p.lastSeq(ctx)
	archived := len(names(p.t, p.c.Data.Path(datadir.Archive)))
	cut := time.Now()
	for _, n := range nodes {
		p.must(p.c.Net.Blackhole(n, "watcher"))
	}
	p.land("watchercut", 2)
	eventually(p.t, time.Minute, "a publish stored while its ack cannot return", func() bool {
		return p.lastSeq(ctx) > before
	})
	if n := len(names(p.t, p.c.Data.Path(datadir.Archive))); n != archived {
		p.t.Fatalf("%d files archived without the watcher seeing an ack", n-archived)
	}
	for _, n := range nodes {
		p.must(p.c.Net.Unblackhole(n, "watcher"))
	}
	p.loaded("watcher back: its files load once", 2*time.Minute)
	p.record("watcher cut before the ack", cut, fmt.Sprintf("(stream seq %d -> %d while cut)", before, p.lastSeq(ctx)))
}

// failover bounds how long a service connected to a cut node may take to
// move to the majority: its pings (every 5 s, two outstanding) or its 5 s
// write deadline must find the dead connection, then a publish retry.
// About 33 s measured on a busy machine; without those settings a blocked
// write held the connection for over a minute (71 s).
const failover = 55 * time.Second

// (7) The node the watcher is connected to is cut off while it publishes:
// the watcher must find the dead connection and publish on the majority,
// and the files must load while the node is still cut.
func (p *partitioner) watcherNodeIsolated() {
	node := p.connectedNode("watcher")
	cut := time.Now()
	p.must(p.c.Net.Cut(node))
	p.land("watchernode", 4)
	p.loaded(fmt.Sprintf("the watcher's node %s cut: files load on the majority within %s", node, failover), failover)
	p.record("watcher's node isolated", cut, fmt.Sprintf("(%s cut)", node))
	p.must(p.c.Net.Heal(node))
}

var connectedURL = regexp.MustCompile(`msg="nats (?:re)?connected".* url=nats://([0-9.]+):4222`)

// connectedNode is the node a service is connected to now: the last one
// its log says it connected to.
func (p *partitioner) connectedNode(service string) string {
	for _, proc := range p.c.Procs() {
		if proc.Name != service {
			continue
		}
		addr := ""
		for _, l := range logLines(proc.LogFile(), "connected", 1<<20) {
			if m := connectedURL.FindStringSubmatch(l); m != nil {
				addr = m[1]
			}
		}
		for _, n := range nodes {
			if addr != "" && p.c.Net.Addr(n) == addr {
				return n
			}
		}
		p.t.Fatalf("%s's log names no node it is connected to (last address %q)", service, addr)
	}
	p.t.Fatalf("no service %s", service)
	return ""
}

func (p *partitioner) lastSeq(ctx context.Context) uint64 {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	st, err := p.c.JS.Stream(ctx, p.c.Settings.Stream)
	if err != nil {
		return 0
	}
	si, err := st.Info(ctx)
	if err != nil {
		return 0
	}
	return si.State.LastSeq
}
