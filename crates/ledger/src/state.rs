//! The ledger state machine: applies batches of events to accounts and transfers with
//! two-phase holds, linked chains, balance limits, timeouts and idempotent ids.
//!
//! It keeps what it knows in memory and records every change of the current batch in a
//! [`ChangeSet`], which a store writes in one commit. The embedded store keeps the whole ledger
//! here; the PostgreSQL store loads only what a batch touches (under row locks) into a fresh
//! `Ledger` and applies the batch on that. Either way the rules live in this one file.

use std::collections::BTreeSet;

use rustc_hash::{FxHashMap, FxHashSet};

use crate::account::{Account, AccountBalance};
use crate::flags::{AccountFlags, TransferFlags};
use crate::result::{CreateAccountResult as AR, CreateTransferResult as TR};
use crate::transfer::{PendingStatus, Transfer};

/// The largest amount or balance: every value must fit a signed 64-bit database column.
pub const AMOUNT_MAX: u64 = i64::MAX as u64;
/// The most events one batch may carry.
pub const BATCH_MAX: usize = 8190;
/// Nanoseconds in a second, for timeouts.
const NANOS_PER_SECOND: u64 = 1_000_000_000;

/// Where a pending transfer stands and when it expires (`expires_at = 0`: never).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pending {
    /// Its status.
    pub status: PendingStatus,
    /// When the timeout releases it, in nanoseconds since the epoch; 0 for never.
    pub expires_at: u64,
}

/// Everything one batch changed, for the store to write in one commit.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChangeSet {
    /// Accounts created, in order.
    pub new_accounts: Vec<Account>,
    /// Existing accounts whose balances or flags changed, with their new values.
    pub updated_accounts: Vec<Account>,
    /// Transfers applied, in order, as stored (resolved amount, timestamp).
    pub transfers: Vec<Transfer>,
    /// Pending transfers whose status changed (posted, voided, expired).
    pub pending_updates: Vec<(u128, PendingStatus)>,
    /// Balance snapshots of accounts with the `history` flag.
    pub history: Vec<AccountBalance>,
}

impl ChangeSet {
    /// Whether the batch changed nothing.
    pub fn is_empty(&self) -> bool {
        self.new_accounts.is_empty()
            && self.updated_accounts.is_empty()
            && self.transfers.is_empty()
            && self.pending_updates.is_empty()
    }
}

/// How to take back one change when a linked chain fails.
#[derive(Debug, Clone)]
enum Undo {
    Account(Account),
    NewAccount(u128),
    Transfer(u128),
    Pending(u128, Option<Pending>),
    ExpiryAdded(u64, u128),
    ExpiryRemoved(u64, u128),
    Dirty(u128),
}

/// Lengths of the change vectors when a chain began.
#[derive(Debug, Clone, Copy)]
struct Mark {
    new_accounts: usize,
    transfers: usize,
    pending_updates: usize,
    history: usize,
}

/// The ledger's state and rules.
#[derive(Debug, Default, Clone)]
pub struct Ledger {
    accounts: FxHashMap<u128, Account>,
    transfers: FxHashMap<u128, Transfer>,
    pending: FxHashMap<u128, Pending>,
    expiries: BTreeSet<(u64, u128)>,
    last_timestamp: u64,
    changes: ChangeSet,
    dirty: FxHashSet<u128>,
    new_ids: FxHashSet<u128>,
    undo: Option<Vec<Undo>>,
}

impl Ledger {
    /// An empty ledger.
    pub fn new() -> Self {
        Self::default()
    }

    // ----- loading (from a store; records no change) -----

    /// Loads a stored account.
    pub fn load_account(&mut self, account: Account) {
        self.last_timestamp = self.last_timestamp.max(account.timestamp);
        self.accounts.insert(account.id, account);
    }

