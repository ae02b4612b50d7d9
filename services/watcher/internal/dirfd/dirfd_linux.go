//go:build linux

package dirfd

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Dir is a directory held open.
type Dir struct {
	f    *os.File // owns the descriptor
	fd   int
	path string // inside the root, for messages
}

// Open opens the directory p of root.
func Open(root *os.Root, p string) (*Dir, error) {
	f, err := root.Open(p)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err == nil && !st.IsDir() {
		err = &fs.PathError{Op: "open", Path: p, Err: syscall.ENOTDIR}
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return &Dir{f: f, fd: int(f.Fd()), path: p}, nil
}

// Close closes the directory.
func (d *Dir) Close() error { return d.f.Close() }

// Path is where the directory is inside its root.
func (d *Dir) Path() string { return d.path }

// Lstat describes name without following a symbolic link.
func (d *Dir) Lstat(name string) (fs.FileInfo, error) {
	if err := checkName("lstat", d.path, name); err != nil {
		return nil, err
	}
	var st unix.Stat_t
	if err := retry(func() error { return unix.Fstatat(d.fd, name, &st, unix.AT_SYMLINK_NOFOLLOW) }); err != nil {
		return nil, &fs.PathError{Op: "lstat", Path: path.Join(d.path, name), Err: err}
	}
	return newInfo(name, &st), nil
}

// OpenFile opens name for reading. It never follows a symbolic link
// (ELOOP) and never blocks opening a FIFO swapped in meanwhile.
func (d *Dir) OpenFile(name string) (*File, error) {
	if err := checkName("open", d.path, name); err != nil {
		return nil, err
	}
	var fd int
	err := retry(func() (err error) {
		fd, err = unix.Openat(d.fd, name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
		return err
	})
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path.Join(d.path, name), Err: err}
	}
	return &File{fd: fd, name: name}, nil
}

// Remove unlinks the file name.
func (d *Dir) Remove(name string) error {
	if err := checkName("remove", d.path, name); err != nil {
		return err
	}
	if err := retry(func() error { return unix.Unlinkat(d.fd, name, 0) }); err != nil {
		return &fs.PathError{Op: "remove", Path: path.Join(d.path, name), Err: err}
	}
	return nil
}

// Link makes toName in to a second name of the file name: it never
// replaces a file there (fs.ErrExist).
func (d *Dir) Link(name string, to *Dir, toName string) error {
	if err := errors.Join(checkName("link", d.path, name), checkName("link", to.path, toName)); err != nil {
		return err
	}
	if err := retry(func() error { return unix.Linkat(d.fd, name, to.fd, toName, 0) }); err != nil {
		return &os.LinkError{Op: "link", Old: path.Join(d.path, name), New: path.Join(to.path, toName), Err: err}
	}
	return nil
}

// RenameNoReplace moves name to toName in to, failing with fs.ErrExist
// instead of replacing a file there: renameat2(RENAME_NOREPLACE), atomic
// against a file arriving at the same moment. Where the filesystem lacks
// the flag it links, then unlinks.
func (d *Dir) RenameNoReplace(name string, to *Dir, toName string) error {
	if err := errors.Join(checkName("rename", d.path, name), checkName("rename", to.path, toName)); err != nil {
		return err
	}
	err := retry(func() error { return unix.Renameat2(d.fd, name, to.fd, toName, unix.RENAME_NOREPLACE) })
	switch {
	case err == nil:
		return nil
	case errors.Is(err, unix.EINVAL), errors.Is(err, unix.ENOSYS):
		if err := d.Link(name, to, toName); err != nil {
			return err
		}
		if err := d.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove %s after linking it: %w", path.Join(d.path, name), err)
		}
		return nil
	}
	return &os.LinkError{Op: "renameat2", Old: path.Join(d.path, name), New: path.Join(to.path, toName), Err: err}
}

// File is a file opened for reading by descriptor: no poller, no
// finalizer, just reads.
type File struct {
	fd   int
	name string
}

var _ Reader = (*File)(nil)

func (f *File) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	var n int
	err := retry(func() (err error) {
		n, err = unix.Read(f.fd, p)
		return err
	})
	switch {
	case err != nil:
		return 0, &fs.PathError{Op: "read", Path: f.name, Err: err}
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}

// ReadAt reads len(p) bytes at off, or fewer and io.EOF at the end.
func (f *File) ReadAt(p []byte, off int64) (int, error) {
	read := 0
	for read < len(p) {
		var n int
		err := retry(func() (err error) {
			n, err = unix.Pread(f.fd, p[read:], off+int64(read))
			return err
		})
		if err != nil {
			return read, &fs.PathError{Op: "read", Path: f.name, Err: err}
		}
		if n == 0 {
			return read, io.EOF
		}
		read += n
	}
	return read, nil
}

// Stat describes the open file.
func (f *File) Stat() (fs.FileInfo, error) {
	var st unix.Stat_t
	if err := retry(func() error { return unix.Fstat(f.fd, &st) }); err != nil {
		return nil, &fs.PathError{Op: "stat", Path: f.name, Err: err}
	}
	return newInfo(f.name, &st), nil
}

// Fd is the open descriptor.
func (f *File) Fd() uintptr { return uintptr(f.fd) }

// Close closes the file; a second Close does nothing.
func (f *File) Close() error {
	if f.fd < 0 {
		return nil
	}
	err := unix.Close(f.fd)
	f.fd = -1
	return err
}

func retry(op func() error) error {
	for {
		if err := op(); !errors.Is(err, unix.EINTR) {
			return err
		}
	}
}

// info is an fs.FileInfo whose Sys is a *syscall.Stat_t, as os gives.
type info struct {
	name string
	st   syscall.Stat_t
}

func newInfo(name string, st *unix.Stat_t) *info {
	return &info{name: name, st: syscall.Stat_t{
		Dev: st.Dev, Ino: st.Ino, Nlink: st.Nlink, Mode: st.Mode, Uid: st.Uid, Gid: st.Gid, Rdev: st.Rdev, Size: st.Size,
		Mtim: syscall.Timespec{Sec: st.Mtim.Sec, Nsec: st.Mtim.Nsec},
		Ctim: syscall.Timespec{Sec: st.Ctim.Sec, Nsec: st.Ctim.Nsec},
	}}
}

func (i *info) Name() string       { return i.name }
func (i *info) Size() int64        { return i.st.Size }
func (i *info) ModTime() time.Time { return time.Unix(i.st.Mtim.Sec, i.st.Mtim.Nsec) }
func (i *info) IsDir() bool        { return i.Mode().IsDir() }
func (i *info) Sys() any           { return &i.st }

// Mode converts the inode's mode as os does.
func (i *info) Mode() fs.FileMode {
	m := fs.FileMode(i.st.Mode & 0o777)
	switch i.st.Mode & syscall.S_IFMT {
	case syscall.S_IFBLK:
		m |= fs.ModeDevice
	case syscall.S_IFCHR:
		m |= fs.ModeDevice | fs.ModeCharDevice
	case syscall.S_IFDIR:
		m |= fs.ModeDir
	case syscall.S_IFIFO:
		m |= fs.ModeNamedPipe
	case syscall.S_IFLNK:
		m |= fs.ModeSymlink
	case syscall.S_IFSOCK:
		m |= fs.ModeSocket
	}
	if i.st.Mode&syscall.S_ISGID != 0 {
		m |= fs.ModeSetgid
	}
	if i.st.Mode&syscall.S_ISUID != 0 {
		m |= fs.ModeSetuid
	}
	if i.st.Mode&syscall.S_ISVTX != 0 {
		m |= fs.ModeSticky
	}
	return m
}
