package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// preloader grows user_activity with synthetic history, quickly: the
// table's keys and indexes are dropped, the rows inserted in time order by
// INSERT ... SELECT from generate_series, then the indexes rebuilt by one
// sorted build each (rather than a random insert per row per index, which
// is what makes filling a random-id table take minutes per ten million),
// then VACUUM ANALYZE, as autovacuum would have left a table that grew at
// the pipeline's pace. It works on any schema with the contract's columns:
// the table as main ships it or partitioned, whose day partitions it
// creates first when the schema has the function for it.
//
// History row k (k = 0 the newest) is stamped end - (k+1)/rate seconds: a
// stream at rate events per second that ended where the measured files
// begin. Each call adds older rows, so history stays below end and every
// measured row lands at the right edge of time, as a live stream's do.
type preloader struct {
	pool *pgxpool.Pool
	end  time.Time
	rate int
	rows int64 // history rows so far
	log  *slog.Logger
}

// PreloadStat is what growing the table took.
type PreloadStat struct {
	Rows          int64   `json:"rows_added"`
	InsertSeconds float64 `json:"insert_seconds"`
	IndexSeconds  float64 `json:"index_seconds"`
	VacuumSeconds float64 `json:"vacuum_seconds"`
}

// preloadChunk bounds one INSERT: a progress line each, and no statement
// that runs for many minutes.
const preloadChunk = 5_000_000

// addHistory inserts n rows older than every history row so far.
func (p *preloader) addHistory(ctx context.Context, n int64) (PreloadStat, error) {
	st := PreloadStat{Rows: n}
	if n <= 0 {
		return st, nil
	}
	conn, err := p.pool.Acquire(ctx)
	if err != nil {
		return st, err
	}
	defer conn.Release()
	if err := p.ensurePartitions(ctx, conn.Conn(), p.rows+n); err != nil {
		return st, err
	}
	keys, err := dropKeys(ctx, conn.Conn())
	if err != nil {
		return st, err
	}
	start := time.Now()
	for from := p.rows; from < p.rows+n; from += preloadChunk {
		to := min(from+preloadChunk, p.rows+n) - 1
		if _, err := conn.Exec(ctx, historyInsert, to, from, p.end, float64(p.rate)); err != nil {
			return st, fmt.Errorf("preload rows %d-%d: %w", from, to, err)
		}
		p.log.Info("preloading", "rows", to+1, "of", p.rows+n, "took", time.Since(start).Round(time.Second))
	}
	st.InsertSeconds = time.Since(start).Seconds()
	start = time.Now()
	for _, k := range keys {
		if _, err := conn.Exec(ctx, k.create); err != nil {
			return st, fmt.Errorf("rebuild %s: %w", k.name, err)
		}
		p.log.Info("index rebuilt", "index", k.name, "took", time.Since(start).Round(time.Second))
	}
	st.IndexSeconds = time.Since(start).Seconds()
	start = time.Now()
	if _, err := conn.Exec(ctx, "VACUUM (ANALYZE) user_activity"); err != nil {
		return st, fmt.Errorf("vacuum: %w", err)
	}
	st.VacuumSeconds = time.Since(start).Seconds()
	p.rows += n
	return st, nil
}

// historyInsert writes history rows $2..$1 (newest last, so in time order).
// The values are hashes of k, deterministic and spread like the
// generator's: 30 % purchases, 1,000 products at their list price, 5,000
// users, sessions of about 20 events. Ids are random UUIDv4.
const historyInsert = `
	INSERT INTO user_activity (event_id, event_time, event_type, product_id, price, user_id, session_id, source_seq)
	SELECT gen_random_uuid()::text,
	       $3::timestamp - make_interval(secs => (k + 1) / $4::float8),
	       CASE WHEN (hashint8(k # 1) & 2147483647) % 10 < 3 THEN 'purchase' ELSE 'view' END,
	       p.product,
	       (100 + (p.product::bigint * 7919) % 99900) / 100.0,
	       1 + (hashint8(k # 2) & 2147483647) % 5000,
	       's-' || to_hex(hashint8(k / 20) & 2147483647),
	       0
	FROM generate_series($1::bigint, $2::bigint, -1) k,
	     LATERAL (SELECT (1 + (hashint8(k) & 2147483647) % 1000)::int AS product) p`

// ensurePartitions creates the day partitions history down to rows back
// will need, if the schema partitions user_activity by day; rows of a day
// without its partition would go to the default one.
func (p *preloader) ensurePartitions(ctx context.Context, conn *pgx.Conn, rows int64) error {
	var has bool
	if err := conn.QueryRow(ctx, "SELECT to_regproc('user_activity_ensure_partitions') IS NOT NULL").Scan(&has); err != nil || !has {
		return err
	}
	first := p.end.Add(-time.Duration(float64(rows) / float64(p.rate) * float64(time.Second)))
	_, err := conn.Exec(ctx, "SELECT user_activity_ensure_partitions($1::date, $2::date)", first.UTC().Format(time.DateOnly), p.end.UTC().Format(time.DateOnly))
	if err != nil {
		return fmt.Errorf("create partitions: %w", err)
	}
	return nil
}

// key is a primary key, unique constraint or index of user_activity, with
// the statement that makes it again.
type key struct {
	name, create string
}

// dropKeys drops user_activity's constraints that own an index (primary
// key, unique) and its other indexes, and returns how to rebuild them:
// constraints first, as the table had them. On a partitioned table each
// goes from every partition at once.
func dropKeys(ctx context.Context, conn *pgx.Conn) ([]key, error) {
	rows, err := conn.Query(ctx, `
		SELECT c.conname, format('ALTER TABLE user_activity ADD CONSTRAINT %I %s', c.conname, pg_get_constraintdef(c.oid)),
		       format('ALTER TABLE user_activity DROP CONSTRAINT %I', c.conname)
		FROM pg_constraint c
		WHERE c.conrelid = 'user_activity'::regclass AND c.contype IN ('p', 'u')
		UNION ALL
		SELECT i.relname, pg_get_indexdef(i.oid), format('DROP INDEX %I', i.relname)
		FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
		WHERE x.indrelid = 'user_activity'::regclass
		  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid AND c.conrelid = x.indrelid)`)
	if err != nil {
		return nil, fmt.Errorf("read indexes: %w", err)
	}
	var (
		keys  []key
		k     key
		drops []string
		drop  string
	)
	if _, err := pgx.ForEachRow(rows, []any{&k.name, &k.create, &drop}, func() error {
		keys, drops = append(keys, k), append(drops, drop)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("read indexes: %w", err)
	}
	for _, d := range drops {
		if _, err := conn.Exec(ctx, d); err != nil {
			return nil, fmt.Errorf("%s: %w", d, err)
		}
	}
	return keys, nil
}

// tableBytes is user_activity's size with its indexes, every partition's
// summed.
func tableBytes(ctx context.Context, pool *pgxpool.Pool) (int64, error) {
	var n int64
	// pg_partition_tree has no rows for a table that is not partitioned.
	err := pool.QueryRow(ctx, `SELECT coalesce((SELECT sum(pg_total_relation_size(relid))::bigint FROM pg_partition_tree('user_activity')),
		pg_total_relation_size('user_activity'))`).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("table size: %w", err)
	}
	return n, nil
}
