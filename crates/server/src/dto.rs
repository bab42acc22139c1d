//! The wire format of the ledger API and its parsing into ledger types.
//!
//! Ids are hyphenated UUID strings (the ledger's `u128`), amounts and other counters are JSON
//! integers, flags are lists of snake_case names, timestamps are integer nanoseconds since the
//! Unix epoch. Parsing rejects a whole batch on the first bad event (unknown flag, amount outside
//! `0..=i64::MAX`), so a bad request writes nothing.

use cardlife_app::StoredTransfer;
use cardlife_app::ledger::{
    AMOUNT_MAX, Account, AccountBalance, AccountFlags, PendingStatus, Report, Transfer,
    TransferFlags, Violation,
};
use serde::{Deserialize, Serialize};
use serde_json::Number;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::problem::ApiError;

/// A flag of an account, by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AccountFlagName {
    /// This event and the next one succeed or fail together.
    Linked,
    /// Debits (pending and posted) may never exceed posted credits: an asset the holder owns.
    DebitsMustNotExceedCredits,
    /// Credits (pending and posted) may never exceed posted debits: a limit the holder draws on.
    CreditsMustNotExceedDebits,
    /// Keep a balance snapshot after every transfer (read them at `/balances`).
    History,
    /// The account takes no new transfers.
    Closed,
}

impl AccountFlagName {
    const ALL: [Self; 5] = [
        Self::Linked,
        Self::DebitsMustNotExceedCredits,
        Self::CreditsMustNotExceedDebits,
        Self::History,
        Self::Closed,
    ];

    fn as_str(self) -> &'static str {
        match self {
            Self::Linked => "linked",
            Self::DebitsMustNotExceedCredits => "debits_must_not_exceed_credits",
            Self::CreditsMustNotExceedDebits => "credits_must_not_exceed_debits",
            Self::History => "history",
            Self::Closed => "closed",
        }
    }

    fn flag(self) -> AccountFlags {
        match self {
            Self::Linked => AccountFlags::LINKED,
            Self::DebitsMustNotExceedCredits => AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS,
            Self::CreditsMustNotExceedDebits => AccountFlags::CREDITS_MUST_NOT_EXCEED_DEBITS,
            Self::History => AccountFlags::HISTORY,
            Self::Closed => AccountFlags::CLOSED,
        }
    }
}

/// A flag of a transfer, by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TransferFlagName {
    /// This event and the next one succeed or fail together.
    Linked,
    /// A two-phase hold: the amount moves into the pending balances.
    Pending,
    /// Posts (all or part of) the hold named by `pending_id`.
    PostPending,
    /// Voids the hold named by `pending_id`.
    VoidPending,
    /// Transfer at most what the debit account has available, up to `amount`.
    BalancingDebit,
    /// Transfer at most what the credit account can take, up to `amount`.
    BalancingCredit,
    /// With `pending`: close the debit account while the hold lives.
    ClosingDebit,
    /// With `pending`: close the credit account while the hold lives.
    ClosingCredit,
}

impl TransferFlagName {
    const ALL: [Self; 8] = [
        Self::Linked,
        Self::Pending,
        Self::PostPending,
        Self::VoidPending,
        Self::BalancingDebit,
        Self::BalancingCredit,
        Self::ClosingDebit,
        Self::ClosingCredit,
    ];

    fn as_str(self) -> &'static str {
        match self {
            Self::Linked => "linked",
            Self::Pending => "pending",
            Self::PostPending => "post_pending",
            Self::VoidPending => "void_pending",
            Self::BalancingDebit => "balancing_debit",
            Self::BalancingCredit => "balancing_credit",
            Self::ClosingDebit => "closing_debit",
            Self::ClosingCredit => "closing_credit",
        }
    }

    fn flag(self) -> TransferFlags {
        match self {
            Self::Linked => TransferFlags::LINKED,
            Self::Pending => TransferFlags::PENDING,
            Self::PostPending => TransferFlags::POST_PENDING,
            Self::VoidPending => TransferFlags::VOID_PENDING,
            Self::BalancingDebit => TransferFlags::BALANCING_DEBIT,
            Self::BalancingCredit => TransferFlags::BALANCING_CREDIT,
            Self::ClosingDebit => TransferFlags::CLOSING_DEBIT,
            Self::ClosingCredit => TransferFlags::CLOSING_CREDIT,
        }
    }
}

