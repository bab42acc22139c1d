-- Which card authorisation pays which order (docs/merchants.md, "Recovery of interrupted
-- payments"). Written as soon as the funding side answers the authorisation, before it is
-- captured, and kept: after a restart the recovery sweep captures (or voids) exactly that
-- authorisation instead of guessing.
CREATE TABLE payment_authorisations (
    order_id TEXT   PRIMARY KEY REFERENCES payment_orders (id),
    auth_id  TEXT   NOT NULL,
    at_ns    INTEGER NOT NULL
);

-- A merchant's webhook endpoint (docs/merchants.md, "Webhooks"): its URL and its signing
-- secret, sealed like the API keys (AES-256-GCM, the seal key id as associated data), with a
-- fingerprint (the first 16 hex digits of the secret's SHA-256) to show instead.
CREATE TABLE merchant_webhooks (
    merchant_id   TEXT    PRIMARY KEY REFERENCES merchants (id),
    url           TEXT    NOT NULL,
    seal_key_id   INTEGER NOT NULL,
    nonce         BLOB    NOT NULL,
    sealed        BLOB    NOT NULL,
    fingerprint   TEXT    NOT NULL,
    updated_at_ns INTEGER NOT NULL
);

-- The outbox: one row per event, written in the transaction of the change it reports (an order
-- paid or refunded, a day settled), only for a merchant with an endpoint. The deliverer takes
-- pending rows whose next attempt is due; state: pending, delivered, dead.
CREATE TABLE webhook_events (
    id                 TEXT    PRIMARY KEY,
    merchant_id        TEXT    NOT NULL REFERENCES merchants (id),
    event_type         TEXT    NOT NULL,
    payload            TEXT    NOT NULL,
    created_at_ns      INTEGER NOT NULL,
    state              TEXT    NOT NULL,
    attempts           INTEGER NOT NULL,
    next_attempt_at_ns INTEGER,
    done_at_ns         INTEGER
);
CREATE INDEX webhook_events_due ON webhook_events (state, next_attempt_at_ns);
CREATE INDEX webhook_events_by_merchant ON webhook_events (merchant_id, created_at_ns);

-- Every delivery attempt, as the merchant sees it: the HTTP status (none on a timeout or a
-- refused connection), a short error, how long it took.
CREATE TABLE webhook_attempts (
    event_id    TEXT    NOT NULL REFERENCES webhook_events (id),
    number      INTEGER NOT NULL,
    at_ns       INTEGER NOT NULL,
    status      INTEGER,
    error       TEXT,
    duration_ms INTEGER NOT NULL,
    PRIMARY KEY (event_id, number)
);
