//! Coupon templates: value, validity, funding, budget, stock and caps (docs/domain.md §6).

use cardlife_kernel::{MerchantId, Money, Rate};
use jiff::ToSpan;
use jiff::civil::Date;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::coupon::scope::Scope;
use crate::error::RewardsError;
use crate::ids::{CouponTemplateId, PartnerId};

/// What a coupon takes off an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Discount {
    /// A fixed amount off (立减金, 代金券), never more than the order.
    FixedOff {
        /// Amount off.
        off: Money,
    },
    /// A fraction of the order off, rounded half-up to the fen, at most `cap`.
    PercentOff {
        /// The fraction, e.g. `0.10` for 10 % off.
        rate: Rate,
        /// Most it can take off.
        cap: Money,
    },
    /// `off` when the order reaches `min_spend` (满减: 满 100 减 20).
    Threshold {
        /// The minimum order amount.
        min_spend: Money,
        /// Amount off.
        off: Money,
    },
}

impl Discount {
    /// The most one coupon can be worth: what it costs the budget when issued.
    pub fn face_value(self) -> Money {
        match self {
            Self::FixedOff { off } | Self::Threshold { off, .. } => off,
            Self::PercentOff { cap, .. } => cap,
        }
    }

    fn validate(self) -> Result<(), RewardsError> {
        let invalid = |reason| Err(RewardsError::InvalidConfig { reason });
        if !self.face_value().is_positive() {
            return invalid("a coupon's face value must be positive");
        }
        match self {
            Self::PercentOff { rate, .. }
                if rate.as_decimal() <= Decimal::ZERO || rate.as_decimal() > Decimal::ONE =>
            {
                invalid("a percent-off rate must be in (0, 1]")
            }
            Self::Threshold { min_spend, off } if min_spend.checked_sub(off)?.is_negative() => {
                invalid("a threshold coupon cannot take off more than its threshold")
            }
            _ => Ok(()),
        }
    }
}

/// How long a claimed coupon is usable (both ends inclusive, business dates).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Validity {
    /// A fixed window; claiming after `until` is refused.
    Window {
        /// First valid date.
        from: Date,
        /// Last valid date.
        until: Date,
    },
    /// `days` days starting on the claim date.
    DaysAfterClaim {
        /// Number of valid days (≥ 1).
        days: i32,
    },
}

impl Validity {
    /// The first and last valid dates of a coupon claimed on `claimed_on`.
    pub fn period(self, claimed_on: Date) -> Result<(Date, Date), RewardsError> {
        match self {
            Self::Window { from, until } => Ok((from, until)),
            Self::DaysAfterClaim { days } => {
                let until = claimed_on
                    .checked_add(i64::from(days - 1).days())
                    .map_err(|_| RewardsError::InvalidConfig {
                        reason: "coupon validity is out of the calendar's range",
                    })?;
                Ok((claimed_on, until))
            }
        }
    }
}

/// Who pays for the discount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FundingSource {
    /// The issuing bank's marketing budget.
    Bank,
    /// The merchant.
    Merchant(MerchantId),
    /// A partner (a brand or a platform).
    Partner(PartnerId),
}

/// Claim caps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Caps {
    /// Most coupons one customer may ever claim from the template.
    pub per_user: u32,
    /// Most one customer may claim on one business date.
    pub per_user_per_day: Option<u32>,
    /// Most all customers together may claim on one business date.
    pub per_day: Option<u32>,
}

/// A coupon template: everything issued from it shares these terms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CouponTemplate {
    /// Its id.
    pub id: CouponTemplateId,
    /// Value.
    pub discount: Discount,
    /// Validity.
    pub validity: Validity,
    /// Scope.
    pub scope: Scope,
    /// Who pays.
    pub funding: FundingSource,
    /// Total face value that may be issued.
    pub budget: Money,
    /// Most coupons that may be issued.
    pub stock: u32,
    /// Claim caps.
    pub caps: Caps,
}

impl CouponTemplate {
    /// Checks the template's terms are consistent.
    pub fn validate(&self) -> Result<(), RewardsError> {
        let invalid = |reason| Err(RewardsError::InvalidConfig { reason });
        self.discount.validate()?;
        self.budget.checked_sub(self.discount.face_value())?;
        if self.budget.is_negative() {
            return invalid("a coupon budget must not be negative");
        }
        if self.caps.per_user == 0 {
            return invalid("a per-user cap of 0 would refuse everybody");
        }
        match self.validity {
            Validity::Window { from, until } if until < from => {
                invalid("a validity window must not end before it starts")
            }
            Validity::DaysAfterClaim { days } if days < 1 => {
                invalid("a relative validity must be at least one day")
            }
            _ => Ok(()),
        }
    }
}
