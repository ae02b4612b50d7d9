package deadletter

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Budget counts, in PostgreSQL (table ingest_attempts), the attempts at a
// message that failed or crashed. JetStream's delivery count cannot serve:
// it also counts loader restarts, graceful hand-backs and redeliveries
// during outages, none of which says anything about the message.
//
// Each method is one short autocommit statement, outside the batch's
// transaction, so that what it records survives the attempt it counts
// (a crash rolls the batch back, not the count). While PostgreSQL is
// unreachable every method fails, and nothing is counted.
type Budget struct {
	pool *pgxpool.Pool
}

// NewBudget returns a Budget on pool.
func NewBudget(pool *pgxpool.Pool) *Budget { return &Budget{pool: pool} }

// Begin records that an attempt at id starts, before it runs, and returns
// the attempts counted so far, this one included, and why the last failed
// one failed (empty when none failed cleanly: they crashed).
func (b *Budget) Begin(ctx context.Context, id string) (attempts int, lastError string, err error) {
	err = b.pool.QueryRow(ctx, `
		INSERT INTO ingest_attempts AS a (message_id, attempts) VALUES ($1, 1)
		ON CONFLICT (message_id) DO UPDATE SET attempts = a.attempts + 1, updated_at = now()
		RETURNING attempts, coalesce(last_error, '')`, id).Scan(&attempts, &lastError)
	if err != nil {
		return 0, "", fmt.Errorf("record attempt: %w", err)
	}
	return attempts, lastError, nil
}

// Fail records that an attempt at id failed for reason, and returns the
// attempts counted. begun says whether Begin already counted it.
func (b *Budget) Fail(ctx context.Context, id, reason string, begun bool) (attempts int, err error) {
	more := 1
	if begun {
		more = 0
	}
	err = b.pool.QueryRow(ctx, `
		INSERT INTO ingest_attempts AS a (message_id, attempts, last_error) VALUES ($1, 1, $2)
		ON CONFLICT (message_id) DO UPDATE SET attempts = a.attempts + $3, last_error = $2, updated_at = now()
		RETURNING attempts`, id, reason, more).Scan(&attempts)
	if err != nil {
		return 0, fmt.Errorf("record failed attempt: %w", err)
	}
	return attempts, nil
}

// Release takes back the count of an attempt that ended without a verdict
// (an outage, a shutdown), so that it costs the message nothing.
func (b *Budget) Release(ctx context.Context, id string) error {
	if _, err := b.pool.Exec(ctx, `
		UPDATE ingest_attempts SET attempts = greatest(attempts - 1, 0), updated_at = now()
		WHERE message_id = $1`, id); err != nil {
		return fmt.Errorf("release attempt: %w", err)
	}
	return nil
}

// Forget removes id's count: the message committed or was dead-lettered
// (a re-driven dead letter starts with a full budget).
func (b *Budget) Forget(ctx context.Context, id string) error {
	if _, err := b.pool.Exec(ctx, `DELETE FROM ingest_attempts WHERE message_id = $1`, id); err != nil {
		return fmt.Errorf("forget attempts: %w", err)
	}
	return nil
}

// Committed reports whether the ledger holds id: a message that committed
// is acknowledged, never dead-lettered, whatever its count says.
func (b *Budget) Committed(ctx context.Context, id string) (bool, error) {
	var ok bool
	if err := b.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM ingest_ledger WHERE message_id = $1)`, id).Scan(&ok); err != nil {
		return false, fmt.Errorf("look up ledger: %w", err)
	}
	return ok, nil
}
