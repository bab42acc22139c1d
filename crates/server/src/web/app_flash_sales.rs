//! The cardholder's flash-sales page (docs/web.md, "Flash sales"): the sales on now and coming
//! soon, each with its item, price, remaining stock and window, and a claim form. Claiming runs
//! the same use case as `POST /v1/flash-sales/{id}/claims` under an idempotency key made when the
//! page is rendered, so a second submit of the same form claims once and shows the same win.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use cardlife_app::flash_sales::{FlashSaleId, FlashSaleView};
use cardlife_kernel::CustomerId;
use jiff::Timestamp;
use serde::Deserialize;

use super::app_bills::{failed, yuan};
use super::app_points::{key_ok, once_per_form_answer};
use super::console_records::local;
use super::csrf::CsrfForm;
use super::face_forms::idempotency_key;
use super::i18n_flash_sale::{FlashSaleTexts, flash_sale_texts};
use super::page::Page;
use super::session::PageSession;
use crate::AppState;
use crate::problem::ApiError;

/// A sale, as shown.
#[derive(Debug)]
pub(crate) struct SaleShown {
    id: String,
    item: String,
    price: String,
    remaining: u32,
    stock: u32,
    per_user_limit: u32,
    starts: String,
    ends: String,
    /// Claims are accepted now (otherwise it is still to come).
    open: bool,
}

#[derive(Debug, Template, WebTemplate)]
#[template(path = "app/flash_sales.html")]
pub(crate) struct FlashSalesPage {
    page: Page,
    r: &'static FlashSaleTexts,
    sales: Vec<SaleShown>,
    key: String,
    error: Option<&'static str>,
    /// The sequence number of the unit just won.
    won: Option<String>,
}

/// The claim form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct ClaimForm {
    key: String,
}

fn shown(s: FlashSaleView, now: Timestamp) -> SaleShown {
    SaleShown {
        id: s.id.to_string(),
        price: yuan(&s.price.fen()),
        remaining: s.remaining,
        stock: s.stock,
        per_user_limit: s.per_user_limit,
        starts: local(&s.starts_at),
        ends: local(&s.ends_at),
        open: s.starts_at <= now,
        item: s.item,
    }
}

async fn render(
    state: &AppState,
    page: Page,
    error: Option<&'static str>,
    won: Option<String>,
) -> Response {
    let r = flash_sale_texts(page.lang);
    match state.app.visible_flash_sales().await {
        Ok(sales) => {
            let now = state.app.clock().now();
            let status = if error.is_some() {
                StatusCode::UNPROCESSABLE_ENTITY
            } else {
                StatusCode::OK
            };
            let body = FlashSalesPage {
                sales: sales.into_iter().map(|s| shown(s, now)).collect(),
                key: idempotency_key(),
                page,
                r,
                error,
                won,
            };
            (status, body).into_response()
        }
        Err(e) => failed(page, e.into()),
    }
}

/// `GET /app/flash-sales`.
pub(crate) async fn flash_sales(
    _: PageSession,
    State(state): State<AppState>,
    page: Page,
) -> Response {
    render(&state, page, None, None).await
}

/// `POST /app/flash-sales/{id}/claim`: claims one unit, once per form.
pub(crate) async fn claim(
    session: PageSession,
    State(state): State<AppState>,
    mut page: Page,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<ClaimForm>,
) -> Response {
    "/app/flash-sales".clone_into(&mut page.path);
    let r = flash_sale_texts(page.lang);
    let Ok(sale) = FlashSaleId::parse(id.trim()) else {
        return render(&state, page, Some(r.err_not_found), None).await;
    };
    if !key_ok(&form.key) {
        return render(&state, page, Some(r.err_bad_form), None).await;
    }
    let customer = session.customer_id();
    match claim_once(&state, customer, sale, &form.key).await {
        Ok(seq) => render(&state, page, None, Some(seq)).await,
        Err(e) => match refusal(&state, r, sale, &e).await {
            Some(m) => render(&state, page, Some(m), None).await,
            None => failed(page, e),
        },
    }
}

/// Claims under the form's key; the answer is the winner's sequence number (the first one's
/// again on a second submit).
async fn claim_once(
    state: &AppState,
    customer: CustomerId,
    sale: FlashSaleId,
    key: &str,
) -> Result<String, ApiError> {
    // The use case remembers wins by key too; a prefix keeps form keys apart from API keys.
    let claim_key = format!("web-{key}");
    let run = async {
        let won = state
            .app
            .claim_flash_sale(sale, customer, Some(claim_key))
            .await?;
        Ok(won.seq.to_string())
    };
    let request = sale.to_string();
    once_per_form_answer(state, customer, "flash_sale.claim", key, &request, run).await
}

/// The message for a refused claim; `None` when the failure is the server's.
async fn refusal(
    state: &AppState,
    r: &'static FlashSaleTexts,
    sale: FlashSaleId,
    e: &ApiError,
) -> Option<&'static str> {
    let p = e.problem();
    if p.status >= 500 {
        return None;
    }
    Some(match p.code.as_str() {
        "SOLD_OUT" => r.err_sold_out,
        "ALREADY_CLAIMED" => r.err_already,
        "SALE_NOT_OPEN" => not_open(state, r, sale).await,
        "NOT_FOUND" => r.err_not_found,
        _ => r.err_refused,
    })
}

/// Whether a sale that is not open is still to come or over (the code says only "not open").
async fn not_open(state: &AppState, r: &'static FlashSaleTexts, sale: FlashSaleId) -> &'static str {
    match state.app.flash_sale(sale).await {
        Ok(s) if state.app.clock().now() < s.starts_at => r.err_not_started,
        _ => r.err_ended,
    }
}
