-- The loader's delivery budget. JetStream counts deliveries, and so counts
-- restarts, graceful hand-backs and outages as well as failures: a message
-- held by loaders restarted during a PostgreSQL outage would be dead-lettered
-- although nothing was wrong with it. Instead a loader records here, in its
-- own short statement just before it applies a redelivered message alone,
-- that an attempt starts; an attempt that ends in a crash leaves the count
-- raised, one that PostgreSQL's refusal ends records why, one that ends
-- without a verdict (an outage, a shutdown) takes its count back. A message
-- is dead-lettered once CONSUMER_MAX_DELIVER attempts failed or crashed, and
-- only if ingest_ledger does not show it committed. Rows are deleted when the
-- message commits or is dead-lettered (a re-driven dead letter starts afresh).
-- +goose Up
CREATE TABLE ingest_attempts (
    message_id TEXT        PRIMARY KEY, -- Nats-Msg-Id, as in ingest_ledger
    attempts   INTEGER     NOT NULL,    -- attempts that failed or crashed
    last_error TEXT,                    -- why the last failed one failed
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
GRANT SELECT, INSERT, UPDATE, DELETE ON ingest_attempts TO tributary_loader;

-- +goose Down
DROP TABLE ingest_attempts;