fn account_flags(names: &[String], index: usize) -> Result<AccountFlags, ApiError> {
    names.iter().try_fold(AccountFlags::NONE, |flags, name| {
        let known = AccountFlagName::ALL
            .into_iter()
            .find(|f| f.as_str() == name);
        known
            .map(|f| flags.union(f.flag()))
            .ok_or_else(|| ApiError::UnknownFlag {
                index,
                name: name.clone(),
            })
    })
}

fn transfer_flags(names: &[String], index: usize) -> Result<TransferFlags, ApiError> {
    names.iter().try_fold(TransferFlags::NONE, |flags, name| {
        let known = TransferFlagName::ALL
            .into_iter()
            .find(|f| f.as_str() == name);
        known
            .map(|f| flags.union(f.flag()))
            .ok_or_else(|| ApiError::UnknownFlag {
                index,
                name: name.clone(),
            })
    })
}

fn account_flag_names(flags: AccountFlags) -> Vec<AccountFlagName> {
    AccountFlagName::ALL
        .into_iter()
        .filter(|f| flags.contains(f.flag()))
        .collect()
}

fn transfer_flag_names(flags: TransferFlags) -> Vec<TransferFlagName> {
    TransferFlagName::ALL
        .into_iter()
        .filter(|f| flags.contains(f.flag()))
        .collect()
}

/// An account to create. Balances start at zero and the ledger sets the timestamp.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAccount {
    /// Caller-chosen, unique; creating the same account again answers `exists`.
    pub id: Uuid,
    /// The asset (currency or points programme); transfers move value within one ledger.
    pub ledger: u32,
    /// What the account is for (a chart-of-accounts code, not 0).
    pub code: u16,
    /// Flag names; an unknown name rejects the whole batch with `UNKNOWN_FLAG`.
    #[serde(default)]
    #[schema(value_type = Vec<AccountFlagName>)]
    pub flags: Vec<String>,
    /// Free for the owner's use (a customer or card id, say).
    #[serde(default)]
    pub user_data_128: Uuid,
    /// Free for the owner's use.
    #[serde(default)]
    pub user_data_64: u64,
    /// Free for the owner's use.
    #[serde(default)]
    pub user_data_32: u32,
}

impl NewAccount {
    /// The ledger account, or the reason this event (at `index`) rejects its batch.
    pub fn parse(self, index: usize) -> Result<Account, ApiError> {
        let flags = account_flags(&self.flags, index)?;
        Ok(Account {
            user_data_128: self.user_data_128.as_u128(),
            user_data_64: self.user_data_64,
            user_data_32: self.user_data_32,
            ..Account::new(self.id.as_u128(), self.ledger, self.code, flags)
        })
    }
}

/// A transfer to apply. Its `id` is the idempotency key: sending the same transfer again
/// answers `exists` and moves nothing; the same id with other fields answers
/// `exists_with_different_…`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTransfer {
    /// Caller-chosen, unique across the ledger: the idempotency key.
    pub id: Uuid,
    /// The account debited (a post or void may leave it out: the hold's is used).
    #[serde(default)]
    pub debit_account_id: Uuid,
    /// The account credited (a post or void may leave it out).
    #[serde(default)]
    pub credit_account_id: Uuid,
    /// In the ledger's unit (fen, points), an integer from 0 to 9223372036854775807. For a
    /// post, 0 or absent means the whole hold.
    #[serde(default)]
    #[schema(value_type = i64, minimum = 0, maximum = 9223372036854775807_i64)]
    pub amount: Option<Number>,
    /// For a post or void: the hold it settles.
    #[serde(default)]
    pub pending_id: Uuid,
    /// Free for the owner's use (an order or statement id, say).
    #[serde(default)]
    pub user_data_128: Uuid,
    /// Free for the owner's use.
    #[serde(default)]
    pub user_data_64: u64,
    /// Free for the owner's use.
    #[serde(default)]
    pub user_data_32: u32,
    /// For a hold: seconds until it expires by itself (0 = never).
    #[serde(default)]
    pub timeout: u32,
    /// The ledger of both accounts (a post or void may leave it out).
    #[serde(default)]
    pub ledger: u32,
    /// Why the money moved (a transaction-type code; a post or void may leave it out).
    #[serde(default)]
    pub code: u16,
    /// Flag names; an unknown name rejects the whole batch with `UNKNOWN_FLAG`.
    #[serde(default)]
    #[schema(value_type = Vec<TransferFlagName>)]
    pub flags: Vec<String>,
}

