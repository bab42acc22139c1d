//! Pre-approved offers: how much installment and consumer loan a customer can be offered now,
//! derived from the account's standing, with the stable reason codes behind every cut.
//!
//! Every threshold is an [`OfferPolicy`] field; the defaults below are only defaults.
//!
//! 1. **Delinquent now** (days past due > [`OfferPolicy::max_days_past_due_now`], default 0):
//!    no offer at all, [`ReasonCode::DelinquentNow`].
//! 2. **Worst bucket in 12 months** ≥ [`OfferPolicy::refuse_worst_bucket`] (default M2, i.e. 31+
//!    days past due; buckets per DOMAIN.md §3 rule 11): no offer, [`ReasonCode::M2InLast12`].
//!    Both refusal reasons are reported when both apply.
//! 3. **Headroom** = max(0, min(available credit, limit − posted balance)): the permanent
//!    limit's unused part, never the temporary limit's.
//! 4. **Installment** = headroom × [`OfferPolicy::installment_share_bp`] (default 80%).
//!    While a temporary limit is in use the installment offer is 0 (its use is 100% due next and
//!    not installable, §3 rule 10), [`ReasonCode::TempLimitInUse`].
//! 5. **Loan** = limit × [`OfferPolicy::loan_limit_multiple_bp`] (default 2×), capped by
//!    [`OfferPolicy::loan_cap`] (default 200,000.00 per customer online) minus the loans already
//!    outstanding; [`ReasonCode::LoanCapReached`] when that cap is what bounds it.
//! 6. **Thin file**: fewer than [`OfferPolicy::thin_file_months`] (default 6) months on book
//!    scales both by [`OfferPolicy::thin_file_share_bp`] (default 50%), [`ReasonCode::ThinFile`].
//! 7. **Missed payments**: fewer on-time payments than min(months on book, 12) scales both by
//!    [`OfferPolicy::missed_payment_share_bp`] (default 50%), [`ReasonCode::MissedPayments`].
//! 8. Amounts round **down** to a whole [`OfferPolicy::rounding_unit`] (default 100.00).
//!    An installment offer below [`OfferPolicy::min_installment`] (default 1,000.00) becomes 0,
//!    [`ReasonCode::LowHeadroom`]; so does a zero headroom.
//!
//! Scaling is in basis points (1 bp = 0.01%), floored to the fen; nothing is ever negative, the
//! installment never exceeds the headroom and the loan never exceeds the cap less existing loans.

use std::fmt;

use cardlife_kernel::{Money, MoneyError};
use serde::{Deserialize, Serialize};

/// 100% in basis points.
const FULL_BP: i128 = 10_000;

/// What the account looks like today.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Standing {
    /// The permanent credit limit.
    pub credit_limit: Money,
    /// Posted balance (negative when overpaid).
    pub posted_balance: Money,
    /// Available credit per §3 rule 10 (may include a temporary limit).
    pub available_credit: Money,
    /// Whole months since the account opened.
    pub months_on_book: u32,
    /// Statements among the last 12 whose minimum was paid on time.
    pub on_time_payments_12m: u32,
    /// Current days past due (0 when current), §3 rule 11.
    pub days_past_due: u32,
    /// The worst days past due reached in the last 12 months.
    pub worst_days_past_due_12m: u32,
    /// Consumer loans already outstanding for this customer.
    pub loan_outstanding: Money,
    /// The amount of a temporary limit currently used (0 when none).
    pub temp_limit_used: Money,
}

/// The thresholds and percentages behind offers; see the module docs for the rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfferPolicy {
    /// Share of headroom offered as installment, in bp. Default 8,000 (80%).
    pub installment_share_bp: u32,
    /// Loan offer as a multiple of the limit, in bp. Default 20,000 (2×).
    pub loan_limit_multiple_bp: u32,
    /// Per-customer cap on consumer loans. Default 200,000.00.
    pub loan_cap: Money,
    /// Days past due tolerated today. Default 0.
    pub max_days_past_due_now: u32,
    /// Worst bucket in 12 months (1 = M1 … 6 = M6+) that refuses all offers. Default 2 (M2).
    pub refuse_worst_bucket: u8,
    /// Months on book below which the file is thin. Default 6.
    pub thin_file_months: u32,
    /// What a thin file keeps, in bp. Default 5,000 (50%).
    pub thin_file_share_bp: u32,
    /// What a missed payment in the last 12 statements keeps, in bp. Default 5,000 (50%).
    pub missed_payment_share_bp: u32,
    /// Offers round down to a multiple of this. Default 100.00.
    pub rounding_unit: Money,
    /// Smallest installment worth offering. Default 1,000.00.
    pub min_installment: Money,
}

