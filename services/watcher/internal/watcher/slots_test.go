package watcher

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tributary-dev/tributary/shared/datadir"
)

// Files a crash left in claim slots (claimed/<id>/.N/NAME) are published
// on restart under the name they landed with, and the emptied slots go.
func TestRestartPublishesFilesLeftInClaimSlots(t *testing.T) {
	dirs := testDirs(t)
	claimDir := filepath.Join(dirs.Path(datadir.Claimed), "w1")
	var contents []string
	for _, slot := range []string{"", ".1", ".2"} {
		content := rowsHeader + "e" + slot + ",2026-01-01 00:00:00,view,1,1.00,1,s\n"
		contents = append(contents, content)
		if err := os.MkdirAll(filepath.Join(claimDir, slot), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(claimDir, slot, "events_1.csv"), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	pub := &fakePublisher{}
	r := startWatcher(t, dirs, "w1", pub, time.Now)
	poll(func() bool { return len(entries(dirs.Path(datadir.Archive))) == 3 && len(entries(claimDir)) == 0 })
	if err := r.stop(); err != nil {
		t.Fatal(err)
	}
	pub.snapshot(func() {
		for _, c := range contents {
			if count(pub.bodies, c) != 1 {
				t.Errorf("published %q, want each of %q once", pub.bodies, contents)
				break
			}
		}
		for _, f := range pub.files {
			if f.Name != "events_1.csv" {
				t.Errorf("published as %q", f.Name)
			}
		}
		if len(pub.rejected) != 0 {
			t.Errorf("rejected %+v", pub.rejected)
		}
	})
	if left := entries(claimDir); len(left) != 0 {
		t.Errorf("left in the claim directory: %v", left)
	}
}

// A file changed while it was read (here rewritten in place, shorter) is
// kept claimed, never renamed back over a file of its name that landed in
// input meanwhile.
func TestFileChangedWhileReadNeverReplacesANewerLanding(t *testing.T) {
	dirs := testDirs(t)
	rewritten := rowsHeader + "a,2026-01-01 00:00:00,view,1,1.00,1,s\n"
	first := rewritten + "b,2026-01-01 00:00:00,view,1,1.00,1,s\n"
	newer := rowsHeader + "c,2026-01-01 00:00:00,view,1,1.00,1,s\n"
	pub := &fakePublisher{}
	claimed := filepath.Join(dirs.Path(datadir.Claimed), "w1", "x.csv")
	pub.beforeInspect = func() {
		if err := os.WriteFile(claimed, []byte(rewritten), 0o644); err != nil {
			t.Error(err)
		}
		land(t, dirs, "x.csv", newer)
	}
	land(t, dirs, "x.csv", first)
	r := startWatcher(t, dirs, "w1", pub, time.Now)
	poll(func() bool { return len(entries(dirs.Path(datadir.Archive))) == 2 })
	if err := r.stop(); err != nil {
		t.Fatal(err)
	}
	pub.snapshot(func() {
		if len(pub.bodies) != 2 || count(pub.bodies, rewritten) != 1 || count(pub.bodies, newer) != 1 {
			t.Errorf("published %q, want the rewritten file and the newer one, once each", pub.bodies)
		}
	})
}

// A file that changed while it was read waits in the claim directory under
// the settle rule, as it would have in input.
func TestChangedFileWaitsUntilSettled(t *testing.T) {
	pub := &fakePublisher{}
	w := newWatcher(t, pub) // WATCHER_SETTLE one hour
	os.WriteFile(w.path(datadir.Input, "x.csv"), []byte(goodCSV+"b,2026-01-01 00:00:00,view,1,1.00,1,s\n"), 0o644)
	it := claimFile(t, w, "x.csv")
	pub.beforeInspect = func() { // rewritten in place
		os.WriteFile(filepath.Join(w.dirs.Dir, it.path), []byte(goodCSV), 0o644)
	}
	w.handle(t.Context(), it)
	if len(pub.files) != 0 || !exists(filepath.Join(w.dirs.Dir, it.path)) {
		t.Fatalf("published %d files; want none, the file kept claimed", len(pub.files))
	}
	w.scan()
	if len(w.queue) != 0 {
		t.Fatal("a file still being written was queued before it settled")
	}
	w.now = func() time.Time { return time.Now().Add(2 * time.Hour) }
	w.scan()
	if len(w.queue) != 1 {
		t.Fatal("the settled file was not queued")
	}
	w.handle(t.Context(), <-w.queue)
	if len(pub.files) != 1 || pub.bodies[0] != goodCSV {
		t.Fatalf("published %q, want the file as rewritten", pub.bodies)
	}
}
