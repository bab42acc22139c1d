//! Consumer-loan quotes (融e借-style): equal installment (等额本息) or equal principal (等额本金)
//! at a monthly rate of annual / 12, with the annualised rate disclosed. Formulas in the module
//! docs.

use std::fmt;
use std::str::FromStr;

use cardlife_kernel::{Money, Rate, round_half_up_to_fen};
use rust_decimal::Decimal;

use super::apr::compound;
use super::{Annualised, Periods, QuoteError};

/// Months in a year: the monthly rate is annual / 12.
const MONTHS_PER_YEAR: i64 = 12;

/// How a loan is repaid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RepaymentMethod {
    /// 等额本息: the same payment A every period (the last clears the balance).
    EqualInstallment,
    /// 等额本金: the same principal every period plus interest on the balance.
    EqualPrincipal,
}

impl RepaymentMethod {
    /// The contract name: `equal_installment` or `equal_principal`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::EqualInstallment => "equal_installment",
            Self::EqualPrincipal => "equal_principal",
        }
    }
}

impl fmt::Display for RepaymentMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RepaymentMethod {
    type Err = QuoteError;

    /// Parses `equal_installment` or `equal_principal` (exactly, case-sensitive).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        [Self::EqualInstallment, Self::EqualPrincipal]
            .into_iter()
            .find(|m| m.as_str() == text)
            .ok_or_else(|| QuoteError::UnknownMethod {
                given: text.to_owned(),
            })
    }
}

/// One period of a loan schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoanRow {
    /// 1-based period number.
    pub period: u32,
    /// interest + principal.
    pub payment: Money,
    /// half-up(balance before the period × annual / 12).
    pub interest: Money,
    /// Principal repaid in this period.
    pub principal: Money,
    /// Principal still owed after this period (0 after the last).
    pub balance: Money,
}

/// A complete loan quote: the schedule, the total interest and the annualised rate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoanQuote {
    amount: Money,
    periods: Periods,
    annual_rate: Rate,
    method: RepaymentMethod,
    schedule: Vec<LoanRow>,
    total_interest: Money,
    annualised: Annualised,
}

impl LoanQuote {
    /// Quotes a loan of `amount` over `periods` months at `annual_rate`, repaid by `method`.
    pub fn new(
        amount: Money,
        periods: Periods,
        annual_rate: Rate,
        method: RepaymentMethod,
    ) -> Result<Self, QuoteError> {
        if !amount.is_positive() {
            return Err(QuoteError::AmountNotPositive { amount });
        }
        if annual_rate.is_negative() {
            return Err(QuoteError::NegativeRate { rate: annual_rate });
        }
        let n = periods.get();
        let annual = annual_rate.as_decimal();
        let level = match method {
            RepaymentMethod::EqualInstallment => level_payment(amount, n, annual)?,
            RepaymentMethod::EqualPrincipal => level_principal(amount, n)?,
        };
        let schedule = schedule(amount, n, annual, method, level)?;
        let mut total_interest = Money::zero(amount.currency());
        for row in &schedule {
            total_interest = total_interest.checked_add(row.interest)?;
        }
        let payments: Vec<Money> = schedule.iter().map(|row| row.payment).collect();
        let annualised = Annualised::solve(amount, &payments)?;
        Ok(Self {
            amount,
            periods,
            annual_rate,
            method,
            schedule,
            total_interest,
            annualised,
        })
    }

    /// The principal P.
    pub const fn amount(&self) -> Money {
        self.amount
    }

    /// The number of monthly periods n.
    pub const fn periods(&self) -> Periods {
        self.periods
    }

    /// The nominal annual rate, as given.
    pub const fn annual_rate(&self) -> Rate {
        self.annual_rate
    }

    /// How the loan is repaid.
    pub const fn method(&self) -> RepaymentMethod {
        self.method
    }

    /// One row per period, period 1 first.
    pub fn schedule(&self) -> &[LoanRow] {
        &self.schedule
    }

    /// The sum of the schedule's interest column (= Σ payments − P).
    pub const fn total_interest(&self) -> Money {
        self.total_interest
    }

    /// APR and EAR of the schedule.
    pub const fn annualised(&self) -> Annualised {
        self.annualised
    }
}

