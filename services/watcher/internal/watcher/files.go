package watcher

import (
	"fmt"
	"io/fs"
	"os"
	"path"

	"github.com/tributary-dev/tributary/services/watcher/internal/dirfd"
	"github.com/tributary-dev/tributary/shared/datadir"
)

// openDirs holds open the directories every file passes through (input,
// our claim directory, archive, rejected), so that each operation on a
// file there is one system call (see package dirfd). They are opened once
// Run has made them and never change while it runs.
func (w *Watcher) openDirs() (closeAll func(), err error) {
	w.held = map[string]*dirfd.Dir{}
	closeAll = func() {
		for _, d := range w.held {
			d.Close()
		}
	}
	for _, p := range []string{datadir.Input, w.claimDir(), datadir.Archive, datadir.Rejected} {
		d, err := dirfd.Open(w.root, p)
		if err != nil {
			closeAll()
			return nil, fmt.Errorf("open %s: %w", p, err)
		}
		w.held[p] = d
	}
	return closeAll, nil
}

// at returns the directory holding p (a path inside the data directory)
// and p's name in it: a directory held open, or one opened for the call (a
// claim slot, another watcher's claims), which release closes.
func (w *Watcher) at(p string) (d *dirfd.Dir, name string, release func(), err error) {
	dir, name := path.Split(p)
	dir = path.Clean(dir)
	if d, ok := w.held[dir]; ok {
		return d, name, func() {}, nil
	}
	d, err = dirfd.Open(w.root, dir)
	if err != nil {
		return nil, "", nil, err
	}
	return d, name, func() { d.Close() }, nil
}

// lstat describes the file at p, never following a symbolic link.
func (w *Watcher) lstat(p string) (fs.FileInfo, error) {
	d, name, release, err := w.at(p)
	if err != nil {
		return nil, err
	}
	defer release()
	return d.Lstat(name)
}

// openFile opens the file at p for reading (see dirfd.Dir.OpenFile).
func (w *Watcher) openFile(p string) (*dirfd.File, error) {
	d, name, release, err := w.at(p)
	if err != nil {
		return nil, err
	}
	defer release()
	return d.OpenFile(name)
}

// remove unlinks the file at p.
func (w *Watcher) remove(p string) error {
	d, name, release, err := w.at(p)
	if err != nil {
		return err
	}
	defer release()
	return d.Remove(name)
}

// renameNoReplace moves the file at src to dst, never replacing a file.
func (w *Watcher) renameNoReplace(src, dst string) error {
	return w.between(src, dst, (*dirfd.Dir).RenameNoReplace)
}

func (w *Watcher) between(src, dst string, op func(d *dirfd.Dir, name string, to *dirfd.Dir, toName string) error) error {
	from, name, releaseFrom, err := w.at(src)
	if err != nil {
		return err
	}
	defer releaseFrom()
	to, toName, releaseTo, err := w.at(dst)
	if err != nil {
		return err
	}
	defer releaseTo()
	return op(from, name, to, toName)
}

// sameFile reports whether two descriptions are of one file: os.SameFile
// knows only os's own.
func sameFile(a, b fs.FileInfo) bool {
	if a == nil || b == nil {
		return false
	}
	ia, oka := inode(a)
	ib, okb := inode(b)
	if !oka || !okb {
		return os.SameFile(a, b)
	}
	return ia == ib
}
