package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/tributary-dev/tributary/shared/datadir"
)

// Dataset is a set of CSV files written by the real generator (its ids
// rewritten to v4 unless IDs is v7), kept in Dir between runs: every run of
// it, COPY or pipeline, loads the very same bytes.
type Dataset struct {
	Dir             string   `json:"-"`
	Names           []string `json:"-"`
	IDs             string   `json:"ids"`
	Files           int      `json:"files"`
	RowsPerFile     int      `json:"rows_per_file"`
	Rows            int64    `json:"rows"`
	Bytes           int64    `json:"bytes"`
	GenerateSeconds float64  `json:"generate_seconds"`
}

// generate runs the generator binary as fast as it goes until it has
// landed rows (rounded up to whole files), then keeps the files in dir
// with event ids of the kind ids.
func generate(ctx context.Context, bin, dir string, rows int64, perFile int, ids string) (*Dataset, error) {
	files := int((rows + int64(perFile) - 1) / int64(perFile))
	gen := datadir.Config{Dir: filepath.Join(dir, "generator")}
	if err := gen.Ensure(); err != nil {
		return nil, err
	}
	start := time.Now()
	p, err := startProc("generator", filepath.Join(bin, "generator"), nil, []string{
		"DATA_DIR=" + gen.Dir, "GENERATOR_RATE=0", "GENERATOR_SEED=1", "HTTP_ADDR=off",
		"GENERATOR_FILES=" + strconv.Itoa(files), "GENERATOR_ROWS_PER_FILE=" + strconv.Itoa(perFile),
		"LOG_FORMAT=json", "LOG_LEVEL=warn",
	}, filepath.Join(dir, "generator.log"))
	if err != nil {
		return nil, err
	}
	select {
	case <-p.done:
	case <-ctx.Done():
		p.stop(5 * time.Second)
		return nil, ctx.Err()
	}
	if p.err != nil {
		return nil, fmt.Errorf("generator: %v (see %s)", p.err, filepath.Join(dir, "generator.log"))
	}
	ds := &Dataset{Dir: filepath.Join(dir, "files"), IDs: ids, RowsPerFile: perFile}
	if err := os.MkdirAll(ds.Dir, 0o755); err != nil {
		return nil, err
	}
	if err := moveAll(gen.Path(datadir.Input), ds.Dir); err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(ds.Dir)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		info, err := e.Info()
		if err != nil {
			return nil, err
		}
		ds.Names = append(ds.Names, e.Name())
		ds.Bytes += info.Size()
	}
	slices.Sort(ds.Names)
	ds.Files = len(ds.Names)
	ds.Rows = int64(ds.Files) * int64(perFile)
	if ds.Files != files {
		return nil, fmt.Errorf("generator landed %d files, want %d", ds.Files, files)
	}
	if ids == idsV4 {
		if err := rewriteIDs(ds.Dir, ds.Names, uint64(rows)<<20^uint64(perFile)); err != nil {
			return nil, err
		}
	}
	ds.GenerateSeconds = time.Since(start).Seconds()
	return ds, nil
}

// Paths returns the files' full paths.
func (d *Dataset) Paths() []string {
	out := make([]string, len(d.Names))
	for i, n := range d.Names {
		out[i] = filepath.Join(d.Dir, n)
	}
	return out
}

// land moves the files into a data directory's input "all at once": first
// into temp (the watcher does not look there), then each renamed into
// input, as a producer lands files. It returns when the first rename began.
func (d *Dataset) land(data datadir.Config) (time.Time, error) {
	if err := moveAll(d.Dir, data.Path(datadir.Temp)); err != nil {
		return time.Time{}, err
	}
	start := time.Now()
	for _, n := range d.Names {
		if err := os.Rename(filepath.Join(data.Path(datadir.Temp), n), filepath.Join(data.Path(datadir.Input), n)); err != nil {
			return start, err
		}
	}
	return start, datadir.SyncDir(data.Path(datadir.Input))
}

// landWaiting lands the files as an outage leaves them: in input, written
// an hour before, so that the watcher's start-up scan takes every one at
// once rather than waiting for the newest to settle (WATCHER_SETTLE).
func (d *Dataset) landWaiting(data datadir.Config) error {
	if _, err := d.land(data); err != nil {
		return err
	}
	then := time.Now().Add(-time.Hour)
	for _, n := range d.Names {
		if err := os.Chtimes(filepath.Join(data.Path(datadir.Input), n), then, then); err != nil {
			return err
		}
	}
	return nil
}

// restore takes the files back from the archive once a run has loaded them.
func (d *Dataset) restore(data datadir.Config) error {
	if err := moveAll(data.Path(datadir.Archive), d.Dir); err != nil {
		return err
	}
	left, err := os.ReadDir(d.Dir)
	if err != nil {
		return err
	}
	if len(left) != d.Files {
		return fmt.Errorf("%d of %d files came back from the archive (see %s)", len(left), d.Files, data.Dir)
	}
	return nil
}

func moveAll(from, to string) error {
	entries, err := os.ReadDir(from)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := os.Rename(filepath.Join(from, e.Name()), filepath.Join(to, e.Name())); err != nil {
			return err
		}
	}
	return nil
}
