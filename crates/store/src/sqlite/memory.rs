//! What the embedded ledger keeps in memory: the whole ledger, and per account the timestamps
//! and ids of its transfers in time order.
//!
//! SQLite holds the durable copy; memory answers the questions a B-tree index would, because
//! random-order index inserts (one per transfer per account) cost more than everything else a
//! commit writes. The index is rebuilt at start-up from the transfers, which are loaded anyway.

use cardlife_ledger::{Ledger, Transfer};
use rustc_hash::FxHashMap;

use crate::ledger::AccountFilter;

/// The committed state of an embedded ledger.
#[derive(Debug, Default)]
pub(crate) struct Memory {
    pub ledger: Ledger,
    by_account: FxHashMap<u128, Vec<(u64, u128)>>,
}

impl Memory {
    /// Builds the per-account index of a freshly loaded ledger.
    pub(crate) fn new(ledger: Ledger) -> Self {
        let mut transfers: Vec<(u64, u128, u128, u128)> = ledger
            .transfers()
            .map(|t| (t.timestamp, t.id, t.debit_account_id, t.credit_account_id))
            .collect();
        transfers.sort_unstable();
        let mut memory = Self {
            ledger,
            by_account: FxHashMap::default(),
        };
        for (ts, id, debit, credit) in transfers {
            memory.index(ts, id, debit, credit);
        }
        memory
    }

    /// Adds committed transfers (in timestamp order) to the index.
    pub(crate) fn index_transfers(&mut self, transfers: &[Transfer]) {
        for t in transfers {
            self.index(t.timestamp, t.id, t.debit_account_id, t.credit_account_id);
        }
    }

    fn index(&mut self, ts: u64, id: u128, debit: u128, credit: u128) {
        for account in [debit, credit] {
            self.by_account.entry(account).or_default().push((ts, id));
        }
    }

    /// An account's transfers in a time range, oldest or newest first.
    pub(crate) fn account_transfers(&self, f: &AccountFilter, limit: usize) -> Vec<Transfer> {
        let Some(entries) = self.by_account.get(&f.account_id) else {
            return Vec::new();
        };
        let max = if f.timestamp_max == 0 {
            u64::MAX
        } else {
            f.timestamp_max
        };
        let lo = entries.partition_point(|(ts, _)| *ts < f.timestamp_min);
        let hi = entries.partition_point(|(ts, _)| *ts <= max);
        let range = &entries[lo..hi.max(lo)];
        let pick = |(_, id): &(u64, u128)| self.ledger.transfer(*id).copied();
        if f.reversed {
            range.iter().rev().take(limit).filter_map(pick).collect()
        } else {
            range.iter().take(limit).filter_map(pick).collect()
        }
    }
}