impl NewTransfer {
    /// The ledger transfer, or the reason this event (at `index`) rejects its batch.
    pub fn parse(self, index: usize) -> Result<Transfer, ApiError> {
        let amount = match &self.amount {
            None => 0,
            Some(n) => n
                .as_u64()
                .filter(|a| *a <= AMOUNT_MAX)
                .ok_or(ApiError::AmountOutOfRange { index })?,
        };
        let flags = transfer_flags(&self.flags, index)?;
        Ok(Transfer {
            id: self.id.as_u128(),
            debit_account_id: self.debit_account_id.as_u128(),
            credit_account_id: self.credit_account_id.as_u128(),
            amount,
            pending_id: self.pending_id.as_u128(),
            user_data_128: self.user_data_128.as_u128(),
            user_data_64: self.user_data_64,
            user_data_32: self.user_data_32,
            timeout: self.timeout,
            ledger: self.ledger,
            code: self.code,
            flags,
            timestamp: 0,
        })
    }
}

/// The outcome of one event of a batch.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventResult {
    /// The event's position in the batch.
    pub index: usize,
    /// The event's id.
    pub id: Uuid,
    /// `ok`, or the ledger's precise reason (`exists`, `exceeds_credits`,
    /// `debit_account_not_found`, `linked_event_failed`, …). Names are stable.
    #[schema(example = "ok")]
    pub result: &'static str,
}

/// One result per event, in order. The answer is 200 even when events failed: each has its own
/// result, and the events that answer `ok` were applied (and are durable).
#[derive(Debug, Serialize, ToSchema)]
pub struct BatchResults {
    /// One per event.
    pub results: Vec<EventResult>,
}

/// An account and its balances.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountView {
    /// The account id.
    pub id: Uuid,
    /// The ledger.
    pub ledger: u32,
    /// The chart-of-accounts code.
    pub code: u16,
    /// Flag names.
    pub flags: Vec<AccountFlagName>,
    /// Debits held by pending transfers.
    pub debits_pending: u64,
    /// Debits posted.
    pub debits_posted: u64,
    /// Credits held by pending transfers.
    pub credits_pending: u64,
    /// Credits posted.
    pub credits_posted: u64,
    /// Owner's data.
    pub user_data_128: Uuid,
    /// Owner's data.
    pub user_data_64: u64,
    /// Owner's data.
    pub user_data_32: u32,
    /// When it was created, in nanoseconds since the Unix epoch.
    pub timestamp: u64,
}

impl From<Account> for AccountView {
    fn from(a: Account) -> Self {
        Self {
            id: Uuid::from_u128(a.id),
            ledger: a.ledger,
            code: a.code,
            flags: account_flag_names(a.flags),
            debits_pending: a.debits_pending,
            debits_posted: a.debits_posted,
            credits_pending: a.credits_pending,
            credits_posted: a.credits_posted,
            user_data_128: Uuid::from_u128(a.user_data_128),
            user_data_64: a.user_data_64,
            user_data_32: a.user_data_32,
            timestamp: a.timestamp,
        }
    }
}

/// Where a hold stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HoldStatus {
    /// Holding its amount.
    Pending,
    /// Posted (fully or partly).
    Posted,
    /// Released by a void.
    Voided,
    /// Released by its timeout.
    Expired,
}

impl From<PendingStatus> for HoldStatus {
    fn from(s: PendingStatus) -> Self {
        match s {
            PendingStatus::Pending => Self::Pending,
            PendingStatus::Posted => Self::Posted,
            PendingStatus::Voided => Self::Voided,
            PendingStatus::Expired => Self::Expired,
        }
    }
}

