-- user_activity partitioned by day of event_time (UTC), so that retention
-- drops whole days and each day's table and indexes are its own; the key
-- is (event_time, event_id), time first (see 00008 for why).
--
-- Layout:
--   user_activity            the partitioned table everything reads and writes
--   user_activity_YYYYMMDD   one per UTC day [day, day + 1), created ahead of
--                            time by the loader (user_activity_ensure_partitions)
--   user_activity_default    rows of a day that has no partition (a clock far
--                            off, a backfill): never refused, and moved into
--                            their day's partition when it is created
--   user_activity_legacy     an existing table's rows, attached as they are
--                            (no copy), for every time before its bound;
--                            dropped whole by retention once that is old enough
--
-- Safe on a live pipeline with data in it, and on a fresh database: each
-- step below is its own transaction and does nothing if already done, so a
-- migration interrupted anywhere finishes on the next try.
--   1. A CHECK (event_time < bound), NOT VALID: a brief lock. bound is two
--      days past the latest of now and the newest event, at midnight.
--   2. VALIDATE it: a scan that does not block writes.
--   3. The swap, one short transaction: the table is renamed to
--      user_activity_legacy, the partitioned user_activity created, the
--      legacy table attached as the partition of every time before bound
--      (its validated CHECK spares the scan; its 00008 index becomes its
--      share of the new key, and its old key on event_id alone is dropped),
--      the default partition and the days from yesterday to a week ahead
--      created. A fresh, empty table is dropped instead of attached.
-- Between steps 1 and 3 (the length of the scan: about a minute per 100M
-- rows here) an event stamped two days or more ahead of the database's
-- clock is refused by the CHECK and recorded in user_activity_rejects with
-- the constraint's name; everything else loads throughout.
-- +goose NO TRANSACTION
-- +goose Up

-- The loader role creates day partitions and drops expired ones through
-- these two functions, which run as the owner (SECURITY DEFINER) and can
-- do nothing else: the loader still has no DDL of its own.
--
-- Creates the partitions of the days first..last that do not exist yet,
-- and returns each created with the rows moved into it from the default
-- partition. A day that overlaps the legacy partition is skipped: its rows
-- are there. Locks: the parent in SHARE UPDATE EXCLUSIVE (writes go on),
-- the default partition in ACCESS EXCLUSIVE for a moment (writes of
-- partition-less days wait). lock_timeout: a long report holding the
-- default partition makes the call fail, to be retried, rather than queue
-- the loaders behind it.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION user_activity_ensure_partitions(first date, last date)
RETURNS TABLE (partition text, moved bigint)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp
SET lock_timeout = '5s'
AS $$
DECLARE
    day date;
    n bigint;
BEGIN
    IF first IS NULL OR last IS NULL OR last < first OR last - first >= 1000 THEN
        RAISE EXCEPTION 'user_activity_ensure_partitions(%, %): want first <= last and at most 1000 days', first, last;
    END IF;
    LOCK TABLE user_activity IN SHARE UPDATE EXCLUSIVE MODE; -- one creator at a time
    FOR day IN SELECT d::date FROM generate_series(first, last, interval '1 day') d LOOP
        partition := 'user_activity_' || to_char(day, 'YYYYMMDD');
        CONTINUE WHEN to_regclass(partition) IS NOT NULL;
        BEGIN
            EXECUTE format('CREATE TABLE %I (LIKE user_activity INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', partition);
            moved := 0;
            IF to_regclass('user_activity_default') IS NOT NULL THEN
                LOCK TABLE user_activity_default IN ACCESS EXCLUSIVE MODE;
                EXECUTE format('WITH m AS (DELETE FROM user_activity_default WHERE event_time >= %L AND event_time < %L RETURNING *) '
                    'INSERT INTO %I SELECT * FROM m', day, day + 1, partition);
                GET DIAGNOSTICS n = ROW_COUNT;
                moved := n;
            END IF;
            EXECUTE format('ALTER TABLE user_activity ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', partition, day, day + 1);
            RETURN NEXT;
        EXCEPTION WHEN invalid_object_definition THEN
            NULL; -- overlaps the legacy partition: the day is covered
        END;
    END LOOP;
