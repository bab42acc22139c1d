//! The loan's chart of accounts and the postings every movement implies.
//!
//! Ledger 156 (CNY, fen). One chart per loan book; ids are chart positions.
//!
//! | id | code | account | normal side |
//! |---|---|---|---|
//! | 1 | 1301 | loan receivable: principal | debit |
//! | 2 | 1302 | loan receivable: interest | debit |
//! | 3 | 1303 | loan receivable: penalty interest | debit |
//! | 10 | 2301 | disbursement clearing (paid out to the holder's debit account) | credit |
//! | 11 | 1311 | repayment clearing (money received from the holder) | debit |
//! | 12 | 4301 | loan interest income | credit |
//! | 13 | 4302 | penalty interest income | credit |
//!
//! Disbursement: principal ← disbursement clearing. Interest falling due (or accrued at a
//! prepayment): interest receivable ← interest income. Penalty: penalty receivable ← penalty
//! income. Repayment: repayment clearing → each receivable it pays. Receivables are flagged
//! `credits_must_not_exceed_debits`, so the ledger itself refuses over-repayment.

use cardlife_kernel::Money;
use cardlife_ledger::{Account, AccountFlags, Transfer, TransferFlags};

use super::LoanError;

/// The ledger (asset) of CNY.
pub const LEDGER_CNY: u32 = 156;

/// An account of the loan chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LoanAccount {
    /// 1301 principal receivable.
    Principal = 1,
    /// 1302 interest receivable.
    Interest = 2,
    /// 1303 penalty receivable.
    Penalty = 3,
    /// 2301 disbursement clearing.
    Disbursement = 10,
    /// 1311 repayment clearing.
    Repayment = 11,
    /// 4301 interest income.
    InterestIncome = 12,
    /// 4302 penalty income.
    PenaltyIncome = 13,
}

impl LoanAccount {
    /// Every account of the chart.
    pub const ALL: [Self; 7] = [
        Self::Principal,
        Self::Interest,
        Self::Penalty,
        Self::Disbursement,
        Self::Repayment,
        Self::InterestIncome,
        Self::PenaltyIncome,
    ];

    /// The account id on the ledger.
    pub const fn id(self) -> u128 {
        self as u128
    }

    /// The chart-of-accounts code.
    pub const fn code(self) -> u16 {
        match self {
            Self::Principal => 1301,
            Self::Interest => 1302,
            Self::Penalty => 1303,
            Self::Disbursement => 2301,
            Self::Repayment => 1311,
            Self::InterestIncome => 4301,
            Self::PenaltyIncome => 4302,
        }
    }

    /// The ledger account, receivables limited to their debits.
    pub fn account(self) -> Account {
        let flags = match self {
            Self::Principal | Self::Interest | Self::Penalty => {
                AccountFlags::CREDITS_MUST_NOT_EXCEED_DEBITS
            }
            _ => AccountFlags::NONE,
        };
        Account::new(self.id(), LEDGER_CNY, self.code(), flags)
    }
}

/// Why money moved (the transfer code).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LoanWhy {
    /// Principal paid out.
    Disburse = 21,
    /// Scheduled interest falling due, or interest accrued to a prepayment date.
    Interest = 22,
    /// Penalty interest on overdue principal.
    Penalty = 23,
    /// A repayment (of any receivable).
    Repay = 24,
}

/// One double-entry movement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Posting {
    /// The account debited.
    pub debit: LoanAccount,
    /// The account credited.
    pub credit: LoanAccount,
    /// The amount, above zero.
    pub amount: Money,
    /// Why.
    pub why: LoanWhy,
}

impl Posting {
    /// The ledger transfer of this posting, with the caller's id (timestamp set by the ledger).
    pub fn transfer(&self, id: u128) -> Result<Transfer, LoanError> {
        let amount = u64::try_from(self.amount.fen())
            .map_err(|_| LoanError::Money(cardlife_kernel::MoneyError::Overflow))?;
        Ok(Transfer {
            id,
            debit_account_id: self.debit.id(),
            credit_account_id: self.credit.id(),
            amount,
            ledger: LEDGER_CNY,
            code: self.why as u16,
            flags: TransferFlags::NONE,
            ..Transfer::default()
        })
    }
}

/// Appends a posting unless the amount is zero.
pub(super) fn post(
    out: &mut Vec<Posting>,
    debit: LoanAccount,
    credit: LoanAccount,
    amount: Money,
    why: LoanWhy,
) {
    if !amount.is_zero() {
        out.push(Posting {
            debit,
            credit,
            amount,
            why,
        });
    }
}
