-- Rewards: flash sales and their winning claims (docs/rewards.md). Instants are Unix
-- nanoseconds, money integer fen. `remaining` is kept by every batch commit, so the stock is
-- checked by the database too (CHECK remaining >= 0) and a claim can never oversell.

CREATE TABLE flash_sales (
    id             TEXT    PRIMARY KEY,
    item           TEXT    NOT NULL,
    stock          BIGINT NOT NULL CHECK (stock >= 0),
    remaining      BIGINT NOT NULL CHECK (remaining >= 0 AND remaining <= stock),
    per_user_limit BIGINT NOT NULL CHECK (per_user_limit >= 1),
    price_fen      BIGINT NOT NULL CHECK (price_fen >= 0),
    currency       TEXT    NOT NULL,
    starts_at_ns   BIGINT NOT NULL,
    ends_at_ns     BIGINT NOT NULL CHECK (ends_at_ns > starts_at_ns),
    created_at_ns  BIGINT NOT NULL
);

-- One row per unit won: the reservation of the item for its winner, to be paid as an order at
-- `price_fen`. `seq` is the position among all winners (1..stock), `nth` the winner's own count
-- (1..per_user_limit). The idempotency key is scoped to (sale, customer).
CREATE TABLE flash_sale_claims (
    sale_id         TEXT    NOT NULL REFERENCES flash_sales (id),
    seq             BIGINT NOT NULL CHECK (seq >= 1),
    customer_id     TEXT    NOT NULL REFERENCES customers (id),
    nth             BIGINT NOT NULL CHECK (nth >= 1),
    idempotency_key TEXT,
    claimed_at_ns   BIGINT NOT NULL,
    PRIMARY KEY (sale_id, seq),
    UNIQUE (sale_id, customer_id, nth)
);
CREATE INDEX flash_sale_claims_by_customer ON flash_sale_claims (customer_id);
