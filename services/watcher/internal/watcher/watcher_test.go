package watcher

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tributary-dev/tributary/shared/datadir"
)

const goodCSV = "event_id,event_time,event_type,product_id,price,user_id,session_id\n" +
	"a,2026-01-01 00:00:00,view,1,1.00,1,s\n"

// newWatcher returns a watcher on a fresh data dir, opened as Run would.
func newWatcher(t *testing.T, pub Publisher) *Watcher {
	t.Helper()
	dirs := datadir.Config{Dir: t.TempDir()}
	if err := dirs.Ensure(); err != nil {
		t.Fatal(err)
	}
	w := New(Config{ID: "w1", Workers: 1, Settle: time.Hour, Rescan: time.Hour, MaxFileBytes: 1 << 20, MaxDecodedBytes: 1 << 20,
		MaxPartBytes: 1 << 20}, dirs, repoContracts(t), pub, nopObserver{},
		slog.New(slog.NewTextHandler(io.Discard, nil)), time.Now)
	root, err := os.OpenRoot(dirs.Dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { root.Close() })
	w.root = root
	if err := root.MkdirAll(w.claimDir(), 0o755); err != nil {
		t.Fatal(err)
	}
	return w
}

// claimFile claims input/name as discovery does, without scheduling it.
func claimFile(t *testing.T, w *Watcher, name string) item {
	t.Helper()
	it, err := w.claim(path.Join(datadir.Input, name), name)
	if err != nil {
		t.Fatal(err)
	}
	return it
}

func (w *Watcher) path(sub, name string) string { return filepath.Join(w.dirs.Dir, sub, name) }

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

func TestGoodFileIsPublishedThenArchived(t *testing.T) {
	pub := &fakePublisher{}
	w := newWatcher(t, pub)
	os.WriteFile(w.path(datadir.Input, "a.csv"), []byte(goodCSV), 0o644)
	it := claimFile(t, w, "a.csv")
	it.landedAt = time.Unix(5, 0)
	w.handle(context.Background(), it)
	if len(pub.files) != 1 || pub.files[0].Name != "a.csv" || pub.files[0].Layout.Rows != 1 || !pub.files[0].LandedAt.Equal(time.Unix(5, 0)) {
		t.Fatalf("published %+v", pub.files)
	}
	if !exists(w.path(datadir.Archive, "a.csv")) || exists(w.path(datadir.Input, "a.csv")) || exists(filepath.Join(w.dirs.Dir, w.claimDir(), "a.csv")) {
		t.Error("file not moved from input through claimed to archive")
	}
}

func TestUnpublishedFileStaysClaimed(t *testing.T) {
	pub := &fakePublisher{fail: errors.New("nats down")}
	w := newWatcher(t, pub)
	os.WriteFile(w.path(datadir.Input, "a.csv"), []byte(goodCSV), 0o644)
	w.handle(context.Background(), claimFile(t, w, "a.csv"))
	claimed := filepath.Join(w.dirs.Dir, w.claimDir(), "a.csv")
	if !exists(claimed) || exists(w.path(datadir.Archive, "a.csv")) {
		t.Fatal("a file whose publish failed must stay claimed for a retry")
	}
	// The next scan finds it in the claim directory and retries.
	pub.fail = nil
	w.scan()
	it := <-w.queue
	if it.path != path.Join(w.claimDir(), "a.csv") || it.name != "a.csv" {
		t.Fatalf("scan queued %+v", it)
	}
	w.handle(context.Background(), it)
	if len(pub.files) != 1 || !exists(w.path(datadir.Archive, "a.csv")) {
		t.Fatal("retry did not publish and archive")
	}
}

func TestRejectionsMoveTheFileWithAReason(t *testing.T) {
	outside := filepath.Join(t.TempDir(), "secret.csv")
	os.WriteFile(outside, []byte(goodCSV), 0o644)
	tests := []struct {
		name   string
		make   func(path string) error
		reason string
	}{
		{"empty.csv", func(p string) error { return os.WriteFile(p, nil, 0o644) }, "file is empty"},
		{"noheader.csv", func(p string) error { return os.WriteFile(p, []byte("x,y\n"), 0o644) }, "the header (line 1) is"},
		{"link.csv", func(p string) error { return os.Symlink(outside, p) }, "is a symbolic link"},
		{"fifo.csv", func(p string) error { return syscall.Mkfifo(p, 0o644) }, "is a named pipe"},
		{"dir.csv", func(p string) error { return os.Mkdir(p, 0o755) }, "is a directory"},
		{"hardlink.csv", func(p string) error { return os.Link(outside, p) }, "has 2 hard links"},
		{"big.csv", func(p string) error {
			return os.WriteFile(p, []byte(goodCSV+strings.Repeat("a,2026-01-01 00:00:00,view,1,1.00,1,s\n", 30000)), 0o644)
		}, "more than the limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pub := &fakePublisher{}
			w := newWatcher(t, pub)
			if err := tt.make(w.path(datadir.Input, tt.name)); err != nil {
				t.Skip("cannot create the case here: ", err)
			}
			w.handle(context.Background(), claimFile(t, w, tt.name))
			if len(pub.files) != 0 {
				t.Fatalf("published a file that should be rejected")
			}
			if len(pub.rejected) != 1 || !strings.Contains(pub.rejected[0].Reason, tt.reason) {
				t.Fatalf("rejection notices %+v, want reason %q", pub.rejected, tt.reason)
			}
			if !exists(w.path(datadir.Rejected, tt.name)) {
				t.Error("file not moved to rejected")
			}
			reason, err := os.ReadFile(w.path(datadir.Rejected, tt.name+datadir.ReasonSuffix))
			if err != nil || !strings.Contains(string(reason), tt.reason) {
				t.Errorf("reason file = %q, %v", reason, err)
			}
		})
	}
	if b, _ := os.ReadFile(outside); string(b) != goodCSV {
		t.Error("the file outside the data dir was changed")
	}
}

