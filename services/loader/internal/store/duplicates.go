package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/tributary-dev/tributary/shared/schema"
)

// copyDeduplicated loads src through a per-session staging table: the
// first copy of each key is inserted, every other copy (already in the
// table, or repeated within the batch) comes back as a reject. Only
// batches that hit a duplicate pay for this path.
func copyDeduplicated(ctx context.Context, tx pgx.Tx, t *schema.Table, src *rowSource) ([]reject, error) {
	if len(t.Key) == 0 {
		return nil, fmt.Errorf("contract %s: table %s has no key to deduplicate on", t.Contract, t.QualifiedName())
	}
	staging := pgx.Identifier{"ingest_staging_" + t.Contract}.Sanitize()
	if _, err := tx.Exec(ctx, `CREATE TEMP TABLE IF NOT EXISTS `+staging+`
		(LIKE `+t.QualifiedName()+` INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING GENERATED, ingest_ord BIGINT NOT NULL) ON COMMIT DELETE ROWS`); err != nil {
		return nil, fmt.Errorf("create staging table: %w", err)
	}
	// A batch whose parts have several headers stages each group in turn,
	// in one transaction: the previous group's rows must go first.
	if _, err := tx.Exec(ctx, "TRUNCATE "+staging); err != nil {
		return nil, fmt.Errorf("empty staging table: %w", err)
	}
	cols := src.columns()
	if err := copyRows(ctx, tx, staging, append(cols[:len(cols):len(cols)], "ingest_ord"), src); err != nil {
		return nil, err
	}
	rows, err := tx.Query(ctx, dedupeStatement(t, staging))
	if err != nil {
		return nil, fmt.Errorf("insert from staging: %w", err)
	}
	var (
		dups          []reject
		ord, firstOrd int64
		inBatch, ours bool
		loadedBy      *string
		seq           *int64
	)
	column := strings.Join(t.Key, ",")
	_, err = pgx.ForEachRow(rows, []any{&ord, &firstOrd, &inBatch, &loadedBy, &ours, &seq}, func() error {
		ref := src.emitted[ord]
		switch {
		case inBatch:
			name := src.msgs[src.emitted[firstOrd].msg].FileName()
			loadedBy = &name
		case ours:
			loadedBy = src.loadedBy(seq)
		}
		reason := ref.key + " is already loaded; the first copy loaded wins"
		if loadedBy != nil {
			reason = ref.key + " is already loaded from " + strconv.Quote(*loadedBy) + "; the first copy loaded wins"
		}
		dups = append(dups, reject{msg: ref.msg, line: ref.line, column: column, reason: reason, raw: ref.raw})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("insert from staging: %w", err)
	}
	return dups, nil
}

// dedupeStatement inserts the first copy of each key from staging and
// returns every other row: its ordinal, the ordinal of the first copy in
// the batch, whether that first copy was inserted now (so it is in this
// batch), the file that loaded it before, when the ledger can tell, and
// whether this transaction loaded it (an earlier group of the batch) with
// its sequence.
//
// A row is a duplicate when it is not the first of its key in the batch,
// or when the insert did not return it (the key was already loaded,
// possibly by a loader that committed a moment ago). The reason names the
// file that loaded the first copy, whether that happened in this batch or
// before, so it does not depend on how messages were batched.
//
// An earlier file is looked up in the ledger, and that is best effort. The
// loading message's ledger row was written by the transaction that
// inserted the row, so it shares the row's xmin, and with a sequence
// column also its sequence: the message's stream sequence, or a file's in a
// bundle (alone it does not find it: a recreated stream numbers its
// messages from 1 again). The lateral aggregate yields
// exactly one row per duplicate and a name only when exactly one ledger
// row matches. No name, rather than a guess, when that row was pruned by
// retention, when the rows were rewritten since (an UPDATE, a dump and
// restore, a table rewrite), when one transaction loaded several messages
// and the table has no sequence column to tell them apart, or when the
// row was inserted under a savepoint (a subtransaction has its own xid).
func dedupeStatement(t *schema.Table, staging string) string {
	quote := func(prefix string, cols []string) string {
		out := make([]string, len(cols))
		for i, c := range cols {
			out[i] = prefix + pgx.Identifier{c}.Sanitize()
		}
		return strings.Join(out, ", ")
	}
	key := quote("", t.Key)
	var loadable []string
	for _, c := range t.Columns {
		if !c.Generated {
			loadable = append(loadable, c.Name)
		}
	}
	cols := quote("", loadable)
	same := func(a, b string) string { return "(" + quote(a+".", t.Key) + ") = (" + quote(b+".", t.Key) + ")" }
	seqOf := func(alias string) string {
		if t.Sequence == "" {
			return "NULL::bigint"
		}
		return alias + "." + pgx.Identifier{t.Sequence}.Sanitize()
	}
	ledger := "l.xmin = u.xmin"
	if t.Sequence != "" {
		// The row's sequence names its ledger row (ingest.SourceSeq); the
		// stream sequence it holds reaches that row through the index.
		seq := "u." + pgx.Identifier{t.Sequence}.Sanitize()
		ledger = "l.stream_seq = " + streamSeqOf(seq) + " AND coalesce(l.source_seq, l.stream_seq) = " + seq + " AND " + ledger
	}
	return `
		WITH ranked AS MATERIALIZED (
			SELECT s.*, row_number() OVER w AS ingest_rn, first_value(ingest_ord) OVER w AS ingest_first
			FROM ` + staging + ` s
			WINDOW w AS (PARTITION BY ` + key + ` ORDER BY ingest_ord)
		), ins AS (
			INSERT INTO ` + t.QualifiedName() + ` (` + cols + `)
			SELECT ` + cols + ` FROM ranked WHERE ingest_rn = 1 ORDER BY ingest_ord
			ON CONFLICT (` + key + `) DO NOTHING
			RETURNING ` + key + `
		)
		SELECT r.ingest_ord, r.ingest_first, EXISTS (SELECT 1 FROM ins WHERE ` + same("ins", "r") + `), l.file_name,
		       coalesce(u.xmin = pg_current_xact_id()::xid, false), ` + seqOf("u") + `
		FROM ranked r
		LEFT JOIN ` + t.QualifiedName() + ` u ON ` + same("u", "r") + `
		CROSS JOIN LATERAL (
			SELECT CASE WHEN count(*) = 1 THEN min(l.file_name) END AS file_name
			FROM ingest_ledger l
			WHERE ` + ledger + `
		) l
		WHERE r.ingest_rn > 1 OR NOT EXISTS (SELECT 1 FROM ins WHERE ` + same("ins", "r") + `)
		ORDER BY r.ingest_ord`
}

// loadedBy names the file of this batch whose rows record seq (nil: the
// table has no sequence column), when one can be told: this transaction
// loaded the first copy of a key in an earlier group of the batch, whose
// ledger rows are written last. Without a sequence column only a batch of
// one file can tell.
func (s *rowSource) loadedBy(seq *int64) *string {
	var name *string
	for _, m := range s.msgs {
		if seq == nil || m.source() == *seq {
			if name != nil {
				return nil // more than one: cannot tell
			}
			n := m.FileName()
			name = &n
		}
	}
	return name
}

// streamSeqOf is ingest.StreamSeqOf in SQL, of the bigint expression v.
func streamSeqOf(v string) string {
	return "(CASE WHEN " + v + " >= 4611686018427387904 THEN (" + v + " - 4611686018427387904) >> 10 ELSE " + v + " END)"
}
