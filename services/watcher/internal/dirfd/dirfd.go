// Package dirfd works on files by name inside directories held open. The
// watcher touches every landed file several times (claim, stat, open,
// archive); through os.Root each of those walks the path from the data
// directory again, opening and closing every directory on the way, which
// cost the watcher more than reading and hashing a small file. A Dir is
// opened once through os.Root (so it lies inside the data directory) and
// each operation on a name in it is then one system call. Names are single
// path components: a name with a slash, "." or ".." is refused, and no
// operation follows a symbolic link.
package dirfd

import (
	"errors"
	"io"
	"io/fs"
	"path"
	"strings"
)

// ErrBadName is returned for a name that is not a single path component.
var ErrBadName = errors.New("not a single file name")

func checkName(op, dir, name string) error {
	if name == "" || name == "." || name == ".." || strings.ContainsRune(name, '/') {
		return &fs.PathError{Op: op, Path: path.Join(dir, name), Err: ErrBadName}
	}
	return nil
}

// Reader is what a file opened in a Dir offers its reader.
type Reader interface {
	io.Reader
	io.ReaderAt
	io.Closer
	Stat() (fs.FileInfo, error)
	// Fd is the open descriptor, for fcntl; valid until Close.
	Fd() uintptr
}
