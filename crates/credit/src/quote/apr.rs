//! The annualised rate of a schedule (年化利率): the monthly internal rate of return `i`,
//! disclosed as APR = 12 × i and EAR = (1 + i)^12 − 1, both half-up to 0.01%.
//!
//! The solve runs on exact decimals (28 significant digits), never on floats. NPV(i) =
//! Σ A_k / (1 + i)^k is convex and decreasing in i when every payment is non-negative, so Newton's
//! method started at i = 0 (left of the root) climbs monotonically to it; a bracket [lo, hi] is
//! kept anyway and any step that leaves it is replaced by bisection. The answer is then checked:
//! NPV(i − 10^-12) ≥ P₀ ≥ NPV(i + 10^-12), so i is within 10^-12 of the exact root.

use cardlife_kernel::Money;
use rust_decimal::{Decimal, RoundingStrategy};

use super::QuoteError;

/// Months in a year: APR = 12 × monthly rate.
const MONTHS_PER_YEAR: u32 = 12;
/// The most solver iterations (Newton converges in under 10; bisection needs under 200).
const SOLVE_ITERATIONS_MAX: u32 = 200;
/// Stop when a step moves i by at most this much, relative to max(1, i).
const STEP_TOLERANCE: Decimal = Decimal::from_parts(1, 0, 0, false, 20);
/// The accuracy the answer is verified to: the root lies within ±10^-12 of the monthly rate.
const ACCURACY: Decimal = Decimal::from_parts(1, 0, 0, false, 12);
/// Decimal places of a disclosed percentage (`13.03`).
const PERCENT_DP: u32 = 2;
/// The highest monthly rate the solve will look for: 100 = 10,000% a month (APR 120,000%).
/// Beyond it 28-digit decimals can no longer place the root to 10^-12, and no real product
/// comes near it; such a schedule is rejected as [`QuoteError::AnnualisedRateTooHigh`].
pub const MONTHLY_RATE_MAX: Decimal = Decimal::ONE_HUNDRED;

/// The annualised cost of a schedule, from the monthly rate `i` that equates the present value of
/// the payments with the amount received.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Annualised {
    monthly_rate: Decimal,
    apr_percent: Decimal,
    ear_percent: Decimal,
}

impl Annualised {
    /// Solves `received = Σ payments[k-1] / (1 + i)^k` for the monthly rate `i ≥ 0`.
    ///
    /// `received` is what the customer actually gets at time 0 (the principal minus any upfront
    /// fee); `payments[k-1]` is paid at the end of month `k`. Payments must be non-negative and
    /// total at least `received`, so `i` is never negative.
    pub fn solve(received: Money, payments: &[Money]) -> Result<Self, QuoteError> {
        let flows = cash_flows(received, payments)?;
        let p0 = Decimal::from(received.fen());
        let monthly_rate = solve_monthly_rate(p0, &flows)?;
        Self::from_monthly_rate(monthly_rate)
    }

    /// The disclosure for an already known monthly rate (`i ≥ 0`).
    pub fn from_monthly_rate(monthly_rate: Decimal) -> Result<Self, QuoteError> {
        let apr = monthly_rate
            .checked_mul(Decimal::from(MONTHS_PER_YEAR))
            .ok_or(QuoteError::OutOfRange)?;
        let growth = compound(Decimal::ONE + monthly_rate, MONTHS_PER_YEAR)?;
        let ear = growth - Decimal::ONE;
        Ok(Self {
            monthly_rate,
            apr_percent: to_percent(apr)?,
            ear_percent: to_percent(ear)?,
        })
    }

    /// The solved monthly rate `i`, unrounded (accurate to 10^-12 or better).
    pub const fn monthly_rate(&self) -> Decimal {
        self.monthly_rate
    }

    /// APR = 12 × i in percent, half-up to two decimals (`13.03`); always shows two decimals.
    pub const fn apr_percent(&self) -> Decimal {
        self.apr_percent
    }

    /// EAR = (1 + i)^12 − 1 in percent, half-up to two decimals (`13.84`).
    pub const fn ear_percent(&self) -> Decimal {
        self.ear_percent
    }
}

/// `base^periods` by repeated multiplication (periods ≤ 60 here, so this is exact enough and
/// cheap); `OutOfRange` if it overflows.
pub(super) fn compound(base: Decimal, periods: u32) -> Result<Decimal, QuoteError> {
    (0..periods).try_fold(Decimal::ONE, |acc, _| {
        acc.checked_mul(base).ok_or(QuoteError::OutOfRange)
    })
}

