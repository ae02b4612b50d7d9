package watcher

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tributary-dev/tributary/shared/datadir"
)

// Issue 10, case 12: under backpressure longer than any timeout, a live
// watcher keeps its claims; another adopts them only once it is gone.
func TestLiveWatchersNeverAdoptEachOthersClaims(t *testing.T) {
	dirs := testDirs(t)
	full := errors.New("nats: maximum bytes exceeded")
	pub1 := &fakePublisher{fail: full}
	pub2 := &fakePublisher{fail: full}
	claim1 := filepath.Join(dirs.Path(datadir.Claimed), "w1")
	claim2 := filepath.Join(dirs.Path(datadir.Claimed), "w2")

	w1 := startWatcher(t, dirs, "w1", pub1, time.Now)
	land(t, dirs, "a.csv", goodCSV)
	if !poll(func() bool { return exists(filepath.Join(claim1, "a.csv")) }) {
		t.Fatal("w1 did not claim a.csv")
	}
	// w2 has a refused file of its own: each of its rescans retries it, so
	// its attempts count its rescans (and the adoption passes that follow).
	if err := os.MkdirAll(claim2, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(claim2, "b.csv"), []byte(goodCSV), 0o644); err != nil {
		t.Fatal(err)
	}
	hoursLater := func() time.Time { return time.Now().Add(10 * time.Hour) }
	w2 := startWatcher(t, dirs, "w2", pub2, hoursLater)
	if !poll(func() bool {
		n := 0
		pub2.snapshot(func() { n = len(pub2.tried) })
		return n >= 5
	}) {
		t.Fatal("w2 does not rescan")
	}
	if exists(filepath.Join(claim2, "a.csv")) || !exists(filepath.Join(claim1, "a.csv")) {
		t.Fatalf("w2 adopted a.csv from w1, which is alive: w1 holds %v, w2 holds %v", entries(claim1), entries(claim2))
	}

	if err := w1.stop(); err != nil {
		t.Fatal(err)
	}
	if !poll(func() bool { return exists(filepath.Join(claim2, "a.csv")) }) {
		t.Fatalf("w2 did not adopt a.csv once w1 was gone: w1 holds %v, w2 holds %v", entries(claim1), entries(claim2))
	}
	pub2.snapshot(func() { pub2.fail = nil })
	poll(func() bool { return len(entries(dirs.Path(datadir.Archive))) == 2 })
	if err := w2.stop(); err != nil {
		t.Fatal(err)
	}
	if got := entries(dirs.Path(datadir.Archive)); len(got) != 2 {
		t.Errorf("archive = %v, want a.csv and b.csv", got)
	}
	if len(pub1.files) != 0 || len(pub2.files) != 2 {
		t.Errorf("w1 published %d files, w2 %d; want 0 and 2", len(pub1.files), len(pub2.files))
	}
}

// Two watchers started with one WATCHER_ID would claim into one directory
// and overwrite each other's claims: the second refuses to start.
func TestSecondWatcherWithTheSameIDRefusesToStart(t *testing.T) {
	dirs := testDirs(t)
	pub := &fakePublisher{}
	first := startWatcher(t, dirs, "w1", pub, time.Now)
	if !poll(func() bool {
		n := 0
		pub.snapshot(func() { n = pub.prepared })
		return n == 1
	}) {
		t.Fatal("the first watcher did not start")
	}

	second := startWatcher(t, dirs, "w1", &fakePublisher{}, time.Now)
	var err error
	select {
	case err = <-second.done:
		second.done <- err // for its cleanup
	case <-time.After(10 * time.Second):
		t.Fatal("a second watcher with WATCHER_ID w1 is running beside the first")
	}
	if err == nil || !strings.Contains(err.Error(), `WATCHER_ID "w1"`) {
		t.Fatalf("second watcher: %v, want an error naming WATCHER_ID \"w1\"", err)
	}
	if err := first.stop(); err != nil {
		t.Fatal(err)
	}
	// Once the first is gone, the id is free again.
	third := startWatcher(t, dirs, "w1", pub, time.Now)
	if !poll(func() bool {
		n := 0
		pub.snapshot(func() { n = pub.prepared })
		return n == 2
	}) {
		t.Fatal("a watcher cannot take the id back after the first stopped")
	}
	if err := third.stop(); err != nil {
		t.Fatal(err)
	}
}

// Adopting a gone watcher's claims takes those in its slots too (two files
// claimed under one name), and drops the slots it emptied in that pass.
func TestAdoptionTakesClaimSlotsAndDropsThem(t *testing.T) {
	pub := &fakePublisher{}
	w := newWatcher(t, pub)
	gone := filepath.Join(w.dirs.Dir, datadir.ClaimDir("gone"))
	slot := filepath.Join(w.dirs.Dir, datadir.ClaimSlot("gone", 1))
	if err := os.MkdirAll(slot, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{gone, slot} {
		if err := os.WriteFile(filepath.Join(dir, "x.csv"), []byte(goodCSV), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	w.adopt("gone")
	if exists(slot) {
		t.Errorf("the gone watcher's emptied slot is still there: %v", entries(slot))
	}
	if left := entries(gone); len(left) != 0 {
		t.Errorf("left with the gone watcher: %v", left)
	}
	ours := filepath.Join(w.dirs.Dir, w.claimDir())
	if !exists(filepath.Join(ours, "x.csv")) || !exists(filepath.Join(w.dirs.Dir, datadir.ClaimSlot(w.cfg.ID, 1), "x.csv")) {
		t.Errorf("both x.csv not adopted: ours holds %v", entries(ours))
	}
}
