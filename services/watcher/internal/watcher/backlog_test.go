package watcher

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/tributary-dev/tributary/shared/datadir"
)

// claimMany puts n files straight into w's claim directory, as a backlog
// claimed faster than the workers take it leaves them.
func claimMany(t *testing.T, w *Watcher, n int) {
	t.Helper()
	dir := filepath.Join(w.dirs.Dir, w.claimDir())
	for i := range n {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("f-%05d.csv", i)), []byte(goodCSV), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// A backlog waits in the claim directory while the queue is full, and each
// time the queue drains the directory is read again for more. That read
// must cost what it queues, not the whole backlog: listing and stat'ing
// every claim on every refill made draining n files cost O(n²) and held
// the whole listing in memory.
func TestRefillingTheQueueReadsNoMoreThanItQueues(t *testing.T) {
	w := newWatcher(t, &fakePublisher{})
	w.queue = make(chan item, 8)
	claimMany(t, w, 5000)
	w.scanClaims()
	if len(w.queue) != cap(w.queue) {
		t.Fatalf("queued %d, want a full queue of %d", len(w.queue), cap(w.queue))
	}
	// The queue is full: a refill reads one chunk of entries (a few
	// allocations each) and stops.
	allocs := testing.AllocsPerRun(5, w.scanClaims)
	if allocs > 2000 {
		t.Errorf("a refill with a full queue made %.0f allocations over a backlog of 5,000 claims, want a read bounded by one chunk (under 2,000)", allocs)
	}
}

// Every file of a backlog larger than the queue is handled, those in
// slots included, each once.
func TestABacklogLargerThanTheQueueDrainsWhole(t *testing.T) {
	pub := &fakePublisher{}
	w := newWatcher(t, pub)
	w.queue = make(chan item, 16)
	claimMany(t, w, 300)
	slot := filepath.Join(w.dirs.Dir, datadir.ClaimSlot(w.cfg.ID, 1))
	if err := os.Mkdir(slot, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(slot, "f-00000.csv"), []byte(goodCSV), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for rounds := 0; rounds < 100; rounds++ {
		w.scanClaims()
		if len(w.queue) == 0 {
			break
		}
		for len(w.queue) > 0 {
			it := <-w.queue
			w.handle(ctx, it)
			w.dequeue(it.path)
		}
	}
	w.scanClaims() // drops the slot left empty
	if got := len(entries(w.dirs.Path(datadir.Archive))); got != 301 {
		t.Errorf("archived %d files, want all 301", got)
	}
	pub.snapshot(func() {
		if len(pub.files) != 301 {
			t.Errorf("published %d files, want 301, each once", len(pub.files))
		}
	})
	if left := entries(filepath.Join(w.dirs.Dir, w.claimDir())); len(left) != 0 {
		t.Errorf("left in the claim directory: %v", left)
	}
}
