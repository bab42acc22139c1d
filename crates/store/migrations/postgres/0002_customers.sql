-- Customers and their sessions (docs/domain.md §8). A phone number is kept only as an HMAC under
-- the phone lookup key plus its masked form; a password only as an argon2id PHC string; a
-- one-time code only as its HMAC; a session token only as its SHA-256. Instants are Unix
-- nanoseconds.

CREATE TABLE customers (
    id                 TEXT    PRIMARY KEY,
    phone_lookup       BYTEA   NOT NULL UNIQUE,
    phone_masked       TEXT    NOT NULL,
    password_phc       TEXT,
    login_failures     BIGINT  NOT NULL DEFAULT 0,
    locked_until_ns    BIGINT,
    session_generation BIGINT  NOT NULL DEFAULT 0,
    created_at_ns      BIGINT  NOT NULL
);

CREATE TABLE customer_sessions (
    id              TEXT    PRIMARY KEY,
    customer_id     TEXT    NOT NULL REFERENCES customers (id),
    token_hash      BYTEA   NOT NULL UNIQUE,
    generation      BIGINT  NOT NULL,
    created_at_ns   BIGINT  NOT NULL,
    last_seen_at_ns BIGINT  NOT NULL,
    ended_at_ns     BIGINT
);
CREATE INDEX customer_sessions_by_customer ON customer_sessions (customer_id);

-- The live one-time code of each phone (one row per phone, replaced on each send).
CREATE TABLE otp_challenges (
    phone_lookup    BYTEA   PRIMARY KEY,
    code_mac        BYTEA   NOT NULL,
    issued_at_ns    BIGINT  NOT NULL,
    issued_on       TEXT    NOT NULL,
    sends_on_day    BIGINT  NOT NULL,
    failed_attempts BIGINT  NOT NULL,
    used            BOOLEAN NOT NULL
);
