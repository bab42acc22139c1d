//! The merchant portal once logged in (docs/web.md, "Merchant portal"): the application's
//! status, the static QR codes to print (drawn as SVG by the binary), dynamic order codes, the
//! orders list and refunds. Every read and write is scoped by the staff member's merchant: an
//! order of another merchant answers 404. Creating codes and orders needs an approved merchant.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use cardlife_app::AppError;
use cardlife_app::merchants::orders::{NewDynamicOrder, OrderView};
use cardlife_app::merchants::vocabulary::PaymentOrderId;
use cardlife_app::merchants::{MerchantView, MerchantsError};
use serde::Deserialize;

use super::console_auth::Empty;
use super::csrf::CsrfForm;
use super::errors::ErrorPage;
use super::face_forms::{self, echo};
use super::page::Page;
use super::qr_svg;
use super::staff_session::MerchantPage;
use crate::AppState;
use crate::problem::ApiError;

/// Orders listed.
const ORDERS_SHOWN: u32 = 50;
/// Side of a printed code, in CSS pixels.
const QR_PX: u32 = 240;

/// A code with its drawing.
#[derive(Debug)]
pub(crate) struct CodeShown {
    pub(crate) id: String,
    pub(crate) payload: String,
    pub(crate) svg: String,
}

#[derive(Debug, Template, WebTemplate)]
#[template(path = "merchant/home.html")]
pub(crate) struct HomePage {
    page: Page,
    login: String,
    m: MerchantView,
}

#[derive(Debug, Template, WebTemplate)]
#[template(path = "merchant/qr.html")]
pub(crate) struct QrPage {
    page: Page,
    login: String,
    m: MerchantView,
    codes: Vec<CodeShown>,
}

#[derive(Debug, Template, WebTemplate)]
#[template(path = "merchant/orders.html")]
pub(crate) struct OrdersPage {
    page: Page,
    login: String,
    m: MerchantView,
    orders: Vec<OrderView>,
    amount: String,
    merchant_ref: String,
    error: Option<String>,
}

#[derive(Debug, Template, WebTemplate)]
#[template(path = "merchant/order.html")]
pub(crate) struct OrderPage {
    page: Page,
    login: String,
    o: OrderView,
    code: Option<CodeShown>,
    /// The refund form's idempotency key, fresh per render.
    key: String,
    error: Option<String>,
    notice: Option<&'static str>,
}

/// A new dynamic order.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct OrderForm {
    amount: String,
    merchant_ref: String,
}

/// A refund.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RefundForm {
    amount: String,
    key: String,
}

fn failed(e: AppError) -> Response {
    ApiError::from(e).into_response()
}

fn shown(id: String, payload: String) -> CodeShown {
    let svg = qr_svg::svg(&payload, QR_PX).unwrap_or_default();
    CodeShown { id, payload, svg }
}

/// `GET /merchant`: the application's status.
pub(crate) async fn home(
    session: MerchantPage,
    State(state): State<AppState>,
    page: Page,
) -> Result<HomePage, Response> {
    let m = state
        .app
        .merchant(session.staff.merchant)
        .await
        .map_err(failed)?;
    Ok(HomePage {
        page,
        login: session.staff.login,
        m,
    })
}

/// `GET /merchant/qr`: the static codes to print.
pub(crate) async fn qr(
    session: MerchantPage,
    State(state): State<AppState>,
    page: Page,
) -> Result<QrPage, Response> {
    let app = &state.app;
    let merchant = session.staff.merchant;
    let m = app.merchant(merchant).await.map_err(failed)?;
    let codes = app.static_codes(merchant).await.map_err(failed)?;
    Ok(QrPage {
        page,
        login: session.staff.login,
        m,
        codes: codes.into_iter().map(|c| shown(c.id, c.payload)).collect(),
    })
}

