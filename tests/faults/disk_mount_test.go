package faults

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/tributary-dev/tributary/shared/datadir"
	"github.com/tributary-dev/tributary/tests/faults/cluster"
)

// smallDisk mounts a size-limited tmpfs (options such as "size=8m,nr_inodes=4096")
// on a new directory and returns it. It is unmounted when the test ends,
// failed or not, after the cluster's processes (started later, so stopped
// first). Without root or mounts the test is skipped loudly, and fails
// under CI=true, where a skip would hide that the case never ran.
func smallDisk(t *testing.T, options string) string {
	t.Helper()
	dir := t.TempDir()
	if os.Geteuid() != 0 {
		cannotMount(t, "not running as root")
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", options, "tmpfs", dir).CombinedOutput(); err != nil {
		cannotMount(t, fmt.Sprintf("mount -t tmpfs -o %s: %v: %s", options, err, strings.TrimSpace(string(out))))
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			// Something still holds it: detach it now, the kernel frees it when the last user goes.
			t.Logf("umount %s: %v: %s; detaching it lazily", dir, err, strings.TrimSpace(string(out)))
			if out, err := exec.Command("umount", "-l", dir).CombinedOutput(); err != nil {
				t.Errorf("umount -l %s: %v: %s", dir, err, out)
			}
		}
	})
	return dir
}

func cannotMount(t *testing.T, why string) {
	t.Helper()
	msg := "FULL-DISK CASE NOT RUN: it needs a small filesystem of its own (mount -t tmpfs, as root): " + why
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// fill takes every free byte of dir's filesystem, and every free inode when
// inodes is set, with files under dir/filler, and returns a function that
// deletes them: space returns. Called again it takes what was freed since.
func fill(t *testing.T, dir string, inodes bool) (free func()) {
	t.Helper()
	filler := filepath.Join(dir, "filler")
	if err := os.MkdirAll(filler, 0o755); err != nil && !errors.Is(err, syscall.ENOSPC) {
		t.Fatal(err)
	}
	// Appended to when called again: it needs no new inode.
	f, err := os.OpenFile(filepath.Join(filler, "bytes"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 64<<10)
	for {
		if _, err = f.Write(chunk); err != nil {
			break
		}
	}
	f.Close()
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("fill %s: %v, want no space left on device", dir, err)
	}
	for i := 0; inodes; i++ {
		f, err := os.CreateTemp(filler, "inode-")
		if errors.Is(err, syscall.ENOSPC) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	t.Logf("filled %s: %s", dir, usage(dir))
	return func() {
		if err := os.RemoveAll(filler); err != nil {
			t.Fatal(err)
		}
		t.Logf("space returned on %s: %s", dir, usage(dir))
	}
}

// usage says how much of dir's filesystem is free.
func usage(dir string) string {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return err.Error()
	}
	return fmt.Sprintf("%d KiB of %d KiB free, %d of %d inodes free", st.Bfree*uint64(st.Bsize)>>10, st.Blocks*uint64(st.Bsize)>>10, st.Ffree, st.Files)
}

// moveLanded moves the generator's landed files into the pipeline's input
// (a rename on one filesystem: it needs no space) after adding each to the
// oracle, as the feeder does, without the feeder's extra upstream files,
// which would need space to write.
func moveLanded(stage, data datadir.Config, o *oracle) error {
	entries, err := os.ReadDir(stage.Path(datadir.Input))
	if err != nil {
		return err
	}
	for _, e := range entries {
		src := filepath.Join(stage.Path(datadir.Input), e.Name())
		b, err := os.ReadFile(src)
		if err != nil {
			return err
		}
		if err := o.add(e.Name(), b); err != nil {
			return err
		}
		if err := os.Rename(src, filepath.Join(data.Path(datadir.Input), e.Name())); err != nil {
			return err
		}
	}
	return nil
}

// tails prints the end of every log if the test fails.
func tails(t *testing.T, c *cluster.Cluster) {
	t.Cleanup(func() {
		if t.Failed() {
			t.Log(c.LogTails(15))
		}
	})
}

// logLines returns the lines of p's log that contain s, at most n.
func logLines(path, s string, n int) []string {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, s) && len(out) < n {
			out = append(out, l)
		}
	}
	return out
}
