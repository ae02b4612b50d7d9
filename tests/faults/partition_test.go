package faults

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tributary-dev/tributary/tests/faults/cluster"
)

// A real 3-node JetStream cluster (streams R3), each node, the watcher and
// the loader in a network namespace of its own, links cut and healed while
// files land: the stream leader isolated, a minority isolated, quorum lost,
// an asymmetric cut, the loader cut while it holds a batch, the watcher cut
// between its publish and the ack. Files are held while no quorum answers,
// nothing acknowledged is lost, nothing loads twice.
// PARTITIONS_ROUNDS (task faults:partitions) repeats the matrix.
func TestPartitionsLoseNothing(t *testing.T) {
	requireNetns(t)
	rounds := 1
	if v := os.Getenv("PARTITIONS_ROUNDS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("PARTITIONS_ROUNDS=%q: want a positive number", v)
		}
		rounds = n
	}
	c := cluster.New(t, bin, cluster.Options{Partitions: true, NATS: cluster.NATSOptions{SyncAlways: true},
		Vars: map[string]string{"STREAM_REPLICAS": "3"}})
	tails(t, c)
	p := &partitioner{t: t, c: c, o: newOracle()}
	c.Watcher(nil)
	p.loader = c.Loaders(1, nil)[0]
	p.landAndLoad("warm-up", 2)

	for r := range rounds {
		p.round = r
		p.leaderIsolated()
		p.minorityIsolated()
		p.quorumLost()
		p.asymmetric()
		p.loaderCutHoldingBatch()
		p.watcherCutBeforeAck()
		p.watcherNodeIsolated()
	}
	if err := settle(context.Background(), c, p.o, 2*time.Minute); err != nil {
		t.Error(err)
	}
	res := verify(t, c, p.o)
	t.Logf("partition matrix (%d rounds, %d files, %d rows; %d redeliveries absorbed by the ledger):", rounds, len(p.o.good), p.o.rows, c.SkippedByLedger())
	for _, line := range p.matrix {
		t.Logf("  %s", line)
	}
	t.Logf("  total: lost %d, duplicated %d, extra %d", res.lost, res.duplicated, res.extra)
	if err := c.Died(); err != nil {
		t.Error(err)
	}
}

// requireNetns fails under CI=true and skips loudly elsewhere when this
// machine cannot create network namespaces (not root, no iproute2).
func requireNetns(t *testing.T) {
	t.Helper()
	name := cluster.NetPrefix + "probe-" + strconv.Itoa(os.Getpid())
	out, err := exec.Command("ip", "netns", "add", name).CombinedOutput()
	if err == nil {
		_ = exec.Command("ip", "netns", "del", name).Run()
		return
	}
	msg := fmt.Sprintf("PARTITION TESTS NOT RUN: cannot create a network namespace (needs root and iproute2): %v: %s", err, strings.TrimSpace(string(out)))
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}
