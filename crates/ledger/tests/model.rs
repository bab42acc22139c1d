#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Model-based property test of the ledger state machine.
//!
//! [`Model`] is a deliberately naive reference written from the ledger's semantics (TigerBeetle's),
//! not from `state.rs`:
//!
//! - it stores only what happened: the accounts as created, every applied transfer as stored,
//!   and the status of every hold;
//! - balances are recomputed from scratch, on every read, by folding over all stored transfers
//!   (a hold counts in the pending balances while its status is `pending`; a post counts in the
//!   posted balances; a void counts nowhere);
//! - an account is closed exactly while a closing hold on it is pending or posted;
//! - every chain (a single event is a chain of one) is applied to a clone of the model, and the
//!   clone is kept only if every event of the chain succeeded.
//!
//! The order in which validation failures are reported (which code wins when a request is wrong
//! in several ways at once) follows the crate's precedence, which is TigerBeetle's with a few
//! reorderings (see the notes at `Model::create_transfer`). Timestamps follow the crate's rule
//! (each applied event or expiry takes `max(now, last + 1)`; a rolled-back chain's timestamps are
//! not reused), and a batch is "at time `now`": holds whose expiry is at or before `now` expire
//! before its first event.
//!
//! Where the model deliberately disagrees with the implementation, it follows TigerBeetle: when
//! a post or void is replayed, a zero amount or zero user data means "as the hold" (the whole
//! hold, the hold's user data), not "anything" — see `Model::exists` and the matching tests in
//! `results.rs`.
//!
//! Random scenarios — account batches, then batches of plain transfers, holds with and without
//! timeouts, posts (full, partial, zero = whole), voids, balancing transfers, linked chains
//! (complete, failing and left open), replays of earlier events with the same or a changed body,
//! raw events with arbitrary fields, and clock moves that land exactly on hold expiries — are
//! driven through both the model and the real [`Ledger`]. After every batch the test asserts that
//! results, accounts (balances, flags, timestamps), stored transfers and hold statuses agree; that
//! the batch's [`ChangeSet`] lists exactly what the batch did (new accounts with final values,
//! updated accounts once each and only those an applied event touched, transfers, status changes
//! and history rows in order; nothing from a rolled-back chain); and that [`Checker`] finds no
//! violation in the ledger's own state (every transfer balances, debits equal credits per ledger,
//! no account beyond its limit, pending balances equal the live holds).
//!
//! `model_check_catches_a_void_that_forgets_to_release` is the negative control: the same
//! property, run on a ledger wrapper with a planted bug, must fail.

use std::collections::{BTreeMap, BTreeSet};

use cardlife_ledger::{
    AMOUNT_MAX, Account, AccountBalance, AccountFlags, ChangeSet, Checker,
    CreateAccountResult as AR, CreateTransferResult as TR, Ledger, PendingStatus, Transfer,
    TransferFlags,
};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestCaseError, TestError, TestRng, TestRunner};

const NANOS_PER_SECOND: u64 = 1_000_000_000;
/// The clock at the first batch (2023-11-14, in nanoseconds).
const START: u64 = 1_700_000_000 * NANOS_PER_SECOND;
/// Accounts 1..=6 may exist; 7 never does.
const ACCOUNT_IDS: u8 = 6;
/// Transfer ids 1..=40: small enough that ids collide and replays happen.
const TRANSFER_IDS: u8 = 40;

// =============================================================================================
// The reference model
// =============================================================================================

#[derive(Clone, Debug, Default)]
struct Model {
    /// Accounts as created (zero balances, no `closed` flag): balances and `closed` are derived.
    accounts: BTreeMap<u128, Account>,
    /// Every applied transfer, as stored (resolved accounts and amount), in order.
    transfers: Vec<Transfer>,
    /// Status and expiry (0 = never) of every hold.
    holds: BTreeMap<u128, (PendingStatus, u64)>,
    /// The last timestamp given to an event. Timestamps are never reused, not even those of a
    /// chain that was rolled back.
    clock: u64,
    /// What the current batch did (reset by the driver before each batch; a rolled-back chain's
    /// entries go with its discarded clone).
    batch: BatchLog,
}

/// What one batch did, as the ledger's change set should report it.
#[derive(Clone, Debug, Default)]
struct BatchLog {
    /// Accounts created, in order.
    created: Vec<u128>,
    /// Accounts whose balances an applied event moved.
    touched: BTreeSet<u128>,
    /// Hold status changes, in order.
    statuses: Vec<(u128, PendingStatus)>,
    /// Balances after each event, for accounts with the history flag.
    history: Vec<AccountBalance>,
}

/// debits_pending, debits_posted, credits_pending, credits_posted.
type Balances = [u128; 4];
const DP: usize = 0;
const DPO: usize = 1;
const CP: usize = 2;
const CPO: usize = 3;

impl Model {
    fn tick(&mut self, now: u64) -> u64 {
        self.clock = now.max(self.clock + 1);
        self.clock
    }

    fn transfer(&self, id: u128) -> Option<&Transfer> {
        self.transfers.iter().find(|t| t.id == id)
    }

    fn status(&self, hold: u128) -> Option<PendingStatus> {
        self.holds.get(&hold).map(|h| h.0)
    }

    /// Recomputed from every stored transfer.
    fn balances(&self, account: u128) -> Balances {
        let mut b = [0u128; 4];
        for t in &self.transfers {
            let (debit, credit) = if t.flags.contains(TransferFlags::PENDING) {
                if self.status(t.id) != Some(PendingStatus::Pending) {
                    continue;
                }
                (DP, CP)
            } else if t.flags.contains(TransferFlags::VOID_PENDING) {
                continue;
            } else {
                // Plain transfers and posts.
                (DPO, CPO)
            };
            if t.debit_account_id == account {
                b[debit] += u128::from(t.amount);
            }
            if t.credit_account_id == account {
                b[credit] += u128::from(t.amount);
            }
        }
        b
    }

    /// Closed while a closing hold on it lives or after one was posted.
    fn closed(&self, account: u128) -> bool {
        self.transfers.iter().any(|t| {
            t.flags.contains(TransferFlags::PENDING)
                && matches!(
                    self.status(t.id),
                    Some(PendingStatus::Pending | PendingStatus::Posted)
                )
                && ((t.flags.contains(TransferFlags::CLOSING_DEBIT)
                    && t.debit_account_id == account)
                    || (t.flags.contains(TransferFlags::CLOSING_CREDIT)
                        && t.credit_account_id == account))
        })
    }

    /// The account as the ledger should hold it now (timestamp left as created).
    fn account_now(&self, id: u128) -> Option<Account> {
        let a = *self.accounts.get(&id)?;
        let b = self
            .balances(id)
            .map(|v| u64::try_from(v).expect("balances fit u64"));
        let flags = if self.closed(id) {
            a.flags.union(AccountFlags::CLOSED)
        } else {
            a.flags
        };
        Some(Account {
            debits_pending: b[DP],
            debits_posted: b[DPO],
            credits_pending: b[CP],
            credits_posted: b[CPO],
            flags,
            ..a
        })
    }

    /// Logs that an event stamped `timestamp` moved the balances of these two accounts.
    fn touch(&mut self, debit: u128, credit: u128, timestamp: u64) {
        for id in [debit, credit] {
            self.batch.touched.insert(id);
            let now = self.account_now(id).expect("a touched account exists");
            if now.flags.contains(AccountFlags::HISTORY) {
                self.batch.history.push(AccountBalance::of(&now, timestamp));
            }
        }
    }

    // ----- batches -----

    fn create_accounts(&mut self, batch: &[Account], now: u64) -> Vec<AR> {
        chains(
            self,
            batch,
            |a| a.flags.contains(AccountFlags::LINKED),
            |m, a| m.create_account(a, now),
            [AR::Ok, AR::LinkedEventFailed, AR::LinkedEventChainOpen],
        )
    }

