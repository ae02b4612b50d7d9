package faults

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/tributary-dev/tributary/shared/datadir"
	"github.com/tributary-dev/tributary/shared/ingest"
	"github.com/tributary-dev/tributary/tests/faults/cluster"
)

// ctl reconcile finds files that were published (and archived) but kept
// from loading: waiting with no loader running, lost from the stream, and
// dead-lettered because PostgreSQL refused their rows.
func TestReconcileFindsFilesPublishedButNotLoaded(t *testing.T) {
	ctx := context.Background()
	c := cluster.New(t, bin, cluster.Options{NATS: cluster.NATSOptions{SyncAlways: true}, Vars: map[string]string{
		"CONSUMER_MAX_DELIVER": "2",
	}})
	// One message per file, so that one file can be lost alone (reconcile
	// reading bundles: TestReconcileReadsBundles in ctl's reconcile).
	c.Watcher(map[string]string{"WATCHER_BUNDLE_FILES": "1"}) // and no loader
	for name, prefix := range map[string]string{"loads.csv": "loads", "refused.csv": "refused", "lost.csv": "lost"} {
		land(t, c, name, csvFile(prefix, 50))
	}
	eventually(t, 20*time.Second, "three files archived", func() bool { return countDir(c.Data.Path(datadir.Archive)) == 3 })

	out, err := c.Reconcile(ctx)
	t.Logf("no loader running: ctl reconcile (%v):\n%s", err, out)
	if err != nil || strings.Count(out, "pending ") != 3 {
		t.Fatalf("want three pending files and no problem")
	}

	// lost.csv's message vanishes from the stream: published, acknowledged
	// to the watcher, archived, and now nowhere.
	st, err := c.JS.Stream(ctx, c.Settings.Stream)
	if err != nil {
		t.Fatal(err)
	}
	deleteFile(t, st, "lost.csv")
	// PostgreSQL refuses refused.csv as a whole (its ledger row, so no
	// single row can be set aside): a loader dead-letters it after
	// CONSUMER_MAX_DELIVER failed attempts.
	if _, err := c.Pool.Exec(ctx, `ALTER TABLE ingest_ledger ADD CONSTRAINT no_refused CHECK (file_name <> 'refused.csv')`); err != nil {
		t.Fatal(err)
	}
	c.Loaders(1, nil)
	eventually(t, 30*time.Second, "refused.csv dead-lettered and loads.csv loaded", func() bool {
		n, err := c.DeadLetters(ctx)
		return err == nil && n == 1 && count(t, c, "SELECT count(*) FROM user_activity") == 50
	})

	out, err = c.Reconcile(ctx)
	t.Logf("after the loader ran: ctl reconcile (%v):\n%s", err, out)
	if err == nil {
		t.Error("ctl reconcile exited 0 with a file lost and one dead-lettered")
	}
	for _, want := range []string{"missing       lost.csv", "dead-lettered refused.csv", `violates check constraint "no_refused"`, "2 problem(s)"} {
		if !strings.Contains(out, want) {
			t.Errorf("reconcile output lacks %q", want)
		}
	}
	if strings.Contains(out, "loads.csv") {
		t.Error("reconcile lists loads.csv, which is loaded")
	}
	if _, err := os.Stat(filepath.Join(c.Data.Path(datadir.Archive), "lost.csv")); err != nil {
		t.Errorf("reconcile must not touch the archive: %v", err)
	}
}

// deleteFile removes the messages of a file from the stream.
func deleteFile(t *testing.T, st jetstream.Stream, name string) {
	t.Helper()
	ctx := context.Background()
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	deleted := 0
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq; seq++ {
		m, err := st.GetMsg(ctx, seq)
		if err != nil {
			continue
		}
		if ingest.DecodeName(m.Header.Get(ingest.HeaderFileName)) == name {
			if err := st.DeleteMsg(ctx, seq); err != nil {
				t.Fatal(err)
			}
			deleted++
		}
	}
	if deleted == 0 {
		t.Fatalf("no message of %s in the stream", name)
	}
}
