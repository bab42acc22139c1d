//! The strings of the bill installment form and its quote page (docs/web.md, "Bill
//! installments"), one table per language like `i18n_cards`; templates read `i.<name>`.

use super::i18n::Lang;

/// The strings of one language. Messages of form errors start with `err_`.
#[derive(Debug)]
pub(crate) struct InstallmentTexts {
    pub(crate) title: &'static str,
    pub(crate) window: &'static str,
    pub(crate) due: &'static str,
    pub(crate) up_to: &'static str,
    pub(crate) amount: &'static str,
    pub(crate) periods: &'static str,
    pub(crate) periods_unit: &'static str,
    pub(crate) quote_button: &'static str,
    pub(crate) quote_title: &'static str,
    pub(crate) per_period_rate: &'static str,
    pub(crate) upfront: &'static str,
    pub(crate) total_fee: &'static str,
    pub(crate) total_repayment: &'static str,
    pub(crate) col_fee: &'static str,
    pub(crate) consent_title: &'static str,
    pub(crate) consent: &'static str,
    pub(crate) confirm: &'static str,
    pub(crate) back: &'static str,
    pub(crate) plans_title: &'static str,
    pub(crate) plan_kind_bill: &'static str,
    pub(crate) plan_kind_other: &'static str,
    pub(crate) billed: &'static str,
    pub(crate) next_payment: &'static str,
    pub(crate) booked: &'static str,
    pub(crate) err_periods: &'static str,
    pub(crate) err_consent: &'static str,
    pub(crate) err_above: &'static str,
    pub(crate) err_below: &'static str,
    pub(crate) err_window: &'static str,
    pub(crate) err_changed: &'static str,
}

pub(crate) static INSTALLMENTS_ZH: InstallmentTexts = InstallmentTexts {
    title: "账单分期",
    window: "本期账单",
    due: "到期还款日",
    up_to: "最多可分期",
    amount: "分期金额（元）",
    periods: "分期期数",
    periods_unit: "期",
    quote_button: "查看分期方案",
    quote_title: "账单分期方案",
    per_period_rate: "每期手续费率",
    upfront: "手续费于办理时一次收取",
    total_fee: "手续费合计",
    total_repayment: "应还合计",
    col_fee: "手续费",
    consent_title: "确认分期",
    consent: "我已阅读并同意账单分期协议，知悉上述年化利率、手续费和还款计划。",
    confirm: "确认办理分期",
    back: "返回账单",
    plans_title: "我的分期",
    plan_kind_bill: "账单分期",
    plan_kind_other: "分期",
    billed: "已入账期数",
    next_payment: "下期账单计入",
    booked: "分期已办理：各期本金和手续费将计入以后的账单。",
    err_periods: "请选择本卡提供的分期期数。",
    err_consent: "请勾选同意账单分期协议后再确认。",
    err_above: "分期金额超过本期账单可分期的金额。",
    err_below: "分期金额低于本卡的最低分期金额。",
    err_window: "只能在账单日之后、到期还款日之前办理本期账单分期。",
    err_changed: "分期价格已变化，请重新查看分期方案。",
};

pub(crate) static INSTALLMENTS_EN: InstallmentTexts = InstallmentTexts {
    title: "Installments",
    window: "Current statement",
    due: "Payment due",
    up_to: "Up to",
    amount: "Amount (¥)",
    periods: "Periods",
    periods_unit: "months",
    quote_button: "See the plan",
    quote_title: "Bill installment plan",
    per_period_rate: "Fee rate per period",
    upfront: "The fee is charged once, at booking",
    total_fee: "Total fees",
    total_repayment: "Total to repay",
    col_fee: "Fee",
    consent_title: "Confirm the installment",
    consent: "I have read and agree to the bill installment terms, including the APR, the fees \
              and the schedule above.",
    confirm: "Confirm the installment",
    back: "Back to the bill",
    plans_title: "My installments",
    plan_kind_bill: "Bill installment",
    plan_kind_other: "Installment",
    billed: "Periods billed",
    next_payment: "On the next statement",
    booked: "Installment booked: each period's principal and fee go on your next statements.",
    err_periods: "Choose one of the periods this card offers.",
    err_consent: "Tick the box to agree to the installment terms, then confirm.",
    err_above: "That is more than this statement allows to convert.",
    err_below: "That is below this card's smallest installment amount.",
    err_window: "A statement can be converted only after its statement date and by its due date.",
    err_changed: "The price has changed: see the plan again.",
};

impl Lang {
    /// The bill installment strings of this language.
    pub(crate) fn installment_texts(self) -> &'static InstallmentTexts {
        match self {
            Self::Zh => &INSTALLMENTS_ZH,
            Self::En => &INSTALLMENTS_EN,
        }
    }
}
