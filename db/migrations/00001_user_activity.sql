-- The events themselves: the contract's columns with exact types, plus the
-- stream sequence of the message that loaded each row (8 bytes of
-- provenance; join ingest_ledger for the file while it is retained).
-- +goose Up
CREATE TABLE user_activity (
    event_id   VARCHAR(50)   PRIMARY KEY,
    event_time TIMESTAMP     NOT NULL,
    event_type VARCHAR(20)   NOT NULL CONSTRAINT user_activity_event_type_check CHECK (event_type IN ('view', 'purchase')),
    product_id INTEGER       NOT NULL,
    price      DECIMAL(10,2) NOT NULL CONSTRAINT user_activity_price_check CHECK (price >= 0),
    user_id    INTEGER       NOT NULL,
    session_id VARCHAR(50),
    source_seq BIGINT        NOT NULL
);
CREATE INDEX user_activity_event_time_idx ON user_activity (event_time);

-- Rows that broke the contract, each with the reason a person can act on.
CREATE TABLE user_activity_rejects (
    id          BIGINT      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    file_id     TEXT        NOT NULL,
    file_name   TEXT        NOT NULL,
    line_number INTEGER     NOT NULL,
    column_name TEXT,
    reason      TEXT        NOT NULL,
    raw_line    TEXT        NOT NULL,
    stream_seq  BIGINT      NOT NULL,
    rejected_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX user_activity_rejects_file_idx ON user_activity_rejects (file_id);
CREATE INDEX user_activity_rejects_time_idx ON user_activity_rejects (rejected_at);

-- Files refused as a whole (unreadable as the contract, too large, not a
-- regular file). The file itself sits in $DATA_DIR/rejected.
CREATE TABLE rejected_files (
    id          BIGINT      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    file_id     TEXT,
    file_name   TEXT        NOT NULL,
    reason      TEXT        NOT NULL,
    size_bytes  BIGINT,
    stream_seq  BIGINT      NOT NULL,
    landed_at   TIMESTAMPTZ,
    rejected_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX rejected_files_time_idx ON rejected_files (rejected_at);

-- The exactly-once ledger: one row per applied message, written in the same
-- transaction as its rows. A redelivered or re-published message finds its
-- row and is acknowledged without loading anything. Pruned below the
-- consumer's ack floor after a retention period.
CREATE TABLE ingest_ledger (
    message_id    TEXT        PRIMARY KEY,
    file_id       TEXT,
    part          INTEGER     NOT NULL DEFAULT 1,
    parts         INTEGER     NOT NULL DEFAULT 1,
    file_name     TEXT        NOT NULL,
    stream_seq    BIGINT      NOT NULL,
    rows_loaded   INTEGER     NOT NULL DEFAULT 0,
    rows_rejected INTEGER     NOT NULL DEFAULT 0,
    landed_at     TIMESTAMPTZ,
    committed_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX ingest_ledger_file_idx ON ingest_ledger (file_id);
CREATE INDEX ingest_ledger_seq_idx ON ingest_ledger (stream_seq);
CREATE INDEX ingest_ledger_committed_idx ON ingest_ledger (committed_at);

-- +goose Down
DROP TABLE ingest_ledger;
DROP TABLE rejected_files;
DROP TABLE user_activity_rejects;
DROP TABLE user_activity;
