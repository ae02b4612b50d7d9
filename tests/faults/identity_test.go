package faults

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tributary-dev/tributary/tests/faults/cluster"
)

// A multi-part file is half published when the stream fills; the watcher
// is then restarted with another split limit, so the second attempt cuts
// the file at other row boundaries. A part's identity names its rows (a
// byte range of the file), not its position in one attempt's split, so
// the parts of both attempts settle to every row exactly once.
//
// A gzip file goes the same way: its ranges are offsets in its
// decompressed content, which both attempts decompress alike; and so does
// a Parquet file, whose ranges are row indices.
func TestSplitLimitChangedBetweenAttemptsLosesNothing(t *testing.T) {
	for _, tt := range []struct{ first, second, format string }{
		{"4096", "4200", "csv"}, // the second attempt's parts are larger: rows fall between
		{"4200", "4096", "csv"}, // smaller: rows are covered twice
		{"4200", "4096", "gzip"},
		{"4096", "4200", "parquet"},
	} {
		t.Run(tt.first+"-then-"+tt.second+"-"+tt.format, func(t *testing.T) {
			c := cluster.New(t, bin, cluster.Options{NATS: cluster.NATSOptions{SyncAlways: true}, Vars: map[string]string{
				"STREAM_MAX_BYTES": fmt.Sprint(64 << 10),
			}})
			watcher := c.Watcher(map[string]string{"WATCHER_MAX_MESSAGE_BYTES": tt.first})
			o := newOracle()
			data := csvFile("split", 2500)
			file, landed := "events_1.csv", data
			switch tt.format {
			case "gzip":
				file, landed = "events_1.csv.gz", gzipped(t, data)
			case "parquet":
				file, landed = "events_1.parquet", asParquet(t, data)
			}
			if err := o.addLanded(file, landed, data); err != nil {
				t.Fatal(err)
			}
			land(t, c, file, landed)
			eventually(t, 30*time.Second, "the stream filled half way through the file", func() bool {
				return cluster.CountLog(watcher, "maximum bytes exceeded") > 0
			})
			published := lastSeq(t, c)
			watcher.Kill()
			c.Watcher(map[string]string{"WATCHER_MAX_MESSAGE_BYTES": tt.second})
			c.Loaders(1, nil)
			if err := settle(context.Background(), c, o, time.Minute); err != nil {
				t.Fatal(err)
			}
			res := verify(t, c, o)
			t.Logf("first attempt published %d parts at %s bytes; after the restart at %s: lost %d, duplicated %d, extra %d",
				published, tt.first, tt.second, res.lost, res.duplicated, res.extra)
			if res != (result{}) {
				t.Errorf("lost %d, duplicated %d, extra %d", res.lost, res.duplicated, res.extra)
			}
		})
	}
}
