-- Merchant staff logins for the merchant portal (docs/web.md, "Merchant portal"): a login name
-- and an argon2id PHC string per staff member, and their page sessions under the customers'
-- token scheme (only the SHA-256 of a token is stored). Instants are Unix nanoseconds.

CREATE TABLE merchant_staff (
    id            TEXT    PRIMARY KEY,
    merchant_id   TEXT    NOT NULL REFERENCES merchants (id),
    login         TEXT    NOT NULL UNIQUE,
    password_phc  TEXT    NOT NULL,
    created_at_ns BIGINT NOT NULL
);
CREATE INDEX merchant_staff_by_merchant ON merchant_staff (merchant_id);

CREATE TABLE merchant_staff_sessions (
    id              TEXT    PRIMARY KEY,
    staff_id        TEXT    NOT NULL REFERENCES merchant_staff (id),
    token_hash      BYTEA    NOT NULL UNIQUE,
    created_at_ns   BIGINT NOT NULL,
    last_seen_at_ns BIGINT NOT NULL,
    ended_at_ns     BIGINT
);
