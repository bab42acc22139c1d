//! Installment pricing as product data (docs/domain.md §4, "Pricing"): for each kind a card
//! product prices itself (bill, purchase and cash installments), the terms it offers — a number
//! of periods, the fee rate per period and how the fee is charged. A quote is priced from the
//! product version in force on its day, never from the caller; the plan keeps the price it was
//! booked at, so an old plan stays explainable after the product's price changes.

use cardlife_kernel::Rate;
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer};

use crate::quote::FeeMode;

/// The periods every default price list offers.
pub const DEFAULT_PERIODS: [u32; 4] = [3, 6, 12, 24];
/// The default fee per period in per mille: 0.6 % (docs/domain.md §4, the worked example).
pub const DEFAULT_RATE_PER_MILLE: i64 = 6;
/// The most decimals a price may have (plans store rates in 10⁻⁸).
const RATE_DECIMALS_MAX: u32 = 8;

/// The installment kinds a card product prices (a merchant installment is priced by the
/// merchant, a hardship plan case by case).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PricedKind {
    /// 账单分期.
    Bill,
    /// 消费分期.
    Purchase,
    /// 现金分期.
    Cash,
}

impl PricedKind {
    /// The contract name: `bill`, `purchase` or `cash`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Bill => "bill",
            Self::Purchase => "purchase",
            Self::Cash => "cash",
        }
    }
}

/// One term a product offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OfferedTerm {
    /// Number of periods, 1–60.
    pub periods: u32,
    /// Fee rate per period (a decimal string such as `"0.006"`).
    pub rate: Rate,
    /// `per_period` (default) or `upfront`.
    #[serde(default, deserialize_with = "fee_mode")]
    pub fee_mode: FeeMode,
}

impl OfferedTerm {
    /// The rate in 10⁻⁸ (exact: [`InstallmentPricing::validate`] checks it).
    pub fn rate_e8(&self) -> Option<i64> {
        use rust_decimal::prelude::ToPrimitive;
        let scaled = self.rate.as_decimal() * Decimal::from(100_000_000_i64);
        if scaled.fract().is_zero() {
            scaled.to_i64()
        } else {
            None
        }
    }
}

/// The terms a product offers, by kind. An empty list offers no installment of that kind.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct InstallmentPricing {
    /// 账单分期 terms.
    pub bill: Vec<OfferedTerm>,
    /// 消费分期 terms.
    pub purchase: Vec<OfferedTerm>,
    /// 现金分期 terms.
    pub cash: Vec<OfferedTerm>,
}

fn default_terms() -> Vec<OfferedTerm> {
    DEFAULT_PERIODS
        .iter()
        .map(|&periods| OfferedTerm {
            periods,
            rate: Rate::new(Decimal::new(DEFAULT_RATE_PER_MILLE, 3)),
            fee_mode: FeeMode::PerPeriod,
        })
        .collect()
}

impl Default for InstallmentPricing {
    /// 3, 6, 12 and 24 periods at 0.60 % per period, charged per period, for every kind: a
    /// default, which a product overrides with its own list.
    fn default() -> Self {
        Self {
            bill: default_terms(),
            purchase: default_terms(),
            cash: default_terms(),
        }
    }
}

impl InstallmentPricing {
    /// The terms offered for `kind`, in the product's order.
    pub fn terms(&self, kind: PricedKind) -> &[OfferedTerm] {
        match kind {
            PricedKind::Bill => &self.bill,
            PricedKind::Purchase => &self.purchase,
            PricedKind::Cash => &self.cash,
        }
    }

    /// The term of `kind` with `periods`, if offered.
    pub fn term(&self, kind: PricedKind, periods: u32) -> Option<&OfferedTerm> {
        self.terms(kind).iter().find(|t| t.periods == periods)
    }

    /// Every term: periods 1–60, each once per kind; a rate not negative, at most 8 decimals.
    pub fn validate(&self) -> Result<(), String> {
        for kind in [PricedKind::Bill, PricedKind::Purchase, PricedKind::Cash] {
            let terms = self.terms(kind);
            for (i, t) in terms.iter().enumerate() {
                let name = format!("installment_pricing.{}", kind.as_str());
                if !(1..=60).contains(&t.periods) {
                    return Err(format!("{name}: periods {} is not in 1..=60", t.periods));
                }
                if terms[..i].iter().any(|o| o.periods == t.periods) {
                    return Err(format!("{name}: periods {} appears twice", t.periods));
                }
                if t.rate.is_negative() {
                    return Err(format!("{name}: a rate must not be negative"));
                }
                if t.rate_e8().is_none() {
                    return Err(format!(
                        "{name}: a rate has at most {RATE_DECIMALS_MAX} decimals"
                    ));
                }
            }
        }
        Ok(())
    }
}

fn fee_mode<'de, D: Deserializer<'de>>(deserializer: D) -> Result<FeeMode, D::Error> {
    let text = String::deserialize(deserializer)?;
    text.parse().map_err(serde::de::Error::custom)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn the_default_offers_3_6_12_and_24_periods_at_0_60_percent_for_each_kind() {
        let p = InstallmentPricing::default();
        p.validate().unwrap();
        for kind in [PricedKind::Bill, PricedKind::Purchase, PricedKind::Cash] {
            let periods: Vec<u32> = p.terms(kind).iter().map(|t| t.periods).collect();
            assert_eq!(periods, vec![3, 6, 12, 24]);
            assert_eq!(p.term(kind, 12).unwrap().rate_e8(), Some(600_000));
        }
        assert!(p.term(PricedKind::Bill, 5).is_none());
    }

    #[test]
    fn a_price_list_reads_from_json_and_refuses_bad_terms() {
        let p: InstallmentPricing = serde_json::from_str(
            r#"{"bill": [{"periods": 6, "rate": "0.0075", "fee_mode": "upfront"}], "cash": []}"#,
        )
        .unwrap();
        p.validate().unwrap();
        let t = p.term(PricedKind::Bill, 6).unwrap();
        assert_eq!((t.rate_e8(), t.fee_mode), (Some(750_000), FeeMode::Upfront));
        assert!(p.terms(PricedKind::Cash).is_empty());
        assert_eq!(
            p.terms(PricedKind::Purchase).len(),
            4,
            "left out: the default"
        );
        for bad in [
            r#"{"bill": [{"periods": 61, "rate": "0.006"}]}"#,
            r#"{"bill": [{"periods": 3, "rate": "0.006"}, {"periods": 3, "rate": "0.007"}]}"#,
            r#"{"bill": [{"periods": 3, "rate": "-0.006"}]}"#,
            r#"{"bill": [{"periods": 3, "rate": "0.000000001"}]}"#,
        ] {
            let p: InstallmentPricing = serde_json::from_str(bad).unwrap();
            assert!(p.validate().is_err(), "{bad}");
        }
        let weekly = r#"{"bill": [{"periods": 3, "rate": "0.006", "fee_mode": "weekly"}]}"#;
        assert!(serde_json::from_str::<InstallmentPricing>(weekly).is_err());
    }
}
