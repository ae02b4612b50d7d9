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

// planParts decides, for each part among msgs, which of its rows no
// earlier part of the same file (from this split or another) has loaded,
// and returns the loaded ranges to record of the files already known.
// Parts of one file in one batch are planned in order, each seeing the
// ones before it.
//
// Most files are new: one statement records each with the ranges this
// batch loads of it, and that is all. A file already recorded (a part of
// it loaded before, or another loader recording it now: the insert waits
// for that one's outcome) has its row locked and read; locking serializes
// loaders holding overlapping parts, and rows are locked in id order, so
// two loaders never wait on each other in a cycle.
//
// A part from a watcher that predates byte ranges (To 0) is decided by its
// message id alone, as before.
func planParts(ctx context.Context, tx pgx.Tx, msgs []Message) ([]rowFilter, map[string]ledger.Ranges, error) {
	plans := make([]rowFilter, len(msgs))
	var (
		ids             []string
		sizes, los, his []int64
	)
	for _, m := range msgs {
		if p := m.Part; p != nil && p.To > 0 {
			ids, sizes, los, his = append(ids, p.FileKey()), append(sizes, p.Size), append(los, p.From), append(his, p.To)
		}
	}
	if len(ids) == 0 {
		return plans, nil, nil
	}
	fresh, err := recordNewFiles(ctx, tx, ids, sizes, los, his)
	if err != nil {
		return nil, nil, err
	}
	var known []string
	for _, id := range ids {
		if !fresh[id] && !slices.Contains(known, id) {
			known = append(known, id)
		}
	}
	loaded := map[string]ledger.Ranges{}
	if len(known) > 0 {
		slices.Sort(known)
		if loaded, err = lockFiles(ctx, tx, known); err != nil {
			return nil, nil, err
		}
	}
	planned := make(map[string]ledger.Ranges, len(ids))
	for i, m := range msgs {
		p := m.Part
		if p == nil || p.To == 0 {
			continue
		}
		r := ledger.Range{Lo: p.From, Hi: p.To}
		before, ok := planned[p.FileKey()]
		if !ok {
			before = loaded[p.FileKey()] // empty for a new file
		}
		todo := before.Minus(r)
		switch {
		case len(todo) == 0:
			plans[i].none = true
		case len(todo) != 1 || todo[0] != r:
			plans[i].keep = todo
		}
		planned[p.FileKey()] = before.Plus(r)
	}
	update := make(map[string]ledger.Ranges, len(known))
	for _, id := range known {
		update[id] = planned[id]
	}
	return plans, update, nil
}

// recordNewFiles inserts the files not recorded yet, each with the
// ranges the batch loads of it (stamped loaded whole if they cover it),
// and returns their ids. A file another loader is recording now makes the
// insert wait for that loader's outcome.
func recordNewFiles(ctx context.Context, tx pgx.Tx, ids []string, sizes, los, his []int64) (map[string]bool, error) {
	return queryIDs(ctx, tx, "record files", `
		INSERT INTO ingest_files (file_id, size_bytes, loaded, loaded_at)
		SELECT id, max(size), range_agg(int8range(lo, hi)),
		       CASE WHEN range_agg(int8range(lo, hi)) @> int8range(0, max(size)) THEN clock_timestamp() END
		FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[]) AS t(id, size, lo, hi)
		GROUP BY id ORDER BY id
		ON CONFLICT (file_id) DO NOTHING
		RETURNING file_id`, ids, sizes, los, his)
}

// lockFiles locks the rows of files already recorded and returns what
// each has loaded. Two statements, each with its own snapshot: what is
// loaded is read only once the locks are held (a locking read that waited
// would otherwise see the ranges as they were before the other loader's
// commit).
func lockFiles(ctx context.Context, tx pgx.Tx, ids []string) (map[string]ledger.Ranges, error) {
	b := &pgx.Batch{}
	b.Queue(`SELECT file_id FROM ingest_files WHERE file_id = ANY($1) ORDER BY file_id FOR UPDATE`, ids)
	b.Queue(`
		SELECT f.file_id, coalesce(lower(r), 0), coalesce(upper(r), $2)
		FROM ingest_files f, unnest(f.loaded) r
		WHERE f.file_id = ANY($1)
		ORDER BY 1, 2`, ids, int64(math.MaxInt64))
	res := tx.SendBatch(ctx, b)
	defer res.Close()
	if _, err := res.Exec(); err != nil {
		return nil, fmt.Errorf("lock files: %w", err)
	}
	rows, err := res.Query()
	if err != nil {
		return nil, fmt.Errorf("read loaded ranges: %w", err)
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
		return nil, fmt.Errorf("read loaded ranges: %w", err)
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
