//! My points, the points mall, the membership card and inviting friends (docs/web.md, "Points,
//! mall and membership"): the balance, what lapses
//! soon, the lots in the order they are spent and the history; the mall's items with a redeem
//! form and the customer's redemptions with a return button. Redeeming and returning run the
//! same use cases as `POST /v1/mall/orders` and `…/refunds`, under an idempotency key made when
//! the form is rendered (a second submit of the same form acts once).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use cardlife_app::AppError;
use cardlife_app::rewards::mall::{MallItemId, MallItemView, MallOrderId, MallOrderView};
use cardlife_app::rewards::membership::{MembershipView, TierTerms};
use cardlife_app::rewards::points::PointsView;
use cardlife_app::rewards::referral::ReferralView;
use cardlife_kernel::CustomerId;
use serde::Deserialize;

use super::app_bills::failed;
use super::csrf::CsrfForm;
use super::face_forms::idempotency_key;
use super::i18n_points::{PointsTexts, points_texts};
use super::page::Page;
use super::session::PageSession;
use crate::AppState;
use crate::problem::ApiError;

/// One movement, as shown.
#[derive(Debug)]
pub(crate) struct MovementShown {
    label: &'static str,
    points: String,
    date: String,
}

#[derive(Debug, Template, WebTemplate)]
#[template(path = "app/points.html")]
pub(crate) struct PointsPage {
    page: Page,
    r: &'static PointsTexts,
    view: PointsView,
    history: Vec<MovementShown>,
}

#[derive(Debug, Template, WebTemplate)]
#[template(path = "app/membership.html")]
pub(crate) struct MembershipPage {
    page: Page,
    r: &'static PointsTexts,
    view: MembershipView,
    benefits: Vec<String>,
}

fn benefits_of(page: &Page, tier: &TierTerms) -> Vec<String> {
    if page.lang == super::i18n::Lang::Zh {
        tier.benefits_zh.clone()
    } else {
        tier.benefits_en.clone()
    }
}

/// `GET /app/membership`.
pub(crate) async fn membership(
    session: PageSession,
    State(state): State<AppState>,
    page: Page,
) -> Response {
    let r = points_texts(page.lang);
    match state.app.my_membership(session.customer_id()).await {
        Ok(view) => {
            let benefits = benefits_of(&page, &view.tier);
            MembershipPage {
                page,
                r,
                view,
                benefits,
            }
            .into_response()
        }
        Err(e) => failed(page, e.into()),
    }
}

/// One item, as shown.
#[derive(Debug)]
pub(crate) struct ItemShown {
    id: String,
    name: String,
    points: i64,
    cash: Option<String>,
    remaining: u32,
}

/// One order, as shown.
#[derive(Debug)]
pub(crate) struct OrderShown {
    id: String,
    name: String,
    quantity: u32,
    refunded: u32,
    points: i64,
    cash: Option<String>,
    date: String,
}

#[derive(Debug, Template, WebTemplate)]
#[template(path = "app/mall.html")]
pub(crate) struct MallPage {
    page: Page,
    r: &'static PointsTexts,
    balance: i64,
    items: Vec<ItemShown>,
    orders: Vec<OrderShown>,
    key: String,
    error: Option<&'static str>,
    notice: Option<&'static str>,
}

