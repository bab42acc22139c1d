-- Real-name details and devices (docs/identity.md). A resident ID is kept as an HMAC under its
-- own lookup key (one ID, one customer) and, with the name, sealed with AES-256-GCM; only the
-- masked forms are in clear. A device is kept as a hash of the client's id and the customer.
-- Instants are Unix nanoseconds.

CREATE TABLE customer_real_names (
    customer_id    TEXT    PRIMARY KEY REFERENCES customers (id),
    id_lookup      BYTEA   NOT NULL UNIQUE,
    name_masked    TEXT    NOT NULL,
    id_masked      TEXT    NOT NULL,
    seal_key_id    BIGINT  NOT NULL,
    seal_nonce     BYTEA   NOT NULL,
    sealed         BYTEA   NOT NULL,
    verified_at_ns BIGINT,
    rejected       TEXT,
    updated_at_ns  BIGINT  NOT NULL
);

CREATE TABLE customer_devices (
    id             TEXT    PRIMARY KEY,
    customer_id    TEXT    NOT NULL REFERENCES customers (id),
    fingerprint    BYTEA   NOT NULL,
    name           TEXT    NOT NULL,
    first_seen_ns  BIGINT  NOT NULL,
    last_seen_ns   BIGINT  NOT NULL,
    UNIQUE (customer_id, fingerprint)
);

-- The device a session was started on (none for sessions started without one).
ALTER TABLE customer_sessions ADD COLUMN device_id TEXT REFERENCES customer_devices (id);
CREATE INDEX customer_sessions_by_device ON customer_sessions (device_id);
