package faults

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tributary-dev/tributary/shared/contract"
	"github.com/tributary-dev/tributary/shared/datadir"
	"github.com/tributary-dev/tributary/tests/faults/cluster"
)

// csvFile is a valid file of n rows whose event ids start with prefix.
func csvFile(prefix string, n int) []byte {
	var b strings.Builder
	b.WriteString(contract.HeaderLine + "\n")
	for i := range n {
		fmt.Fprintf(&b, "%s-%d,2026-11-26 10:%02d:%02d.%06d,view,%d,%d.%02d,%d,s-%d\n", prefix, i, i/60%60, i%60, i, i%1000+1, i%500+1, i%100, i%5000+1, i%97)
	}
	return []byte(b.String())
}

// land writes a file atomically into the cluster's input.
func land(t *testing.T, c *cluster.Cluster, name string, data []byte) {
	t.Helper()
	tmp := filepath.Join(c.Data.Path(datadir.Temp), name+".tmp")
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(c.Data.Path(datadir.Input), name)); err != nil {
		t.Fatal(err)
	}
}

func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func count(t *testing.T, c *cluster.Cluster, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := c.Pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func lastSeq(t *testing.T, c *cluster.Cluster) uint64 {
	t.Helper()
	st, err := c.JS.Stream(context.Background(), c.Settings.Stream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return info.State.LastSeq
}

// A file landed again under another name after the stream's duplicate
// window is stored in the stream again (NATS no longer recognises it); the
// ledger does, and it loads once.
func TestRepublishAfterDuplicateWindowLoadsOnce(t *testing.T) {
	const window = time.Second
	c := cluster.New(t, bin, cluster.Options{NATS: cluster.NATSOptions{SyncAlways: true}, Vars: map[string]string{
		"STREAM_DUPLICATE_WINDOW": window.String(), "WATCHER_MAX_MESSAGE_BYTES": "8192",
	}})
	c.Watcher(nil)
	c.Loaders(1, nil)
	const rows = 300
	data := csvFile("republish", rows)
	land(t, c, "first.csv", data)
	eventually(t, 20*time.Second, "first copy loaded", func() bool { return count(t, c, "SELECT count(*) FROM user_activity") == rows })
	parts := count(t, c, "SELECT count(*) FROM ingest_ledger")
	seqBefore := lastSeq(t, c)

	time.Sleep(window + 500*time.Millisecond)
	land(t, c, "again.csv", data)
	eventually(t, 20*time.Second, "second copy archived", func() bool {
		_, err := os.Stat(filepath.Join(c.Data.Path(datadir.Archive), "again.csv"))
		return err == nil
	})
	eventually(t, 20*time.Second, "second copy acknowledged", func() bool {
		msgs, pending, err := c.Backlog(context.Background())
		return err == nil && msgs == 0 && pending == 0
	})

	if got := lastSeq(t, c) - seqBefore; got != uint64(parts) {
		t.Fatalf("the second copy added %d messages to the stream, want %d (one per part): the window did not pass", got, parts)
	}
	if n := count(t, c, "SELECT count(*) FROM user_activity"); n != rows {
		t.Errorf("user_activity has %d rows, want %d", n, rows)
	}
	if n := count(t, c, "SELECT count(*) FROM ingest_ledger"); n != parts {
		t.Errorf("ledger has %d rows, want %d", n, parts)
	}
	if n := count(t, c, "SELECT count(*) FROM user_activity_rejects"); n != 0 {
		t.Errorf("%d rejects, want 0", n)
	}
	if skipped := c.SkippedByLedger(); skipped != parts {
		t.Errorf("the loader skipped %d messages by the ledger, want %d", skipped, parts)
	}
	t.Logf("%d rows in %d parts; republished %s after the first copy: %d new stream messages, %d skipped by the ledger, %d rows in user_activity",
		rows, parts, window, parts, c.SkippedByLedger(), count(t, c, "SELECT count(*) FROM user_activity"))
}

// Two loaders receive the same message: loader A takes it while
// PostgreSQL is unreachable for it and is then frozen (SIGSTOP) so its
// InProgress stops; after AckWait JetStream redelivers the message to
// loader B, which loads it. A then wakes up with PostgreSQL back and
// applies the message it still holds: the ledger says it is done.
func TestTwoLoadersReceivingTheSameMessageLoadOnce(t *testing.T) {
	c := cluster.New(t, bin, cluster.Options{NATS: cluster.NATSOptions{SyncAlways: true}})
	c.Watcher(nil)
	a := c.Start(c.Service("loader", "loader-a", nil)) // reaches PostgreSQL through the proxy
	eventually(t, 20*time.Second, "loader A ready", func() bool { return cluster.CountLog(a, "msg=loading") > 0 })
	c.Proxy.Down()
	const rows = 500
	land(t, c, "once.csv", csvFile("twice", rows))
	eventually(t, 20*time.Second, "loader A holding the batch", func() bool {
		return cluster.CountLog(a, "cannot write batch; holding it and retrying") > 0
	})
	if err := a.Pause(); err != nil {
		t.Fatal(err)
	}
	b := c.Start(c.Service("loader", "loader-b", map[string]string{"DATABASE_URL": c.DBURL}))
	eventually(t, 20*time.Second, "loader B loads the redelivered message", func() bool {
		return count(t, c, "SELECT count(*) FROM user_activity") == rows
	})
	if err := c.Proxy.Up(); err != nil {
		t.Fatal(err)
	}
	if err := a.Resume(); err != nil {
		t.Fatal(err)
	}
	eventually(t, 20*time.Second, "loader A settles the message it held", func() bool {
		return cluster.CountLog(a, "already_loaded=1") > 0
	})

	if n := count(t, c, "SELECT count(*) FROM user_activity"); n != rows {
		t.Errorf("user_activity has %d rows, want %d", n, rows)
	}
	if n := count(t, c, "SELECT count(*) FROM ingest_ledger"); n != 1 {
		t.Errorf("ledger has %d rows, want 1", n)
	}
	if n := count(t, c, "SELECT count(*) FROM user_activity_rejects"); n != 0 {
		t.Errorf("%d rejects, want 0", n)
	}
	if cluster.CountLog(b, "batch committed") == 0 {
		t.Error("loader B never committed")
	}
	t.Logf("both loaders received the message: B loaded %d rows, A found it in the ledger (already_loaded=1)", rows)
}