impl Default for OfferPolicy {
    fn default() -> Self {
        Self {
            installment_share_bp: 8_000,
            loan_limit_multiple_bp: 20_000,
            loan_cap: Money::cny(20_000_000),
            max_days_past_due_now: 0,
            refuse_worst_bucket: 2,
            thin_file_months: 6,
            thin_file_share_bp: 5_000,
            missed_payment_share_bp: 5_000,
            rounding_unit: Money::cny(10_000),
            min_installment: Money::cny(100_000),
        }
    }
}

/// Why an offer was refused or cut; the string codes are stable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ReasonCode {
    /// Currently past due: no offer.
    DelinquentNow,
    /// Reached the refusing bucket (default M2) in the last 12 months: no offer.
    #[serde(rename = "M2_IN_LAST_12")]
    M2InLast12,
    /// Fewer months on book than the policy wants: both offers reduced.
    ThinFile,
    /// A payment missed in the last 12 statements: both offers reduced.
    MissedPayments,
    /// Headroom too small for an installment offer.
    LowHeadroom,
    /// The loan offer is bounded by the per-customer cap less existing loans.
    LoanCapReached,
    /// A temporary limit is in use: no installment offer.
    TempLimitInUse,
}

impl ReasonCode {
    /// The stable code, e.g. `"DELINQUENT_NOW"`.
    pub const fn code(self) -> &'static str {
        match self {
            Self::DelinquentNow => "DELINQUENT_NOW",
            Self::M2InLast12 => "M2_IN_LAST_12",
            Self::ThinFile => "THIN_FILE",
            Self::MissedPayments => "MISSED_PAYMENTS",
            Self::LowHeadroom => "LOW_HEADROOM",
            Self::LoanCapReached => "LOAN_CAP_REACHED",
            Self::TempLimitInUse => "TEMP_LIMIT_IN_USE",
        }
    }
}

impl fmt::Display for ReasonCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A pre-approved offer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Offer {
    /// Pre-approved installment amount (0 when none).
    pub installment: Money,
    /// Pre-approved consumer loan amount (0 when none).
    pub loan: Money,
    /// Every refusal or reduction, in [`ReasonCode`] order, without duplicates.
    pub reasons: Vec<ReasonCode>,
}

/// The delinquency bucket of `days` past due: 0 current, 1 = M1 (1–30) … 6 = M6+ (151+).
pub const fn bucket(days: u32) -> u8 {
    if days == 0 {
        0
    } else if days > 150 {
        6
    } else {
        // 1..=150 → 1..=5; fits in u8.
        ((days - 1) / 30 + 1) as u8
    }
}