fn kind_label(r: &'static PointsTexts, kind: &str) -> &'static str {
    match kind {
        "accrual" => r.kind_accrual,
        "redemption" => r.kind_redemption,
        "expiry" => r.kind_expiry,
        "clawback" => r.kind_clawback,
        _ => r.kind_recredit,
    }
}

/// `GET /app/points`.
pub(crate) async fn points(
    session: PageSession,
    State(state): State<AppState>,
    page: Page,
) -> Response {
    let r = points_texts(page.lang);
    match state.app.my_points(session.customer_id()).await {
        Ok(view) => {
            let history = view
                .history
                .iter()
                .map(|m| MovementShown {
                    label: kind_label(r, &m.kind),
                    points: format!("{:+}", m.points),
                    date: m.business_date.to_string(),
                })
                .collect();
            PointsPage {
                page,
                r,
                view,
                history,
            }
            .into_response()
        }
        Err(e) => failed(page, e.into()),
    }
}

fn name_of(page: &Page, item: &MallItemView) -> String {
    if page.lang == super::i18n::Lang::Zh {
        item.name_zh.clone()
    } else {
        item.name_en.clone()
    }
}

fn cash_of(fen: i64) -> Option<String> {
    (fen > 0).then(|| format!("{}.{:02}", fen / 100, fen % 100))
}

fn order_shown(page: &Page, items: &[MallItemView], o: &MallOrderView) -> OrderShown {
    let name = items
        .iter()
        .find(|i| i.id == o.item)
        .map(|i| name_of(page, i))
        .unwrap_or_default();
    OrderShown {
        id: o.id.to_string(),
        name,
        quantity: o.quantity,
        refunded: o.refunded,
        points: o.points.value(),
        cash: cash_of(o.cash.fen()),
        date: cardlife_kernel::BusinessZone::shanghai()
            .date_of(o.created_at)
            .to_string(),
    }
}

async fn mall_page(
    state: &AppState,
    customer: CustomerId,
    page: Page,
    error: Option<&'static str>,
    notice: Option<&'static str>,
) -> Response {
    let r = points_texts(page.lang);
    let loaded = async {
        let balance = state.app.my_points(customer).await?.balance.value();
        let items = state.app.mall_items().await?;
        let orders = state.app.my_mall_orders(customer).await?;
        Ok::<_, AppError>((balance, items, orders))
    };
    match loaded.await {
        Ok((balance, items, orders)) => {
            let orders = orders
                .iter()
                .map(|o| order_shown(&page, &items, o))
                .collect();
            let items = items
                .iter()
                .map(|i| ItemShown {
                    id: i.id.to_string(),
                    name: name_of(&page, i),
                    points: i.points.value(),
                    cash: cash_of(i.cash.fen()),
                    remaining: i.remaining,
                })
                .collect();
            let status = if error.is_some() {
                StatusCode::UNPROCESSABLE_ENTITY
            } else {
                StatusCode::OK
            };
            let body = MallPage {
                page,
                r,
                balance,
                items,
                orders,
                key: idempotency_key(),
                error,
                notice,
            };
            (status, body).into_response()
        }
        Err(e) => failed(page, e.into()),
    }
}

/// `GET /app/mall`.
pub(crate) async fn mall(
    session: PageSession,
    State(state): State<AppState>,
    page: Page,
) -> Response {
    mall_page(&state, session.customer_id(), page, None, None).await
}

/// The redeem form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct OrderForm {
    item_id: String,
    quantity: String,
    key: String,
}

/// The return form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct ReturnForm {
    order_id: String,
    key: String,
}

