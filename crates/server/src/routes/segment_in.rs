//! A target segment in the API's JSON, shared by campaigns and lotteries: lists of lifecycle
//! stage codes, value tier codes and card BINs, every list empty = everybody
//! (docs/rewards.md, "Target segments").

use cardlife_app::rewards::segment_terms::Segment;
use cardlife_app::rewards::segment_terms::SegmentInput;
use serde::Deserialize;
use utoipa::ToSchema;

/// Who a campaign or lottery targets; every list empty = everybody.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SegmentIn {
    /// Lifecycle stages: delinquent, financing, active, dormant, unactivated, prospect.
    #[serde(default)]
    pub(crate) stages: Vec<String>,
    /// Value tiers: high, medium, low, none.
    #[serde(default)]
    pub(crate) value_tiers: Vec<String>,
    /// Card BINs (6–8 digits).
    #[serde(default)]
    pub(crate) card_bins: Vec<String>,
}

impl From<SegmentIn> for SegmentInput {
    fn from(s: SegmentIn) -> Self {
        Self {
            stages: s.stages,
            value_tiers: s.value_tiers,
            card_bins: s.card_bins,
        }
    }
}

/// A stored segment as the API shows it: `stages`, `value_tiers`, `card_bins`.
pub(crate) fn segment_out(seg: &Segment) -> serde_json::Value {
    serde_json::json!({
        "stages": seg.customer_stages.iter().map(|s| s.code()).collect::<Vec<_>>(),
        "value_tiers": seg.value_tiers.iter().map(|v| v.code()).collect::<Vec<_>>(),
        "card_bins": seg.card_bins.iter().map(ToString::to_string).collect::<Vec<_>>(),
    })
}
