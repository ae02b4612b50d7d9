package retention_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/tributary-dev/tributary/db/dbtest"
	"github.com/tributary-dev/tributary/services/loader/internal/retention"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func newPool(t *testing.T) *pgxpool.Pool { return dbtest.NewPool(t) }

// ledgerRow records a committed message, committed age ago.
func ledgerRow(t *testing.T, pool *pgxpool.Pool, msgID, fileID string, part, parts int, seq int64, age time.Duration) {
	t.Helper()
	_, err := pool.Exec(context.Background(), `
		INSERT INTO ingest_ledger (message_id, file_id, part, parts, file_name, stream_seq, rows_loaded, committed_at)
		VALUES ($1, $2, $3, $4, 'f.csv', $5, 10, now() - make_interval(secs => $6))`,
		msgID, fileID, part, parts, seq, age.Seconds())
	if err != nil {
		t.Fatal(err)
	}
}

func floor(n uint64) retention.AckFloor {
	return func(context.Context) (uint64, error) { return n, nil }
}

func remaining(t *testing.T, pool *pgxpool.Pool) []string {
	t.Helper()
	rows, err := pool.Query(context.Background(), "SELECT message_id FROM ingest_ledger ORDER BY message_id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

func TestLedgerPrunedBelowAckFloorAfterRetention(t *testing.T) {
	pool := newPool(t)
	ledgerRow(t, pool, "old-acked", "", 1, 1, 3, 10*day)
	ledgerRow(t, pool, "old-at-floor", "", 1, 1, 5, 10*day)
	ledgerRow(t, pool, "old-above-floor", "", 1, 1, 6, 10*day) // committed, ack lost: a redelivery needs it
	ledgerRow(t, pool, "young-acked", "", 1, 1, 4, day)
	c := retention.New(retention.Config{Ledger: 7 * day, Interval: time.Minute}, pool, floor(5), t.TempDir(), quiet, time.Now)
	r, err := c.Once(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if r.LedgerPruned != 2 {
		t.Errorf("pruned %d rows, want 2", r.LedgerPruned)
	}
	if got, want := remaining(t, pool), []string{"old-above-floor", "young-acked"}; !slices.Equal(got, want) {
		t.Errorf("ledger keeps %v, want %v", got, want)
	}
}

func TestLedgerKeptWhileFloorUnknown(t *testing.T) {
	pool := newPool(t)
	ledgerRow(t, pool, "old", "", 1, 1, 1, 100*24*time.Hour)
	failing := func(context.Context) (uint64, error) { return 0, context.DeadlineExceeded }
	c := retention.New(retention.Config{Ledger: time.Hour, Interval: time.Minute}, pool, failing, t.TempDir(), quiet, time.Now)
	if _, err := c.Once(context.Background()); err == nil {
		t.Fatal("want an error when the ack floor cannot be read")
	}
	if got := remaining(t, pool); len(got) != 1 {
		t.Errorf("ledger = %v, want the row kept", got)
	}
}

func archived(t *testing.T, dir, name, content string, age time.Duration) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	at := time.Now().Add(-age)
	if err := os.Chtimes(p, at, at); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(content))
	return hex.EncodeToString(sum[:])
}

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

func TestArchiveRemovesOnlyOldConfirmedFiles(t *testing.T) {
	pool := newPool(t)
	dir := t.TempDir()
	loaded := archived(t, dir, "loaded.csv", "loaded\n", 3*day)
	archived(t, dir, "loaded-again.csv", "loaded\n", 3*day) // same content landed twice
	young := archived(t, dir, "young.csv", "young\n", 3*day)
	partial := archived(t, dir, "partial.csv", "partial\n", 3*day)
	archived(t, dir, "unknown.csv", "unknown\n", 3*day)
	rejectedOnly := archived(t, dir, "notice-only.csv", "notice\n", 3*day)

	// Ages are the ledger's: young.csv's mtime is as old as the others'.
	ledgerRow(t, pool, loaded+".1", loaded, 1, 2, 1, 3*day)
	ledgerRow(t, pool, loaded+".2", loaded, 2, 2, 2, 3*day)
	ledgerRow(t, pool, young+".1", young, 1, 1, 3, 0)
	ledgerRow(t, pool, partial+".2", partial, 2, 2, 4, 3*day) // part 1 never committed
	ledgerRow(t, pool, "rejected."+rejectedOnly, rejectedOnly, 1, 1, 5, 3*day)

	// The Cleaner's own clock only says how long ago a file the ledger
	// knows nothing of was archived (unknown.csv, linked just now).
	later := func() time.Time { return time.Now().Add(3 * day) }
	c := retention.New(retention.Config{Archive: 2 * day, Interval: time.Minute}, pool, floor(0), dir, quiet, later)
	r, err := c.Once(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if r.FilesRemoved != 2 || r.FilesUnconfirmed != 3 {
		t.Errorf("result = %+v, want 2 removed and 3 unconfirmed", r)
	}
	want := []string{"notice-only.csv", "partial.csv", "unknown.csv", "young.csv"}
	if got := listDir(t, dir); !slices.Equal(got, want) {
		t.Errorf("archive keeps %v, want %v", got, want)
	}
	// The missing part arrives: the next pass removes the file.
	ledgerRow(t, pool, partial+".1", partial, 1, 2, 6, 0)
	if r, err = c.Once(context.Background()); err != nil || r.FilesRemoved != 1 {
		t.Fatalf("second pass = %+v, %v; want partial.csv removed", r, err)
	}
}

func TestOffKeepsEverything(t *testing.T) {
	pool := newPool(t)
	dir := t.TempDir()
	id := archived(t, dir, "a.csv", "a\n", 1000*24*time.Hour)
	ledgerRow(t, pool, id+".1", id, 1, 1, 1, 1000*24*time.Hour)
	c := retention.New(retention.Config{Interval: time.Minute}, pool, floor(10), dir, quiet, time.Now)
	if r, err := c.Once(context.Background()); err != nil || r != (retention.Result{}) {
		t.Fatalf("Once = %+v, %v; want nothing done", r, err)
	}
	if len(listDir(t, dir)) != 1 || len(remaining(t, pool)) != 1 {
		t.Error("retention off removed something")
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		give    retention.Config
		wantErr string
	}{
		{give: retention.Config{Ledger: 720 * time.Hour, Archive: 168 * time.Hour, Interval: time.Minute}},
		{give: retention.Config{Ledger: 0, Archive: 0, Interval: time.Minute}},
		{give: retention.Config{Ledger: 0, Archive: time.Hour, Interval: time.Minute}},
		{give: retention.Config{Ledger: time.Hour, Archive: time.Hour, Interval: time.Minute}},
		{give: retention.Config{Ledger: time.Hour, Archive: 2 * time.Hour, Interval: time.Minute}, wantErr: "ARCHIVE_RETENTION is 2h0m0s but LEDGER_RETENTION is 1h0m0s"},
		{give: retention.Config{Ledger: time.Hour, Archive: 0, Interval: time.Minute}, wantErr: "ARCHIVE_RETENTION is 0 (forever)"},
		{give: retention.Config{Ledger: -time.Hour, Interval: 0}, wantErr: "must not be negative"},
	}
	for _, tt := range tests {
		err := tt.give.Validate()
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("%+v: unexpected error %v", tt.give, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("%+v: error %v, want one containing %q", tt.give, err, tt.wantErr)
		}
	}
}
