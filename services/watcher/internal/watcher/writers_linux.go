//go:build linux

package watcher

import (
	"errors"

	"golang.org/x/sys/unix"
)

// openForWriting reports whether any process holds the file open as fd for
// writing: a producer writing in place that has paused, whose file must
// not be published half-written. A read lease (fcntl F_SETLEASE) is
// refused with EAGAIN exactly then; it is released at once. known is false
// where leases are unavailable (the watcher neither owns the file nor has
// CAP_LEASE, or the filesystem has no leases): the settle rule and the
// size check then stand alone.
func openForWriting(fd uintptr) (writing, known bool) {
	_, err := unix.FcntlInt(fd, unix.F_SETLEASE, unix.F_RDLCK)
	switch {
	case err == nil:
		_, _ = unix.FcntlInt(fd, unix.F_SETLEASE, unix.F_UNLCK)
		return false, true
	case errors.Is(err, unix.EAGAIN):
		return true, true
	}
	return false, false
}
