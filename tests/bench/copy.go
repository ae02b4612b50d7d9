package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/tributary-dev/tributary/shared/contract"
)

// CopyRun is one baseline: the dataset's CSV files streamed with COPY into
// an empty table identical to user_activity, as `psql \copy` would.
type CopyRun struct {
	Name        string  `json:"name"`
	IDs         string  `json:"ids"`
	Conns       int     `json:"connections"`
	Files       int     `json:"files"`
	Rows        int64   `json:"rows"`
	Seconds     float64 `json:"seconds"`
	RowsPerSec  float64 `json:"rows_per_second"`
	FilesPerSec float64 `json:"files_per_second"`
	CPU         CPUUse  `json:"cpu_seconds"` // the COPY backends, the server's background, the bench as the client
	Busy        busy    `json:"machine"`
	Series      []Point `json:"throughput_series"`
}

// copyTable is the baseline's target: user_activity's columns, types,
// primary key, event_time index and checks (source_seq, which the CSV does
// not have, defaults to 0).
const copyTable = "bench_copy"

// runCopy loads every file of ds with conns connections taking files from a
// shared queue, one COPY (and one transaction) per file. limit is
// -contention.
func runCopy(ctx context.Context, dbURL string, ds *Dataset, conns int, limit float64) (CopyRun, error) {
	run := CopyRun{Name: fmt.Sprintf("COPY, %d connection%s", conns, plural(conns)), IDs: ds.IDs, Conns: conns}
	benchURL, err := asBench(dbURL)
	if err != nil {
		return run, err
	}
	admin, err := pgx.Connect(ctx, benchURL)
	if err != nil {
		return run, err
	}
	defer admin.Close(context.Background())
	for _, sql := range []string{
		"DROP TABLE IF EXISTS " + copyTable,
		"CREATE TABLE " + copyTable + " (LIKE user_activity INCLUDING ALL)",
		"ALTER TABLE " + copyTable + " ALTER COLUMN source_seq SET DEFAULT 0",
		"CHECKPOINT", // start every run with no dirty pages of the last one to write
	} {
		if _, err := admin.Exec(ctx, sql); err != nil {
			return run, fmt.Errorf("prepare %s: %w", copyTable, err)
		}
	}
	defer admin.Exec(context.Background(), "DROP TABLE IF EXISTS "+copyTable)

	workers := make([]*pgx.Conn, conns)
	for i := range workers {
		if workers[i], err = pgx.Connect(ctx, dbURL); err != nil {
			return run, err
		}
		defer workers[i].Close(context.Background())
	}
	sql := fmt.Sprintf("COPY %s (%s) FROM STDIN WITH (FORMAT csv, HEADER)", copyTable, strings.Join(contract.Columns, ", "))
	queue := make(chan string, len(ds.Names))
	for _, p := range ds.Paths() {
		queue <- p
	}
	close(queue)

	var (
		mu     sync.Mutex
		events []event
		errs   []error
		wg     sync.WaitGroup
	)
	m, err := startMeter(ctx, admin, nil, limit)
	if err != nil {
		return run, err
	}
	start := time.Now()
	for _, c := range workers {
		wg.Go(func() {
			for path := range queue {
				n, err := copyFile(ctx, c, path, sql)
				mu.Lock()
				if err != nil {
					errs = append(errs, err)
				}
				events = append(events, event{at: time.Since(start), rows: n})
				mu.Unlock()
				if err != nil {
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if len(errs) > 0 {
		return run, errs[0]
	}
	if run.CPU, run.Busy, err = m.stop(ctx); err != nil {
		return run, err
	}
	for _, e := range events {
		run.Rows += e.rows
	}
	if run.Rows != ds.Rows {
		return run, fmt.Errorf("%s loaded %d rows, want %d", run.Name, run.Rows, ds.Rows)
	}
	run.Files = len(events)
	run.Seconds = elapsed.Seconds()
	run.RowsPerSec = float64(run.Rows) / run.Seconds
	run.FilesPerSec = float64(run.Files) / run.Seconds
	run.Series = series(events, elapsed)
	return run, nil
}

func copyFile(ctx context.Context, c *pgx.Conn, path, sql string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	tag, err := c.PgConn().CopyFrom(ctx, f, sql)
	if err != nil {
		return 0, fmt.Errorf("copy %s: %w", path, err)
	}
	return tag.RowsAffected(), nil
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
