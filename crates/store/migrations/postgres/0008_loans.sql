-- Consumer loans, revolving credit lines, their quotes, the holder's bound debit cards and the
-- idempotency keys of money-moving requests (docs/loans.md). A loan's state is its event
-- history (`loan_events`), replayed through the pure state machine; the summary columns of
-- `loans` and `credit_lines` are a cache of that replay for listing and offers. A debit card
-- number is kept only as an HMAC (lookup), an AES-GCM ciphertext (vault) and its first 6 +
-- last 4. Amounts are fen; dates `YYYY-MM-DD`; instants Unix nanoseconds.

CREATE TABLE debit_cards (
    id                 TEXT    PRIMARY KEY,
    customer_id        TEXT    NOT NULL REFERENCES customers (id),
    card_lookup        BYTEA   NOT NULL UNIQUE,
    vault_key_id       BIGINT  NOT NULL,
    vault_nonce        BYTEA   NOT NULL,
    vault_ciphertext   BYTEA   NOT NULL,
    masked             TEXT    NOT NULL,
    holder_name_masked TEXT,
    created_at_ns      BIGINT  NOT NULL
);
CREATE INDEX debit_cards_by_customer ON debit_cards (customer_id);

CREATE TABLE loan_quotes (
    id            TEXT    PRIMARY KEY,
    customer_id   TEXT    NOT NULL REFERENCES customers (id),
    product       TEXT    NOT NULL,
    method        TEXT    NOT NULL,
    amount_fen    BIGINT  NOT NULL,
    periods       BIGINT  NOT NULL,
    annual_rate   TEXT    NOT NULL,
    expires_at_ns BIGINT  NOT NULL,
    created_at_ns BIGINT  NOT NULL
);
CREATE INDEX loan_quotes_by_customer ON loan_quotes (customer_id);

CREATE TABLE loans (
    id                 TEXT    PRIMARY KEY,
    customer_id        TEXT    NOT NULL REFERENCES customers (id),
    quote_id           TEXT    NOT NULL UNIQUE REFERENCES loan_quotes (id),
    product            TEXT    NOT NULL,
    method             TEXT    NOT NULL,
    amount_fen         BIGINT  NOT NULL,
    periods            BIGINT  NOT NULL,
    annual_rate        TEXT    NOT NULL,
    debit_card_id      TEXT    NOT NULL REFERENCES debit_cards (id),
    booked_on          TEXT    NOT NULL,
    status             TEXT    NOT NULL,
    principal_fen      BIGINT  NOT NULL,
    interest_fen       BIGINT  NOT NULL,
    penalty_fen        BIGINT  NOT NULL,
    days_past_due      BIGINT  NOT NULL,
    worst_days_past_due BIGINT  NOT NULL,
    events             BIGINT  NOT NULL,
    created_at_ns      BIGINT  NOT NULL
);
CREATE INDEX loans_by_customer ON loans (customer_id);
CREATE INDEX loans_by_status ON loans (status);

CREATE TABLE credit_lines (
    id            TEXT    PRIMARY KEY,
    customer_id   TEXT    NOT NULL REFERENCES customers (id),
    product       TEXT    NOT NULL,
    limit_fen     BIGINT  NOT NULL,
    annual_rate   TEXT    NOT NULL,
    opened_on     TEXT    NOT NULL,
    drawn_fen     BIGINT  NOT NULL,
    interest_fen  BIGINT  NOT NULL,
    events        BIGINT  NOT NULL,
    created_at_ns BIGINT  NOT NULL
);
CREATE INDEX credit_lines_by_customer ON credit_lines (customer_id);

-- Every event of a loan or a credit line, in order; `seq` starts at 1 and has no gaps, so two
-- writers racing for the same next event cannot both win.
CREATE TABLE loan_events (
    loan_id       TEXT    NOT NULL,
    seq           BIGINT  NOT NULL,
    kind          TEXT    NOT NULL,
    on_date       TEXT    NOT NULL,
    amount_fen    BIGINT ,
    mode          TEXT,
    debit_card_id TEXT,
    created_at_ns BIGINT  NOT NULL,
    PRIMARY KEY (loan_id, seq)
);

-- One row per (scope, key): in flight while `status` is NULL, then the stored answer.
CREATE TABLE idempotency_keys (
    scope         TEXT    NOT NULL,
    idem_key      TEXT    NOT NULL,
    request_hash  BYTEA   NOT NULL,
    status        BIGINT ,
    response      TEXT,
    created_at_ns BIGINT  NOT NULL,
    PRIMARY KEY (scope, idem_key)
);
