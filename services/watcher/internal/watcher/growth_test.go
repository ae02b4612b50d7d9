package watcher

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tributary-dev/tributary/shared/datadir"
)

// Issue 10, case 4: a file appended to after the watcher stat'ed it (a
// writer in place that the lease check cannot see: another owner without
// CAP_LEASE, NFS) must not be published short, its last row cut inside a
// field: the growth is seen and the whole file is published later.
func TestFileAppendedAfterItsStatIsNotPublishedShort(t *testing.T) {
	dirs := testDirs(t)
	whole := rowsHeader + "a,2026-01-01 00:00:00,view,1,1.00,1,s\n" + "b,2026-01-01 00:00:00,view,1,12.50,1,session9\n"
	start := whole[:len(whole)-len("ssion9\n")] // the writer paused inside the last field
	tail := whole[len(start):]
	pub := &fakePublisher{}
	claimed := filepath.Join(dirs.Path(datadir.Claimed), "w1", "grow.csv")
	pub.beforeInspect = func() {
		f, err := os.OpenFile(claimed, os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			t.Error(err)
			return
		}
		defer f.Close()
		if _, err := f.WriteString(tail); err != nil {
			t.Error(err)
		}
	}
	land(t, dirs, "grow.csv", start)
	r := startWatcher(t, dirs, "w1", pub, time.Now)
	poll(func() bool { return len(entries(dirs.Path(datadir.Archive))) == 1 })
	if err := r.stop(); err != nil {
		t.Fatal(err)
	}
	pub.snapshot(func() {
		if len(pub.bodies) != 1 || pub.bodies[0] != whole {
			t.Fatalf("published %q, want the whole file once: %q", pub.bodies, whole)
		}
		if rows := pub.files[0].Layout.Rows; rows != 2 {
			t.Errorf("published %d rows, want 2", rows)
		}
	})
}

// The same writer appending while the file is published: what was
// published is consistent (its id is its bytes), but archiving the file
// would leave the appended rows unpublished. It is published again, whole.
func TestFileAppendedWhilePublishedIsPublishedAgainWhole(t *testing.T) {
	dirs := testDirs(t)
	first := rowsHeader + "a,2026-01-01 00:00:00,view,1,1.00,1,s\n"
	whole := first + "b,2026-01-01 00:00:00,view,1,12.50,1,session9\n"
	pub := &fakePublisher{}
	claimed := filepath.Join(dirs.Path(datadir.Claimed), "w1", "grow.csv")
	pub.duringPublish = func() {
		f, err := os.OpenFile(claimed, os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			t.Error(err)
			return
		}
		defer f.Close()
		if _, err := f.WriteString(whole[len(first):]); err != nil {
			t.Error(err)
		}
	}
	land(t, dirs, "grow.csv", first)
	r := startWatcher(t, dirs, "w1", pub, time.Now)
	poll(func() bool { return len(entries(dirs.Path(datadir.Archive))) == 1 })
	if err := r.stop(); err != nil {
		t.Fatal(err)
	}
	pub.snapshot(func() {
		if count(pub.bodies, whole) != 1 {
			t.Fatalf("published %q, want the whole file among them once", pub.bodies)
		}
	})
	if b, _ := os.ReadFile(filepath.Join(dirs.Path(datadir.Archive), "grow.csv")); string(b) != whole {
		t.Errorf("archived %q", b)
	}
}
