//! Every money movement of the card as a double-entry transfer on an in-memory ledger.
//!
//! Chart of accounts (ledger 156, CNY, amounts in fen):
//!
//! | id | code | account | normal side |
//! |---|---|---|---|
//! | 1–5 | 1101–1105 | cardholder receivable: fees, interest, installments, cash, purchases | debit |
//! | 10 | 2101 | merchant clearing (owed to acquirers for purchases, less refunds) | credit |
//! | 11 | 2102 | cash clearing (cash paid out for advances) | credit |
//! | 12 | 4101 | interest income | credit |
//! | 13 | 4102 | fee income | credit |
//! | 14 | 1201 | repayment clearing (money received from the cardholder) | debit |
//! | 15 | 2201 | overpayment liability (溢缴款) | credit |
//! | 6 | 1106 | cardholder receivable: installment fees (billed, or posted and unbilled) | debit |
//! | 7 | 1107 | cardholder receivable: installment principal not yet billed | debit |
//! | 16 | 4103 | installment fee income | credit |
//!
//! Account 3 (1103) holds installment *principal* only; installment fees have their own
//! receivable (1106) and income (4103) accounts and transfer code, even though a statement shows
//! both in one `installments` line (docs/domain.md §4). Booking a plan moves its principal from the
//! purchase receivable it converts to 1107 (code 9); billing a period moves that period's
//! principal 1107 → 1103 (code 10) and charges its fee 1106 ← 4103 (code 11); an upfront fee is
//! charged at booking (code 11); an early settlement moves the remaining principal 1107 → 1103
//! (code 12) and charges its cost 1106 ← 4103 (code 12). The statement balance is the receivables
//! other than 1107 minus the overpayment; what the cardholder owes in all adds 1107.
//!
//! A cash installment pays its amount out of cash clearing straight into 1107 (code 9). A
//! special-purpose plan (专项分期) pays its amount out of merchant clearing straight into 1107
//! (code 14); the platform then moves it from clearing to the merchant's payable account.
//!
//! A purchase or cash advance is first a pending transfer (receivable ← clearing) and posts on
//! its posting date. A credit (payment or refund) moves from repayment or merchant clearing to
//! the receivable buckets it repays, and any excess to the overpayment liability; a charge
//! posting while there is an overpayment is absorbed by a transfer overpayment → receivable.
//! Receivables may never be credited beyond their posted debits and the overpayment never
//! debited beyond its credits: the ledger enforces both.

use cardlife_kernel::{BusinessZone, Money};
use cardlife_ledger::{Account, AccountFlags, Checker, Ledger, Report, Transfer, TransferFlags};
use jiff::civil::Date;

use super::account::{Bucket, Item};
use super::error::BillingError;

/// The ledger (asset) of CNY.
pub const LEDGER_CNY: u32 = 156;

/// The non-receivable accounts of the chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counter {
    /// Merchant clearing.
    Merchant = 10,
    /// Cash clearing.
    Cash = 11,
    /// Interest income.
    InterestIncome = 12,
    /// Fee income.
    FeeIncome = 13,
    /// Repayment clearing.
    Repayment = 14,
    /// Overpayment liability.
    Overpayment = 15,
    /// Installment fee income.
    InstallmentFeeIncome = 16,
}

/// Receivable: installment fees.
pub const INSTALLMENT_FEE_RECEIVABLE: u128 = 6;
/// Receivable: installment principal booked but not yet billed.
pub const INSTALLMENT_UNBILLED: u128 = 7;

const COUNTERS: [(Counter, u16); 7] = [
    (Counter::Merchant, 2101),
    (Counter::Cash, 2102),
    (Counter::InterestIncome, 4101),
    (Counter::FeeIncome, 4102),
    (Counter::Repayment, 1201),
    (Counter::Overpayment, 2201),
    (Counter::InstallmentFeeIncome, 4103),
];

/// The receivable account of a bucket.
pub fn receivable(bucket: Bucket) -> u128 {
    match bucket {
        Bucket::Fee => 1,
        Bucket::Interest => 2,
        Bucket::Installment => 3,
        Bucket::Cash => 4,
        Bucket::Purchase => 5,
    }
}

/// The receivable account an item is kept on: its bucket's, or 1106 for installment fees.
pub fn receivable_of(item: &Item) -> u128 {
    if item.is_installment_fee() {
        INSTALLMENT_FEE_RECEIVABLE
    } else {
        receivable(item.bucket)
    }
}

/// The receivables that make up a statement balance (all but unbilled installment principal).
const STATEMENT_RECEIVABLES: [u128; 6] = [1, 2, 3, 4, 5, INSTALLMENT_FEE_RECEIVABLE];

