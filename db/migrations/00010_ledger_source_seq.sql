-- A bundle carries the small files of several messages in one (see
-- ingest.Bundle): each file keeps its own ledger row, and the rows it loads
-- record a sequence of their own, 2^62 + bundle sequence x 1024 + its place
-- in the bundle, kept here. NULL for a message that is not in a bundle: its
-- rows record its stream sequence. So
--   coalesce(ingest_ledger.source_seq, ingest_ledger.stream_seq) = user_activity.source_seq
-- finds the ledger row, and the file, of any row. Adding a nullable column
-- rewrites nothing: instant on a ledger of any size.
-- +goose Up
ALTER TABLE ingest_ledger ADD COLUMN source_seq BIGINT;
COMMENT ON COLUMN ingest_ledger.source_seq IS 'what the rows this message loaded record as their sequence, when not stream_seq: a file in a bundle (2^62 + stream_seq * 1024 + its place)';

-- +goose Down
ALTER TABLE ingest_ledger DROP COLUMN source_seq;
