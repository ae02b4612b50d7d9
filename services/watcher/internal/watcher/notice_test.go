package watcher

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tributary-dev/tributary/shared/datadir"
)

// Issue 10, case 8: a rejection notice for a file whose content is never
// read (here a symbolic link) is recorded once in rejected_files because
// every attempt publishes it under one message id, whatever happened in
// between: the claim rename, a restart, an adoption by another watcher.
// Here the first two notices are stored but their acks lost.
func TestRejectionNoticeKeepsItsIDAcrossClaimRestartAndAdoption(t *testing.T) {
	dirs := testDirs(t)
	link := filepath.Join(dirs.Path(datadir.Input), "link.csv")
	if err := os.Symlink("/etc/passwd", link); err != nil {
		t.Fatal(err)
	}
	waitForTheNextCtime(t, dirs, link) // so that the claim rename gets a later ctime
	pub := &fakePublisher{loseNoticeAcks: 2}
	notices := func(n int) func() bool {
		return func() bool {
			got := 0
			pub.snapshot(func() { got = len(pub.notices) })
			return got >= n
		}
	}

	first := startWatcher(t, dirs, "w1", pub, time.Now)
	poll(notices(1))
	if err := first.stop(); err != nil {
		t.Fatal(err)
	}
	restarted := startWatcher(t, dirs, "w1", pub, time.Now)
	poll(notices(2))
	if err := restarted.stop(); err != nil {
		t.Fatal(err)
	}
	// w1 is gone for good; w2 adopts its claim.
	later := func() time.Time { return time.Now().Add(time.Hour) }
	other := startWatcher(t, dirs, "w2", pub, later)
	poll(func() bool { return exists(filepath.Join(dirs.Path(datadir.Rejected), "link.csv")) })
	if err := other.stop(); err != nil {
		t.Fatal(err)
	}

	pub.snapshot(func() {
		if len(pub.notices) < 3 || len(pub.rejected) != 1 {
			t.Fatalf("%d notices attempted, %d acknowledged; want 3 and 1", len(pub.notices), len(pub.rejected))
		}
		for i, n := range pub.notices {
			if n.MsgID() != pub.notices[0].MsgID() {
				t.Errorf("notice %d has id %q, the first had %q", i+1, n.MsgID(), pub.notices[0].MsgID())
			}
		}
	})
}

// waitForTheNextCtime polls until a new inode gets a ctime later than
// path's: file timestamps are coarse, and a rename within the same tick
// would hide a change of ctime.
func waitForTheNextCtime(t *testing.T, dirs datadir.Config, path string) {
	t.Helper()
	st, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	probe := filepath.Join(dirs.Path(datadir.Temp), "probe")
	if !poll(func() bool {
		if err := os.WriteFile(probe, nil, 0o644); err != nil {
			return false
		}
		p, err := os.Lstat(probe)
		return err == nil && changeTime(p).After(changeTime(st))
	}) {
		t.Fatal("ctime does not advance")
	}
	os.Remove(probe)
}
