// Package partition keeps user_activity's day partitions ahead of the
// events, and drops the days past USER_ACTIVITY_RETENTION.
//
// user_activity is partitioned by UTC day of event_time
// (db/migrations/00009). Every pass creates the partitions from yesterday
// to Ahead days after today that are missing, and, with a retention, drops
// every partition whose day ended longer than the retention ago: whole
// tables, in a moment, never rows one by one. Both go through functions
// the migration defines, which run as the schema's owner, so the loader's
// role still has no DDL of its own.
//
// A row whose day has no partition is never refused: it goes to the
// default partition, and into its day's partition when a pass creates that
// day (the function moves it). That covers a loader that did not run for a
// week as well as a clock a little off. Rows far from today (a backfill, a
// clock years off) stay in the default partition, which the passes report
// (a warning, a gauge) until someone creates their days (docs/scaling.md).
package partition

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/tributary-dev/tributary/shared/logging"
)

// Config holds the partition settings.
type Config struct {
	Retention time.Duration `env:"USER_ACTIVITY_RETENTION" envDefault:"0" help:"drop user_activity's day partitions once their day ended longer ago than this (at least 24h), whole, never row by row; 0 keeps every event"`
	Ahead     int           `env:"USER_ACTIVITY_PARTITIONS_AHEAD" envDefault:"7" help:"days after today (UTC) whose user_activity partitions are created ahead of their events"`
	Interval  time.Duration `env:"PARTITION_INTERVAL" envDefault:"10m" help:"how often the loader creates user_activity's partitions ahead and applies USER_ACTIVITY_RETENTION"`
}

// Validate refuses a retention that could drop the current or the previous
// day (the database refuses it too) and settings that cannot keep up.
func (c *Config) Validate() error {
	var errs []error
	if c.Retention != 0 && c.Retention < 24*time.Hour {
		errs = append(errs, fmt.Errorf("USER_ACTIVITY_RETENTION is %s: want 0 (keep everything) or at least 24h", c.Retention))
	}
	if c.Ahead < 1 || c.Ahead > 366 {
		errs = append(errs, fmt.Errorf("USER_ACTIVITY_PARTITIONS_AHEAD is %d: want 1 to 366 days", c.Ahead))
	}
	if c.Interval < time.Second || c.Interval > 12*time.Hour {
		errs = append(errs, fmt.Errorf("PARTITION_INTERVAL is %s: want 1s to 12h (partitions are created a day at a time)", c.Interval))
	}
	return errors.Join(errs...)
}

// DB is the part of a pgx pool the maintainer uses.
type DB interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Observer is told what each pass did.
type Observer interface {
	// Maintained reports a pass: the partitions it created and dropped,
	// the rows it moved out of the default partition, and what is there
	// now (defaultRows is PostgreSQL's estimate).
	Maintained(r Result)
	// MaintenanceFailed reports a pass that failed; the next one retries.
	MaintenanceFailed()
}

// Result is what one pass did and found.
type Result struct {
	Created     []string // partitions created
	Moved       int64    // rows moved into them from the default partition
	Dropped     []string // partitions dropped by retention
	Partitions  int      // partitions now, the default one included
	DefaultRows int64    // rows in the default partition (an estimate)
}

// ErrNotPartitioned means the schema predates partitioning: the
// migrations have not been applied yet.
var ErrNotPartitioned = errors.New("user_activity is not partitioned by day yet: apply the migrations (ctl migrate, or LOADER_MIGRATE)")

// Maintainer runs the passes.
type Maintainer struct {
	cfg Config
	db  DB
	obs Observer
	log *slog.Logger
}

// New returns a Maintainer of user_activity in db.
func New(cfg Config, db DB, obs Observer, log *slog.Logger) *Maintainer {
	return &Maintainer{cfg: cfg, db: db, obs: obs, log: log}
}

// retryIn is the wait after a failed pass when Interval is longer: a
// partition the next events need should not wait ten minutes for a lock.
const retryIn = time.Minute

// Run runs a pass at once and then every Interval until ctx ends. A failed
// pass is logged and tried again sooner.
func (m *Maintainer) Run(ctx context.Context) error {
	for {
		wait := m.cfg.Interval
		start := time.Now()
		r, err := m.Once(ctx)
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			wait = min(wait, retryIn)
			m.obs.MaintenanceFailed()
			m.log.Warn("partition maintenance failed; will try again", "retry_in", wait, logging.Err(err))
		default:
			m.obs.Maintained(r)
			m.report(r, time.Since(start))
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
	}
}

func (m *Maintainer) report(r Result, took time.Duration) {
	if len(r.Created) > 0 || len(r.Dropped) > 0 {
		m.log.Info("partitions maintained", "created", r.Created, "rows_moved_from_default", r.Moved, "dropped", r.Dropped,
			"partitions", r.Partitions, logging.KeyTook, took)
	}
	if r.DefaultRows > 0 {
		m.log.Warn("rows in user_activity's default partition: their days have no partition (a backfill, or event times far from today); create them (docs/scaling.md)",
			"rows_estimated", r.DefaultRows)
	}
}

// Once runs one pass: the days ahead first, then retention, then a count.
func (m *Maintainer) Once(ctx context.Context) (Result, error) {
	var r Result
	var partitioned bool
	if err := m.db.QueryRow(ctx, "SELECT to_regproc('user_activity_ensure_partitions') IS NOT NULL").Scan(&partitioned); err != nil {
		return r, fmt.Errorf("read schema: %w", err)
	}
	if !partitioned {
		return r, ErrNotPartitioned
	}
	rows, err := m.db.Query(ctx, `SELECT partition, moved FROM user_activity_ensure_partitions(
		(now() AT TIME ZONE 'UTC')::date - 1, (now() AT TIME ZONE 'UTC')::date + $1::int)`, m.cfg.Ahead)
	if err != nil {
		return r, fmt.Errorf("create partitions: %w", err)
	}
	var name string
	var moved int64
	if _, err := pgx.ForEachRow(rows, []any{&name, &moved}, func() error {
		r.Created, r.Moved = append(r.Created, name), r.Moved+moved
		return nil
	}); err != nil {
		return r, fmt.Errorf("create partitions: %w", err)
	}
	if m.cfg.Retention > 0 {
		rows, err := m.db.Query(ctx, "SELECT partition FROM user_activity_drop_partitions($1)", m.cfg.Retention)
		if err != nil {
			return r, fmt.Errorf("drop expired partitions: %w", err)
		}
		if r.Dropped, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
			return r, fmt.Errorf("drop expired partitions: %w", err)
		}
	}
	// Statistics, not a count: readable by the loader's role, and free.
	err = m.db.QueryRow(ctx, `SELECT (SELECT count(*) FROM pg_inherits WHERE inhparent = 'user_activity'::regclass),
		coalesce((SELECT n_live_tup FROM pg_stat_user_tables WHERE relid = to_regclass('user_activity_default')), 0)`).Scan(&r.Partitions, &r.DefaultRows)
	if err != nil {
		return r, fmt.Errorf("count partitions: %w", err)
	}
	return r, nil
}