    fn create_transfers(&mut self, batch: &[Transfer], now: u64) -> Vec<TR> {
        self.expire(now);
        chains(
            self,
            batch,
            |t| t.flags.contains(TransferFlags::LINKED),
            |m, t| m.create_transfer(t, now),
            [TR::Ok, TR::LinkedEventFailed, TR::LinkedEventChainOpen],
        )
    }

    /// Every live hold whose expiry is at or before `now` expires, earliest first.
    fn expire(&mut self, now: u64) {
        let mut due: Vec<(u64, u128)> = self
            .holds
            .iter()
            .filter(|(_, (s, at))| *s == PendingStatus::Pending && *at != 0 && *at <= now)
            .map(|(id, (_, at))| (*at, *id))
            .collect();
        due.sort_unstable();
        for (_, id) in due {
            let timestamp = self.tick(now);
            self.holds.insert(id, (PendingStatus::Expired, 0));
            self.batch.statuses.push((id, PendingStatus::Expired));
            let hold = *self.transfer(id).expect("a hold is stored");
            self.touch(hold.debit_account_id, hold.credit_account_id, timestamp);
        }
    }

    fn create_account(&mut self, a: &Account, now: u64) -> AR {
        let f = a.flags;
        let both_limits = f.contains(AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS)
            && f.contains(AccountFlags::CREDITS_MUST_NOT_EXCEED_DEBITS);
        let invalid = [
            (a.timestamp != 0, AR::TimestampMustBeZero),
            (f.has_unknown_bits(), AR::ReservedFlag),
            (a.id == 0, AR::IdMustNotBeZero),
            (a.id == u128::MAX, AR::IdMustNotBeIntMax),
            (
                both_limits || f.contains(AccountFlags::CLOSED),
                AR::FlagsAreMutuallyExclusive,
            ),
            (a.debits_pending != 0, AR::DebitsPendingMustBeZero),
            (a.debits_posted != 0, AR::DebitsPostedMustBeZero),
            (a.credits_pending != 0, AR::CreditsPendingMustBeZero),
            (a.credits_posted != 0, AR::CreditsPostedMustBeZero),
            (a.ledger == 0, AR::LedgerMustNotBeZero),
            (a.code == 0, AR::CodeMustNotBeZero),
        ];
        if let Some((_, r)) = invalid.into_iter().find(|(bad, _)| *bad) {
            return r;
        }
        if let Some(e) = self.accounts.get(&a.id) {
            // `linked` is about the batch, `closed` about later transfers: neither is part of
            // what was created.
            let bare = |f: AccountFlags| {
                f.without(AccountFlags::LINKED)
                    .without(AccountFlags::CLOSED)
            };
            let differs = [
                (bare(a.flags) != bare(e.flags), AR::ExistsWithDifferentFlags),
                (
                    a.user_data_128 != e.user_data_128,
                    AR::ExistsWithDifferentUserData128,
                ),
                (
                    a.user_data_64 != e.user_data_64,
                    AR::ExistsWithDifferentUserData64,
                ),
                (
                    a.user_data_32 != e.user_data_32,
                    AR::ExistsWithDifferentUserData32,
                ),
                (a.ledger != e.ledger, AR::ExistsWithDifferentLedger),
                (a.code != e.code, AR::ExistsWithDifferentCode),
            ];
            return differs
                .into_iter()
                .find(|(bad, _)| *bad)
                .map_or(AR::Exists, |(_, r)| r);
        }
        let timestamp = self.tick(now);
        self.accounts.insert(a.id, Account { timestamp, ..*a });
        self.batch.created.push(a.id);
        AR::Ok
    }

    /// Precedence notes (where the crate deliberately differs from TigerBeetle's order, the
    /// model follows the crate, and only the code reported for a doubly-wrong request changes):
    /// `closing_transfer_must_be_pending` and `amount_exceeds_maximum` are checked with the
    /// flags; the id's idempotency check comes right after the shape checks (before account
    /// lookups for a single-phase transfer, before the hold lookup for a post or void); the
    /// accounts' `closed` flags are checked before balancing, overflow and limit checks; a void
    /// for any amount other than the hold's is `pending_transfer_has_different_amount`.
    fn create_transfer(&mut self, t: &Transfer, now: u64) -> TR {
        let f = t.flags;
        let has = |flag| f.contains(flag);
        let phases = [
            TransferFlags::PENDING,
            TransferFlags::POST_PENDING,
            TransferFlags::VOID_PENDING,
        ]
        .into_iter()
        .filter(|p| has(*p))
        .count();
        let settles = has(TransferFlags::POST_PENDING) || has(TransferFlags::VOID_PENDING);
        let balancing = has(TransferFlags::BALANCING_DEBIT) || has(TransferFlags::BALANCING_CREDIT);
        let closing = has(TransferFlags::CLOSING_DEBIT) || has(TransferFlags::CLOSING_CREDIT);
        let shape = [
            (t.timestamp != 0, TR::TimestampMustBeZero),
            (f.has_unknown_bits(), TR::ReservedFlag),
            (t.id == 0, TR::IdMustNotBeZero),
            (t.id == u128::MAX, TR::IdMustNotBeIntMax),
            (phases > 1, TR::FlagsAreMutuallyExclusive),
            (
                settles && (balancing || closing),
                TR::FlagsAreMutuallyExclusive,
            ),
            (
                closing && !has(TransferFlags::PENDING),
                TR::ClosingTransferMustBePending,
            ),
            (t.amount > AMOUNT_MAX, TR::AmountExceedsMaximum),
        ];
        if let Some((_, r)) = shape.into_iter().find(|(bad, _)| *bad) {
            return r;
        }
        if settles {
            self.settle(t, now)
        } else {
            self.single_phase(t, now)
        }
    }

    fn single_phase(&mut self, t: &Transfer, now: u64) -> TR {
        let has = |flag| t.flags.contains(flag);
        let pending = has(TransferFlags::PENDING);
        let shape = [
            (t.debit_account_id == 0, TR::DebitAccountIdMustNotBeZero),
            (
                t.debit_account_id == u128::MAX,
                TR::DebitAccountIdMustNotBeIntMax,
            ),
            (t.credit_account_id == 0, TR::CreditAccountIdMustNotBeZero),
            (
                t.credit_account_id == u128::MAX,
                TR::CreditAccountIdMustNotBeIntMax,
            ),
            (
                t.debit_account_id == t.credit_account_id,
                TR::AccountsMustBeDifferent,
            ),
            (t.pending_id != 0, TR::PendingIdMustBeZero),
            (
                !pending && t.timeout != 0,
                TR::TimeoutReservedForPendingTransfer,
            ),
            (t.amount == 0, TR::AmountMustNotBeZero),
            (t.ledger == 0, TR::LedgerMustNotBeZero),
            (t.code == 0, TR::CodeMustNotBeZero),
        ];
        if let Some((_, r)) = shape.into_iter().find(|(bad, _)| *bad) {
            return r;
        }
        if let Some(e) = self.transfer(t.id) {
            return self.exists(t, e);
        }
        let Some(dr) = self.accounts.get(&t.debit_account_id) else {
            return TR::DebitAccountNotFound;
        };
        let Some(cr) = self.accounts.get(&t.credit_account_id) else {
            return TR::CreditAccountNotFound;
        };
        if dr.ledger != cr.ledger {
            return TR::AccountsMustHaveTheSameLedger;
        }
        if t.ledger != dr.ledger {
            return TR::TransferMustHaveTheSameLedgerAsAccounts;
        }
        let (dr_flags, cr_flags) = (dr.flags, cr.flags);
        if self.closed(t.debit_account_id) {
            return TR::DebitAccountAlreadyClosed;
        }
        if self.closed(t.credit_account_id) {
            return TR::CreditAccountAlreadyClosed;
        }
        let d = self.balances(t.debit_account_id);
        let c = self.balances(t.credit_account_id);

        // Balancing: move at most what the account has room for; nothing at all is a refusal.
        let mut amount = u128::from(t.amount);
        if has(TransferFlags::BALANCING_DEBIT) {
            amount = amount.min(d[CPO].saturating_sub(d[DPO] + d[DP]));
            if amount == 0 {
                return TR::ExceedsCredits;
            }
        }
        if has(TransferFlags::BALANCING_CREDIT) {
            amount = amount.min(c[DPO].saturating_sub(c[CPO] + c[CP]));
            if amount == 0 {
                return TR::ExceedsDebits;
            }
        }

        let max = u128::from(AMOUNT_MAX);
        let overflows = [
            (pending && d[DP] + amount > max, TR::OverflowsDebitsPending),
            (pending && c[CP] + amount > max, TR::OverflowsCreditsPending),
            (!pending && d[DPO] + amount > max, TR::OverflowsDebitsPosted),
            (
                !pending && c[CPO] + amount > max,
                TR::OverflowsCreditsPosted,
            ),
            (d[DP] + d[DPO] + amount > max, TR::OverflowsDebits),
            (c[CP] + c[CPO] + amount > max, TR::OverflowsCredits),
        ];
        if let Some((_, r)) = overflows.into_iter().find(|(bad, _)| *bad) {
            return r;
        }
        if dr_flags.contains(AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS)
            && d[DP] + d[DPO] + amount > d[CPO]
        {
            return TR::ExceedsCredits;
        }
        if cr_flags.contains(AccountFlags::CREDITS_MUST_NOT_EXCEED_DEBITS)
            && c[CP] + c[CPO] + amount > c[DPO]
        {
            return TR::ExceedsDebits;
        }

        let timestamp = self.tick(now);
        let expires_at = if pending && t.timeout != 0 {
            let at = u128::from(timestamp) + u128::from(t.timeout) * u128::from(NANOS_PER_SECOND);
            if at > max {
                return TR::OverflowsTimeout;
            }
            u64::try_from(at).expect("at <= AMOUNT_MAX")
        } else {
            0
        };
        let amount = u64::try_from(amount).expect("amount <= AMOUNT_MAX");
        self.transfers.push(Transfer {
            amount,
            timestamp,
            ..*t
        });
        if pending {
            self.holds
                .insert(t.id, (PendingStatus::Pending, expires_at));
        }
        self.touch(t.debit_account_id, t.credit_account_id, timestamp);
        TR::Ok
    }