/// A = P·i·(1+i)^n / ((1+i)^n − 1) with i = annual / 12, half-up to the fen; P / n at rate 0.
///
/// Computed as P·annual·g / (12·(g − 1)), g = (1 + annual/12)^n, on 28-significant-digit decimals:
/// the rounding to the fen is exact unless A lies within about 10^-15 fen of a half fen.
fn level_payment(amount: Money, n: u32, annual: Decimal) -> Result<Money, QuoteError> {
    let principal = Decimal::from(amount.fen());
    let twelve = Decimal::from(MONTHS_PER_YEAR);
    if annual.is_zero() {
        return fen(amount, principal.checked_div(Decimal::from(n)));
    }
    let monthly = annual.checked_div(twelve).ok_or(QuoteError::OutOfRange)?;
    let growth = compound(Decimal::ONE + monthly, n)?;
    let exact = principal
        .checked_mul(annual)
        .and_then(|x| x.checked_mul(growth))
        .and_then(|x| x.checked_div(twelve.checked_mul(growth - Decimal::ONE)?));
    fen(amount, exact)
}

/// half-up(P / n), the principal of every period but the last.
fn level_principal(amount: Money, n: u32) -> Result<Money, QuoteError> {
    fen(
        amount,
        Decimal::from(amount.fen()).checked_div(Decimal::from(n)),
    )
}

/// An exact amount of fen, rounded half-up, in the currency of `like`.
fn fen(like: Money, exact: Option<Decimal>) -> Result<Money, QuoteError> {
    let exact = exact.ok_or(QuoteError::OutOfRange)?;
    Ok(Money::new(round_half_up_to_fen(exact)?, like.currency()))
}

