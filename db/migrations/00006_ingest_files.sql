-- Which bytes of each file, identified by content, are loaded. A part's
-- identity is its byte range of the file (see docs/exactly-once.md), so
-- parts cut by two different splits (a split limit or max_payload changed
-- between two attempts) settle here: each row of the file loads exactly
-- once, whichever part carried it first. One row per file, written in the
-- same transaction as the file's rows, and kept far longer than the
-- per-message ledger (FILES_RETENTION): a byte-identical file landed again
-- after LEDGER_RETENTION still loads nothing and writes no rejects again.
-- +goose Up
CREATE TABLE ingest_files (
    file_id    TEXT           PRIMARY KEY,
    size_bytes BIGINT,        -- NULL only for files recorded from the ledger by this migration
    loaded     int8multirange NOT NULL DEFAULT '{}',
    first_at   TIMESTAMPTZ    NOT NULL DEFAULT now(),
    loaded_at  TIMESTAMPTZ    -- when the last byte range of the file was loaded
);
CREATE INDEX ingest_files_loaded_at_idx ON ingest_files (loaded_at);

-- Files the ledger already shows loaded (every part FILEID.INDEX of an
-- older watcher committed) are recorded as loaded whole.
INSERT INTO ingest_files (file_id, loaded, first_at, loaded_at)
SELECT file_id, '{(,)}', min(committed_at), max(committed_at)
FROM ingest_ledger
WHERE file_id IS NOT NULL AND message_id = file_id || '.' || part
GROUP BY file_id
HAVING count(DISTINCT part) = max(parts);

-- The loader locks a file's row (SELECT ... FOR UPDATE, which needs an
-- UPDATE privilege), extends what is loaded, and prunes old rows.
GRANT SELECT, INSERT, DELETE ON ingest_files TO tributary_loader;
GRANT UPDATE (loaded, loaded_at) ON ingest_files TO tributary_loader;

-- +goose Down
DROP TABLE ingest_files;
