-- Operators, the audit log, merchants, their signing keys, QR codes, payment orders and refunds
-- (docs/merchants.md). Secrets are kept only as what their scheme needs: operator passwords as
-- argon2id PHC strings, session tokens as SHA-256, merchant signing secrets and settlement
-- account numbers sealed with AES-256-GCM (plus a keyed HMAC for lookups). Instants are Unix
-- nanoseconds; amounts are integer fen.

CREATE TABLE operators (
    id            TEXT    PRIMARY KEY,
    login         TEXT    NOT NULL UNIQUE,
    phone_masked  TEXT    NOT NULL,
    role          TEXT    NOT NULL,
    password_phc  TEXT    NOT NULL,
    created_at_ns BIGINT  NOT NULL
);

CREATE TABLE operator_sessions (
    id              TEXT    PRIMARY KEY,
    operator_id     TEXT    NOT NULL REFERENCES operators (id),
    token_hash      BYTEA   NOT NULL UNIQUE,
    created_at_ns   BIGINT  NOT NULL,
    last_seen_at_ns BIGINT  NOT NULL,
    ended_at_ns     BIGINT 
);

-- Every operator action and every money-moving action, written in the transaction of the change.
CREATE TABLE audit_log (
    id           TEXT    PRIMARY KEY,
    at_ns        BIGINT  NOT NULL,
    actor_kind   TEXT    NOT NULL,
    actor_id     TEXT    NOT NULL,
    action       TEXT    NOT NULL,
    subject_kind TEXT    NOT NULL,
    subject_id   TEXT    NOT NULL,
    detail       TEXT    NOT NULL
);
CREATE INDEX audit_log_by_time ON audit_log (at_ns);

CREATE TABLE merchants (
    id                    TEXT    PRIMARY KEY,
    name                  TEXT    NOT NULL,
    city                  TEXT    NOT NULL,
    address               TEXT    NOT NULL,
    mcc                   TEXT    NOT NULL,
    status                TEXT    NOT NULL,
    reason                TEXT,
    mdr_rate              TEXT    NOT NULL,
    mdr_minimum_fen       BIGINT  NOT NULL,
    mdr_cap_fen           BIGINT ,
    account_lookup        BYTEA   NOT NULL,
    account_key_id        BIGINT  NOT NULL,
    account_nonce         BYTEA   NOT NULL,
    account_sealed        BYTEA   NOT NULL,
    account_masked        TEXT    NOT NULL,
    payable_account       TEXT    NOT NULL,
    created_at_ns         BIGINT  NOT NULL,
    reviewed_at_ns        BIGINT 
);
CREATE INDEX merchants_by_status ON merchants (status);

CREATE TABLE merchant_stores (
    id            TEXT    PRIMARY KEY,
    merchant_id   TEXT    NOT NULL REFERENCES merchants (id),
    name          TEXT    NOT NULL,
    created_at_ns BIGINT  NOT NULL
);

CREATE TABLE merchant_cashiers (
    id            TEXT    PRIMARY KEY,
    store_id      TEXT    NOT NULL REFERENCES merchant_stores (id),
    merchant_id   TEXT    NOT NULL REFERENCES merchants (id),
    name          TEXT    NOT NULL,
    created_at_ns BIGINT  NOT NULL
);

-- At most two active keys per merchant; a retired key never verifies again.
CREATE TABLE merchant_keys (
    key_id        TEXT    PRIMARY KEY,
    merchant_id   TEXT    NOT NULL REFERENCES merchants (id),
    seal_key_id   BIGINT  NOT NULL,
    nonce         BYTEA   NOT NULL,
    sealed        BYTEA   NOT NULL,
    created_at_ns BIGINT  NOT NULL,
    retired_at_ns BIGINT 
);
CREATE INDEX merchant_keys_by_merchant ON merchant_keys (merchant_id);

-- Nonces of verified signed requests, kept until their replay window has passed.
CREATE TABLE merchant_nonces (
    key_id        TEXT    NOT NULL,
    nonce         TEXT    NOT NULL,
    keep_until_ns BIGINT  NOT NULL,
    PRIMARY KEY (key_id, nonce)
);

CREATE TABLE qr_codes (
    id            TEXT    PRIMARY KEY,
    merchant_id   TEXT    NOT NULL REFERENCES merchants (id),
    kind          TEXT    NOT NULL,
    payload       TEXT    NOT NULL,
    created_at_ns BIGINT  NOT NULL
);

CREATE TABLE payment_orders (
    id                 TEXT    PRIMARY KEY,
    merchant_id        TEXT    NOT NULL REFERENCES merchants (id),
    merchant_ref       TEXT,
    channel            TEXT    NOT NULL,
    code_id            TEXT,
    payer_id           TEXT,
    status             TEXT    NOT NULL,
    currency           TEXT    NOT NULL,
    goods_fen          BIGINT  NOT NULL,
    coupon_fen         BIGINT  NOT NULL DEFAULT 0,
    points_used        BIGINT  NOT NULL DEFAULT 0,
    points_value_fen   BIGINT  NOT NULL DEFAULT 0,
    authorised_fen     BIGINT  NOT NULL DEFAULT 0,
    captured_fen       BIGINT  NOT NULL DEFAULT 0,
    refunded_goods_fen BIGINT  NOT NULL DEFAULT 0,
    refunded_cash_fen  BIGINT  NOT NULL DEFAULT 0,
    mdr_fen            BIGINT  NOT NULL DEFAULT 0,
    funding_auth_id    TEXT,
    created_at_ns      BIGINT  NOT NULL,
    expires_at_ns      BIGINT  NOT NULL,
    captured_at_ns     BIGINT ,
    version            BIGINT  NOT NULL DEFAULT 0,
    UNIQUE (merchant_id, merchant_ref)
);
CREATE INDEX payment_orders_by_merchant ON payment_orders (merchant_id, created_at_ns);

CREATE TABLE order_refunds (
    order_id       TEXT    NOT NULL REFERENCES payment_orders (id),
    number         BIGINT  NOT NULL,
    requested_fen  BIGINT  NOT NULL,
    cash_fen       BIGINT  NOT NULL,
    at_ns          BIGINT  NOT NULL,
    transfer_id    TEXT    NOT NULL,
    PRIMARY KEY (order_id, number)
);

-- What each payer spent through QR codes on their latest business date.
CREATE TABLE qr_daily_spend (
    customer_id TEXT    PRIMARY KEY,
    spent_on    TEXT    NOT NULL,
    static_fen  BIGINT  NOT NULL,
    dynamic_fen BIGINT  NOT NULL
);

-- Idempotency keys of money-moving requests: the body's hash and, once done, the order it made.
CREATE TABLE payment_idempotency (
    scope         TEXT    NOT NULL,
    idem_key      TEXT    NOT NULL,
    request_hash  BYTEA   NOT NULL,
    result        TEXT,
    created_at_ns BIGINT  NOT NULL,
    PRIMARY KEY (scope, idem_key)
);

-- Each customer's pay-code token reference (a random handle, not account data).
CREATE TABLE paycode_tokens (
    token_ref     BIGINT  PRIMARY KEY,
    customer_id   TEXT    NOT NULL UNIQUE,
    created_at_ns BIGINT  NOT NULL
);

-- Pay codes already charged (single use), kept until they would have expired anyway.
CREATE TABLE used_paycodes (
    token_ref     BIGINT  NOT NULL,
    issued_at     BIGINT  NOT NULL,
    nonce         BIGINT  NOT NULL,
    keep_until_ns BIGINT  NOT NULL,
    PRIMARY KEY (token_ref, issued_at, nonce)
);
