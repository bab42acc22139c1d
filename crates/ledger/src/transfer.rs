//! Transfers: an amount moving from a debit account to a credit account of one ledger.

use serde::{Deserialize, Serialize};

use crate::flags::TransferFlags;

/// A transfer. Submitted with `timestamp = 0`; the ledger stamps it when it applies it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transfer {
    /// Caller-chosen id, unique across the ledger: the idempotency key.
    pub id: u128,
    /// The account debited.
    pub debit_account_id: u128,
    /// The account credited.
    pub credit_account_id: u128,
    /// The amount in the ledger's unit (fen, points). For a post, zero means the whole hold.
    pub amount: u64,
    /// For a post or void: the pending transfer it settles.
    pub pending_id: u128,
    /// Free for the owner's use (an order or statement id, say).
    pub user_data_128: u128,
    /// Free for the owner's use.
    pub user_data_64: u64,
    /// Free for the owner's use.
    pub user_data_32: u32,
    /// For a pending transfer: seconds until it expires by itself (0 = never).
    pub timeout: u32,
    /// The ledger (asset) of both accounts.
    pub ledger: u32,
    /// Why the money moved (a transaction-type code).
    pub code: u16,
    /// Flags.
    pub flags: TransferFlags,
    /// When it was applied, in nanoseconds since the Unix epoch (set by the ledger).
    pub timestamp: u64,
}

/// Where a pending transfer stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PendingStatus {
    /// Holding its amount.
    Pending,
    /// Posted (fully or partly) by a `post_pending` transfer.
    Posted,
    /// Released by a `void_pending` transfer.
    Voided,
    /// Released by its timeout.
    Expired,
}

impl PendingStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Posted => "posted",
            Self::Voided => "voided",
            Self::Expired => "expired",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(Self::Pending),
            "posted" => Some(Self::Posted),
            "voided" => Some(Self::Voided),
            "expired" => Some(Self::Expired),
            _ => None,
        }
    }

    /// The stored small-integer code.
    pub fn code(self) -> i16 {
        match self {
            Self::Pending => 0,
            Self::Posted => 1,
            Self::Voided => 2,
            Self::Expired => 3,
        }
    }

    /// Parses a stored small-integer code.
    pub fn from_code(code: i16) -> Option<Self> {
        match code {
            0 => Some(Self::Pending),
            1 => Some(Self::Posted),
            2 => Some(Self::Voided),
            3 => Some(Self::Expired),
            _ => None,
        }
    }
}
