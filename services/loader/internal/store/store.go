package store

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/tributary-dev/tributary/shared/schema"
)

// Store writes batches of one contract to PostgreSQL.
type Store struct {
	pool    *pgxpool.Pool
	table   *schema.Table
	headers *headers
	now     func() time.Time
}

// New returns a Store on pool loading into table.
func New(pool *pgxpool.Pool, table *schema.Table) *Store {
	return &Store{pool: pool, table: table, headers: newHeaders(table), now: time.Now}
}

// Apply writes msgs in one transaction and returns an outcome per message.
// It is idempotent: applying the same messages again writes nothing.
//
// The fast path COPYs straight into the contract's table. If a key is
// already there (the same row in another file), COPY fails as a whole,
// and the batch is applied again through a staging table that loads the
// first copy of each key and reports the others as duplicate rejects.
// Rows PostgreSQL itself refuses (see copyIsolating) are rejected alone
// with its message, the rest loads.
//
// A *DataError means the content was refused; any other error is worth
// retrying, including a failed COMMIT whose outcome is unknown: the ledger
// settles it on the retry.
func (s *Store) Apply(ctx context.Context, msgs []Message) (out []Outcome, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &DataError{Err: fmt.Errorf("panic while applying batch: %v", r)}
		}
	}()
	out, err = s.apply(ctx, msgs, copyFast)
	if isUniqueViolation(err) && len(s.table.Key) > 0 {
		out, err = s.apply(ctx, msgs, copyDedupe)
	}
	if isRefusal(err) {
		out, err = s.apply(ctx, msgs, copyIsolate)
	}
	return out, classify(err)
}

func (s *Store) apply(ctx context.Context, msgs []Message, mode copyMode) ([]Outcome, error) {
	out := make([]Outcome, len(msgs))
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		fresh, err := insertLedger(ctx, tx, msgs)
		if err != nil {
			return err
		}
		todo := make([]Message, 0, len(fresh))
		for _, i := range fresh {
			todo = append(todo, msgs[i])
		}
		plans, files, err := planParts(ctx, tx, todo)
		if err != nil {
			return err
		}
		groups, misfits := s.headers.group(todo)
		var rejects []reject
		results := make([]Outcome, len(todo))
		for _, mappings := range groups {
			src := newRowSource(todo, plans, mappings, mode == copyDedupe)
			var dups []reject // rows counted as loaded that were not: duplicates, refused rows
			switch mode {
			case copyDedupe:
				dups, err = copyDeduplicated(ctx, tx, s.table, src)
			case copyIsolate:
				dups, err = copyIsolating(ctx, tx, s.table, src)
			default:
				err = copyRows(ctx, tx, s.table.QualifiedName(), src.columns(), src)
			}
			if err != nil {
				return err
			}
			rejects = append(append(rejects, src.rejects...), dups...)
			for i, n := range src.loaded {
				results[i].Loaded += n
			}
			for _, d := range dups {
				results[d.msg].Loaded--
			}
		}
		if err := insertRejects(ctx, tx, s.table.Contract, todo, rejects); err != nil {
			return err
		}
		if err := insertRejectedFiles(ctx, tx, todo, misfits); err != nil {
			return err
		}
		for i := range results {
			results[i].Applied = !plans[i].none
		}
		for _, r := range rejects {
			results[r.msg].Rejected++
		}
		if err := updateLedger(ctx, tx, todo, results); err != nil {
			return err
		}
		if err := recordFiles(ctx, tx, files); err != nil {
			return err
		}
		for j, i := range fresh {
			out[i] = results[j]
		}
		return nil
	})
	return out, err
}

// copyRows streams src into table (quoted) with a binary COPY.
func copyRows(ctx context.Context, tx pgx.Tx, table string, columns []string, src *rowSource) error {
	if err := copyBinary(ctx, tx.Conn().PgConn(), src, copyStatement(table, columns)); err != nil {
		return fmt.Errorf("copy into %s: %w", table, err)
	}
	return nil
}

