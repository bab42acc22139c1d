//! Row types and their conversion to ledger records: accounts and balance history on both
//! backends, transfers on PostgreSQL (the embedded store keeps transfers as fixed records).
//!
//! Both databases keep ids as UUIDs and every number as a 64-bit integer, so one row type decodes
//! from either. `u64` fields that may use the top bit (user data) are stored bit-for-bit as `i64`.

use cardlife_ledger::{
    Account, AccountBalance, AccountFlags, Pending, PendingStatus, Transfer, TransferFlags,
};
use uuid::Uuid;

use crate::error::StoreError;

/// An account row.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct AccountRow {
    pub id: Uuid,
    pub ledger: i64,
    pub code: i64,
    pub flags: i64,
    pub debits_pending: i64,
    pub debits_posted: i64,
    pub credits_pending: i64,
    pub credits_posted: i64,
    pub user_data_128: Uuid,
    pub user_data_64: i64,
    pub user_data_32: i64,
    pub timestamp: i64,
}

/// A transfer row, with the hold's status when it is one.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct TransferRow {
    pub id: Uuid,
    pub debit_account_id: Uuid,
    pub credit_account_id: Uuid,
    pub amount: i64,
    pub pending_id: Uuid,
    pub user_data_128: Uuid,
    pub user_data_64: i64,
    pub user_data_32: i64,
    pub timeout: i64,
    pub ledger: i64,
    pub code: i64,
    pub flags: i64,
    pub timestamp: i64,
    pub pending_status: Option<i64>,
    pub expires_at: i64,
}

/// A balance-history row.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct BalanceRow {
    pub account_id: Uuid,
    pub timestamp: i64,
    pub debits_pending: i64,
    pub debits_posted: i64,
    pub credits_pending: i64,
    pub credits_posted: i64,
}

pub(crate) const ACCOUNT_COLUMNS: &str = "id, ledger, code, flags, debits_pending, debits_posted, \
     credits_pending, credits_posted, user_data_128, user_data_64, user_data_32, timestamp";

pub(crate) const TRANSFER_COLUMNS: &str = "id, debit_account_id, credit_account_id, amount, pending_id, \
     user_data_128, user_data_64, user_data_32, timeout, ledger, code, flags, timestamp, \
     pending_status, expires_at";

/// A stored non-negative integer back to `u64`.
fn unsigned(v: i64, what: &'static str) -> Result<u64, StoreError> {
    u64::try_from(v).map_err(|_| StoreError::Corrupt(what))
}

fn narrow<T: TryFrom<i64>>(v: i64, what: &'static str) -> Result<T, StoreError> {
    T::try_from(v).map_err(|_| StoreError::Corrupt(what))
}

/// `u64` user data is stored bit-for-bit.
pub(crate) fn bits_to_i64(v: u64) -> i64 {
    i64::from_ne_bytes(v.to_ne_bytes())
}

fn bits_to_u64(v: i64) -> u64 {
    u64::from_ne_bytes(v.to_ne_bytes())
}

/// An amount or balance; the ledger keeps them at most `i64::MAX`.
pub(crate) fn amount_to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

pub(crate) fn uuid(v: u128) -> Uuid {
    Uuid::from_u128(v)
}

impl TryFrom<AccountRow> for Account {
    type Error = StoreError;
    fn try_from(r: AccountRow) -> Result<Self, StoreError> {
        Ok(Account {
            id: r.id.as_u128(),
            debits_pending: unsigned(r.debits_pending, "debits_pending")?,
            debits_posted: unsigned(r.debits_posted, "debits_posted")?,
            credits_pending: unsigned(r.credits_pending, "credits_pending")?,
            credits_posted: unsigned(r.credits_posted, "credits_posted")?,
            user_data_128: r.user_data_128.as_u128(),
            user_data_64: bits_to_u64(r.user_data_64),
            user_data_32: narrow(r.user_data_32, "user_data_32")?,
            ledger: narrow(r.ledger, "ledger")?,
            code: narrow(r.code, "code")?,
            flags: AccountFlags::from_bits(narrow(r.flags, "flags")?)
                .ok_or(StoreError::Corrupt("flags"))?,
            timestamp: unsigned(r.timestamp, "timestamp")?,
        })
    }
}

impl TransferRow {
    /// The transfer and, for a hold, where it stands.
    pub(crate) fn into_parts(self) -> Result<(Transfer, Option<Pending>), StoreError> {
        let pending = match self.pending_status {
            None => None,
            Some(code) => Some(Pending {
                status: PendingStatus::from_code(narrow(code, "pending_status")?)
                    .ok_or(StoreError::Corrupt("pending_status"))?,
                expires_at: unsigned(self.expires_at, "expires_at")?,
            }),
        };
        let transfer = Transfer {
            id: self.id.as_u128(),
            debit_account_id: self.debit_account_id.as_u128(),
            credit_account_id: self.credit_account_id.as_u128(),
            amount: unsigned(self.amount, "amount")?,
            pending_id: self.pending_id.as_u128(),
            user_data_128: self.user_data_128.as_u128(),
            user_data_64: bits_to_u64(self.user_data_64),
            user_data_32: narrow(self.user_data_32, "user_data_32")?,
            timeout: narrow(self.timeout, "timeout")?,
            ledger: narrow(self.ledger, "ledger")?,
            code: narrow(self.code, "code")?,
            flags: TransferFlags::from_bits(narrow(self.flags, "flags")?)
                .ok_or(StoreError::Corrupt("flags"))?,
            timestamp: unsigned(self.timestamp, "timestamp")?,
        };
        Ok((transfer, pending))
    }
}

impl TryFrom<BalanceRow> for AccountBalance {
    type Error = StoreError;
    fn try_from(r: BalanceRow) -> Result<Self, StoreError> {
        Ok(AccountBalance {
            account_id: r.account_id.as_u128(),
            timestamp: unsigned(r.timestamp, "timestamp")?,
            debits_pending: unsigned(r.debits_pending, "debits_pending")?,
            debits_posted: unsigned(r.debits_posted, "debits_posted")?,
            credits_pending: unsigned(r.credits_pending, "credits_pending")?,
            credits_posted: unsigned(r.credits_posted, "credits_posted")?,
        })
    }
}
