//! MDR (merchant discount rate, 商户手续费): what a merchant pays per payment and how that fee
//! splits between issuer, card network and acquirer (docs/domain.md §7, REG 2016).
//!
//! - A merchant's [`FeePlan`] has one [`FeeSchedule`] per [`PaymentType`]: a rate, a minimum
//!   and an optional cap (typical rate 0.6%, 0.38% for small merchants).
//! - The split follows an [`InterchangePolicy`], data whose defaults are the 2016 ceilings:
//!   issuer fee ≤ 0.45% credit, ≤ 0.35% debit capped at 13.00; network fee 0.0325% on each side
//!   (issuer side and acquirer side), each capped at 3.25; the acquirer keeps the rest.
//! - Non-profit hospitals, schools and charities ([`MerchantSector::is_mdr_exempt`]) pay no issuer
//!   or network fee: the acquirer keeps the whole merchant fee.
//!
//! Rounding, half-up to the fen, happens only at these named points, each from the exact
//! `amount × rate`: (1) the merchant fee, before its minimum and cap; (2) the issuer fee, before
//! its cap; (3) each network side, before its cap. The acquirer fee is a remainder, never rounded.
//!
//! Bounds that keep the split exact and non-negative: the merchant fee never exceeds the payment
//! (a minimum above a tiny payment is cut to the payment); the acquirer-side network fee, then
//! the issuer fee, are cut to what is left of the merchant fee (a merchant priced below
//! interchange leaves the acquirer zero, never negative); the issuer-side network fee is paid out
//! of the issuer fee and is cut to it. So `issuer_net + network_total + acquirer = merchant fee`
//! exactly, for every amount (proved by the property tests below).

use cardlife_kernel::{Money, Rate, Rounding};
use rust_decimal::Decimal;

use crate::error::MdrError;

/// How the payer pays: the issuer-fee ceiling differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PaymentType {
    /// A credit card.
    Credit,
    /// A debit card.
    Debit,
}

/// What kind of merchant this is, as far as fees go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MerchantSector {
    /// Any merchant that pays the standard split.
    Standard,
    /// A non-profit hospital.
    NonProfitHospital,
    /// A school.
    School,
    /// A charity.
    Charity,
}

impl MerchantSector {
    /// Whether the sector pays no issuer or network fee (docs/domain.md §7).
    pub fn is_mdr_exempt(self) -> bool {
        match self {
            Self::Standard => false,
            Self::NonProfitHospital | Self::School | Self::Charity => true,
        }
    }
}

/// A rate with a minimum and an optional cap, for one payment type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeeSchedule {
    rate: Rate,
    minimum: Money,
    cap: Option<Money>,
}

impl FeeSchedule {
    /// A schedule; the rate, minimum and cap must not be negative and the cap not below the minimum.
    pub fn new(rate: Rate, minimum: Money, cap: Option<Money>) -> Result<Self, MdrError> {
        if rate.is_negative() {
            return Err(MdrError::NegativeRate);
        }
        if minimum.is_negative() || cap.is_some_and(Money::is_negative) {
            return Err(MdrError::NegativeFee);
        }
        if let Some(cap) = cap
            && cap.checked_sub(minimum)?.is_negative()
        {
            return Err(MdrError::CapBelowMinimum { cap, minimum });
        }
        Ok(Self { rate, minimum, cap })
    }

    /// The rate.
    pub fn rate(&self) -> Rate {
        self.rate
    }
    /// The minimum fee.
    pub fn minimum(&self) -> Money {
        self.minimum
    }
    /// The cap, if any.
    pub fn cap(&self) -> Option<Money> {
        self.cap
    }
}

/// A merchant's fees, one schedule per payment type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeePlan {
    /// For credit cards.
    pub credit: FeeSchedule,
    /// For debit cards.
    pub debit: FeeSchedule,
}

impl FeePlan {
    /// The schedule for `payment_type`.
    pub fn schedule(&self, payment_type: PaymentType) -> &FeeSchedule {
        match payment_type {
            PaymentType::Credit => &self.credit,
            PaymentType::Debit => &self.debit,
        }
    }

