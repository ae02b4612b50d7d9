package retention

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/tributary-dev/tributary/shared/ledger"
	"github.com/tributary-dev/tributary/shared/logging"
)

// fileKey tells whether a name still holds the file that was hashed.
type fileKey struct {
	dev, ino     uint64
	size         int64
	mtime, ctime int64 // Unix nanoseconds
}

// hashed remembers a file's content id, so that a file kept in the archive
// is not read again at every pass.
type hashed struct {
	key fileKey
	id  string
}

// candidate is an archived file, identified.
type candidate struct {
	name string
	key  fileKey
	id   string
}

// checkBatch bounds the file ids sent to the ledger in one query.
const checkBatch = 1000

// cleanArchive removes every archived file that the ledger confirms loaded
// and whose content was first committed before passNow - Archive: the age
// comes from the database, never from a time the producer set. Only files
// archived (by their ctime, which the link into archive/ set and no
// producer can) longer ago than that are hashed, once per process (see
// Cleaner.ids): a younger file cannot be old by the ledger either.
func (c *Cleaner) cleanArchive(ctx context.Context, passNow time.Time) (removed, unconfirmed int, err error) {
	entries, err := os.ReadDir(c.archiveDir)
	if err != nil {
		return 0, 0, fmt.Errorf("list archive: %w", err)
	}
	cutoff := passNow.Add(-c.cfg.Archive)
	// Only to report files the ledger has nothing old of: the link into
	// archive/ set their ctime, read against this machine's clock.
	stale := c.now().Add(-c.cfg.Archive).UnixNano()
	seen := make(map[string]bool, len(entries))
	var files []candidate
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue // removed meanwhile
		}
		seen[e.Name()] = true
		key := keyOf(info)
		if key.ctime >= stale {
			// Archived (linked into archive/, which set its ctime) too
			// recently to be old by the ledger either: not worth hashing.
			continue
		}
		f, err := c.identify(candidate{name: e.Name(), key: key})
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				c.log.Warn("cannot read archived file; kept", logging.KeyFile, logging.SafeName(e.Name()), logging.Err(err))
			}
			continue
		}
		files = append(files, f)
	}
	for name := range c.ids {
		if !seen[name] {
			delete(c.ids, name)
		}
	}
	for len(files) > 0 {
		batch := files[:min(len(files), checkBatch)]
		files = files[len(batch):]
		ids := make([]string, len(batch))
		for i, f := range batch {
			ids[i] = f.id
		}
		var contracts []string
		if c.contracts != nil {
			contracts = c.contracts()
		}
		first, err := firstCommits(ctx, c.db, ids, contracts)
		if err != nil {
			return removed, unconfirmed, err
		}
		progress, err := ledger.Files(ctx, c.db, ids, contracts...)
		if err != nil {
			return removed, unconfirmed, err
		}
		for _, f := range batch {
			at, ok := first[f.id]
			old := ok && at.Before(cutoff)
			if !progress[f.id].Loaded() {
				if old || f.key.ctime < stale {
					unconfirmed++
				}
				continue
			}
			if !old {
				continue
			}
			gone, err := c.remove(f)
			if err != nil {
				return removed, unconfirmed, err
			}
			if gone {
				removed++
			}
		}
	}
	return removed, unconfirmed, nil
}

// firstCommits returns, per file id, when the ledger first committed a
// message of that content, or when ingest_files first recorded it (it
// outlives the ledger's rows). Any message counts, a rejection notice too: an
// earlier age only makes the file eligible sooner, and it is still removed
// only once every part is confirmed.
//
// A file of another contract than the default is keyed "<contract>:<id>"
// (see ledger.Files): its first commit under any of contracts counts.
func firstCommits(ctx context.Context, db DB, ids, contracts []string) (map[string]time.Time, error) {
	keys, content := slices.Clone(ids), map[string]string{}
	for _, c := range contracts {
		for _, id := range ids {
			keys = append(keys, c+":"+id)
			content[c+":"+id] = id
		}
	}
	rows, err := db.Query(ctx, `
		SELECT id, least((SELECT min(committed_at) FROM ingest_ledger WHERE file_id = id),
		                 (SELECT first_at FROM ingest_files WHERE file_id = id))
		FROM unnest($1::text[]) AS id
		WHERE EXISTS (SELECT FROM ingest_ledger WHERE file_id = id) OR EXISTS (SELECT FROM ingest_files WHERE file_id = id)`, keys)
	if err != nil {
		return nil, fmt.Errorf("read ledger commit times: %w", err)
	}
	out := make(map[string]time.Time, len(ids))
	var (
		id string
		at time.Time
	)
	if _, err := pgx.ForEachRow(rows, []any{&id, &at}, func() error {
		if c, ok := content[id]; ok {
			id = c
		}
		if was, ok := out[id]; !ok || at.Before(was) {
			out[id] = at
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("read ledger commit times: %w", err)
	}
	return out, nil
}

// remove deletes f unless its name now holds another file: another loader
// may have removed it meanwhile and the watcher archived a new file under
// the same name, which the next pass checks on its own. A remove by name
// cannot be made conditional, so a replacement in the microseconds between
// the Lstat and the Remove is not caught.
func (c *Cleaner) remove(f candidate) (bool, error) {
	p := filepath.Join(c.archiveDir, f.name)
	info, err := os.Lstat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("stat archived file: %w", err)
	}
	if keyOf(info) != f.key {
		return false, nil
	}
	if err := os.Remove(p); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return false, nil
		}
		return false, fmt.Errorf("remove archived file: %w", err)
	}
	delete(c.ids, f.name)
	return true, nil
}

// identify returns f with its content id, from the cache while its key
// holds. A file hashed anew takes the key of the descriptor it was read
// through, so that key and id describe one file even if the name was
// reused between the listing and the open.
func (c *Cleaner) identify(f candidate) (candidate, error) {
	if h, ok := c.ids[f.name]; ok && h.key == f.key {
		f.id = h.id
		return f, nil
	}
	file, err := os.Open(filepath.Join(c.archiveDir, f.name))
	if err != nil {
		return f, err
	}
	defer file.Close()
	info, err := file.Stat()
	if err != nil {
		return f, fmt.Errorf("stat archived file: %w", err)
	}
	if f.id, err = ledger.FileID(file); err != nil {
		return f, err
	}
	f.key = keyOf(info)
	c.ids[f.name] = hashed{key: f.key, id: f.id}
	return f, nil
}