    /// A post or a void.
    fn settle(&mut self, t: &Transfer, now: u64) -> TR {
        let post = t.flags.contains(TransferFlags::POST_PENDING);
        let shape = [
            (t.pending_id == 0, TR::PendingIdMustNotBeZero),
            (t.pending_id == u128::MAX, TR::PendingIdMustNotBeIntMax),
            (t.pending_id == t.id, TR::PendingIdMustBeDifferent),
            (t.timeout != 0, TR::TimeoutReservedForPendingTransfer),
        ];
        if let Some((_, r)) = shape.into_iter().find(|(bad, _)| *bad) {
            return r;
        }
        if let Some(e) = self.transfer(t.id) {
            return self.exists(t, e);
        }
        let Some(p) = self.transfer(t.pending_id).copied() else {
            return TR::PendingTransferNotFound;
        };
        if !p.flags.contains(TransferFlags::PENDING) {
            return TR::PendingTransferNotPending;
        }
        // Zero means "as the hold".
        let named = [
            (
                t.debit_account_id != 0 && t.debit_account_id != p.debit_account_id,
                TR::PendingTransferHasDifferentDebitAccountId,
            ),
            (
                t.credit_account_id != 0 && t.credit_account_id != p.credit_account_id,
                TR::PendingTransferHasDifferentCreditAccountId,
            ),
            (
                t.ledger != 0 && t.ledger != p.ledger,
                TR::PendingTransferHasDifferentLedger,
            ),
            (
                t.code != 0 && t.code != p.code,
                TR::PendingTransferHasDifferentCode,
            ),
        ];
        if let Some((_, r)) = named.into_iter().find(|(bad, _)| *bad) {
            return r;
        }
        let amount = if t.amount == 0 { p.amount } else { t.amount };
        if post && amount > p.amount {
            return TR::ExceedsPendingTransferAmount;
        }
        if !post && amount != p.amount {
            return TR::PendingTransferHasDifferentAmount;
        }
        let (status, expires_at) = self.holds[&p.id];
        match status {
            PendingStatus::Pending => {}
            PendingStatus::Posted => return TR::PendingTransferAlreadyPosted,
            PendingStatus::Voided => return TR::PendingTransferAlreadyVoided,
            PendingStatus::Expired => return TR::PendingTransferExpired,
        }
        if expires_at != 0 && expires_at <= now {
            return TR::PendingTransferExpired;
        }
        // The only movement a closed account allows is the void of a hold, or the post of the
        // very hold that closed it.
        if post {
            if self.closed(p.debit_account_id) && !p.flags.contains(TransferFlags::CLOSING_DEBIT) {
                return TR::DebitAccountAlreadyClosed;
            }
            if self.closed(p.credit_account_id) && !p.flags.contains(TransferFlags::CLOSING_CREDIT)
            {
                return TR::CreditAccountAlreadyClosed;
            }
        }
        let timestamp = self.tick(now);
        let inherit = |asked: u128, hold: u128| if asked == 0 { hold } else { asked };
        self.transfers.push(Transfer {
            debit_account_id: p.debit_account_id,
            credit_account_id: p.credit_account_id,
            ledger: p.ledger,
            code: p.code,
            amount,
            user_data_128: inherit(t.user_data_128, p.user_data_128),
            user_data_64: inherit(t.user_data_64.into(), p.user_data_64.into())
                .try_into()
                .expect("u64"),
            user_data_32: inherit(t.user_data_32.into(), p.user_data_32.into())
                .try_into()
                .expect("u32"),
            timestamp,
            ..*t
        });
        let status = if post {
            PendingStatus::Posted
        } else {
            PendingStatus::Voided
        };
        self.holds.insert(p.id, (status, expires_at));
        self.batch.statuses.push((p.id, status));
        self.touch(p.debit_account_id, p.credit_account_id, timestamp);
        TR::Ok
    }

    /// The id was used before: `exists` when this request, read with its defaults, is the one
    /// that was applied; otherwise the first field that differs.
    fn exists(&self, t: &Transfer, e: &Transfer) -> TR {
        if t.flags != e.flags {
            return TR::ExistsWithDifferentFlags;
        }
        if t.pending_id != e.pending_id {
            return TR::ExistsWithDifferentPendingId;
        }
        let settles = t.flags.contains(TransferFlags::POST_PENDING)
            || t.flags.contains(TransferFlags::VOID_PENDING);
        let balancing = t.flags.contains(TransferFlags::BALANCING_DEBIT)
            || t.flags.contains(TransferFlags::BALANCING_CREDIT);
        let differs: Vec<(bool, TR)> = if settles {
            // For a post or void, zero means "as the hold": the accounts, ledger and code of the
            // hold, its whole amount, its user data. So zero asks for exactly what the hold says.
            let p = self
                .transfer(e.pending_id)
                .expect("a stored post or void names a stored hold");
            let or_hold = |asked: u128, hold: u128| if asked == 0 { hold } else { asked };
            vec![
                (
                    or_hold(t.debit_account_id, p.debit_account_id) != e.debit_account_id,
                    TR::ExistsWithDifferentDebitAccountId,
                ),
                (
                    or_hold(t.credit_account_id, p.credit_account_id) != e.credit_account_id,
                    TR::ExistsWithDifferentCreditAccountId,
                ),
                (
                    or_hold(t.amount.into(), p.amount.into()) != u128::from(e.amount),
                    TR::ExistsWithDifferentAmount,
                ),
                (
                    or_hold(t.user_data_128, p.user_data_128) != e.user_data_128,
                    TR::ExistsWithDifferentUserData128,
                ),
                (
                    or_hold(t.user_data_64.into(), p.user_data_64.into())
                        != u128::from(e.user_data_64),
                    TR::ExistsWithDifferentUserData64,
                ),
                (
                    or_hold(t.user_data_32.into(), p.user_data_32.into())
                        != u128::from(e.user_data_32),
                    TR::ExistsWithDifferentUserData32,
                ),
                (t.timeout != e.timeout, TR::ExistsWithDifferentTimeout),
                (
                    or_hold(t.ledger.into(), p.ledger.into()) != u128::from(e.ledger),
                    TR::ExistsWithDifferentLedger,
                ),
                (
                    or_hold(t.code.into(), p.code.into()) != u128::from(e.code),
                    TR::ExistsWithDifferentCode,
                ),
            ]
        } else {
            vec![
                (
                    t.debit_account_id != e.debit_account_id,
                    TR::ExistsWithDifferentDebitAccountId,
                ),
                (
                    t.credit_account_id != e.credit_account_id,
                    TR::ExistsWithDifferentCreditAccountId,
                ),
                // A balancing transfer's amount is an upper limit: any limit at or above what
                // was moved is the same request.
                (
                    if balancing {
                        t.amount < e.amount
                    } else {
                        t.amount != e.amount
                    },
                    TR::ExistsWithDifferentAmount,
                ),
                (
                    t.user_data_128 != e.user_data_128,
                    TR::ExistsWithDifferentUserData128,
                ),
                (
                    t.user_data_64 != e.user_data_64,
                    TR::ExistsWithDifferentUserData64,
                ),
                (
                    t.user_data_32 != e.user_data_32,
                    TR::ExistsWithDifferentUserData32,
                ),
                (t.timeout != e.timeout, TR::ExistsWithDifferentTimeout),
                (t.ledger != e.ledger, TR::ExistsWithDifferentLedger),
                (t.code != e.code, TR::ExistsWithDifferentCode),
            ]
        };
        differs
            .into_iter()
            .find(|(bad, _)| *bad)
            .map_or(TR::Exists, |(_, r)| r)
    }
}