/// Transfer codes (why the money moved).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Why {
    /// A purchase (hold and post).
    Purchase = 1,
    /// A cash advance (hold and post).
    CashAdvance = 2,
    /// A cash-advance fee.
    CashFee = 3,
    /// A late fee.
    LateFee = 4,
    /// Interest billed.
    Interest = 5,
    /// A payment.
    Payment = 6,
    /// A refund.
    Refund = 7,
    /// An overpayment absorbing a charge.
    Absorb = 8,
    /// Principal converted into an installment plan (purchase receivable → 1107).
    InstallmentBooking = 9,
    /// A period's installment principal billed (1107 → 1103).
    InstallmentPrincipal = 10,
    /// An installment fee charged (per period, or upfront at booking).
    InstallmentFee = 11,
    /// An early settlement: remaining principal billed and its cost charged.
    InstallmentSettlement = 12,
    /// A plan cancelled by the full refund of its purchase: remaining principal billed.
    InstallmentCancellation = 13,
    /// A special-purpose plan (专项分期) paid to the merchant: merchant clearing → 1107.
    SpecialPurposeBooking = 14,
}

/// The card's ledger and the next transfer id.
#[derive(Debug, Clone)]
pub struct Postings {
    ledger: Ledger,
    zone: BusinessZone,
    next_id: u128,
}

impl Postings {
    /// A fresh ledger with the chart of accounts, created on `opened`.
    pub fn open(opened: Date) -> Result<Self, BillingError> {
        let mut accounts: Vec<Account> = Bucket::DEFAULT_ORDER
            .iter()
            .map(|b| {
                let id = receivable(*b);
                let code = 1100 + u16::try_from(id).unwrap_or(0);
                Account::new(
                    id,
                    LEDGER_CNY,
                    code,
                    AccountFlags::CREDITS_MUST_NOT_EXCEED_DEBITS,
                )
            })
            .collect();
        for (id, code) in [
            (INSTALLMENT_FEE_RECEIVABLE, 1106),
            (INSTALLMENT_UNBILLED, 1107),
        ] {
            accounts.push(Account::new(
                id,
                LEDGER_CNY,
                code,
                AccountFlags::CREDITS_MUST_NOT_EXCEED_DEBITS,
            ));
        }
        for (counter, code) in COUNTERS {
            let flags = if counter == Counter::Overpayment {
                AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS
            } else {
                AccountFlags::NONE
            };
            accounts.push(Account::new(counter as u128, LEDGER_CNY, code, flags));
        }
        let mut me = Self {
            ledger: Ledger::new(),
            zone: BusinessZone::shanghai(),
            next_id: 1,
        };
        let now = me.now(opened)?;
        for r in me.ledger.create_accounts(&accounts, now) {
            if !r.is_success() {
                return Err(BillingError::LedgerRefused {
                    what: "account",
                    result: r.as_str().into(),
                });
            }
        }
        Ok(me)
    }

    fn now(&self, day: Date) -> Result<u64, BillingError> {
        let ns = self.zone.start_of(day).as_nanosecond();
        u64::try_from(ns).map_err(|_| BillingError::Date(format!("{day} is before 1970")))
    }

    fn submit(
        &mut self,
        mut t: Transfer,
        day: Date,
        what: &'static str,
    ) -> Result<u128, BillingError> {
        t.id = self.next_id;
        t.ledger = LEDGER_CNY;
        self.next_id += 1;
        let now = self.now(day)?;
        let result = self.ledger.create_transfers(&[t], now);
        match result.first() {
            Some(r) if r.is_success() => Ok(t.id),
            Some(r) => Err(BillingError::LedgerRefused {
                what,
                result: r.as_str().into(),
            }),
            None => Err(BillingError::LedgerRefused {
                what,
                result: "no result".into(),
            }),
        }
    }

    fn amount(m: Money) -> Result<u64, BillingError> {
        u64::try_from(m.fen()).map_err(|_| BillingError::Invariant(format!("negative posting {m}")))
    }

    /// An authorisation: a pending transfer receivable ← clearing. Returns the hold's id.
    pub fn hold(&mut self, bucket: Bucket, amount: Money, day: Date) -> Result<u128, BillingError> {
        let (counter, why) = match bucket {
            Bucket::Cash => (Counter::Cash, Why::CashAdvance),
            _ => (Counter::Merchant, Why::Purchase),
        };
        let t = Transfer {
            debit_account_id: receivable(bucket),
            credit_account_id: counter as u128,
            amount: Self::amount(amount)?,
            code: why as u16,
            flags: TransferFlags::PENDING,
            ..Transfer::default()
        };
        self.submit(t, day, "hold")
    }

    /// Posts a hold in full.
    pub fn post_hold(&mut self, hold: u128, day: Date) -> Result<(), BillingError> {
        let Some(h) = self.ledger.transfer(hold).copied() else {
            return Err(BillingError::Invariant(format!("unknown hold {hold}")));
        };
        self.resolve_hold(&h, h.amount, TransferFlags::POST_PENDING, day, "post")
    }

