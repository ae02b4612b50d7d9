// Package ledger reads the loader's exactly-once ledger (ingest_ledger) to
// answer one question for the loader's retention and for ctl reconcile:
// which files, identified by content, are completely loaded?
package ledger

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"

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
	Parts     int     // parts the file was split into
	Committed []int32 // indexes of the parts committed, ascending
	Rows      int64   // rows loaded from them
	Rejected  int64   // rows rejected from them
}

// Loaded reports whether every part of the file is committed.
func (p Progress) Loaded() bool { return p.Parts > 0 && len(p.Committed) == p.Parts }

// Files returns the ledger's progress of each file id found in it; ids it
// has no part of are absent. Only data parts count (message id
// FILEID.PART), not a rejection notice that carries the same file id.
func Files(ctx context.Context, q Querier, ids []string) (map[string]Progress, error) {
	rows, err := q.Query(ctx, `
		SELECT file_id, max(parts), array_agg(DISTINCT part ORDER BY part), sum(rows_loaded), sum(rows_rejected)
		FROM ingest_ledger
		WHERE file_id = ANY($1) AND message_id = file_id || '.' || part
		GROUP BY file_id`, ids)
	if err != nil {
		return nil, fmt.Errorf("read ledger: %w", err)
	}
	out := make(map[string]Progress, len(ids))
	var (
		id string
		p  Progress
	)
	_, err = pgx.ForEachRow(rows, []any{&id, &p.Parts, &p.Committed, &p.Rows, &p.Rejected}, func() error {
		out[id] = p
		p = Progress{}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read ledger: %w", err)
	}
	return out, nil
}
