//! A target segment as people type it — lists of lifecycle stage codes, value tier codes and card
//! BINs, each empty for "any" — parsed into the domain's [`Segment`]. Campaigns and lotteries
//! both take one; every refusal is `INVALID_TERMS` with the reason.

pub use cardlife_rewards::campaign::Segment;
use cardlife_rewards::campaign::{CustomerStage, ValueBand};
use cardlife_rewards::{CardBin, RewardsError};

use crate::AppError;

/// A segment as typed: codes and BINs, every list empty = everybody.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SegmentInput {
    /// Lifecycle stages: delinquent, financing, active, dormant, unactivated, prospect.
    pub stages: Vec<String>,
    /// Value tiers: high, medium, low, none.
    pub value_tiers: Vec<String>,
    /// Card BINs, 6 to 8 digits.
    pub card_bins: Vec<String>,
}

fn bad(reason: &'static str) -> AppError {
    AppError::Rewards(RewardsError::InvalidConfig { reason })
}

impl SegmentInput {
    /// The three lists from comma-separated text, as the console's forms take them.
    pub fn from_text(stages: &str, value_tiers: &str, card_bins: &str) -> Self {
        let list = |t: &str| {
            t.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        };
        Self {
            stages: list(stages),
            value_tiers: list(value_tiers),
            card_bins: list(card_bins),
        }
    }

    /// The domain's segment, or the first code that is not one.
    pub fn parse(&self) -> Result<Segment, AppError> {
        let stage_reason =
            "a lifecycle stage is delinquent, financing, active, dormant, unactivated or prospect";
        let customer_stages = self
            .stages
            .iter()
            .map(|s| CustomerStage::parse(s.trim()).ok_or(bad(stage_reason)))
            .collect::<Result<_, _>>()?;
        let value_tiers = self
            .value_tiers
            .iter()
            .map(|s| {
                ValueBand::parse(s.trim()).ok_or(bad("a value tier is high, medium, low or none"))
            })
            .collect::<Result<_, _>>()?;
        let card_bins = self
            .card_bins
            .iter()
            .map(|b| CardBin::parse(b.trim()).map_err(|_| bad("a card BIN is 6 to 8 digits")))
            .collect::<Result<_, _>>()?;
        Ok(Segment {
            customer_stages,
            value_tiers,
            card_bins,
            ..Segment::everyone()
        })
    }
}

/// The segment in words for lists and calendars: its codes and BINs, or `None` for everybody
/// (which the caller says in its own language).
pub fn describe(segment: &Segment) -> Option<String> {
    let mut parts: Vec<String> = Vec::new();
    parts.extend(segment.customer_stages.iter().map(|s| s.code().to_owned()));
    parts.extend(segment.value_tiers.iter().map(|v| v.code().to_owned()));
    parts.extend(segment.card_bins.iter().map(ToString::to_string));
    (!parts.is_empty()).then(|| parts.join(", "))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn text_lists_parse_and_bad_codes_are_refused() {
        let s = SegmentInput::from_text("active, dormant", "high", "622848, 62284801")
            .parse()
            .unwrap();
        assert_eq!(s.customer_stages.len(), 2);
        assert_eq!(s.value_tiers.len(), 1);
        assert_eq!(s.card_bins.len(), 2);
        assert_eq!(describe(&SegmentInput::default().parse().unwrap()), None);
        for (stages, tiers, bins) in [("vip", "", ""), ("", "gold", ""), ("", "", "12ab56")] {
            assert!(
                SegmentInput::from_text(stages, tiers, bins)
                    .parse()
                    .is_err()
            );
        }
    }
}
