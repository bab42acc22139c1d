-- A claim's customer is indexed once (docs/benchmarks.md,
-- "Paced log reads and the claims writer's cycle").
-- `UNIQUE (sale_id, customer_id, nth)` and an index on `customer_id` alone were two indexes on
-- a random key: a batch of claims rewrote nearly every page of both, and every page rewritten
-- goes through the log and its sync. `UNIQUE (customer_id, sale_id, nth)` keeps the same
-- guarantee (nobody holds a unit twice), answers a sale's lookups of its customers, and serves
-- the customer foreign key on its own. SQLite cannot change a table's constraints in place: the
-- table is rebuilt.

CREATE TABLE flash_sale_claims_rebuilt (
    sale_id         TEXT    NOT NULL REFERENCES flash_sales (id),
    seq             INTEGER NOT NULL CHECK (seq >= 1),
    customer_id     TEXT    NOT NULL REFERENCES customers (id),
    nth             INTEGER NOT NULL CHECK (nth >= 1),
    idempotency_key TEXT,
    claimed_at_ns   INTEGER NOT NULL,
    PRIMARY KEY (sale_id, seq),
    UNIQUE (customer_id, sale_id, nth)
);
INSERT INTO flash_sale_claims_rebuilt
    (sale_id, seq, customer_id, nth, idempotency_key, claimed_at_ns)
    SELECT sale_id, seq, customer_id, nth, idempotency_key, claimed_at_ns FROM flash_sale_claims;
DROP TABLE flash_sale_claims;
ALTER TABLE flash_sale_claims_rebuilt RENAME TO flash_sale_claims;
