package e2e

import (
	"testing"
	"time"

	"github.com/tributary-dev/tributary/shared/datadir"
	"github.com/tributary-dev/tributary/tests/harness"
)

// With short retentions the loader removes what it has loaded from the
// archive, then prunes the ledger below the consumer's real ack floor,
// while every row stays in user_activity.
func TestRetentionEmptiesArchiveAndLedgerOnceLoaded(t *testing.T) {
	env := harness.New(t)
	env.Watcher(map[string]string{"WATCHER_MAX_MESSAGE_BYTES": "4096"}) // several parts per file
	env.Loader(map[string]string{
		"LEDGER_RETENTION": "1s", "ARCHIVE_RETENTION": "1s", "RETENTION_INTERVAL": "200ms",
	})
	const files, rows = 5, 100
	env.Generate(files, rows, nil)
	env.Eventually(20*time.Second, "all rows loaded", func() bool { return env.Rows() == files*rows })
	env.Eventually(20*time.Second, "archive emptied and ledger pruned", func() bool {
		return len(env.Files(datadir.Archive)) == 0 && env.Count("SELECT count(*) FROM ingest_ledger") == 0
	})
	if got := env.Rows(); got != files*rows {
		t.Errorf("user_activity has %d rows after retention, want %d", got, files*rows)
	}
}
