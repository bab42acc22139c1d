-- The ledger: accounts with their four balances, transfers, and balance history.
-- Ids are 16-byte big-endian blobs (UUIDs); amounts are integer fen or points (i64).

CREATE TABLE ledger_accounts (
    id              BLOB    NOT NULL PRIMARY KEY,
    ledger          INTEGER NOT NULL,
    code            INTEGER NOT NULL,
    flags           INTEGER NOT NULL,
    debits_pending  INTEGER NOT NULL CHECK (debits_pending >= 0),
    debits_posted   INTEGER NOT NULL CHECK (debits_posted >= 0),
    credits_pending INTEGER NOT NULL CHECK (credits_pending >= 0),
    credits_posted  INTEGER NOT NULL CHECK (credits_posted >= 0),
    user_data_128   BLOB    NOT NULL,
    user_data_64    INTEGER NOT NULL,
    user_data_32    INTEGER NOT NULL,
    timestamp       INTEGER NOT NULL
) WITHOUT ROWID;

-- Balances after each commit, appended: the embedded ledger writes an account's new balances
-- here instead of updating its row in place (random-order updates cost more than appends), and
-- folds the log into ledger_accounts at a checkpoint. An account's balances are its row in
-- ledger_accounts overlaid by its last row here.
CREATE TABLE ledger_account_log (
    seq             INTEGER PRIMARY KEY,
    id              BLOB    NOT NULL,
    flags           INTEGER NOT NULL,
    debits_pending  INTEGER NOT NULL,
    debits_posted   INTEGER NOT NULL,
    credits_pending INTEGER NOT NULL,
    credits_posted  INTEGER NOT NULL
);

-- One process owns an embedded ledger and stamps strictly increasing timestamps, so the
-- timestamp is the row key: every insert is an append. Ids are time-ordered (UUIDv7) in
-- practice, so the unique id index grows at its end too.
CREATE TABLE ledger_transfers (
    timestamp         INTEGER NOT NULL PRIMARY KEY,
    id                BLOB    NOT NULL UNIQUE,
    debit_account_id  BLOB    NOT NULL,
    credit_account_id BLOB    NOT NULL,
    amount            INTEGER NOT NULL CHECK (amount >= 0),
    pending_id        BLOB    NOT NULL,
    user_data_128     BLOB    NOT NULL,
    user_data_64      INTEGER NOT NULL,
    user_data_32      INTEGER NOT NULL,
    timeout           INTEGER NOT NULL,
    ledger            INTEGER NOT NULL,
    code              INTEGER NOT NULL,
    flags             INTEGER NOT NULL,
    -- For a hold: 0 pending, 1 posted, 2 voided, 3 expired; NULL for any other transfer.
    pending_status    INTEGER,
    -- For a hold with a timeout: when it expires (ns); 0 for never.
    expires_at        INTEGER NOT NULL
);

-- No per-account index: the embedded ledger keeps that index in memory (see
-- crates/store/src/sqlite/memory.rs), because random-order index inserts would cost more than
-- the rest of a commit together. SQL reads by account scan by time.

CREATE TABLE ledger_account_balances (
    account_id      BLOB    NOT NULL,
    timestamp       INTEGER NOT NULL,
    debits_pending  INTEGER NOT NULL,
    debits_posted   INTEGER NOT NULL,
    credits_pending INTEGER NOT NULL,
    credits_posted  INTEGER NOT NULL,
    PRIMARY KEY (account_id, timestamp)
) WITHOUT ROWID;
