package scale

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/tributary-dev/tributary/shared/contract"
	"github.com/tributary-dev/tributary/shared/datadir"
	"github.com/tributary-dev/tributary/tests/harness"
	"go.uber.org/fx"
)

// Two watchers share one input directory over 10,000 files, half landed
// before they start (their start-up scans race) and half while they run
// (both see every inotify event). Claims by atomic rename must give each
// file to one watcher: a subscriber on the ingest subject sees every
// publish, duplicates included (the stream would drop a duplicate
// silently), and must see each file exactly once.
func TestTwoWatchersPublishEachFileOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("10,000 files")
	}
	const files = 10_000
	env := harness.New(t)
	nc, err := nats.Connect(env.NATS.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	var mu sync.Mutex
	seen := map[string]int{}
	observed := 0
	sub, err := nc.Subscribe("ingest.data", func(m *nats.Msg) {
		mu.Lock()
		defer mu.Unlock()
		seen[m.Header.Get(nats.MsgIdHdr)]++
		observed++
	})
	if err != nil {
		t.Fatal(err)
	}
	sub.SetPendingLimits(-1, -1)
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}

	land := func(from, to int) {
		for i := from; i < to; i++ {
			env.Land(fmt.Sprintf("f%05d.csv", i), []byte(fmt.Sprintf("%s\nev-%05d,2026-11-26 10:00:00,view,1,1.00,1,s\n", contract.HeaderLine, i)))
		}
	}
	land(0, files/2)
	start := time.Now()
	var regs [2]*prometheus.Registry
	for i := range regs {
		env.Watcher(map[string]string{"WATCHER_ID": fmt.Sprintf("w%d", i+1)}, fx.Populate(&regs[i]))
	}
	land(files/2, files)
	env.Eventually(3*time.Minute, "every file archived", func() bool { return len(env.Files(datadir.Archive)) == files })
	took := time.Since(start)
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}

	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	stream, err := js.Stream(ctx, "INGEST")
	if err != nil {
		t.Fatal(err)
	}
	state := stream.CachedInfo().State
	mu.Lock()
	defer mu.Unlock()
	var w [2]float64
	for i, reg := range regs {
		w[i] = env.Counter(reg, "tributary_watcher_messages_published_total")
	}
	t.Logf("%d files in %v: w1 published %.0f, w2 published %.0f; subject saw %d publishes of %d distinct ids; stream holds %d messages, last sequence %d",
		files, took.Round(time.Millisecond), w[0], w[1], observed, len(seen), state.Msgs, state.LastSeq)
	if observed != files || len(seen) != files {
		t.Errorf("%d publishes of %d distinct files, want %d of %d", observed, len(seen), files, files)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("%s published %d times", id, n)
		}
	}
	if state.Msgs != files || state.LastSeq != files {
		t.Errorf("stream holds %d messages up to sequence %d, want %d", state.Msgs, state.LastSeq, files)
	}
	if w[0]+w[1] != files || w[0] == 0 || w[1] == 0 {
		t.Errorf("watchers published %.0f and %.0f, want both a share of %d", w[0], w[1], files)
	}
	for _, dir := range []string{datadir.Input, filepath.Join(datadir.Claimed, "w1"), filepath.Join(datadir.Claimed, "w2")} {
		if left, _ := os.ReadDir(env.Data.Path(dir)); len(left) != 0 {
			t.Errorf("%d files left in %s", len(left), dir)
		}
	}
}
