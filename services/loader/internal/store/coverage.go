package store

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/tributary-dev/tributary/shared/ledger"

	"github.com/jackc/pgx/v5"
)

// rowFilter is which rows of a part are still to load: all of them (nil),
// some (only those ending in keep), or none.
type rowFilter struct {
	keep ledger.Ranges
	none bool
}

// planParts locks the file rows of the parts among msgs and decides, for
// each part, which of its rows no earlier part of the same file (from this
// split or another) has loaded. Parts of one file in one batch are planned
// in order, each seeing the ones before it. Locking the file's row
// serializes loaders holding overlapping parts of it; files are locked in
// id order, so two loaders never wait on each other in a cycle.
//
// A part from a watcher that predates ledger.Ranges (To 0) is decided by its
// message id alone, as before.
func planParts(ctx context.Context, tx pgx.Tx, msgs []Message) ([]rowFilter, map[string]ledger.Ranges, error) {
	plans := make([]rowFilter, len(msgs))
	var ids []string
	var sizes []int64
	for _, m := range msgs {
		if p := m.Part; p != nil && p.To > 0 && !slices.Contains(ids, p.FileID) {
			ids, sizes = append(ids, p.FileID), append(sizes, p.Size)
		}
	}
	if len(ids) == 0 {
		return plans, nil, nil
	}
	loaded, err := lockFiles(ctx, tx, ids, sizes)
	if err != nil {
		return nil, nil, err
	}
	for i, m := range msgs {
		p := m.Part
		if p == nil || p.To == 0 {
			continue
		}
		r := ledger.Range{Lo: p.From, Hi: p.To}
		todo := loaded[p.FileID].Minus(r)
		switch {
		case len(todo) == 0:
			plans[i].none = true
		case len(todo) != 1 || todo[0] != r:
			plans[i].keep = todo
		}
		loaded[p.FileID] = loaded[p.FileID].Plus(r)
	}
	return plans, loaded, nil
}

// lockFiles makes sure each file has its row, locks the rows and returns
// what each file has loaded. Three statements, each with its own snapshot:
// a row another loader inserted and committed meanwhile is visible after
// the insert waited for it, and what is loaded is read only once the locks
// are held (a locking read that waited would otherwise see the ledger.Ranges as
// they were before the other loader's commit).
func lockFiles(ctx context.Context, tx pgx.Tx, ids []string, sizes []int64) (map[string]ledger.Ranges, error) {
	b := &pgx.Batch{}
	b.Queue(`
		INSERT INTO ingest_files (file_id, size_bytes)
		SELECT * FROM unnest($1::text[], $2::bigint[]) ORDER BY 1
		ON CONFLICT (file_id) DO NOTHING`, ids, sizes)
	b.Queue(`SELECT file_id FROM ingest_files WHERE file_id = ANY($1) ORDER BY file_id FOR UPDATE`, ids)
	b.Queue(`
		SELECT f.file_id, coalesce(lower(r), 0), coalesce(upper(r), $2)
		FROM ingest_files f, unnest(f.loaded) r
		WHERE f.file_id = ANY($1)
		ORDER BY 1, 2`, ids, int64(math.MaxInt64))
	res := tx.SendBatch(ctx, b)
	defer res.Close()
	if _, err := res.Exec(); err != nil {
		return nil, fmt.Errorf("record files: %w", err)
	}
	if _, err := res.Exec(); err != nil {
		return nil, fmt.Errorf("lock files: %w", err)
	}
	rows, err := res.Query()
	if err != nil {
		return nil, fmt.Errorf("lock files: %w", err)
	}
	loaded := make(map[string]ledger.Ranges, len(ids))
	var (
		id     string
		lo, hi int64
	)
	_, err = pgx.ForEachRow(rows, []any{&id, &lo, &hi}, func() error {
		loaded[id] = append(loaded[id], ledger.Range{Lo: lo, Hi: hi})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read loaded ledger.Ranges: %w", err)
	}
	return loaded, res.Close()
}

// recordFiles stores what each file of the batch has loaded now, and when
// a file became loaded whole.
func recordFiles(ctx context.Context, tx pgx.Tx, loaded map[string]ledger.Ranges) error {
	if len(loaded) == 0 {
		return nil
	}
	var (
		ids    []string
		lo, hi []int64
	)
	for id, rs := range loaded {
		for _, r := range rs {
			ids, lo, hi = append(ids, id), append(lo, r.Lo), append(hi, r.Hi)
		}
	}
	_, err := tx.Exec(ctx, `
		UPDATE ingest_files f
		SET loaded = u.loaded,
		    loaded_at = CASE WHEN f.loaded_at IS NULL AND u.loaded @> int8range(0, f.size_bytes) THEN clock_timestamp() ELSE f.loaded_at END
		FROM (
			SELECT id, range_agg(int8range(lo, hi)) AS loaded
			FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS t(id, lo, hi)
			GROUP BY id
		) u
		WHERE f.file_id = u.id AND f.loaded <> u.loaded`, ids, lo, hi)
	if err != nil {
		return fmt.Errorf("record loaded ledger.Ranges: %w", err)
	}
	return nil
}