    /// Loads a stored transfer and, for a pending one, where it stands.
    pub fn load_transfer(&mut self, transfer: Transfer, pending: Option<Pending>) {
        self.last_timestamp = self.last_timestamp.max(transfer.timestamp);
        if let Some(p) = pending {
            if p.status == PendingStatus::Pending && p.expires_at != 0 {
                self.expiries.insert((p.expires_at, transfer.id));
            }
            self.pending.insert(transfer.id, p);
        }
        self.transfers.insert(transfer.id, transfer);
    }

    /// Raises the timestamp floor (a store that knows of later events than it loaded).
    pub fn observe_timestamp(&mut self, timestamp: u64) {
        self.last_timestamp = self.last_timestamp.max(timestamp);
    }

    // ----- lookups -----

    /// An account by id.
    pub fn account(&self, id: u128) -> Option<&Account> {
        self.accounts.get(&id)
    }

    /// A transfer by id.
    pub fn transfer(&self, id: u128) -> Option<&Transfer> {
        self.transfers.get(&id)
    }

    /// Where a pending transfer stands.
    pub fn pending(&self, id: u128) -> Option<Pending> {
        self.pending.get(&id).copied()
    }

    /// Every account, in no order.
    pub fn accounts(&self) -> impl Iterator<Item = &Account> {
        self.accounts.values()
    }

    /// Every transfer, in no order.
    pub fn transfers(&self) -> impl Iterator<Item = &Transfer> {
        self.transfers.values()
    }