/// The offer for `standing` under `policy`.
///
/// # Errors
/// [`MoneyError::CurrencyMismatch`] when the amounts are not all in one currency,
/// [`MoneyError::Overflow`] on overflow.
pub fn offer(standing: &Standing, policy: &OfferPolicy) -> Result<Offer, MoneyError> {
    let currency = standing.credit_limit.currency();
    let zero = Money::zero(currency);
    for m in [
        standing.posted_balance,
        standing.available_credit,
        standing.loan_outstanding,
        standing.temp_limit_used,
        policy.loan_cap,
        policy.rounding_unit,
        policy.min_installment,
    ] {
        zero.checked_add(m)?;
    }
    let mut reasons = Vec::new();

    if standing.days_past_due > policy.max_days_past_due_now {
        reasons.push(ReasonCode::DelinquentNow);
    }
    let worst = standing.worst_days_past_due_12m.max(standing.days_past_due);
    if bucket(worst) >= policy.refuse_worst_bucket.max(1) {
        reasons.push(ReasonCode::M2InLast12);
    }
    if !reasons.is_empty() {
        return Ok(Offer {
            installment: zero,
            loan: zero,
            reasons,
        });
    }

    // Reductions shared by both offers, as a product of bp factors.
    let mut factors: Vec<u32> = Vec::new();
    if standing.months_on_book < policy.thin_file_months {
        reasons.push(ReasonCode::ThinFile);
        factors.push(policy.thin_file_share_bp);
    }
    let expected = standing.months_on_book.min(12);
    if standing.on_time_payments_12m < expected {
        reasons.push(ReasonCode::MissedPayments);
        factors.push(policy.missed_payment_share_bp);
    }
    let reduce = |m: Money| -> Result<Money, MoneyError> {
        factors
            .iter()
            .try_fold(m, |acc, &bp| scale_bp(acc, bp).map(|s| s.min(acc))?)
    };

    // Installment.
    let limit_headroom = standing.credit_limit.checked_sub(standing.posted_balance)?;
    let headroom = standing.available_credit.min(limit_headroom)?.max(zero)?;
    let installment = if standing.temp_limit_used.is_positive() {
        reasons.push(ReasonCode::TempLimitInUse);
        zero
    } else {
        let raw = scale_bp(headroom, policy.installment_share_bp)?.min(headroom)?;
        let amount = round_down(reduce(raw)?, policy.rounding_unit)?;
        if amount < policy.min_installment || amount.is_zero() {
            reasons.push(ReasonCode::LowHeadroom);
            zero
        } else {
            amount
        }
    };

    // Loan.
    let cap_room = policy
        .loan_cap
        .checked_sub(standing.loan_outstanding)?
        .max(zero)?;
    let by_limit = scale_bp(
        standing.credit_limit.max(zero)?,
        policy.loan_limit_multiple_bp,
    )?;
    let reduced = reduce(by_limit)?;
    if cap_room < reduced {
        reasons.push(ReasonCode::LoanCapReached);
    }
    let loan = round_down(reduced.min(cap_room)?, policy.rounding_unit)?;

    reasons.sort_unstable();
    reasons.dedup();
    Ok(Offer {
        installment,
        loan,
        reasons,
    })
}

/// `m × bp / 10,000`, floored to the fen (for `m ≥ 0`).
fn scale_bp(m: Money, bp: u32) -> Result<Money, MoneyError> {
    let fen = i128::from(m.fen()) * i128::from(bp) / FULL_BP;
    let fen = i64::try_from(fen).map_err(|_| MoneyError::Overflow)?;
    Ok(Money::new(fen, m.currency()))
}

