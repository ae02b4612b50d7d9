//go:build !linux

package dirfd

import (
	"errors"
	"io/fs"
	"os"
	"path"
	"syscall"

	"github.com/tributary-dev/tributary/shared/datadir"
)

// Dir is a directory of a root. Off Linux its operations go through
// os.Root with the directory's path: correct, not faster.
type Dir struct {
	root *os.Root
	path string
}

// Open opens the directory p of root.
func Open(root *os.Root, p string) (*Dir, error) {
	st, err := root.Stat(p)
	if err == nil && !st.IsDir() {
		err = &fs.PathError{Op: "open", Path: p, Err: syscall.ENOTDIR}
	}
	if err != nil {
		return nil, err
	}
	return &Dir{root: root, path: p}, nil
}

// Close does nothing: the root stays open.
func (d *Dir) Close() error { return nil }

// Path is where the directory is inside its root.
func (d *Dir) Path() string { return d.path }

// Lstat describes name without following a symbolic link.
func (d *Dir) Lstat(name string) (fs.FileInfo, error) {
	if err := checkName("lstat", d.path, name); err != nil {
		return nil, err
	}
	return d.root.Lstat(path.Join(d.path, name))
}

// OpenFile opens name for reading, never following a symbolic link and
// never blocking on a FIFO.
func (d *Dir) OpenFile(name string) (*File, error) {
	if err := checkName("open", d.path, name); err != nil {
		return nil, err
	}
	f, err := d.root.OpenFile(path.Join(d.path, name), os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	return &File{f}, nil
}

// Remove unlinks the file name.
func (d *Dir) Remove(name string) error {
	if err := checkName("remove", d.path, name); err != nil {
		return err
	}
	return d.root.Remove(path.Join(d.path, name))
}

// Link makes toName in to a second name of name, never replacing a file.
func (d *Dir) Link(name string, to *Dir, toName string) error {
	if err := errors.Join(checkName("link", d.path, name), checkName("link", to.path, toName)); err != nil {
		return err
	}
	return d.root.Link(path.Join(d.path, name), path.Join(to.path, toName))
}

// RenameNoReplace moves name to toName in to, failing with fs.ErrExist
// instead of replacing a file there.
func (d *Dir) RenameNoReplace(name string, to *Dir, toName string) error {
	if err := errors.Join(checkName("rename", d.path, name), checkName("rename", to.path, toName)); err != nil {
		return err
	}
	return datadir.RenameNoReplace(d.root, path.Join(d.path, name), path.Join(to.path, toName))
}

// File is a file opened for reading.
type File struct{ *os.File }

var _ Reader = (*File)(nil)
