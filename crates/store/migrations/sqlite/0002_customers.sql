-- Customers and their sessions (docs/domain.md §8). A phone number is kept only as an HMAC under
-- the phone lookup key plus its masked form; a password only as an argon2id PHC string; a
-- one-time code only as its HMAC; a session token only as its SHA-256. Instants are Unix
-- nanoseconds.

CREATE TABLE customers (
    id                 TEXT    PRIMARY KEY,
    phone_lookup       BLOB    NOT NULL UNIQUE,
    phone_masked       TEXT    NOT NULL,
    password_phc       TEXT,
    login_failures     INTEGER NOT NULL DEFAULT 0,
    locked_until_ns    INTEGER,
    session_generation INTEGER NOT NULL DEFAULT 0,
    created_at_ns      INTEGER NOT NULL
);

CREATE TABLE customer_sessions (
    id              TEXT    PRIMARY KEY,
    customer_id     TEXT    NOT NULL REFERENCES customers (id),
    token_hash      BLOB    NOT NULL UNIQUE,
    generation      INTEGER NOT NULL,
    created_at_ns   INTEGER NOT NULL,
    last_seen_at_ns INTEGER NOT NULL,
    ended_at_ns     INTEGER
);
CREATE INDEX customer_sessions_by_customer ON customer_sessions (customer_id);

-- The live one-time code of each phone (one row per phone, replaced on each send).
CREATE TABLE otp_challenges (
    phone_lookup    BLOB    PRIMARY KEY,
    code_mac        BLOB    NOT NULL,
    issued_at_ns    INTEGER NOT NULL,
    issued_on       TEXT    NOT NULL,
    sends_on_day    INTEGER NOT NULL,
    failed_attempts INTEGER NOT NULL,
    used            BOOLEAN NOT NULL
);