/// `m` rounded down to a multiple of `unit` (`m` itself when `unit` ≤ 0), never below 0.
fn round_down(m: Money, unit: Money) -> Result<Money, MoneyError> {
    let fen = m.fen().max(0);
    let u = unit.fen();
    let fen = if u > 0 { fen - fen % u } else { fen };
    Ok(Money::new(fen, m.currency()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use proptest::prelude::*;

    fn yuan(y: i64) -> Money {
        Money::cny(y * 100)
    }

    /// A seasoned, clean account: 50,000.00 limit, 10,000.00 used.
    fn clean() -> Standing {
        Standing {
            credit_limit: yuan(50_000),
            posted_balance: yuan(10_000),
            available_credit: yuan(40_000),
            months_on_book: 24,
            on_time_payments_12m: 12,
            days_past_due: 0,
            worst_days_past_due_12m: 0,
            loan_outstanding: yuan(0),
            temp_limit_used: yuan(0),
        }
    }

    fn run(s: &Standing) -> Offer {
        offer(s, &OfferPolicy::default()).unwrap()
    }

    #[test]
    fn a_clean_seasoned_account_gets_80_percent_of_headroom_and_twice_the_limit() {
        let o = run(&clean());
        assert_eq!(o.installment, yuan(32_000));
        assert_eq!(o.loan, yuan(100_000));
        assert!(o.reasons.is_empty());
    }

    #[test]
    fn a_customer_past_due_today_gets_nothing_with_delinquent_now() {
        let s = Standing {
            days_past_due: 1,
            worst_days_past_due_12m: 1,
            ..clean()
        };
        let o = run(&s);
        assert_eq!((o.installment, o.loan), (yuan(0), yuan(0)));
        assert_eq!(o.reasons, vec![ReasonCode::DelinquentNow]);
    }

    #[test]
    fn an_m2_in_the_last_12_months_refuses_even_when_current() {
        let o = run(&Standing {
            worst_days_past_due_12m: 31,
            ..clean()
        });
        assert_eq!((o.installment, o.loan), (yuan(0), yuan(0)));
        assert_eq!(o.reasons, vec![ReasonCode::M2InLast12]);
        // M1 alone (30 days) does not refuse.
        let o = run(&Standing {
            worst_days_past_due_12m: 30,
            ..clean()
        });
        assert!(o.loan.is_positive());
    }

    #[test]
    fn a_thin_file_halves_both_offers() {
        let o = run(&Standing {
            months_on_book: 5,
            on_time_payments_12m: 5,
            ..clean()
        });
        assert_eq!(o.installment, yuan(16_000));
        assert_eq!(o.loan, yuan(50_000));
        assert_eq!(o.reasons, vec![ReasonCode::ThinFile]);
    }

    #[test]
    fn a_missed_payment_halves_both_offers() {
        let o = run(&Standing {
            on_time_payments_12m: 11,
            ..clean()
        });
        assert_eq!(o.installment, yuan(16_000));
        assert_eq!(o.loan, yuan(50_000));
        assert_eq!(o.reasons, vec![ReasonCode::MissedPayments]);
    }

    #[test]
    fn little_headroom_gives_no_installment_with_low_headroom() {
        let o = run(&Standing {
            posted_balance: yuan(49_000),
            available_credit: yuan(1_000),
            ..clean()
        });
        // 80% of 1,000.00 = 800.00 < 1,000.00 minimum.
        assert_eq!(o.installment, yuan(0));
        assert_eq!(o.reasons, vec![ReasonCode::LowHeadroom]);
        assert_eq!(o.loan, yuan(100_000));
    }

    #[test]
    fn existing_loans_cut_the_loan_offer_to_the_cap_with_loan_cap_reached() {
        let o = run(&Standing {
            loan_outstanding: Money::cny(15_012_345),
            ..clean()
        });
        // 200,000.00 − 150,123.45 = 49,876.55 → 49,800.00.
        assert_eq!(o.loan, yuan(49_800));
        assert_eq!(o.reasons, vec![ReasonCode::LoanCapReached]);
        let o = run(&Standing {
            loan_outstanding: yuan(250_000),
            ..clean()
        });
        assert_eq!(o.loan, yuan(0));
    }

    #[test]
    fn a_large_limit_is_capped_at_200_000_with_loan_cap_reached() {
        let o = run(&Standing {
            credit_limit: yuan(150_000),
            available_credit: yuan(140_000),
            ..clean()
        });
        assert_eq!(o.loan, yuan(200_000));
        assert_eq!(o.reasons, vec![ReasonCode::LoanCapReached]);
    }

    #[test]
    fn a_temporary_limit_in_use_gives_no_installment_with_temp_limit_in_use() {
        let o = run(&Standing {
            posted_balance: yuan(55_000),
            available_credit: yuan(5_000),
            temp_limit_used: yuan(5_000),
            ..clean()
        });
        assert_eq!(o.installment, yuan(0));
        assert_eq!(o.reasons, vec![ReasonCode::TempLimitInUse]);
    }

    #[test]
    fn amounts_round_down_to_whole_hundreds() {
        let o = run(&Standing {
            posted_balance: Money::cny(1_000_001),
            available_credit: Money::cny(3_999_999),
            ..clean()
        });
        // 80% of 39,999.99 = 31,999.99 → 31,900.00.
        assert_eq!(o.installment, yuan(31_900));
    }

    #[test]
    fn reason_codes_are_stable_strings() {
        for (r, s) in [
            (ReasonCode::DelinquentNow, "DELINQUENT_NOW"),
            (ReasonCode::M2InLast12, "M2_IN_LAST_12"),
            (ReasonCode::ThinFile, "THIN_FILE"),
            (ReasonCode::MissedPayments, "MISSED_PAYMENTS"),
            (ReasonCode::LowHeadroom, "LOW_HEADROOM"),
            (ReasonCode::LoanCapReached, "LOAN_CAP_REACHED"),
            (ReasonCode::TempLimitInUse, "TEMP_LIMIT_IN_USE"),
        ] {
            assert_eq!(r.to_string(), s);
        }
    }

    #[test]
    fn mixed_currencies_are_an_error() {
        let s = Standing {
            loan_outstanding: Money::new(0, cardlife_kernel::Currency::Usd),
            ..clean()
        };
        assert!(offer(&s, &OfferPolicy::default()).is_err());
    }

    fn standing() -> impl Strategy<Value = Standing> {
        (
            0i64..30_000_000,
            -1_000_000i64..40_000_000,
            0i64..5_000_000,
            0u32..40,
            0u32..=12,
            0u32..200,
            0u32..200,
            0i64..25_000_000,
            0i64..500_000,
        )
            .prop_map(
                |(limit, bal, temp_avail, mob, on_time, dpd, worst, loans, temp)| {
                    let avail = (limit - bal).max(0) + temp_avail;
                    Standing {
                        credit_limit: Money::cny(limit),
                        posted_balance: Money::cny(bal),
                        available_credit: Money::cny(avail),
                        months_on_book: mob,
                        on_time_payments_12m: on_time,
                        days_past_due: dpd,
                        worst_days_past_due_12m: worst.max(dpd),
                        loan_outstanding: Money::cny(loans),
                        temp_limit_used: Money::cny(temp),
                    }
                },
            )
    }

    proptest! {
        #[test]
        fn offers_are_never_negative_and_stay_within_headroom_and_cap(s in standing()) {
            let p = OfferPolicy::default();
            let o = offer(&s, &p).unwrap();
            let headroom = s.available_credit.min(s.credit_limit.checked_sub(s.posted_balance).unwrap()).unwrap().fen().max(0);
            let cap_room = (p.loan_cap.fen() - s.loan_outstanding.fen()).max(0);
            prop_assert!(o.installment.fen() >= 0 && o.loan.fen() >= 0);
            prop_assert!(o.installment.fen() <= headroom);
            prop_assert!(o.loan.fen() <= cap_room);
            prop_assert_eq!(o.installment.fen() % 10_000, 0);
            prop_assert_eq!(o.loan.fen() % 10_000, 0);
            let refused = o.reasons.contains(&ReasonCode::DelinquentNow)
                || o.reasons.contains(&ReasonCode::M2InLast12);
            if refused {
                prop_assert!(o.installment.is_zero() && o.loan.is_zero());
            }
        }

        #[test]
        fn more_on_time_payments_never_lower_an_offer(s in standing(), extra in 1u32..=12) {
            let p = OfferPolicy::default();
            let better = Standing { on_time_payments_12m: (s.on_time_payments_12m + extra).min(12), ..s };
            let (a, b) = (offer(&s, &p).unwrap(), offer(&better, &p).unwrap());
            prop_assert!(b.installment.fen() >= a.installment.fen());
            prop_assert!(b.loan.fen() >= a.loan.fen());
        }

        #[test]
        fn more_days_past_due_never_raise_an_offer(s in standing(), extra in 1u32..200) {
            let p = OfferPolicy::default();
            let dpd = s.days_past_due + extra;
            let worse = Standing {
                days_past_due: dpd,
                worst_days_past_due_12m: s.worst_days_past_due_12m.max(dpd),
                ..s
            };
            let (a, b) = (offer(&s, &p).unwrap(), offer(&worse, &p).unwrap());
            prop_assert!(b.installment.fen() <= a.installment.fen());
            prop_assert!(b.loan.fen() <= a.loan.fen());
        }
    }
}
