package watcher

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tributary-dev/tributary/shared/datadir"
)

func runWatcher(t *testing.T, dirs datadir.Config, pub Publisher, until func() bool) {
	t.Helper()
	w := New(Config{ID: "w1", Workers: 1, Rescan: 20 * time.Millisecond, MaxFileBytes: 1 << 20, MaxPartBytes: 1 << 20},
		dirs, repoContracts(t), pub, nopObserver{}, slog.New(slog.NewTextHandler(io.Discard, nil)), time.Now)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	deadline := time.Now().Add(5 * time.Second)
	for !until() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond) // a few more rescans: nothing else may happen
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func names(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

// A watcher killed between the link into archive/ and the unlink of its
// claim leaves the file in both places, with two links. On restart the
// move must be finished: the file was published (it is only archived after
// the stream's ack), so refusing it for its extra link would report a
// loaded file as rejected.
func TestRestartFinishesAnInterruptedArchive(t *testing.T) {
	dirs := datadir.Config{Dir: t.TempDir()}
	if err := dirs.Ensure(); err != nil {
		t.Fatal(err)
	}
	claimed := filepath.Join(dirs.Path(datadir.Claimed), "w1", "a.csv")
	if err := os.MkdirAll(filepath.Dir(claimed), 0o755); err != nil {
		t.Fatal(err)
	}
	content := "event_id,event_time,event_type,product_id,price,user_id,session_id\ne1,2026-01-01 00:00:00,view,1,1.00,1,s\n"
	if err := os.WriteFile(claimed, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(claimed, filepath.Join(dirs.Path(datadir.Archive), "a.csv")); err != nil {
		t.Fatal(err)
	}

	pub := &fakePublisher{}
	runWatcher(t, dirs, pub, func() bool { return len(names(t, filepath.Dir(claimed))) == 0 })

	if left := names(t, filepath.Dir(claimed)); len(left) != 0 {
		t.Errorf("still claimed: %v", left)
	}
	if got := names(t, dirs.Path(datadir.Archive)); len(got) != 1 || got[0] != "a.csv" {
		t.Errorf("archive = %v, want [a.csv]", got)
	}
	if got := names(t, dirs.Path(datadir.Rejected)); len(got) != 0 {
		t.Errorf("rejected = %v, want nothing", got)
	}
	if len(pub.rejected) != 0 {
		t.Errorf("rejection notices published: %+v", pub.rejected)
	}
	st, err := os.Stat(filepath.Join(dirs.Path(datadir.Archive), "a.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if n := linkCount(st); n != 1 {
		t.Errorf("archived file has %d links, want 1", n)
	}
}

// A file landed with a second hard link is still refused: only a link into
// our own archive proves an interrupted move.
func TestExtraLinkOutsideArchiveIsStillRejected(t *testing.T) {
	dirs := datadir.Config{Dir: t.TempDir()}
	if err := dirs.Ensure(); err != nil {
		t.Fatal(err)
	}
	input := filepath.Join(dirs.Path(datadir.Input), "b.csv")
	if err := os.WriteFile(input, []byte("x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(input, filepath.Join(t.TempDir(), "elsewhere")); err != nil {
		t.Fatal(err)
	}
	pub := &fakePublisher{}
	runWatcher(t, dirs, pub, func() bool {
		pub.mu.Lock()
		defer pub.mu.Unlock()
		return len(pub.rejected) > 0
	})
	if len(pub.rejected) != 1 || len(pub.files) != 0 {
		t.Fatalf("rejections %+v, files %v; want one rejection", pub.rejected, pub.files)
	}
}

// The same crash while rejecting: the notice was published before the
// link into rejected/, so the move is finished, and no second notice (for
// the extra link) records the file twice in rejected_files.
func TestRestartFinishesAnInterruptedReject(t *testing.T) {
	dirs := testDirs(t)
	claimed := filepath.Join(dirs.Path(datadir.Claimed), "w1", "bad.csv")
	if err := os.MkdirAll(filepath.Dir(claimed), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(claimed, []byte("no,header\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(claimed, filepath.Join(dirs.Path(datadir.Rejected), "bad.csv")); err != nil {
		t.Fatal(err)
	}
	pub := &fakePublisher{}
	runWatcher(t, dirs, pub, func() bool { return len(names(t, filepath.Dir(claimed))) == 0 })
	if left := names(t, filepath.Dir(claimed)); len(left) != 0 {
		t.Errorf("still claimed: %v", left)
	}
	if got := names(t, dirs.Path(datadir.Rejected)); len(got) != 1 || got[0] != "bad.csv" {
		t.Errorf("rejected = %v, want [bad.csv] (its reason is in rejected_files)", got)
	}
	if len(pub.rejected) != 0 {
		t.Errorf("rejection notices published again: %+v", pub.rejected)
	}
}
