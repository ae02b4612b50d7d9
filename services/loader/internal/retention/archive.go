package retention

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/tributary-dev/tributary/shared/ledger"
	"github.com/tributary-dev/tributary/shared/logging"
)

// hashed remembers a file's content id, so a file kept because it is not
// confirmed is not read again at every pass.
type hashed struct {
	size  int64
	mtime time.Time
	id    string
}

// candidate is an archived file old enough to go.
type candidate struct {
	name string
	id   string
}

// checkBatch bounds the file ids sent to the ledger in one query.
const checkBatch = 1000

func (c *Cleaner) cleanArchive(ctx context.Context) (removed, unconfirmed int, err error) {
	entries, err := os.ReadDir(c.archiveDir)
	if err != nil {
		return 0, 0, fmt.Errorf("list archive: %w", err)
	}
	cutoff := c.now().Add(-c.cfg.Archive)
	seen := make(map[string]bool, len(entries))
	var old []candidate
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		info, err := e.Info()
		if err != nil || !info.ModTime().Before(cutoff) {
			continue
		}
		seen[e.Name()] = true
		id, err := c.fileID(e.Name(), info)
		if err != nil {
			c.log.Warn("cannot read archived file; kept", logging.KeyFile, logging.SafeName(e.Name()), logging.Err(err))
			continue
		}
		old = append(old, candidate{name: e.Name(), id: id})
	}
	for name := range c.ids {
		if !seen[name] {
			delete(c.ids, name)
		}
	}
	for len(old) > 0 {
		batch := old[:min(len(old), checkBatch)]
		old = old[len(batch):]
		ids := make([]string, len(batch))
		for i, f := range batch {
			ids[i] = f.id
		}
		progress, err := ledger.Files(ctx, c.db, ids)
		if err != nil {
			return removed, unconfirmed, err
		}
		for _, f := range batch {
			if !progress[f.id].Loaded() {
				unconfirmed++
				continue
			}
			if err := os.Remove(filepath.Join(c.archiveDir, f.name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return removed, unconfirmed, fmt.Errorf("remove archived file: %w", err)
			}
			delete(c.ids, f.name)
			removed++
		}
	}
	return removed, unconfirmed, nil
}

func (c *Cleaner) fileID(name string, info fs.FileInfo) (string, error) {
	if h, ok := c.ids[name]; ok && h.size == info.Size() && h.mtime.Equal(info.ModTime()) {
		return h.id, nil
	}
	f, err := os.Open(filepath.Join(c.archiveDir, name))
	if err != nil {
		return "", err
	}
	defer f.Close()
	id, err := ledger.FileID(f)
	if err != nil {
		return "", err
	}
	c.ids[name] = hashed{size: info.Size(), mtime: info.ModTime(), id: id}
	return id, nil
}