/// Splits a batch into chains (a run of linked events and the event that ends it) and applies
/// each one to a clone of the model, keeping the clone only when all of the chain succeeded.
/// A batch that ends inside a chain applies none of that chain.
fn chains<E, R: Copy + PartialEq>(
    model: &mut Model,
    batch: &[E],
    linked: impl Fn(&E) -> bool,
    apply: impl Fn(&mut Model, &E) -> R,
    [ok, failed, open]: [R; 3],
) -> Vec<R> {
    let mut results = Vec::with_capacity(batch.len());
    let mut start = 0;
    while start < batch.len() {
        let Some(end) = (start..batch.len()).find(|i| !linked(&batch[*i])) else {
            results.extend(std::iter::repeat_n(failed, batch.len() - start - 1));
            results.push(open);
            break;
        };
        let mut trial = model.clone();
        let failure = (start..=end).find_map(|i| {
            let r = apply(&mut trial, &batch[i]);
            (r != ok).then_some((i, r))
        });
        match failure {
            None => {
                *model = trial;
                results.extend(std::iter::repeat_n(ok, end - start + 1));
            }
            Some((at, r)) => {
                model.clock = trial.clock;
                results.extend((start..=end).map(|i| if i == at { r } else { failed }));
            }
        }
        start = end + 1;
    }
    results
}

// =============================================================================================
// Systems under test
// =============================================================================================

trait System {
    fn ledger(&self) -> &Ledger;
    fn create_accounts(&mut self, batch: &[Account], now: u64) -> Vec<AR>;
    fn create_transfers(&mut self, batch: &[Transfer], now: u64) -> Vec<TR>;
    fn take_changes(&mut self) -> ChangeSet;
}

/// The real ledger.
#[derive(Debug, Default)]
struct Real(Ledger);

impl System for Real {
    fn ledger(&self) -> &Ledger {
        &self.0
    }
    fn create_accounts(&mut self, batch: &[Account], now: u64) -> Vec<AR> {
        self.0.create_accounts(batch, now)
    }
    fn create_transfers(&mut self, batch: &[Transfer], now: u64) -> Vec<TR> {
        self.0.create_transfers(batch, now)
    }
    fn take_changes(&mut self) -> ChangeSet {
        self.0.take_changes()
    }
}

/// A planted bug: after every successful void, the debit account is put back with the voided
/// amount still in `debits_pending` — a void that forgets to release the hold's debit side.
#[derive(Debug, Default)]
struct ForgetfulVoid(Ledger);

impl System for ForgetfulVoid {
    fn ledger(&self) -> &Ledger {
        &self.0
    }
    fn create_accounts(&mut self, batch: &[Account], now: u64) -> Vec<AR> {
        self.0.create_accounts(batch, now)
    }
    fn create_transfers(&mut self, batch: &[Transfer], now: u64) -> Vec<TR> {
        let results = self.0.create_transfers(batch, now);
        for (t, r) in batch.iter().zip(&results) {
            if *r == TR::Ok && t.flags.contains(TransferFlags::VOID_PENDING) {
                let hold = *self.0.transfer(t.pending_id).expect("a voided hold exists");
                let mut debit = *self
                    .0
                    .account(hold.debit_account_id)
                    .expect("its debit account exists");
                debit.debits_pending += hold.amount;
                self.0.load_account(debit);
            }
        }
        results
    }
    fn take_changes(&mut self) -> ChangeSet {
        self.0.take_changes()
    }
}

// =============================================================================================
// Scenarios
// =============================================================================================

#[derive(Clone, Copy, Debug)]
struct AccountSpec {
    ledger: u32,
    flags: AccountFlags,
}

#[derive(Clone, Copy, Debug)]
enum AccountChange {
    None,
    Flags,
    UserData,
    Ledger,
    Code,
    /// Code 0: an invalid event, which breaks its chain.
    Invalid,
}

#[derive(Clone, Copy, Debug)]
struct AccountOp {
    /// 1..=6.
    id: u8,
    linked: bool,
    change: AccountChange,
}

#[derive(Clone, Copy, Debug)]
enum Clock {
    Same,
    Nanos(u64),
    Seconds(u64),
    /// To the expiry of a live hold, plus -1, 0 or +1 ns.
    ToExpiry(Index, i8),
    /// Backwards: the caller's clock is not monotonic.
    Back(u64),
}

/// The two accounts of a transfer.
#[derive(Clone, Copy, Debug)]
enum Accounts {
    /// Two different accounts, on one ledger when possible.
    Pair(Index, Index),
    /// Any two ids in 1..=7 (7 never exists): same account, other ledgers, missing accounts.
    Raw(u8, u8),
}

#[derive(Clone, Copy, Debug)]
enum Closing {
    None,
    Debit,
    Credit,
}

#[derive(Clone, Copy, Debug)]
enum Target {
    /// A hold that is live in the model.
    Live(Index),
    /// A hold that was applied (live, posted, voided or expired).
    Stored(Index),
    /// A hold submitted earlier (it may or may not have been applied).
    Submitted(Index),
    /// Any transfer submitted earlier (most are not holds).
    Any(Index),
    /// A bare id.
    Id(u8),
}

#[derive(Clone, Copy, Debug)]
enum PostAmount {
    Zero,
    Full,
    Part(Index),
    Over(u8),
}

#[derive(Clone, Copy, Debug)]
enum VoidAmount {
    Zero,
    Exact,
    Other(u8),
}

/// How a post or void names the hold's accounts, ledger and code.
#[derive(Clone, Copy, Debug)]
enum Named {
    Zero,
    AsHold,
    WrongDebit,
    WrongCredit,
    WrongLedger,
    WrongCode,
}

#[derive(Clone, Copy, Debug)]
enum Change {
    Same,
    AmountUp(u8),
    AmountDown(u8),
    AmountZero,
    UserData128,
    UserData64,
    UserData32,
    UserDataZero,
    Timeout,
    Ledger,
    Code,
    Debit,
    Credit,
    PendingId,
    Linked,
}

