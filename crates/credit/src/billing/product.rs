//! A card product: every parameter of docs/domain.md §3 with its default, and the checks that make a
//! product valid. Nothing in the engine hard-codes one of these numbers.

use cardlife_kernel::{Money, Rate};
use jiff::civil::Date;
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer};

use super::account::Bucket;
use super::cycle::days_between;
use super::error::BillingError;
use super::pricing::InstallmentPricing;
use super::special::SpecialAmounts;

/// The longest `due_days + grace_days` may be, so every late-fee day falls on or before the
/// next statement date (the shortest month has 28 days).
pub const DUE_PLUS_GRACE_MAX: i32 = 27;
/// The last allowed statement day (every month has it).
pub const STATEMENT_DAY_MAX: i8 = 28;
/// The longest posting lag accepted, in days (a real network settles in 1–3).
pub const POSTING_LAG_DAYS_MAX: i32 = 10;
/// Default days an authorisation stays pending before it expires (an interpretation: the rules
/// give no figure; see docs/domain.md).
pub const AUTHORISATION_EXPIRY_DAYS_DEFAULT: i32 = 7;
/// Most days an authorisation may stay pending.
pub const AUTHORISATION_EXPIRY_DAYS_MAX: i32 = 30;

/// How revolving interest treats the part of a purchase repaid after the statement (rule 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RevolvingInterest {
    /// The base is the purchase's whole outstanding amount, day by day.
    #[default]
    Full,
    /// The base is capped at the part still unpaid at due date + grace.
    UnpaidOnly,
}

/// What an early settlement of an installment plan costs beyond its remaining principal
/// (docs/domain.md §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EarlySettlement {
    /// Every fee of the periods not yet billed (the default).
    #[default]
    RemainingFees,
    /// The fee of the current period only (the next one to be billed).
    CurrentFee,
    /// `early_settlement_penalty_pct` of the remaining principal.
    Penalty,
    /// Interest at `daily_rate` on the remaining principal from the last billed date to today.
    InterestToDate,
}

/// A card product (docs/domain.md §3). Percentages (`*_pct`) are in percent: `10` means 10 %.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Product {
    /// Day of the month the statement is cut, 1–28.
    pub statement_day: i8,
    /// Days from statement date to due date.
    pub due_days: i32,
    /// Days after the due date still counted as on time.
    pub grace_days: i32,
    /// Days from transaction to posting for purchases, refunds and cash advances.
    pub posting_lag_days: i32,
    /// Interest per calendar day.
    pub daily_rate: Rate,
    /// `full` or `unpaid_only`.
    pub revolving_interest: RevolvingInterest,
    /// A shortfall up to this much still counts as paid in full.
    pub tolerance: Money,
    /// Share of purchase principal in the minimum payment, percent.
    #[serde(deserialize_with = "percent")]
    pub min_payment_pct: Decimal,
    /// Share of cash-advance principal in the minimum payment, percent.
    #[serde(deserialize_with = "percent")]
    pub cash_min_payment_pct: Decimal,
    /// Late fee as a share of the unpaid minimum, percent.
    #[serde(deserialize_with = "percent")]
    pub late_fee_pct: Decimal,
    /// Smallest late fee.
    pub late_fee_min: Money,
    /// Largest late fee.
    pub late_fee_max: Money,
    /// Cash-advance fee as a share of the amount, percent.
    #[serde(deserialize_with = "percent")]
    pub cash_fee_pct: Decimal,
    /// Smallest cash-advance fee.
    pub cash_fee_min: Money,
    /// Cash-advance limit as a share of the credit limit, percent.
    #[serde(deserialize_with = "percent")]
    pub cash_limit_pct: Decimal,
    /// Within one statement, the order in which credits repay the buckets (rule 9).
    pub allocation_order: Vec<Bucket>,
    /// Early settlement policy of installment plans (docs/domain.md §4).
    pub early_settlement: EarlySettlement,
    /// The `penalty` policy's share of the remaining principal, percent.
    #[serde(deserialize_with = "percent")]
    pub early_settlement_penalty_pct: Decimal,
    /// The smallest amount an installment plan converts (docs/domain.md §4; default 500.00).
    pub installment_min: Money,
    /// The largest amount an installment plan converts (default 500,000.00).
    pub installment_max: Money,
    /// Days an authorisation stays pending before it expires and its hold is released
    /// (1–30; default 7).
    pub authorisation_expiry_days: i32,
    /// The amount range of each purpose of special-purpose plans (专项分期).
    pub special_amounts: SpecialAmounts,
    /// The installment terms offered, by kind, with their prices (docs/domain.md §4; default
    /// 3, 6, 12 and 24 periods at 0.60 % per period).
    pub installment_pricing: InstallmentPricing,
}

