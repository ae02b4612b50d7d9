package faults

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/tributary-dev/tributary/shared/datadir"
	"github.com/tributary-dev/tributary/tests/faults/cluster"
)

// DATA_DIR on a small filesystem of its own, filled to its last byte and
// inode while the generator writes and the watcher claims and archives:
// the generator cannot land a file and says so, the watcher publishes what
// it claimed but cannot link it into archive/ and says so, both keep
// going, and once space returns every file loads exactly once.
func TestFullDataDirLosesNoFileAndLoadsOnceSpaceReturns(t *testing.T) {
	root := smallDisk(t, "size=8m,nr_inodes=4096")
	c := cluster.New(t, bin, cluster.Options{NATS: cluster.NATSOptions{SyncAlways: true}, DataRoot: root})
	tails(t, c)
	watcher := c.Watcher(nil)
	c.Loaders(1, nil)
	gen := c.Start(c.Generator(map[string]string{"GENERATOR_RATE": "1000", "GENERATOR_ROWS_PER_FILE": "100"}))

	o := newOracle()
	ctx, stopFeed := context.WithCancel(context.Background())
	var feedErr error
	var wg sync.WaitGroup
	wg.Go(func() {
		for ctx.Err() == nil {
			if feedErr = moveLanded(c.Stage, c.Data, o); feedErr != nil {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
	defer func() { stopFeed(); wg.Wait() }()

	// Files a producer finished before the disk filled, landed (renamed,
	// which needs no space) once it is full: the watcher must claim,
	// publish and then fail to archive them.
	held := filepath.Join(root, "held")
	if err := os.Mkdir(held, 0o755); err != nil {
		t.Fatal(err)
	}
	const late = 4
	for i := range late {
		name := fmt.Sprintf("late-%d.csv", i)
		data := csvFile(fmt.Sprintf("late%d", i), 300)
		if err := o.add(name, data); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(held, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, 30*time.Second, "the pipeline loads generated files", func() bool {
		return countDir(c.Data.Path(datadir.Archive)) >= 5
	})

	free := fill(t, root, true)
	const notLanded = "waiting for space"
	alive := func() {
		if err := c.Died(); err != nil {
			t.Fatalf("a service gave up on a full disk: %v", err)
		}
	}
	eventually(t, 30*time.Second, "the generator says it cannot land a file", func() bool {
		alive()
		return cluster.CountLog(gen, notLanded) > 0
	})
	// The generator removed the temp file it could not finish: take that
	// space back too, so that the watcher finds no inode to link with.
	fill(t, root, true)
	for i := range late {
		name := fmt.Sprintf("late-%d.csv", i)
		if err := os.Rename(filepath.Join(held, name), filepath.Join(c.Data.Path(datadir.Input), name)); err != nil {
			t.Fatal(err)
		}
	}
	// Claims and the move into archive/ are renames on one filesystem
	// (the link into archive/ fails for want of an inode and the watcher
	// falls back to a rename that never replaces): they need no space, so
	// the watcher carries on while nothing can be written.
	eventually(t, 30*time.Second, "the late files archived while the disk is full", func() bool {
		alive()
		a := names(t, c.Data.Path(datadir.Archive))
		return a["late-0.csv"] && a["late-1.csv"] && a["late-2.csv"] && a["late-3.csv"]
	})
	if n := cluster.CountLog(watcher, "level=ERROR"); n != 0 {
		t.Errorf("the watcher logged %d errors while the disk was full: %q", n, logLines(watcher.LogFile(), "level=ERROR", 3))
	}
	for _, l := range logLines(gen.LogFile(), notLanded, 1) {
		t.Logf("said while full: %s", l)
	}

	free()
	eventually(t, 30*time.Second, "the generator lands files again once space returned", func() bool {
		alive()
		return cluster.CountLog(gen, "space returned") > 0
	})
	for _, l := range logLines(gen.LogFile(), "space returned", 1) {
		t.Logf("said when space returned: %s", l)
	}
	gen.Stop(10 * time.Second)
	stopFeed()
	wg.Wait()
	if feedErr != nil {
		t.Fatal(feedErr)
	}
	if err := moveLanded(c.Stage, c.Data, o); err != nil {
		t.Fatal(err)
	}
	if err := settle(context.Background(), c, o, time.Minute); err != nil {
		t.Fatal(err)
	}
	if res := verify(t, c, o); res != (result{}) {
		t.Errorf("lost %d, duplicated %d, extra %d", res.lost, res.duplicated, res.extra)
	}
	if err := c.Died(); err != nil {
		t.Error(err)
	}
	t.Logf("%d files, %d rows loaded once", len(o.good), o.Rows())
}
