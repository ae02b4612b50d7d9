package datadir

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Backlog is what waits in the data directory: files landed in input and
// files claimed by a watcher but not yet archived or rejected.
type Backlog struct {
	Input   int
	Claimed int
}

// CountBacklog counts the backlog, claim slots (claimed/<id>/.N/)
// included. Hidden names (a producer's temporary files, a watcher's lock)
// are not counted. It reads directory entries only, never file
// contents, so it is cheap enough for every metrics scrape.
func (c Config) CountBacklog() (Backlog, error) {
	var b Backlog
	var err error
	if b.Input, err = countFiles(c.Path(Input)); err != nil {
		return b, err
	}
	watchers, err := os.ReadDir(c.Path(Claimed))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return b, err
	}
	for _, w := range watchers {
		if !w.IsDir() {
			continue
		}
		n, err := countClaims(filepath.Join(c.Path(Claimed), w.Name()))
		if err != nil {
			return b, err
		}
		b.Claimed += n
	}
	return b, nil
}

// countClaims counts the files of one claim directory and its slots.
func countClaims(dir string) (int, error) {
	n, err := countFiles(dir)
	if err != nil {
		return n, err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return n, err
	}
	for _, e := range entries {
		if !e.IsDir() || !IsClaimSlot(e.Name()) {
			continue
		}
		k, err := countFiles(filepath.Join(dir, e.Name()))
		if err != nil && !errors.Is(err, fs.ErrNotExist) { // a slot emptied and removed meanwhile
			return n, err
		}
		n += k
	}
	return n, nil
}

func countFiles(dir string) (int, error) {
	f, err := os.Open(dir)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	n := 0
	for {
		names, err := f.Readdirnames(1024)
		for _, name := range names {
			if !strings.HasPrefix(name, ".") {
				n++
			}
		}
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}
