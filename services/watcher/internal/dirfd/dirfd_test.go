package dirfd

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

func setup(t *testing.T) (*os.Root, string) {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{"a", "b"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { root.Close() })
	return root, dir
}

func open(t *testing.T, root *os.Root, p string) *Dir {
	t.Helper()
	d, err := Open(root, p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func TestLstatAgreesWithOS(t *testing.T) {
	root, dir := setup(t)
	a := open(t, root, "a")
	file := filepath.Join(dir, "a", "f.csv")
	if err := os.WriteFile(file, []byte("hello"), 0o640); err != nil {
		t.Fatal(err)
	}
	old := time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC)
	if err := os.Chtimes(file, old, old); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("f.csv", filepath.Join(dir, "a", "link")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "a", "fifo"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"f.csv", "link", "fifo"} {
		want, err := os.Lstat(filepath.Join(dir, "a", name))
		if err != nil {
			t.Fatal(err)
		}
		got, err := a.Lstat(name)
		if err != nil {
			t.Fatal(err)
		}
		if got.Name() != name || got.Mode() != want.Mode() || got.Size() != want.Size() || !got.ModTime().Equal(want.ModTime()) || got.IsDir() {
			t.Errorf("%s: %v %v %d %v, os says %v %d %v", name, got.Name(), got.Mode(), got.Size(), got.ModTime(), want.Mode(), want.Size(), want.ModTime())
		}
		gs, ws := got.Sys().(*syscall.Stat_t), want.Sys().(*syscall.Stat_t)
		if gs.Ino != ws.Ino || gs.Dev != ws.Dev || gs.Nlink != ws.Nlink || gs.Ctim != ws.Ctim {
			t.Errorf("%s: Sys %+v, os says %+v", name, gs, ws)
		}
	}
	if _, err := a.Lstat("missing"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func TestNamesAreSingleComponents(t *testing.T) {
	root, _ := setup(t)
	a, b := open(t, root, "a"), open(t, root, "b")
	for _, name := range []string{"", ".", "..", "../b/x", "x/y"} {
		if _, err := a.Lstat(name); !errors.Is(err, ErrBadName) {
			t.Errorf("Lstat(%q) = %v", name, err)
		}
		if _, err := a.OpenFile(name); !errors.Is(err, ErrBadName) {
			t.Errorf("OpenFile(%q) = %v", name, err)
		}
		if err := a.Remove(name); !errors.Is(err, ErrBadName) {
			t.Errorf("Remove(%q) = %v", name, err)
		}
		if err := a.RenameNoReplace("x", b, name); !errors.Is(err, ErrBadName) {
			t.Errorf("RenameNoReplace to %q = %v", name, err)
		}
		if err := a.Link("x", b, name); !errors.Is(err, ErrBadName) {
			t.Errorf("Link to %q = %v", name, err)
		}
	}
}

func TestOpenFileNeverFollowsNorBlocks(t *testing.T) {
	root, dir := setup(t)
	a := open(t, root, "a")
	if err := os.Symlink("/etc/passwd", filepath.Join(dir, "a", "link")); err != nil {
		t.Fatal(err)
	}
	if _, err := a.OpenFile("link"); !errors.Is(err, syscall.ELOOP) {
		t.Errorf("a symlink opened: %v", err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "a", "fifo"), 0o600); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		f, err := a.OpenFile("fifo")
		if err == nil {
			f.Close()
		}
		done <- err
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("opening a FIFO blocked")
	}
}

func TestFileReads(t *testing.T) {
	root, dir := setup(t)
	a := open(t, root, "a")
	if err := os.WriteFile(filepath.Join(dir, "a", "f"), []byte("0123456789"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := a.OpenFile("f")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	all, err := io.ReadAll(f)
	if err != nil || string(all) != "0123456789" {
		t.Fatalf("ReadAll = %q, %v", all, err)
	}
	buf := make([]byte, 4)
	if n, err := f.ReadAt(buf, 3); n != 4 || err != nil || string(buf) != "3456" {
		t.Errorf("ReadAt(3) = %d %v %q", n, err, buf)
	}
	if n, err := f.ReadAt(buf, 8); n != 2 || err != io.EOF {
		t.Errorf("ReadAt past the end = %d, %v; want 2, io.EOF", n, err)
	}
	st, err := f.Stat()
	if err != nil || st.Size() != 10 || !st.Mode().IsRegular() {
		t.Errorf("Stat = %v, %v", st, err)
	}
	if f.Close() != nil || f.Close() != nil {
		t.Error("Close twice failed")
	}
}

func TestMovesNeverReplace(t *testing.T) {
	root, dir := setup(t)
	a, b := open(t, root, "a"), open(t, root, "b")
	for _, p := range []string{"a/x", "a/y", "b/taken"} {
		if err := os.WriteFile(filepath.Join(dir, p), []byte(p), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.RenameNoReplace("x", b, "taken"); !errors.Is(err, fs.ErrExist) {
		t.Errorf("rename over a file: %v", err)
	}
	if err := a.Link("x", b, "taken"); !errors.Is(err, fs.ErrExist) {
		t.Errorf("link over a file: %v", err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "b", "taken")); string(got) != "b/taken" {
		t.Fatalf("b/taken holds %q", got)
	}
	if err := a.RenameNoReplace("x", b, "x"); err != nil {
		t.Fatal(err)
	}
	if err := a.Link("y", b, "y"); err != nil {
		t.Fatal(err)
	}
	if err := a.Remove("y"); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]string{"b/x": "a/x", "b/y": "a/y"} {
		if got, err := os.ReadFile(filepath.Join(dir, p)); err != nil || string(got) != want {
			t.Errorf("%s = %q, %v; want %q", p, got, err, want)
		}
	}
	if left, _ := os.ReadDir(filepath.Join(dir, "a")); len(left) != 0 {
		t.Errorf("a still holds %v", left)
	}
}

func TestOpenRefusesAFile(t *testing.T) {
	root, dir := setup(t)
	if err := os.WriteFile(filepath.Join(dir, "file"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(root, "file"); !errors.Is(err, syscall.ENOTDIR) {
		t.Errorf("Open(file) = %v", err)
	}
	if _, err := Open(root, "../"); err == nil {
		t.Error("Open escaped the root")
	}
}
