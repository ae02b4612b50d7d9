package store

import (
	"context"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/tributary-dev/tributary/shared/contract"
)

// copyDeduplicated loads src through a per-session staging table: the
// first copy of each event_id is inserted, every other copy (already in
// user_activity, or repeated within the batch) comes back as a reject.
// Only batches that hit a duplicate pay for this path.
func copyDeduplicated(ctx context.Context, tx pgx.Tx, src *rowSource) ([]reject, error) {
	if _, err := tx.Exec(ctx, `CREATE TEMP TABLE IF NOT EXISTS ingest_staging
		(LIKE user_activity INCLUDING DEFAULTS, ord BIGINT NOT NULL) ON COMMIT DELETE ROWS`); err != nil {
		return nil, fmt.Errorf("create staging table: %w", err)
	}
	if err := copyRows(ctx, tx, "ingest_staging", append(copyColumns[:len(copyColumns):len(copyColumns)], "ord"), src); err != nil {
		return nil, err
	}
	// A row is a duplicate when it is not the first of its event_id in the
	// batch, or when the insert did not return it (the event was already
	// loaded, possibly by a loader that committed a moment ago). The reason
	// names the file that loaded the first copy, whether that happened in
	// this batch or before, so it does not depend on how messages were
	// batched.
	//
	// An earlier file is looked up in the ledger, and that is best effort.
	// source_seq alone does not find it: a recreated stream numbers its
	// messages from 1 again, so several ledger rows (this batch's own among
	// them) can share a sequence, and a join on it alone repeated the
	// reject once per row and named any of their files. The loading
	// message's ledger row was written by the transaction that inserted
	// the event, so it also shares the event's xmin; the lateral aggregate
	// yields exactly one row per duplicate and a name only when exactly one
	// ledger row matches both. No name, rather than a guess, when that row
	// was pruned by retention, when the rows were rewritten since (an
	// UPDATE, a dump and restore, a table rewrite), when a restore in a
	// single transaction left several matching rows, or when the event was
	// inserted under a savepoint (a subtransaction has its own xid).
	rows, err := tx.Query(ctx, `
		WITH ranked AS MATERIALIZED (
			SELECT s.*, row_number() OVER w AS rn, first_value(ord) OVER w AS first_ord
			FROM ingest_staging s
			WINDOW w AS (PARTITION BY event_id ORDER BY ord)
		), ins AS (
			INSERT INTO user_activity (event_id, event_time, event_type, product_id, price, user_id, session_id, source_seq)
			SELECT event_id, event_time, event_type, product_id, price, user_id, session_id, source_seq
			FROM ranked WHERE rn = 1 ORDER BY ord
			ON CONFLICT (event_id) DO NOTHING
			RETURNING event_id
		)
		SELECT r.ord, r.first_ord, EXISTS (SELECT 1 FROM ins WHERE ins.event_id = r.event_id), l.file_name
		FROM ranked r
		LEFT JOIN user_activity u ON u.event_id = r.event_id
		CROSS JOIN LATERAL (
			SELECT CASE WHEN count(*) = 1 THEN min(l.file_name) END AS file_name
			FROM ingest_ledger l
			WHERE l.stream_seq = u.source_seq AND l.xmin = u.xmin
		) l
		WHERE r.rn > 1 OR NOT EXISTS (SELECT 1 FROM ins WHERE ins.event_id = r.event_id)
		ORDER BY r.ord`)
	if err != nil {
		return nil, fmt.Errorf("insert from staging: %w", err)
	}
	var (
		dups          []reject
		ord, firstOrd int64
		inBatch       bool
		loadedBy      *string
	)
	_, err = pgx.ForEachRow(rows, []any{&ord, &firstOrd, &inBatch, &loadedBy}, func() error {
		ref := src.emitted[ord]
		if inBatch {
			name := src.msgs[src.emitted[firstOrd].msg].FileName()
			loadedBy = &name
		}
		reason := "event_id " + strconv.Quote(ref.id) + " is already loaded; the first copy loaded wins"
		if loadedBy != nil {
			reason = "event_id " + strconv.Quote(ref.id) + " is already loaded from " + strconv.Quote(*loadedBy) + "; the first copy loaded wins"
		}
		dups = append(dups, reject{msg: ref.msg, line: ref.line, column: contract.Columns[contract.ColEventID], reason: reason, raw: ref.raw})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("insert from staging: %w", err)
	}
	return dups, nil
}
