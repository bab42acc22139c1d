//! What reads of credit accounts answer, built from the engine (accounts) or the stored
//! statements.

use cardlife_credit::billing::{Bucket, Engine, Statement};
use cardlife_kernel::Money;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use super::error::CreditError;

/// A credit account as its holder sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountView {
    /// The account id.
    pub id: uuid::Uuid,
    /// The holder (a customer id's UUID).
    pub customer_id: uuid::Uuid,
    /// The opening date.
    pub opened: Date,
    /// The day the account's figures are as of.
    pub as_of: Date,
    /// `active`, `frozen` or `closed`.
    pub status: &'static str,
    /// The permanent limit.
    pub credit_limit: Money,
    /// Valid temporary limits on `as_of`.
    pub temp_limit: Money,
    /// The cash-advance limit.
    pub cash_limit: Money,
    /// Everything owed (negative: a credit balance).
    pub balance: Money,
    /// Rule 10.
    pub available_credit: Money,
    /// Pending authorisations.
    pub pending: Money,
    /// Days past due (rule 11).
    pub days_past_due: i64,
    /// `current`, `M1` … `M6+`.
    pub delinquency: String,
    /// Rule 12.
    pub dormant: bool,
    /// The statement day.
    pub statement_day: i8,
}

/// A card, masked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardView {
    /// The card id.
    pub id: uuid::Uuid,
    /// The account.
    pub account_id: uuid::Uuid,
    /// First six digits.
    pub first6: String,
    /// Last four digits.
    pub last4: String,
    /// `YYYY-MM`.
    pub expires: String,
}

/// A pending (or just resolved) authorisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthorisationView {
    /// Its id: the main-ledger id of its pending transfer.
    pub id: u128,
    /// The account.
    pub account_id: uuid::Uuid,
    /// The amount held.
    pub amount: Money,
    /// A cash advance.
    pub cash: bool,
    /// `pending`, `captured` or `reversed`.
    pub status: &'static str,
    /// The amount captured (zero unless captured).
    pub captured: Money,
}

/// One line of a statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatementLine {
    /// `purchase`, `cash_advance`, `fee`, `interest`, `installment`, `payment`, `refund`.
    pub kind: String,
    /// The transaction date.
    pub transaction_date: Date,
    /// The posting date.
    pub posting_date: Date,
    /// Fen; credits are negative.
    pub amount_fen: i64,
}

/// A statement as cut, with its lines (stored as JSON in `credit_statements.body`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatementView {
    /// The statement date.
    pub statement_date: Date,
    /// The due date.
    pub due_date: Date,
    /// Payments up to this day count as on time.
    pub last_on_time: Date,
    /// Fen.
    pub previous_balance_fen: i64,
    /// Fen.
    pub payments_credits_fen: i64,
    /// Fen.
    pub purchases_fen: i64,
    /// Fen.
    pub cash_advances_fen: i64,
    /// Fen.
    pub fees_fen: i64,
    /// Fen.
    pub interest_fen: i64,
    /// Fen.
    pub installments_fen: i64,
    /// Fen; negative for a credit balance.
    pub balance_fen: i64,
    /// Fen.
    pub minimum_payment_fen: i64,
    /// The product version it was computed under.
    pub product_version: usize,
    /// Charges, then payments and refunds.
    pub lines: Vec<StatementLine>,
}

fn bucket_name(b: Bucket) -> &'static str {
    match b {
        Bucket::Fee => "fee",
        Bucket::Interest => "interest",
        Bucket::Installment => "installment",
        Bucket::Cash => "cash_advance",
        Bucket::Purchase => "purchase",
    }
}

impl StatementView {
    /// Statement `index` of `engine`, with its lines.
    pub fn of(engine: &Engine, index: usize) -> Result<Self, CreditError> {
        let s: &Statement = engine
            .statements()
            .get(index)
            .ok_or(CreditError::StatementNotFound)?;
        let mut lines: Vec<StatementLine> = engine
            .statement_items(index)
            .map(|i| StatementLine {
                kind: bucket_name(i.bucket).to_owned(),
                transaction_date: i.txn_date,
                posting_date: i.posted,
                amount_fen: i.amount.fen(),
            })
            .collect();
        lines.extend(engine.statement_credits(index).map(|c| StatementLine {
            kind: if c.refund { "refund" } else { "payment" }.to_owned(),
            transaction_date: c.date,
            posting_date: c.date,
            amount_fen: -c.amount.fen(),
        }));
        let t = s.totals;
        Ok(Self {
            statement_date: s.statement_date,
            due_date: s.due_date,
            last_on_time: s.last_on_time,
            previous_balance_fen: s.previous_balance.fen(),
            payments_credits_fen: t.payments_credits.fen(),
            purchases_fen: t.purchases.fen(),
            cash_advances_fen: t.cash_advances.fen(),
            fees_fen: t.fees.fen(),
            interest_fen: t.interest.fen(),
            installments_fen: t.installments.fen(),
            balance_fen: s.balance.fen(),
            minimum_payment_fen: s.minimum_payment.fen(),
            product_version: s.product_version,
            lines,
        })
    }
}
