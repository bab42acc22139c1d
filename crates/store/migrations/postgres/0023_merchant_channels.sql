-- Who a QR payment is credited to and what each payment type costs the merchant (docs/merchants.md).

-- A static code issued for a cashier (docs/merchants.md, "Cashier incentives"): every payment
-- made with the code is that staff member's, so it can earn their QR-payment reward like a
-- dynamic order that names them. A code without a row here credits no one.
CREATE TABLE static_code_cashiers (
    code_id       TEXT    PRIMARY KEY REFERENCES qr_codes (id),
    merchant_id   TEXT    NOT NULL REFERENCES merchants (id),
    staff_id      TEXT    NOT NULL REFERENCES merchant_staff (id),
    created_at_ns BIGINT NOT NULL
);

-- A merchant's fee schedule for one payment type (docs/merchants.md, "Fees by payment type"):
-- merchant_qr (the payer scans the merchant's static or dynamic code) or pay_code (the merchant
-- scans the payer's code). A type without a row is charged the merchant's own rate
-- (merchants.mdr_rate, mdr_minimum_fen, mdr_cap_fen). The rate is a decimal string.
CREATE TABLE merchant_fee_schedules (
    merchant_id   TEXT    NOT NULL REFERENCES merchants (id),
    payment_type  TEXT    NOT NULL CHECK (payment_type IN ('merchant_qr', 'pay_code')),
    rate          TEXT    NOT NULL,
    minimum_fen   BIGINT NOT NULL CHECK (minimum_fen >= 0),
    cap_fen       BIGINT CHECK (cap_fen IS NULL OR cap_fen >= minimum_fen),
    updated_at_ns BIGINT NOT NULL,
    PRIMARY KEY (merchant_id, payment_type)
);