/// A transfer as applied.
#[derive(Debug, Serialize, ToSchema)]
pub struct TransferView {
    /// The transfer id (its idempotency key).
    pub id: Uuid,
    /// The account debited.
    pub debit_account_id: Uuid,
    /// The account credited.
    pub credit_account_id: Uuid,
    /// The amount moved (for a post: the amount posted).
    pub amount: u64,
    /// For a post or void: the hold it settled (the nil UUID otherwise).
    pub pending_id: Uuid,
    /// Owner's data.
    pub user_data_128: Uuid,
    /// Owner's data.
    pub user_data_64: u64,
    /// Owner's data.
    pub user_data_32: u32,
    /// For a hold: seconds until it expires (0 = never).
    pub timeout: u32,
    /// The ledger.
    pub ledger: u32,
    /// The transaction-type code.
    pub code: u16,
    /// Flag names.
    pub flags: Vec<TransferFlagName>,
    /// When it was applied, in nanoseconds since the Unix epoch.
    pub timestamp: u64,
    /// For a hold (`pending` flag) read by id: where it stands. Absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending_status: Option<HoldStatus>,
}

impl From<Transfer> for TransferView {
    fn from(t: Transfer) -> Self {
        Self {
            id: Uuid::from_u128(t.id),
            debit_account_id: Uuid::from_u128(t.debit_account_id),
            credit_account_id: Uuid::from_u128(t.credit_account_id),
            amount: t.amount,
            pending_id: Uuid::from_u128(t.pending_id),
            user_data_128: Uuid::from_u128(t.user_data_128),
            user_data_64: t.user_data_64,
            user_data_32: t.user_data_32,
            timeout: t.timeout,
            ledger: t.ledger,
            code: t.code,
            flags: transfer_flag_names(t.flags),
            timestamp: t.timestamp,
            pending_status: None,
        }
    }
}

impl From<StoredTransfer> for TransferView {
    fn from(s: StoredTransfer) -> Self {
        Self {
            pending_status: s.pending_status.map(HoldStatus::from),
            ..Self::from(s.transfer)
        }
    }
}

/// An account's transfers, in timestamp order.
#[derive(Debug, Serialize, ToSchema)]
pub struct TransferList {
    /// The transfers.
    pub transfers: Vec<TransferView>,
}

/// An account's balances after one event.
#[derive(Debug, Serialize, ToSchema)]
pub struct BalanceView {
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

impl From<AccountBalance> for BalanceView {
    fn from(b: AccountBalance) -> Self {
        Self {
            timestamp: b.timestamp,
            debits_pending: b.debits_pending,
            debits_posted: b.debits_posted,
            credits_pending: b.credits_pending,
            credits_posted: b.credits_posted,
        }
    }
}

/// An account's balance history (kept for accounts with the `history` flag).
#[derive(Debug, Serialize, ToSchema)]
pub struct BalanceList {
    /// The account.
    pub account_id: Uuid,
    /// Its balances, in timestamp order.
    pub balances: Vec<BalanceView>,
}

/// The most rows a list answers when `limit` is not given.
pub const PAGE_SIZE_DEFAULT: u32 = 100;

/// Which of an account's transfers or balances to list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RangeQuery {
    /// Earliest timestamp (ns), inclusive; 0 or absent: from the start.
    #[serde(default)]
    pub timestamp_min: u64,
    /// Latest timestamp (ns), inclusive; 0 or absent: to the end.
    #[serde(default)]
    pub timestamp_max: u64,
    /// At most this many rows, 1 to 8190 (default 100).
    #[serde(default = "page_size_default")]
    #[param(minimum = 1, maximum = 8190)]
    pub limit: u32,
    /// Newest first.
    #[serde(default)]
    pub reversed: bool,
}

fn page_size_default() -> u32 {
    PAGE_SIZE_DEFAULT
}

/// One broken invariant.
#[derive(Debug, Serialize, ToSchema)]
pub struct ViolationView {
    /// Which invariant, e.g. `balance_mismatch`, `ledger_unbalanced`.
    pub kind: &'static str,
    /// What is wrong.
    pub detail: String,
}