/// `fraction` (0.1303) as a percentage with exactly two decimals (13.03), half-up.
fn to_percent(fraction: Decimal) -> Result<Decimal, QuoteError> {
    let percent = fraction
        .checked_mul(Decimal::ONE_HUNDRED)
        .ok_or(QuoteError::OutOfRange)?;
    let mut rounded =
        percent.round_dp_with_strategy(PERCENT_DP, RoundingStrategy::MidpointAwayFromZero);
    rounded.rescale(PERCENT_DP);
    Ok(rounded)
}

/// The payments in fen as decimals, after checking they can have a non-negative rate.
fn cash_flows(received: Money, payments: &[Money]) -> Result<Vec<Decimal>, QuoteError> {
    if !received.is_positive() {
        return Err(QuoteError::AmountNotPositive { amount: received });
    }
    if payments.is_empty() {
        return Err(QuoteError::NoPayments);
    }
    let mut total = Money::zero(received.currency());
    for payment in payments {
        if payment.is_negative() {
            return Err(QuoteError::AmountNotPositive { amount: *payment });
        }
        total = total.checked_add(*payment)?;
    }
    if total < received {
        return Err(QuoteError::PaymentsBelowAmountReceived {
            payments: total,
            received,
        });
    }
    Ok(payments.iter().map(|p| Decimal::from(p.fen())).collect())
}

/// Safeguarded Newton on NPV(i) − p0 over [0, Σ flows / p0 − 1], then verified to [`ACCURACY`].
fn solve_monthly_rate(p0: Decimal, flows: &[Decimal]) -> Result<Decimal, QuoteError> {
    let total = flows.iter().try_fold(Decimal::ZERO, |acc, f| {
        acc.checked_add(*f).ok_or(QuoteError::OutOfRange)
    })?;
    // NPV(i) ≤ total / (1 + i), so NPV(total / p0 − 1) ≤ p0: the root is at most there.
    let mut hi = total
        .checked_div(p0)
        .ok_or(QuoteError::OutOfRange)?
        .checked_sub(Decimal::ONE)
        .ok_or(QuoteError::OutOfRange)?;
    if hi > MONTHLY_RATE_MAX {
        let (npv_at_max, _) = npv_and_slope(flows, MONTHLY_RATE_MAX)?;
        if npv_at_max > p0 {
            // NPV decreases in i, so the root lies beyond the limit.
            return Err(QuoteError::AnnualisedRateTooHigh);
        }
        hi = MONTHLY_RATE_MAX;
    }
    let mut lo = Decimal::ZERO;
    let mut i = Decimal::ZERO;
    for _ in 0..SOLVE_ITERATIONS_MAX {
        let (npv, slope) = npv_and_slope(flows, i)?;
        let excess = npv - p0;
        if excess.is_zero() {
            return verified(p0, flows, i);
        }
        if excess.is_sign_positive() {
            lo = i;
        } else {
            hi = i;
        }
        let newton = (!slope.is_zero())
            .then(|| excess.checked_div(slope).and_then(|s| i.checked_add(s)))
            .flatten();
        let next = match newton {
            Some(n) if n > lo && n < hi => n,
            _ => (lo + hi) / Decimal::TWO,
        };
        let step = (next - i).abs();
        i = next;
        if step <= STEP_TOLERANCE * i.max(Decimal::ONE) {
            return verified(p0, flows, i);
        }
    }
    Err(QuoteError::RateSolveDidNotConverge)
}

/// `i` if the exact root lies within ±[`ACCURACY`] of it.
fn verified(p0: Decimal, flows: &[Decimal], i: Decimal) -> Result<Decimal, QuoteError> {
    let (below, _) = npv_and_slope(flows, i - ACCURACY)?;
    let (above, _) = npv_and_slope(flows, i + ACCURACY)?;
    if below >= p0 && above <= p0 {
        Ok(i.max(Decimal::ZERO))
    } else {
        Err(QuoteError::RateSolveDidNotConverge)
    }
}