    /// The merchant fee on `amount`: half-up(amount × rate), at least the minimum, at most the
    /// cap, and never more than the payment itself.
    pub fn merchant_fee(
        &self,
        payment_type: PaymentType,
        amount: Money,
    ) -> Result<Money, MdrError> {
        if !amount.is_positive() {
            return Err(MdrError::NonPositiveAmount);
        }
        let s = self.schedule(payment_type);
        let fee = capped(
            amount
                .checked_mul_rate(s.rate, Rounding::HalfUp)?
                .max(s.minimum)?,
            s.cap,
        )?;
        Ok(fee.min(amount)?)
    }
}

/// The issuer and network fee rules; defaults are docs/domain.md §7's ceilings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InterchangePolicy {
    /// Issuer fee rate on credit cards (0.45%).
    pub issuer_credit_rate: Rate,
    /// Cap on the credit issuer fee (none).
    pub issuer_credit_cap: Option<Money>,
    /// Issuer fee rate on debit cards (0.35%).
    pub issuer_debit_rate: Rate,
    /// Cap on the debit issuer fee (13.00).
    pub issuer_debit_cap: Option<Money>,
    /// Network fee rate on each side (0.0325%).
    pub network_rate: Rate,
    /// Cap on each side's network fee (3.25).
    pub network_cap: Option<Money>,
}

impl Default for InterchangePolicy {
    fn default() -> Self {
        Self {
            issuer_credit_rate: Rate::new(Decimal::new(45, 4)),
            issuer_credit_cap: None,
            issuer_debit_rate: Rate::new(Decimal::new(35, 4)),
            issuer_debit_cap: Some(Money::cny(1_300)),
            network_rate: Rate::new(Decimal::new(325, 6)),
            network_cap: Some(Money::cny(325)),
        }
    }
}

/// A merchant fee and who gets which part of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MdrSplit {
    /// What the merchant pays.
    pub merchant_fee: Money,
    /// Interchange the acquirer pays the issuer (gross, before the issuer's network fee).
    pub issuer_fee: Money,
    /// Network fee the issuer pays out of its issuer fee.
    pub network_fee_issuer_side: Money,
    /// Network fee the acquirer pays.
    pub network_fee_acquirer_side: Money,
    /// What the acquirer keeps: the merchant fee less issuer fee and its own network fee.
    pub acquirer_fee: Money,
}

impl MdrSplit {
    /// What the issuer keeps after paying its network side.
    pub fn issuer_net(&self) -> Result<Money, MdrError> {
        Ok(self.issuer_fee.checked_sub(self.network_fee_issuer_side)?)
    }

    /// Both network sides together.
    pub fn network_total(&self) -> Result<Money, MdrError> {
        Ok(self
            .network_fee_issuer_side
            .checked_add(self.network_fee_acquirer_side)?)
    }
}

/// The merchant fee on `amount` and its split between issuer, network and acquirer.
pub fn split_fee(
    plan: &FeePlan,
    policy: &InterchangePolicy,
    sector: MerchantSector,
    payment_type: PaymentType,
    amount: Money,
) -> Result<MdrSplit, MdrError> {
    let merchant_fee = plan.merchant_fee(payment_type, amount)?;
    let zero = Money::zero(amount.currency());
    if sector.is_mdr_exempt() {
        return Ok(MdrSplit {
            merchant_fee,
            issuer_fee: zero,
            network_fee_issuer_side: zero,
            network_fee_acquirer_side: zero,
            acquirer_fee: merchant_fee,
        });
    }
    let network_side = capped(
        amount.checked_mul_rate(policy.network_rate, Rounding::HalfUp)?,
        policy.network_cap,
    )?;
    let (issuer_rate, issuer_cap) = match payment_type {
        PaymentType::Credit => (policy.issuer_credit_rate, policy.issuer_credit_cap),
        PaymentType::Debit => (policy.issuer_debit_rate, policy.issuer_debit_cap),
    };
    let issuer_standard = capped(
        amount.checked_mul_rate(issuer_rate, Rounding::HalfUp)?,
        issuer_cap,
    )?;
    let network_fee_acquirer_side = network_side.min(merchant_fee)?;
    let issuer_fee = issuer_standard.min(merchant_fee.checked_sub(network_fee_acquirer_side)?)?;
    let network_fee_issuer_side = network_side.min(issuer_fee)?;
    let acquirer_fee = merchant_fee
        .checked_sub(issuer_fee)?
        .checked_sub(network_fee_acquirer_side)?;
    let split = MdrSplit {
        merchant_fee,
        issuer_fee,
        network_fee_issuer_side,
        network_fee_acquirer_side,
        acquirer_fee,
    };
    debug_assert!(!split.acquirer_fee.is_negative());
    Ok(split)
}

