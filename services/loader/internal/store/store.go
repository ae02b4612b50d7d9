package store

import (
	"context"
	"fmt"
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
	for tries := 1; raced(err) && tries < maxRaces; tries++ {
		out, err = s.apply(ctx, msgs, copyFast) // the ledger now shows what the other loader committed
	}
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
		fresh, err := unrecorded(ctx, tx, msgs)
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
		if err := insertLedger(ctx, tx, todo, results); err != nil {
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
