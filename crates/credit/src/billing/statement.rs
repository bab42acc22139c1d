//! Statements (rule 3), the minimum payment (rule 6), the paid-in-full test (rule 4) and the
//! late fee (rule 7).
//!
//! The rules are pure functions over amounts so the day-by-day engine and the batch statement
//! run ([`super::statement_run`]) share them: [`CycleTotals::post`] folds one posted line into
//! the cycle's totals, [`CycleTotals::balance`] is rule 3, [`minimum_of`] is rule 6 over a
//! [`MinimumBasis`] of per-bucket amounts, [`paid_in_full`] is rule 4.

use cardlife_kernel::{Money, round_half_up_to_fen};
use jiff::civil::Date;
use rust_decimal::Decimal;

use super::account::{Bucket, CreditAccount};
use super::error::BillingError;
use super::product::Product;

/// What moved in one cycle, summed as it posts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CycleTotals {
    /// Payments and refunds posted in the cycle.
    pub payments_credits: Money,
    /// Purchases posted.
    pub purchases: Money,
    /// Cash advances posted.
    pub cash_advances: Money,
    /// Interest billed (at the cut).
    pub interest: Money,
    /// Cash-advance fees and late fees posted.
    pub fees: Money,
    /// Installment principal and fees billed.
    pub installments: Money,
}

impl Default for CycleTotals {
    fn default() -> Self {
        let zero = Money::cny(0);
        Self {
            payments_credits: zero,
            purchases: zero,
            cash_advances: zero,
            interest: zero,
            fees: zero,
            installments: zero,
        }
    }
}

/// The kind of a line posted in a cycle: which of rule 3's terms it moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LineKind {
    /// A purchase (principal).
    Purchase,
    /// A cash advance (principal).
    CashAdvance,
    /// A cash-advance fee or a late fee.
    Fee,
    /// Interest billed at a cut.
    Interest,
    /// An installment amount (principal or fee) billed.
    Installment,
    /// A payment received.
    Payment,
    /// A refund (a credit from a merchant).
    Refund,
}

impl LineKind {
    /// Every kind, in the order of their storage codes.
    pub const ALL: [Self; 7] = [
        Self::Purchase,
        Self::CashAdvance,
        Self::Fee,
        Self::Interest,
        Self::Installment,
        Self::Payment,
        Self::Refund,
    ];

    /// Payments and refunds reduce the balance; everything else is a charge.
    pub fn is_credit(self) -> bool {
        matches!(self, Self::Payment | Self::Refund)
    }

    /// The receivable bucket a charge of this kind adds to (`None` for a credit).
    pub fn charged_bucket(self) -> Option<Bucket> {
        match self {
            Self::Purchase => Some(Bucket::Purchase),
            Self::CashAdvance => Some(Bucket::Cash),
            Self::Fee => Some(Bucket::Fee),
            Self::Interest => Some(Bucket::Interest),
            Self::Installment => Some(Bucket::Installment),
            Self::Payment | Self::Refund => None,
        }
    }
}

impl CycleTotals {
    /// The fold of rule 3's terms: adds one posted line of `kind` to the total it belongs to.
    /// Addition commutes, so the totals do not depend on the order of the lines.
    pub fn post(&mut self, kind: LineKind, amount: Money) -> Result<(), BillingError> {
        let total = match kind {
            LineKind::Purchase => &mut self.purchases,
            LineKind::CashAdvance => &mut self.cash_advances,
            LineKind::Fee => &mut self.fees,
            LineKind::Interest => &mut self.interest,
            LineKind::Installment => &mut self.installments,
            LineKind::Payment | LineKind::Refund => &mut self.payments_credits,
        };
        *total = total.checked_add(amount)?;
        Ok(())
    }

    /// Rule 3: previous − payments and credits + every charge.
    pub fn balance(&self, previous: Money) -> Result<Money, BillingError> {
        let charges = [
            self.purchases,
            self.cash_advances,
            self.fees,
            self.interest,
            self.installments,
        ];
        let mut b = previous.checked_sub(self.payments_credits)?;
        for c in charges {
            b = b.checked_add(c)?;
        }
        Ok(b)
    }
}

