package db_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/tributary-dev/tributary/db"
	"github.com/tributary-dev/tributary/shared/testkit/pgtest"
)

// unpartitioned is a database as the migrations before partitioning left
// it, holding rows events over the last three days.
func unpartitioned(t *testing.T, rows int) *pgxpool.Pool {
	t.Helper()
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if err := db.MigrateUpTo(ctx, pool, 7); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO user_activity
		SELECT gen_random_uuid()::text, (now() AT TIME ZONE 'UTC') - i * interval '1 second' * (259200.0 / $1), 'purchase', 1, 2.50, 1, 's', 1
		FROM generate_series(1, $1) i`, rows); err != nil {
		t.Fatal(err)
	}
	return pool
}

// writer inserts batches of events stamped now, each its own transaction,
// as a loader does, until stopped; it counts what committed.
type writer struct {
	rows    int64
	slowest time.Duration
	err     error
	stop    chan struct{}
	done    chan struct{}
}

func startWriter(pool *pgxpool.Pool) *writer {
	w := &writer{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		for {
			select {
			case <-w.stop:
				return
			default:
			}
			start := time.Now()
			_, err := pool.Exec(context.Background(), `INSERT INTO user_activity
				SELECT gen_random_uuid()::text, now() AT TIME ZONE 'UTC', 'view', 2, 1.00, 2, 's', 2 FROM generate_series(1, 500)`)
			if err != nil {
				w.err = err
				return
			}
			w.rows += 500
			w.slowest = max(w.slowest, time.Since(start))
		}
	}()
	return w
}

func (w *writer) halt() { close(w.stop); <-w.done }

// The migration that partitions user_activity runs on a table with data
// while a writer keeps inserting: nothing is refused or lost, every row
// keeps its values, the old rows become the legacy partition without a
// copy, and the key still refuses a second copy of an event.
func TestPartitioningALiveTable(t *testing.T) {
	const existing = 200_000
	pool := unpartitioned(t, existing)
	ctx := context.Background()
	w := startWriter(pool)
	time.Sleep(200 * time.Millisecond) // writing before the migration starts
	start := time.Now()
	err := db.Migrate(ctx, pool, slog.New(slog.NewTextHandler(io.Discard, nil)))
	took := time.Since(start)
	time.Sleep(200 * time.Millisecond) // and after it
	w.halt()
	if err != nil {
		t.Fatalf("migrate: %v", err)
	}
	if w.err != nil {
		t.Fatalf("the writer was refused during the migration: %v", w.err)
	}
	t.Logf("migrated %d rows in %s while %d rows were written; slowest batch %s", existing, took.Round(time.Millisecond), w.rows, w.slowest.Round(time.Millisecond))

	var rows int64
	var sumExact bool
	if err := pool.QueryRow(ctx, "SELECT count(*), sum(price) = $1 * 2.50 + $2 * 1.00 FROM user_activity", existing, w.rows).Scan(&rows, &sumExact); err != nil {
		t.Fatal(err)
	}
	if rows != existing+w.rows || !sumExact {
		t.Errorf("%d rows, sum exact %v; want %d rows summing to the cent", rows, sumExact, existing+w.rows)
	}
	parts := partitions(t, pool)
	bound := today(t, pool).AddDate(0, 0, 2).Format(time.DateOnly)
	if got := parts["user_activity_legacy"]; got != "FOR VALUES FROM (MINVALUE) TO ('"+bound+" 00:00:00')" {
		t.Errorf("legacy partition: %q, want every time before %s", got, bound)
	}
	if _, ok := parts["user_activity_default"]; !ok {
		t.Errorf("no default partition: %v", parts)
	}
	for d := today(t, pool).AddDate(0, 0, 2); d.Before(today(t, pool).AddDate(0, 0, 8)); d = d.AddDate(0, 0, 1) {
		if _, ok := parts[dayName(d)]; !ok {
			t.Errorf("no partition %s after the legacy one: %v", dayName(d), parts)
		}
	}
	var keys string
	if err := pool.QueryRow(ctx, `SELECT string_agg(conname || ' ' || pg_get_constraintdef(oid), '; ' ORDER BY conname) FROM pg_constraint
		WHERE conrelid = 'user_activity_legacy'::regclass AND contype IN ('p', 'u', 'c')`).Scan(&keys); err != nil {
		t.Fatal(err)
	}
	want := "user_activity_event_type_check CHECK (((event_type)::text = ANY ((ARRAY['view'::character varying, 'purchase'::character varying])::text[]))); " +
		"user_activity_legacy_key UNIQUE (event_time, event_id); user_activity_price_check CHECK ((price >= (0)::numeric))"
	if keys != want {
		t.Errorf("legacy partition's constraints:\n%s\nwant\n%s", keys, want)
	}
	// An existing event again, by the new key: refused.
	_, err = pool.Exec(ctx, "INSERT INTO user_activity SELECT * FROM user_activity LIMIT 1")
	if !isCode(err, "23505") {
		t.Errorf("a copy of an existing event: %v, want a unique violation", err)
	}
}

// A migration interrupted after its first step (the bound added, not yet
// validated) finishes on the next try, with the bound it chose.
func TestPartitioningResumesAfterAnInterruption(t *testing.T) {
	pool := unpartitioned(t, 1000)
	ctx := context.Background()
	if err := db.MigrateUpTo(ctx, pool, 8); err != nil {
		t.Fatal(err)
	}
	bound := today(t, pool).AddDate(0, 0, 5).Format(time.DateOnly)
	if _, err := pool.Exec(ctx, "ALTER TABLE user_activity ADD CONSTRAINT user_activity_legacy_bound CHECK (event_time < '"+bound+"') NOT VALID"); err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(ctx, pool, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatalf("migrate again: %v", err)
	}
	if got := partitions(t, pool)["user_activity_legacy"]; got != "FOR VALUES FROM (MINVALUE) TO ('"+bound+" 00:00:00')" {
		t.Errorf("legacy partition: %q, want every time before %s", got, bound)
	}
	var n int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM user_activity").Scan(&n); err != nil || n != 1000 {
		t.Errorf("%d rows (%v), want 1000", n, err)
	}
}
