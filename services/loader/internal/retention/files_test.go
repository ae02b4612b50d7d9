package retention_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tributary-dev/tributary/services/loader/internal/retention"
)

// Records of files loaded whole go once old enough; a file loaded only in
// part stays whatever its age.
func TestFileRecordsArePrunedOnlyOnceLoadedAndOld(t *testing.T) {
	pool := newPool(t)
	ctx := context.Background()
	_, err := pool.Exec(ctx, `
		INSERT INTO ingest_files (file_id, size_bytes, loaded, first_at, loaded_at) VALUES
		('old', 10, '{[0,10)}', now() - interval '100 days', now() - interval '100 days'),
		('recent', 10, '{[0,10)}', now() - interval '1 day', now() - interval '1 day'),
		('partial', 10, '{[0,4)}', now() - interval '200 days', NULL)`)
	if err != nil {
		t.Fatal(err)
	}
	c := retention.New(retention.Config{Files: 90 * 24 * time.Hour, Interval: time.Minute}, pool, floor(0), t.TempDir(), quiet, time.Now)
	r, err := c.Once(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var left string
	if err := pool.QueryRow(ctx, "SELECT string_agg(file_id, ',' ORDER BY file_id) FROM ingest_files").Scan(&left); err != nil {
		t.Fatal(err)
	}
	if r.FilesPruned != 1 || left != "partial,recent" {
		t.Errorf("pruned %d, left %s; want 1 pruned and partial,recent left", r.FilesPruned, left)
	}
}

func TestFilesRetentionMustOutliveTheLedger(t *testing.T) {
	cfg := retention.Config{Ledger: 720 * time.Hour, Archive: time.Hour, Files: 24 * time.Hour, Interval: time.Minute}
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "FILES_RETENTION is 24h0m0s but LEDGER_RETENTION is 720h0m0s") {
		t.Errorf("Validate = %v", err)
	}
	cfg.Files = 0
	if err := cfg.Validate(); err != nil {
		t.Errorf("FILES_RETENTION=0 (forever) refused: %v", err)
	}
}
