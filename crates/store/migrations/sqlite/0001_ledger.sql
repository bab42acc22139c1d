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
-- ledger_accounts overlaid by its last record here. `record` is a fixed 50-byte little-endian
-- layout: id 16 | debits_pending 8 | debits_posted 8 | credits_pending 8 | credits_posted 8 |
-- flags 2 (crates/store/src/sqlite/record.rs).
CREATE TABLE ledger_account_log (
    seq    INTEGER PRIMARY KEY,
    record BLOB    NOT NULL CHECK (length(record) = 50)
);

-- Transfers, appended. One process owns an embedded ledger and stamps strictly increasing
-- timestamps, so the timestamp is the row key and every insert is an append; ids are
-- time-ordered (UUIDv7) in practice, so the unique id index grows at its end too. `record` is a
-- fixed 120-byte little-endian layout (crates/store/src/sqlite/record.rs): binding three values
-- per row instead of fifteen is what lets a commit of 8,190 transfers stay short.
-- There is no per-account index: the running ledger keeps that index in memory.
CREATE TABLE ledger_transfers (
    timestamp INTEGER PRIMARY KEY,
    id        BLOB    NOT NULL UNIQUE,
    record    BLOB    NOT NULL CHECK (length(record) = 120)
);

-- Where each pending transfer (hold) stands: 0 pending, 1 posted, 2 voided, 3 expired; and when
-- its timeout fires (ns since the epoch; 0 for never).
CREATE TABLE ledger_holds (
    id         BLOB    NOT NULL PRIMARY KEY,
    status     INTEGER NOT NULL CHECK (status BETWEEN 0 AND 3),
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE ledger_account_balances (
    account_id      BLOB    NOT NULL,
    timestamp       INTEGER NOT NULL,
    debits_pending  INTEGER NOT NULL,
    debits_posted   INTEGER NOT NULL,
    credits_pending INTEGER NOT NULL,
    credits_posted  INTEGER NOT NULL,
    PRIMARY KEY (account_id, timestamp)
) WITHOUT ROWID;
