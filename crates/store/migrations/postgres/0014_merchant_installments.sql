-- Merchant installments with a merchant-paid fee (商户分期, 贴息; docs/api.md, "Merchant
-- installments"): the terms each merchant pays the fee for, one row per number of periods,
-- with the fee rate per period it pays (in 10^-8). A holder converting a purchase made at the
-- merchant with these periods pays 0%; the merchant's fee is charged on the ledger at booking.
CREATE TABLE merchant_installment_terms (
    merchant_id   TEXT   NOT NULL REFERENCES merchants (id),
    periods       BIGINT NOT NULL CHECK (periods BETWEEN 1 AND 60),
    rate_e8       BIGINT NOT NULL CHECK (rate_e8 >= 0),
    updated_at_ns BIGINT NOT NULL,
    PRIMARY KEY (merchant_id, periods)
);

-- Which merchant a card purchase was made at: its order's paying authorisation.
CREATE INDEX payment_orders_by_funding_auth ON payment_orders (funding_auth_id);
