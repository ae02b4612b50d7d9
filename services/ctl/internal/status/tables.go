package status

import (
	"context"
	"fmt"
	"time"
)

// ExactUpTo is how many rows of a table status counts exactly by default
// (Sources.ExactUpTo). Above it, it reports PostgreSQL's estimate instead:
// counting a billion rows takes minutes, and a status must answer in a
// moment, while a bounded count of this many takes milliseconds.
const ExactUpTo = 100_000

// Count is a number of rows, exact or estimated.
type Count struct {
	N     int64
	Exact bool // false: PostgreSQL's statistics (n_live_tup, else reltuples)
}

// Tables is what PostgreSQL holds.
type Tables struct {
	Rows               Count      // rows in user_activity
	RowsLastMinute     int64      // rows committed in the last minute (exact, from the ledger)
	MessagesLastMinute int64      // messages committed in the last minute (exact, from the ledger)
	RejectedRows       Count      // rows in ingest_rejects (every contract's)
	RejectedFiles      Count      // rows in rejected_files
	ExactUpTo          int64      // the largest count taken exactly
	LastCommit         *time.Time // latest commit in the ledger; nil before the first
}

// tablesQuery reads everything in one round trip. The last minute comes
// from the ledger's commit times (indexed), one row per message. A table's
// size is counted up to $1+1 rows (a bounded scan), and beyond that taken
// from the statistics: n_live_tup follows inserts within a second or so of
// their commit; reltuples (the last ANALYZE) stands in when the statistics
// were reset.
//
// A partitioned user_activity has no statistics of its own: its estimate
// is the sum of its partitions' (pg_partition_tree lists none for a table
// that is not partitioned, which stands for itself).
const tablesQuery = `WITH tree AS (
	SELECT relid AS oid, 'user_activity' AS relname FROM pg_partition_tree('user_activity') WHERE isleaf
	UNION ALL SELECT 'user_activity'::regclass, 'user_activity' WHERE NOT EXISTS (SELECT FROM pg_partition_tree('user_activity'))
	UNION ALL SELECT 'ingest_rejects'::regclass, 'ingest_rejects'
	UNION ALL SELECT 'rejected_files'::regclass, 'rejected_files'
), estimate AS (
	SELECT t.relname, sum(CASE WHEN s.n_live_tup > 0 THEN s.n_live_tup ELSE greatest(c.reltuples, 0)::bigint END)::bigint AS n
	FROM tree t JOIN pg_class c ON c.oid = t.oid LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid
	GROUP BY t.relname
), recent AS (
	SELECT coalesce(sum(rows_loaded), 0) AS rows, count(*) AS messages
	FROM ingest_ledger WHERE committed_at > now() - interval '1 minute'
)
SELECT
	(SELECT count(*) FROM (SELECT FROM user_activity LIMIT $1 + 1) x),
	(SELECT n FROM estimate WHERE relname = 'user_activity'),
	(SELECT count(*) FROM (SELECT FROM ingest_rejects LIMIT $1 + 1) x),
	(SELECT n FROM estimate WHERE relname = 'ingest_rejects'),
	(SELECT count(*) FROM (SELECT FROM rejected_files LIMIT $1 + 1) x),
	(SELECT n FROM estimate WHERE relname = 'rejected_files'),
	recent.rows, recent.messages,
	(SELECT max(committed_at) FROM ingest_ledger)
FROM recent`

func readTables(ctx context.Context, src Sources) (*Tables, error) {
	if src.Database == nil {
		return nil, src.DatabaseErr
	}
	limit := src.ExactUpTo
	if limit <= 0 {
		limit = ExactUpTo
	}
	var t Tables
	var counted, estimated [3]int64
	err := src.Database.QueryRow(ctx, tablesQuery, limit).Scan(&counted[0], &estimated[0], &counted[1], &estimated[1],
		&counted[2], &estimated[2], &t.RowsLastMinute, &t.MessagesLastMinute, &t.LastCommit)
	if err != nil {
		return nil, fmt.Errorf("read tables: %w", err)
	}
	t.ExactUpTo = limit
	for i, c := range []*Count{&t.Rows, &t.RejectedRows, &t.RejectedFiles} {
		*c = Count{N: counted[i], Exact: true}
		if counted[i] > limit {
			// At least limit+1 rows: an estimate below that is stale.
			*c = Count{N: max(estimated[i], counted[i]), Exact: false}
		}
	}
	return &t, nil
}

// LagTime is how long the loaders take to clear lag messages at the rate
// of the last minute; false when nothing was committed in it.
func (t *Tables) LagTime(lag uint64) (time.Duration, bool) {
	if t == nil || t.MessagesLastMinute == 0 {
		return 0, false
	}
	perMessage := time.Minute / time.Duration(t.MessagesLastMinute)
	return time.Duration(lag) * perMessage, true
}
