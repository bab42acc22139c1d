-- PIPL consents (docs/identity.md): every grant and withdrawal of a customer, in order, kept as
-- evidence. A customer's consents are these rows replayed; nothing is granted by default.

CREATE TABLE consent_events (
    customer_id  TEXT    NOT NULL REFERENCES customers (id),
    seq          BIGINT  NOT NULL,
    kind         TEXT    NOT NULL,
    action       TEXT    NOT NULL CHECK (action IN ('grant', 'withdraw')),
    text_version BIGINT,
    at_ns        BIGINT  NOT NULL,
    PRIMARY KEY (customer_id, seq)
);
