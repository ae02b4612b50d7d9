package faults

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/tributary-dev/tributary/shared/datadir"
	"github.com/tributary-dev/tributary/shared/ingest"
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

// A file PostgreSQL refuses, travelling in a bundle with good ones, holds
// back only itself: the others load once, the bundle is acknowledged once
// the refused file's budget is spent, and the dead letter is that file's
// own message, which `ctl redrive dlq` loads once the
// cause is fixed.
func TestRefusedFileInABundleIsDeadLetteredAlone(t *testing.T) {
	c := cluster.New(t, bin, cluster.Options{NATS: cluster.NATSOptions{SyncAlways: true}})
	ctx := context.Background()
	if _, err := c.Pool.Exec(ctx, `ALTER TABLE ingest_ledger ADD CONSTRAINT no_refused CHECK (file_name <> 'refused.csv')`); err != nil {
		t.Fatal(err)
	}
	o := newOracle()
	const files = 40
	var refused []byte
	for i := range files {
		name, data := fmt.Sprintf("small_%02d.csv", i), csvFile(fmt.Sprintf("r%d", i), 8)
		if i == 17 {
			name, refused = "refused.csv", data
		} else if err := o.add(name, data); err != nil {
			t.Fatal(err)
		}
		land(t, c, name, data)
	}
	time.Sleep(300 * time.Millisecond) // past the settle time: the start-up scan takes them all at once
	c.Watcher(nil)
	c.Loaders(1, map[string]string{"CONSUMER_MAX_DELIVER": "3"})
	eventually(t, time.Minute, "the refused file dead-lettered, the bundle acknowledged", func() bool {
		msgs, pending, err := c.Backlog(ctx)
		return err == nil && msgs == 0 && pending == 0 && streamMessages(t, c, c.Settings.DeadLetterStream()) == 1
	})
	if got := count(t, c, "SELECT count(*) FROM user_activity"); got != o.rows {
		t.Fatalf("%d rows loaded, want %d: every file but the refused one, once", got, o.rows)
	}
	if stored := lastSeq(t, c); stored >= files {
		t.Errorf("%d messages for %d files: nothing was bundled", stored, files)
	}
	dlq, err := c.JS.Stream(ctx, c.Settings.DeadLetterStream())
	if err != nil {
		t.Fatal(err)
	}
	dead, err := dlq.GetMsg(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	id := dead.Header.Get(nats.MsgIdHdr)
	if dead.Header.Get(ingest.HeaderFileName) != "refused.csv" || strings.HasPrefix(id, "dead.bundle.") || !strings.HasPrefix(id, "dead.") ||
		!bytes.Contains(refused, dead.Data) || len(dead.Data) == 0 {
		t.Fatalf("the dead letter is not the refused file's own message: %s %v %q", id, dead.Header, dead.Data)
	}
	reason, _ := url.PathUnescape(dead.Header.Get(ingest.HeaderDeadReason))
	t.Logf("%d files in %d messages; dead letter %s: %s", files, lastSeq(t, c), id, reason)

	// Fixed, then re-driven.
	if _, err := c.Pool.Exec(ctx, `ALTER TABLE ingest_ledger DROP CONSTRAINT no_refused`); err != nil {
		t.Fatal(err)
	}
	if out, err := c.Ctl(ctx, "redrive", "dlq", "-all"); err != nil {
		t.Fatalf("ctl redrive dlq -all: %v\n%s", err, out)
	}
	if err := o.add("refused.csv", refused); err != nil {
		t.Fatal(err)
	}
	if err := settle(ctx, c, o, time.Minute); err != nil {
		t.Fatal(err)
	}
	if got := count(t, c, "SELECT count(*) FROM user_activity"); got != o.rows {
		t.Errorf("%d rows after the re-drive, want %d", got, o.rows)
	}
}

func streamMessages(t *testing.T, c *cluster.Cluster, name string) uint64 {
	t.Helper()
	st, err := c.JS.Stream(context.Background(), name)
	if err != nil {
		return 0
	}
	info, err := st.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Msgs
}