/// One statement (账单), as cut.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// The statement date.
    pub statement_date: Date,
    /// The due date.
    pub due_date: Date,
    /// The last day a payment counts as on time (due date + grace).
    pub last_on_time: Date,
    /// The previous statement's balance.
    pub previous_balance: Money,
    /// What moved in the cycle.
    pub totals: CycleTotals,
    /// The statement balance (本期应还); negative for a credit balance.
    pub balance: Money,
    /// The minimum payment.
    pub minimum_payment: Money,
    /// Payments and credits posted after the statement date up to `last_on_time`, bill
    /// installments of this statement included (they count as paid for it).
    pub credits_to_grace: Money,
    /// The part of this statement converted into bill installments.
    pub converted: Money,
    /// The paid-in-full result, once its last on-time day has ended.
    pub paid_in_full: Option<bool>,
    /// What the ledger said the cardholder owed at the cut (for reconciliation).
    pub ledger_balance: Money,
    /// The 1-based number of the product version in force on the statement date, under which
    /// its fees and minimum payment were computed.
    pub product_version: usize,
}

impl Statement {
    /// Rule 4: paid in full when credits by due date + grace reach balance − tolerance.
    pub fn passes_paid_in_full(&self, tolerance: Money) -> Result<bool, BillingError> {
        paid_in_full(self.balance, self.credits_to_grace, tolerance)
    }

    /// Rule 7: the late fee when the minimum was missed, `None` when it was met.
    pub fn late_fee(
        &self,
        product: &Product,
        paid_in_full: bool,
    ) -> Result<Option<Money>, BillingError> {
        let unpaid = self.minimum_payment.checked_sub(self.credits_to_grace)?;
        if paid_in_full || !unpaid.is_positive() {
            return Ok(None);
        }
        let exact = Decimal::from(unpaid.fen()) * Product::fraction(product.late_fee_pct);
        let fee = Money::cny(round_half_up_to_fen(exact)?);
        Ok(Some(
            fee.max(product.late_fee_min)?.min(product.late_fee_max)?,
        ))
    }
}

/// Rule 4: a statement of `balance` is paid in full when the payments and credits received
/// after its date up to due date + grace reach its balance − `tolerance`.
pub fn paid_in_full(
    balance: Money,
    credits_to_grace: Money,
    tolerance: Money,
) -> Result<bool, BillingError> {
    Ok(credits_to_grace >= balance.checked_sub(tolerance)?)
}

/// What rule 6 counts, each still unpaid at the statement date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MinimumBasis {
    /// All purchase principal in the statement balance, carried and new.
    pub purchase_principal: Money,
    /// All cash-advance principal in the statement balance.
    pub cash_principal: Money,
    /// Fees billed on this statement.
    pub fees_billed: Money,
    /// Interest billed on this statement.
    pub interest_billed: Money,
    /// Installment amounts billed on this statement.
    pub installments_billed: Money,
    /// The statement balance above the permanent credit limit ([`over_limit`]).
    pub over_limit: Money,
    /// The unpaid part of the previous minimum ([`previous_unpaid`]).
    pub previous_unpaid: Money,
}

/// Rule 6's over-limit part: the statement balance above the permanent limit, or zero.
pub fn over_limit(balance: Money, credit_limit: Money) -> Result<Money, BillingError> {
    Ok(balance.checked_sub(credit_limit)?.max(Money::cny(0))?)
}

/// Rule 6's unpaid previous minimum: the previous minimum less this cycle's payments and
/// credits, zero when the previous statement was paid in full (or there was none).
pub fn previous_unpaid(
    previous_minimum: Money,
    previous_paid_in_full: bool,
    payments_credits: Money,
) -> Result<Money, BillingError> {
    if previous_paid_in_full {
        return Ok(Money::cny(0));
    }
    Ok(previous_minimum
        .checked_sub(payments_credits)?
        .max(Money::cny(0))?)
}

/// Rule 6: `min_payment_pct` of purchase principal, plus `cash_min_payment_pct` of cash
/// principal, plus 100 % of the rest of `basis`, summed exactly, rounded half-up once, at most
/// the statement `balance`, and 0.00 for a credit balance.
pub fn minimum_of(
    product: &Product,
    basis: &MinimumBasis,
    balance: Money,
) -> Result<Money, BillingError> {
    let whole = [
        basis.fees_billed,
        basis.interest_billed,
        basis.installments_billed,
        basis.over_limit,
        basis.previous_unpaid,
    ]
    .iter()
    .try_fold(Decimal::ZERO, |acc, m| {
        acc.checked_add(Decimal::from(m.fen()))
    });
    let share = |principal: Money, pct: Decimal| {
        Decimal::from(principal.fen()).checked_mul(Product::fraction(pct))
    };
    let exact = whole
        .and_then(|w| w.checked_add(share(basis.purchase_principal, product.min_payment_pct)?))
        .and_then(|w| w.checked_add(share(basis.cash_principal, product.cash_min_payment_pct)?))
        .ok_or_else(|| BillingError::Invariant("minimum payment overflow".into()))?;
    let minimum = Money::cny(round_half_up_to_fen(exact)?);
    Ok(minimum.min(balance)?.max(Money::cny(0))?)
}

