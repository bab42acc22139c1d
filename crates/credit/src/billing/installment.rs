//! Installment plans running on the card (docs/domain.md §4): what each plan has billed, what principal
//! it still occupies, and what an early settlement costs. The schedule itself always comes from
//! [`InstallmentQuote`]; nothing here re-derives it.

use cardlife_kernel::{Money, Rate, Rounding, round_half_up_to_fen};
use jiff::civil::Date;
use rust_decimal::Decimal;

use super::cycle::days_between;
use super::error::BillingError;
use super::interest;
use super::product::{EarlySettlement, Product};
use crate::quote::plan::Purpose;
use crate::quote::{InstallmentQuote, InstallmentRow};

/// What a plan converted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Part of a statement (index into the statements).
    Bill {
        /// The statement converted.
        statement: usize,
    },
    /// One purchase (its 1-based file index).
    Purchase {
        /// The purchase event.
        event: usize,
        /// Its hold id in the card's ledger.
        hold: Option<u128>,
    },
    /// Cash paid out to the holder's own debit card (现金分期).
    Cash,
    /// The billed principal of a delinquent account (个性化分期).
    Hardship,
    /// Paid to a merchant under the account's special limit (专项分期): its principal not yet
    /// repaid occupies that limit, not the credit limit.
    Special {
        /// What it finances.
        purpose: Purpose,
        /// The merchant paid.
        merchant: u128,
    },
}

/// One booked installment plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// 1-based number among the installment events.
    pub number: usize,
    /// What it converted.
    pub source: Source,
    /// The booking date.
    pub booked: Date,
    /// The schedule, fees and annualised rate.
    pub quote: InstallmentQuote,
    /// Periods billed so far.
    pub billed: usize,
    /// Principal not yet billed (it occupies the credit limit, rule 10).
    pub unbilled: Money,
    /// The last statement date that billed a period (the booking date before the first).
    pub last_billed: Date,
    /// The early-settlement date, once settled.
    pub settled: Option<Date>,
    /// The date the plan was cancelled, once its purchase was refunded in full.
    pub cancelled: Option<Date>,
}

impl Plan {
    /// A plan booked on `booked` from `quote`.
    pub fn new(number: usize, source: Source, booked: Date, quote: InstallmentQuote) -> Self {
        Self {
            number,
            source,
            booked,
            unbilled: quote.amount(),
            quote,
            billed: 0,
            last_billed: booked,
            settled: None,
            cancelled: None,
        }
    }

    /// The purpose of a special-purpose plan.
    pub const fn special_purpose(&self) -> Option<Purpose> {
        match self.source {
            Source::Special { purpose, .. } => Some(purpose),
            _ => None,
        }
    }

    /// The next period to bill, if the plan is still running.
    pub fn next_row(&self) -> Option<InstallmentRow> {
        if self.settled.is_some() || self.cancelled.is_some() {
            return None;
        }
        self.quote.schedule().get(self.billed).copied()
    }

    /// What settling today costs beyond the remaining principal, under `product`'s policy.
    ///
    /// - `remaining_fees`: the fees of every period not yet billed (0 in `upfront` mode, whose
    ///   fee was charged at booking and is not refunded);
    /// - `current_fee`: the fee of the next period to bill (the one running);
    /// - `penalty`: half-up(remaining principal × `early_settlement_penalty_pct`);
    /// - `interest_to_date`: half-up(remaining principal × `daily_rate` × days from the last
    ///   billed date (or the booking date) to `today`).
    pub fn settlement_cost(&self, product: &Product, today: Date) -> Result<Money, BillingError> {
        let days = days_between(self.last_billed, today)?.max(0);
        let rate_days = product.daily_rate.as_decimal() * Decimal::from(days);
        self.settlement_cost_over(product, rate_days)
    }

    /// [`Self::settlement_cost`] with `interest_to_date`'s Σ daily rate over the days from the
    /// last billed date to today given (each day at its own product version's rate).
    pub fn settlement_cost_over(
        &self,
        product: &Product,
        rate_days: Decimal,
    ) -> Result<Money, BillingError> {
        let rest = self.quote.schedule().get(self.billed..).unwrap_or(&[]);
        match product.early_settlement {
            EarlySettlement::RemainingFees => rest
                .iter()
                .try_fold(Money::cny(0), |acc, r| acc.checked_add(r.fee))
                .map_err(BillingError::from),
            EarlySettlement::CurrentFee => Ok(rest.first().map_or(Money::cny(0), |r| r.fee)),
            EarlySettlement::Penalty => {
                let rate = Rate::new(Product::fraction(product.early_settlement_penalty_pct));
                Ok(self.unbilled.checked_mul_rate(rate, Rounding::HalfUp)?)
            }
            EarlySettlement::InterestToDate => {
                let exact = interest::exact_over(self.unbilled, rate_days.max(Decimal::ZERO))?;
                Ok(Money::cny(round_half_up_to_fen(exact)?))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::quote::{FeeMode, Periods};
    use jiff::civil::date;

    /// 12,000.00 over 12 at 0.6%, one period billed on 7 May: 11,000.00 remains.
    fn plan(mode: FeeMode) -> Plan {
        let q = InstallmentQuote::new(
            Money::cny(1_200_000),
            Periods::new(12).unwrap(),
            Rate::parse("0.006").unwrap(),
            mode,
        )
        .unwrap();
        let mut p = Plan::new(1, Source::Bill { statement: 0 }, date(2026, 4, 10), q);
        p.billed = 1;
        p.unbilled = Money::cny(1_100_000);
        p.last_billed = date(2026, 5, 7);
        p
    }

    fn cost(policy: EarlySettlement, mode: FeeMode) -> i64 {
        let product = Product {
            early_settlement: policy,
            ..Product::default()
        };
        plan(mode)
            .settlement_cost(&product, date(2026, 5, 25))
            .unwrap()
            .fen()
    }

    #[test]
    fn each_policy_costs_what_domain_4_says() {
        let pp = FeeMode::PerPeriod;
        assert_eq!(cost(EarlySettlement::RemainingFees, pp), 11 * 7_200);
        assert_eq!(cost(EarlySettlement::CurrentFee, pp), 7_200);
        // 3% of 11,000.00.
        assert_eq!(cost(EarlySettlement::Penalty, pp), 33_000);
        // 11,000.00 × 0.0005 × 18 days (7 May → 25 May).
        assert_eq!(cost(EarlySettlement::InterestToDate, pp), 9_900);
    }

    #[test]
    fn an_upfront_plan_owes_no_further_fee_on_settlement() {
        assert_eq!(cost(EarlySettlement::RemainingFees, FeeMode::Upfront), 0);
        assert_eq!(cost(EarlySettlement::CurrentFee, FeeMode::Upfront), 0);
    }
}