    /// Every pending transfer's status, in no order.
    pub fn pending_statuses(&self) -> impl Iterator<Item = (u128, Pending)> + '_ {
        self.pending.iter().map(|(id, p)| (*id, *p))
    }

    /// The earliest timeout still to fire, if any.
    pub fn next_expiry(&self) -> Option<u64> {
        self.expiries.first().map(|(at, _)| *at)
    }

    /// The latest timestamp given to an event.
    pub fn last_timestamp(&self) -> u64 {
        self.last_timestamp
    }

    /// Takes the changes recorded since the last call.
    pub fn take_changes(&mut self) -> ChangeSet {
        let mut changes = std::mem::take(&mut self.changes);
        let dirty = std::mem::take(&mut self.dirty);
        let new_ids = std::mem::take(&mut self.new_ids);
        changes
            .new_accounts
            .retain(|a| self.accounts.contains_key(&a.id));
        for account in &mut changes.new_accounts {
            if let Some(now) = self.accounts.get(&account.id) {
                *account = *now;
            }
        }
        changes.updated_accounts = dirty
            .iter()
            .filter(|id| !new_ids.contains(id))
            .filter_map(|id| self.accounts.get(id).copied())
            .collect();
        changes.updated_accounts.sort_unstable_by_key(|a| a.id);
        changes
    }

    // ----- batches -----

    /// Applies a batch of account creations at time `now` (ns). One result per event.
    pub fn create_accounts(&mut self, batch: &[Account], now: u64) -> Vec<AR> {
        self.apply_chained(
            batch,
            |a| a.flags.contains(AccountFlags::LINKED),
            |ledger, a| ledger.create_account(a, now),
            [AR::Ok, AR::LinkedEventFailed, AR::LinkedEventChainOpen],
        )
    }

    /// Applies a batch of transfers at time `now` (ns), first expiring every hold whose
    /// timeout has passed. One result per event, in order.
    pub fn create_transfers(&mut self, batch: &[Transfer], now: u64) -> Vec<TR> {
        self.expire_pending(now);
        self.apply_chained(
            batch,
            |t| t.flags.contains(TransferFlags::LINKED),
            |ledger, t| ledger.create_transfer(t, now),
            [TR::Ok, TR::LinkedEventFailed, TR::LinkedEventChainOpen],
        )
    }

    /// Releases every pending transfer whose timeout is at or before `now`. Returns how many.
    pub fn expire_pending(&mut self, now: u64) -> usize {
        let mut expired = 0;
        while let Some(&(at, id)) = self.expiries.first() {
            if at > now {
                break;
            }
            self.expiries.remove(&(at, id));
            let Some(p) = self.transfers.get(&id).copied() else {
                continue;
            };
            if self.hold_accounts(&p).is_none() {
                // A partial view (the PostgreSQL writer loads only what a batch names) without
                // the hold's accounts leaves it to a sweep that loads them.
                continue;
            }
            let ts = self.next_timestamp(now);
            self.release_hold(&p, ts);
            self.set_pending(id, PendingStatus::Expired, 0);
            expired += 1;
        }
        expired
    }

    /// Runs events one by one; a linked chain is applied all-or-nothing.
    fn apply_chained<E, R: Copy + PartialEq>(
        &mut self,
        events: &[E],
        linked: impl Fn(&E) -> bool,
        mut apply: impl FnMut(&mut Self, &E) -> R,
        [ok, failed, open]: [R; 3],
    ) -> Vec<R> {
        let mut results = vec![ok; events.len()];
        let mut start = 0;
        while start < events.len() {
            let mut end = start;
            while end < events.len() && linked(&events[end]) {
                end += 1;
            }
            if end == events.len() {
                // The batch ended inside a chain: none of it applies.
                results[start..].fill(failed);
                results[end - 1] = open;
                break;
            }
            if start == end {
                results[start] = apply(self, &events[start]);
            } else {
                let mark = self.begin_chain();
                let failure = (start..=end).find_map(|i| {
                    let r = apply(self, &events[i]);
                    (r != ok).then_some((i, r))
                });
                match failure {
                    None => self.end_chain(),
                    Some((i, r)) => {
                        self.rollback_chain(mark);
                        results[start..=end].fill(failed);
                        results[i] = r;
                    }
                }
            }
            start = end + 1;
        }
        results
    }

    fn begin_chain(&mut self) -> Mark {
        self.undo = Some(Vec::new());
        Mark {
            new_accounts: self.changes.new_accounts.len(),
            transfers: self.changes.transfers.len(),
            pending_updates: self.changes.pending_updates.len(),
            history: self.changes.history.len(),
        }
    }

    fn end_chain(&mut self) {
        self.undo = None;
    }

    fn rollback_chain(&mut self, mark: Mark) {
        let undo = self.undo.take().unwrap_or_default();
        for step in undo.into_iter().rev() {
            match step {
                Undo::Account(a) => {
                    self.accounts.insert(a.id, a);
                }
                Undo::NewAccount(id) => {
                    self.accounts.remove(&id);
                    self.new_ids.remove(&id);
                }
                Undo::Transfer(id) => {
                    self.transfers.remove(&id);
                }
                Undo::Pending(id, Some(p)) => {
                    self.pending.insert(id, p);
                }
                Undo::Pending(id, None) => {
                    self.pending.remove(&id);
                }
                Undo::ExpiryAdded(at, id) => {
                    self.expiries.remove(&(at, id));
                }
                Undo::ExpiryRemoved(at, id) => {
                    self.expiries.insert((at, id));
                }
                Undo::Dirty(id) => {
                    self.dirty.remove(&id);
                }
            }
        }
        self.changes.new_accounts.truncate(mark.new_accounts);
        self.changes.transfers.truncate(mark.transfers);
        self.changes.pending_updates.truncate(mark.pending_updates);
        self.changes.history.truncate(mark.history);
    }

    fn record(&mut self, step: Undo) {
        if let Some(undo) = &mut self.undo {
            undo.push(step);
        }
    }

    fn next_timestamp(&mut self, now: u64) -> u64 {
        self.last_timestamp = now.max(self.last_timestamp + 1);
        self.last_timestamp
    }

    // ----- accounts -----

    fn create_account(&mut self, a: &Account, now: u64) -> AR {
        if let Some(r) = validate_account(a) {
            return r;
        }
        if let Some(e) = self.accounts.get(&a.id) {
            return account_exists(a, e);
        }
        let account = Account {
            timestamp: self.next_timestamp(now),
            ..*a
        };
        self.accounts.insert(account.id, account);
        self.record(Undo::NewAccount(account.id));
        self.new_ids.insert(account.id);
        self.changes.new_accounts.push(account);
        AR::Ok
    }

    /// Writes an account back, remembering its old value for a chain rollback.
    fn put_account(&mut self, account: Account, timestamp: u64) {
        if let Some(old) = self.accounts.insert(account.id, account) {
            self.record(Undo::Account(old));
        }
        if self.dirty.insert(account.id) {
            self.record(Undo::Dirty(account.id));
        }
        if account.flags.contains(AccountFlags::HISTORY) {
            self.changes
                .history
                .push(AccountBalance::of(&account, timestamp));
        }
    }

    // ----- transfers -----

    fn create_transfer(&mut self, t: &Transfer, now: u64) -> TR {
        if let Some(r) = validate_common(t) {
            return r;
        }
        let f = t.flags;
        if f.contains(TransferFlags::POST_PENDING) || f.contains(TransferFlags::VOID_PENDING) {
            return self.post_or_void(t, now);
        }
        if let Some(r) = validate_single_phase(t) {
            return r;
        }
        if let Some(e) = self.transfers.get(&t.id) {
            return transfer_exists(t, e, None);
        }
        let Some(mut dr) = self.accounts.get(&t.debit_account_id).copied() else {
            return TR::DebitAccountNotFound;
        };
        let Some(mut cr) = self.accounts.get(&t.credit_account_id).copied() else {
            return TR::CreditAccountNotFound;
        };
        if dr.ledger != cr.ledger {
            return TR::AccountsMustHaveTheSameLedger;
        }
        if t.ledger != dr.ledger {
            return TR::TransferMustHaveTheSameLedgerAsAccounts;
        }
        if dr.flags.contains(AccountFlags::CLOSED) {
            return TR::DebitAccountAlreadyClosed;
        }
        if cr.flags.contains(AccountFlags::CLOSED) {
            return TR::CreditAccountAlreadyClosed;
        }
        let amount = match balanced_amount(t, &dr, &cr) {
            Ok(amount) => amount,
            Err(r) => return r,
        };
        let pending = f.contains(TransferFlags::PENDING);
        if let Some(r) = check_overflows(&dr, &cr, amount, pending) {
            return r;
        }
        if let Some(r) = check_limits(&dr, &cr, amount) {
            return r;
        }
        let ts = self.next_timestamp(now);
        let expires_at = if pending && t.timeout != 0 {
            match u64::from(t.timeout)
                .checked_mul(NANOS_PER_SECOND)
                .and_then(|d| ts.checked_add(d))
            {
                Some(at) if at <= AMOUNT_MAX => at,
                _ => return TR::OverflowsTimeout,
            }
        } else {
            0
        };
        // Overflow checks above make these additions exact.
        if pending {
            dr.debits_pending += amount;
            cr.credits_pending += amount;
            if f.contains(TransferFlags::CLOSING_DEBIT) {
                dr.flags = dr.flags.union(AccountFlags::CLOSED);
            }
            if f.contains(TransferFlags::CLOSING_CREDIT) {
                cr.flags = cr.flags.union(AccountFlags::CLOSED);
            }
        } else {
            dr.debits_posted += amount;
            cr.credits_posted += amount;
        }
        self.put_account(dr, ts);
        self.put_account(cr, ts);
        let stored = Transfer {
            amount,
            timestamp: ts,
            ..*t
        };
        self.insert_transfer(stored);
        if pending {
            self.record(Undo::Pending(t.id, None));
            self.pending.insert(
                t.id,
                Pending {
                    status: PendingStatus::Pending,
                    expires_at,
                },
            );
            if expires_at != 0 {
                self.expiries.insert((expires_at, t.id));
                self.record(Undo::ExpiryAdded(expires_at, t.id));
            }
        }
        TR::Ok
    }

    fn insert_transfer(&mut self, t: Transfer) {
        self.transfers.insert(t.id, t);
        self.record(Undo::Transfer(t.id));
        self.changes.transfers.push(t);
    }

    fn post_or_void(&mut self, t: &Transfer, now: u64) -> TR {
        if let Some(r) = validate_two_phase(t) {
            return r;
        }
        if let Some(e) = self.transfers.get(&t.id) {
            return transfer_exists(t, e, self.transfers.get(&t.pending_id));
        }
        let Some(p) = self.transfers.get(&t.pending_id).copied() else {
            return TR::PendingTransferNotFound;
        };
        if !p.flags.contains(TransferFlags::PENDING) {
            return TR::PendingTransferNotPending;
        }
        if let Some(r) = check_matches_pending(t, &p) {
            return r;
        }
        let post = t.flags.contains(TransferFlags::POST_PENDING);
        let amount = if post {
            let amount = if t.amount == 0 { p.amount } else { t.amount };
            if amount > p.amount {
                return TR::ExceedsPendingTransferAmount;
            }
            amount
        } else {
            if t.amount != 0 && t.amount != p.amount {
                return TR::PendingTransferHasDifferentAmount;
            }
            p.amount
        };
        let state = self.pending.get(&p.id).copied();
        match state.map(|s| s.status) {
            Some(PendingStatus::Posted) => return TR::PendingTransferAlreadyPosted,
            Some(PendingStatus::Voided) => return TR::PendingTransferAlreadyVoided,
            Some(PendingStatus::Expired) => return TR::PendingTransferExpired,
            Some(PendingStatus::Pending) | None => {}
        }
        let expires_at = state.map_or(0, |s| s.expires_at);
        if expires_at != 0 && expires_at <= now {
            return TR::PendingTransferExpired;
        }
        if let Some(r) = post.then(|| self.check_open_for_post(&p)).flatten() {
            return r;
        }
        let Some((dr, cr)) = self.hold_accounts(&p) else {
            return TR::PendingTransferNotFound;
        };
        let (dr, cr) = match settle_hold(&p, dr, cr, post.then_some(amount)) {
            Ok(accounts) => accounts,
            Err(r) => return r,
        };
        let ts = self.next_timestamp(now);
        self.put_account(dr, ts);
        self.put_account(cr, ts);
        let stored = Transfer {
            debit_account_id: p.debit_account_id,
            credit_account_id: p.credit_account_id,
            ledger: p.ledger,
            code: p.code,
            amount,
            user_data_128: if t.user_data_128 == 0 {
                p.user_data_128
            } else {
                t.user_data_128
            },
            user_data_64: if t.user_data_64 == 0 {
                p.user_data_64
            } else {
                t.user_data_64
            },
            user_data_32: if t.user_data_32 == 0 {
                p.user_data_32
            } else {
                t.user_data_32
            },
            timestamp: ts,
            ..*t
        };
        self.insert_transfer(stored);
        let status = if post {
            PendingStatus::Posted
        } else {
            PendingStatus::Voided
        };
        self.set_pending(p.id, status, expires_at);
        TR::Ok
    }

    /// A post may not touch an account closed by anything but this very hold.
    fn check_open_for_post(&self, p: &Transfer) -> Option<TR> {
        let dr = self.accounts.get(&p.debit_account_id)?;
        let cr = self.accounts.get(&p.credit_account_id)?;
        if dr.flags.contains(AccountFlags::CLOSED)
            && !p.flags.contains(TransferFlags::CLOSING_DEBIT)
        {
            return Some(TR::DebitAccountAlreadyClosed);
        }
        if cr.flags.contains(AccountFlags::CLOSED)
            && !p.flags.contains(TransferFlags::CLOSING_CREDIT)
        {
            return Some(TR::CreditAccountAlreadyClosed);
        }
        None
    }

    /// The two accounts of a hold.
    fn hold_accounts(&self, p: &Transfer) -> Option<(Account, Account)> {
        let dr = self.accounts.get(&p.debit_account_id)?;
        let cr = self.accounts.get(&p.credit_account_id)?;
        Some((*dr, *cr))
    }

    /// Releases an expired hold.
    fn release_hold(&mut self, p: &Transfer, ts: u64) {
        let Some((dr, cr)) = self.hold_accounts(p) else {
            return;
        };
        if let Ok((dr, cr)) = settle_hold(p, dr, cr, None) {
            self.put_account(dr, ts);
            self.put_account(cr, ts);
        }
    }

    fn set_pending(&mut self, id: u128, status: PendingStatus, expires_at: u64) {
        let old = self.pending.insert(id, Pending { status, expires_at });
        self.record(Undo::Pending(id, old));
        if expires_at != 0 && self.expiries.remove(&(expires_at, id)) {
            self.record(Undo::ExpiryRemoved(expires_at, id));
        }
        self.changes.pending_updates.push((id, status));
    }
}