impl From<&Violation> for ViolationView {
    fn from(v: &Violation) -> Self {
        let kind = match v {
            Violation::UnknownAccount { .. } => "unknown_account",
            Violation::MalformedTransfer { .. } => "malformed_transfer",
            Violation::LedgerMismatch { .. } => "ledger_mismatch",
            Violation::BalanceMismatch { .. } => "balance_mismatch",
            Violation::LimitExceeded { .. } => "limit_exceeded",
            Violation::LedgerUnbalanced { .. } => "ledger_unbalanced",
            Violation::BadSettlement { .. } => "bad_settlement",
            Violation::PendingStatusMismatch { .. } => "pending_status_mismatch",
        };
        Self {
            kind,
            detail: v.to_string(),
        }
    }
}

/// What the invariant check found: every balance rebuilt from the transfers and compared.
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckReport {
    /// Whether every invariant holds.
    pub ok: bool,
    /// Accounts checked.
    pub accounts: u64,
    /// Transfers checked.
    pub transfers: u64,
    /// Ledgers seen.
    pub ledgers: u64,
    /// What is wrong; empty when `ok`.
    pub violations: Vec<ViolationView>,
}

impl From<Report> for CheckReport {
    fn from(r: Report) -> Self {
        Self {
            ok: r.ok(),
            accounts: r.accounts,
            transfers: r.transfers,
            ledgers: r.ledgers,
            violations: r.violations.iter().map(ViolationView::from).collect(),
        }
    }
}

/// The answer of `/health`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok` whenever the process answers.
    #[schema(example = "ok")]
    pub status: &'static str,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn every_known_transfer_flag_bit_has_exactly_one_name() {
        for bit in 0..16 {
            let known = TransferFlags::from_bits(1 << bit).is_some();
            let named = TransferFlagName::ALL
                .iter()
                .filter(|f| f.flag().bits() == 1 << bit)
                .count();
            assert_eq!(named, usize::from(known), "bit {bit}");
        }
    }

    #[test]
    fn every_known_account_flag_bit_has_exactly_one_name() {
        for bit in 0..16 {
            let known = AccountFlags::from_bits(1 << bit).is_some();
            let named = AccountFlagName::ALL
                .iter()
                .filter(|f| f.flag().bits() == 1 << bit)
                .count();
            assert_eq!(named, usize::from(known), "bit {bit}");
        }
    }

    #[test]
    fn flag_names_on_the_wire_are_the_names_parsed() {
        for f in TransferFlagName::ALL {
            assert_eq!(
                serde_json::to_string(&f).unwrap(),
                format!("\"{}\"", f.as_str())
            );
        }
        for f in AccountFlagName::ALL {
            assert_eq!(
                serde_json::to_string(&f).unwrap(),
                format!("\"{}\"", f.as_str())
            );
        }
    }

    #[test]
    fn flags_round_trip_through_their_names() {
        let names = vec!["pending".to_owned(), "linked".to_owned()];
        let flags = transfer_flags(&names, 0).unwrap();
        assert_eq!(flags, TransferFlags::PENDING.union(TransferFlags::LINKED));
        assert_eq!(
            transfer_flag_names(flags),
            [TransferFlagName::Linked, TransferFlagName::Pending]
        );
    }

    #[test]
    fn an_unknown_flag_name_names_its_event() {
        let err = transfer_flags(&["pendng".to_owned()], 3).unwrap_err();
        assert!(matches!(err, ApiError::UnknownFlag { index: 3, ref name } if name == "pendng"));
    }

    fn transfer_with_amount(amount: &str) -> Result<Transfer, ApiError> {
        let text = format!(r#"{{"id":"0190a0a0-0000-7000-8000-000000000001","amount":{amount}}}"#);
        serde_json::from_str::<NewTransfer>(&text).unwrap().parse(0)
    }

    #[test]
    fn amounts_outside_zero_to_i64_max_are_out_of_range() {
        assert_eq!(transfer_with_amount("0").unwrap().amount, 0);
        assert_eq!(
            transfer_with_amount("9223372036854775807").unwrap().amount,
            AMOUNT_MAX
        );
        for bad in [
            "-1",
            "9223372036854775808",
            "18446744073709551616",
            "1e30",
            "1.5",
        ] {
            assert!(
                matches!(
                    transfer_with_amount(bad),
                    Err(ApiError::AmountOutOfRange { index: 0 })
                ),
                "{bad}"
            );
        }
    }
}
