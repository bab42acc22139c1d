-- A static code issued for a cashier (docs/merchants.md, "Cashier incentives"): every payment
-- made with the code is that staff member's, so it can earn their QR-payment reward like a
-- dynamic order that names them. A code without a row here credits no one.
CREATE TABLE static_code_cashiers (
    code_id       TEXT    PRIMARY KEY REFERENCES qr_codes (id),
    merchant_id   TEXT    NOT NULL REFERENCES merchants (id),
    staff_id      TEXT    NOT NULL REFERENCES merchant_staff (id),
    created_at_ns BIGINT NOT NULL
);