#[derive(Clone, Copy, Debug)]
enum Op {
    Plain {
        id: u8,
        accounts: Accounts,
        amount: u64,
        user_data: u8,
    },
    Hold {
        id: u8,
        accounts: Accounts,
        amount: u64,
        timeout: u32,
        closing: Closing,
        user_data: u8,
    },
    Post {
        id: u8,
        target: Target,
        amount: PostAmount,
        named: Named,
        user_data: u8,
    },
    Void {
        id: u8,
        target: Target,
        amount: VoidAmount,
        named: Named,
    },
    Balancing {
        id: u8,
        accounts: Accounts,
        amount: u64,
        debit: bool,
        credit: bool,
        pending: bool,
    },
    /// Replays an applied transfer (`applied`) or any submitted one.
    Replay {
        which: Index,
        applied: bool,
        change: Change,
    },
    Raw(Transfer),
}

#[derive(Clone, Copy, Debug)]
struct Event {
    op: Op,
    linked: bool,
}

#[derive(Clone, Debug)]
enum Batch {
    Accounts(Vec<AccountOp>),
    Transfers { clock: Clock, events: Vec<Event> },
}

#[derive(Clone, Debug)]
struct Scenario {
    accounts: Vec<AccountSpec>,
    batches: Vec<Batch>,
}

fn account_spec() -> impl Strategy<Value = AccountSpec> {
    let flags = prop_oneof![
        3 => Just(AccountFlags::NONE),
        3 => Just(AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS),
        2 => Just(AccountFlags::CREDITS_MUST_NOT_EXCEED_DEBITS),
        1 => Just(AccountFlags::HISTORY),
        1 => Just(AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS.union(AccountFlags::HISTORY)),
    ];
    // Mostly ledger 1, so that most pairs of accounts can trade.
    (prop_oneof![3 => Just(1u32), 1 => Just(2u32)], flags)
        .prop_map(|(ledger, flags)| AccountSpec { ledger, flags })
}

fn account_change() -> impl Strategy<Value = AccountChange> {
    prop_oneof![
        40 => Just(AccountChange::None),
        1 => Just(AccountChange::Flags),
        1 => Just(AccountChange::UserData),
        1 => Just(AccountChange::Ledger),
        1 => Just(AccountChange::Code),
        1 => Just(AccountChange::Invalid),
    ]
}

fn account_op() -> impl Strategy<Value = AccountOp> {
    (1..=ACCOUNT_IDS, prop::bool::weighted(0.2), account_change())
        .prop_map(|(id, linked, change)| AccountOp { id, linked, change })
}

/// The first batch: every account, in order, some of them linked, a few changed or invalid.
fn first_accounts() -> impl Strategy<Value = Vec<AccountOp>> {
    prop::collection::vec(
        (prop::bool::weighted(0.1), account_change()),
        usize::from(ACCOUNT_IDS),
    )
    .prop_map(|v| {
        v.into_iter()
            .zip(1..)
            .map(|((linked, change), id)| AccountOp { id, linked, change })
            .collect()
    })
}

fn clock() -> impl Strategy<Value = Clock> {
    prop_oneof![
        3 => Just(Clock::Same),
        3 => (1u64..2_000).prop_map(Clock::Nanos),
        3 => (1u64..=3).prop_map(Clock::Seconds),
        3 => (any::<Index>(), -1i8..=1).prop_map(|(i, d)| Clock::ToExpiry(i, d)),
        1 => (1u64..1_000).prop_map(Clock::Back),
    ]
}

fn tid() -> impl Strategy<Value = u8> {
    1..=TRANSFER_IDS
}

/// Mostly an existing account; sometimes 7, which never exists.
fn aid() -> impl Strategy<Value = u8> {
    prop_oneof![30 => 1..=ACCOUNT_IDS, 1 => Just(ACCOUNT_IDS + 1)]
}

fn accounts() -> impl Strategy<Value = Accounts> {
    prop_oneof![
        12 => (any::<Index>(), any::<Index>()).prop_map(|(d, c)| Accounts::Pair(d, c)),
        1 => (aid(), aid()).prop_map(|(d, c)| Accounts::Raw(d, c)),
    ]
}

fn amount() -> impl Strategy<Value = u64> {
    prop_oneof![4 => 1u64..=20, 1 => 21u64..=60]
}

fn target() -> impl Strategy<Value = Target> {
    prop_oneof![
        8 => any::<Index>().prop_map(Target::Live),
        3 => any::<Index>().prop_map(Target::Stored),
        1 => any::<Index>().prop_map(Target::Submitted),
        1 => any::<Index>().prop_map(Target::Any),
        1 => tid().prop_map(Target::Id),
    ]
}

fn named() -> impl Strategy<Value = Named> {
    prop_oneof![
        8 => Just(Named::Zero),
        8 => Just(Named::AsHold),
        1 => Just(Named::WrongDebit),
        1 => Just(Named::WrongCredit),
        1 => Just(Named::WrongLedger),
        1 => Just(Named::WrongCode),
    ]
}

fn post_amount() -> impl Strategy<Value = PostAmount> {
    prop_oneof![
        3 => Just(PostAmount::Zero),
        3 => Just(PostAmount::Full),
        4 => any::<Index>().prop_map(PostAmount::Part),
        1 => (1u8..5).prop_map(PostAmount::Over),
    ]
}

fn void_amount() -> impl Strategy<Value = VoidAmount> {
    prop_oneof![
        4 => Just(VoidAmount::Zero),
        4 => Just(VoidAmount::Exact),
        1 => (1u8..5).prop_map(VoidAmount::Other),
    ]
}

fn change() -> impl Strategy<Value = Change> {
    prop_oneof![
        12 => Just(Change::Same),
        2 => (1u8..5).prop_map(Change::AmountUp),
        2 => (1u8..5).prop_map(Change::AmountDown),
        2 => Just(Change::AmountZero),
        1 => Just(Change::UserData128),
        1 => Just(Change::UserData64),
        1 => Just(Change::UserData32),
        2 => Just(Change::UserDataZero),
        1 => Just(Change::Timeout),
        1 => Just(Change::Ledger),
        1 => Just(Change::Code),
        1 => Just(Change::Debit),
        1 => Just(Change::Credit),
        1 => Just(Change::PendingId),
        1 => Just(Change::Linked),
    ]
}

/// A transfer with arbitrary fields from small domains, reserved values included.
fn raw() -> impl Strategy<Value = Transfer> {
    let id = prop_oneof![1 => Just(0u128), 20 => tid().prop_map(u128::from), 1 => Just(u128::MAX)];
    let account = prop_oneof![
        1 => Just(0u128),
        20 => (1..=ACCOUNT_IDS + 1).prop_map(u128::from),
        1 => Just(u128::MAX)
    ];
    let amount = prop_oneof![
        2 => Just(0u64),
        20 => 1u64..=60,
        1 => Just(AMOUNT_MAX),
        1 => Just(AMOUNT_MAX + 1)
    ];
    let pending_id =
        prop_oneof![8 => Just(0u128), 8 => tid().prop_map(u128::from), 1 => Just(u128::MAX)];
    let flags = prop_oneof![
        6 => any::<u16>().prop_map(|b| b & 0xff),
        1 => any::<u16>().prop_map(|b| b & 0x1ff),
    ]
    .prop_map(TransferFlags::from_bits_retain);
    let small = (
        0u8..3,
        0u32..3,
        0u32..3,
        0u16..3,
        prop::bool::weighted(0.03),
    );
    (
        id,
        account.clone(),
        account,
        amount,
        pending_id,
        flags,
        small,
    )
        .prop_map(
            |(
                id,
                debit_account_id,
                credit_account_id,
                amount,
                pending_id,
                flags,
                (ud, timeout, ledger, code, stamped),
            )| {
                Transfer {
                    id,
                    debit_account_id,
                    credit_account_id,
                    amount,
                    pending_id,
                    user_data_128: u128::from(ud),
                    user_data_64: u64::from(ud),
                    user_data_32: u32::from(ud),
                    timeout,
                    ledger,
                    code,
                    // Never linked by itself: the event's own linked bit decides.
                    flags: TransferFlags::from_bits_retain(
                        flags.bits() & !TransferFlags::LINKED.bits(),
                    ),
                    timestamp: u64::from(stamped),
                }
            },
        )
}