/// NPV(i) = Σ A_k v^k with v = 1/(1+i), and −NPV'(i) = Σ k A_k v^(k+1), by Horner's rule
/// (powers of v ≤ 1 never overflow).
fn npv_and_slope(flows: &[Decimal], i: Decimal) -> Result<(Decimal, Decimal), QuoteError> {
    let v = Decimal::ONE
        .checked_div(Decimal::ONE + i)
        .ok_or(QuoteError::OutOfRange)?;
    let mut npv = Decimal::ZERO;
    let mut weighted = Decimal::ZERO;
    for (k, amount) in flows.iter().enumerate().rev() {
        let period = Decimal::from(k + 1);
        npv = npv
            .checked_add(*amount)
            .and_then(|s| s.checked_mul(v))
            .ok_or(QuoteError::OutOfRange)?;
        weighted = amount
            .checked_mul(period)
            .and_then(|a| weighted.checked_add(a))
            .and_then(|s| s.checked_mul(v))
            .ok_or(QuoteError::OutOfRange)?;
    }
    let slope = weighted.checked_mul(v).ok_or(QuoteError::OutOfRange)?;
    Ok((npv, slope))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use rust_decimal_macros::dec;

    fn cny(fen: &[i64]) -> Vec<Money> {
        fen.iter().map(|f| Money::cny(*f)).collect()
    }

    #[test]
    fn one_payment_of_110_for_100_is_ten_percent_a_month() {
        let a = Annualised::solve(Money::cny(10_000), &cny(&[11_000])).unwrap();
        assert!((a.monthly_rate() - dec!(0.1)).abs() < dec!(1e-15));
        assert_eq!(a.apr_percent().to_string(), "120.00");
        // 1.1^12 − 1 = 2.138428376721
        assert_eq!(a.ear_percent().to_string(), "213.84");
    }

    #[test]
    fn payments_equal_to_the_amount_received_cost_zero_percent() {
        let a = Annualised::solve(Money::cny(30_000), &cny(&[10_000, 10_000, 10_000])).unwrap();
        assert_eq!(a.monthly_rate(), Decimal::ZERO);
        assert_eq!(a.apr_percent().to_string(), "0.00");
        assert_eq!(a.ear_percent().to_string(), "0.00");
    }

    #[test]
    fn the_solved_rate_is_within_1e_12_of_a_known_annuity_rate() {
        // 36 payments of 5,000.00 on 150,000.00 − x: pick x from the exact annuity at i = 1%.
        let i = dec!(0.01);
        let flows = vec![Decimal::from(500_000); 36];
        let (pv, _) = npv_and_slope(&flows, i).unwrap();
        let solved = solve_monthly_rate(pv, &flows).unwrap();
        assert!((solved - i).abs() < dec!(1e-12), "{solved}");
    }

    #[test]
    fn a_rate_with_zero_payments_before_the_last_still_solves() {
        let a = Annualised::solve(Money::cny(100), &cny(&[0, 0, 0, 0, 0, 121])).unwrap();
        assert!(a.monthly_rate() > Decimal::ZERO);
        let (pv, _) = npv_and_slope(
            &[dec!(0), dec!(0), dec!(0), dec!(0), dec!(0), dec!(121)],
            a.monthly_rate(),
        )
        .unwrap();
        assert!((pv - dec!(100)).abs() < dec!(1e-9));
    }

    #[test]
    fn payments_below_the_amount_received_are_rejected() {
        assert_eq!(
            Annualised::solve(Money::cny(10_000), &cny(&[5_000, 4_999])),
            Err(QuoteError::PaymentsBelowAmountReceived {
                payments: Money::cny(9_999),
                received: Money::cny(10_000)
            })
        );
        assert_eq!(
            Annualised::solve(Money::cny(10_000), &[]),
            Err(QuoteError::NoPayments)
        );
    }

    #[test]
    fn verification_rejects_a_rate_that_is_off_by_more_than_the_accuracy() {
        // Negative control: the check that guards every answer does fail on a wrong one.
        let flows = vec![Decimal::from(107_200); 12];
        let good = solve_monthly_rate(Decimal::from(1_200_000), &flows).unwrap();
        assert!(verified(Decimal::from(1_200_000), &flows, good).is_ok());
        assert_eq!(
            verified(Decimal::from(1_200_000), &flows, good + dec!(1e-10)),
            Err(QuoteError::RateSolveDidNotConverge)
        );
    }

    #[test]
    fn a_monthly_rate_beyond_the_limit_is_rejected_not_guessed() {
        // 1 fen received, 1,000,000.00 repaid a month later: i = 10^8 − 1.
        assert_eq!(
            Annualised::solve(Money::cny(1), &cny(&[100_000_000])),
            Err(QuoteError::AnnualisedRateTooHigh)
        );
        // Just inside the limit: 1.00 received, 101.00 repaid, i = 100 exactly.
        let a = Annualised::solve(Money::cny(100), &cny(&[10_100])).unwrap();
        assert_eq!(a.apr_percent().to_string(), "120000.00");
    }

    #[test]
    fn percentages_round_half_up_and_always_show_two_decimals() {
        assert_eq!(to_percent(dec!(0.04)).unwrap().to_string(), "4.00");
        assert_eq!(to_percent(dec!(0.123450)).unwrap().to_string(), "12.35");
        assert_eq!(to_percent(dec!(0.1234499)).unwrap().to_string(), "12.34");
    }
}
