//! The strings of the flash-sales page (docs/web.md, "Flash sales"), one table per language like
//! `i18n` (docs/web.md, "Languages"); the page reads `r.<name>`.

use super::i18n::Lang;

/// The strings of one language for the page. Messages of form errors start with `err_`.
#[derive(Debug)]
pub(crate) struct FlashSaleTexts {
    pub(crate) title: &'static str,
    pub(crate) link: &'static str,
    pub(crate) no_sales: &'static str,
    pub(crate) on_now: &'static str,
    pub(crate) upcoming: &'static str,
    pub(crate) left_label: &'static str,
    pub(crate) of_label: &'static str,
    pub(crate) limit_label: &'static str,
    pub(crate) starts_label: &'static str,
    pub(crate) ends_label: &'static str,
    pub(crate) claim_button: &'static str,
    /// Followed by the winner's sequence number and `won_tail`.
    pub(crate) won: &'static str,
    pub(crate) won_tail: &'static str,
    pub(crate) err_sold_out: &'static str,
    pub(crate) err_already: &'static str,
    pub(crate) err_not_started: &'static str,
    pub(crate) err_ended: &'static str,
    pub(crate) err_not_found: &'static str,
    pub(crate) err_bad_form: &'static str,
    pub(crate) err_refused: &'static str,
}

/// The table of `lang`.
pub(crate) fn flash_sale_texts(lang: Lang) -> &'static FlashSaleTexts {
    match lang {
        Lang::Zh => &ZH,
        Lang::En => &EN,
    }
}

static ZH: FlashSaleTexts = FlashSaleTexts {
    title: "秒杀",
    link: "秒杀 · 限时限量抢购",
    no_sales: "暂时没有秒杀活动",
    on_now: "进行中",
    upcoming: "即将开始",
    left_label: "剩余",
    of_label: "共",
    limit_label: "每人限抢",
    starts_label: "开始",
    ends_label: "结束",
    claim_button: "立即抢",
    won: "抢到了！你是第 ",
    won_tail: " 位，商品已为你保留，按秒杀价付款即可",
    err_sold_out: "已抢光，下次早点来",
    err_already: "你已经抢过了（每人限量）",
    err_not_started: "秒杀还没开始，请到点再来",
    err_ended: "秒杀已结束",
    err_not_found: "没有找到这个秒杀活动",
    err_bad_form: "页面已过期，请刷新后再抢",
    err_refused: "操作未成功，请重试",
};

static EN: FlashSaleTexts = FlashSaleTexts {
    title: "Flash sales",
    link: "Flash sales · limited stock, limited time",
    no_sales: "No flash sales right now",
    on_now: "On now",
    upcoming: "Coming soon",
    left_label: "Left",
    of_label: "of",
    limit_label: "Limit per person",
    starts_label: "Starts",
    ends_label: "Ends",
    claim_button: "Grab it",
    won: "You got one! You are number ",
    won_tail: "; it is held for you at the sale price",
    err_sold_out: "Sold out: better luck next time",
    err_already: "You have already claimed your share of this sale",
    err_not_started: "This sale has not started yet",
    err_ended: "This sale has ended",
    err_not_found: "No such flash sale",
    err_bad_form: "This page is out of date: reload it and try again",
    err_refused: "That did not work; please try again",
};