fn op() -> impl Strategy<Value = Op> {
    let ud = 0u8..3;
    prop_oneof![
        10 => (tid(), accounts(), amount(), ud.clone())
            .prop_map(|(id, accounts, amount, user_data)| Op::Plain { id, accounts, amount, user_data }),
        8 => (
            tid(),
            accounts(),
            amount(),
            prop_oneof![2 => Just(0u32), 2 => 1u32..=3],
            prop_oneof![10 => Just(Closing::None), 1 => Just(Closing::Debit), 1 => Just(Closing::Credit)],
            ud.clone(),
        )
            .prop_map(|(id, accounts, amount, timeout, closing, user_data)| Op::Hold {
                id, accounts, amount, timeout, closing, user_data
            }),
        6 => (tid(), target(), post_amount(), named(), ud)
            .prop_map(|(id, target, amount, named, user_data)| Op::Post { id, target, amount, named, user_data }),
        4 => (tid(), target(), void_amount(), named())
            .prop_map(|(id, target, amount, named)| Op::Void { id, target, amount, named }),
        3 => (tid(), accounts(), amount(), 0u8..3, prop::bool::weighted(0.3)).prop_map(
            |(id, accounts, amount, side, pending)| Op::Balancing {
                id, accounts, amount, debit: side != 1, credit: side != 0, pending
            }
        ),
        6 => (any::<Index>(), prop::bool::weighted(0.8), change())
            .prop_map(|(which, applied, change)| Op::Replay { which, applied, change }),
        2 => raw().prop_map(Op::Raw),
    ]
}

fn event() -> impl Strategy<Value = Event> {
    (op(), prop::bool::weighted(0.12)).prop_map(|(op, linked)| Event { op, linked })
}

fn batch() -> impl Strategy<Value = Batch> {
    prop_oneof![
        1 => prop::collection::vec(account_op(), 1..=4).prop_map(Batch::Accounts),
        12 => (clock(), prop::collection::vec(event(), 1..=16))
            .prop_map(|(clock, events)| Batch::Transfers { clock, events }),
    ]
}

fn scenario() -> impl Strategy<Value = Scenario> {
    (
        prop::collection::vec(account_spec(), usize::from(ACCOUNT_IDS)),
        first_accounts(),
        prop::collection::vec(batch(), 1..=12),
    )
        .prop_map(|(accounts, first, rest)| {
            let mut batches = vec![Batch::Accounts(first)];
            batches.extend(rest);
            Scenario { accounts, batches }
        })
}

// =============================================================================================
// Driving a scenario
// =============================================================================================

struct Run<S> {
    model: Model,
    system: S,
    specs: Vec<AccountSpec>,
    now: u64,
    /// Every transfer event submitted so far, applied or not, for replays.
    submitted: Vec<Transfer>,
    /// Every hold submitted so far, applied or not, for posts and voids.
    holds: Vec<Transfer>,
}

impl<S: System> Run<S> {
    fn new(system: S, specs: Vec<AccountSpec>) -> Self {
        Self {
            model: Model::default(),
            system,
            specs,
            now: START,
            submitted: Vec::new(),
            holds: Vec::new(),
        }
    }

    fn account(&self, op: AccountOp) -> Account {
        let spec = self.specs[usize::from(op.id - 1)];
        let mut a = Account::new(u128::from(op.id), spec.ledger, 7, spec.flags);
        a.user_data_128 = u128::from(op.id) * 1000;
        match op.change {
            AccountChange::None => {}
            AccountChange::Flags => {
                a.flags = a
                    .flags
                    .union(AccountFlags::HISTORY)
                    .without(AccountFlags::CREDITS_MUST_NOT_EXCEED_DEBITS)
            }
            AccountChange::UserData => a.user_data_32 = 9,
            AccountChange::Ledger => a.ledger = 3 - spec.ledger,
            AccountChange::Code => a.code = 8,
            AccountChange::Invalid => a.code = 0,
        }
        if op.linked {
            a.flags = a.flags.union(AccountFlags::LINKED);
        }
        a
    }

    /// The ledger an account is specified on (for a transfer between them).
    fn ledger_of(&self, account: u8) -> u32 {
        self.specs
            .get(usize::from(account) - 1)
            .map_or(1, |s| s.ledger)
    }

    fn plain(&self, id: u8, dr: u8, cr: u8, amount: u64) -> Transfer {
        Transfer {
            id: u128::from(id),
            debit_account_id: u128::from(dr),
            credit_account_id: u128::from(cr),
            amount,
            ledger: self.ledger_of(dr),
            code: 1,
            ..Transfer::default()
        }
    }

    fn resolve_target(&self, target: Target) -> Option<Transfer> {
        let stored = |live: bool| -> Vec<Transfer> {
            self.model
                .holds
                .iter()
                .filter(|(_, (s, _))| !live || *s == PendingStatus::Pending)
                .filter_map(|(id, _)| self.model.transfer(*id).copied())
                .collect()
        };
        let pick = |i: Index, v: &[Transfer]| (!v.is_empty()).then(|| *i.get(v));
        match target {
            Target::Live(i) => pick(i, &stored(true)).or_else(|| pick(i, &self.holds)),
            Target::Stored(i) => pick(i, &stored(false)).or_else(|| pick(i, &self.holds)),
            Target::Submitted(i) => pick(i, &self.holds),
            Target::Any(i) => pick(i, &self.submitted),
            Target::Id(id) => Some(Transfer {
                id: u128::from(id),
                ..Transfer::default()
            }),
        }
    }

    /// Two different accounts, on one ledger when the specs allow it.
    fn pair(&self, accounts: Accounts) -> (u8, u8) {
        match accounts {
            Accounts::Raw(dr, cr) => (dr, cr),
            Accounts::Pair(d, c) => {
                let ids: Vec<u8> = (1..=ACCOUNT_IDS).collect();
                let dr = *d.get(&ids);
                let same: Vec<u8> = ids
                    .iter()
                    .copied()
                    .filter(|id| *id != dr && self.ledger_of(*id) == self.ledger_of(dr))
                    .collect();
                let other: Vec<u8> = ids.iter().copied().filter(|id| *id != dr).collect();
                let cr = if same.is_empty() {
                    *c.get(&other)
                } else {
                    *c.get(&same)
                };
                (dr, cr)
            }
        }
    }

    fn settle(
        &self,
        id: u8,
        target: Target,
        named: Named,
        flags: TransferFlags,
    ) -> (Transfer, Transfer) {
        let hold = self.resolve_target(target).unwrap_or(Transfer {
            id: u128::from(TRANSFER_IDS),
            ..Transfer::default()
        });
        let mut t = Transfer {
            id: u128::from(id),
            pending_id: hold.id,
            flags,
            ..Transfer::default()
        };
        let as_hold = |t: &mut Transfer| {
            t.debit_account_id = hold.debit_account_id;
            t.credit_account_id = hold.credit_account_id;
            t.ledger = hold.ledger;
            t.code = hold.code;
        };
        match named {
            Named::Zero => {}
            Named::AsHold => as_hold(&mut t),
            Named::WrongDebit => {
                as_hold(&mut t);
                t.debit_account_id = hold.debit_account_id % u128::from(ACCOUNT_IDS) + 1;
            }
            Named::WrongCredit => {
                t.credit_account_id = hold.credit_account_id % u128::from(ACCOUNT_IDS) + 1
            }
            Named::WrongLedger => t.ledger = hold.ledger % 2 + 1,
            Named::WrongCode => t.code = hold.code + 1,
        }
        (t, hold)
    }

