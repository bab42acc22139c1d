//! Statements (rule 3), the minimum payment (rule 6), the paid-in-full test (rule 4) and the
//! late fee (rule 7).

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

impl CycleTotals {
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
        Ok(self.credits_to_grace >= self.balance.checked_sub(tolerance)?)
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

/// Rule 6: the minimum payment of the statement `index` being cut, given the account after
/// the cut (its items already billed) and the previous statement.
pub fn minimum_payment(
    product: &Product,
    account: &CreditAccount,
    index: usize,
    balance: Money,
    previous: Option<&Statement>,
    cycle: &CycleTotals,
    credit_limit: Money,
) -> Result<Money, BillingError> {
    let purchases = account.outstanding_where(|i| i.bucket == Bucket::Purchase)?;
    let cash = account.outstanding_where(|i| i.bucket == Bucket::Cash)?;
    let billed_now = account.outstanding_where(|i| {
        i.statement == Some(index)
            && matches!(
                i.bucket,
                Bucket::Fee | Bucket::Interest | Bucket::Installment
            )
    })?;
    let over_limit = balance.checked_sub(credit_limit)?.max(Money::cny(0))?;
    let previous_unpaid = match previous {
        Some(p) if p.paid_in_full != Some(true) => p
            .minimum_payment
            .checked_sub(cycle.payments_credits)?
            .max(Money::cny(0))?,
        _ => Money::cny(0),
    };
    let whole = [billed_now, over_limit, previous_unpaid]
        .iter()
        .try_fold(Decimal::ZERO, |acc, m| {
            acc.checked_add(Decimal::from(m.fen()))
        });
    let exact = whole
        .and_then(|w| {
            w.checked_add(
                Decimal::from(purchases.fen()) * Product::fraction(product.min_payment_pct),
            )
        })
        .and_then(|w| {
            w.checked_add(
                Decimal::from(cash.fen()) * Product::fraction(product.cash_min_payment_pct),
            )
        })
        .ok_or_else(|| BillingError::Invariant("minimum payment overflow".into()))?;
    let minimum = Money::cny(round_half_up_to_fen(exact)?);
    Ok(minimum.min(balance)?.max(Money::cny(0))?)
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
