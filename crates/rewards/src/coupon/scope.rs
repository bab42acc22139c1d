//! Coupon scope: the merchants, MCCs, scenes and card BINs a coupon is good for. An empty list
//! means "any"; every non-empty list must match (docs/domain.md §6 "merchant/MCC/scene/card-BIN scope").

use std::fmt;

use cardlife_kernel::{MerchantId, Money};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::card_bin::CardBin;
use crate::ids::SceneId;
use crate::mcc::Mcc;

/// Where a coupon may be used.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Scope {
    /// Merchants (empty: any).
    pub merchants: Vec<MerchantId>,
    /// MCCs (empty: any).
    pub mccs: Vec<Mcc>,
    /// Scenes (empty: any; non-empty: the order must come from one of them).
    pub scenes: Vec<SceneId>,
    /// Card BINs, each covering longer BINs under it (empty: any card).
    pub card_bins: Vec<CardBin>,
}

/// The scope dimension an order failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ScopeMismatch {
    /// The merchant is not listed.
    Merchant,
    /// The MCC is not listed.
    Mcc,
    /// The scene is not listed (or the order has none).
    Scene,
    /// The card's BIN is not covered.
    CardBin,
}

impl fmt::Display for ScopeMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Merchant => "merchant not in scope",
            Self::Mcc => "MCC not in scope",
            Self::Scene => "scene not in scope",
            Self::CardBin => "card BIN not in scope",
        })
    }
}

/// The order a coupon is priced against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    /// Order amount before the coupon.
    pub amount: Money,
    /// The merchant.
    pub merchant: MerchantId,
    /// The merchant's MCC.
    pub mcc: Mcc,
    /// The scene the payment comes from, if any.
    pub scene: Option<SceneId>,
    /// The paying card's BIN.
    pub card_bin: CardBin,
    /// Business date of the order.
    pub date: Date,
}

impl Scope {
    /// Any order.
    pub fn any() -> Self {
        Self::default()
    }

    /// `Ok` when `order` is in scope, else the first dimension that fails.
    pub fn check(&self, order: &Order) -> Result<(), ScopeMismatch> {
        let listed = |empty: bool, hit: bool| empty || hit;
        if !listed(
            self.merchants.is_empty(),
            self.merchants.contains(&order.merchant),
        ) {
            return Err(ScopeMismatch::Merchant);
        }
        if !listed(self.mccs.is_empty(), self.mccs.contains(&order.mcc)) {
            return Err(ScopeMismatch::Mcc);
        }
        let scene_hit = order.scene.is_some_and(|s| self.scenes.contains(&s));
        if !listed(self.scenes.is_empty(), scene_hit) {
            return Err(ScopeMismatch::Scene);
        }
        let bin_hit = self.card_bins.iter().any(|b| b.covers(&order.card_bin));
        if !listed(self.card_bins.is_empty(), bin_hit) {
            return Err(ScopeMismatch::CardBin);
        }
        Ok(())
    }
}
