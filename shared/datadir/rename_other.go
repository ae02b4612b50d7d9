//go:build !linux

package datadir

import "os"

// RenameNoReplace renames oldname to newname inside root, failing with
// fs.ErrExist instead of replacing newname: a hard link, then an unlink.
func RenameNoReplace(root *os.Root, oldname, newname string) error {
	return linkNoReplace(root, oldname, newname)
}
