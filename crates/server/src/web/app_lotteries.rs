//! The cardholder's lottery page (docs/web.md, "Rewards"): each running lottery with the
//! prizes and their stated odds (shown before drawing), the customer's counted spend this
//! month and the next tier, their chances (usable, or suspended while refunds keep a month
//! below its tier) and draws, and a draw form. Drawing runs the same use case as
//! `POST /v1/me/lotteries/{id}/draws` under a key made when the page is rendered, so a second
//! submit of the same form draws once and shows the same outcome.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use cardlife_app::AppError;
use cardlife_app::rewards::coupons::CouponRefusal;
use cardlife_app::rewards::lottery::LotteryId;
use cardlife_app::rewards::lottery_chances::{ChanceState, MyLottery};
use serde::Deserialize;

use super::app_bills::failed;
use super::app_points::key_ok;
use super::console_lotteries::{odds_text, outcome_text, prize_what};
use super::console_records::local;
use super::csrf::CsrfForm;
use super::face_forms::idempotency_key;
use super::i18n_lottery::LotteryTexts;
use super::page::Page;
use super::session::PageSession;
use crate::AppState;

/// A prize as shown before drawing.
#[derive(Debug)]
pub(crate) struct PrizeShown {
    name: String,
    what: String,
    odds: String,
}

/// A draw as shown.
#[derive(Debug)]
pub(crate) struct DrawShown {
    prize: String,
    outcome: &'static str,
    won: bool,
    at: String,
}

/// A lottery as shown.
#[derive(Debug)]
pub(crate) struct LotteryShown {
    id: String,
    name: String,
    ends: String,
    spend: String,
    next_tier: Option<String>,
    available: usize,
    suspended: usize,
    prizes: Vec<PrizeShown>,
    draws: Vec<DrawShown>,
}

#[derive(Debug, Template, WebTemplate)]
#[template(path = "app/lotteries.html")]
pub(crate) struct LotteriesPage {
    page: Page,
    lotteries: Vec<LotteryShown>,
    key: String,
    error: Option<&'static str>,
    result: Option<String>,
}

/// The draw form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct DrawForm {
    lottery: String,
    key: String,
}

fn shown(l: &'static LotteryTexts, m: MyLottery) -> LotteryShown {
    let count = |s| m.chances.iter().filter(|c| c.state == s).count();
    LotteryShown {
        id: m.lottery.id.to_string(),
        ends: local(&m.lottery.ends_at),
        spend: m.month_spend.to_string(),
        next_tier: m
            .next_tier
            .as_ref()
            .map(|t| format!("¥{} → {}", t.min_spend, t.units)),
        available: count(ChanceState::Available),
        suspended: count(ChanceState::Suspended),
        prizes: m
            .lottery
            .prizes
            .iter()
            .map(|p| PrizeShown {
                name: p.prize.name.clone(),
                what: prize_what(&p.prize.kind),
                odds: odds_text(p.prize.odds_bp),
            })
            .collect(),
        draws: m
            .draws
            .iter()
            .map(|d| DrawShown {
                prize: d.picked_name.clone(),
                outcome: outcome_text(l, d),
                won: d.no_prize.is_none(),
                at: local(&d.drawn_at),
            })
            .collect(),
        name: m.lottery.name,
    }
}

async fn render(
    state: &AppState,
    session: &PageSession,
    page: Page,
    error: Option<&'static str>,
    result: Option<String>,
) -> Response {
    let l = page.l();
    match state.app.my_lotteries(session.customer_id()).await {
        Ok(list) => {
            let status = if error.is_some() {
                StatusCode::UNPROCESSABLE_ENTITY
            } else {
                StatusCode::OK
            };
            let body = LotteriesPage {
                lotteries: list.into_iter().map(|m| shown(l, m)).collect(),
                key: idempotency_key(),
                page,
                error,
                result,
            };
            (status, body).into_response()
        }
        Err(e) => failed(page, e.into()),
    }
}

/// `GET /app/lotteries`.
pub(crate) async fn lotteries(
    session: PageSession,
    State(state): State<AppState>,
    page: Page,
) -> Response {
    render(&state, &session, page, None, None).await
}

fn refusal(l: &'static LotteryTexts, e: &AppError) -> Option<&'static str> {
    match e {
        AppError::Rewards(CouponRefusal::NoDrawChance) => Some(l.err_no_chance),
        AppError::Rewards(CouponRefusal::LotteryClosed { .. }) => Some(l.err_closed),
        AppError::Rewards(CouponRefusal::LotteryNotFound) => Some(l.err_not_found),
        _ => None,
    }
}

/// `POST /app/lotteries/draw`.
pub(crate) async fn draw(
    session: PageSession,
    State(state): State<AppState>,
    mut page: Page,
    CsrfForm(form): CsrfForm<DrawForm>,
) -> Response {
    "/app/lotteries".clone_into(&mut page.path);
    let l = page.l();
    let Ok(lottery) = LotteryId::parse(form.lottery.trim()) else {
        return render(&state, &session, page, Some(l.err_not_found), None).await;
    };
    if !key_ok(&form.key) {
        return render(&state, &session, page, Some(l.err_bad_form), None).await;
    }
    // The use case answers the same draw for the same key; a prefix keeps form keys apart
    // from API keys.
    let key = format!("web-{}", form.key);
    match state
        .app
        .draw_lottery(session.customer_id(), lottery, &key)
        .await
    {
        Ok(d) => {
            let text = format!("{} · {}", d.picked_name, outcome_text(l, &d));
            render(&state, &session, page, None, Some(text)).await
        }
        Err(e) => match refusal(l, &e) {
            Some(m) => render(&state, &session, page, Some(m), None).await,
            None => failed(page, e.into()),
        },
    }
}