/// The message for a refused redemption or return; `None` when the failure is the server's.
fn refusal(r: &'static PointsTexts, e: &ApiError) -> Option<&'static str> {
    let p = e.problem();
    if p.status >= 500 {
        return None;
    }
    Some(match p.code.as_str() {
        "INSUFFICIENT_POINTS" => r.err_insufficient,
        "SOLD_OUT" => r.err_sold_out,
        "OVER_CUSTOMER_LIMIT" => r.err_limit,
        "NOT_ON_SALE" => r.err_not_on_sale,
        "INVALID_AMOUNT" | "REFUND_EXCEEDS_ORDER" => r.err_quantity,
        _ => r.err_refused,
    })
}

pub(crate) fn key_ok(key: &str) -> bool {
    !key.is_empty() && key.len() <= 64 && key.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Runs `run` once per (customer, form, key): a second submit of the same form does nothing
/// more. A refusal frees the key (nothing was written).
pub(crate) async fn once_per_form<F>(
    state: &AppState,
    customer: CustomerId,
    form: &str,
    key: &str,
    request: &str,
    run: F,
) -> Result<(), ApiError>
where
    F: std::future::Future<Output = Result<String, AppError>>,
{
    once_per_form_answer(state, customer, form, key, request, run)
        .await
        .map(|_| ())
}

/// [`once_per_form`], answering what `run` answered the first time (a second submit gets the
/// first one's answer back, so the page can show it again).
pub(crate) async fn once_per_form_answer<F>(
    state: &AppState,
    customer: CustomerId,
    form: &str,
    key: &str,
    request: &str,
    run: F,
) -> Result<String, ApiError>
where
    F: std::future::Future<Output = Result<String, AppError>>,
{
    let scope = format!("{customer}:web.{form}");
    if let Some(done) = state
        .app
        .idempotency_begin(&scope, Some(key), request.as_bytes())
        .await?
    {
        return Ok(done.body);
    }
    match run.await {
        Ok(body) => {
            let answer = cardlife_app::idempotency::StoredAnswer {
                status: 200,
                body: body.clone(),
            };
            state.app.idempotency_finish(&scope, key, &answer).await?;
            Ok(body)
        }
        Err(e) => {
            let e = ApiError::from(e);
            if e.problem().status < 500 {
                state.app.idempotency_release(&scope, key).await?;
            }
            Err(e)
        }
    }
}

/// `POST /app/mall/order`: redeems an item.
pub(crate) async fn order(
    session: PageSession,
    State(state): State<AppState>,
    mut page: Page,
    CsrfForm(form): CsrfForm<OrderForm>,
) -> Response {
    "/app/mall".clone_into(&mut page.path);
    let r = points_texts(page.lang);
    let customer = session.customer_id();
    let quantity = form
        .quantity
        .trim()
        .parse::<u32>()
        .ok()
        .filter(|q| (1..=99).contains(q));
    let (Some(quantity), Ok(item), true) = (
        quantity,
        MallItemId::parse(form.item_id.trim()),
        key_ok(&form.key),
    ) else {
        return mall_page(&state, customer, page, Some(r.err_quantity), None).await;
    };
    let request = format!("{item}\0{quantity}");
    let run = async {
        let placed = state
            .app
            .order_mall_item(customer, item, quantity, &form.key)
            .await?;
        Ok(placed.id.to_string())
    };
    match once_per_form(&state, customer, "mall.order", &form.key, &request, run).await {
        Ok(()) => mall_page(&state, customer, page, None, Some(r.ordered)).await,
        Err(e) => match refusal(r, &e) {
            Some(m) => mall_page(&state, customer, page, Some(m), None).await,
            None => failed(page, e),
        },
    }
}

/// `POST /app/mall/return`: returns one unit of an order.
pub(crate) async fn give_back(
    session: PageSession,
    State(state): State<AppState>,
    mut page: Page,
    CsrfForm(form): CsrfForm<ReturnForm>,
) -> Response {
    "/app/mall".clone_into(&mut page.path);
    let r = points_texts(page.lang);
    let customer = session.customer_id();
    let (Ok(order), true) = (MallOrderId::parse(form.order_id.trim()), key_ok(&form.key)) else {
        return mall_page(&state, customer, page, Some(r.err_refused), None).await;
    };
    let request = order.to_string();
    let run = async {
        let after = state.app.refund_mall_order(customer, order, 1).await?;
        Ok(after.id.to_string())
    };
    match once_per_form(&state, customer, "mall.return", &form.key, &request, run).await {
        Ok(()) => mall_page(&state, customer, page, None, Some(r.refunded)).await,
        Err(e) => match refusal(r, &e) {
            Some(m) => mall_page(&state, customer, page, Some(m), None).await,
            None => failed(page, e),
        },
    }
}

#[derive(Debug, Template, WebTemplate)]
#[template(path = "app/invite.html")]
pub(crate) struct InvitePage {
    page: Page,
    r: &'static PointsTexts,
    view: ReferralView,
    invited: Vec<&'static str>,
    invited_by: Option<&'static str>,
    error: Option<&'static str>,
    notice: Option<&'static str>,
}

fn state_label(r: &'static PointsTexts, state: &str) -> &'static str {
    match state {
        "rewarded" => r.state_rewarded,
        "refused" => r.state_refused,
        _ => r.state_pending,
    }
}

async fn invite_page(
    state: &AppState,
    customer: CustomerId,
    page: Page,
    error: Option<&'static str>,
    notice: Option<&'static str>,
) -> Response {
    let r = points_texts(page.lang);
    match state.app.my_referral(customer, None).await {
        Ok(view) => {
            let invited = view
                .invited
                .iter()
                .map(|i| state_label(r, &i.state))
                .collect();
            let invited_by = view.invited_by.as_deref().map(|s| state_label(r, s));
            let status = if error.is_some() {
                StatusCode::UNPROCESSABLE_ENTITY
            } else {
                StatusCode::OK
            };
            let body = InvitePage {
                page,
                r,
                view,
                invited,
                invited_by,
                error,
                notice,
            };
            (status, body).into_response()
        }
        Err(e) => failed(page, e.into()),
    }
}

/// `GET /app/invite`.
pub(crate) async fn invite(
    session: PageSession,
    State(state): State<AppState>,
    page: Page,
) -> Response {
    invite_page(&state, session.customer_id(), page, None, None).await
}

/// The bind form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct BindForm {
    code: String,
}

/// `POST /app/invite/bind`: binds a friend's code (binding twice is refused, nothing written).
pub(crate) async fn bind(
    session: PageSession,
    State(state): State<AppState>,
    mut page: Page,
    CsrfForm(form): CsrfForm<BindForm>,
) -> Response {
    "/app/invite".clone_into(&mut page.path);
    let r = points_texts(page.lang);
    let customer = session.customer_id();
    match state.app.bind_referral(customer, &form.code, None).await {
        Ok(_) => invite_page(&state, customer, page, None, Some(r.bound)).await,
        Err(e) => {
            let e = ApiError::from(e);
            let message = match e.problem().code.as_str() {
                "NOT_FOUND" => Some(r.err_unknown_code),
                "ALREADY_REFERRED" => Some(r.err_already_referred),
                "SELF_REFERRAL" => Some(r.err_self_referral),
                _ => refusal(r, &e),
            };
            match message {
                Some(m) => invite_page(&state, customer, page, Some(m), None).await,
                None => failed(page, e),
            }
        }
    }
}
