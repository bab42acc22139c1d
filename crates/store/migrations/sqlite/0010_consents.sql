-- PIPL consents (docs/identity.md): every grant and withdrawal of a customer, in order, kept as
-- evidence. A customer's consents are these rows replayed; nothing is granted by default.

CREATE TABLE consent_events (
    customer_id  TEXT    NOT NULL REFERENCES customers (id),
    seq          INTEGER NOT NULL,
    kind         TEXT    NOT NULL,
    action       TEXT    NOT NULL CHECK (action IN ('grant', 'withdraw')),
    text_version INTEGER,
    at_ns        INTEGER NOT NULL,
    PRIMARY KEY (customer_id, seq)
);