impl Default for Product {
    fn default() -> Self {
        Self {
            statement_day: 7,
            due_days: 18,
            grace_days: 3,
            posting_lag_days: 1,
            daily_rate: Rate::new(Decimal::new(5, 4)),
            revolving_interest: RevolvingInterest::Full,
            tolerance: Money::cny(1_000),
            min_payment_pct: Decimal::from(10),
            cash_min_payment_pct: Decimal::from(100),
            late_fee_pct: Decimal::from(5),
            late_fee_min: Money::cny(1_000),
            late_fee_max: Money::cny(50_000),
            cash_fee_pct: Decimal::from(1),
            cash_fee_min: Money::cny(1_000),
            cash_limit_pct: Decimal::from(50),
            allocation_order: Bucket::DEFAULT_ORDER.to_vec(),
            early_settlement: EarlySettlement::RemainingFees,
            early_settlement_penalty_pct: Decimal::from(3),
            authorisation_expiry_days: AUTHORISATION_EXPIRY_DAYS_DEFAULT,
            installment_min: Money::cny(50_000),
            installment_max: Money::cny(50_000_000),
            special_amounts: SpecialAmounts::default(),
            installment_pricing: InstallmentPricing::default(),
        }
    }
}

impl Product {
    /// Checks every parameter; the first problem found is reported.
    pub fn validate(&self) -> Result<(), BillingError> {
        let bad = |msg: String| Err(BillingError::InvalidProduct(msg));
        if !(1..=STATEMENT_DAY_MAX).contains(&self.statement_day) {
            return bad(format!(
                "statement_day {} is not in 1..=28",
                self.statement_day
            ));
        }
        if self.due_days < 0 || self.grace_days < 0 {
            return bad("due_days and grace_days must not be negative".into());
        }
        if self.due_days + self.grace_days > DUE_PLUS_GRACE_MAX {
            return bad(format!(
                "due_days + grace_days = {} exceeds {DUE_PLUS_GRACE_MAX}",
                self.due_days + self.grace_days
            ));
        }
        if !(0..=POSTING_LAG_DAYS_MAX).contains(&self.posting_lag_days) {
            return bad(format!(
                "posting_lag_days {} is not in 0..=10",
                self.posting_lag_days
            ));
        }
        if self.daily_rate.is_negative() {
            return bad("daily_rate must not be negative".into());
        }
        if !(1..=AUTHORISATION_EXPIRY_DAYS_MAX).contains(&self.authorisation_expiry_days) {
            return bad(format!(
                "authorisation_expiry_days {} is not in 1..={AUTHORISATION_EXPIRY_DAYS_MAX}",
                self.authorisation_expiry_days
            ));
        }
        self.validate_amounts()?;
        self.special_amounts.validate()?;
        self.installment_pricing
            .validate()
            .map_err(BillingError::InvalidProduct)?;
        self.validate_order()
    }

    fn validate_amounts(&self) -> Result<(), BillingError> {
        let bad = |msg: String| Err(BillingError::InvalidProduct(msg));
        let pcts = [
            ("min_payment_pct", self.min_payment_pct),
            ("cash_min_payment_pct", self.cash_min_payment_pct),
            ("late_fee_pct", self.late_fee_pct),
            ("cash_fee_pct", self.cash_fee_pct),
            ("cash_limit_pct", self.cash_limit_pct),
            (
                "early_settlement_penalty_pct",
                self.early_settlement_penalty_pct,
            ),
        ];
        for (name, pct) in pcts {
            if pct.is_sign_negative() || pct > Decimal::ONE_HUNDRED {
                return bad(format!("{name} {pct} is not in 0..=100"));
            }
        }
        let amounts = [
            ("tolerance", self.tolerance),
            ("late_fee_min", self.late_fee_min),
            ("late_fee_max", self.late_fee_max),
            ("cash_fee_min", self.cash_fee_min),
            ("installment_min", self.installment_min),
        ];
        for (name, amount) in amounts {
            if amount.is_negative() {
                return bad(format!("{name} must not be negative"));
            }
        }
        if self.late_fee_min > self.late_fee_max {
            return bad("late_fee_min exceeds late_fee_max".into());
        }
        if !self.installment_min.is_positive() || self.installment_min > self.installment_max {
            return bad("installment_min must be positive and at most installment_max".into());
        }
        Ok(())
    }

