//! Per-payer daily QR payment limits by code type and authentication strength (docs/domain.md §7,
//! REG 2018 条码支付).
//!
//! - Static merchant codes (printed; the payer types the amount): 500.00 per payer per business
//!   day across all static codes, whatever the authentication.
//! - Dynamic codes (merchant per-order codes and customer-presented pay codes): the day's total
//!   through dynamic codes plus this payment must stay within the limit of the strength used for
//!   this payment: 1,000.00 with one factor, 5,000.00 with two, and with a digital certificate
//!   the limit the payer agreed with the issuer (carried in [`Authentication`]). Static and
//!   dynamic spend are counted apart.
//! - Every number is data in a [`LimitPolicy`]; the payer's [`DailySpend`] is dated by business
//!   date in the issuer's zone, and a record from an earlier day counts as nothing spent.
//! - [`check_payment`] is pure: on success it returns the spend record to store, with this
//!   payment added; on failure a precise [`LimitError`] and nothing to store.

use cardlife_kernel::{BusinessZone, Currency, Money};
use jiff::Timestamp;
use jiff::civil::Date;

use crate::error::LimitError;

/// Which kind of QR code the payment goes through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CodeKind {
    /// A printed merchant code; the payer enters the amount.
    StaticMerchant,
    /// A per-order merchant code or a customer-presented pay code.
    Dynamic,
}

/// How strongly the payer authenticated this payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Authentication {
    /// One factor (e.g. payment password, or a trusted device alone).
    OneFactor,
    /// Two factors (e.g. device plus password or biometrics).
    TwoFactor,
    /// Two or more factors including a digital certificate; the daily limit is the one the payer
    /// agreed with the issuer.
    Certificate {
        /// The agreed daily limit.
        agreed_daily: Money,
    },
}

/// The limits, as data; defaults are docs/domain.md §7's.
#[derive(Debug, Clone)]
pub struct LimitPolicy {
    /// Static merchant codes, per payer per day (500.00).
    pub static_daily: Money,
    /// Dynamic codes with one factor (1,000.00).
    pub dynamic_one_factor_daily: Money,
    /// Dynamic codes with two factors (5,000.00).
    pub dynamic_two_factor_daily: Money,
    /// The zone that decides which business day a payment falls on.
    pub zone: BusinessZone,
}

impl Default for LimitPolicy {
    fn default() -> Self {
        Self {
            static_daily: Money::cny(50_000),
            dynamic_one_factor_daily: Money::cny(100_000),
            dynamic_two_factor_daily: Money::cny(500_000),
            zone: BusinessZone::shanghai(),
        }
    }
}

impl LimitPolicy {
    /// The daily limit that applies to a payment through `code` with `auth`.
    pub fn daily_limit(&self, code: CodeKind, auth: Authentication) -> Money {
        match (code, auth) {
            (CodeKind::StaticMerchant, _) => self.static_daily,
            (CodeKind::Dynamic, Authentication::OneFactor) => self.dynamic_one_factor_daily,
            (CodeKind::Dynamic, Authentication::TwoFactor) => self.dynamic_two_factor_daily,
            (CodeKind::Dynamic, Authentication::Certificate { agreed_daily }) => agreed_daily,
        }
    }
}

/// What a payer has spent through QR codes on one business date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DailySpend {
    /// The business date the totals belong to.
    pub date: Date,
    /// Spent through static merchant codes.
    pub static_codes: Money,
    /// Spent through dynamic codes.
    pub dynamic_codes: Money,
}

impl DailySpend {
    /// Nothing spent on `date`.
    pub fn none(date: Date, currency: Currency) -> Self {
        Self {
            date,
            static_codes: Money::zero(currency),
            dynamic_codes: Money::zero(currency),
        }
    }
}

/// One payment to check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QrPayment {
    /// The amount.
    pub amount: Money,
    /// The code it goes through.
    pub code: CodeKind,
    /// How the payer authenticated.
    pub auth: Authentication,
}