// ----- pure checks (no state) -----

fn validate_account(a: &Account) -> Option<AR> {
    let checks = [
        (a.timestamp != 0, AR::TimestampMustBeZero),
        (a.flags.has_unknown_bits(), AR::ReservedFlag),
        (a.id == 0, AR::IdMustNotBeZero),
        (a.id == u128::MAX, AR::IdMustNotBeIntMax),
        (
            a.flags
                .contains(AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS)
                && a.flags
                    .contains(AccountFlags::CREDITS_MUST_NOT_EXCEED_DEBITS),
            AR::FlagsAreMutuallyExclusive,
        ),
        (
            a.flags.contains(AccountFlags::CLOSED),
            AR::FlagsAreMutuallyExclusive,
        ),
        (a.debits_pending != 0, AR::DebitsPendingMustBeZero),
        (a.debits_posted != 0, AR::DebitsPostedMustBeZero),
        (a.credits_pending != 0, AR::CreditsPendingMustBeZero),
        (a.credits_posted != 0, AR::CreditsPostedMustBeZero),
        (a.ledger == 0, AR::LedgerMustNotBeZero),
        (a.code == 0, AR::CodeMustNotBeZero),
    ];
    checks.into_iter().find_map(|(bad, r)| bad.then_some(r))
}

fn account_exists(a: &Account, e: &Account) -> AR {
    // The linked flag is about the batch, not the account.
    let flags = |f: AccountFlags| {
        f.without(AccountFlags::LINKED)
            .without(AccountFlags::CLOSED)
    };
    let checks = [
        (
            flags(a.flags) != flags(e.flags),
            AR::ExistsWithDifferentFlags,
        ),
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
    checks
        .into_iter()
        .find_map(|(bad, r)| bad.then_some(r))
        .unwrap_or(AR::Exists)
}

/// Checks every transfer shares: timestamp, flags, id.
fn validate_common(t: &Transfer) -> Option<TR> {
    let f = t.flags;
    let phases = [
        TransferFlags::PENDING,
        TransferFlags::POST_PENDING,
        TransferFlags::VOID_PENDING,
    ]
    .into_iter()
    .filter(|p| f.contains(*p))
    .count();
    let two_phase =
        f.contains(TransferFlags::POST_PENDING) || f.contains(TransferFlags::VOID_PENDING);
    let balancing =
        f.contains(TransferFlags::BALANCING_DEBIT) || f.contains(TransferFlags::BALANCING_CREDIT);
    let closing =
        f.contains(TransferFlags::CLOSING_DEBIT) || f.contains(TransferFlags::CLOSING_CREDIT);
    let checks = [
        (t.timestamp != 0, TR::TimestampMustBeZero),
        (f.has_unknown_bits(), TR::ReservedFlag),
        (t.id == 0, TR::IdMustNotBeZero),
        (t.id == u128::MAX, TR::IdMustNotBeIntMax),
        (phases > 1, TR::FlagsAreMutuallyExclusive),
        (
            two_phase && (balancing || closing),
            TR::FlagsAreMutuallyExclusive,
        ),
        (
            closing && !f.contains(TransferFlags::PENDING),
            TR::ClosingTransferMustBePending,
        ),
        (t.amount > AMOUNT_MAX, TR::AmountExceedsMaximum),
    ];
    checks.into_iter().find_map(|(bad, r)| bad.then_some(r))
}

fn validate_single_phase(t: &Transfer) -> Option<TR> {
    let checks = [
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
            !t.flags.contains(TransferFlags::PENDING) && t.timeout != 0,
            TR::TimeoutReservedForPendingTransfer,
        ),
        (t.amount == 0, TR::AmountMustNotBeZero),
        (t.ledger == 0, TR::LedgerMustNotBeZero),
        (t.code == 0, TR::CodeMustNotBeZero),
    ];
    checks.into_iter().find_map(|(bad, r)| bad.then_some(r))
}

