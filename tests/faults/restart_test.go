package faults

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/tributary-dev/tributary/tests/faults/cluster"
)

// Loaders restarted (gracefully and with SIGKILL) while PostgreSQL is
// unreachable redeliver every message many times over its budget; none of
// those deliveries was a failure of the message, so when PostgreSQL comes
// back everything loads and nothing is dead-lettered. Migrations run apart
// (LOADER_MIGRATE=false), so the loaders fetch without waiting for
// PostgreSQL.
func TestLoaderRestartsDuringAnOutageSpendNoDeliveryBudget(t *testing.T) {
	const maxDeliver, files, restarts = 3, 6, 6
	c := cluster.New(t, bin, cluster.Options{NATS: cluster.NATSOptions{SyncAlways: true}, Vars: map[string]string{
		"LOADER_MIGRATE":       "false",
		"CONSUMER_MAX_DELIVER": fmt.Sprint(maxDeliver),
	}})
	ctx := context.Background()
	c.Watcher(nil)
	c.Proxy.Down()
	o := newOracle()
	for i := range files {
		name := fmt.Sprintf("outage-%d.csv", i)
		data := csvFile(fmt.Sprintf("out%d", i), 200)
		if err := o.add(name, data); err != nil {
			t.Fatal(err)
		}
		land(t, c, name, data)
	}
	eventually(t, 30*time.Second, "every file published", func() bool {
		st, err := c.JS.Stream(ctx, c.Settings.Stream)
		return err == nil && st.CachedInfo().State.Msgs == files
	})

	loader := c.Loaders(1, nil)[0]
	var (
		delivered uint64
		last      string
	)
	for round := range restarts {
		// Wait until this loader holds every message again: one more delivery each.
		want := delivered + files
		eventually(t, time.Minute, fmt.Sprintf("round %d: the loader holds every message", round), func() bool {
			info, err := consumerInfo(ctx, c)
			if err != nil {
				return false
			}
			delivered = info.Delivered.Consumer
			if state := fmt.Sprintf("round %d: %d deliveries, %d held", round, delivered, info.NumAckPending); state != last {
				t.Log(state)
				last = state
			}
			return info.NumAckPending == files && delivered >= want || info.NumAckPending == 0 && info.NumPending == 0
		})
		if round%2 == 0 {
			loader.Stop(10 * time.Second) // hands its messages back (Nak)
		} else {
			loader.Kill() // its messages come back after CONSUMER_ACK_WAIT
		}
		if err := loader.Start(); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d deliveries of %d messages while PostgreSQL was unreachable (budget %d each)", delivered, files, maxDeliver)
	if err := c.Proxy.Up(); err != nil {
		t.Fatal(err)
	}
	if err := settle(ctx, c, o, 2*time.Minute); err != nil {
		t.Error(err)
	}
	if dead, err := c.DeadLetters(ctx); err != nil || dead != 0 {
		t.Errorf("dead-letter stream holds %d messages (%v), want 0: no delivery failed", dead, err)
	}
	if res := verify(t, c, o); res != (result{}) {
		t.Errorf("lost %d, duplicated %d, extra %d", res.lost, res.duplicated, res.extra)
	}
	if delivered < files*(maxDeliver+1) {
		t.Errorf("only %d deliveries: the test did not push the messages past their budget", delivered)
	}
}

func consumerInfo(ctx context.Context, c *cluster.Cluster) (*jetstream.ConsumerInfo, error) {
	cons, err := c.JS.Consumer(ctx, c.Settings.Stream, c.Settings.Consumer)
	if err != nil {
		return nil, err
	}
	return cons.Info(ctx)
}
