//! Who a campaign targets: a [`Segment`] is data, a predicate on the [`Profile`] the caller
//! derives for the customer at the event.
//!
//! Dimensions (each empty = any; all given must hold):
//! - `stages`: the campaign engine's own coarse stage (`New` at a first binding, `Active` at a
//!   payment), kept for rules written against it;
//! - `customer_stages`: the lifecycle stage the operator console shows (delinquent, financing,
//!   active, dormant, unactivated, prospect);
//! - `value_tiers`: the value tier by spending in the activity window (high, medium, low, none);
//! - `card_bins`: the BIN of one of the customer's cards falls under one of these (a six-digit
//!   BIN covers the longer BINs of a card product);
//! - tags to require or exclude.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::card_bin::CardBin;

/// The campaign engine's coarse stage of a customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum LifecycleStage {
    /// Applied or signed up, no card yet.
    Prospect,
    /// First card within the onboarding period.
    New,
    /// Spending regularly.
    Active,
    /// No spend for a while.
    Dormant,
    /// Closed or lost.
    Churned,
}

/// The lifecycle stage the console derives (客户生命周期), most pressing first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CustomerStage {
    /// A loan or credit line is past due.
    Delinquent,
    /// Holds an open loan or credit line.
    Financing,
    /// Paid within the activity window.
    Active,
    /// Paid before, not within the window.
    Dormant,
    /// Holds a credit card, never paid with it.
    Unactivated,
    /// Registered, no card yet.
    Prospect,
}

impl CustomerStage {
    /// Every stage, in order.
    pub const ALL: [Self; 6] = [
        Self::Delinquent,
        Self::Financing,
        Self::Active,
        Self::Dormant,
        Self::Unactivated,
        Self::Prospect,
    ];

    /// The stable code (`delinquent`, …), the same the console uses.
    pub const fn code(self) -> &'static str {
        match self {
            Self::Delinquent => "delinquent",
            Self::Financing => "financing",
            Self::Active => "active",
            Self::Dormant => "dormant",
            Self::Unactivated => "unactivated",
            Self::Prospect => "prospect",
        }
    }

    /// The stage with `code`.
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }
}

/// The value tier by spending in the activity window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ValueBand {
    /// High spenders.
    High,
    /// Medium.
    Medium,
    /// Some spending.
    Low,
    /// None in the window.
    None,
}

impl ValueBand {
    /// Every tier, in order.
    pub const ALL: [Self; 4] = [Self::High, Self::Medium, Self::Low, Self::None];

    /// The stable code (`high`, `medium`, `low`, `none`).
    pub const fn code(self) -> &'static str {
        match self {
            Self::High => "high",
            Self::Medium => "medium",
            Self::Low => "low",
            Self::None => "none",
        }
    }

    /// The tier with `code`.
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }
}

/// The customer profile segments look at, derived at the event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    /// Marketing tags (e.g. `"student"`, `"high-value"`).
    pub tags: BTreeSet<String>,
    /// The engine's coarse stage.
    pub stage: LifecycleStage,
    /// The console's lifecycle stage, when derived.
    #[serde(default)]
    pub customer_stage: Option<CustomerStage>,
    /// The value tier, when derived.
    #[serde(default)]
    pub value: Option<ValueBand>,
    /// The BINs of the customer's cards.
    #[serde(default)]
    pub card_bins: Vec<CardBin>,
}

impl Profile {
    /// A profile with only the coarse stage known.
    pub fn at_stage(stage: LifecycleStage) -> Self {
        Self {
            tags: BTreeSet::new(),
            stage,
            customer_stage: None,
            value: None,
            card_bins: Vec::new(),
        }
    }
}

/// Who a campaign targets: a predicate on [`Profile`] (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Segment {
    /// Allowed coarse stages; empty = any.
    pub stages: Vec<LifecycleStage>,
    /// Tags the customer must all have.
    pub require_tags: Vec<String>,
    /// Tags the customer must have none of.
    pub exclude_tags: Vec<String>,
    /// Allowed console lifecycle stages; empty = any.
    #[serde(default)]
    pub customer_stages: Vec<CustomerStage>,
    /// Allowed value tiers; empty = any.
    #[serde(default)]
    pub value_tiers: Vec<ValueBand>,
    /// Card BINs one of the customer's cards must fall under; empty = any.
    #[serde(default)]
    pub card_bins: Vec<CardBin>,
}

impl Segment {
    /// Everybody.
    pub fn everyone() -> Self {
        Self::default()
    }

    /// Whether the segment targets everybody.
    pub fn is_everyone(&self) -> bool {
        *self == Self::default()
    }

    /// Whether `profile` is in the segment. A dimension the profile does not know (`None`)
    /// never matches a segment that restricts it.
    pub fn contains(&self, profile: &Profile) -> bool {
        let stage = self.customer_stages.is_empty()
            || profile
                .customer_stage
                .is_some_and(|s| self.customer_stages.contains(&s));
        let value = self.value_tiers.is_empty()
            || profile.value.is_some_and(|v| self.value_tiers.contains(&v));
        let bin = self.card_bins.is_empty()
            || self
                .card_bins
                .iter()
                .any(|b| profile.card_bins.iter().any(|c| b.covers(c)));
        (self.stages.is_empty() || self.stages.contains(&profile.stage))
            && self.require_tags.iter().all(|t| profile.tags.contains(t))
            && !self.exclude_tags.iter().any(|t| profile.tags.contains(t))
            && stage
            && value
            && bin
    }
}
