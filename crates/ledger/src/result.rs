//! The result of every event: `ok`, or the precise reason it was not applied.
//!
//! Names are stable: clients match on them, the API returns them, and they are never renamed.

use serde::{Deserialize, Serialize};

/// Why an account was (or was not) created.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CreateAccountResult {
    /// Created.
    Ok,
    /// Another event of its linked chain failed, so this one was not applied.
    LinkedEventFailed,
    /// The batch ended inside a linked chain.
    LinkedEventChainOpen,
    /// The caller set the timestamp; the ledger sets it.
    TimestampMustBeZero,
    /// A flag bit the ledger does not know.
    ReservedFlag,
    /// Id 0 is reserved.
    IdMustNotBeZero,
    /// Id `u128::MAX` is reserved.
    IdMustNotBeIntMax,
    /// Both limit flags, or `closed` at creation.
    FlagsAreMutuallyExclusive,
    /// Balances start at zero.
    DebitsPendingMustBeZero,
    /// Balances start at zero.
    DebitsPostedMustBeZero,
    /// Balances start at zero.
    CreditsPendingMustBeZero,
    /// Balances start at zero.
    CreditsPostedMustBeZero,
    /// Ledger 0 is reserved.
    LedgerMustNotBeZero,
    /// Code 0 is reserved.
    CodeMustNotBeZero,
    /// The id exists with other flags.
    ExistsWithDifferentFlags,
    /// The id exists with other user data.
    ExistsWithDifferentUserData128,
    /// The id exists with other user data.
    ExistsWithDifferentUserData64,
    /// The id exists with other user data.
    ExistsWithDifferentUserData32,
    /// The id exists on another ledger.
    ExistsWithDifferentLedger,
    /// The id exists with another code.
    ExistsWithDifferentCode,
    /// The same account was created before: nothing changed.
    Exists,
}

/// Why a transfer was (or was not) applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CreateTransferResult {
    /// Applied.
    Ok,
    /// Another event of its linked chain failed, so this one was not applied.
    LinkedEventFailed,
    /// The batch ended inside a linked chain.
    LinkedEventChainOpen,
    /// The caller set the timestamp; the ledger sets it.
    TimestampMustBeZero,
    /// A flag bit the ledger does not know.
    ReservedFlag,
    /// Id 0 is reserved.
    IdMustNotBeZero,
    /// Id `u128::MAX` is reserved.
    IdMustNotBeIntMax,
    /// Flags that cannot go together (pending with post, post with void, balancing with post…).
    FlagsAreMutuallyExclusive,
    /// Debit account id 0 is reserved.
    DebitAccountIdMustNotBeZero,
    /// Debit account id `u128::MAX` is reserved.
    DebitAccountIdMustNotBeIntMax,
    /// Credit account id 0 is reserved.
    CreditAccountIdMustNotBeZero,
    /// Credit account id `u128::MAX` is reserved.
    CreditAccountIdMustNotBeIntMax,
    /// Debit and credit are the same account.
    AccountsMustBeDifferent,
    /// Only a post or a void names a pending transfer.
    PendingIdMustBeZero,
    /// A post or a void must name its pending transfer.
    PendingIdMustNotBeZero,
    /// Pending id `u128::MAX` is reserved.
    PendingIdMustNotBeIntMax,
    /// A post or void cannot name itself.
    PendingIdMustBeDifferent,
    /// Only a pending transfer has a timeout.
    TimeoutReservedForPendingTransfer,
    /// A closing flag without the pending flag.
    ClosingTransferMustBePending,
    /// Zero is not an amount.
    AmountMustNotBeZero,
    /// The amount is above the largest storable balance.
    AmountExceedsMaximum,
    /// Ledger 0 is reserved.
    LedgerMustNotBeZero,
    /// Code 0 is reserved.
    CodeMustNotBeZero,
    /// No account has the debit account id.
    DebitAccountNotFound,
    /// No account has the credit account id.
    CreditAccountNotFound,
    /// The two accounts are on different ledgers.
    AccountsMustHaveTheSameLedger,
    /// The transfer's ledger is not its accounts' ledger.
    TransferMustHaveTheSameLedgerAsAccounts,
    /// No transfer has the pending id.
    PendingTransferNotFound,
    /// The transfer named by the pending id is not a pending transfer.
    PendingTransferNotPending,
    /// The post or void names another debit account than the hold.
    PendingTransferHasDifferentDebitAccountId,
    /// The post or void names another credit account than the hold.
    PendingTransferHasDifferentCreditAccountId,
    /// The post or void names another ledger than the hold.
    PendingTransferHasDifferentLedger,
    /// The post or void names another code than the hold.
    PendingTransferHasDifferentCode,
    /// A post for more than the hold.
    ExceedsPendingTransferAmount,
    /// A void for another amount than the hold.
    PendingTransferHasDifferentAmount,
    /// The hold was posted already.
    PendingTransferAlreadyPosted,
    /// The hold was voided already.
    PendingTransferAlreadyVoided,
    /// The hold expired by its timeout.
    PendingTransferExpired,
    /// The id exists with other flags.
    ExistsWithDifferentFlags,
    /// The id exists with another pending id.
    ExistsWithDifferentPendingId,
    /// The id exists with another debit account.
    ExistsWithDifferentDebitAccountId,
    /// The id exists with another credit account.
    ExistsWithDifferentCreditAccountId,
    /// The id exists with another amount.
    ExistsWithDifferentAmount,
    /// The id exists with other user data.
    ExistsWithDifferentUserData128,
    /// The id exists with other user data.
    ExistsWithDifferentUserData64,
    /// The id exists with other user data.
    ExistsWithDifferentUserData32,
    /// The id exists with another timeout.
    ExistsWithDifferentTimeout,
    /// The id exists on another ledger.
    ExistsWithDifferentLedger,
    /// The id exists with another code.
    ExistsWithDifferentCode,
    /// The same transfer was applied before: nothing changed (idempotent replay).
    Exists,
    /// The debit account's pending debits would overflow.
    OverflowsDebitsPending,
    /// The credit account's pending credits would overflow.
    OverflowsCreditsPending,
    /// The debit account's posted debits would overflow.
    OverflowsDebitsPosted,
    /// The credit account's posted credits would overflow.
    OverflowsCreditsPosted,
    /// The debit account's debits (pending + posted) would overflow.
    OverflowsDebits,
    /// The credit account's credits (pending + posted) would overflow.
    OverflowsCredits,
    /// The timeout would overflow the timestamp.
    OverflowsTimeout,
    /// The debit account's debits would exceed its credits.
    ExceedsCredits,
    /// The credit account's credits would exceed its debits.
    ExceedsDebits,
    /// The debit account is closed.
    DebitAccountAlreadyClosed,
    /// The credit account is closed.
    CreditAccountAlreadyClosed,
}

