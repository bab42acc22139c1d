//! The embedded store's fixed binary records for transfers and logged balances.
//!
//! A commit of 8,190 transfers binds three values per row instead of fifteen; binding and
//! decoding columns cost more than SQLite's own work. The layout is little-endian and fixed:
//!
//! transfer (120 bytes): id 16 | debit_account_id 16 | credit_account_id 16 | pending_id 16 |
//! user_data_128 16 | amount 8 | user_data_64 8 | timestamp 8 | user_data_32 4 | timeout 4 |
//! ledger 4 | code 2 | flags 2
//!
//! balances (50 bytes): account id 16 | debits_pending 8 | debits_posted 8 | credits_pending 8 |
//! credits_posted 8 | flags 2

use cardlife_ledger::{Account, AccountFlags, Transfer, TransferFlags};

use crate::error::StoreError;

/// Bytes of an encoded transfer.
pub(crate) const TRANSFER_LEN: usize = 120;
/// Bytes of an encoded balance record.
pub(crate) const BALANCES_LEN: usize = 50;

/// Appends little-endian fields to a buffer.
struct Writer(Vec<u8>);

impl Writer {
    fn u128(mut self, v: u128) -> Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
    fn u64(mut self, v: u64) -> Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
    fn u32(mut self, v: u32) -> Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
    fn u16(mut self, v: u16) -> Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
}

/// Reads little-endian fields from a record of checked length.
struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        let (head, tail) = self.0.split_at(N.min(self.0.len()));
        out[..head.len()].copy_from_slice(head);
        self.0 = tail;
        out
    }
    fn u128(&mut self) -> u128 {
        u128::from_le_bytes(self.take())
    }
    fn u64(&mut self) -> u64 {
        u64::from_le_bytes(self.take())
    }
    fn u32(&mut self) -> u32 {
        u32::from_le_bytes(self.take())
    }
    fn u16(&mut self) -> u16 {
        u16::from_le_bytes(self.take())
    }
}

/// A transfer as stored.
pub(crate) fn encode_transfer(t: &Transfer) -> Vec<u8> {
    Writer(Vec::with_capacity(TRANSFER_LEN))
        .u128(t.id)
        .u128(t.debit_account_id)
        .u128(t.credit_account_id)
        .u128(t.pending_id)
        .u128(t.user_data_128)
        .u64(t.amount)
        .u64(t.user_data_64)
        .u64(t.timestamp)
        .u32(t.user_data_32)
        .u32(t.timeout)
        .u32(t.ledger)
        .u16(t.code)
        .u16(t.flags.bits())
        .0
}

/// A stored transfer back.
pub(crate) fn decode_transfer(bytes: &[u8]) -> Result<Transfer, StoreError> {
    if bytes.len() != TRANSFER_LEN {
        return Err(StoreError::Corrupt("transfer record length"));
    }
    let mut r = Reader(bytes);
    let mut t = Transfer {
        id: r.u128(),
        debit_account_id: r.u128(),
        credit_account_id: r.u128(),
        pending_id: r.u128(),
        user_data_128: r.u128(),
        amount: r.u64(),
        user_data_64: r.u64(),
        timestamp: r.u64(),
        user_data_32: r.u32(),
        timeout: r.u32(),
        ledger: r.u32(),
        code: r.u16(),
        ..Transfer::default()
    };
    t.flags = TransferFlags::from_bits(r.u16()).ok_or(StoreError::Corrupt("transfer flags"))?;
    Ok(t)
}

/// An account's balances and flags as logged.
pub(crate) fn encode_balances(a: &Account) -> Vec<u8> {
    Writer(Vec::with_capacity(BALANCES_LEN))
        .u128(a.id)
        .u64(a.debits_pending)
        .u64(a.debits_posted)
        .u64(a.credits_pending)
        .u64(a.credits_posted)
        .u16(a.flags.bits())
        .0
}

/// Logged balances and flags overlaid on their account; returns the account id they name.
pub(crate) fn decode_balances(bytes: &[u8]) -> Result<(u128, [u64; 4], AccountFlags), StoreError> {
    if bytes.len() != BALANCES_LEN {
        return Err(StoreError::Corrupt("balance record length"));
    }
    let mut r = Reader(bytes);
    let id = r.u128();
    let balances = [r.u64(), r.u64(), r.u64(), r.u64()];
    let flags = AccountFlags::from_bits(r.u16()).ok_or(StoreError::Corrupt("account flags"))?;
    Ok((id, balances, flags))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn a_transfer_survives_encoding_with_every_field_at_its_extreme() {
        let t = Transfer {
            id: u128::MAX - 1,
            debit_account_id: 1,
            credit_account_id: u128::MAX - 2,
            amount: cardlife_ledger::AMOUNT_MAX,
            pending_id: 7,
            user_data_128: u128::MAX,
            user_data_64: u64::MAX,
            user_data_32: u32::MAX,
            timeout: u32::MAX,
            ledger: u32::MAX,
            code: u16::MAX,
            flags: TransferFlags::PENDING.union(TransferFlags::LINKED),
            timestamp: 1_795_000_000_000_000_000,
        };
        let bytes = encode_transfer(&t);
        assert_eq!(bytes.len(), TRANSFER_LEN);
        assert_eq!(decode_transfer(&bytes).unwrap(), t);
    }

    #[test]
    fn a_short_or_flag_corrupted_record_is_refused() {
        let mut bytes = encode_transfer(&Transfer::default());
        bytes.pop();
        assert!(decode_transfer(&bytes).is_err());
        let mut bytes = encode_transfer(&Transfer::default());
        bytes[TRANSFER_LEN - 1] = 0xff;
        assert!(decode_transfer(&bytes).is_err());
    }

    #[test]
    fn balances_survive_encoding() {
        let mut a = Account::new(42, 1, 1, AccountFlags::HISTORY);
        a.debits_posted = 5;
        a.credits_pending = u64::MAX;
        let (id, balances, flags) = decode_balances(&encode_balances(&a)).unwrap();
        assert_eq!(
            (id, balances, flags),
            (42, [0, 5, u64::MAX, 0], AccountFlags::HISTORY)
        );
    }
}
