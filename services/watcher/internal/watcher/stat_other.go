//go:build !linux

package watcher

import (
	"io/fs"
	"time"
)

func changeTime(fi fs.FileInfo) time.Time { return fi.ModTime() }

func linkCount(fs.FileInfo) uint64 { return 1 }