END $$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION user_activity_ensure_partitions(date, date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION user_activity_ensure_partitions(date, date) TO tributary_loader;

-- Drops every partition whose range ended longer than older_than ago (by
-- the database's clock, UTC), never the default one, and returns each with
-- its upper bound. A partition goes whole or not at all: no row younger
-- than older_than is ever dropped, and none is deleted one by one.
-- Refuses less than a day, so that no setting can drop today's or
-- yesterday's events. DROP locks the parent for a moment (ACCESS
-- EXCLUSIVE): lock_timeout makes it give up, to be retried, rather than
-- queue the loaders behind a long report.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION user_activity_drop_partitions(older_than interval)
RETURNS TABLE (partition text, until timestamp)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp
SET lock_timeout = '2s'
AS $$
DECLARE
    cutoff timestamp;
BEGIN
    IF older_than IS NULL OR older_than < interval '1 day' THEN
        RAISE EXCEPTION 'user_activity_drop_partitions(%): want at least a day', older_than;
    END IF;
    cutoff := (now() AT TIME ZONE 'UTC') - older_than;
    LOCK TABLE user_activity IN SHARE UPDATE EXCLUSIVE MODE; -- one dropper (or creator) at a time
    FOR partition, until IN
        SELECT c.relname, substring(pg_get_expr(c.relpartbound, c.oid) FROM 'TO \(''([^'']+)''\)')::timestamp AS upper
        FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'user_activity'::regclass
        ORDER BY 2
    LOOP
        CONTINUE WHEN until IS NULL OR until > cutoff; -- the default partition has no bound
        EXECUTE format('DROP TABLE %I', partition);
        RETURN NEXT;
    END LOOP;
END $$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION user_activity_drop_partitions(interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION user_activity_drop_partitions(interval) TO tributary_loader;

-- Step 1: the bound.
-- +goose StatementBegin
DO $$
DECLARE
    bound timestamp;
BEGIN
    IF (SELECT relkind FROM pg_class WHERE oid = 'user_activity'::regclass) <> 'r'
       OR EXISTS (SELECT FROM pg_constraint WHERE conrelid = 'user_activity'::regclass AND conname = 'user_activity_legacy_bound') THEN
        RETURN;
    END IF;
    SELECT date_trunc('day', greatest(now() AT TIME ZONE 'UTC', max(event_time))) + interval '2 days' INTO bound FROM user_activity;
    EXECUTE format('ALTER TABLE user_activity ADD CONSTRAINT user_activity_legacy_bound CHECK (event_time < %L) NOT VALID', bound);
END $$;
-- +goose StatementEnd

-- Step 2: the scan, while the loaders write.
-- +goose StatementBegin
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_constraint WHERE conrelid = 'user_activity'::regclass AND conname = 'user_activity_legacy_bound' AND NOT convalidated) THEN
        ALTER TABLE user_activity VALIDATE CONSTRAINT user_activity_legacy_bound;
    END IF;
END $$;
-- +goose StatementEnd

-- Step 3: the swap.
-- +goose StatementBegin
DO $$
DECLARE
    bound timestamp;
    today date := (now() AT TIME ZONE 'UTC')::date;
BEGIN
    IF (SELECT relkind FROM pg_class WHERE oid = 'user_activity'::regclass) <> 'r' THEN
        RETURN;
    END IF;
    LOCK TABLE user_activity IN ACCESS EXCLUSIVE MODE;
    SELECT substring(pg_get_constraintdef(oid) FROM '''([^'']+)''')::timestamp INTO bound
    FROM pg_constraint WHERE conrelid = 'user_activity'::regclass AND conname = 'user_activity_legacy_bound' AND convalidated;
    IF bound IS NULL THEN
        RAISE EXCEPTION 'user_activity has no validated user_activity_legacy_bound: steps 1 and 2 of this migration did not run';
    END IF;
    ALTER TABLE user_activity RENAME TO user_activity_legacy;
    ALTER TABLE user_activity_legacy RENAME CONSTRAINT user_activity_pkey TO user_activity_legacy_pkey;
    ALTER INDEX user_activity_event_time_idx RENAME TO user_activity_legacy_event_time_idx;

    -- The mission's columns and types, and the CHECKs under the same
    -- names (an attached partition must have its parent's).
    CREATE TABLE user_activity (
        event_id   VARCHAR(50)   NOT NULL,
        event_time TIMESTAMP     NOT NULL,
        event_type VARCHAR(20)   NOT NULL CONSTRAINT user_activity_event_type_check CHECK (event_type IN ('view', 'purchase')),
        product_id INTEGER       NOT NULL,
        price      DECIMAL(10,2) NOT NULL CONSTRAINT user_activity_price_check CHECK (price >= 0),
        user_id    INTEGER       NOT NULL,
        session_id VARCHAR(50),
        source_seq BIGINT        NOT NULL,
        CONSTRAINT user_activity_pkey PRIMARY KEY (event_time, event_id)
    ) PARTITION BY RANGE (event_time);
    CREATE INDEX user_activity_event_time_idx ON user_activity (event_time);
    -- Rows reach every partition through the parent, whose grants are
    -- the ones checked: none is needed on a partition.
    GRANT SELECT, INSERT ON user_activity TO tributary_loader;

    IF EXISTS (SELECT FROM user_activity_legacy) THEN
        ALTER TABLE user_activity_legacy ADD CONSTRAINT user_activity_legacy_key UNIQUE USING INDEX user_activity_time_id_key;
        ALTER TABLE user_activity_legacy DROP CONSTRAINT user_activity_legacy_pkey;
        EXECUTE format('ALTER TABLE user_activity ATTACH PARTITION user_activity_legacy FOR VALUES FROM (MINVALUE) TO (%L)', bound);
        -- Implied by the partition's bounds from now on.
        ALTER TABLE user_activity_legacy DROP CONSTRAINT user_activity_legacy_bound;
    ELSE
        DROP TABLE user_activity_legacy;
    END IF;
    CREATE TABLE user_activity_default PARTITION OF user_activity DEFAULT;
    PERFORM user_activity_ensure_partitions(today - 1, today + 7);
END $$;
-- +goose StatementEnd

-- +goose Down
-- Back to one table keyed on event_id alone, by copying every row: for a
-- small table. It fails, and changes nothing, if an event_id was loaded
-- twice with two times (which the partitioned key allows).
-- +goose StatementBegin
DO $$
BEGIN
    LOCK TABLE user_activity IN ACCESS EXCLUSIVE MODE;
    CREATE TABLE user_activity_plain (LIKE user_activity INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
    INSERT INTO user_activity_plain SELECT * FROM user_activity;
    DROP TABLE user_activity;
    ALTER TABLE user_activity_plain RENAME TO user_activity;
    ALTER TABLE user_activity ADD CONSTRAINT user_activity_pkey PRIMARY KEY (event_id);
    CREATE INDEX user_activity_event_time_idx ON user_activity (event_time);
    CREATE UNIQUE INDEX user_activity_time_id_key ON user_activity (event_time, event_id);
    GRANT SELECT, INSERT ON user_activity TO tributary_loader;
END $$;
-- +goose StatementEnd
DROP FUNCTION user_activity_drop_partitions(interval);
DROP FUNCTION user_activity_ensure_partitions(date, date);
