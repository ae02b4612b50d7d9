-- Contracts: every contract's rejected rows go to one table, tagged with the
-- contract. user_activity_rejects stays, as a view of that contract's rows,
-- so queries, dashboards and `ctl report` see what they saw before.
-- +goose Up
ALTER TABLE user_activity_rejects RENAME TO ingest_rejects;
ALTER INDEX user_activity_rejects_pkey RENAME TO ingest_rejects_pkey;
ALTER INDEX user_activity_rejects_file_idx RENAME TO ingest_rejects_file_idx;
ALTER INDEX user_activity_rejects_time_idx RENAME TO ingest_rejects_time_idx;
-- The default keeps an older loader, mid-upgrade, writing correct rows.
ALTER TABLE ingest_rejects ADD COLUMN contract TEXT NOT NULL DEFAULT 'user_activity';
CREATE INDEX ingest_rejects_contract_idx ON ingest_rejects (contract, rejected_at);
CREATE VIEW user_activity_rejects AS
    SELECT id, file_id, file_name, line_number, column_name, reason, raw_line, stream_seq, rejected_at
    FROM ingest_rejects WHERE contract = 'user_activity';
GRANT INSERT ON user_activity_rejects TO tributary_loader;

-- +goose Down
DROP VIEW user_activity_rejects;
DROP INDEX ingest_rejects_contract_idx;
ALTER TABLE ingest_rejects DROP COLUMN contract;
ALTER INDEX ingest_rejects_time_idx RENAME TO user_activity_rejects_time_idx;
ALTER INDEX ingest_rejects_file_idx RENAME TO user_activity_rejects_file_idx;
ALTER INDEX ingest_rejects_pkey RENAME TO user_activity_rejects_pkey;
ALTER TABLE ingest_rejects RENAME TO user_activity_rejects;
