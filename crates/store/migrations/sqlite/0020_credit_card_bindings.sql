-- Own-bank credit cards bound in the app by their holder (docs/identity.md, "Binding cards"):
-- the holder typed the card's number and expiry, which matched a card issued to them.
CREATE TABLE credit_card_bindings (
    card_id     TEXT   NOT NULL PRIMARY KEY REFERENCES credit_cards (id),
    customer_id TEXT   NOT NULL,
    bound_at_ns BIGINT NOT NULL
);
CREATE INDEX credit_card_bindings_by_customer ON credit_card_bindings (customer_id);
