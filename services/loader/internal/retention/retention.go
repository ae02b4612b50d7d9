// Package retention keeps the loader's state bounded over time, unlike
// Spark's ever-growing file log. It prunes ledger rows no redelivery can
// need any more, and removes archived files the ledger confirms loaded.
//
// A ledger row may go once its message is below the durable consumer's ack
// floor (every message up to the floor is acknowledged, and an acknowledged
// message of a work-queue stream is deleted, so it can never be delivered
// again) and it was committed longer than the ledger retention ago (a file
// re-landed after the stream's duplicate window is still recognised for
// that long). An archived file may go once the ledger holds every part of
// its content and that content was first committed longer than the archive
// retention ago.
//
// A recreated stream numbers its messages from 1 again, and the ledger's
// rows of the old stream are then compared with the new consumer's floor.
// That prunes no row anything needs: the old stream's messages went with
// it, and a re-publish into the new one finds its row by message id, which
// only the age protects, as for any acknowledged message. Old rows above
// the new floor merely stay until the new stream's floor passes them.
//
// Invariant: an archived file leaves before its ledger rows; a file whose
// rows are gone could never be confirmed loaded, would be kept forever and
// reported by reconciliation as missing. It holds because both ages are
// read from the same rows on the same clock: a file's age is the oldest
// committed_at of its content id, never a file time (a producer chooses
// the mtime; the watcher may link a file into archive/ after the loader
// committed it; file and database clocks differ). Each pass reads the
// database's clock once, cleans the archive, then prunes the ledger
// against that same instant. A row pruned in a pass was committed before
// now - LedgerRetention <= now - ArchiveRetention (Config.Validate), so in
// that pass every archived file holding its content was old enough and,
// once confirmed, removed first. A pass that cannot list the archive or
// read the ledger prunes nothing.
//
// Outside the invariant, and reported rather than lost: a file that cannot
// be read (a warning each pass; its rows may still be pruned), a file
// linked into archive/ more than LedgerRetention after its commit (a
// watcher stopped that long between the publish ack and the archive), and
// a file whose missing part is never committed (kept unconfirmed anyway).
//
// Cost: the age comes from the ledger, so every archived file is hashed,
// once per loader process (cached by inode, size, mtime and ctime: about
// 200 bytes per archived file), plus two indexed ledger queries per 1,000
// files per pass.
package retention

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/tributary-dev/tributary/shared/logging"
)

// Config holds the retention settings.
type Config struct {
	Ledger   time.Duration `env:"LEDGER_RETENTION" envDefault:"720h" help:"ledger rows below the consumer's ack floor and older than this are pruned; 0 keeps them forever"`
	Archive  time.Duration `env:"ARCHIVE_RETENTION" envDefault:"168h" help:"archived files are removed once the ledger confirms every part loaded and first committed that content longer ago than this; 0 keeps them forever"`
	Files    time.Duration `env:"FILES_RETENTION" envDefault:"2160h" help:"rows of ingest_files (what each file has loaded, by content) older than this since the file was loaded whole are pruned; a byte-identical copy landed within it loads nothing; 0 keeps them forever"`
	Interval time.Duration `env:"RETENTION_INTERVAL" envDefault:"10m" help:"how often the loader prunes the ledger and the archive"`
}

// Validate makes sure an archived file always leaves before its ledger
// rows: a file whose rows are gone could never be confirmed loaded, would
// be kept forever and reported by reconciliation as never loaded.
func (c *Config) Validate() error {
	var errs []error
	if c.Ledger < 0 || c.Archive < 0 || c.Files < 0 || c.Interval <= 0 {
		errs = append(errs, errors.New("LEDGER_RETENTION, ARCHIVE_RETENTION and FILES_RETENTION must not be negative, RETENTION_INTERVAL must be positive"))
	}
	if c.Files > 0 && c.Ledger > 0 && c.Files < c.Ledger {
		errs = append(errs, fmt.Errorf("FILES_RETENTION is %s but LEDGER_RETENTION is %s: a file's record must outlive its ledger rows (set FILES_RETENTION at least LEDGER_RETENTION, or FILES_RETENTION=0)", c.Files, c.Ledger))
	}
	if c.Ledger > 0 && (c.Archive == 0 || c.Archive > c.Ledger) {
		archive := c.Archive.String()
		if c.Archive == 0 {
			archive = "0 (forever)"
		}
		errs = append(errs, fmt.Errorf("ARCHIVE_RETENTION is %s but LEDGER_RETENTION is %s: archived files must be removed before their ledger rows (set ARCHIVE_RETENTION at most LEDGER_RETENTION, or LEDGER_RETENTION=0)", archive, c.Ledger))
	}
	return errors.Join(errs...)
}

// DB is the part of a pgx pool retention uses.
type DB interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// AckFloor returns the stream sequence up to which the durable consumer
// has every message acknowledged.
type AckFloor func(ctx context.Context) (uint64, error)

