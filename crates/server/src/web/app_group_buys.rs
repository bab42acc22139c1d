//! The cardholder's group-buying page (docs/web.md, "Group buying"): the offers on sale with a
//! start form, the groups forming with the members they need and the time left and a join form,
//! and the customer's own groups (forming, completed, failed and refunded). Starting and joining
//! run the same use cases as `POST /v1/group-buys/{id}/groups` and
//! `POST /v1/group-buy-groups/{id}/members`, under an idempotency key made when the page is
//! rendered (a second submit of the same form acts once, so pays once).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use cardlife_app::AppError;
use cardlife_app::rewards::group_buy::{
    GroupBuyId, GroupBuyOfferId, GroupStatus, GroupView, MyGroupView,
};
use cardlife_kernel::CustomerId;
use serde::Deserialize;

use super::app_bills::{failed, yuan};
use super::app_points::{key_ok, once_per_form};
use super::csrf::CsrfForm;
use super::face_forms::idempotency_key;
use super::i18n_group_buy::{GroupBuyTexts, group_buy_texts};
use super::page::Page;
use super::session::PageSession;
use crate::AppState;
use crate::problem::ApiError;

/// An offer, as shown.
#[derive(Debug)]
pub(crate) struct OfferShown {
    id: String,
    title: String,
    size: u32,
    price: String,
    virtual_completion: bool,
}

/// A forming group, as shown.
#[derive(Debug)]
pub(crate) struct GroupShown {
    id: String,
    title: String,
    price: String,
    members: u32,
    size: u32,
    missing: u32,
    minutes_left: i64,
    mine: bool,
}

/// One of the customer's groups, as shown.
#[derive(Debug)]
pub(crate) struct MineShown {
    title: String,
    state: &'static str,
    state_text: &'static str,
    members: u32,
    size: u32,
    paid: String,
    refunded: bool,
}

#[derive(Debug, Template, WebTemplate)]
#[template(path = "app/group_buys.html")]
pub(crate) struct GroupBuysPage {
    page: Page,
    r: &'static GroupBuyTexts,
    offers: Vec<OfferShown>,
    groups: Vec<GroupShown>,
    mine: Vec<MineShown>,
    key: String,
    error: Option<&'static str>,
    notice: Option<&'static str>,
}

/// The start form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct StartForm {
    offer_id: String,
    key: String,
}

/// The join form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct JoinForm {
    group_id: String,
    key: String,
}

fn group_shown(g: GroupView, now: jiff::Timestamp, mine: &[MyGroupView]) -> GroupShown {
    let left = g.deadline.duration_since(now).as_secs().max(0);
    GroupShown {
        id: g.id.to_string(),
        missing: g.missing(),
        price: yuan(&g.price.fen()),
        members: g.members,
        size: g.size,
        minutes_left: (left + 59) / 60,
        mine: mine.iter().any(|m| m.group.id == g.id),
        title: g.title,
    }
}

fn mine_shown(r: &'static GroupBuyTexts, m: MyGroupView) -> MineShown {
    let g = m.group;
    let (state, state_text) = match g.status {
        GroupStatus::Forming => ("forming", r.state_forming),
        GroupStatus::Completed if g.virtual_fill => ("completed", r.state_virtual),
        GroupStatus::Completed => ("completed", r.state_completed),
        GroupStatus::Failed => ("failed", r.state_failed),
    };
    MineShown {
        state,
        state_text,
        members: g.members,
        size: g.size,
        paid: yuan(&m.paid.fen()),
        refunded: m.refunded,
        title: g.title,
    }
}

async fn render(
    state: &AppState,
    customer: CustomerId,
    page: Page,
    error: Option<&'static str>,
    notice: Option<&'static str>,
) -> Response {
    let r = group_buy_texts(page.lang);
    let loaded = async {
        let offers = state.app.group_buy_offers_on_sale().await?;
        let groups = state.app.forming_group_buys().await?;
        let mine = state.app.my_group_buys(customer).await?;
        Ok::<_, AppError>((offers, groups, mine))
    };
    match loaded.await {
        Ok((offers, groups, mine)) => {
            let now = state.app.clock().now();
            let status = if error.is_some() {
                StatusCode::UNPROCESSABLE_ENTITY
            } else {
                StatusCode::OK
            };
            let body = GroupBuysPage {
                offers: offers
                    .into_iter()
                    .map(|o| OfferShown {
                        id: o.id.to_string(),
                        size: o.size,
                        price: yuan(&o.price.fen()),
                        virtual_completion: o.virtual_completion,
                        title: o.title,
                    })
                    .collect(),
                groups: groups
                    .into_iter()
                    .map(|g| group_shown(g, now, &mine))
                    .collect(),
                mine: mine.into_iter().map(|m| mine_shown(r, m)).collect(),
                key: idempotency_key(),
                page,
                r,
                error,
                notice,
            };
            (status, body).into_response()
        }
        Err(e) => failed(page, e.into()),
    }
}

