package faults

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tributary-dev/tributary/shared/datadir"
	"github.com/tributary-dev/tributary/tests/faults/cluster"
)

// A stream at its byte limit refuses publishes (Discard New) instead of
// deleting what the loader has not read; the watcher keeps the files it
// cannot publish and retries, and everything loads once space returns.
func TestFullStreamRefusesAndNothingIsLostWhenSpaceReturns(t *testing.T) {
	const maxBytes = 256 << 10
	c := cluster.New(t, bin, cluster.Options{NATS: cluster.NATSOptions{SyncAlways: true}, Vars: map[string]string{
		"STREAM_MAX_BYTES": fmt.Sprint(maxBytes),
	}})
	watcher := c.Watcher(nil) // no loader yet: the stream only fills
	o := newOracle()
	const files, rows = 12, 500 // ~50 KB each, ~600 KB in all
	for i := range files {
		name := fmt.Sprintf("file-%02d.csv", i)
		data := csvFile(fmt.Sprintf("bp%02d", i), rows)
		if err := o.add(name, data); err != nil {
			t.Fatal(err)
		}
		land(t, c, name, data)
	}
	eventually(t, 30*time.Second, "the watcher told the stream is full", func() bool {
		return cluster.CountLog(watcher, "maximum bytes exceeded") > 0
	})
	st, err := c.JS.Stream(context.Background(), c.Settings.Stream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	archived := countDir(c.Data.Path(datadir.Archive))
	backlog, err := c.Data.CountBacklog() // claim slots included
	if err != nil {
		t.Fatal(err)
	}
	waiting := backlog.Input + backlog.Claimed
	t.Logf("stream full: %d messages, %d bytes of %d; %d files archived, %d kept by the watcher", info.State.Msgs, info.State.Bytes, maxBytes, archived, waiting)
	if info.State.Bytes > maxBytes {
		t.Errorf("stream holds %d bytes, over its limit %d", info.State.Bytes, maxBytes)
	}
	if waiting == 0 || archived+waiting != files {
		t.Fatalf("%d archived + %d kept, want %d files with some kept back", archived, waiting, files)
	}
	if info.State.FirstSeq != 1 {
		t.Errorf("stream's first sequence is %d: a message was discarded", info.State.FirstSeq)
	}

	c.Loaders(1, nil) // space returns as the loader acknowledges
	if err := settle(context.Background(), c, o, time.Minute); err != nil {
		t.Fatal(err)
	}
	res := verify(t, c, o)
	if res != (result{}) {
		t.Errorf("lost %d, duplicated %d, extra %d", res.lost, res.duplicated, res.extra)
	}
	t.Logf("after the loader drained it: %d files archived, %d rows loaded, publish retries logged %d", countDir(c.Data.Path(datadir.Archive)),
		count(t, c, "SELECT count(*) FROM user_activity"), cluster.CountLog(watcher, "keeping the file and retrying"))
}
