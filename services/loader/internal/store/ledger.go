package store

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// The ledger decides "already applied". A batch's transaction first reads
// which of its messages the ledger holds (committed by an earlier batch or
// another loader) and loads only the others; as its last statement it
// inserts their ledger rows, complete: what each loaded and rejected, and
// when. If another loader committed one of them meanwhile (it was not
// there to read yet, so its rows may have been loaded twice in this
// transaction), the insert finds its key taken: the transaction is rolled
// back and the batch applied again, reading the ledger anew (errRaced).
// Inserting last, complete, writes each ledger row once; recording first
// and filling in the counts afterwards wrote it twice.

// errRaced means a loader committed one of the batch's messages while
// this transaction loaded it too: rolled back, the batch is applied again.
var errRaced = errors.New("another loader committed a message of this batch meanwhile")

// raced reports whether err is a race with another loader over the same
// messages: errRaced, or a deadlock. Two loaders COPYing the same rows in
// other orders wait on each other's keys in the primary key, and
// PostgreSQL aborts one of them (40P01); the other commits, and applied
// again the aborted batch finds those messages in the ledger.
func raced(err error) bool {
	var pgErr *pgconn.PgError
	return errors.Is(err, errRaced) || (errors.As(err, &pgErr) && pgErr.Code == "40P01")
}

// maxRaces bounds the immediate re-applications after errRaced; past it
// the error goes back to the caller, which retries with backoff.
const maxRaces = 3

// unrecorded returns the indexes of msgs the ledger does not hold, each
// id once: a batch may hold one message twice (redelivered into the batch
// it is already in when a stalled fetch outlived AckWait, or re-published
// after the duplicate window), and only its first copy is applied.
func unrecorded(ctx context.Context, tx pgx.Tx, msgs []Message) ([]int, error) {
	ids := make([]string, len(msgs))
	for i, m := range msgs {
		ids[i] = m.ID
	}
	seen, err := queryIDs(ctx, tx, "read ledger", "SELECT message_id FROM ingest_ledger WHERE message_id = ANY($1::text[])", ids)
	if err != nil {
		return nil, err
	}
	var fresh []int
	for i, m := range msgs {
		if !seen[m.ID] {
			fresh = append(fresh, i)
			seen[m.ID] = true
		}
	}
	return fresh, nil
}

// insertLedger records msgs with what each loaded, and stamps
// committed_at as the transaction's last act (the column's default, now(),
// is the transaction's start, which would understate landed-to-committed
// time by the whole COPY; only COMMIT's own WAL flush is left out). Rows
// go in id order, so that two loaders inserting overlapping messages wait
// on each other's keys in one order and never deadlock. It returns
// errRaced if a key was taken.
func insertLedger(ctx context.Context, tx pgx.Tx, msgs []Message, results []Outcome) error {
	if len(msgs) == 0 {
		return nil
	}
	order := make([]int, len(msgs))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool { return msgs[order[a]].ID < msgs[order[b]].ID })
	var (
		ids, fileIDs, names []string
		parts, counts       []int32
		loaded, rejected    []int32
		seqs                []int64
		sources             []*int64
		landed              []*time.Time
	)
	for _, i := range order {
		m, r := msgs[i], results[i]
		ids, fileIDs, names = append(ids, m.ID), append(fileIDs, m.fileKey()), append(names, m.FileName())
		seqs, loaded, rejected = append(seqs, int64(m.Seq)), append(loaded, int32(r.Loaded)), append(rejected, int32(r.Rejected))
		var source *int64
		if m.Source != 0 {
			source = &m.Source
		}
		sources = append(sources, source)
		part, count, at := int32(1), int32(1), (*time.Time)(nil)
		if m.Part != nil {
			part, count, at = int32(m.Part.Index), int32(m.Part.Count), &m.Part.LandedAt
		} else if !m.Rejection.LandedAt.IsZero() {
			at = &m.Rejection.LandedAt
		}
		parts, counts, landed = append(parts, part), append(counts, count), append(landed, at)
	}
	tag, err := tx.Exec(ctx, `
		INSERT INTO ingest_ledger (message_id, file_id, part, parts, file_name, stream_seq, source_seq, landed_at,
		                           rows_loaded, rows_rejected, committed_at)
		SELECT id, NULLIF(file_id, ''), part, parts, name, seq, source, landed, loaded, rejected, clock_timestamp()
		FROM unnest($1::text[], $2::text[], $3::int[], $4::int[], $5::text[], $6::bigint[], $7::bigint[], $8::timestamptz[],
		            $9::int[], $10::int[])
		     AS m(id, file_id, part, parts, name, seq, source, landed, loaded, rejected)
		ON CONFLICT (message_id) DO NOTHING`, ids, fileIDs, parts, counts, names, seqs, sources, landed, loaded, rejected)
	if err != nil {
		return fmt.Errorf("insert ledger: %w", err)
	}
	if tag.RowsAffected() != int64(len(msgs)) {
		return errRaced
	}
	return nil
}

// queryIDs runs a statement returning one text column and gives the set of
// values it returned; what names the step in its error.
func queryIDs(ctx context.Context, tx pgx.Tx, what, sql string, args ...any) (map[string]bool, error) {
	rows, err := tx.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	set := make(map[string]bool, len(ids))
	for _, id := range ids {
		set[id] = true
	}
	return set, nil
}