/// The message for a refused start or join; `None` when the failure is the server's.
fn refusal(r: &'static GroupBuyTexts, e: &ApiError) -> Option<&'static str> {
    let p = e.problem();
    if p.status >= 500 {
        return None;
    }
    Some(match p.code.as_str() {
        "GROUP_FULL" => r.err_full,
        "GROUP_CLOSED" => r.err_closed,
        "ALREADY_IN_GROUP" => r.err_already,
        "OVER_CUSTOMER_LIMIT" => r.err_limit,
        "NOT_ON_SALE" => r.err_not_on_sale,
        "NO_CARD" => r.err_no_card,
        "NOT_FOUND" => r.err_not_found,
        _ if p.status == 422 => r.err_declined,
        _ => r.err_refused,
    })
}

/// `GET /app/group-buys`.
pub(crate) async fn group_buys(
    session: PageSession,
    State(state): State<AppState>,
    page: Page,
) -> Response {
    render(&state, session.customer_id(), page, None, None).await
}

/// `POST /app/group-buys/start`: starts a group of an offer and pays.
pub(crate) async fn start(
    session: PageSession,
    State(state): State<AppState>,
    mut page: Page,
    CsrfForm(form): CsrfForm<StartForm>,
) -> Response {
    "/app/group-buys".clone_into(&mut page.path);
    let r = group_buy_texts(page.lang);
    let customer = session.customer_id();
    let (Ok(offer), true) = (
        GroupBuyOfferId::parse(form.offer_id.trim()),
        key_ok(&form.key),
    ) else {
        return render(&state, customer, page, Some(r.err_not_found), None).await;
    };
    let request = offer.to_string();
    let run = async {
        let mine = state
            .app
            .start_group_buy(customer, offer, &form.key)
            .await?;
        Ok(mine.group.id.to_string())
    };
    answer(
        &state,
        customer,
        page,
        r,
        "group_buy.start",
        &form.key,
        &request,
        run,
    )
    .await
}

/// `POST /app/group-buys/join`: joins a forming group and pays.
pub(crate) async fn join(
    session: PageSession,
    State(state): State<AppState>,
    mut page: Page,
    CsrfForm(form): CsrfForm<JoinForm>,
) -> Response {
    "/app/group-buys".clone_into(&mut page.path);
    let r = group_buy_texts(page.lang);
    let customer = session.customer_id();
    let (Ok(group), true) = (GroupBuyId::parse(form.group_id.trim()), key_ok(&form.key)) else {
        return render(&state, customer, page, Some(r.err_not_found), None).await;
    };
    let request = group.to_string();
    let run = async {
        let mine = state.app.join_group_buy(customer, group, &form.key).await?;
        Ok(mine.group.id.to_string())
    };
    answer(
        &state,
        customer,
        page,
        r,
        "group_buy.join",
        &form.key,
        &request,
        run,
    )
    .await
}

/// Runs a start or join once per form and re-renders the page with its outcome.
#[allow(clippy::too_many_arguments)]
async fn answer<F>(
    state: &AppState,
    customer: CustomerId,
    page: Page,
    r: &'static GroupBuyTexts,
    form: &str,
    key: &str,
    request: &str,
    run: F,
) -> Response
where
    F: std::future::Future<Output = Result<String, AppError>>,
{
    let done = if form == "group_buy.start" {
        r.started
    } else {
        r.joined
    };
    match once_per_form(state, customer, form, key, request, run).await {
        Ok(()) => render(state, customer, page, None, Some(done)).await,
        Err(e) => match refusal(r, &e) {
            Some(m) => render(state, customer, page, Some(m), None).await,
            None => failed(page, e),
        },
    }
}
