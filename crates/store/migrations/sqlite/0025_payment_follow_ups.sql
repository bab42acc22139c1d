-- The work a captured payment leaves for after its answer (docs/merchants.md, "After the
-- answer"): points, referral, the cashier's reward and campaign offers. The row commits with
-- the capture; it is deleted once the work has run, and the recovery sweep runs any row left
-- behind by a stopped process. Every step is idempotent per order, so running one twice
-- changes nothing.
CREATE TABLE payment_follow_ups (
    order_id     TEXT    PRIMARY KEY REFERENCES payment_orders (id),
    queued_at_ns INTEGER NOT NULL
);
CREATE INDEX payment_follow_ups_by_age ON payment_follow_ups (queued_at_ns);
