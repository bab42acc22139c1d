//! Account and transfer flags: small bit sets with named constants.
//!
//! The bit values are part of the stored format (both stores keep the raw `u16`), so a value is
//! never reused for another meaning.

use serde::{Deserialize, Serialize};

/// Flags of an account.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AccountFlags(u16);

impl AccountFlags {
    /// No flags.
    pub const NONE: Self = Self(0);
    /// This event and the next one succeed or fail together.
    pub const LINKED: Self = Self(1 << 0);
    /// `debits_pending + debits_posted` may never exceed `credits_posted`
    /// (an asset the holder owns: a deposit, a points balance).
    pub const DEBITS_MUST_NOT_EXCEED_CREDITS: Self = Self(1 << 1);
    /// `credits_pending + credits_posted` may never exceed `debits_posted`
    /// (a limit the holder draws on: a credit line).
    pub const CREDITS_MUST_NOT_EXCEED_DEBITS: Self = Self(1 << 2);
    /// Keep a balance snapshot after every transfer that touches the account.
    pub const HISTORY: Self = Self(1 << 3);
    /// The account takes no new transfers (set by a pending closing transfer).
    pub const CLOSED: Self = Self(1 << 4);

    const ALL: u16 = (1 << 5) - 1;

    /// The raw bits, as stored.
    pub const fn bits(self) -> u16 {
        self.0
    }
    /// Flags from stored bits; `None` when an unknown bit is set.
    pub const fn from_bits(bits: u16) -> Option<Self> {
        if bits & !Self::ALL == 0 {
            Some(Self(bits))
        } else {
            None
        }
    }
    /// Whether every flag of `other` is set.
    pub const fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }
    /// Both sets together.
    #[must_use]
    pub const fn union(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }
    /// This set without the flags of `other`.
    #[must_use]
    pub const fn without(self, other: Self) -> Self {
        Self(self.0 & !other.0)
    }
}

/// Flags of a transfer.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TransferFlags(u16);

impl TransferFlags {
    /// No flags: a plain posted transfer.
    pub const NONE: Self = Self(0);
    /// This event and the next one succeed or fail together.
    pub const LINKED: Self = Self(1 << 0);
    /// A two-phase hold: moves the amount into the pending balances.
    pub const PENDING: Self = Self(1 << 1);
    /// Posts (all or part of) the pending transfer named by `pending_id`.
    pub const POST_PENDING: Self = Self(1 << 2);
    /// Voids the pending transfer named by `pending_id`.
    pub const VOID_PENDING: Self = Self(1 << 3);
    /// Transfer at most what the debit account has available, up to `amount`.
    pub const BALANCING_DEBIT: Self = Self(1 << 4);
    /// Transfer at most what the credit account can take, up to `amount`.
    pub const BALANCING_CREDIT: Self = Self(1 << 5);
    /// With `PENDING`: close the debit account while the hold lives (a void re-opens it).
    pub const CLOSING_DEBIT: Self = Self(1 << 6);
    /// With `PENDING`: close the credit account while the hold lives (a void re-opens it).
    pub const CLOSING_CREDIT: Self = Self(1 << 7);

    const ALL: u16 = (1 << 8) - 1;

    /// The raw bits, as stored.
    pub const fn bits(self) -> u16 {
        self.0
    }
    /// Flags from stored bits; `None` when an unknown bit is set.
    pub const fn from_bits(bits: u16) -> Option<Self> {
        if bits & !Self::ALL == 0 {
            Some(Self(bits))
        } else {
            None
        }
    }
    /// Flags from bits, keeping unknown bits so validation can reject them precisely.
    pub const fn from_bits_retain(bits: u16) -> Self {
        Self(bits)
    }
    /// Whether every flag of `other` is set.
    pub const fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }
    /// Both sets together.
    #[must_use]
    pub const fn union(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }
    /// Whether a bit outside the known flags is set.
    pub const fn has_unknown_bits(self) -> bool {
        self.0 & !Self::ALL != 0
    }
}

impl AccountFlags {
    /// Flags from bits, keeping unknown bits so validation can reject them precisely.
    pub const fn from_bits_retain(bits: u16) -> Self {
        Self(bits)
    }
    /// Whether a bit outside the known flags is set.
    pub const fn has_unknown_bits(self) -> bool {
        self.0 & !Self::ALL != 0
    }
}

fn fmt_flags(
    f: &mut std::fmt::Formatter<'_>,
    bits: u16,
    names: &[(u16, &str)],
) -> std::fmt::Result {
    let mut first = true;
    for (bit, name) in names {
        if bits & bit != 0 {
            if !first {
                f.write_str("|")?;
            }
            f.write_str(name)?;
            first = false;
        }
    }
    if first {
        f.write_str("none")?;
    }
    Ok(())
}

impl std::fmt::Debug for AccountFlags {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        fmt_flags(
            f,
            self.0,
            &[
                (Self::LINKED.0, "linked"),
                (
                    Self::DEBITS_MUST_NOT_EXCEED_CREDITS.0,
                    "debits_must_not_exceed_credits",
                ),
                (
                    Self::CREDITS_MUST_NOT_EXCEED_DEBITS.0,
                    "credits_must_not_exceed_debits",
                ),
                (Self::HISTORY.0, "history"),
                (Self::CLOSED.0, "closed"),
            ],
        )
    }
}

impl std::fmt::Debug for TransferFlags {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        fmt_flags(
            f,
            self.0,
            &[
                (Self::LINKED.0, "linked"),
                (Self::PENDING.0, "pending"),
                (Self::POST_PENDING.0, "post_pending"),
                (Self::VOID_PENDING.0, "void_pending"),
                (Self::BALANCING_DEBIT.0, "balancing_debit"),
                (Self::BALANCING_CREDIT.0, "balancing_credit"),
                (Self::CLOSING_DEBIT.0, "closing_debit"),
                (Self::CLOSING_CREDIT.0, "closing_credit"),
            ],
        )
    }
}
