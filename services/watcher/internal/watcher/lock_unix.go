//go:build unix

package watcher

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"github.com/tributary-dev/tributary/shared/datadir"
)

// errLocked means another process holds the lock.
var errLocked = errors.New("locked by another process")

// lockClaims takes this watcher's claim lock for as long as it runs. A
// watcher adopting our claims holds the lock for a moment: wait for it, up
// to lockWait; a lock held longer belongs to a live watcher with our ID.
func (w *Watcher) lockClaims(ctx context.Context) (unlock func(), err error) {
	name := datadir.ClaimLock(w.cfg.ID)
	deadline := time.Now().Add(w.lockWait)
	for {
		unlock, err = tryLock(w.root, name)
		if !errors.Is(err, errLocked) {
			if err != nil {
				return nil, fmt.Errorf("lock claims: %w", err)
			}
			return unlock, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("another watcher runs with WATCHER_ID %q on this data directory (it holds %s locked); give each watcher its own WATCHER_ID", w.cfg.ID, name)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// tryLock takes an exclusive flock on name, creating the file if needed,
// without waiting: errLocked if another open file holds it. The kernel
// releases the lock when its holder closes the file or dies, which is what
// makes it a liveness test that no clock can fool.
func tryLock(root *os.Root, name string) (unlock func(), err error) {
	f, err := root.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	sc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, err
	}
	var lockErr error
	if err := sc.Control(func(fd uintptr) { lockErr = unix.Flock(int(fd), unix.LOCK_EX|unix.LOCK_NB) }); err != nil {
		f.Close()
		return nil, err
	}
	if lockErr != nil {
		f.Close()
		if errors.Is(lockErr, unix.EWOULDBLOCK) {
			return nil, errLocked
		}
		return nil, fmt.Errorf("flock %s: %w", name, lockErr)
	}
	return func() { f.Close() }, nil
}