// insertLedger records every message and returns the indexes of those not
// recorded before, each id once. Rows are inserted in message-id order so that two
// loaders holding overlapping batches lock ledger keys in the same order
// and never deadlock; a loader that meets a key another one has not
// committed yet waits for it, then skips the message if it committed.
func insertLedger(ctx context.Context, tx pgx.Tx, msgs []Message) ([]int, error) {
	order := make([]int, len(msgs))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool { return msgs[order[a]].ID < msgs[order[b]].ID })
	var (
		ids, fileIDs, names []string
		parts, counts       []int32
		seqs                []int64
		sources             []*int64
		landed              []*time.Time
	)
	for _, i := range order {
		m := msgs[i]
		ids = append(ids, m.ID)
		fileIDs = append(fileIDs, m.fileKey())
		names = append(names, m.FileName())
		seqs = append(seqs, int64(m.Seq))
		if m.Source != 0 {
			sources = append(sources, &m.Source)
		} else {
			sources = append(sources, nil)
		}
		part, count, at := int32(1), int32(1), (*time.Time)(nil)
		if m.Part != nil {
			part, count, at = int32(m.Part.Index), int32(m.Part.Count), &m.Part.LandedAt
		} else if !m.Rejection.LandedAt.IsZero() {
			at = &m.Rejection.LandedAt
		}
		parts, counts, landed = append(parts, part), append(counts, count), append(landed, at)
	}
	rows, err := tx.Query(ctx, `
		INSERT INTO ingest_ledger (message_id, file_id, part, parts, file_name, stream_seq, source_seq, landed_at)
		SELECT id, NULLIF(file_id, ''), part, parts, name, seq, source, landed
		FROM unnest($1::text[], $2::text[], $3::int[], $4::int[], $5::text[], $6::bigint[], $7::bigint[], $8::timestamptz[])
		     AS m(id, file_id, part, parts, name, seq, source, landed)
		ON CONFLICT (message_id) DO NOTHING
		RETURNING message_id`, ids, fileIDs, parts, counts, names, seqs, sources, landed)
	if err != nil {
		return nil, fmt.Errorf("insert ledger: %w", err)
	}
	inserted, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("insert ledger: %w", err)
	}
	isNew := make(map[string]bool, len(inserted))
	for _, id := range inserted {
		isNew[id] = true
	}
	// A batch may hold one message twice (redelivered into the batch it is
	// already in when a stalled fetch outlived AckWait, or re-published
	// after the duplicate window): only its first copy is fresh.
	var fresh []int
	for i, m := range msgs {
		if isNew[m.ID] {
			fresh = append(fresh, i)
			delete(isNew, m.ID)
		}
	}
	return fresh, nil
}

// updateLedger records what each applied message loaded and stamps
// committed_at as the transaction's last act: the column's default, now(),
// is the transaction's start, which would understate landed-to-committed
// time by the whole COPY. It excludes only COMMIT's own WAL flush.
func updateLedger(ctx context.Context, tx pgx.Tx, msgs []Message, results []Outcome) error {
	if len(msgs) == 0 {
		return nil
	}
	ids := make([]string, len(msgs))
	loaded, rejected := make([]int32, len(msgs)), make([]int32, len(msgs))
	for i, r := range results {
		ids[i], loaded[i], rejected[i] = msgs[i].ID, int32(r.Loaded), int32(r.Rejected)
	}
	_, err := tx.Exec(ctx, `
		UPDATE ingest_ledger l SET rows_loaded = u.loaded, rows_rejected = u.rejected, committed_at = clock_timestamp()
		FROM unnest($1::text[], $2::int[], $3::int[]) AS u(id, loaded, rejected)
		WHERE l.message_id = u.id`, ids, loaded, rejected)
	if err != nil {
		return fmt.Errorf("update ledger: %w", err)
	}
	return nil
}