/// Checks `payment` against the payer's `spent` record at `now`; returns the record to store.
pub fn check_payment(
    policy: &LimitPolicy,
    spent: Option<DailySpend>,
    payment: QrPayment,
    now: Timestamp,
) -> Result<DailySpend, LimitError> {
    if !payment.amount.is_positive() {
        return Err(LimitError::NonPositiveAmount);
    }
    let today = policy.zone.date_of(now);
    let spent = match spent {
        Some(s) if s.date > today => {
            return Err(LimitError::SpendDatedInTheFuture {
                recorded: s.date,
                today,
            });
        }
        Some(s) if s.date == today => s,
        _ => DailySpend::none(today, payment.amount.currency()),
    };
    let limit = policy.daily_limit(payment.code, payment.auth);
    let (so_far, exceeded) = match payment.code {
        CodeKind::StaticMerchant => (
            spent.static_codes,
            LimitError::StaticCodeDailyLimitExceeded {
                limit,
                spent: spent.static_codes,
                requested: payment.amount,
            },
        ),
        CodeKind::Dynamic => (
            spent.dynamic_codes,
            LimitError::DynamicCodeDailyLimitExceeded {
                limit,
                spent: spent.dynamic_codes,
                requested: payment.amount,
            },
        ),
    };
    let after = so_far.checked_add(payment.amount)?;
    if limit.checked_sub(after)?.is_negative() {
        return Err(exceeded);
    }
    Ok(match payment.code {
        CodeKind::StaticMerchant => DailySpend {
            static_codes: after,
            ..spent
        },
        CodeKind::Dynamic => DailySpend {
            dynamic_codes: after,
            ..spent
        },
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use jiff::civil::date;
    use proptest::prelude::*;

    fn ts(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    const NOON: &str = "2026-04-01T04:00:00Z"; // 12:00 Shanghai, 1 Apr

    fn pay(fen: i64, code: CodeKind, auth: Authentication) -> QrPayment {
        QrPayment {
            amount: Money::cny(fen),
            code,
            auth,
        }
    }

    #[test]
    fn static_codes_allow_500_per_day_across_codes() {
        let p = LimitPolicy::default();
        let s = check_payment(
            &p,
            None,
            pay(30_000, CodeKind::StaticMerchant, Authentication::TwoFactor),
            ts(NOON),
        )
        .unwrap();
        let s = check_payment(
            &p,
            Some(s),
            pay(20_000, CodeKind::StaticMerchant, Authentication::OneFactor),
            ts(NOON),
        )
        .unwrap();
        assert_eq!(s.static_codes, Money::cny(50_000));
        assert_eq!(
            check_payment(
                &p,
                Some(s),
                pay(1, CodeKind::StaticMerchant, Authentication::TwoFactor),
                ts(NOON)
            ),
            Err(LimitError::StaticCodeDailyLimitExceeded {
                limit: Money::cny(50_000),
                spent: Money::cny(50_000),
                requested: Money::cny(1)
            })
        );
    }

    #[test]
    fn dynamic_codes_allow_1000_with_one_factor_and_5000_with_two() {
        let p = LimitPolicy::default();
        let s = check_payment(
            &p,
            None,
            pay(90_000, CodeKind::Dynamic, Authentication::OneFactor),
            ts(NOON),
        )
        .unwrap();
        assert!(matches!(
            check_payment(
                &p,
                Some(s),
                pay(10_001, CodeKind::Dynamic, Authentication::OneFactor),
                ts(NOON)
            ),
            Err(LimitError::DynamicCodeDailyLimitExceeded { .. })
        ));
        let s = check_payment(
            &p,
            Some(s),
            pay(410_000, CodeKind::Dynamic, Authentication::TwoFactor),
            ts(NOON),
        )
        .unwrap();
        assert_eq!(s.dynamic_codes, Money::cny(500_000));
        assert!(
            check_payment(
                &p,
                Some(s),
                pay(1, CodeKind::Dynamic, Authentication::TwoFactor),
                ts(NOON)
            )
            .is_err()
        );
    }

    #[test]
    fn a_certificate_allows_the_agreed_limit() {
        let p = LimitPolicy::default();
        let auth = Authentication::Certificate {
            agreed_daily: Money::cny(2_000_000),
        };
        let s = check_payment(&p, None, pay(2_000_000, CodeKind::Dynamic, auth), ts(NOON)).unwrap();
        assert!(check_payment(&p, Some(s), pay(1, CodeKind::Dynamic, auth), ts(NOON)).is_err());
    }

    #[test]
    fn static_and_dynamic_spend_are_counted_apart() {
        let p = LimitPolicy::default();
        let s = check_payment(
            &p,
            None,
            pay(50_000, CodeKind::StaticMerchant, Authentication::OneFactor),
            ts(NOON),
        )
        .unwrap();
        let s = check_payment(
            &p,
            Some(s),
            pay(100_000, CodeKind::Dynamic, Authentication::OneFactor),
            ts(NOON),
        )
        .unwrap();
        assert_eq!(
            (s.static_codes, s.dynamic_codes),
            (Money::cny(50_000), Money::cny(100_000))
        );
    }

    #[test]
    fn the_day_turns_over_at_midnight_shanghai_not_utc() {
        let p = LimitPolicy::default();
        let s = check_payment(
            &p,
            None,
            pay(50_000, CodeKind::StaticMerchant, Authentication::OneFactor),
            ts("2026-04-01T15:59:59Z"),
        )
        .unwrap();
        assert_eq!(s.date, date(2026, 4, 1));
        // 16:00Z is 00:00 on 2 Apr in Shanghai: a fresh day.
        let s = check_payment(
            &p,
            Some(s),
            pay(50_000, CodeKind::StaticMerchant, Authentication::OneFactor),
            ts("2026-04-01T16:00:00Z"),
        )
        .unwrap();
        assert_eq!(
            (s.date, s.static_codes),
            (date(2026, 4, 2), Money::cny(50_000))
        );
    }

    #[test]
    fn a_spend_record_from_a_later_day_is_refused() {
        let p = LimitPolicy::default();
        let later = DailySpend::none(date(2026, 4, 2), Currency::Cny);
        assert_eq!(
            check_payment(
                &p,
                Some(later),
                pay(1, CodeKind::Dynamic, Authentication::OneFactor),
                ts(NOON)
            ),
            Err(LimitError::SpendDatedInTheFuture {
                recorded: date(2026, 4, 2),
                today: date(2026, 4, 1)
            })
        );
    }

    #[test]
    fn limits_are_data() {
        let p = LimitPolicy {
            static_daily: Money::cny(100),
            ..LimitPolicy::default()
        };
        assert!(
            check_payment(
                &p,
                None,
                pay(101, CodeKind::StaticMerchant, Authentication::TwoFactor),
                ts(NOON)
            )
            .is_err()
        );
        assert_eq!(
            check_payment(
                &p,
                None,
                pay(0, CodeKind::StaticMerchant, Authentication::TwoFactor),
                ts(NOON)
            ),
            Err(LimitError::NonPositiveAmount)
        );
    }

    proptest! {
        #[test]
        fn accepted_payments_never_exceed_the_limit_of_their_kind(
            payments in proptest::collection::vec((1i64..200_000, any::<bool>(), 0u8..3), 0..40),
        ) {
            let p = LimitPolicy::default();
            let mut spent: Option<DailySpend> = None;
            for (fen, is_static, strength) in payments {
                let auth = match strength {
                    0 => Authentication::OneFactor,
                    1 => Authentication::TwoFactor,
                    _ => Authentication::Certificate { agreed_daily: Money::cny(1_000_000) },
                };
                let code = if is_static { CodeKind::StaticMerchant } else { CodeKind::Dynamic };
                let before = spent;
                match check_payment(&p, spent, pay(fen, code, auth), ts(NOON)) {
                    Ok(next) => {
                        let limit = p.daily_limit(code, auth);
                        let total = if is_static { next.static_codes } else { next.dynamic_codes };
                        prop_assert!(total.fen() <= limit.fen());
                        spent = Some(next);
                    }
                    Err(_) => prop_assert_eq!(spent, before),
                }
            }
            if let Some(s) = spent {
                prop_assert!(s.static_codes.fen() <= 50_000);
                prop_assert!(s.dynamic_codes.fen() <= 1_000_000);
            }
        }
    }
}
