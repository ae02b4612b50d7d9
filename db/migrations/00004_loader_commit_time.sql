-- The loader stamps ingest_ledger.committed_at at the end of its
-- transaction (clock_timestamp), so that landed-to-committed latency
-- includes the COPY; its role may update that column too, and no other.
-- +goose Up
GRANT UPDATE (committed_at) ON ingest_ledger TO tributary_loader;

-- +goose Down
REVOKE UPDATE (committed_at) ON ingest_ledger FROM tributary_loader;
