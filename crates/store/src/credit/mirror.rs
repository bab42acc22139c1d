//! The card's ledger mirrored to the main ledger with deterministic ids: the high 64 bits are
//! [`NAMESPACE`] | the account's number, the low 64 bits the engine's local id. Replaying an
//! account rebuilds the same transfers with the same ids, so mirroring them again answers
//! `exists` and creates nothing twice (docs/architecture.md, the credit path). A command's own
//! changes travel in its event's commit ([`super::writer`]); [`mirror`] submits the rest.

use cardlife_ledger::{Account, Transfer};

use super::error::CreditError;
use super::writer::MirrorOutcome;
use crate::ledger::LedgerService;

/// Marks the high 64 bits of every credit-account id on the main ledger ("CR" in the top two
/// bytes), so they never meet the small ids other callers use.
pub const NAMESPACE: u64 = 0x4352 << 48;

/// The main-ledger id of the engine's local id `local` in account `number`.
pub fn global_id(number: u64, local: u128) -> u128 {
    (u128::from(NAMESPACE | number) << 64) | (local & u128::from(u64::MAX))
}

/// The account number and local id of a main-ledger id, if it is in the credit namespace.
pub fn split_id(id: u128) -> Option<(u64, u128)> {
    let high = u64::try_from(id >> 64).ok()?;
    if high & (0xFFFF << 48) != NAMESPACE {
        return None;
    }
    Some((high & !(0xFFFF << 48), id & u128::from(u64::MAX)))
}

fn account(number: u64, a: &Account) -> Account {
    Account::new(global_id(number, a.id), a.ledger, a.code, a.flags)
}

fn transfer(number: u64, t: &Transfer) -> Transfer {
    Transfer {
        id: global_id(number, t.id),
        debit_account_id: global_id(number, t.debit_account_id),
        credit_account_id: global_id(number, t.credit_account_id),
        pending_id: if t.pending_id == 0 {
            0
        } else {
            global_id(number, t.pending_id)
        },
        timeout: 0,
        timestamp: 0,
        ..*t
    }
}

/// The engine's new accounts and transfers in main-ledger ids (what a command's commit carries
/// with its event: [`super::writer::Mirrored`]).
pub(crate) fn to_main(
    number: u64,
    accounts: &[Account],
    transfers: &[Transfer],
) -> (Vec<Account>, Vec<Transfer>) {
    (
        accounts.iter().map(|a| account(number, a)).collect(),
        transfers.iter().map(|t| transfer(number, t)).collect(),
    )
}

/// Whether the ledger took every account and transfer of a command's commit (`ok` and
/// `exists` are both success); the first refusal otherwise.
pub(crate) fn check(outcome: &MirrorOutcome) -> Result<(), CreditError> {
    if let Some(r) = outcome.accounts.iter().find(|r| !r.is_success()) {
        return Err(CreditError::Mirror(format!("account: {}", r.as_str())));
    }
    if let Some(r) = outcome.transfers.iter().find(|r| !r.is_success()) {
        return Err(CreditError::Mirror(format!("transfer: {}", r.as_str())));
    }
    Ok(())
}

/// Submits the engine's new accounts and transfers on their own (at start-up, after the days
/// close, or what a command's commit could not carry); `ok` and `exists` are both success.
pub async fn mirror(
    ledger: &LedgerService,
    number: u64,
    accounts: &[Account],
    transfers: &[Transfer],
) -> Result<(), CreditError> {
    let batch: Vec<Account> = accounts.iter().map(|a| account(number, a)).collect();
    for chunk in batch.chunks(cardlife_ledger::BATCH_MAX) {
        let results = ledger.create_accounts(chunk.to_vec()).await?;
        if let Some(r) = results.iter().find(|r| !r.is_success()) {
            return Err(CreditError::Mirror(format!("account: {}", r.as_str())));
        }
    }
    let batch: Vec<Transfer> = transfers.iter().map(|t| transfer(number, t)).collect();
    for chunk in batch.chunks(cardlife_ledger::BATCH_MAX) {
        let results = ledger.create_transfers(chunk.to_vec()).await?;
        if let Some(r) = results.iter().find(|r| !r.is_success()) {
            return Err(CreditError::Mirror(format!("transfer: {}", r.as_str())));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_the_namespace() {
        let id = global_id(42, 7);
        assert_eq!(split_id(id), Some((42, 7)));
        assert_eq!(split_id(7), None);
    }
}
