-- The ledger: accounts with their four balances, transfers, and balance history.
-- Ids are UUIDs; amounts are integer fen or points (BIGINT).

CREATE TABLE ledger_accounts (
    id              UUID   NOT NULL PRIMARY KEY,
    ledger          BIGINT NOT NULL,
    code            BIGINT NOT NULL,
    flags           BIGINT NOT NULL,
    debits_pending  BIGINT NOT NULL CHECK (debits_pending >= 0),
    debits_posted   BIGINT NOT NULL CHECK (debits_posted >= 0),
    credits_pending BIGINT NOT NULL CHECK (credits_pending >= 0),
    credits_posted  BIGINT NOT NULL CHECK (credits_posted >= 0),
    user_data_128   UUID   NOT NULL,
    user_data_64    BIGINT NOT NULL,
    user_data_32    BIGINT NOT NULL,
    timestamp       BIGINT NOT NULL,
    -- The timestamp of the last commit that changed the account. A writer stamps its events
    -- after the largest of these among the rows it locked, so every account's history is in
    -- timestamp order whichever process wrote it and however their clocks differ.
    updated_at      BIGINT NOT NULL DEFAULT 0
);

-- Several processes may share the database, so timestamps need not be unique: the id is the key.
CREATE TABLE ledger_transfers (
    id                UUID   NOT NULL PRIMARY KEY,
    timestamp         BIGINT NOT NULL,
    debit_account_id  UUID   NOT NULL,
    credit_account_id UUID   NOT NULL,
    amount            BIGINT NOT NULL CHECK (amount >= 0),
    pending_id        UUID   NOT NULL,
    user_data_128     UUID   NOT NULL,
    user_data_64      BIGINT NOT NULL,
    user_data_32      BIGINT NOT NULL,
    timeout           BIGINT NOT NULL,
    ledger            BIGINT NOT NULL,
    code              BIGINT NOT NULL,
    flags             BIGINT NOT NULL,
    -- For a hold: 0 pending, 1 posted, 2 voided, 3 expired; NULL for any other transfer.
    pending_status    BIGINT,
    -- For a hold with a timeout: when it expires (ns); 0 for never.
    expires_at        BIGINT NOT NULL
);

CREATE INDEX ledger_transfers_by_debit ON ledger_transfers (debit_account_id, timestamp);
CREATE INDEX ledger_transfers_by_credit ON ledger_transfers (credit_account_id, timestamp);
CREATE INDEX ledger_transfers_live_holds ON ledger_transfers (expires_at)
    WHERE pending_status = 0 AND expires_at > 0;

CREATE TABLE ledger_account_balances (
    account_id      UUID   NOT NULL,
    timestamp       BIGINT NOT NULL,
    debits_pending  BIGINT NOT NULL,
    debits_posted   BIGINT NOT NULL,
    credits_pending BIGINT NOT NULL,
    credits_posted  BIGINT NOT NULL,
    PRIMARY KEY (account_id, timestamp)
);
