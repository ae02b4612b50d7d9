//go:build linux

package redrive

import (
	"io/fs"
	"os"
	"path"
	"syscall"

	"golang.org/x/sys/unix"
)

// renameNoReplace renames oldname to newname inside root, failing with
// fs.ErrExist instead of replacing newname (renameat2 RENAME_NOREPLACE).
func renameNoReplace(root *os.Root, oldname, newname string) error {
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
	if err == unix.EEXIST {
		return fs.ErrExist
	}
	if err != nil {
		return &os.LinkError{Op: "renameat2", Old: oldname, New: newname, Err: err}
	}
	return nil
}

func linkCount(fi fs.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Nlink)
	}
	return 1
}
