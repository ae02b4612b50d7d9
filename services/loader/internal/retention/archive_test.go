package retention_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/tributary-dev/tributary/services/loader/internal/retention"
)

const day = 24 * time.Hour

// archivedLongAgo is a loader clock a month ahead: files the test just
// wrote look archived (by ctime) long ago, so the pass looks at them, and
// only the database's ages decide.
func archivedLongAgo() time.Time { return time.Now().Add(30 * day) }

func setModTime(t *testing.T, dir, name string, at time.Time) {
	t.Helper()
	if err := os.Chtimes(filepath.Join(dir, name), at, at); err != nil {
		t.Fatal(err)
	}
}

// A producer chooses a file's mtime (a copy that keeps times, a clock set
// wrong, a tar extract): it must neither keep an archived file past its
// ledger rows nor remove it before ARCHIVE_RETENTION. Age is the time
// since the content was first committed, on the database's clock.
func TestArchiveAgeIgnoresTheProducersModificationTime(t *testing.T) {
	tests := []struct {
		name      string
		modTime   time.Time
		committed time.Duration // how long ago its only part was committed
		wantKept  bool
	}{
		{name: "mtime far in the future, loaded long ago", modTime: time.Now().AddDate(200, 0, 0), committed: 4 * day},
		{name: "mtime far in the past, loaded just now", modTime: time.Unix(0, 0), committed: time.Hour, wantKept: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pool := newPool(t)
			dir := t.TempDir()
			id := archived(t, dir, "a.csv", "a\n", 0)
			setModTime(t, dir, "a.csv", tt.modTime)
			ledgerRow(t, pool, id+".1", id, 1, 1, 1, tt.committed)
			cfg := retention.Config{Archive: 2 * day, Ledger: 3 * day, Interval: time.Minute}
			c := retention.New(cfg, pool, floor(10), dir, quiet, archivedLongAgo)
			if _, err := c.Once(context.Background()); err != nil {
				t.Fatal(err)
			}
			if kept := slices.Contains(listDir(t, dir), "a.csv"); kept != tt.wantKept {
				t.Errorf("a.csv kept = %v, want %v (ledger now holds %v)", kept, tt.wantKept, remaining(t, pool))
			}
		})
	}
}

// Whatever the ages, no pass may leave an archived file whose ledger rows
// it pruned: such a file could never be confirmed again and reconcile
// would call it missing. Here the rows are exactly as old as both
// retentions allow.
func TestArchivedFileLeavesBeforeItsLedgerRows(t *testing.T) {
	pool := newPool(t)
	dir := t.TempDir()
	id := archived(t, dir, "a.csv", "a\n", 0)
	setModTime(t, dir, "a.csv", time.Now().Add(time.Hour)) // archived after its commit, clocks apart
	ledgerRow(t, pool, id+".1", id, 1, 2, 1, 7*day+time.Second)
	ledgerRow(t, pool, id+".2", id, 2, 2, 2, 6*day)
	cfg := retention.Config{Archive: 7 * day, Ledger: 7 * day, Interval: time.Minute}
	r, err := retention.New(cfg, pool, floor(10), dir, quiet, archivedLongAgo).Once(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if r.FilesRemoved != 1 || r.LedgerPruned != 1 || len(listDir(t, dir)) != 0 {
		t.Errorf("pass = %+v, archive %v: want a.csv removed before its first part's row is pruned", r, listDir(t, dir))
	}
}

// The cache of content ids must not take a new file for the old one when
// the name, the size and the mtime (which the producer sets) repeat: here
// the first a.csv was moved away and another one, not loaded, archived
// under its name.
func TestArchiveRecognisesAReplacedFile(t *testing.T) {
	pool := newPool(t)
	dir := t.TempDir()
	mtime := time.Now().Add(-10 * day)
	x := archived(t, dir, "a.csv", "xxxx\n", 0)
	setModTime(t, dir, "a.csv", mtime)
	ledgerRow(t, pool, x+".1", x, 1, 2, 1, 3*day) // part 2 not committed yet
	c := retention.New(retention.Config{Archive: 2 * day, Interval: time.Minute}, pool, floor(0), dir, quiet, time.Now)
	if r, err := c.Once(context.Background()); err != nil || r.FilesRemoved != 0 {
		t.Fatalf("first pass = %+v, %v; want a.csv kept", r, err)
	}
	if err := os.Rename(filepath.Join(dir, "a.csv"), filepath.Join(t.TempDir(), "a.csv")); err != nil {
		t.Fatal(err)
	}
	archived(t, dir, "a.csv", "yyyy\n", 0) // never loaded
	setModTime(t, dir, "a.csv", mtime)
	ledgerRow(t, pool, x+".2", x, 2, 2, 2, 3*day)
	if r, err := c.Once(context.Background()); err != nil || r.FilesRemoved != 0 {
		t.Errorf("second pass = %+v, %v; want the new a.csv kept: the ledger has none of it", r, err)
	}
	if !slices.Contains(listDir(t, dir), "a.csv") {
		t.Error("a.csv, never loaded, was removed")
	}
}

// swapOnQuery runs swap once, when the ledger is first asked about file
// id: after the file was hashed, before it is removed.
type swapOnQuery struct {
	*pgxpool.Pool
	id   string
	swap func()
}

func (s *swapOnQuery) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	for _, a := range args {
		if ids, ok := a.([]string); ok && slices.Contains(ids, s.id) && s.swap != nil {
			s.swap()
			s.swap = nil
		}
	}
	return s.Pool.Query(ctx, sql, args...)
}

// Another loader removes a.csv and the watcher archives a new a.csv (names
// repeat upstream) while this pass is between hashing the first and
// removing it.

func TestArchiveKeepsAFileReplacedDuringThePass(t *testing.T) {
	pool := newPool(t)
	dir := t.TempDir()
	x := archived(t, dir, "a.csv", "xxxx\n", 10*day)
	ledgerRow(t, pool, x+".1", x, 1, 1, 1, 3*day)
	db := &swapOnQuery{Pool: pool, id: x}
	c := retention.New(retention.Config{Archive: 2 * day, Interval: time.Minute}, db, floor(0), dir, quiet, time.Now)
	db.swap = func() {
		if err := os.Remove(filepath.Join(dir, "a.csv")); err != nil {
			t.Error(err)
		}
		archived(t, dir, "a.csv", "yyyy\n", 0)
	}
	if _, err := c.Once(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(listDir(t, dir), "a.csv") {
		t.Error("the a.csv archived during the pass, never loaded, was removed for the content of the one before it")
	}
}
