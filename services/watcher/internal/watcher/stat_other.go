//go:build !linux

package watcher

import (
	"io/fs"
	"strconv"
	"time"
)

func changeTime(fi fs.FileInfo) time.Time { return fi.ModTime() }

// entryID identifies a directory entry by its size and modification time,
// which a rename leaves unchanged.
func entryID(fi fs.FileInfo) string {
	return "s" + strconv.FormatInt(fi.Size(), 10) + ".m" + strconv.FormatInt(fi.ModTime().UnixNano(), 10)
}

func linkCount(fs.FileInfo) uint64 { return 1 }

type fileID struct{}

func inode(fs.FileInfo) (fileID, bool) { return fileID{}, false }
