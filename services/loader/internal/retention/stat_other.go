//go:build !linux

package retention

import "io/fs"

// keyOf identifies the file behind a name as well as portable file
// information allows: size and mtime.
func keyOf(fi fs.FileInfo) fileKey {
	return fileKey{size: fi.Size(), mtime: fi.ModTime().UnixNano(), ctime: fi.ModTime().UnixNano()}
}
