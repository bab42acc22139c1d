//! Installment quotes (分期): equal principal per period plus a fee on the original principal,
//! per period or upfront, with the annualised rate disclosed. Formulas in the module docs.

use std::fmt;
use std::str::FromStr;

use cardlife_kernel::{Money, Rate, Rounding};
use rust_decimal::Decimal;

use super::{Annualised, Periods, QuoteError};

/// How the installment fee is charged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum FeeMode {
    /// half-up(P × rate) in every period (the default).
    #[default]
    PerPeriod,
    /// half-up(P × rate × n) once at booking; every period's fee is 0.
    Upfront,
}

impl FeeMode {
    /// The contract name: `per_period` or `upfront`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::PerPeriod => "per_period",
            Self::Upfront => "upfront",
        }
    }
}

impl fmt::Display for FeeMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for FeeMode {
    type Err = QuoteError;

    /// Parses `per_period` or `upfront` (exactly, case-sensitive).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        [Self::PerPeriod, Self::Upfront]
            .into_iter()
            .find(|m| m.as_str() == text)
            .ok_or_else(|| QuoteError::UnknownFeeMode {
                given: text.to_owned(),
            })
    }
}

/// One period of an installment schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InstallmentRow {
    /// 1-based period number.
    pub period: u32,
    /// Principal billed in this period.
    pub principal: Money,
    /// Fee billed in this period (0 in `upfront` mode).
    pub fee: Money,
    /// principal + fee.
    pub payment: Money,
}

/// A complete installment quote: the schedule, the fees and the annualised rate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstallmentQuote {
    amount: Money,
    periods: Periods,
    rate: Rate,
    fee_mode: FeeMode,
    schedule: Vec<InstallmentRow>,
    total_fee: Money,
    upfront_fee: Money,
    annualised: Annualised,
}

impl InstallmentQuote {
    /// Quotes `amount` over `periods` at `rate` per period, the fee charged as `fee_mode` says.
    pub fn new(
        amount: Money,
        periods: Periods,
        rate: Rate,
        fee_mode: FeeMode,
    ) -> Result<Self, QuoteError> {
        if !amount.is_positive() {
            return Err(QuoteError::AmountNotPositive { amount });
        }
        if rate.is_negative() {
            return Err(QuoteError::NegativeRate { rate });
        }
        let n = periods.get();
        let (period_fee, upfront_fee) = fees(amount, n, rate, fee_mode)?;
        let schedule = schedule(amount, n, period_fee)?;
        let total_fee = match fee_mode {
            FeeMode::PerPeriod => period_fee.checked_mul_int(i64::from(n))?,
            FeeMode::Upfront => upfront_fee,
        };
        // The customer receives P minus the upfront fee at time 0 and pays the schedule.
        let received = amount.checked_sub(upfront_fee)?;
        let payments: Vec<Money> = schedule.iter().map(|row| row.payment).collect();
        let annualised = Annualised::solve(received, &payments)?;
        Ok(Self {
            amount,
            periods,
            rate,
            fee_mode,
            schedule,
            total_fee,
            upfront_fee,
            annualised,
        })
    }

    /// The principal P.
    pub const fn amount(&self) -> Money {
        self.amount
    }

    /// The number of periods n.
    pub const fn periods(&self) -> Periods {
        self.periods
    }

    /// The fee rate per period, as given.
    pub const fn rate(&self) -> Rate {
        self.rate
    }

    /// How the fee is charged.
    pub const fn fee_mode(&self) -> FeeMode {
        self.fee_mode
    }

    /// One row per period, period 1 first.
    pub fn schedule(&self) -> &[InstallmentRow] {
        &self.schedule
    }

    /// Every fee of the plan: n × the period fee, or the upfront fee.
    pub const fn total_fee(&self) -> Money {
        self.total_fee
    }

    /// The fee charged at booking (0 in `per_period` mode).
    pub const fn upfront_fee(&self) -> Money {
        self.upfront_fee
    }

    /// APR and EAR of the plan.
    pub const fn annualised(&self) -> Annualised {
        self.annualised
    }
}

/// (fee in every period, fee at booking): exactly one of them is used by `fee_mode`.
fn fees(
    amount: Money,
    n: u32,
    rate: Rate,
    fee_mode: FeeMode,
) -> Result<(Money, Money), QuoteError> {
    let zero = Money::zero(amount.currency());
    match fee_mode {
        FeeMode::PerPeriod => Ok((amount.checked_mul_rate(rate, Rounding::HalfUp)?, zero)),
        FeeMode::Upfront => {
            // P × rate × n is exact before the single rounding.
            let whole_term = rate
                .as_decimal()
                .checked_mul(Decimal::from(n))
                .ok_or(QuoteError::OutOfRange)?;
            let fee = amount.checked_mul_rate(Rate::new(whole_term), Rounding::HalfUp)?;
            if fee >= amount {
                return Err(QuoteError::UpfrontFeeNotBelowAmount { fee, amount });
            }
            Ok((zero, fee))
        }
    }
}