func TestArchiveNeverOverwrites(t *testing.T) {
	pub := &fakePublisher{}
	w := newWatcher(t, pub)
	os.WriteFile(w.path(datadir.Archive, "a.csv"), []byte("older"), 0o644)
	os.WriteFile(w.path(datadir.Input, "a.csv"), []byte(goodCSV), 0o644)
	w.handle(context.Background(), claimFile(t, w, "a.csv"))
	if b, _ := os.ReadFile(w.path(datadir.Archive, "a.csv")); string(b) != "older" {
		t.Error("an archived file was overwritten")
	}
	if b, _ := os.ReadFile(w.path(datadir.Archive, "a.1.csv")); string(b) != goodCSV {
		t.Error("the second file was not archived as a.1.csv")
	}
}

func TestScanSkipsUnsettledAndTemporaryFiles(t *testing.T) {
	w := newWatcher(t, &fakePublisher{})
	os.WriteFile(w.path(datadir.Input, "fresh.csv"), []byte(goodCSV), 0o644)
	os.WriteFile(w.path(datadir.Input, ".hidden.csv"), []byte(goodCSV), 0o644)
	os.WriteFile(w.path(datadir.Input, "x.csv.tmp"), []byte(goodCSV), 0o644)
	old := w.path(datadir.Input, "old.csv")
	os.WriteFile(old, []byte(goodCSV), 0o644)
	past := time.Now().Add(-2 * time.Hour)
	os.Chtimes(old, past, past)
	w.scan() // claims what it queues
	if len(w.queue) != 1 {
		t.Fatalf("queued %d files, want only old.csv", len(w.queue))
	}
	if it := <-w.queue; it.name != "old.csv" {
		t.Errorf("queued %q", it.name)
	}
	// An inotify event (rename in, or close after write) needs no settling.
	w.ready("fresh.csv")
	if it := <-w.queue; it.name != "fresh.csv" {
		t.Errorf("queued %q", it.name)
	}
}

func TestOrphanedClaimsAreAdopted(t *testing.T) {
	pub := &fakePublisher{}
	w := newWatcher(t, pub)
	other := filepath.Join(w.dirs.Dir, datadir.Claimed, "w2")
	os.MkdirAll(filepath.Join(other, ".1"), 0o755)
	os.WriteFile(filepath.Join(other, "left.csv"), []byte(goodCSV), 0o644)
	os.WriteFile(filepath.Join(other, ".1", "left.csv"), []byte(goodCSV+"b,2026-01-01 00:00:00,view,1,1.00,1,s\n"), 0o644)
	// Ours already holds a left.csv: the adopted ones go into slots.
	os.WriteFile(filepath.Join(w.dirs.Dir, w.claimDir(), "left.csv"), []byte("ours"), 0o644)

	unlock, err := tryLock(w.root, datadir.ClaimLock("w2"))
	if err != nil {
		t.Fatal(err)
	}
	w.adoptOrphans() // w2 is alive: it holds its lock
	if !exists(filepath.Join(other, "left.csv")) || !exists(filepath.Join(other, ".1", "left.csv")) {
		t.Fatal("adopted the claims of a live watcher")
	}
	unlock()
	w.adoptOrphans()
	if got := entries(other); len(got) != 0 {
		t.Fatalf("left in w2's claim directory: %v", got)
	}
	if b, _ := os.ReadFile(filepath.Join(w.dirs.Dir, w.claimDir(), "left.csv")); string(b) != "ours" {
		t.Error("adoption replaced a claim of ours")
	}
	for _, slot := range []string{".1", ".2"} {
		if !exists(filepath.Join(w.dirs.Dir, w.claimDir(), slot, "left.csv")) {
			t.Errorf("adopted file not in slot %s", slot)
		}
	}
	if len(w.queue) != 2 {
		t.Errorf("%d adopted files queued, want 2", len(w.queue))
	}
}

func TestNumbered(t *testing.T) {
	tests := []struct {
		give string
		n    int
		want string
	}{{"a.csv", 0, "a.csv"}, {"a.csv", 2, "a.2.csv"}, {"noext", 1, "noext.1"}, {".csv", 1, ".csv.1"}}
	for _, tt := range tests {
		if got := numbered(tt.give, tt.n); got != tt.want {
			t.Errorf("numbered(%q, %d) = %q, want %q", tt.give, tt.n, got, tt.want)
		}
	}
}
