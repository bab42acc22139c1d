-- Credit accounts, cards and their event log (docs/architecture.md, the credit path).
-- An account's state is its events replayed through the billing engine, in `seq` order, then
-- its days closed through `closed_through`. Amounts are integer fen; dates are ISO text.

CREATE TABLE credit_products (
    id       TEXT NOT NULL PRIMARY KEY,
    -- [{"effective_from": "YYYY-MM-DD" | null, "params": {…product parameters…}}, …]
    versions TEXT NOT NULL
);

CREATE TABLE credit_accounts (
    id             TEXT    NOT NULL PRIMARY KEY,
    -- The high 64 bits of every ledger id this account mirrors (docs/architecture.md).
    number         BIGINT  NOT NULL UNIQUE,
    customer_id    TEXT    NOT NULL,
    product_id     TEXT    NOT NULL REFERENCES credit_products (id),
    opened         TEXT    NOT NULL,
    credit_limit   BIGINT  NOT NULL CHECK (credit_limit > 0),
    cash_limit     BIGINT  NOT NULL CHECK (cash_limit >= 0),
    closed_through TEXT
);
CREATE INDEX credit_accounts_by_customer ON credit_accounts (customer_id);

-- Cards: the PAN only as an HMAC lookup token and an AES-256-GCM ciphertext; never the CVV.
CREATE TABLE credit_cards (
    id          TEXT    NOT NULL PRIMARY KEY,
    account_id  TEXT    NOT NULL REFERENCES credit_accounts (id),
    pan_lookup  BYTEA   NOT NULL UNIQUE,
    pan_key_id  BIGINT  NOT NULL,
    pan_nonce   BYTEA   NOT NULL,
    pan_sealed  BYTEA   NOT NULL,
    first6      TEXT    NOT NULL,
    last4       TEXT    NOT NULL,
    expires     TEXT    NOT NULL
);
CREATE INDEX credit_cards_by_account ON credit_cards (account_id);

CREATE TABLE credit_events (
    account_id TEXT    NOT NULL REFERENCES credit_accounts (id),
    seq        BIGINT  NOT NULL,
    day        TEXT    NOT NULL,
    event      TEXT    NOT NULL,
    PRIMARY KEY (account_id, seq)
);

CREATE TABLE credit_statements (
    account_id      TEXT    NOT NULL REFERENCES credit_accounts (id),
    statement_date  TEXT    NOT NULL,
    due_date        TEXT    NOT NULL,
    previous_balance BIGINT  NOT NULL,
    balance         BIGINT  NOT NULL,
    minimum_payment BIGINT  NOT NULL,
    product_version BIGINT  NOT NULL,
    -- The header totals and the lines, as shown (JSON).
    body            TEXT    NOT NULL,
    PRIMARY KEY (account_id, statement_date)
);

-- Idempotency keys of money-moving requests are in 0008_loans.sql (`idempotency_keys`), shared
-- by every area.
