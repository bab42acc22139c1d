//! The strings of the console's risk decisions (docs/risk.md, "Shown"), one table per language
//! like `i18n`; the pages read `rt.<name>` and reasons in words by their stable code.

use cardlife_app::risk::{Outcome, Reason};

use super::i18n::Lang;

/// The strings of one language.
#[derive(Debug)]
pub(crate) struct RiskTexts {
    pub(crate) title: &'static str,
    pub(crate) none_yet: &'static str,
    pub(crate) filter_label: &'static str,
    pub(crate) filter_all: &'static str,
    pub(crate) filter_apply: &'static str,
    pub(crate) err_outcome: &'static str,
    pub(crate) col_time: &'static str,
    pub(crate) col_customer: &'static str,
    pub(crate) col_outcome: &'static str,
    pub(crate) col_score: &'static str,
    pub(crate) col_reasons: &'static str,
    pub(crate) col_order: &'static str,
    pub(crate) no_reason: &'static str,
    /// Allow, review, deny.
    outcomes: [&'static str; 3],
    /// In the order of [`Reason::ALL`].
    reasons: [&'static str; 7],
}

impl RiskTexts {
    /// The name of `outcome`.
    pub(crate) fn outcome(&self, outcome: &Outcome) -> &'static str {
        match outcome {
            Outcome::Allow => self.outcomes[0],
            Outcome::Review => self.outcomes[1],
            Outcome::Deny => self.outcomes[2],
        }
    }

    /// A stored reason code in words; an unknown code as itself.
    pub(crate) fn reason(&self, code: &str) -> String {
        Reason::ALL
            .iter()
            .zip(self.reasons)
            .find(|(r, _)| r.code() == code)
            .map_or_else(|| code.to_owned(), |(_, words)| words.to_owned())
    }
}

pub(crate) static RISK_ZH: RiskTexts = RiskTexts {
    title: "风控决策",
    none_yet: "暂无风控决策",
    filter_label: "结果",
    filter_all: "全部",
    filter_apply: "筛选",
    err_outcome: "结果只能是 放行、复核 或 拒绝",
    col_time: "时间",
    col_customer: "客户",
    col_outcome: "结果",
    col_score: "评分",
    col_reasons: "原因",
    col_order: "订单",
    no_reason: "未触发规则",
    outcomes: ["放行", "复核", "拒绝"],
    reasons: [
        "10 分钟内支付过于频繁",
        "1 小时内支付过于频繁",
        "金额远高于平时",
        "新设备上的大额支付",
        "夜间大额支付",
        "同一设备注册过多",
        "同一设备登录过多",
    ],
};

pub(crate) static RISK_EN: RiskTexts = RiskTexts {
    title: "Risk decisions",
    none_yet: "No risk decisions yet",
    filter_label: "Outcome",
    filter_all: "All",
    filter_apply: "Filter",
    err_outcome: "The outcome must be allow, review or deny",
    col_time: "Time",
    col_customer: "Customer",
    col_outcome: "Outcome",
    col_score: "Score",
    col_reasons: "Reasons",
    col_order: "Order",
    no_reason: "No rule fired",
    outcomes: ["Allowed", "Review", "Denied"],
    reasons: [
        "Too many payments in 10 minutes",
        "Too many payments in an hour",
        "Amount far above the usual",
        "Large amount from a new device",
        "Large amount at night",
        "Too many registrations from one device",
        "Too many logins from one device",
    ],
};

impl Lang {
    /// The risk strings of this language.
    pub(crate) fn risk_texts(self) -> &'static RiskTexts {
        match self {
            Self::Zh => &RISK_ZH,
            Self::En => &RISK_EN,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reason_has_words_in_both_languages_and_unknown_codes_show_as_themselves() {
        for r in Reason::ALL {
            assert_ne!(RISK_ZH.reason(r.code()), r.code());
            assert_ne!(RISK_EN.reason(r.code()), r.code());
        }
        assert_eq!(RISK_EN.reason("SOMETHING_NEW"), "SOMETHING_NEW");
    }
}