fn validate_two_phase(t: &Transfer) -> Option<TR> {
    let checks = [
        (t.pending_id == 0, TR::PendingIdMustNotBeZero),
        (t.pending_id == u128::MAX, TR::PendingIdMustNotBeIntMax),
        (t.pending_id == t.id, TR::PendingIdMustBeDifferent),
        (t.timeout != 0, TR::TimeoutReservedForPendingTransfer),
    ];
    checks.into_iter().find_map(|(bad, r)| bad.then_some(r))
}

fn check_matches_pending(t: &Transfer, p: &Transfer) -> Option<TR> {
    let checks = [
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
    checks.into_iter().find_map(|(bad, r)| bad.then_some(r))
}

/// The same id again: `exists` when the request is the one applied, else the first difference.
/// On a post or void, zero accounts, ledger and code mean "the hold's", and so do a zero amount
/// and zero user data: they are compared as the hold's values.
fn transfer_exists(t: &Transfer, e: &Transfer, hold: Option<&Transfer>) -> TR {
    let f = t.flags;
    let two_phase =
        f.contains(TransferFlags::POST_PENDING) || f.contains(TransferFlags::VOID_PENDING);
    let balancing =
        f.contains(TransferFlags::BALANCING_DEBIT) || f.contains(TransferFlags::BALANCING_CREDIT);
    let or_hold = |asked: u128, of_hold: fn(&Transfer) -> u128| match hold {
        Some(p) if two_phase && asked == 0 => of_hold(p),
        _ => asked,
    };
    let amount = u128::from(t.amount);
    let amount_differs = if balancing {
        e.amount > t.amount
    } else {
        or_hold(amount, |p| u128::from(p.amount)) != u128::from(e.amount)
    };
    let loose = |asked: u128, stored: u128| (asked != 0 || !two_phase) && asked != stored;
    let checks = [
        (t.flags != e.flags, TR::ExistsWithDifferentFlags),
        (
            t.pending_id != e.pending_id,
            TR::ExistsWithDifferentPendingId,
        ),
        (
            loose(t.debit_account_id, e.debit_account_id),
            TR::ExistsWithDifferentDebitAccountId,
        ),
        (
            loose(t.credit_account_id, e.credit_account_id),
            TR::ExistsWithDifferentCreditAccountId,
        ),
        (amount_differs, TR::ExistsWithDifferentAmount),
        (
            or_hold(t.user_data_128, |p| p.user_data_128) != e.user_data_128,
            TR::ExistsWithDifferentUserData128,
        ),
        (
            or_hold(u128::from(t.user_data_64), |p| u128::from(p.user_data_64))
                != u128::from(e.user_data_64),
            TR::ExistsWithDifferentUserData64,
        ),
        (
            or_hold(u128::from(t.user_data_32), |p| u128::from(p.user_data_32))
                != u128::from(e.user_data_32),
            TR::ExistsWithDifferentUserData32,
        ),
        (t.timeout != e.timeout, TR::ExistsWithDifferentTimeout),
        (
            loose(u128::from(t.ledger), u128::from(e.ledger)),
            TR::ExistsWithDifferentLedger,
        ),
        (
            loose(u128::from(t.code), u128::from(e.code)),
            TR::ExistsWithDifferentCode,
        ),
    ];
    checks
        .into_iter()
        .find_map(|(bad, r)| bad.then_some(r))
        .unwrap_or(TR::Exists)
}

/// The amount a transfer will move: the asked amount, or for a balancing transfer at most
/// what the account has room for. A balancing transfer that can move nothing is refused.
fn balanced_amount(t: &Transfer, dr: &Account, cr: &Account) -> Result<u64, TR> {
    let mut amount = t.amount;
    if t.flags.contains(TransferFlags::BALANCING_DEBIT) {
        let room = u64::try_from(dr.available_debit().max(0)).unwrap_or(u64::MAX);
        amount = amount.min(room);
        if amount == 0 {
            return Err(TR::ExceedsCredits);
        }
    }
    if t.flags.contains(TransferFlags::BALANCING_CREDIT) {
        let room = u64::try_from(cr.available_credit().max(0)).unwrap_or(u64::MAX);
        amount = amount.min(room);
        if amount == 0 {
            return Err(TR::ExceedsDebits);
        }
    }
    Ok(amount)
}

fn fits(a: u64, b: u64) -> bool {
    a.checked_add(b).is_some_and(|s| s <= AMOUNT_MAX)
}

fn check_overflows(dr: &Account, cr: &Account, amount: u64, pending: bool) -> Option<TR> {
    let checks = [
        (
            pending && !fits(dr.debits_pending, amount),
            TR::OverflowsDebitsPending,
        ),
        (
            pending && !fits(cr.credits_pending, amount),
            TR::OverflowsCreditsPending,
        ),
        (
            !pending && !fits(dr.debits_posted, amount),
            TR::OverflowsDebitsPosted,
        ),
        (
            !pending && !fits(cr.credits_posted, amount),
            TR::OverflowsCreditsPosted,
        ),
        (
            !fits(dr.debits_pending.saturating_add(dr.debits_posted), amount),
            TR::OverflowsDebits,
        ),
        (
            !fits(cr.credits_pending.saturating_add(cr.credits_posted), amount),
            TR::OverflowsCredits,
        ),
    ];
    checks.into_iter().find_map(|(bad, r)| bad.then_some(r))
}

/// The two accounts after a hold is settled: its amount leaves the pending balances and, for a
/// post, `posted` enters the posted ones. A voided or expired closing hold re-opens its
/// account; a posted one keeps it closed.
fn settle_hold(
    p: &Transfer,
    mut dr: Account,
    mut cr: Account,
    posted: Option<u64>,
) -> Result<(Account, Account), TR> {
    // Holds are in the pending balances while they live; anything else is a broken invariant.
    debug_assert!(dr.debits_pending >= p.amount && cr.credits_pending >= p.amount);
    dr.debits_pending = dr.debits_pending.saturating_sub(p.amount);
    cr.credits_pending = cr.credits_pending.saturating_sub(p.amount);
    match posted {
        Some(amount) => {
            dr.debits_posted = dr
                .debits_posted
                .checked_add(amount)
                .filter(|b| *b <= AMOUNT_MAX)
                .ok_or(TR::OverflowsDebitsPosted)?;
            cr.credits_posted = cr
                .credits_posted
                .checked_add(amount)
                .filter(|b| *b <= AMOUNT_MAX)
                .ok_or(TR::OverflowsCreditsPosted)?;
        }
        None => {
            if p.flags.contains(TransferFlags::CLOSING_DEBIT) {
                dr.flags = dr.flags.without(AccountFlags::CLOSED);
            }
            if p.flags.contains(TransferFlags::CLOSING_CREDIT) {
                cr.flags = cr.flags.without(AccountFlags::CLOSED);
            }
        }
    }
    Ok((dr, cr))
}

fn check_limits(dr: &Account, cr: &Account, amount: u64) -> Option<TR> {
    // Overflow checks ran first, so these sums fit in u64.
    if dr
        .flags
        .contains(AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS)
        && dr.debits_pending + dr.debits_posted + amount > dr.credits_posted
    {
        return Some(TR::ExceedsCredits);
    }
    if cr
        .flags
        .contains(AccountFlags::CREDITS_MUST_NOT_EXCEED_DEBITS)
        && cr.credits_pending + cr.credits_posted + amount > cr.debits_posted
    {
        return Some(TR::ExceedsDebits);
    }
    None
}
