//! The invariant checker: recomputes every balance from the transfers and compares.
//!
//! Stores stream their rows into a [`Checker`]; `cardlife ledger check`, the benchmarks and the
//! tests all use it. It trusts nothing it is checking: balances are rebuilt from transfers alone.

use std::collections::BTreeMap;
use std::fmt;

use rustc_hash::FxHashMap;

use crate::account::Account;
use crate::flags::TransferFlags;
use crate::transfer::{PendingStatus, Transfer};

/// One broken invariant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Violation {
    /// A transfer names an account that does not exist.
    UnknownAccount { transfer: u128, account: u128 },
    /// A transfer debits and credits the same account, or moves zero.
    MalformedTransfer { transfer: u128 },
    /// A transfer's accounts or the transfer itself disagree on the ledger.
    LedgerMismatch { transfer: u128 },
    /// Stored balances differ from the sum of the transfers.
    BalanceMismatch {
        account: u128,
        stored: [u64; 4],
        computed: [u128; 4],
    },
    /// An account is beyond the limit its flags set.
    LimitExceeded { account: u128 },
    /// Total debits and credits of one ledger differ.
    LedgerUnbalanced {
        ledger: u32,
        debits: u128,
        credits: u128,
    },
    /// A post or void names a transfer that is not a hold, or settles a hold twice.
    BadSettlement { transfer: u128, pending: u128 },
    /// A hold's status disagrees with the posts and voids that name it.
    PendingStatusMismatch { pending: u128 },
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownAccount { transfer, account } => {
                write!(
                    f,
                    "transfer {transfer:032x} names unknown account {account:032x}"
                )
            }
            Self::MalformedTransfer { transfer } => {
                write!(f, "transfer {transfer:032x} is malformed")
            }
            Self::LedgerMismatch { transfer } => {
                write!(f, "transfer {transfer:032x} crosses ledgers")
            }
            Self::BalanceMismatch {
                account,
                stored,
                computed,
            } => write!(
                f,
                "account {account:032x} stores balances {stored:?} but its transfers sum to {computed:?}"
            ),
            Self::LimitExceeded { account } => {
                write!(f, "account {account:032x} is beyond its limit")
            }
            Self::LedgerUnbalanced {
                ledger,
                debits,
                credits,
            } => {
                write!(f, "ledger {ledger}: debits {debits} != credits {credits}")
            }
            Self::BadSettlement { transfer, pending } => {
                write!(
                    f,
                    "transfer {transfer:032x} settles {pending:032x}, which is not an open hold"
                )
            }
            Self::PendingStatusMismatch { pending } => {
                write!(
                    f,
                    "hold {pending:032x} has a status its posts and voids contradict"
                )
            }
        }
    }
}

/// What a check found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// Accounts checked.
    pub accounts: u64,
    /// Transfers checked.
    pub transfers: u64,
    /// Ledgers seen.
    pub ledgers: u64,
    /// What is wrong; empty when every invariant holds.
    pub violations: Vec<Violation>,
}

impl Report {
    /// Whether every invariant holds.
    pub fn ok(&self) -> bool {
        self.violations.is_empty()
    }
}

#[derive(Debug, Clone, Copy)]
struct Hold {
    amount: u64,
    debit: u128,
    credit: u128,
    status: Option<PendingStatus>,
}

/// Collects accounts, transfers and hold statuses, then checks them all at once.
#[derive(Debug, Default)]
pub struct Checker {
    accounts: FxHashMap<u128, (Account, [u128; 4])>,
    holds: FxHashMap<u128, Hold>,
    transfers: Vec<Transfer>,
    statuses: FxHashMap<u128, PendingStatus>,
    violations: Vec<Violation>,
}

const DEBITS_PENDING: usize = 0;
const DEBITS_POSTED: usize = 1;
const CREDITS_PENDING: usize = 2;
const CREDITS_POSTED: usize = 3;

impl Checker {
    /// An empty checker.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an account as stored.
    pub fn account(&mut self, account: Account) {
        self.accounts.insert(account.id, (account, [0; 4]));
    }

    /// Adds a transfer as stored.
    pub fn transfer(&mut self, transfer: Transfer) {
        if transfer.flags.contains(TransferFlags::PENDING) {
            let hold = Hold {
                amount: transfer.amount,
                debit: transfer.debit_account_id,
                credit: transfer.credit_account_id,
                status: None,
            };
            self.holds.insert(transfer.id, hold);
        }
        self.transfers.push(transfer);
    }

    /// Adds a hold's stored status.
    pub fn pending_status(&mut self, id: u128, status: PendingStatus) {
        self.statuses.insert(id, status);
    }

