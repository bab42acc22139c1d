//! Points on the ledger (docs/rewards.md, "Points on the ledger"): a ledger of their own
//! ([`LEDGER_POINTS`], apart from CNY fen), one liability account of the programme and one
//! account per customer. `cardlife bench points` opens its accounts with the same constructors.
//!
//! Direction: points credited to a customer (accrual, a mall refund) **debit the programme and
//! credit the customer**; points taken (redemption, expiry, claw-back) run the other way. A
//! customer account is credit-balance and may never go negative
//! (`DEBITS_MUST_NOT_EXCEED_CREDITS`); the programme account is debit-balance — its
//! `debits − credits` is the points outstanding, what the programme owes — and may never go below
//! zero (`CREDITS_MUST_NOT_EXCEED_DEBITS`). So the programme's balance equals Σ customer balances.

use cardlife_kernel::CustomerId;
use cardlife_ledger::{Account, AccountFlags};

use crate::merchants::funding::derived_id;

/// The points ledger (the money ledger is 156).
pub const LEDGER_POINTS: u32 = 2;
/// Account code of the programme's liability account.
pub const CODE_PROGRAMME: u16 = 20;
/// Account code of a customer points account.
pub const CODE_CUSTOMER: u16 = 21;
/// Transfer code: points earned on a card payment.
pub const CODE_ACCRUAL: u16 = 1;
/// Transfer code: points redeemed (the points mall).
pub const CODE_REDEMPTION: u16 = 2;
/// Transfer code: points lapsed.
pub const CODE_EXPIRY: u16 = 3;
/// Transfer code: points clawed back on a refund.
pub const CODE_CLAWBACK: u16 = 4;
/// Transfer code: redeemed points given back by a mall refund.
pub const CODE_RECREDIT: u16 = 5;
/// Transfer code: points rewarding a referral.
pub const CODE_REFERRAL: u16 = 6;

/// The programme's liability account `id`.
pub fn programme_account(id: u128) -> Account {
    Account::new(
        id,
        LEDGER_POINTS,
        CODE_PROGRAMME,
        AccountFlags::CREDITS_MUST_NOT_EXCEED_DEBITS,
    )
}

/// A customer points account `id`.
pub fn customer_account(id: u128) -> Account {
    Account::new(
        id,
        LEDGER_POINTS,
        CODE_CUSTOMER,
        AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS,
    )
}

/// The id of the platform programme's liability account.
pub fn programme_id() -> u128 {
    derived_id("points-programme", b"cardlife", 0)
}

/// The id of `customer`'s points account.
pub fn customer_id(customer: CustomerId) -> u128 {
    derived_id("points-account", customer.as_uuid().as_bytes(), 0)
}

/// The transfer id of the movement of `kind` for `reference` (the same movement, the same id).
pub fn movement_id(kind: &str, reference: &str) -> u128 {
    derived_id(
        "points-movement",
        format!("{kind}\0{reference}").as_bytes(),
        0,
    )
}

/// The transfer code of a movement kind.
pub fn code_of(kind: &str) -> u16 {
    match kind {
        "accrual" => CODE_ACCRUAL,
        "redemption" => CODE_REDEMPTION,
        "expiry" => CODE_EXPIRY,
        "clawback" => CODE_CLAWBACK,
        "referral" => CODE_REFERRAL,
        _ => CODE_RECREDIT,
    }
}
