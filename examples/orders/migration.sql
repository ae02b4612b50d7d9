-- An example contract's table: orders, one column of every type contracts
-- support. Copy it to db/migrations/000NN_orders.sql (the next number) to
-- add the contract; see README.md beside it.
-- +goose Up
CREATE TABLE orders (
    order_id    UUID             PRIMARY KEY,
    line_count  SMALLINT         NOT NULL CHECK (line_count > 0),
    customer_id BIGINT           NOT NULL,
    quantity    INTEGER          NOT NULL,
    total       NUMERIC(12,2)    NOT NULL,
    discount    REAL,
    weight_kg   DOUBLE PRECISION,
    gift        BOOLEAN          NOT NULL DEFAULT false,
    status      VARCHAR(16)      NOT NULL,
    currency    CHAR(3)          NOT NULL,
    note        TEXT,
    ship_date   DATE,
    placed_at   TIMESTAMPTZ      NOT NULL,
    updated_at  TIMESTAMP,
    attributes  JSONB,
    loaded_seq  BIGINT           NOT NULL,
    loaded_at   TIMESTAMPTZ      NOT NULL DEFAULT now()
);
CREATE INDEX orders_placed_at_idx ON orders (placed_at);
GRANT SELECT, INSERT ON orders TO tributary_loader;

-- +goose Down
DROP TABLE orders;
