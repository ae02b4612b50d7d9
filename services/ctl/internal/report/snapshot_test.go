package report

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/tributary-dev/tributary/db"
	"github.com/tributary-dev/tributary/shared/testkit/pgtest"
)

// loader commits purchases into user_activity as the pipeline's loader
// does (COPY), each call one committed batch inside the report's day.
type loader struct {
	pool *pgxpool.Pool
	day  time.Time
	next atomic.Int64
}

func (l *loader) load(ctx context.Context, n int) error {
	rows := make([][]any, n)
	for i := range rows {
		id := l.next.Add(1)
		at := l.day.Add(time.Duration(id%86400) * time.Second)
		rows[i] = []any{fmt.Sprintf("p%d", id), at, "purchase", int32(id % 7), "1.25", int32(id % 13), "s", int64(1)}
	}
	_, err := l.pool.CopyFrom(ctx, pgx.Identifier{"user_activity"},
		[]string{"event_id", "event_time", "event_type", "product_id", "price", "user_id", "session_id", "source_seq"},
		pgx.CopyFromRows(rows))
	return err
}

// interleaved commits a batch before every statement of a report, which
// is the worst a concurrent loader can do. It serves both ways a report
// may read: statement by statement (Query) or in a transaction (BeginTx).
type interleaved struct {
	pool *pgxpool.Pool
	l    *loader
	t    *testing.T
}

func (w *interleaved) before(ctx context.Context) {
	if err := w.l.load(ctx, 3); err != nil {
		w.t.Errorf("load between statements: %v", err)
	}
}

func (w *interleaved) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	w.before(ctx)
	return w.pool.Query(ctx, sql, args...)
}

func (w *interleaved) BeginTx(ctx context.Context, opts pgx.TxOptions) (pgx.Tx, error) {
	tx, err := w.pool.BeginTx(ctx, opts)
	return &hookedTx{Tx: tx, w: w}, err
}

type hookedTx struct {
	pgx.Tx
	w *interleaved
}

func (h *hookedTx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	h.w.before(ctx)
	return h.Tx.Query(ctx, sql, args...)
}

// agree checks that every section of one report counts the same purchases
// and events: the summary, the per-bucket and per-day tables, conversion.
func agree(t *testing.T, rep *Report) {
	t.Helper()
	var perBucket, perDay, perDayEvents, converted int64
	for _, p := range rep.Periods {
		perBucket += p.Purchases
	}
	for _, p := range rep.Days {
		perDay += p.Purchases
		perDayEvents += p.Events
	}
	for _, c := range rep.Conversion {
		converted += c.Purchases
	}
	s := rep.Summary
	if perBucket != s.Purchases || perDay != s.Purchases || converted != s.Purchases || perDayEvents != s.Events {
		t.Errorf("one report disagrees with itself: purchases summary %d, per %s %d, per day %d, conversion %d; events summary %d, per day %d",
			s.Purchases, rep.Range.Bucket, perBucket, perDay, converted, s.Events, perDayEvents)
	}
}

func TestReportReadsOneSnapshot(t *testing.T) {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if err := db.Migrate(ctx, pool, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	l := &loader{pool: pool, day: day}
	if err := l.load(ctx, 1000); err != nil {
		t.Fatal(err)
	}
	r := Range{From: day, To: day.Add(24 * time.Hour), Bucket: "hour", Top: 3}

	t.Run("a batch committed between every statement", func(t *testing.T) {
		rep, err := Build(ctx, &interleaved{pool: pool, l: l, t: t}, r)
		if err != nil {
			t.Fatal(err)
		}
		agree(t, rep)
	})

	t.Run("a loader committing while reports run", func(t *testing.T) {
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if err := l.load(ctx, 50); err != nil {
					t.Errorf("load: %v", err)
					return
				}
			}
		})
		before := l.next.Load()
		for range 20 {
			rep, err := Build(ctx, pool, r)
			if err != nil {
				t.Fatal(err)
			}
			agree(t, rep)
		}
		close(stop)
		wg.Wait()
		t.Logf("%d rows committed while 20 reports ran", l.next.Load()-before)
	})
}
