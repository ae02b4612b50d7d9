package status

import (
	"context"
	"fmt"
	"time"
)

// Server is what status reads of PostgreSQL itself: the settings known to
// hurt an ingest server, and user_activity's partitions.
type Server struct {
	Warnings []string // a setting known to hurt, each with what to set instead

	Partitioned bool       // user_activity is partitioned by day
	Days        int        // its day partitions (the legacy one included)
	Until       *time.Time // where the newest day partition ends; nil: none
	DefaultRows int64      // rows in its default partition, PostgreSQL's estimate
}

// Settings are the server settings status judges, as PostgreSQL reports
// them (sizes in bytes, durations in seconds).
type Settings struct {
	SharedBuffers     int64
	MaxWALSize        int64
	WALCompression    string
	CheckpointTimeout float64
	Fsync             string
	SynchronousCommit string
	FullPageWrites    string
	Autovacuum        string
}

// defaultSharedBuffers is PostgreSQL's: sized for a server that shares a
// small machine, not for one that ingests.
const defaultSharedBuffers = 128 << 20

// Warnings names each setting known to hurt an ingest server, and what to
// set: the values of deployments/postgres/postgresql.conf, which
// docs/scaling.md explains.
func (s Settings) Warnings() []string {
	var out []string
	warn := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	if s.Fsync == "off" {
		warn("fsync is off: a crash can lose committed rows and corrupt the database, and exactly once does not survive it")
	}
	if s.SynchronousCommit == "off" {
		warn("synchronous_commit is off: a crash loses the last commits after the loader acknowledged them (their files are lost)")
	}
	if s.FullPageWrites == "off" {
		warn("full_page_writes is off: a torn page after a power cut corrupts data")
	}
	if s.SharedBuffers <= defaultSharedBuffers {
		warn("shared_buffers is %s, PostgreSQL's default: set about a quarter of RAM (4GB on 16GB)", bytesText(s.SharedBuffers))
	}
	if s.MaxWALSize <= 1<<30 {
		warn("max_wal_size is %s: at ingest rates it forces a checkpoint every few seconds, and each makes every page written again whole into the WAL; set 16GB", bytesText(s.MaxWALSize))
	}
	if s.WALCompression == "off" {
		warn("wal_compression is off: full-page images go to the WAL uncompressed; set lz4 (or pglz)")
	}
	if s.CheckpointTimeout < 10*60 {
		warn("checkpoint_timeout is %s: frequent checkpoints write more full-page images; set 15min", (time.Duration(s.CheckpointTimeout) * time.Second).String())
	}
	if s.Autovacuum == "off" {
		warn("autovacuum is off: inserted rows are never frozen, and the server stops writing before transaction ids wrap around")
	}
	return out
}

func bytesText(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%dGB", n>>30)
	case n >= 1<<20:
		return fmt.Sprintf("%dMB", n>>20)
	}
	return fmt.Sprintf("%dkB", n>>10)
}

// settingsQuery reads the settings in the units Settings holds.
const settingsQuery = `SELECT pg_size_bytes(current_setting('shared_buffers')), pg_size_bytes(current_setting('max_wal_size')),
	current_setting('wal_compression'), extract(epoch FROM current_setting('checkpoint_timeout')::interval)::float8,
	current_setting('fsync'), current_setting('synchronous_commit'), current_setting('full_page_writes'), current_setting('autovacuum')`

// partitionsQuery reads user_activity's layout from the catalog and the
// statistics, which any role may read: no partition is scanned.
const partitionsQuery = `SELECT
	(SELECT relkind = 'p' FROM pg_class WHERE oid = 'user_activity'::regclass),
	count(*) FILTER (WHERE bound <> 'DEFAULT'),
	max(substring(bound FROM 'TO \(''([^'']+)''\)')::timestamp),
	coalesce((SELECT n_live_tup FROM pg_stat_user_tables WHERE relid = to_regclass('user_activity_default')), 0)
	FROM (SELECT pg_get_expr(c.relpartbound, c.oid) AS bound FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
	      WHERE i.inhparent = 'user_activity'::regclass) p`

func readServer(ctx context.Context, src Sources) (*Server, error) {
	if src.Database == nil {
		return nil, src.DatabaseErr
	}
	var st Settings
	if err := src.Database.QueryRow(ctx, settingsQuery).Scan(&st.SharedBuffers, &st.MaxWALSize, &st.WALCompression, &st.CheckpointTimeout,
		&st.Fsync, &st.SynchronousCommit, &st.FullPageWrites, &st.Autovacuum); err != nil {
		return nil, fmt.Errorf("read settings: %w", err)
	}
	s := &Server{Warnings: st.Warnings()}
	if err := src.Database.QueryRow(ctx, partitionsQuery).Scan(&s.Partitioned, &s.Days, &s.Until, &s.DefaultRows); err != nil {
		return nil, fmt.Errorf("read partitions: %w", err)
	}
	return s, nil
}

// render prints the server's lines: the partitions, then each warning.
func (s *Server) render(line func(label, format string, args ...any), now time.Time) {
	switch {
	case !s.Partitioned:
		line("partitions", "user_activity is not partitioned: apply the migrations (ctl migrate)")
	case s.Until == nil:
		line("partitions", "user_activity has no day partition: every row goes to the default one (is a loader running?)")
	default:
		line("partitions", "user_activity: %d days, up to %s UTC; %s rows in the default partition", s.Days, s.Until.Format(time.DateOnly), count(s.DefaultRows))
		if today := now.UTC().Truncate(24 * time.Hour); !s.Until.After(today.AddDate(0, 0, 1)) {
			line("", "WARNING: no partition ahead of today: the loaders' partition maintenance is not running (see their log)")
		}
		if s.DefaultRows > 0 {
			line("", "WARNING: rows of days without a partition (a backfill, a clock far off): create their days (docs/scaling.md)")
		}
	}
	for i, w := range s.Warnings {
		label := ""
		if i == 0 {
			label = "server"
		}
		line(label, "WARNING: %s", w)
	}
}
