//go:build linux

package datadir

import (
	"errors"
	"io/fs"
	"os"
	"path"

	"golang.org/x/sys/unix"
)

// RenameNoReplace renames oldname to newname inside root, failing with
// fs.ErrExist instead of replacing newname: renameat2(RENAME_NOREPLACE),
// atomic against a file arriving at newname at the same moment. Where the
// filesystem does not support the flag it falls back to link and unlink.
func RenameNoReplace(root *os.Root, oldname, newname string) error {
	from, err := root.Open(path.Dir(oldname))
	if err != nil {
		return err
	}
	defer from.Close()
	to, err := root.Open(path.Dir(newname))
	if err != nil {
		return err
	}
	defer to.Close()
	err = unix.Renameat2(int(from.Fd()), path.Base(oldname), int(to.Fd()), path.Base(newname), unix.RENAME_NOREPLACE)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, unix.EEXIST):
		return fs.ErrExist
	case errors.Is(err, unix.EINVAL), errors.Is(err, unix.ENOSYS):
		return linkNoReplace(root, oldname, newname)
	}
	return &os.LinkError{Op: "renameat2", Old: oldname, New: newname, Err: err}
}