    fn transfer(&self, event: Event) -> Transfer {
        let mut t = match event.op {
            Op::Plain {
                id,
                accounts,
                amount,
                user_data,
            } => {
                let (dr, cr) = self.pair(accounts);
                Transfer {
                    user_data_64: u64::from(user_data),
                    ..self.plain(id, dr, cr, amount)
                }
            }
            Op::Hold {
                id,
                accounts,
                amount,
                timeout,
                closing,
                user_data,
            } => {
                let (dr, cr) = self.pair(accounts);
                let closing = match closing {
                    Closing::None => TransferFlags::NONE,
                    Closing::Debit => TransferFlags::CLOSING_DEBIT,
                    Closing::Credit => TransferFlags::CLOSING_CREDIT,
                };
                Transfer {
                    timeout,
                    user_data_128: u128::from(user_data),
                    flags: TransferFlags::PENDING.union(closing),
                    ..self.plain(id, dr, cr, amount)
                }
            }
            Op::Post {
                id,
                target,
                amount,
                named,
                user_data,
            } => {
                let (mut t, hold) = self.settle(id, target, named, TransferFlags::POST_PENDING);
                t.amount = match amount {
                    PostAmount::Zero => 0,
                    PostAmount::Full => hold.amount,
                    PostAmount::Part(i) => usize::try_from(hold.amount)
                        .ok()
                        .filter(|n| *n > 0)
                        .map_or(1, |n| u64::try_from(i.index(n)).expect("fits") + 1),
                    PostAmount::Over(n) => hold.amount.saturating_add(u64::from(n)),
                };
                t.user_data_128 = u128::from(user_data);
                t
            }
            Op::Void {
                id,
                target,
                amount,
                named,
            } => {
                let (mut t, hold) = self.settle(id, target, named, TransferFlags::VOID_PENDING);
                t.amount = match amount {
                    VoidAmount::Zero => 0,
                    VoidAmount::Exact => hold.amount,
                    VoidAmount::Other(n) => hold.amount.saturating_add(u64::from(n)),
                };
                t
            }
            Op::Balancing {
                id,
                accounts,
                amount,
                debit,
                credit,
                pending,
            } => {
                let (dr, cr) = self.pair(accounts);
                let mut flags = TransferFlags::NONE;
                if debit {
                    flags = flags.union(TransferFlags::BALANCING_DEBIT);
                }
                if credit {
                    flags = flags.union(TransferFlags::BALANCING_CREDIT);
                }
                if pending {
                    flags = flags.union(TransferFlags::PENDING);
                }
                Transfer {
                    flags,
                    ..self.plain(id, dr, cr, amount)
                }
            }
            Op::Replay {
                which,
                applied,
                change,
            } => {
                // An applied transfer is replayed as it was submitted: the stored one carries
                // the resolved amount, accounts and user data, which a post may have left zero.
                let from = if applied && !self.model.transfers.is_empty() {
                    let id = which.get(&self.model.transfers).id;
                    self.submitted.iter().rev().find(|t| t.id == id).copied()
                } else {
                    (!self.submitted.is_empty()).then(|| *which.get(&self.submitted))
                };
                let Some(original) = from else {
                    return self.plain(1, 1, 2, 1);
                };
                // A replay keeps its original's linked bit (unless that is the change).
                return replay(original, change);
            }
            Op::Raw(t) => t,
        };
        if event.linked {
            t.flags = t.flags.union(TransferFlags::LINKED);
        }
        t
    }

    fn advance(&mut self, clock: Clock) {
        self.now = match clock {
            Clock::Same => self.now,
            Clock::Nanos(n) => self.now + n,
            Clock::Seconds(s) => self.now + s * NANOS_PER_SECOND,
            Clock::ToExpiry(i, delta) => {
                let live: Vec<u64> = self
                    .model
                    .holds
                    .values()
                    .filter(|(s, at)| *s == PendingStatus::Pending && *at != 0)
                    .map(|(_, at)| *at)
                    .collect();
                if live.is_empty() {
                    self.now + 1
                } else {
                    i.get(&live)
                        .checked_add_signed(i64::from(delta))
                        .expect("no overflow")
                }
            }
            Clock::Back(n) => self.now - n,
        };
    }

    fn batch(&mut self, batch: &Batch, number: usize) -> Result<(), TestCaseError> {
        let before: BTreeMap<u128, Account> = self
            .model
            .accounts
            .keys()
            .map(|id| (*id, self.model.account_now(*id).expect("listed")))
            .collect();
        let transfers_before = self.model.transfers.len();
        self.model.batch = BatchLog::default();
        match batch {
            Batch::Accounts(ops) => {
                let events: Vec<Account> = ops.iter().map(|op| self.account(*op)).collect();
                let expected = self.model.create_accounts(&events, self.now);
                let actual = self.system.create_accounts(&events, self.now);
                prop_assert_eq!(
                    &actual,
                    &expected,
                    "batch {}: account results differ for {:#?}",
                    number,
                    events
                );
            }
            Batch::Transfers { clock, events } => {
                self.advance(*clock);
                let mut batch = Vec::with_capacity(events.len());
                for event in events {
                    let t = self.transfer(*event);
                    self.submitted.push(t);
                    if t.flags.contains(TransferFlags::PENDING) {
                        self.holds.push(t);
                    }
                    batch.push(t);
                }
                let expected = self.model.create_transfers(&batch, self.now);
                let actual = self.system.create_transfers(&batch, self.now);
                prop_assert_eq!(
                    &actual,
                    &expected,
                    "batch {} at now={}: transfer results differ for {:#?}",
                    number,
                    self.now,
                    batch
                );
            }
        }
        self.compare_changes(number, &before, transfers_before)?;
        self.compare(number)
    }

    /// The batch's change set lists exactly what the batch did.
    fn compare_changes(
        &mut self,
        number: usize,
        before: &BTreeMap<u128, Account>,
        transfers_before: usize,
    ) -> Result<(), TestCaseError> {
        let changes = self.system.take_changes();
        let log = &self.model.batch;
        let created: Vec<Account> = log
            .created
            .iter()
            .map(|id| self.model.account_now(*id).expect("created"))
            .collect();
        prop_assert_eq!(
            &changes.new_accounts,
            &created,
            "batch {}: new accounts",
            number
        );
        prop_assert_eq!(
            &changes.transfers[..],
            &self.model.transfers[transfers_before..],
            "batch {}: transfers applied",
            number
        );
        prop_assert_eq!(
            &changes.pending_updates,
            &log.statuses,
            "batch {}: pending updates",
            number
        );
        prop_assert_eq!(&changes.history, &log.history, "batch {}: history", number);

        // Updated accounts: each at most once, in id order, with its final value; every account
        // whose value changed is there, and nothing an applied event did not touch is.
        let listed: Vec<u128> = changes.updated_accounts.iter().map(|a| a.id).collect();
        prop_assert!(
            listed.windows(2).all(|w| w[0] < w[1]),
            "batch {}: updated accounts {:?}",
            number,
            listed
        );
        for a in &changes.updated_accounts {
            prop_assert_eq!(
                Some(*a),
                self.model.account_now(a.id),
                "batch {}: updated account {}",
                number,
                a.id
            );
            prop_assert!(
                before.contains_key(&a.id) && log.touched.contains(&a.id),
                "batch {}: account {} is listed as updated, but no applied event of the batch touched it \
                 (touched: {:?})",
                number,
                a.id,
                log.touched
            );
        }
        for (id, old) in before {
            if self.model.account_now(*id) != Some(*old) {
                prop_assert!(
                    listed.contains(id),
                    "batch {}: account {} changed but is not listed",
                    number,
                    id
                );
            }
        }
        Ok(())
    }