/// Rule 6 for the statement `index` the engine is cutting, given the account after the cut
/// (its items already billed) and the previous statement: the basis read from the items'
/// outstanding amounts, then [`minimum_of`].
pub fn minimum_payment(
    product: &Product,
    account: &CreditAccount,
    index: usize,
    balance: Money,
    previous: Option<&Statement>,
    cycle: &CycleTotals,
    credit_limit: Money,
) -> Result<Money, BillingError> {
    let billed_now = |bucket: Bucket| {
        account.outstanding_where(|i| i.statement == Some(index) && i.bucket == bucket)
    };
    let previous_unpaid = match previous {
        Some(p) => previous_unpaid(
            p.minimum_payment,
            p.paid_in_full == Some(true),
            cycle.payments_credits,
        )?,
        None => Money::cny(0),
    };
    let basis = MinimumBasis {
        purchase_principal: account.outstanding_where(|i| i.bucket == Bucket::Purchase)?,
        cash_principal: account.outstanding_where(|i| i.bucket == Bucket::Cash)?,
        fees_billed: billed_now(Bucket::Fee)?,
        interest_billed: billed_now(Bucket::Interest)?,
        installments_billed: billed_now(Bucket::Installment)?,
        over_limit: over_limit(balance, credit_limit)?,
        previous_unpaid,
    };
    minimum_of(product, &basis, balance)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use jiff::civil::date;

    fn statement(balance: i64, minimum: i64, credits: i64) -> Statement {
        Statement {
            statement_date: date(2026, 4, 7),
            due_date: date(2026, 4, 25),
            last_on_time: date(2026, 4, 28),
            previous_balance: Money::cny(0),
            totals: CycleTotals::default(),
            balance: Money::cny(balance),
            minimum_payment: Money::cny(minimum),
            credits_to_grace: Money::cny(credits),
            converted: Money::cny(0),
            paid_in_full: None,
            ledger_balance: Money::cny(balance),
            product_version: 1,
        }
    }

    #[test]
    fn paid_in_full_at_exactly_the_tolerance_short_but_not_one_fen_more() {
        let tol = Money::cny(1_000);
        assert!(
            statement(200_000, 20_000, 199_000)
                .passes_paid_in_full(tol)
                .unwrap()
        );
        assert!(
            !statement(200_000, 20_000, 198_999)
                .passes_paid_in_full(tol)
                .unwrap()
        );
        assert!(statement(-5_000, 0, 0).passes_paid_in_full(tol).unwrap());
    }

    #[test]
    fn late_fee_is_5_percent_bounded_by_10_and_500() {
        let p = Product::default();
        // Nothing paid on a 200.00 minimum: 10.00 (the example).
        assert_eq!(
            statement(200_000, 20_000, 0).late_fee(&p, false).unwrap(),
            Some(Money::cny(1_000))
        );
        // 1 fen missing: the minimum fee.
        assert_eq!(
            statement(200_000, 20_000, 19_999)
                .late_fee(&p, false)
                .unwrap(),
            Some(Money::cny(1_000))
        );
        // 699.86 missing: 34.993 → 34.99.
        assert_eq!(
            statement(300_000, 69_986, 0).late_fee(&p, false).unwrap(),
            Some(Money::cny(3_499))
        );
        // 10,000.00 missing: exactly the cap; 20,000.00 missing: capped.
        assert_eq!(
            statement(2_000_000, 1_000_000, 0)
                .late_fee(&p, false)
                .unwrap(),
            Some(Money::cny(50_000))
        );
        assert_eq!(
            statement(4_000_000, 2_000_000, 0)
                .late_fee(&p, false)
                .unwrap(),
            Some(Money::cny(50_000))
        );
        // Minimum met, or paid in full: none.
        assert_eq!(
            statement(200_000, 20_000, 20_000)
                .late_fee(&p, false)
                .unwrap(),
            None
        );
        assert_eq!(
            statement(200_000, 20_000, 0).late_fee(&p, true).unwrap(),
            None
        );
    }

    #[test]
    fn cycle_balance_follows_rule_3() {
        let t = CycleTotals {
            payments_credits: Money::cny(20_000),
            interest: Money::cny(3_470),
            ..CycleTotals::default()
        };
        assert_eq!(t.balance(Money::cny(200_000)).unwrap(), Money::cny(183_470));
    }
}
