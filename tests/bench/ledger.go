package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/tributary-dev/tributary/db"
)

// readLedger takes the run's figures from the exactly-once ledger: one row
// per message with its landing time (the inode ctime the watcher read when
// it claimed the file, in the Tributary-Landed-At header) and its commit
// time (clock_timestamp() as the loader's transaction's last statement).
func readLedger(ctx context.Context, pool *pgxpool.Pool, start time.Time, run *PipelineRun) error {
	rows, err := pool.Query(ctx, `SELECT landed_at, committed_at, rows_loaded + rows_rejected FROM ingest_ledger ORDER BY committed_at`)
	if err != nil {
		return fmt.Errorf("read ledger: %w", err)
	}
	var (
		landed, committed time.Time
		n                 int64
		events            []event
		last              time.Time
	)
	_, err = pgx.ForEachRow(rows, []any{&landed, &committed, &n}, func() error {
		run.Messages++
		run.Rows += n
		run.latencies = append(run.latencies, committed.Sub(landed))
		events = append(events, event{at: committed.Sub(start), rows: n})
		last = committed
		return nil
	})
	if err != nil {
		return fmt.Errorf("read ledger: %w", err)
	}
	if run.Messages == 0 {
		return fmt.Errorf("%s: the ledger is empty", run.Name)
	}
	elapsed := last.Sub(start)
	run.Seconds = elapsed.Seconds()
	run.RowsPerSec = float64(run.Rows) / run.Seconds
	run.FilesPerSec = float64(run.Files) / run.Seconds
	run.Latency = percentiles(run.latencies)
	run.Series = series(events, elapsed)
	return nil
}

// checkExactlyOnce verifies the run lost and duplicated nothing: every row
// is in user_activity once (the primary key sees to "once"), none rejected.
func checkExactlyOnce(ctx context.Context, pool *pgxpool.Pool, want int64) error {
	var loaded, rejects, dead int64
	err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM user_activity), (SELECT count(*) FROM user_activity_rejects),
		(SELECT count(*) FROM rejected_files)`).Scan(&loaded, &rejects, &dead)
	if err != nil {
		return fmt.Errorf("count rows: %w", err)
	}
	if loaded != want || rejects != 0 || dead != 0 {
		return fmt.Errorf("user_activity has %d rows (want %d), %d rejected rows, %d rejected files", loaded, want, rejects, dead)
	}
	return nil
}

// newDatabase creates a database for one run, migrated to the working
// tree's schema if migrate (else a loader migrates it to its own, as it does
// at start); drop removes it.
func (b *bench) newDatabase(ctx context.Context, migrate bool) (string, func(), error) {
	suffix := make([]byte, 4)
	_, _ = rand.Read(suffix)
	name := "tributary_bench_" + hex.EncodeToString(suffix)
	admin, err := pgx.Connect(ctx, b.opts.Database)
	if err != nil {
		return "", nil, fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	defer admin.Close(context.Background())
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", nil, fmt.Errorf("create database: %w", err)
	}
	drop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if a, err := pgx.Connect(ctx, b.opts.Database); err == nil {
			_, _ = a.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			a.Close(ctx)
		}
	}
	u, err := url.Parse(b.opts.Database)
	if err != nil {
		drop()
		return "", nil, err
	}
	u.Path = "/" + name
	if !migrate {
		return u.String(), drop, nil
	}
	pool, err := pgxpool.New(ctx, u.String())
	if err == nil {
		err = db.Migrate(ctx, pool, b.quiet)
		pool.Close()
	}
	if err != nil {
		drop()
		return "", nil, fmt.Errorf("migrate %s: %w", name, err)
	}
	return u.String(), drop, nil
}

// asBench names the bench as the application of a database URL's
// sessions, which the run's backend CPU then leaves out. The services get
// the URL without it.
func asBench(dbURL string) (string, error) {
	u, err := url.Parse(dbURL)
	if err != nil {
		return "", err
	}
	q := u.Query()
	q.Set("application_name", benchApp)
	u.RawQuery = q.Encode()
	return u.String(), nil
}