    fn validate_order(&self) -> Result<(), BillingError> {
        let complete = Bucket::DEFAULT_ORDER
            .iter()
            .all(|b| self.allocation_order.iter().filter(|x| *x == b).count() == 1);
        if !complete || self.allocation_order.len() != Bucket::DEFAULT_ORDER.len() {
            return Err(BillingError::InvalidProduct(
                "allocation_order must name each of fee, interest, installment, cash, purchase once"
                    .into(),
            ));
        }
        Ok(())
    }

    /// The annual rate, `daily_rate × 365`, to be shown prominently [REG 2021].
    pub fn annual_rate(&self) -> Rate {
        Rate::new(self.daily_rate.as_decimal() * Decimal::from(365))
    }

    /// A percentage parameter as a fraction (`10` → `0.10`).
    pub fn fraction(pct: Decimal) -> Decimal {
        pct / Decimal::ONE_HUNDRED
    }
}

/// A product's history: versions numbered 1, 2, … in order, each in force from its
/// `effective_from` date (inclusive) until the next one's. Statements record the number of the
/// version they were cut under, so an old statement stays explainable after a change.
///
/// `statement_day` may not change between versions: the cycle dates of the statement already
/// cut, its due date and the next statement date all follow from it, and a change would need a
/// short or long transitional cycle that docs/domain.md §3 does not define (moving the
/// statement day is an account-level request, not a product change).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductVersions {
    versions: Vec<(Date, Product)>,
}

impl ProductVersions {
    /// One version in force from the beginning of time.
    pub fn single(product: Product) -> Self {
        Self {
            versions: vec![(Date::MIN, product)],
        }
    }

    /// Versions in order: strictly increasing dates, each product valid, one statement day.
    pub fn new(versions: Vec<(Date, Product)>) -> Result<Self, BillingError> {
        let bad = |msg: String| Err(BillingError::InvalidProduct(msg));
        let Some((_, first)) = versions.first() else {
            return bad("a product needs at least one version".into());
        };
        for (i, (from, product)) in versions.iter().enumerate() {
            let number = i + 1;
            product.validate().map_err(|e| match e {
                BillingError::InvalidProduct(m) => {
                    BillingError::InvalidProduct(format!("version {number}: {m}"))
                }
                other => other,
            })?;
            if let Some((before, _)) = i.checked_sub(1).and_then(|j| versions.get(j))
                && *from <= *before
            {
                return bad(format!(
                    "version {number} is effective {from}, not after version {i}'s {before}: \
                     effective dates must strictly increase"
                ));
            }
            if product.statement_day != first.statement_day {
                return bad(format!(
                    "version {number} changes statement_day from {} to {}: the statement day \
                     cannot change between product versions",
                    first.statement_day, product.statement_day
                ));
            }
        }
        Ok(Self { versions })
    }

    /// Checks that the first version is in force on the opening date.
    pub fn check_opening(&self, opened: Date) -> Result<(), BillingError> {
        match self.versions.first() {
            Some((from, _)) if *from <= opened => Ok(()),
            Some((from, _)) => Err(BillingError::InvalidProduct(format!(
                "the first product version is effective {from}, after the opening date {opened}"
            ))),
            None => Err(BillingError::InvalidProduct(
                "a product needs at least one version".into(),
            )),
        }
    }

    /// How many versions there are.
    pub fn len(&self) -> usize {
        self.versions.len()
    }

    /// Never true: a history has at least one version.
    pub fn is_empty(&self) -> bool {
        self.versions.is_empty()
    }

    /// The 1-based number of the version in force on `date` (the first one before it starts).
    pub fn number_on(&self, date: Date) -> usize {
        self.versions
            .iter()
            .rposition(|(from, _)| *from <= date)
            .map_or(1, |i| i + 1)
    }

    /// The version in force on `date` (the first one before it starts).
    pub fn version_on(&self, date: Date) -> &Product {
        let i = self.number_on(date) - 1;
        &self.versions[i.min(self.versions.len() - 1)].1
    }

    /// Σ daily_rate over the days `from` (inclusive) to `to` (exclusive), each day at the
    /// rate of the version in force that day; zero when `to <= from`. Multiplied by an amount
    /// it gives that amount's exact interest over those days.
    pub fn rate_days(&self, from: Date, to: Date) -> Result<Decimal, BillingError> {
        let mut sum = Decimal::ZERO;
        for (i, (start, product)) in self.versions.iter().enumerate() {
            let start = if i == 0 { from } else { (*start).max(from) };
            let end = self
                .versions
                .get(i + 1)
                .map_or(to, |(next, _)| (*next).min(to));
            let days = days_between(start, end)?;
            if days > 0 {
                sum = product
                    .daily_rate
                    .as_decimal()
                    .checked_mul(Decimal::from(days))
                    .and_then(|d| sum.checked_add(d))
                    .ok_or_else(|| BillingError::Invariant("interest overflow".into()))?;
            }
        }
        Ok(sum)
    }
}