/// `POST /merchant/qr`: a new static code (approved merchants only).
pub(crate) async fn create_qr(
    session: MerchantPage,
    State(state): State<AppState>,
    page: Page,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, Response> {
    let app = &state.app;
    let merchant = session.staff.merchant;
    let m = app.merchant(merchant).await.map_err(failed)?;
    if m.status != "approved" {
        return Err(ErrorPage::forbidden_role(page).into_response());
    }
    app.create_static_code(merchant).await.map_err(failed)?;
    Ok(Redirect::to("/merchant/qr").into_response())
}

async fn orders_page(
    state: &AppState,
    session: &MerchantPage,
    page: Page,
    form: Option<(&OrderForm, String)>,
) -> Response {
    let app = &state.app;
    let merchant = session.staff.merchant;
    let listed = async {
        Ok::<_, AppError>((
            app.merchant(merchant).await?,
            app.merchant_orders(merchant, ORDERS_SHOWN).await?,
        ))
    };
    let (m, orders) = match listed.await {
        Ok(v) => v,
        Err(e) => return failed(e),
    };
    let (status, amount, merchant_ref, error) = match form {
        Some((f, error)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            echo(&f.amount, face_forms::AMOUNT_LEN_MAX),
            echo(&f.merchant_ref, 64),
            Some(error),
        ),
        None => (StatusCode::OK, String::new(), String::new(), None),
    };
    (
        status,
        OrdersPage {
            page,
            login: session.staff.login.clone(),
            m,
            orders,
            amount,
            merchant_ref,
            error,
        },
    )
        .into_response()
}

/// `GET /merchant/orders`.
pub(crate) async fn orders(
    session: MerchantPage,
    State(state): State<AppState>,
    page: Page,
) -> Response {
    orders_page(&state, &session, page, None).await
}

/// `POST /merchant/orders`: a dynamic order and its one-off code.
pub(crate) async fn create_order(
    session: MerchantPage,
    State(state): State<AppState>,
    page: Page,
    CsrfForm(form): CsrfForm<OrderForm>,
) -> Response {
    let f = page.f;
    let checked = face_forms::amount(f, &form.amount).and_then(|amount| {
        let merchant_ref = face_forms::optional_text(f, &form.merchant_ref, 64)?;
        if merchant_ref
            .as_deref()
            .is_some_and(|r| !r.bytes().all(|b| b.is_ascii_graphic()))
        {
            return Err(f.err_ref_format);
        }
        Ok((amount, merchant_ref))
    });
    let (amount, merchant_ref) = match checked {
        Ok(v) => v,
        Err(e) => return orders_page(&state, &session, page, Some((&form, e.to_owned()))).await,
    };
    let app = &state.app;
    let merchant = session.staff.merchant;
    let approved = match app.merchant(merchant).await {
        Ok(m) => m.status == "approved",
        Err(e) => return failed(e),
    };
    if !approved {
        let e = f.err_merchant_closed.to_owned();
        return orders_page(&state, &session, page, Some((&form, e))).await;
    }
    let new = NewDynamicOrder {
        amount,
        merchant_ref,
        ttl_seconds: None,
        cashier: Some(session.staff.id),
    };
    match app.create_dynamic_order(merchant, new).await {
        Ok(o) => Redirect::to(&format!("/merchant/orders/{}", o.id)).into_response(),
        Err(e) => match face_forms::refusal(f, &e) {
            Some(m) => orders_page(&state, &session, page, Some((&form, m))).await,
            None => failed(e),
        },
    }
}

async fn order_page(
    state: &AppState,
    session: &MerchantPage,
    page: Page,
    id: &str,
    error: Option<String>,
    notice: Option<&'static str>,
) -> Response {
    let Ok(id) = PaymentOrderId::parse(id) else {
        return ErrorPage::not_found(page).into_response();
    };
    match state.app.merchant_order(session.staff.merchant, id).await {
        Ok(o) => {
            let code = match (&o.qr_payload, o.status.as_str()) {
                (Some(p), "created") => Some(shown(o.id.to_string(), p.clone())),
                _ => None,
            };
            let status = if error.is_some() {
                StatusCode::UNPROCESSABLE_ENTITY
            } else {
                StatusCode::OK
            };
            (
                status,
                OrderPage {
                    page,
                    login: session.staff.login.clone(),
                    o,
                    code,
                    key: face_forms::idempotency_key(),
                    error,
                    notice,
                },
            )
                .into_response()
        }
        Err(AppError::Merchants(MerchantsError::NotFound(_))) => {
            ErrorPage::not_found(page).into_response()
        }
        Err(e) => failed(e),
    }
}

/// `?refunded=1` after a refund.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RefundedQuery {
    refunded: Option<String>,
}

/// `GET /merchant/orders/{id}`.
pub(crate) async fn order(
    session: MerchantPage,
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    axum::extract::Query(q): axum::extract::Query<RefundedQuery>,
) -> Response {
    let notice = q.refunded.map(|_| page.f.refund_done);
    order_page(&state, &session, page, &id, None, notice).await
}

/// `POST /merchant/orders/{id}/refund`: a refund under the form's idempotency key.
pub(crate) async fn refund(
    session: MerchantPage,
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<RefundForm>,
) -> Response {
    let f = page.f;
    let amount = match face_forms::amount(f, &form.amount) {
        Ok(a) => a,
        Err(e) => return order_page(&state, &session, page, &id, Some(e.to_owned()), None).await,
    };
    let Ok(order_id) = PaymentOrderId::parse(&id) else {
        return ErrorPage::not_found(page).into_response();
    };
    let key = if form.key.is_empty() {
        face_forms::idempotency_key()
    } else {
        form.key.clone()
    };
    match state
        .app
        .refund_order(session.staff.merchant, &key, order_id, amount)
        .await
    {
        Ok(o) => Redirect::to(&format!("/merchant/orders/{}?refunded=1", o.id)).into_response(),
        Err(AppError::Merchants(MerchantsError::NotFound(_))) => {
            ErrorPage::not_found(page).into_response()
        }
        Err(e) => match face_forms::refusal(f, &e) {
            Some(m) => order_page(&state, &session, page, &id, Some(m), None).await,
            None => failed(e),
        },
    }
}