    /// The ledger's state equals the model's, and `Checker` finds nothing wrong with it.
    fn compare(&self, number: usize) -> Result<(), TestCaseError> {
        let ledger = self.system.ledger();
        prop_assert_eq!(
            ledger.accounts().count(),
            self.model.accounts.len(),
            "batch {}: account count",
            number
        );
        for id in self.model.accounts.keys() {
            let expected = self.model.account_now(*id).expect("listed");
            let actual = *ledger
                .account(*id)
                .expect("the ledger has every account the model has");
            prop_assert_eq!(actual, expected, "batch {}: account {} differs", number, id);
        }
        prop_assert_eq!(
            ledger.transfers().count(),
            self.model.transfers.len(),
            "batch {}: transfer count",
            number
        );
        for expected in &self.model.transfers {
            let actual = *ledger
                .transfer(expected.id)
                .expect("the ledger has every transfer the model has");
            prop_assert_eq!(
                actual,
                *expected,
                "batch {}: transfer {} differs",
                number,
                expected.id
            );
        }
        prop_assert_eq!(
            ledger.pending_statuses().count(),
            self.model.holds.len(),
            "batch {}: hold count",
            number
        );
        for (id, (status, _)) in &self.model.holds {
            let actual = ledger.pending(*id).map(|p| p.status);
            prop_assert_eq!(
                actual,
                Some(*status),
                "batch {}: status of hold {}",
                number,
                id
            );
        }

        let mut checker = Checker::new();
        for a in ledger.accounts() {
            checker.account(*a);
        }
        let mut transfers: Vec<Transfer> = ledger.transfers().copied().collect();
        // In the order they were applied: a post must follow its hold.
        transfers.sort_by_key(|t| t.timestamp);
        for t in transfers {
            checker.transfer(t);
        }
        for (id, p) in ledger.pending_statuses() {
            checker.pending_status(id, p.status);
        }
        let report = checker.finish();
        prop_assert!(
            report.ok(),
            "batch {}: invariants broken: {:#?}",
            number,
            report.violations
        );
        Ok(())
    }
}

fn replay(original: Transfer, change: Change) -> Transfer {
    let mut t = original;
    match change {
        Change::Same => {}
        Change::AmountUp(n) => t.amount = t.amount.saturating_add(u64::from(n)),
        Change::AmountDown(n) => t.amount = t.amount.saturating_sub(u64::from(n)).max(1),
        Change::AmountZero => t.amount = 0,
        Change::UserData128 => t.user_data_128 += 5,
        Change::UserData64 => t.user_data_64 += 5,
        Change::UserData32 => t.user_data_32 += 5,
        Change::UserDataZero => {
            t.user_data_128 = 0;
            t.user_data_64 = 0;
            t.user_data_32 = 0;
        }
        Change::Timeout => t.timeout = (t.timeout + 1) % 3,
        Change::Ledger => t.ledger = t.ledger % 2 + 1,
        Change::Code => t.code = t.code % 2 + 1,
        Change::Debit => t.debit_account_id = t.debit_account_id % u128::from(ACCOUNT_IDS) + 1,
        Change::Credit => t.credit_account_id = t.credit_account_id % u128::from(ACCOUNT_IDS) + 1,
        Change::PendingId => t.pending_id = t.pending_id % u128::from(TRANSFER_IDS) + 1,
        Change::Linked => {
            t.flags =
                TransferFlags::from_bits_retain(t.flags.bits() ^ TransferFlags::LINKED.bits());
        }
    }
    t
}

fn run_scenario<S: System + Default>(scenario: &Scenario) -> Result<(), TestCaseError> {
    let mut run = Run::new(S::default(), scenario.accounts.clone());
    for (number, batch) in scenario.batches.iter().enumerate() {
        run.batch(batch, number)?;
    }
    Ok(())
}

fn config(cases: u32) -> ProptestConfig {
    // No regression files: the scenarios are cheap to find again, and the test directory holds
    // only sources.
    ProptestConfig {
        cases,
        max_shrink_iters: 4096,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// 1024 cases by default (a few seconds in debug); `LEDGER_MODEL_CASES=100000 cargo test --release` for a
/// deep run.
fn cases() -> u32 {
    std::env::var("LEDGER_MODEL_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1024)
}

proptest! {
    #![proptest_config(config(cases()))]

    #[test]
    fn ledger_agrees_with_the_reference_model(scenario in scenario()) {
        run_scenario::<Real>(&scenario)?;
    }
}

/// The model is itself checked: the planted bug below must be caught by the same property.
#[test]
fn model_check_catches_a_void_that_forgets_to_release() {
    let config = Config {
        failure_persistence: None,
        max_shrink_iters: 256,
        ..config(256)
    };
    let rng = TestRng::deterministic_rng(config.rng_algorithm);
    let mut runner = TestRunner::new_with_rng(config, rng);
    let outcome = runner.run(&scenario(), |s| run_scenario::<ForgetfulVoid>(&s));
    match outcome {
        Err(TestError::Fail(reason, minimal)) => {
            let reason = reason.to_string();
            // Every assertion of the property names its batch; a panic elsewhere would not.
            assert!(
                reason.contains("batch "),
                "the property failed for another reason than the planted bug: {reason}\n{minimal:#?}"
            );
        }
        Err(TestError::Abort(reason)) => panic!("the runner aborted: {reason}"),
        Ok(()) => {
            panic!("a void that forgets to release its hold went unnoticed by the model check")
        }
    }
}

/// The generator reaches what the property is about: over many scenarios, each kind of outcome
/// shows up (holds posted, voided and expired; chains failing and left open; replays both
/// `exists` and `exists_with_different_*`; balancing clamps; closed accounts).
#[test]
fn scenarios_cover_the_interesting_outcomes() {
    let mut runner = TestRunner::new_with_rng(
        Config {
            failure_persistence: None,
            ..config(1)
        },
        TestRng::deterministic_rng(config(1).rng_algorithm),
    );
    let mut seen: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut statuses: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut clamped = 0;
    let mut closed = 0;
    for _ in 0..200 {
        let scenario = scenario()
            .new_tree(&mut runner)
            .expect("a scenario")
            .current();
        let mut run = Run::new(Real::default(), scenario.accounts.clone());
        for batch in &scenario.batches {
            if let Batch::Transfers { clock, events } = batch {
                run.advance(*clock);
                let batch: Vec<Transfer> = events
                    .iter()
                    .map(|e| {
                        let t = run.transfer(*e);
                        run.submitted.push(t);
                        if t.flags.contains(TransferFlags::PENDING) {
                            run.holds.push(t);
                        }
                        t
                    })
                    .collect();
                for (t, r) in batch
                    .iter()
                    .zip(run.model.create_transfers(&batch, run.now))
                {
                    *seen.entry(r.as_str()).or_default() += 1;
                    let balancing = t.flags.contains(TransferFlags::BALANCING_DEBIT)
                        || t.flags.contains(TransferFlags::BALANCING_CREDIT);
                    if r == TR::Ok
                        && balancing
                        && run
                            .model
                            .transfer(t.id)
                            .is_some_and(|s| s.amount < t.amount)
                    {
                        clamped += 1;
                    }
                }
            } else if let Batch::Accounts(ops) = batch {
                let events: Vec<Account> = ops.iter().map(|op| run.account(*op)).collect();
                run.model.create_accounts(&events, run.now);
            }
        }
        for (status, _) in run.model.holds.values() {
            *statuses.entry(status.as_str()).or_default() += 1;
        }
        closed += (1..=u128::from(ACCOUNT_IDS))
            .filter(|id| run.model.closed(*id))
            .count();
    }
    for code in [
        "ok",
        "linked_event_failed",
        "linked_event_chain_open",
        "exists",
        "exists_with_different_amount",
        "exists_with_different_flags",
        "exists_with_different_user_data_128",
        "exceeds_credits",
        "exceeds_debits",
        "pending_transfer_already_posted",
        "pending_transfer_already_voided",
        "pending_transfer_expired",
        "exceeds_pending_transfer_amount",
        "debit_account_already_closed",
        "debit_account_not_found",
    ] {
        assert!(
            seen.get(code).copied().unwrap_or(0) >= 3,
            "{code} is rare: {seen:#?}"
        );
    }
    for status in ["pending", "posted", "voided", "expired"] {
        assert!(
            statuses.get(status).copied().unwrap_or(0) >= 10,
            "few {status} holds: {statuses:#?}"
        );
    }
    assert!(clamped >= 5, "balancing transfers rarely clamp: {clamped}");
    assert!(closed >= 3, "accounts are rarely closed: {closed}");
}
