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

// testDirs returns a fresh data directory.
func testDirs(t *testing.T) datadir.Config {
	t.Helper()
	dirs := datadir.Config{Dir: t.TempDir()}
	if err := dirs.Ensure(); err != nil {
		t.Fatal(err)
	}
	return dirs
}

// running is a watcher started with Run.
type running struct {
	cancel context.CancelFunc
	done   chan error
}

// startWatcher runs a watcher with a fast rescan and no settle time until
// stop is called; now shifts its clock.
func startWatcher(t *testing.T, dirs datadir.Config, id string, pub Publisher, now func() time.Time) *running {
	t.Helper()
	return startWatcherWith(t, dirs, id, repoContracts(t), pub, now)
}

// startWatcherWith is startWatcher routing files by cs.
func startWatcherWith(t *testing.T, dirs datadir.Config, id string, cs Contracts, pub Publisher, now func() time.Time) *running {
	t.Helper()
	w := New(Config{ID: id, Workers: 1, Rescan: 20 * time.Millisecond, MaxFileBytes: 1 << 20, MaxPartBytes: 1 << 20, BundleFiles: 100},
		dirs, cs, pub, nopObserver{}, slog.New(slog.NewTextHandler(io.Discard, nil)), now)
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- w.Run(ctx) }()
	t.Cleanup(func() { r.stop() })
	return r
}

// stop ends the watcher and returns what Run returned.
func (r *running) stop() error {
	r.cancel()
	err, ok := <-r.done
	if ok {
		close(r.done)
	}
	return err
}

// poll reports whether cond became true within a few seconds.
func poll(cond func() bool) bool {
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
	return true
}

// land writes a file as a producer does: into temp/, then renamed into
// input/, which replaces a file of that name still waiting there.
func land(t *testing.T, dirs datadir.Config, name, content string) {
	t.Helper()
	tmp := filepath.Join(dirs.Path(datadir.Temp), name)
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(dirs.Path(datadir.Input), name)); err != nil {
		t.Fatal(err)
	}
}

// entries lists a directory, nil when it does not exist.
func entries(dir string) []string {
	list, _ := os.ReadDir(dir)
	var out []string
	for _, e := range list {
		out = append(out, e.Name())
	}
	return out
}
