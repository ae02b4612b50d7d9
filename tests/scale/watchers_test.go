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
	"github.com/tributary-dev/tributary/shared/ingest"
	"github.com/tributary-dev/tributary/tests/harness"
	"go.uber.org/fx"
)

// Two watchers share one input directory over 10,000 files, half landed
// before they start (their start-up scans race) and half while they run
// (both see every inotify event). Claims by atomic rename must give each
// file to one watcher: a subscriber on the ingest subject sees every
// publish, duplicates included (the stream would drop a duplicate
// silently), and must see each file exactly once, alone or inside a bundle.
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
	observed, publishes := 0, 0
	var malformed error
	sub, err := nc.Subscribe("ingest.data", func(m *nats.Msg) {
		mu.Lock()
		defer mu.Unlock()
		publishes++
		entries := []ingest.Entry{{Header: m.Header, Data: m.Data}}
		if ingest.IsBundle(m.Header) {
			var err error
			if entries, err = ingest.Unbundle(m.Header, m.Data); err != nil {
				malformed = err
			}
		}
		for _, e := range entries {
			seen[e.Header.Get(nats.MsgIdHdr)]++
			observed++
		}
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
	var w, msgs [2]float64
	for i, reg := range regs {
		w[i] = env.Counter(reg, "tributary_watcher_files_archived_total")
		msgs[i] = env.Counter(reg, "tributary_watcher_messages_published_total")
	}
	t.Logf("%d files in %v: w1 published %.0f in %.0f messages, w2 %.0f in %.0f; subject saw %d publishes holding %d files of %d distinct ids; stream holds %d messages, last sequence %d",
		files, took.Round(time.Millisecond), w[0], msgs[0], w[1], msgs[1], publishes, observed, len(seen), state.Msgs, state.LastSeq)
	if malformed != nil {
		t.Errorf("a published bundle does not unpack: %v", malformed)
	}
	if observed != files || len(seen) != files {
		t.Errorf("%d publishes of %d distinct files, want %d of %d", observed, len(seen), files, files)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("%s published %d times", id, n)
		}
	}
	if state.Msgs != uint64(publishes) || state.LastSeq != uint64(publishes) || msgs[0]+msgs[1] != float64(publishes) {
		t.Errorf("stream holds %d messages up to sequence %d, watchers published %.0f, want the %d the subject saw", state.Msgs, state.LastSeq, msgs[0]+msgs[1], publishes)
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