/// The rows: interest on the opening balance; principal from `method` and `level` (the payment A
/// or the level principal), never more than the balance; the last period clears the balance.
fn schedule(
    amount: Money,
    n: u32,
    annual: Decimal,
    method: RepaymentMethod,
    level: Money,
) -> Result<Vec<LoanRow>, QuoteError> {
    let mut balance = amount;
    let mut rows = Vec::with_capacity(n as usize);
    for period in 1..=n {
        // B × annual is exact; the one division by 12 happens before the single rounding.
        let interest = fen(
            amount,
            Decimal::from(balance.fen())
                .checked_mul(annual)
                .and_then(|x| x.checked_div(Decimal::from(MONTHS_PER_YEAR))),
        )?;
        let wanted = match method {
            // A ≥ interest because the balance never exceeds P (so B·i ≤ P·i ≤ A exactly).
            RepaymentMethod::EqualInstallment => level.checked_sub(interest)?,
            RepaymentMethod::EqualPrincipal => level,
        };
        let principal = if period == n {
            balance
        } else {
            wanted.min(balance)?
        };
        balance = balance.checked_sub(principal)?;
        rows.push(LoanRow {
            period,
            payment: principal.checked_add(interest)?,
            interest,
            principal,
            balance,
        });
    }
    debug_assert!(balance.is_zero(), "the last period clears the balance");
    Ok(rows)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use proptest::prelude::*;

    fn quote(fen: i64, n: u32, annual: &str, method: RepaymentMethod) -> LoanQuote {
        LoanQuote::new(
            Money::cny(fen),
            Periods::new(n).unwrap(),
            Rate::parse(annual).unwrap(),
            method,
        )
        .unwrap()
    }

    fn printed(row: &LoanRow) -> [String; 4] {
        [row.payment, row.interest, row.principal, row.balance].map(|m| m.to_string())
    }

    #[test]
    fn equal_installment_domain_example_100k_at_4_percent_for_36() {
        let q = quote(10_000_000, 36, "0.04", RepaymentMethod::EqualInstallment);
        let s = q.schedule();
        assert_eq!(printed(&s[0]), ["2952.40", "333.33", "2619.07", "97380.93"]);
        assert!(s[..35].iter().all(|r| r.payment == Money::cny(295_240)));
        // The last period pays the remaining principal plus its interest: 5 fen under A.
        assert_eq!(printed(&s[35]), ["2952.35", "9.81", "2942.54", "0.00"]);
        assert_eq!(q.total_interest().to_string(), "6286.35");
        assert_eq!(q.annualised().apr_percent().to_string(), "4.00");
    }

    #[test]
    fn equal_principal_domain_example_100k_at_4_percent_for_36() {
        let q = quote(10_000_000, 36, "0.04", RepaymentMethod::EqualPrincipal);
        let s = q.schedule();
        assert_eq!(printed(&s[0]), ["3111.11", "333.33", "2777.78", "97222.22"]);
        assert_eq!(printed(&s[35]), ["2786.96", "9.26", "2777.70", "0.00"]);
        assert_eq!(q.total_interest().to_string(), "6166.67");
        assert_eq!(q.annualised().apr_percent().to_string(), "4.00");
    }

    #[test]
    fn interest_on_an_exact_half_fen_rounds_up() {
        // Period 31 of the 100,000.00 / 4% / 36 example opens at 17,509.50:
        // 1,750,950 fen × 0.04 / 12 = 5,836.5 fen exactly, a tie, so half-up gives 58.37.
        // Multiplying by a truncated i = 0.0033333… instead lands just under the tie (58.36)
        // and the total interest would come out 6,286.34, not the contract's 6,286.35.
        let q = quote(10_000_000, 36, "0.04", RepaymentMethod::EqualInstallment);
        let s = q.schedule();
        assert_eq!(s[29].balance, Money::cny(1_750_950));
        assert_eq!(printed(&s[30]), ["2952.40", "58.37", "2894.03", "14615.47"]);
    }

    #[test]
    fn a_zero_rate_loan_repays_the_principal_only() {
        for method in [
            RepaymentMethod::EqualInstallment,
            RepaymentMethod::EqualPrincipal,
        ] {
            let q = quote(10_000, 3, "0", method);
            let principals: Vec<i64> = q.schedule().iter().map(|r| r.principal.fen()).collect();
            assert_eq!(principals, [3_333, 3_333, 3_334]);
            assert!(q.total_interest().is_zero());
            assert_eq!(q.annualised().apr_percent().to_string(), "0.00");
        }
    }

    #[test]
    fn equal_principal_rounding_up_never_overshoots_the_balance() {
        // half-up(0.09 / 6) = 0.02 × 5 = 0.10 > 0.09: the fifth period takes only what is left.
        let q = quote(9, 6, "0", RepaymentMethod::EqualPrincipal);
        let principals: Vec<i64> = q.schedule().iter().map(|r| r.principal.fen()).collect();
        assert_eq!(principals, [2, 2, 2, 2, 1, 0]);
    }

    #[test]
    fn loan_rejects_bad_terms() {
        let p = Periods::new(12).unwrap();
        let m = RepaymentMethod::EqualInstallment;
        assert_eq!(
            LoanQuote::new(Money::cny(0), p, Rate::ZERO, m),
            Err(QuoteError::AmountNotPositive {
                amount: Money::cny(0)
            })
        );
        let rate = Rate::parse("-0.04").unwrap();
        assert_eq!(
            LoanQuote::new(Money::cny(100), p, rate, m),
            Err(QuoteError::NegativeRate { rate })
        );
        assert_eq!(
            "equal".parse::<RepaymentMethod>(),
            Err(QuoteError::UnknownMethod {
                given: "equal".to_owned()
            })
        );
    }

    fn any_method() -> impl Strategy<Value = RepaymentMethod> {
        prop_oneof![
            Just(RepaymentMethod::EqualInstallment),
            Just(RepaymentMethod::EqualPrincipal)
        ]
    }

    proptest! {
        #[test]
        fn a_loan_schedule_repays_exactly_the_principal(
            fen in 1i64..=10_000_000_000,
            n in 1u32..=60,
            bp in 0i64..=3_600,
            method in any_method(),
        ) {
            let annual = Rate::new(Decimal::new(bp, 4));
            let q = LoanQuote::new(Money::cny(fen), Periods::new(n).unwrap(), annual, method).unwrap();
            let s = q.schedule();
            prop_assert_eq!(s.len(), n as usize);
            prop_assert_eq!(s.iter().map(|r| r.principal.fen()).sum::<i64>(), fen);
            prop_assert_eq!(s.iter().map(|r| r.interest.fen()).sum::<i64>(), q.total_interest().fen());
            prop_assert!(s.last().unwrap().balance.is_zero());
            let mut opening = fen;
            for r in s {
                prop_assert!(r.principal.fen() >= 0 && r.interest.fen() >= 0);
                prop_assert_eq!(r.payment.fen(), r.principal.fen() + r.interest.fen());
                prop_assert_eq!(r.balance.fen(), opening - r.principal.fen());
                opening = r.balance.fen();
            }
            prop_assert!(q.annualised().apr_percent() >= Decimal::ZERO);
        }

        #[test]
        fn a_large_loan_discloses_its_nominal_rate_as_apr(
            fen in 1_000_000i64..=10_000_000_000,
            n in 1u32..=60,
            bp in 0i64..=3_600,
            method in any_method(),
        ) {
            let annual = Decimal::new(bp, 4);
            let q = LoanQuote::new(Money::cny(fen), Periods::new(n).unwrap(), Rate::new(annual), method).unwrap();
            let nominal = annual * Decimal::ONE_HUNDRED;
            let apr = q.annualised().apr_percent();
            prop_assert!((apr - nominal).abs() <= Decimal::new(1, 2), "APR {} for {}", apr, nominal);
        }
    }
}
