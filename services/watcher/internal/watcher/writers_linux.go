//go:build linux

package watcher

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// openForWriting reports whether any process holds f's file open for
// writing: a producer writing in place that has paused, whose file must
// not be published half-written. A read lease (fcntl F_SETLEASE) is
// refused with EAGAIN exactly then; it is released at once. known is false
// where leases are unavailable (the watcher neither owns the file nor has
// CAP_LEASE, or the filesystem has no leases): the settle rule and the
// size check then stand alone.
func openForWriting(f *os.File) (writing, known bool) {
	sc, err := f.SyscallConn()
	if err != nil {
		return false, false
	}
	var leaseErr error
	if err := sc.Control(func(fd uintptr) {
		_, leaseErr = unix.FcntlInt(fd, unix.F_SETLEASE, unix.F_RDLCK)
		if leaseErr == nil {
			_, _ = unix.FcntlInt(fd, unix.F_SETLEASE, unix.F_UNLCK)
		}
	}); err != nil {
		return false, false
	}
	switch {
	case leaseErr == nil:
		return false, true
	case errors.Is(leaseErr, unix.EAGAIN):
		return true, true
	}
	return false, false
}
