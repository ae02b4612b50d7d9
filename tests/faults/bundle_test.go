package faults

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/tributary-dev/tributary/shared/datadir"
	"github.com/tributary-dev/tributary/tests/faults/cluster"
)

// Small files travel in bundles. Here their bundles are stored but the
// files cannot be archived (archive/ is gone from under the watcher), so
// the watcher sends them again and again, each time in other company (new
// bundles, new message ids, stored again), then it is killed with -9 and
// restarted with another bundle size, and a loader is killed mid-way. Every
// file is a part of its own inside any bundle: the ledger loads each once.
func TestBundlesSentAgainInOtherCompanyLoadOnce(t *testing.T) {
	c := cluster.New(t, bin, cluster.Options{NATS: cluster.NATSOptions{SyncAlways: true}})
	archive := c.Data.Path(datadir.Archive)
	// The watcher holds archive/ open from its start: removed and replaced
	// by a file, every move into it fails until the watcher opens it again.
	watcher := c.Watcher(map[string]string{"WATCHER_BUNDLE_FILES": "50"})
	eventually(t, 30*time.Second, "the watcher holds its directories", func() bool { return cluster.CountLog(watcher, `msg=watching`) > 0 })
	if err := os.Remove(archive); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(archive, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	loaders := c.Loaders(1, nil)
	o := newOracle()
	const files = 400
	for i := range files {
		name := fmt.Sprintf("small_%03d.csv", i)
		data := csvFile(fmt.Sprintf("b%d", i), 5+i%7)
		if err := o.add(name, data); err != nil {
			t.Fatal(err)
		}
		land(t, c, name, data)
	}
	deadline := time.Now().Add(time.Minute)
	for count(t, c, "SELECT count(*) FROM user_activity") != o.rows {
		if time.Now().After(deadline) {
			t.Fatalf("after a minute %d of %d rows loaded\n%s", count(t, c, "SELECT count(*) FROM user_activity"), o.rows, c.LogTails(20))
		}
		time.Sleep(100 * time.Millisecond)
	}
	firstSend := lastSeq(t, c) // messages once every file was loaded
	for deadline := time.Now().Add(time.Minute); c.SkippedByLedger() <= files; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("after a minute %d files skipped by the ledger, want more than %d\n%s", c.SkippedByLedger(), files, c.LogTails(60))
		}
	}
	loaders[0].Kill()
	watcher.Kill()
	if err := os.Remove(archive); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(archive, 0o755); err != nil {
		t.Fatal(err)
	}
	c.Watcher(map[string]string{"WATCHER_BUNDLE_FILES": "7"})
	c.Loaders(1, nil)
	if err := settle(context.Background(), c, o, 2*time.Minute); err != nil {
		t.Fatal(err)
	}
	res := verify(t, c, o)
	stored, skipped := lastSeq(t, c), c.SkippedByLedger()
	t.Logf("%d files in %d messages by the time each had loaded once; %d messages stored in all (bundles of up to 50, then 7), "+
		"%d files skipped by the ledger: lost %d, duplicated %d, extra %d", files, firstSend, stored, skipped, res.lost, res.duplicated, res.extra)
	if res != (result{}) {
		t.Errorf("lost %d, duplicated %d, extra %d", res.lost, res.duplicated, res.extra)
	}
	if firstSend >= files {
		t.Errorf("%d messages for %d files: nothing was bundled", firstSend, files)
	}
	if n := count(t, c, "SELECT count(*) FROM ingest_ledger"); n != files {
		t.Errorf("%d ledger rows, want one per file (%d)", n, files)
	}
}
