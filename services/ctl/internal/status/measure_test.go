package status

import (
	"context"
	"io"
	"log/slog"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/tributary-dev/tributary/db"
	"github.com/tributary-dev/tributary/shared/testkit/pgtest"
)

// countingQuery is what status ran before it estimated: count(*) of every
// table, which reads all of user_activity (or its primary key index).
const countingQuery = `SELECT
	(SELECT count(*) FROM user_activity),
	(SELECT coalesce(sum(rows_loaded), 0) FROM ingest_ledger WHERE committed_at > now() - interval '1 minute'),
	(SELECT count(*) FROM user_activity_rejects),
	(SELECT count(*) FROM rejected_files),
	(SELECT max(committed_at) FROM ingest_ledger)`

// TestMeasureStatusOnLargeTable prints how long status takes to read the
// tables when user_activity holds $TRIBUTARY_STATUS_ROWS rows, counting
// every row as before and as it does now. It measures, it asserts nothing
// about time; filling 10,000,000 rows takes a few minutes, so it runs only
// when asked:
//
//	TRIBUTARY_STATUS_ROWS=10000000 go test -run TestMeasureStatusOnLargeTable -v -timeout 30m ./internal/status
func TestMeasureStatusOnLargeTable(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("TRIBUTARY_STATUS_ROWS"))
	if n <= 0 {
		t.Skip("set TRIBUTARY_STATUS_ROWS to measure")
	}
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if err := db.Migrate(ctx, pool, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := pool.Exec(ctx, `INSERT INTO user_activity
		SELECT 'e' || i, timestamp '2026-11-20' + i * interval '1 ms', 'view', i % 1000, 1.00, i % 100000, 's' || (i % 50000), 1
		FROM generate_series(1, $1::bigint) AS i`, n); err != nil {
		t.Fatal(err)
	}
	t.Logf("filled %d rows in %s", n, time.Since(start).Round(time.Millisecond))
	// The best case for counting: every page all-visible, so count(*) may
	// read the primary key index alone.
	start = time.Now()
	if _, err := pool.Exec(ctx, `VACUUM ANALYZE user_activity`); err != nil {
		t.Fatal(err)
	}
	t.Logf("vacuum analyze in %s", time.Since(start).Round(time.Millisecond))

	for i := range 3 {
		var rows, lastMinute, rejected, files int64
		var last *time.Time
		start := time.Now()
		if err := pool.QueryRow(ctx, countingQuery).Scan(&rows, &lastMinute, &rejected, &files, &last); err != nil {
			t.Fatal(err)
		}
		t.Logf("before (count(*)), run %d: %s, %d rows", i+1, time.Since(start).Round(time.Microsecond), rows)
	}
	for i := range 3 {
		start := time.Now()
		tb, err := readTables(ctx, Sources{Database: pool})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("after (bounded count, estimate), run %d: %s, rows %+v", i+1, time.Since(start).Round(time.Microsecond), tb.Rows)
	}
}
