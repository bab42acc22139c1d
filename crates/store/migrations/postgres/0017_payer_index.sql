-- A customer's payments, newest first: the console's 360 view and lifecycle facts read them by
-- payer (docs/web.md, "Operator console").
CREATE INDEX payment_orders_by_payer ON payment_orders (payer_id, captured_at_ns);
