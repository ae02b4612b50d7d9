package scale

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/tributary-dev/tributary/shared/datadir"
	"github.com/tributary-dev/tributary/tests/harness"
	"go.uber.org/fx"
)

// Two loaders share the one durable consumer: each takes a share of the
// messages, and together they load every row once.
func TestTwoLoadersShareOneDurableConsumer(t *testing.T) {
	env := harness.New(t)
	env.Watcher(nil)
	var regs [2]*prometheus.Registry
	for i := range regs {
		env.Loader(map[string]string{"LOADER_BATCH_MESSAGES": "2"}, fx.Populate(&regs[i]))
	}
	// Both loaders pull (two workers each) before any file lands.
	nc, err := nats.Connect(env.NATS.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	env.Eventually(30*time.Second, "four pulls waiting on the consumer", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		c, err := js.Consumer(ctx, "INGEST", "loader")
		if err != nil {
			return false
		}
		info, err := c.Info(ctx)
		return err == nil && info.NumWaiting >= 4
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	stream, err := js.Stream(ctx, "INGEST")
	if err != nil {
		t.Fatal(err)
	}
	consumers := stream.ListConsumers(ctx)
	var names []string
	for c := range consumers.Info() {
		names = append(names, c.Name)
	}
	if len(names) != 1 {
		t.Fatalf("consumers %v, want the one durable", names)
	}

	const files, rows = 100, 200
	env.Generate(files, rows, nil)
	env.Eventually(60*time.Second, "every row loaded", func() bool { return env.Rows() >= files*rows })
	time.Sleep(500 * time.Millisecond) // let a duplicate, if any, surface

	o := env.ReadOracle(env.Data.Path(datadir.Archive))
	loaded, distinct, cents := env.Loaded()
	var applied [2]float64
	for i, reg := range regs {
		applied[i] = env.Counter(reg, "tributary_loader_messages_applied_total")
	}
	t.Logf("loader 1 applied %.0f messages, loader 2 %.0f; rows: %d in files, %d loaded (%d distinct); cents: %d in files, %d loaded",
		applied[0], applied[1], o.Rows, loaded, distinct, o.Cents, cents)
	if applied[0] == 0 || applied[1] == 0 || applied[0]+applied[1] != files {
		t.Errorf("loaders applied %.0f and %.0f messages, want both a share of %d", applied[0], applied[1], files)
	}
	if o.Rows != files*rows || loaded != o.Rows || distinct != o.Rows || cents != o.Cents {
		t.Errorf("loaded %d rows (%d distinct), %d cents; the files hold %d rows, %d cents", loaded, distinct, cents, o.Rows, o.Cents)
	}
}
