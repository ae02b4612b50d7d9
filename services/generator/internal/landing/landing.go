// Package landing writes files the way the pipeline requires every producer
// to: into a temporary directory on the same filesystem, fsync, rename into
// the input directory, fsync the directory. A reader of the input directory
// therefore only ever sees complete files, even across crashes.
package landing

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/tributary-dev/tributary/shared/datadir"
)

// Lander lands files into one input directory.
type Lander struct {
	tempDir  string
	inputDir string
}

// New returns a Lander; tempDir and inputDir must be on one filesystem.
func New(tempDir, inputDir string) *Lander {
	return &Lander{tempDir: tempDir, inputDir: inputDir}
}

// Land writes a file named name through write and lands it. If write fails
// or ctx ends before the rename, the temporary file is removed and nothing
// appears in the input directory.
func (l *Lander) Land(ctx context.Context, name string, write func(io.Writer) error) (err error) {
	if filepath.Base(name) != name || name == "." || name == ".." {
		return fmt.Errorf("land %q: not a plain file name", name)
	}
	tmp, err := os.CreateTemp(l.tempDir, "."+name+".*.tmp")
	if err != nil {
		return fmt.Errorf("land %s: %w", name, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	bw := bufio.NewWriterSize(tmp, 64<<10)
	if err := write(bw); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", name, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("close %s: %w", name, err)
	}
	if err := ctx.Err(); err != nil {
		return err // stopping: a finished file that is not landed is not lost, it was never promised
	}
	if err := os.Rename(tmp.Name(), filepath.Join(l.inputDir, name)); err != nil {
		return fmt.Errorf("land %s: %w", name, err)
	}
	return datadir.SyncDir(l.inputDir)
}

// CleanTemp removes temporary files older than age, left by a writer that
// crashed between create and rename. Younger ones may belong to a live
// writer sharing the directory.
func CleanTemp(tempDir string, age time.Duration, now time.Time) (removed int, err error) {
	entries, err := os.ReadDir(tempDir)
	if err != nil {
		return 0, fmt.Errorf("clean temp: %w", err)
	}
	var errs []error
	for _, e := range entries {
		info, err := e.Info()
		if err != nil || !info.Mode().IsRegular() || now.Sub(info.ModTime()) < age {
			continue
		}
		if err := os.Remove(filepath.Join(tempDir, e.Name())); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
			continue
		}
		removed++
	}
	return removed, errors.Join(errs...)
}