/// A percentage written as an integer (`10`) or a decimal string (`"10"`, `"12.5"`).
fn percent<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Pct {
        Int(i64),
        Text(String),
    }
    match Pct::deserialize(deserializer)? {
        Pct::Int(n) => Ok(Decimal::from(n)),
        Pct::Text(t) => Rate::parse(&t)
            .map(Rate::as_decimal)
            .map_err(serde::de::Error::custom),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn default_product_is_valid_and_shows_18_25_percent_a_year() {
        let p = Product::default();
        p.validate().unwrap();
        assert_eq!(
            p.annual_rate().as_decimal().normalize().to_string(),
            "0.1825"
        );
    }

    #[test]
    fn product_rejects_due_plus_grace_over_27_and_accepts_exactly_27() {
        let p = Product {
            due_days: 25,
            grace_days: 3,
            ..Product::default()
        };
        assert!(matches!(p.validate(), Err(BillingError::InvalidProduct(m)) if m.contains("27")));
        let p = Product {
            due_days: 24,
            grace_days: 3,
            ..Product::default()
        };
        p.validate().unwrap();
    }

    #[test]
    fn product_rejects_statement_day_outside_1_to_28() {
        for day in [0, 29, 31] {
            let p = Product {
                statement_day: day,
                ..Product::default()
            };
            assert!(p.validate().is_err(), "{day}");
        }
        let p = Product {
            statement_day: 28,
            ..Product::default()
        };
        p.validate().unwrap();
    }

    #[test]
    fn product_rejects_an_incomplete_allocation_order() {
        let p = Product {
            allocation_order: vec![Bucket::Fee, Bucket::Fee],
            ..Product::default()
        };
        assert!(p.validate().is_err());
    }

    #[test]
    fn product_rejects_late_fee_min_above_max() {
        let p = Product {
            late_fee_min: Money::cny(60_000),
            ..Product::default()
        };
        assert!(p.validate().is_err());
    }

    fn on(y: i16, m: i8, d: i8) -> Date {
        Date::new(y, m, d).unwrap()
    }

    fn rated(rate: &str) -> Product {
        Product {
            daily_rate: Rate::parse(rate).unwrap(),
            ..Product::default()
        }
    }

    #[test]
    fn versions_pick_the_one_in_force_and_sum_rates_day_by_day() {
        let v = ProductVersions::new(vec![
            (on(2026, 4, 1), rated("0.0005")),
            (on(2026, 4, 20), rated("0.0006")),
        ])
        .unwrap();
        assert_eq!(v.number_on(on(2026, 4, 19)), 1);
        assert_eq!(v.number_on(on(2026, 4, 20)), 2);
        assert_eq!(v.version_on(on(2026, 3, 1)), &rated("0.0005"));
        // 10 days at 0.0005 and 18 at 0.0006.
        let sum = v.rate_days(on(2026, 4, 10), on(2026, 5, 8)).unwrap();
        assert_eq!(sum, Decimal::new(158, 4));
        assert_eq!(
            v.rate_days(on(2026, 5, 8), on(2026, 5, 8)).unwrap(),
            Decimal::ZERO
        );
        v.check_opening(on(2026, 4, 1)).unwrap();
        assert!(v.check_opening(on(2026, 3, 31)).is_err());
    }

    #[test]
    fn versions_reject_unordered_dates_a_new_statement_day_and_a_bad_product() {
        let d = Product::default;
        let same = vec![(on(2026, 4, 1), d()), (on(2026, 4, 1), d())];
        assert!(ProductVersions::new(same).is_err());
        let moved = Product {
            statement_day: 8,
            ..d()
        };
        let day = vec![(on(2026, 4, 1), d()), (on(2026, 5, 1), moved)];
        assert!(ProductVersions::new(day).is_err());
        let bad = Product {
            due_days: 30,
            ..d()
        };
        let v = vec![(on(2026, 4, 1), d()), (on(2026, 5, 1), bad)];
        assert!(
            matches!(ProductVersions::new(v), Err(BillingError::InvalidProduct(m)) if m.starts_with("version 2"))
        );
    }
}