/// floor(P / n) to the fen in every period, the remainder on the last; `fee` in every period.
fn schedule(amount: Money, n: u32, fee: Money) -> Result<Vec<InstallmentRow>, QuoteError> {
    let currency = amount.currency();
    // P > 0 and n > 0, so integer division is the floor.
    let base = Money::new(amount.fen() / i64::from(n), currency);
    let before_last = base.checked_mul_int(i64::from(n - 1))?;
    let last = amount.checked_sub(before_last)?;
    (1..=n)
        .map(|period| {
            let principal = if period == n { last } else { base };
            Ok(InstallmentRow {
                period,
                principal,
                fee,
                payment: principal.checked_add(fee)?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use proptest::prelude::*;

    fn quote(fen: i64, n: u32, rate: &str, mode: FeeMode) -> InstallmentQuote {
        InstallmentQuote::new(
            Money::cny(fen),
            Periods::new(n).unwrap(),
            Rate::parse(rate).unwrap(),
            mode,
        )
        .unwrap()
    }

    /// (payment of period 1, upfront fee, APR, EAR) as printed.
    fn summary(q: &InstallmentQuote) -> (String, String, String, String) {
        (
            q.schedule()[0].payment.to_string(),
            q.upfront_fee().to_string(),
            q.annualised().apr_percent().to_string(),
            q.annualised().ear_percent().to_string(),
        )
    }

    fn row(a: &str, b: &str, c: &str, d: &str) -> (String, String, String, String) {
        (a.to_owned(), b.to_owned(), c.to_owned(), d.to_owned())
    }

    #[test]
    fn domain_table_3_periods_at_0_60_percent() {
        let q = quote(1_200_000, 3, "0.006", FeeMode::PerPeriod);
        assert_eq!(summary(&q), row("4072.00", "0.00", "10.77", "11.32"));
        assert_eq!(q.total_fee(), Money::cny(21_600));
    }

    #[test]
    fn domain_table_12_periods_at_0_60_percent() {
        let q = quote(1_200_000, 12, "0.006", FeeMode::PerPeriod);
        assert_eq!(summary(&q), row("1072.00", "0.00", "13.03", "13.84"));
        assert_eq!(q.total_fee(), Money::cny(86_400));
        assert!(
            q.schedule()
                .iter()
                .all(|r| r.payment == Money::cny(107_200))
        );
    }

    #[test]
    fn domain_table_24_periods_at_0_60_percent() {
        let q = quote(1_200_000, 24, "0.006", FeeMode::PerPeriod);
        assert_eq!(summary(&q), row("572.00", "0.00", "13.27", "14.10"));
    }

    #[test]
    fn domain_table_12_periods_upfront() {
        let q = quote(1_200_000, 12, "0.006", FeeMode::Upfront);
        assert_eq!(summary(&q), row("1000.00", "864.00", "14.02", "14.96"));
        assert_eq!(q.total_fee(), Money::cny(86_400));
        assert!(q.schedule().iter().all(|r| r.fee.is_zero()));
    }

    #[test]
    fn an_amount_not_divisible_by_n_puts_the_remainder_on_the_last_period() {
        // 100.00 / 3 = 33.333…: 33.33, 33.33, 33.34. Fee 100.00 × 0.00125 = 0.125 → 0.13 half-up.
        let q = quote(10_000, 3, "0.00125", FeeMode::PerPeriod);
        let principals: Vec<i64> = q.schedule().iter().map(|r| r.principal.fen()).collect();
        assert_eq!(principals, [3_333, 3_333, 3_334]);
        assert!(q.schedule().iter().all(|r| r.fee == Money::cny(13)));
        assert_eq!(q.schedule()[2].payment, Money::cny(3_347));
        assert_eq!(q.total_fee(), Money::cny(39));
    }

    #[test]
    fn an_amount_below_n_fen_bills_everything_in_the_last_period() {
        let q = quote(5, 12, "0", FeeMode::PerPeriod);
        assert!(q.schedule()[..11].iter().all(|r| r.principal.is_zero()));
        assert_eq!(q.schedule()[11].principal, Money::cny(5));
        assert_eq!(q.annualised().apr_percent().to_string(), "0.00");
    }

    #[test]
    fn a_zero_rate_costs_zero_percent() {
        let q = quote(1_200_000, 12, "0", FeeMode::Upfront);
        assert_eq!(summary(&q), row("1000.00", "0.00", "0.00", "0.00"));
    }

    #[test]
    fn installment_rejects_a_zero_or_negative_amount() {
        for fen in [0, -100] {
            let err = InstallmentQuote::new(
                Money::cny(fen),
                Periods::new(3).unwrap(),
                Rate::ZERO,
                FeeMode::PerPeriod,
            );
            assert_eq!(
                err,
                Err(QuoteError::AmountNotPositive {
                    amount: Money::cny(fen)
                })
            );
        }
    }

    #[test]
    fn installment_rejects_a_negative_rate() {
        let rate = Rate::parse("-0.001").unwrap();
        let err = InstallmentQuote::new(
            Money::cny(100),
            Periods::new(3).unwrap(),
            rate,
            FeeMode::PerPeriod,
        );
        assert_eq!(err, Err(QuoteError::NegativeRate { rate }));
    }

    #[test]
    fn installment_rejects_an_upfront_fee_that_takes_the_whole_amount() {
        let err = InstallmentQuote::new(
            Money::cny(10_000),
            Periods::new(10).unwrap(),
            Rate::parse("0.1").unwrap(),
            FeeMode::Upfront,
        );
        assert_eq!(
            err,
            Err(QuoteError::UpfrontFeeNotBelowAmount {
                fee: Money::cny(10_000),
                amount: Money::cny(10_000)
            })
        );
    }

    #[test]
    fn fee_mode_parses_only_the_contract_names() {
        assert_eq!("per_period".parse::<FeeMode>(), Ok(FeeMode::PerPeriod));
        assert_eq!("upfront".parse::<FeeMode>(), Ok(FeeMode::Upfront));
        assert_eq!(
            "Upfront".parse::<FeeMode>(),
            Err(QuoteError::UnknownFeeMode {
                given: "Upfront".to_owned()
            })
        );
    }

    fn any_mode() -> impl Strategy<Value = FeeMode> {
        prop_oneof![Just(FeeMode::PerPeriod), Just(FeeMode::Upfront)]
    }

    proptest! {
        #[test]
        fn principal_sums_to_the_amount_exactly_and_every_fee_is_equal(
            fen in 1i64..=10_000_000_000,
            n in 1u32..=60,
            bp in 0i64..=150,
            mode in any_mode(),
        ) {
            let rate = Rate::new(Decimal::new(bp, 4));
            let q = match InstallmentQuote::new(Money::cny(fen), Periods::new(n).unwrap(), rate, mode) {
                Err(QuoteError::UpfrontFeeNotBelowAmount { fee, amount }) => {
                    // Only a tiny amount can have its whole value taken by a fee under 100%.
                    prop_assert_eq!(mode, FeeMode::Upfront);
                    prop_assert!(fee >= amount);
                    return Ok(());
                }
                other => other.unwrap(),
            };
            let s = q.schedule();
            prop_assert_eq!(s.len(), n as usize);
            let principal: i64 = s.iter().map(|r| r.principal.fen()).sum();
            prop_assert_eq!(principal, fen);
            prop_assert!(s[..s.len() - 1].iter().all(|r| r.principal == s[0].principal));
            prop_assert!(s.iter().all(|r| r.fee == s[0].fee));
            prop_assert!(s.iter().all(|r| r.payment.fen() == r.principal.fen() + r.fee.fen()));
            let fees: i64 = s.iter().map(|r| r.fee.fen()).sum();
            prop_assert_eq!(fees + q.upfront_fee().fen(), q.total_fee().fen());
            prop_assert!(q.annualised().apr_percent() >= Decimal::ZERO);
            prop_assert!(q.annualised().ear_percent() >= q.annualised().apr_percent());
        }

        #[test]
        fn apr_never_falls_when_the_rate_rises(
            fen in 10_000i64..=10_000_000_000,
            n in 1u32..=60,
            bp in 0i64..=150,
            more in 0i64..=50,
            mode in any_mode(),
        ) {
            // Upfront needs rate × n < 1, or nothing would be financed.
            prop_assume!(mode == FeeMode::PerPeriod || (bp + more) * i64::from(n) < 9_000);
            let periods = Periods::new(n).unwrap();
            let low = Rate::new(Decimal::new(bp, 4));
            let high = Rate::new(Decimal::new(bp + more, 4));
            let a = InstallmentQuote::new(Money::cny(fen), periods, low, mode).unwrap();
            let b = InstallmentQuote::new(Money::cny(fen), periods, high, mode).unwrap();
            prop_assert!(a.annualised().monthly_rate() <= b.annualised().monthly_rate());
            prop_assert!(a.annualised().apr_percent() <= b.annualised().apr_percent());
        }
    }
}