impl CreateAccountResult {
    /// Whether the account now exists as asked (`ok` or an identical `exists`).
    pub fn is_success(self) -> bool {
        matches!(self, Self::Ok | Self::Exists)
    }

    /// The stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::LinkedEventFailed => "linked_event_failed",
            Self::LinkedEventChainOpen => "linked_event_chain_open",
            Self::TimestampMustBeZero => "timestamp_must_be_zero",
            Self::ReservedFlag => "reserved_flag",
            Self::IdMustNotBeZero => "id_must_not_be_zero",
            Self::IdMustNotBeIntMax => "id_must_not_be_int_max",
            Self::FlagsAreMutuallyExclusive => "flags_are_mutually_exclusive",
            Self::DebitsPendingMustBeZero => "debits_pending_must_be_zero",
            Self::DebitsPostedMustBeZero => "debits_posted_must_be_zero",
            Self::CreditsPendingMustBeZero => "credits_pending_must_be_zero",
            Self::CreditsPostedMustBeZero => "credits_posted_must_be_zero",
            Self::LedgerMustNotBeZero => "ledger_must_not_be_zero",
            Self::CodeMustNotBeZero => "code_must_not_be_zero",
            Self::ExistsWithDifferentFlags => "exists_with_different_flags",
            Self::ExistsWithDifferentUserData128 => "exists_with_different_user_data_128",
            Self::ExistsWithDifferentUserData64 => "exists_with_different_user_data_64",
            Self::ExistsWithDifferentUserData32 => "exists_with_different_user_data_32",
            Self::ExistsWithDifferentLedger => "exists_with_different_ledger",
            Self::ExistsWithDifferentCode => "exists_with_different_code",
            Self::Exists => "exists",
        }
    }
}

impl CreateTransferResult {
    /// Whether the transfer now exists as asked (`ok` or an identical `exists`).
    pub fn is_success(self) -> bool {
        matches!(self, Self::Ok | Self::Exists)
    }