    /// Posts `amount` of a hold (at most its amount); the ledger releases the rest.
    pub fn post_hold_part(
        &mut self,
        hold: u128,
        amount: Money,
        day: Date,
    ) -> Result<(), BillingError> {
        let Some(h) = self.ledger.transfer(hold).copied() else {
            return Err(BillingError::Invariant(format!("unknown hold {hold}")));
        };
        let amount = Self::amount(amount)?;
        self.resolve_hold(&h, amount, TransferFlags::POST_PENDING, day, "post")
    }

    /// Voids a hold: the whole amount is released.
    pub fn void_hold(&mut self, hold: u128, day: Date) -> Result<(), BillingError> {
        let Some(h) = self.ledger.transfer(hold).copied() else {
            return Err(BillingError::Invariant(format!("unknown hold {hold}")));
        };
        self.resolve_hold(&h, h.amount, TransferFlags::VOID_PENDING, day, "void")
    }

    fn resolve_hold(
        &mut self,
        h: &Transfer,
        amount: u64,
        flags: TransferFlags,
        day: Date,
        what: &'static str,
    ) -> Result<(), BillingError> {
        let t = Transfer {
            pending_id: h.id,
            debit_account_id: h.debit_account_id,
            credit_account_id: h.credit_account_id,
            amount,
            code: h.code,
            flags,
            ..Transfer::default()
        };
        self.submit(t, day, what).map(|_| ())
    }

    /// The accounts and transfers created since the last call, in order (for a store that
    /// mirrors the card's ledger; see docs/architecture.md, the credit path).
    pub fn take_changes(&mut self) -> (Vec<Account>, Vec<Transfer>) {
        let changes = self.ledger.take_changes();
        (changes.new_accounts, changes.transfers)
    }

    /// A plain movement from account `credit` to account `debit` (skipped when zero).
    pub fn move_money(
        &mut self,
        debit: u128,
        credit: u128,
        amount: Money,
        why: Why,
        day: Date,
    ) -> Result<(), BillingError> {
        if amount.is_zero() {
            return Ok(());
        }
        let t = Transfer {
            debit_account_id: debit,
            credit_account_id: credit,
            amount: Self::amount(amount)?,
            code: why as u16,
            ..Transfer::default()
        };
        self.submit(t, day, "transfer").map(|_| ())
    }

    /// Net debit balance of an account (posted only).
    fn net_debit(&self, id: u128) -> i128 {
        self.ledger.account(id).map_or(0, |a| {
            i128::from(a.debits_posted) - i128::from(a.credits_posted)
        })
    }

    /// What the ledger says a statement would show: every receivable except unbilled
    /// installment principal, minus the overpayment liability.
    pub fn owed(&self) -> Result<Money, BillingError> {
        let receivables: i128 = STATEMENT_RECEIVABLES
            .iter()
            .map(|id| self.net_debit(*id))
            .sum();
        let owed = receivables + self.net_debit(Counter::Overpayment as u128);
        i64::try_from(owed)
            .map(Money::cny)
            .map_err(|_| BillingError::Invariant("ledger balance overflow".into()))
    }

    /// Installment principal booked and not yet billed (account 1107).
    pub fn installments_unbilled(&self) -> Result<Money, BillingError> {
        i64::try_from(self.net_debit(INSTALLMENT_UNBILLED))
            .map(Money::cny)
            .map_err(|_| BillingError::Invariant("ledger balance overflow".into()))
    }

    /// Everything the cardholder owes: [`Self::owed`] plus unbilled installment principal.
    pub fn owed_in_all(&self) -> Result<Money, BillingError> {
        Ok(self.owed()?.checked_add(self.installments_unbilled()?)?)
    }

    /// What the ledger holds as pending authorisations.
    pub fn pending(&self) -> Result<Money, BillingError> {
        let held: u128 = Bucket::DEFAULT_ORDER
            .iter()
            .filter_map(|b| self.ledger.account(receivable(*b)))
            .map(|a| u128::from(a.debits_pending))
            .sum();
        i64::try_from(held)
            .map(Money::cny)
            .map_err(|_| BillingError::Invariant("ledger pending overflow".into()))
    }

    /// The ledger itself, read-only.
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// Rebuilds every balance from the transfers and checks every invariant.
    pub fn check(&self) -> Report {
        check_ledger(&self.ledger)
    }
}

/// Runs the ledger's [`Checker`] over a whole in-memory ledger.
pub fn check_ledger(ledger: &Ledger) -> Report {
    let mut checker = Checker::new();
    for a in ledger.accounts() {
        checker.account(*a);
    }
    let mut transfers: Vec<Transfer> = ledger.transfers().copied().collect();
    transfers.sort_by_key(|t| t.timestamp);
    for t in transfers {
        checker.transfer(t);
    }
    for (id, p) in ledger.pending_statuses() {
        checker.pending_status(id, p.status);
    }
    checker.finish()
}
