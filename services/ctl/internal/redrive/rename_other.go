//go:build !linux

package redrive

import (
	"errors"
	"io/fs"
	"os"
)

// renameNoReplace checks that newname is free, then renames: not atomic
// against a file landing at the same moment, which Linux's renameat2 is.
func renameNoReplace(root *os.Root, oldname, newname string) error {
	if _, err := root.Lstat(newname); !errors.Is(err, fs.ErrNotExist) {
		return fs.ErrExist
	}
	return root.Rename(oldname, newname)
}

func linkCount(fs.FileInfo) uint64 { return 1 }
