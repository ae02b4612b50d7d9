//go:build !unix

package watcher

import (
	"context"
	"errors"
	"os"
)

// errLocked means another process holds the lock.
var errLocked = errors.New("locked by another process")

// lockClaims cannot lock here: two watchers with one ID are not detected.
func (w *Watcher) lockClaims(context.Context) (func(), error) { return func() {}, nil }

// tryLock cannot tell a live watcher from a dead one here, so claims are
// never adopted.
func tryLock(*os.Root, string) (func(), error) { return nil, errLocked }