    /// The stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::LinkedEventFailed => "linked_event_failed",
            Self::LinkedEventChainOpen => "linked_event_chain_open",
            Self::TimestampMustBeZero => "timestamp_must_be_zero",
            Self::ReservedFlag => "reserved_flag",
            Self::IdMustNotBeZero => "id_must_not_be_zero",
            Self::IdMustNotBeIntMax => "id_must_not_be_int_max",
            Self::FlagsAreMutuallyExclusive => "flags_are_mutually_exclusive",
            Self::DebitAccountIdMustNotBeZero => "debit_account_id_must_not_be_zero",
            Self::DebitAccountIdMustNotBeIntMax => "debit_account_id_must_not_be_int_max",
            Self::CreditAccountIdMustNotBeZero => "credit_account_id_must_not_be_zero",
            Self::CreditAccountIdMustNotBeIntMax => "credit_account_id_must_not_be_int_max",
            Self::AccountsMustBeDifferent => "accounts_must_be_different",
            Self::PendingIdMustBeZero => "pending_id_must_be_zero",
            Self::PendingIdMustNotBeZero => "pending_id_must_not_be_zero",
            Self::PendingIdMustNotBeIntMax => "pending_id_must_not_be_int_max",
            Self::PendingIdMustBeDifferent => "pending_id_must_be_different",
            Self::TimeoutReservedForPendingTransfer => "timeout_reserved_for_pending_transfer",
            Self::ClosingTransferMustBePending => "closing_transfer_must_be_pending",
            Self::AmountMustNotBeZero => "amount_must_not_be_zero",
            Self::AmountExceedsMaximum => "amount_exceeds_maximum",
            Self::LedgerMustNotBeZero => "ledger_must_not_be_zero",
            Self::CodeMustNotBeZero => "code_must_not_be_zero",
            Self::DebitAccountNotFound => "debit_account_not_found",
            Self::CreditAccountNotFound => "credit_account_not_found",
            Self::AccountsMustHaveTheSameLedger => "accounts_must_have_the_same_ledger",
            Self::TransferMustHaveTheSameLedgerAsAccounts => {
                "transfer_must_have_the_same_ledger_as_accounts"
            }
            Self::PendingTransferNotFound => "pending_transfer_not_found",
            Self::PendingTransferNotPending => "pending_transfer_not_pending",
            Self::PendingTransferHasDifferentDebitAccountId => {
                "pending_transfer_has_different_debit_account_id"
            }
            Self::PendingTransferHasDifferentCreditAccountId => {
                "pending_transfer_has_different_credit_account_id"
            }
            Self::PendingTransferHasDifferentLedger => "pending_transfer_has_different_ledger",
            Self::PendingTransferHasDifferentCode => "pending_transfer_has_different_code",
            Self::ExceedsPendingTransferAmount => "exceeds_pending_transfer_amount",
            Self::PendingTransferHasDifferentAmount => "pending_transfer_has_different_amount",
            Self::PendingTransferAlreadyPosted => "pending_transfer_already_posted",
            Self::PendingTransferAlreadyVoided => "pending_transfer_already_voided",
            Self::PendingTransferExpired => "pending_transfer_expired",
            Self::ExistsWithDifferentFlags => "exists_with_different_flags",
            Self::ExistsWithDifferentPendingId => "exists_with_different_pending_id",
            Self::ExistsWithDifferentDebitAccountId => "exists_with_different_debit_account_id",
            Self::ExistsWithDifferentCreditAccountId => "exists_with_different_credit_account_id",
            Self::ExistsWithDifferentAmount => "exists_with_different_amount",
            Self::ExistsWithDifferentUserData128 => "exists_with_different_user_data_128",
            Self::ExistsWithDifferentUserData64 => "exists_with_different_user_data_64",
            Self::ExistsWithDifferentUserData32 => "exists_with_different_user_data_32",
            Self::ExistsWithDifferentTimeout => "exists_with_different_timeout",
            Self::ExistsWithDifferentLedger => "exists_with_different_ledger",
            Self::ExistsWithDifferentCode => "exists_with_different_code",
            Self::Exists => "exists",
            Self::OverflowsDebitsPending => "overflows_debits_pending",
            Self::OverflowsCreditsPending => "overflows_credits_pending",
            Self::OverflowsDebitsPosted => "overflows_debits_posted",
            Self::OverflowsCreditsPosted => "overflows_credits_posted",
            Self::OverflowsDebits => "overflows_debits",
            Self::OverflowsCredits => "overflows_credits",
            Self::OverflowsTimeout => "overflows_timeout",
            Self::ExceedsCredits => "exceeds_credits",
            Self::ExceedsDebits => "exceeds_debits",
            Self::DebitAccountAlreadyClosed => "debit_account_already_closed",
            Self::CreditAccountAlreadyClosed => "credit_account_already_closed",
        }
    }
}

impl std::fmt::Display for CreateAccountResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Display for CreateTransferResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
