-- T+1 settlement and recovery of interrupted payments (docs/merchants.md). Amounts are integer
-- fen; instants are Unix nanoseconds; business dates are 'YYYY-MM-DD' (Asia/Shanghai).

-- One row per settled (merchant, business date): written once, after the day's ledger transfers
-- (whose ids derive from the merchant and the date) all answered ok or exists.
CREATE TABLE merchant_settlements (
    merchant_id      TEXT    NOT NULL REFERENCES merchants (id),
    business_date    TEXT    NOT NULL,
    settlement_date  TEXT    NOT NULL,
    captures_fen     INTEGER  NOT NULL,
    refunds_fen      INTEGER  NOT NULL,
    fees_fen         INTEGER  NOT NULL,
    carried_in_fen   INTEGER  NOT NULL,
    net_fen          INTEGER  NOT NULL,
    payout_fen       INTEGER  NOT NULL,
    carried_out_fen  INTEGER  NOT NULL,
    issuer_fen       INTEGER  NOT NULL,
    network_fen      INTEGER  NOT NULL,
    acquirer_fen     INTEGER  NOT NULL,
    lines            INTEGER  NOT NULL,
    settled_at_ns    INTEGER  NOT NULL,
    PRIMARY KEY (merchant_id, business_date)
);

-- A payment between its two transactions: written with the authorisation, deleted with the
-- capture (or the cancellation). What is left here older than a grace period was interrupted;
-- the recovery sweep finishes or voids it, gives back the payer's spend and frees the key.
CREATE TABLE payment_attempts (
    order_id      TEXT    PRIMARY KEY REFERENCES payment_orders (id),
    scope         TEXT    NOT NULL,
    idem_key      TEXT    NOT NULL,
    payer_id      TEXT    NOT NULL,
    spent_on      TEXT    NOT NULL,
    code_kind     TEXT    NOT NULL,
    amount_fen    INTEGER  NOT NULL,
    started_at_ns INTEGER  NOT NULL
);
CREATE INDEX payment_attempts_by_start ON payment_attempts (started_at_ns);
CREATE INDEX payment_orders_by_capture ON payment_orders (merchant_id, captured_at_ns);
CREATE INDEX order_refunds_by_time ON order_refunds (at_ns);