fn capped(fee: Money, cap: Option<Money>) -> Result<Money, MdrError> {
    Ok(match cap {
        Some(cap) => fee.min(cap)?,
        None => fee,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use proptest::prelude::*;

    fn rate(text: &str) -> Rate {
        Rate::parse(text).unwrap()
    }

    fn plan(credit: &str, debit: &str, min: i64, cap: Option<i64>) -> FeePlan {
        let s = |r| FeeSchedule::new(rate(r), Money::cny(min), cap.map(Money::cny)).unwrap();
        FeePlan {
            credit: s(credit),
            debit: s(debit),
        }
    }

    fn total(s: &MdrSplit) -> Money {
        s.issuer_net()
            .unwrap()
            .checked_add(s.network_total().unwrap())
            .unwrap()
            .checked_add(s.acquirer_fee)
            .unwrap()
    }

    #[test]
    fn credit_payment_of_1000_at_0_6_percent_splits_by_the_2016_ceilings() {
        let p = plan("0.006", "0.005", 0, None);
        let s = split_fee(
            &p,
            &InterchangePolicy::default(),
            MerchantSector::Standard,
            PaymentType::Credit,
            Money::cny(100_000),
        )
        .unwrap();
        assert_eq!(s.merchant_fee, Money::cny(600));
        assert_eq!(s.issuer_fee, Money::cny(450));
        assert_eq!(s.network_fee_issuer_side, Money::cny(33)); // 32.5 fen → 33
        assert_eq!(s.network_fee_acquirer_side, Money::cny(33));
        assert_eq!(s.acquirer_fee, Money::cny(117));
        assert_eq!(total(&s), s.merchant_fee);
    }

    #[test]
    fn debit_issuer_fee_is_capped_at_13_and_network_sides_at_3_25() {
        let p = plan("0.006", "0.005", 0, None);
        let s = split_fee(
            &p,
            &InterchangePolicy::default(),
            MerchantSector::Standard,
            PaymentType::Debit,
            Money::cny(2_000_000), // 20,000.00
        )
        .unwrap();
        assert_eq!(s.merchant_fee, Money::cny(10_000));
        assert_eq!(s.issuer_fee, Money::cny(1_300));
        assert_eq!(s.network_fee_issuer_side, Money::cny(325));
        assert_eq!(s.network_fee_acquirer_side, Money::cny(325));
        assert_eq!(s.acquirer_fee, Money::cny(8_375));
    }

    #[test]
    fn exempt_sectors_pay_no_issuer_or_network_fee() {
        let p = plan("0.006", "0.005", 0, None);
        for sector in [
            MerchantSector::NonProfitHospital,
            MerchantSector::School,
            MerchantSector::Charity,
        ] {
            let s = split_fee(
                &p,
                &InterchangePolicy::default(),
                sector,
                PaymentType::Credit,
                Money::cny(100_000),
            )
            .unwrap();
            assert_eq!(
                (s.issuer_fee, s.network_total().unwrap()),
                (Money::cny(0), Money::cny(0))
            );
            assert_eq!(s.acquirer_fee, Money::cny(600));
        }
    }

    #[test]
    fn merchant_fee_applies_minimum_then_cap_and_never_exceeds_the_payment() {
        let p = plan("0.006", "0.006", 10, Some(2_000));
        assert_eq!(
            p.merchant_fee(PaymentType::Credit, Money::cny(100))
                .unwrap(),
            Money::cny(10)
        );
        assert_eq!(
            p.merchant_fee(PaymentType::Credit, Money::cny(5)).unwrap(),
            Money::cny(5)
        );
        assert_eq!(
            p.merchant_fee(PaymentType::Credit, Money::cny(10_000_000))
                .unwrap(),
            Money::cny(2_000)
        );
    }

    #[test]
    fn a_small_merchant_rate_below_interchange_cuts_the_issuer_fee_not_below_zero() {
        // 0.38% credit: 3.80 on 1,000.00; network 0.33 first, issuer gets the 3.47 left.
        let p = plan("0.0038", "0.0038", 0, None);
        let s = split_fee(
            &p,
            &InterchangePolicy::default(),
            MerchantSector::Standard,
            PaymentType::Credit,
            Money::cny(100_000),
        )
        .unwrap();
        assert_eq!(s.issuer_fee, Money::cny(347));
        assert_eq!(s.acquirer_fee, Money::cny(0));
        assert_eq!(total(&s), Money::cny(380));
    }

    #[test]
    fn fee_schedule_rejects_negative_rates_and_caps_below_the_minimum() {
        assert_eq!(
            FeeSchedule::new(rate("-0.001"), Money::cny(0), None),
            Err(MdrError::NegativeRate)
        );
        assert_eq!(
            FeeSchedule::new(rate("0.006"), Money::cny(10), Some(Money::cny(5))),
            Err(MdrError::CapBelowMinimum {
                cap: Money::cny(5),
                minimum: Money::cny(10)
            })
        );
        assert_eq!(
            FeeSchedule::new(rate("0.006"), Money::cny(-1), None),
            Err(MdrError::NegativeFee)
        );
    }

    #[test]
    fn non_positive_payments_are_rejected() {
        let p = plan("0.006", "0.006", 0, None);
        assert_eq!(
            p.merchant_fee(PaymentType::Debit, Money::cny(0)),
            Err(MdrError::NonPositiveAmount)
        );
    }

    fn rates() -> impl Strategy<Value = Rate> {
        (0i64..200).prop_map(|bp| Rate::new(Decimal::new(bp, 4)))
    }

    proptest! {
        #[test]
        fn the_split_always_sums_to_the_merchant_fee_and_no_part_is_negative(
            amount in 1i64..10_000_000_000,
            r in rates(),
            min in 0i64..500,
            cap in proptest::option::of(500i64..50_000),
            credit in any::<bool>(),
            exempt in any::<bool>(),
        ) {
            let s = FeeSchedule::new(r, Money::cny(min), cap.map(Money::cny)).unwrap();
            let p = FeePlan { credit: s, debit: s };
            let pt = if credit { PaymentType::Credit } else { PaymentType::Debit };
            let sector = if exempt { MerchantSector::School } else { MerchantSector::Standard };
            let policy = InterchangePolicy::default();
            let split = split_fee(&p, &policy, sector, pt, Money::cny(amount)).unwrap();
            prop_assert_eq!(total(&split), split.merchant_fee);
            for part in [split.issuer_net().unwrap(), split.network_fee_issuer_side,
                         split.network_fee_acquirer_side, split.acquirer_fee] {
                prop_assert!(!part.is_negative());
            }
            prop_assert!(split.merchant_fee.fen() <= amount);
            prop_assert!(split.network_fee_acquirer_side.fen() <= 325);
            if !credit {
                prop_assert!(split.issuer_fee.fen() <= 1_300);
            }
            let ceiling = Money::cny(amount)
                .checked_mul_rate(if credit { policy.issuer_credit_rate } else { policy.issuer_debit_rate }, Rounding::HalfUp)
                .unwrap();
            prop_assert!(split.issuer_fee.fen() <= ceiling.fen());
        }
    }
}
