package partition_test

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/tributary-dev/tributary/db/dbtest"
	"github.com/tributary-dev/tributary/services/loader/internal/partition"
)

// BenchmarkDropADay measures retention by partition: a day of
// DROP_DAY_ROWS events (10,000,000 by default, the day's table and its two
// indexes) forty days old, dropped by a retention pass while a writer
// keeps inserting today's events in batches of 100, as a loader does. It
// reports the pass's seconds and the writer's slowest batch during it.
//
//	go test ./services/loader/internal/partition -run '^$' -bench DropADay -benchtime 1x
func BenchmarkDropADay(b *testing.B) {
	rows := 10_000_000
	if v := os.Getenv("DROP_DAY_ROWS"); v != "" {
		var err error
		if rows, err = strconv.Atoi(v); err != nil {
			b.Fatalf("DROP_DAY_ROWS=%q: %v", v, err)
		}
	}
	ctx := context.Background()
	for range b.N {
		b.StopTimer()
		pool := dbtest.NewPool(b)
		var day time.Time
		if err := pool.QueryRow(ctx, "SELECT (now() AT TIME ZONE 'UTC')::date - 40").Scan(&day); err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		if _, err := pool.Exec(ctx, "SELECT * FROM user_activity_ensure_partitions($1, $1)", day); err != nil {
			b.Fatal(err)
		}
		if _, err := pool.Exec(ctx, `INSERT INTO user_activity
			SELECT gen_random_uuid()::text, $1::timestamp + i * interval '1 microsecond' * (86400e6 / $2), 'view', 1, 1.00, 1, 's', 1
			FROM generate_series(0, $2 - 1) i`, day, rows); err != nil {
			b.Fatal(err)
		}
		var bytes int64
		if err := pool.QueryRow(ctx, "SELECT pg_total_relation_size($1::regclass)", name(day)).Scan(&bytes); err != nil {
			b.Fatal(err)
		}
		if _, err := pool.Exec(ctx, "CHECKPOINT"); err != nil {
			b.Fatal(err)
		}
		b.Logf("a day of %d rows, %d MB with its indexes, filled in %s", rows, bytes>>20, time.Since(start).Round(time.Second))
		w := writeToday(pool)
		time.Sleep(time.Second) // the writer's pace before the drop
		m := partition.New(partition.Config{Retention: 30 * 24 * time.Hour, Ahead: 7, Interval: time.Minute}, pool, &observer{}, quiet)
		b.StartTimer()
		began := time.Now()
		r, err := m.Once(ctx)
		took := time.Since(began)
		b.StopTimer()
		time.Sleep(time.Second)
		slowest, before := w.stop()
		if err != nil || len(r.Dropped) != 1 || r.Dropped[0] != name(day) {
			b.Fatalf("pass = %+v, %v; want %s dropped", r, err, name(day))
		}
		b.ReportMetric(took.Seconds(), "s/drop")
		b.ReportMetric(float64(slowest.Microseconds())/1000, "ms-slowest-write")
		b.Logf("dropped in %s; the writer's slowest batch of 100 rows: %s (%s before the drop)", took.Round(time.Microsecond),
			slowest.Round(time.Microsecond), before.Round(time.Microsecond))
	}
}

type todayWriter struct {
	stopped         chan struct{}
	done            chan struct{}
	slowest, before time.Duration
	dropping        time.Time
}

// writeToday inserts batches of 100 events stamped now until stopped, and
// records its slowest batch from the moment it has run a second.
func writeToday(pool *pgxpool.Pool) *todayWriter {
	w := &todayWriter{stopped: make(chan struct{}), done: make(chan struct{}), dropping: time.Now().Add(time.Second)}
	go func() {
		defer close(w.done)
		for {
			select {
			case <-w.stopped:
				return
			default:
			}
			t := time.Now()
			if _, err := pool.Exec(context.Background(), `INSERT INTO user_activity
				SELECT gen_random_uuid()::text, now() AT TIME ZONE 'UTC', 'view', 1, 1.00, 1, 's', 1 FROM generate_series(1, 100)`); err != nil {
				return
			}
			if d := time.Since(t); t.After(w.dropping) {
				w.slowest = max(w.slowest, d)
			} else {
				w.before = max(w.before, d)
			}
		}
	}()
	return w
}

func (w *todayWriter) stop() (slowest, before time.Duration) {
	close(w.stopped)
	<-w.done
	return w.slowest, w.before
}
