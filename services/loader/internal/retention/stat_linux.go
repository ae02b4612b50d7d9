//go:build linux

package retention

import (
	"io/fs"
	"syscall"
	"time"
)

// keyOf identifies the file behind a name. The ctime changes with every
// link, unlink or rename of the inode and no producer can set it, so a new
// file archived under a reused name, even on a reused inode with the same
// size and mtime, almost always gets another key.
func keyOf(fi fs.FileInfo) fileKey {
	k := fileKey{size: fi.Size(), mtime: fi.ModTime().UnixNano()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		k.dev, k.ino = uint64(st.Dev), st.Ino
		k.ctime = time.Unix(st.Ctim.Sec, st.Ctim.Nsec).UnixNano()
	}
	return k
}
