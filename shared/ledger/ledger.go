// Package ledger reads the loader's exactly-once state (ingest_files and
// the per-message ingest_ledger) to answer one question for the loader's
// retention and for ctl reconcile: which files, identified by content, are
// completely loaded? It also holds the byte ranges parts are named by.
package ledger

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"slices"

	"github.com/jackc/pgx/v5"
)

// Querier is the part of a pgx pool, connection or transaction needed.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// FileID is a file's identity as the watcher computes it: the hex SHA-256
// of its whole content.
func FileID(r io.Reader) (string, error) {
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		return "", fmt.Errorf("hash file: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Progress is what the ledger holds of one file.
type Progress struct {
	Size      int64   // the file's size, 0 when not known
	Covered   Ranges  // the bytes of the file whose rows are loaded (ingest_files)
	Parts     int     // parts of the split(s) the ledger has seen
	Committed []int32 // indexes of the parts committed, ascending
	Rows      int64   // rows loaded from them
	Rejected  int64   // rows rejected from them

	whole  bool // ingest_files: every byte range of the file is loaded
	legacy bool // every part FILEID.INDEX of a watcher that predates byte ranges committed
}

// Loaded reports whether every row of the file is loaded (or rejected).
func (p Progress) Loaded() bool { return p.whole || p.legacy }

// Files returns the progress of each file id found in ingest_files or the
// ledger; ids found in neither are absent. Whether a file is loaded comes
// from ingest_files, which outlives the per-message ledger rows; counts of
// parts and rows come from the ledger while it holds them. Only data parts
// count, not a rejection notice that carries the same file id.
//
// A file of a contract other than the default one is keyed by
// "<contract>:<id>" (see ingest.Part.FileKey); such contracts are named in
// contracts, and a content id loaded under any of them counts as loaded.
func Files(ctx context.Context, q Querier, ids []string, contracts ...string) (map[string]Progress, error) {
	keys, content := slices.Clone(ids), map[string]string{}
	for _, c := range contracts {
		for _, id := range ids {
			keys = append(keys, c+":"+id)
			content[c+":"+id] = id
		}
	}
	byKey, err := files(ctx, q, keys)
	if err != nil {
		return nil, err
	}
	out := make(map[string]Progress, len(ids))
	for key, p := range byKey {
		id, ok := content[key]
		if !ok {
			id = key
		}
		if have, seen := out[id]; !seen || !have.Loaded() && p.Loaded() {
			out[id] = p
		}
	}
	return out, nil
}

func files(ctx context.Context, q Querier, ids []string) (map[string]Progress, error) {
	out := make(map[string]Progress, len(ids))
	rows, err := q.Query(ctx, `
		SELECT file_id, coalesce(size_bytes, 0), coalesce(loaded @> int8range(0, size_bytes), false),
		       array(SELECT coalesce(lower(r), 0) FROM unnest(loaded) r ORDER BY 1),
		       array(SELECT coalesce(upper(r), 9223372036854775807) FROM unnest(loaded) r ORDER BY 1)
		FROM ingest_files WHERE file_id = ANY($1)`, ids)
	if err != nil {
		return nil, fmt.Errorf("read loaded files: %w", err)
	}
	var (
		id     string
		size   int64
		whole  bool
		lo, hi []int64
	)
	_, err = pgx.ForEachRow(rows, []any{&id, &size, &whole, &lo, &hi}, func() error {
		p := Progress{Size: size, whole: whole}
		for i := range lo {
			p.Covered = append(p.Covered, Range{Lo: lo[i], Hi: hi[i]})
		}
		out[id] = p
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read loaded files: %w", err)
	}
	rows, err = q.Query(ctx, `
		SELECT file_id, max(parts), array_agg(DISTINCT part ORDER BY part), sum(rows_loaded), sum(rows_rejected),
		       count(DISTINCT part) FILTER (WHERE message_id = file_id || '.' || part) =
		       coalesce(max(parts) FILTER (WHERE message_id = file_id || '.' || part), -1)
		FROM ingest_ledger
		WHERE file_id = ANY($1) AND message_id NOT LIKE 'rejected.%'
		GROUP BY file_id`, ids)
	if err != nil {
		return nil, fmt.Errorf("read ledger: %w", err)
	}
	var l Progress
	_, err = pgx.ForEachRow(rows, []any{&id, &l.Parts, &l.Committed, &l.Rows, &l.Rejected, &l.legacy}, func() error {
		p := out[id]
		p.Parts, p.Committed, p.Rows, p.Rejected, p.legacy = l.Parts, l.Committed, l.Rows, l.Rejected, l.legacy
		out[id] = p
		l = Progress{}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read ledger: %w", err)
	}
	return out, nil
}
