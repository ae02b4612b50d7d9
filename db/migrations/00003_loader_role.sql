-- Least privilege for the loader. The loader's sessions run as the role
-- tributary_loader (or as a login role that is a member of it): they may
-- insert what they load and read what they must, and nothing else. No DDL,
-- no TRUNCATE, no ownership, no server files. The tables belong to whoever
-- runs the migrations: the owner role (see docs/security.md).
--
-- Roles are cluster-wide, so the role is created only if missing, NOLOGIN
-- and without a password: passwords never live in migrations. Ops (or
-- `ctl db-login`) make it a login role with a password from a file. If the
-- migrating role may not create roles (it need not), create it beforehand:
--   CREATE ROLE tributary_loader NOLOGIN;
-- +goose Up
-- +goose StatementBegin
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'tributary_loader') THEN
        BEGIN
            CREATE ROLE tributary_loader NOLOGIN;
        EXCEPTION
            WHEN duplicate_object OR unique_violation THEN
                NULL; -- created meanwhile by the migration of another database
            WHEN insufficient_privilege THEN
                RAISE EXCEPTION 'role tributary_loader does not exist and % may not create it', current_user
                    USING HINT = 'run as a role with CREATEROLE: CREATE ROLE tributary_loader NOLOGIN; then migrate again';
        END;
    END IF;
    -- CONNECT, and TEMPORARY for the staging table of the duplicate-event
    -- path (both usually come from PUBLIC; grant them in case the DBA
    -- revoked PUBLIC's).
    EXECUTE format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO tributary_loader', current_database());
END $$;
-- +goose StatementEnd

GRANT USAGE ON SCHEMA public TO tributary_loader;
-- PostgreSQL 15 already denies PUBLIC creating objects in schema public;
-- older servers do not. (A no-op with a warning when we do not own it.)
REVOKE CREATE ON SCHEMA public FROM PUBLIC;

-- Rows go in by COPY. SELECT: the duplicate-event path makes its staging
-- table with LIKE user_activity (which needs SELECT on the whole table, not
-- on columns), reads event ids back (ON CONFLICT ... RETURNING) and names
-- the file that loaded the first copy. The loader sees every event in
-- transit anyway; it can neither change nor delete one.
GRANT SELECT, INSERT ON user_activity TO tributary_loader;
GRANT INSERT ON user_activity_rejects, rejected_files TO tributary_loader;
-- The ledger decides "already applied" (SELECT via RETURNING and joins),
-- gets the counts of a batch (UPDATE of two columns) and is pruned below
-- the consumer's ack floor (DELETE).
GRANT SELECT, INSERT, DELETE ON ingest_ledger TO tributary_loader;
GRANT UPDATE (rows_loaded, rows_rejected) ON ingest_ledger TO tributary_loader;

-- +goose Down
-- The role stays: it is cluster-wide and other databases may use it.
REVOKE ALL ON user_activity, user_activity_rejects, rejected_files, ingest_ledger FROM tributary_loader;
REVOKE USAGE ON SCHEMA public FROM tributary_loader;
-- +goose StatementBegin
DO $$
BEGIN
    EXECUTE format('REVOKE CONNECT, TEMPORARY ON DATABASE %I FROM tributary_loader', current_database());
END $$;
-- +goose StatementEnd
