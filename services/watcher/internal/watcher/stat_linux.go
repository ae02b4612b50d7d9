//go:build linux

package watcher

import (
	"io/fs"
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

func linkCount(fi fs.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Nlink)
	}
	return 1
}
