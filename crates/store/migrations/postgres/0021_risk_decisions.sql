-- Risk decisions (docs/risk.md): every decision on the payment path, and the per-customer
-- summary the next decision reads. Amounts are integer fen; instants are Unix nanoseconds.

-- One decision. object_id is the payment order; reasons are the fired codes joined by commas;
-- facts is a JSON snapshot of what was decided on (amounts, counts, instants — no secrets).
CREATE TABLE risk_decisions (
    id          TEXT    PRIMARY KEY,
    customer_id TEXT    NOT NULL,
    action      TEXT    NOT NULL,
    object_id   TEXT,
    outcome     TEXT    NOT NULL CHECK (outcome IN ('allow', 'review', 'deny')),
    score       BIGINT NOT NULL,
    reasons     TEXT    NOT NULL,
    facts       TEXT    NOT NULL,
    at_ns       BIGINT NOT NULL
);
CREATE INDEX risk_decisions_by_customer ON risk_decisions (customer_id, at_ns);
CREATE INDEX risk_decisions_by_outcome ON risk_decisions (outcome, at_ns);
CREATE INDEX risk_decisions_by_time ON risk_decisions (at_ns);

-- What a payment decision reads in one row: two fixed velocity windows, the payments let
-- through and the usual amount. version guards the optimistic update.
CREATE TABLE risk_profiles (
    customer_id    TEXT    PRIMARY KEY,
    short_start_ns BIGINT,
    short_count    BIGINT NOT NULL,
    long_start_ns  BIGINT,
    long_count     BIGINT NOT NULL,
    payments       BIGINT NOT NULL,
    usual_fen      BIGINT NOT NULL,
    version        BIGINT NOT NULL
);
