//! Accounts: who owes whom, on which ledger, with the four balances.

use serde::{Deserialize, Serialize};

use crate::flags::AccountFlags;

/// A ledger account. The balances are never set by a caller: they move only by transfers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// Caller-chosen id, unique across the ledger; the idempotency key of its creation.
    pub id: u128,
    /// Debits held by pending transfers.
    pub debits_pending: u64,
    /// Debits posted.
    pub debits_posted: u64,
    /// Credits held by pending transfers.
    pub credits_pending: u64,
    /// Credits posted.
    pub credits_posted: u64,
    /// Free for the owner's use (a customer or card id, say).
    pub user_data_128: u128,
    /// Free for the owner's use.
    pub user_data_64: u64,
    /// Free for the owner's use.
    pub user_data_32: u32,
    /// The asset: every transfer moves value between two accounts of one ledger.
    pub ledger: u32,
    /// What the account is for (a chart-of-accounts code).
    pub code: u16,
    /// Flags.
    pub flags: AccountFlags,
    /// When it was created, in nanoseconds since the Unix epoch (set by the ledger).
    pub timestamp: u64,
}

impl Account {
    /// A new account with zero balances.
    pub fn new(id: u128, ledger: u32, code: u16, flags: AccountFlags) -> Self {
        Self {
            id,
            ledger,
            code,
            flags,
            ..Self::default()
        }
    }

    /// `credits_posted − debits_posted − debits_pending`: what a debit may still take
    /// from an account whose debits must not exceed its credits. Negative when overdrawn.
    pub fn available_debit(&self) -> i128 {
        i128::from(self.credits_posted)
            - i128::from(self.debits_posted)
            - i128::from(self.debits_pending)
    }

    /// `debits_posted − credits_posted − credits_pending`: what a credit may still add
    /// to an account whose credits must not exceed its debits.
    pub fn available_credit(&self) -> i128 {
        i128::from(self.debits_posted)
            - i128::from(self.credits_posted)
            - i128::from(self.credits_pending)
    }

    /// Whether the balances break one of the account's limit flags.
    pub fn exceeds_limits(&self) -> bool {
        let debits = u128::from(self.debits_pending) + u128::from(self.debits_posted);
        let credits = u128::from(self.credits_pending) + u128::from(self.credits_posted);
        (self
            .flags
            .contains(AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS)
            && debits > u128::from(self.credits_posted))
            || (self
                .flags
                .contains(AccountFlags::CREDITS_MUST_NOT_EXCEED_DEBITS)
                && credits > u128::from(self.debits_posted))
    }
}

/// An account's balances at one moment, kept for accounts with the `history` flag.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountBalance {
    /// The account.
    pub account_id: u128,
    /// The timestamp of the transfer (or expiry) that produced these balances.
    pub timestamp: u64,
    /// Debits pending after the event.
    pub debits_pending: u64,
    /// Debits posted after the event.
    pub debits_posted: u64,
    /// Credits pending after the event.
    pub credits_pending: u64,
    /// Credits posted after the event.
    pub credits_posted: u64,
}

impl AccountBalance {
    /// The balances of `account` stamped with `timestamp`.
    pub fn of(account: &Account, timestamp: u64) -> Self {
        Self {
            account_id: account.id,
            timestamp,
            debits_pending: account.debits_pending,
            debits_posted: account.debits_posted,
            credits_pending: account.credits_pending,
            credits_posted: account.credits_posted,
        }
    }
}
