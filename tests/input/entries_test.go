package input

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/tributary-dev/tributary/shared/datadir"
)

// landAt writes content beside path and renames it there, as a producer
// following the contract does.
func landAt(path string, content []byte) error {
	tmp := filepath.Join(filepath.Dir(filepath.Dir(path)), datadir.Temp, fmt.Sprintf("land-%d", time.Now().UnixNano()))
	if err := os.WriteFile(tmp, content, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func symlinkTo(target string) func(*testing.T, string) error {
	return func(_ *testing.T, path string) error { return os.Symlink(target, path) }
}

// makeDevice creates a character device like /dev/null; it needs root
// (CAP_MKNOD), and the case is skipped with the reason otherwise.
func makeDevice(_ *testing.T, path string) error {
	err := syscall.Mknod(path, syscall.S_IFCHR|0o644, int(1<<8|3))
	if errors.Is(err, fs.ErrPermission) {
		return fmt.Errorf("mknod needs root (CAP_MKNOD): %w", err)
	}
	return err
}

func makeSocket(t *testing.T, path string) error {
	l, err := net.Listen("unix", path)
	if err != nil {
		return err
	}
	t.Cleanup(func() { l.Close() })
	return nil
}

// writeInPlace writes a file straight into input (no rename) in two
// bursts with a pause far longer than the settle time between them, the
// way a slow producer would: the half-written file must never be
// published.
func writeInPlace(t *testing.T, path string) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	full := csvOf("wip-1", "wip-2", "wip-3", "wip-4")
	half := bytes.Index(full, []byte("wip-3"))
	if _, err := f.Write(full[:half]); err != nil {
		return err
	}
	done := make(chan struct{})
	t.Cleanup(func() { <-done })
	go func() {
		defer close(done)
		defer f.Close()
		time.Sleep(2 * time.Second) // ten settle times, ten rescans
		if _, err := f.Write(full[half:]); err != nil {
			t.Errorf("write the rest: %v", err)
		}
	}()
	return nil
}
