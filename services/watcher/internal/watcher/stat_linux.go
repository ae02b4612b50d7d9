//go:build linux

package watcher

import (
	"io/fs"
	"strconv"
	"syscall"
	"time"
)

// changeTime is the inode's ctime: a rename sets it, so for a file renamed
// into input it is the landing time (the mtime is when it was written).
func changeTime(fi fs.FileInfo) time.Time {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return time.Unix(st.Ctim.Sec, st.Ctim.Nsec)
	}
	return fi.ModTime()
}

// entryID identifies a directory entry by what a rename leaves unchanged:
// its inode, size and modification time (the device number is left out: it
// can change across a reboot for the same filesystem).
func entryID(fi fs.FileInfo) string {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return "i" + strconv.FormatUint(uint64(st.Ino), 10) + ".s" + strconv.FormatInt(fi.Size(), 10) +
			".m" + strconv.FormatInt(fi.ModTime().UnixNano(), 10)
	}
	return "s" + strconv.FormatInt(fi.Size(), 10) + ".m" + strconv.FormatInt(fi.ModTime().UnixNano(), 10)
}

func linkCount(fi fs.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Nlink)
	}
	return 1
}

// fileID is a file's device and inode.
type fileID struct{ dev, ino uint64 }

func inode(fi fs.FileInfo) (fileID, bool) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return fileID{uint64(st.Dev), uint64(st.Ino)}, true
	}
	return fileID{}, false
}
