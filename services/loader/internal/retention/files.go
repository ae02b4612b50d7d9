package retention

import (
	"context"
	"fmt"
	"time"
)

// pruneFiles deletes the records of files loaded whole longer ago than
// the files retention. A file only partly loaded is kept whatever its age:
// its missing rows may still be in the stream, and ctl reconcile reports
// it. After its record goes, a byte-identical copy of the file landed
// again loads as a new file (its events then meet the primary key: they
// are rejected as duplicates, never loaded twice).
func (c *Cleaner) pruneFiles(ctx context.Context, passNow time.Time) (int64, error) {
	var total int64
	for {
		tag, err := c.db.Exec(ctx, `
			DELETE FROM ingest_files WHERE file_id IN (
				SELECT file_id FROM ingest_files
				WHERE loaded_at < $1
				LIMIT $2)`,
			passNow.Add(-c.cfg.Files), pruneBatch)
		if err != nil {
			return total, fmt.Errorf("prune file records: %w", err)
		}
		total += tag.RowsAffected()
		if tag.RowsAffected() < pruneBatch {
			return total, nil
		}
	}
}
