-- The events' new key, built on the live table before it is partitioned
-- (00009). A partitioned table's unique keys must hold its partition
-- column, so the key becomes (event_time, event_id); and in that order,
-- time first, because a key that leads with a random event_id puts every
-- insert on a random page of its btree, which once larger than memory is
-- what made COPY into a 20M-row table 5x slower (issue 16). Leading with
-- time, events near now all land at the right edge of the index, as they
-- do in the event_time index, whatever the table's size.
--
-- CONCURRENTLY: the loaders keep writing while it is built, however large
-- the table (minutes per 100 million rows). event_id is unique already, so
-- the build cannot meet a duplicate. A build that was interrupted (a crash,
-- a cancel) leaves an invalid index: it is dropped and built again on the
-- next try. Not in a transaction: CONCURRENTLY cannot run in one.
-- +goose NO TRANSACTION
-- +goose Up
-- +goose StatementBegin
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_index WHERE indexrelid = to_regclass('user_activity_time_id_key') AND NOT indisvalid) THEN
        DROP INDEX user_activity_time_id_key;
    END IF;
END $$;
-- +goose StatementEnd
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS user_activity_time_id_key ON user_activity (event_time, event_id);

-- +goose Down
DROP INDEX IF EXISTS user_activity_time_id_key;
