//! Merchant category codes (MCC, ISO 18245) and the categories that earn no points (docs/domain.md §6).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::RewardsError;

/// A four-digit merchant category code, `0000`–`9999`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u16", into = "u16")]
pub struct Mcc(u16);

/// The largest MCC value.
const MCC_MAX: u16 = 9999;

impl Mcc {
    /// The code `value`, or an error above 9999.
    pub fn new(value: u16) -> Result<Self, RewardsError> {
        if value > MCC_MAX {
            return Err(RewardsError::InvalidMcc { value });
        }
        Ok(Self(value))
    }

    /// The numeric code.
    pub const fn value(self) -> u16 {
        self.0
    }
}

impl TryFrom<u16> for Mcc {
    type Error = RewardsError;

    fn try_from(value: u16) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<Mcc> for u16 {
    fn from(mcc: Mcc) -> Self {
        mcc.0
    }
}

impl fmt::Display for Mcc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}", self.0)
    }
}

/// Why spending in a category earns nothing (docs/domain.md §6's list).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ExcludedCategory {
    /// Real estate agents, developers and contractors.
    RealEstate,
    /// Car and motor-vehicle dealers.
    CarSales,
    /// Wholesale trade (durable and non-durable goods).
    Wholesale,
    /// Public hospitals.
    PublicHospital,
    /// Public schools and universities.
    PublicSchool,
    /// Government services, fines, taxes.
    Government,
    /// Charity and social-service organisations.
    Charity,
    /// Financial institutions, securities, insurance, money transfer.
    Finance,
}

/// An inclusive MCC range mapped to the category it excludes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MccExclusion {
    /// First code in the range.
    pub from: Mcc,
    /// Last code in the range (inclusive).
    pub to: Mcc,
    /// The category the range belongs to.
    pub category: ExcludedCategory,
}

/// The MCC exclusion list of an accrual rule; data, so a product can tighten or loosen it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct MccExclusions {
    ranges: Vec<MccExclusion>,
}

impl MccExclusions {
    /// No exclusions at all.
    pub fn none() -> Self {
        Self::default()
    }

    /// A list of ranges.
    pub fn new(ranges: Vec<MccExclusion>) -> Self {
        Self { ranges }
    }

    /// The docs/domain.md §6 list: real estate, car sales, wholesale, public hospitals and schools,
    /// government, charity and finance, as the common China UnionPay code ranges.
    pub fn domain_default() -> Self {
        use ExcludedCategory::{
            CarSales, Charity, Finance, Government, PublicHospital, PublicSchool, RealEstate,
            Wholesale,
        };
        let table: [(u16, u16, ExcludedCategory); 17] = [
            (1520, 1520, RealEstate),
            (6513, 6513, RealEstate),
            (7013, 7013, RealEstate),
            (5511, 5521, CarSales),
            (5013, 5199, Wholesale),
            (8062, 8062, PublicHospital),
            (8211, 8211, PublicSchool),
            (8220, 8220, PublicSchool),
            (9211, 9402, Government),
            (9405, 9405, Government),
            (8398, 8398, Charity),
            (8661, 8661, Charity),
            (4829, 4829, Finance),
            (6010, 6012, Finance),
            (6050, 6051, Finance),
            (6211, 6211, Finance),
            (6300, 6540, Finance),
        ];
        Self {
            ranges: table
                .iter()
                .map(|&(from, to, category)| MccExclusion {
                    from: Mcc(from),
                    to: Mcc(to),
                    category,
                })
                .collect(),
        }
    }

    /// The excluded category `mcc` falls in, if any.
    pub fn category_of(&self, mcc: Mcc) -> Option<ExcludedCategory> {
        self.ranges
            .iter()
            .find(|r| r.from <= mcc && mcc <= r.to)
            .map(|r| r.category)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn mcc_rejects_codes_above_9999() {
        assert_eq!(
            Mcc::new(10_000),
            Err(RewardsError::InvalidMcc { value: 10_000 })
        );
        assert_eq!(Mcc::new(5812).unwrap().to_string(), "5812");
        assert_eq!(Mcc::new(742).unwrap().to_string(), "0742");
    }

    #[test]
    fn domain_default_excludes_each_listed_category_and_not_restaurants() {
        let ex = MccExclusions::domain_default();
        let of = |code| ex.category_of(Mcc::new(code).unwrap());
        assert_eq!(of(6513), Some(ExcludedCategory::RealEstate));
        assert_eq!(of(5511), Some(ExcludedCategory::CarSales));
        assert_eq!(of(5045), Some(ExcludedCategory::Wholesale));
        assert_eq!(of(8062), Some(ExcludedCategory::PublicHospital));
        assert_eq!(of(8211), Some(ExcludedCategory::PublicSchool));
        assert_eq!(of(9311), Some(ExcludedCategory::Government));
        assert_eq!(of(8398), Some(ExcludedCategory::Charity));
        assert_eq!(of(6011), Some(ExcludedCategory::Finance));
        assert_eq!(of(5812), None);
        assert_eq!(of(5411), None);
    }
}