// Result tells what one pass did.
type Result struct {
	LedgerPruned     int64 // ledger rows deleted
	FilesPruned      int64 // ingest_files rows deleted
	FilesRemoved     int   // archived files deleted
	FilesUnconfirmed int   // archived files old enough but not confirmed loaded: kept
}

// Cleaner runs retention passes.
type Cleaner struct {
	cfg        Config
	db         DB
	ackFloor   AckFloor
	archiveDir string
	log        *slog.Logger
	now        func() time.Time  // reports and timings only: ages use the database's clock
	ids        map[string]hashed // archived file name -> content id, while its fileKey holds
	contracts  func() []string   // the contracts besides the default one (their files' keys); may be nil
}

// WithContracts tells the cleaner which contracts other than the default
// one exist, so that their archived files are found in the ledger.
func (c *Cleaner) WithContracts(names func() []string) *Cleaner {
	c.contracts = names
	return c
}

// New returns a Cleaner of the ledger in db and the files in archiveDir.
func New(cfg Config, db DB, ackFloor AckFloor, archiveDir string, log *slog.Logger, now func() time.Time) *Cleaner {
	return &Cleaner{cfg: cfg, db: db, ackFloor: ackFloor, archiveDir: archiveDir, log: log, now: now, ids: map[string]hashed{}}
}

// Run runs a pass every Interval until ctx ends. A failed pass is logged
// and tried again at the next interval.
func (c *Cleaner) Run(ctx context.Context) error {
	if c.cfg.Ledger == 0 && c.cfg.Archive == 0 && c.cfg.Files == 0 {
		<-ctx.Done()
		return nil
	}
	t := time.NewTicker(c.cfg.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		start := c.now()
		r, err := c.Once(ctx)
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			c.log.Warn("retention pass failed; will try again", "retry_in", c.cfg.Interval, logging.Err(err))
		case r.FilesUnconfirmed > 0:
			c.log.Warn("archived files kept: not confirmed loaded by the ledger (see ctl reconcile)",
				"files", r.FilesUnconfirmed, "files_removed", r.FilesRemoved, "ledger_pruned", r.LedgerPruned, logging.KeyTook, c.now().Sub(start))
		case r.FilesRemoved > 0 || r.LedgerPruned > 0 || r.FilesPruned > 0:
			c.log.Info("retention pass", "files_removed", r.FilesRemoved, "ledger_pruned", r.LedgerPruned, "file_records_pruned", r.FilesPruned,
				logging.KeyTook, c.now().Sub(start))
		}
	}
}

// Once runs one pass: the archive first, so that a file is always checked
// against the ledger before its rows can be pruned, and both against one
// reading of the database's clock (see the package comment).
func (c *Cleaner) Once(ctx context.Context) (Result, error) {
	var r Result
	if c.cfg.Archive == 0 && c.cfg.Ledger == 0 && c.cfg.Files == 0 {
		return r, nil
	}
	passNow, err := dbNow(ctx, c.db)
	if err != nil {
		return r, err
	}
	if c.cfg.Archive > 0 {
		if r.FilesRemoved, r.FilesUnconfirmed, err = c.cleanArchive(ctx, passNow); err != nil {
			return r, err
		}
	}
	if c.cfg.Ledger > 0 {
		if r.LedgerPruned, err = c.pruneLedger(ctx, passNow); err != nil {
			return r, err
		}
	}
	if c.cfg.Files > 0 {
		if r.FilesPruned, err = c.pruneFiles(ctx, passNow); err != nil {
			return r, err
		}
	}
	return r, nil
}

// dbNow reads the clock that stamped committed_at.
func dbNow(ctx context.Context, db DB) (time.Time, error) {
	rows, err := db.Query(ctx, "SELECT now()")
	if err != nil {
		return time.Time{}, fmt.Errorf("read database clock: %w", err)
	}
	now, err := pgx.CollectExactlyOneRow(rows, pgx.RowTo[time.Time])
	if err != nil {
		return time.Time{}, fmt.Errorf("read database clock: %w", err)
	}
	return now, nil
}

// pruneBatch bounds one DELETE, keeping transactions and locks short.
const pruneBatch = 10_000

func (c *Cleaner) pruneLedger(ctx context.Context, passNow time.Time) (int64, error) {
	floor, err := c.ackFloor(ctx)
	if err != nil {
		return 0, fmt.Errorf("read ack floor: %w", err)
	}
	// The floor's own message is acknowledged: <= is right. The cutoff is
	// on the pass's reading of the database clock, the one the archive was
	// cleaned against, not now() of each DELETE.
	cutoff := passNow.Add(-c.cfg.Ledger)
	var total int64
	for {
		tag, err := c.db.Exec(ctx, `
			DELETE FROM ingest_ledger WHERE message_id IN (
				SELECT message_id FROM ingest_ledger
				WHERE stream_seq <= $1 AND committed_at < $2
				LIMIT $3)`,
			int64(floor), cutoff, pruneBatch)
		if err != nil {
			return total, fmt.Errorf("prune ledger: %w", err)
		}
		total += tag.RowsAffected()
		if tag.RowsAffected() < pruneBatch {
			return total, nil
		}
	}
}
