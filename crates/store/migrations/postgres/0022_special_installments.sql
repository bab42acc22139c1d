-- Special-purpose installments (专项分期: auto, travel, education, home improvement; docs/api.md,
-- "Card installments"). Each account's special limit per purpose, separate from its credit
-- limit, granted by a risk officer or admin (audited) or by the internal API; a grant replaces
-- the purpose's earlier one. What the plans occupy of it is the engine's (credit_events).
CREATE TABLE special_limits (
    account_id   TEXT   NOT NULL,
    purpose      TEXT   NOT NULL
        CHECK (purpose IN ('auto', 'travel', 'education', 'home_improvement')),
    limit_fen    BIGINT NOT NULL CHECK (limit_fen >= 0),
    granted_by   TEXT   NOT NULL,
    granted_at_ns BIGINT NOT NULL,
    PRIMARY KEY (account_id, purpose)
);

-- Each plan's principal paid to its merchant (clearing -> payable, transfer code 305), one row
-- per plan: the merchant's T+1 settlement takes it as a capture of the day it was paid.
CREATE TABLE special_disbursements (
    account_id  TEXT   NOT NULL,
    plan        BIGINT NOT NULL,
    merchant_id TEXT   NOT NULL,
    amount_fen  BIGINT NOT NULL CHECK (amount_fen > 0),
    paid_at_ns  BIGINT NOT NULL,
    PRIMARY KEY (account_id, plan)
);
CREATE INDEX special_disbursements_by_merchant ON special_disbursements (merchant_id, paid_at_ns);
