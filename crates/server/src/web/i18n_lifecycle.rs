//! The strings of the console's lifecycle columns (docs/web.md, "Operator console"), one table
//! per language like `i18n`; the customers pages read `lt.<name>`.

use cardlife_app::console::{LifecycleStage, ValueTier};

use super::i18n::Lang;

/// The strings of one language.
#[derive(Debug)]
pub(crate) struct LifecycleTexts {
    pub(crate) stage_heading: &'static str,
    pub(crate) value_heading: &'static str,
    pub(crate) spend_heading: &'static str,
    pub(crate) accounts_heading: &'static str,
    /// Delinquent, financing, active, dormant, unactivated, prospect.
    stages: [&'static str; 6],
    /// High, medium, low, none.
    values: [&'static str; 4],
}

impl LifecycleTexts {
    /// The name of `stage`.
    pub(crate) fn stage(&self, stage: &LifecycleStage) -> &'static str {
        use LifecycleStage as S;
        let i = match stage {
            S::Delinquent => 0,
            S::Financing => 1,
            S::Active => 2,
            S::Dormant => 3,
            S::Unactivated => 4,
            S::Prospect => 5,
        };
        self.stages[i]
    }

    /// The name of `value`.
    pub(crate) fn value(&self, value: &ValueTier) -> &'static str {
        let i = match value {
            ValueTier::High => 0,
            ValueTier::Medium => 1,
            ValueTier::Low => 2,
            ValueTier::None => 3,
        };
        self.values[i]
    }
}

pub(crate) static LIFECYCLE_ZH: LifecycleTexts = LifecycleTexts {
    stage_heading: "生命周期阶段",
    value_heading: "价值",
    spend_heading: "近 90 天消费",
    accounts_heading: "信用卡账户",
    stages: ["逾期", "融资", "活跃", "沉睡", "待激活", "获客"],
    values: ["高价值", "中价值", "低价值", "—"],
};

pub(crate) static LIFECYCLE_EN: LifecycleTexts = LifecycleTexts {
    stage_heading: "Lifecycle stage",
    value_heading: "Value",
    spend_heading: "Spend, last 90 days",
    accounts_heading: "Credit accounts",
    stages: [
        "Delinquent",
        "Financing",
        "Active",
        "Dormant",
        "Card not used",
        "Prospect",
    ],
    values: ["High", "Medium", "Low", "—"],
};

impl Lang {
    /// The lifecycle strings of this language.
    pub(crate) fn lifecycle_texts(self) -> &'static LifecycleTexts {
        match self {
            Self::Zh => &LIFECYCLE_ZH,
            Self::En => &LIFECYCLE_EN,
        }
    }
}