    /// Runs every check.
    pub fn finish(mut self) -> Report {
        let transfers = std::mem::take(&mut self.transfers);
        for t in &transfers {
            self.apply(t);
        }
        self.check_holds();
        let ledgers = self.check_accounts();
        Report {
            accounts: self.accounts.len() as u64,
            transfers: transfers.len() as u64,
            ledgers,
            violations: self.violations,
        }
    }

    fn apply(&mut self, t: &Transfer) {
        if t.debit_account_id == t.credit_account_id
            || t.amount == 0 && !t.flags.contains(TransferFlags::VOID_PENDING)
        {
            self.violations
                .push(Violation::MalformedTransfer { transfer: t.id });
        }
        let (pending_side, settles) = if t.flags.contains(TransferFlags::PENDING) {
            (true, None)
        } else if t.flags.contains(TransferFlags::POST_PENDING) {
            (false, Some(PendingStatus::Posted))
        } else if t.flags.contains(TransferFlags::VOID_PENDING) {
            (false, Some(PendingStatus::Voided))
        } else {
            (false, None)
        };
        if let Some(status) = settles {
            self.settle(t, status);
            if status == PendingStatus::Voided {
                return;
            }
        }
        let live = !pending_side || self.statuses.get(&t.id) == Some(&PendingStatus::Pending);
        if !live {
            return;
        }
        let (d, c) = if pending_side {
            (DEBITS_PENDING, CREDITS_PENDING)
        } else {
            (DEBITS_POSTED, CREDITS_POSTED)
        };
        self.add(t, t.debit_account_id, d);
        self.add(t, t.credit_account_id, c);
        let ledgers = [t.debit_account_id, t.credit_account_id]
            .map(|id| self.accounts.get(&id).map(|a| a.0.ledger));
        if ledgers.iter().flatten().any(|l| *l != t.ledger) {
            self.violations
                .push(Violation::LedgerMismatch { transfer: t.id });
        }
    }

    fn add(&mut self, t: &Transfer, account: u128, slot: usize) {
        match self.accounts.get_mut(&account) {
            Some((_, sums)) => sums[slot] += u128::from(t.amount),
            None => self.violations.push(Violation::UnknownAccount {
                transfer: t.id,
                account,
            }),
        }
    }

    fn settle(&mut self, t: &Transfer, status: PendingStatus) {
        let ok = match self.holds.get_mut(&t.pending_id) {
            Some(hold) if hold.status.is_none() => {
                hold.status = Some(status);
                hold.debit == t.debit_account_id
                    && hold.credit == t.credit_account_id
                    && t.amount <= hold.amount
                    && (status == PendingStatus::Posted || t.amount == hold.amount)
            }
            _ => false,
        };
        if !ok {
            self.violations.push(Violation::BadSettlement {
                transfer: t.id,
                pending: t.pending_id,
            });
        }
    }

    fn check_holds(&mut self) {
        let mut ids: Vec<u128> = self.holds.keys().copied().collect();
        ids.sort_unstable();
        for id in ids {
            let settled_by = self.holds.get(&id).and_then(|h| h.status);
            let stored = self.statuses.get(&id).copied();
            let consistent = match (stored, settled_by) {
                (Some(PendingStatus::Pending | PendingStatus::Expired), None) => true,
                (Some(s), Some(by)) => s == by,
                _ => false,
            };
            if !consistent {
                self.violations
                    .push(Violation::PendingStatusMismatch { pending: id });
            }
        }
    }

    fn check_accounts(&mut self) -> u64 {
        let mut per_ledger: BTreeMap<u32, [u128; 4]> = BTreeMap::new();
        let mut ids: Vec<u128> = self.accounts.keys().copied().collect();
        ids.sort_unstable();
        for id in ids {
            let Some((a, sums)) = self.accounts.get(&id) else {
                continue;
            };
            let stored = [
                a.debits_pending,
                a.debits_posted,
                a.credits_pending,
                a.credits_posted,
            ];
            if stored.map(u128::from) != *sums {
                self.violations.push(Violation::BalanceMismatch {
                    account: id,
                    stored,
                    computed: *sums,
                });
            }
            if a.exceeds_limits() {
                self.violations
                    .push(Violation::LimitExceeded { account: id });
            }
            let total = per_ledger.entry(a.ledger).or_default();
            for (t, s) in total.iter_mut().zip(stored) {
                *t += u128::from(s);
            }
        }
        for (ledger, t) in &per_ledger {
            for (debits, credits) in [
                (t[DEBITS_POSTED], t[CREDITS_POSTED]),
                (t[DEBITS_PENDING], t[CREDITS_PENDING]),
            ] {
                if debits != credits {
                    self.violations.push(Violation::LedgerUnbalanced {
                        ledger: *ledger,
                        debits,
                        credits,
                    });
                }
            }
        }
        per_ledger.len() as u64
    }
}
