//! The cardholder's pay pages (docs/web.md, "Cardholder pay pages"): paste a merchant's QR
//! payload or upload a picture of it, see whom it pays (and the amount of a dynamic code), type the amount of a static
//! code, confirm and pay through the same use case as `POST /v1/qr/pay`, under an idempotency
//! key made when the confirm form is rendered (a second submit of the same form pays once);
//! and "my pay code", drawn as a QR code and refreshed by htmx before it expires. Payments are
//! charged through the card-funding seam of the merchants context.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use cardlife_app::AppError;
use cardlife_app::merchants::orders::{OrderView, ScanView};
use cardlife_app::rewards::coupons::CouponId;
use cardlife_kernel::Money;
use serde::Deserialize;

use super::app_rewards::{CouponShown, coupon_message};
use super::csrf::{CsrfForm, CsrfUpload};
use super::face_forms;
use super::forms;
use super::page::Page;
use super::qr_image::{self, Unreadable};
use super::qr_svg;
use super::session::PageSession;
use crate::AppState;
use crate::problem::ApiError;

/// How often the pay code page fetches a fresh code, in seconds (a code lives 60 s).
pub(crate) const PAYCODE_REFRESH_S: u32 = 45;
/// The length of a coupon id (`cpn_` and 32 hex digits).
const COUPON_ID_LEN: usize = 36;
/// Side of the pay code, in CSS pixels.
const PAYCODE_PX: u32 = 220;

#[derive(Debug, Template, WebTemplate)]
#[template(path = "app/pay.html")]
pub(crate) struct PayPage {
    page: Page,
    payload: String,
    error: Option<String>,
}

#[derive(Debug, Template, WebTemplate)]
#[template(path = "app/pay_confirm.html")]
pub(crate) struct ConfirmPage {
    page: Page,
    scan: ScanView,
    payload: String,
    amount: String,
    key: String,
    error: Option<String>,
    /// The payer's usable coupons to choose from (docs/rewards.md).
    coupons: Vec<CouponShown>,
    /// The coupon chosen (`cpn_…`), or empty.
    coupon: String,
}

#[derive(Debug, Template, WebTemplate)]
#[template(path = "app/pay_done.html")]
pub(crate) struct DonePage {
    page: Page,
    merchant_name: String,
    order: OrderView,
}

#[derive(Debug, Template, WebTemplate)]
#[template(path = "app/paycode.html")]
pub(crate) struct PayCodePage {
    page: Page,
    code: PayCodeShown,
}

#[derive(Debug, Template, WebTemplate)]
#[template(path = "app/_paycode.html")]
pub(crate) struct PayCodeFragment {
    code: PayCodeShown,
}

/// A pay code as the page shows it: the QR drawing and the last four digits only.
#[derive(Debug)]
pub(crate) struct PayCodeShown {
    svg: String,
    last4: String,
    refresh_s: u32,
}

/// The paste form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct ScanForm {
    payload: String,
}

/// The confirm form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct PayForm {
    payload: String,
    amount: String,
    key: String,
    coupon: String,
}

/// The payer's coupons that can be chosen now (available, still valid).
async fn usable_coupons(state: &AppState, session: &PageSession, page: &Page) -> Vec<CouponShown> {
    match state.app.my_coupons(session.customer_id()).await {
        Ok(list) => list
            .into_iter()
            .filter(|c| c.state == "available")
            .map(|c| CouponShown::of(page.r, c))
            .collect(),
        // The pay page works without coupons; the rewards page shows the failure.
        Err(_) => Vec::new(),
    }
}

fn failed(e: AppError) -> Response {
    ApiError::from(e).into_response()
}

fn pay_again(page: Page, payload: &str, error: &str) -> Response {
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        PayPage {
            page,
            payload: face_forms::echo(payload, face_forms::PAYLOAD_LEN_MAX),
            error: Some(error.to_owned()),
        },
    )
        .into_response()
}

/// `GET /app/pay`.
pub(crate) async fn pay_page(_session: PageSession, page: Page) -> PayPage {
    PayPage {
        page,
        payload: String::new(),
        error: None,
    }
}

/// `POST /app/pay/scan`: what the pasted code pays.
pub(crate) async fn scan(
    session: PageSession,
    State(state): State<AppState>,
    page: Page,
    CsrfForm(form): CsrfForm<ScanForm>,
) -> Response {
    scanned(&state, &session, page, &form.payload).await
}

/// `POST /app/pay/scan-image`: what the code in the uploaded picture pays. The picture is read
/// to text off the request's task (decoding is CPU work) and then treated as pasted text.
pub(crate) async fn scan_image(
    session: PageSession,
    State(state): State<AppState>,
    page: Page,
    req: Request,
) -> Response {
    let upload = match CsrfUpload::read(req, "picture", qr_image::UPLOAD_BYTES_MAX).await {
        Ok(u) => u,
        Err(refused) => return refused,
    };
    let read = tokio::task::spawn_blocking(move || qr_image::read(&upload.bytes)).await;
    match read.unwrap_or(Err(Unreadable::NotAPicture)) {
        Ok(text) => scanned(&state, &session, page, &text).await,
        Err(why) => {
            let message = face_forms::unreadable_picture(page.f, why);
            pay_again(page, "", message)
        }
    }
}

/// The confirm page for a code's text, or the pay page again saying what is wrong with it.
async fn scanned(state: &AppState, session: &PageSession, page: Page, raw: &str) -> Response {
    let f = page.f;
    let payload = match face_forms::payload(f, raw) {
        Ok(p) => p,
        Err(e) => return pay_again(page, raw, e),
    };
    match state.app.scan(&payload).await {
        Ok(scan) => ConfirmPage {
            coupons: usable_coupons(state, session, &page).await,
            coupon: String::new(),
            page,
            scan,
            payload,
            amount: String::new(),
            key: face_forms::idempotency_key(),
            error: None,
        }
        .into_response(),
        Err(e) => match face_forms::refusal(f, &e) {
            Some(m) => pay_again(page, raw, &m),
            None => failed(e),
        },
    }
}

/// `POST /app/pay/confirm`: pays, under the form's idempotency key.
pub(crate) async fn confirm(
    session: PageSession,
    State(state): State<AppState>,
    page: Page,
    CsrfForm(form): CsrfForm<PayForm>,
) -> Response {
    let (f, r) = (page.f, page.r);
    let payload = match face_forms::payload(f, &form.payload) {
        Ok(p) => p,
        Err(e) => return pay_again(page, &form.payload, e),
    };
    let scan = match state.app.scan(&payload).await {
        Ok(s) => s,
        Err(e) => {
            return match face_forms::refusal(f, &e) {
                Some(m) => pay_again(page, &form.payload, &m),
                None => failed(e),
            };
        }
    };
    let key_ok = !form.key.is_empty()
        && form.key.len() <= 64
        && form.key.bytes().all(|b| b.is_ascii_alphanumeric());
    let amount: Result<Option<Money>, &'static str> = match scan.amount {
        Some(_) => Ok(None),
        None => face_forms::amount(f, &form.amount).map(Some),
    };
    let coupons = usable_coupons(&state, &session, &page).await;
    let confirm_again = |page: Page, scan: ScanView, error: String| {
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            ConfirmPage {
                page,
                scan,
                payload: payload.clone(),
                amount: face_forms::echo(&form.amount, face_forms::AMOUNT_LEN_MAX),
                key: face_forms::idempotency_key(),
                error: Some(error),
                coupon: face_forms::echo(&form.coupon, COUPON_ID_LEN),
                coupons,
            },
        )
            .into_response()
    };
    let coupon = match form.coupon.trim() {
        "" => None,
        text => match CouponId::parse(text) {
            Ok(c) => Some(c),
            Err(_) => return confirm_again(page, scan, r.err_not_found.to_owned()),
        },
    };
    let amount = match (amount, key_ok) {
        (Ok(a), true) => a,
        (Err(e), _) => return confirm_again(page, scan, e.to_owned()),
        (Ok(_), false) => return confirm_again(page, scan, f.err_refused.to_owned()),
    };
    match state
        .app
        .pay_qr_with_coupon(session.customer_id(), &form.key, &payload, amount, coupon)
        .await
    {
        Ok(order) => DonePage {
            page,
            merchant_name: scan.merchant_name,
            order,
        }
        .into_response(),
        Err(e) => match coupon_message(page.r, &e)
            .or_else(|| forms::refusal(page.t, &e))
            .map(str::to_owned)
            .or_else(|| face_forms::refusal(f, &e))
        {
            Some(m) => confirm_again(page, scan, m),
            None => failed(e),
        },
    }
}

async fn pay_code(state: &AppState, session: &PageSession) -> Result<PayCodeShown, Response> {
    let shown = state
        .app
        .show_pay_code(session.customer_id())
        .await
        .map_err(failed)?;
    let digits = shown.code.expose_secret();
    let last4 = digits
        .get(digits.len().saturating_sub(4)..)
        .unwrap_or_default()
        .to_owned();
    Ok(PayCodeShown {
        svg: qr_svg::svg(digits, PAYCODE_PX).unwrap_or_default(),
        last4,
        refresh_s: PAYCODE_REFRESH_S,
    })
}

/// `GET /app/paycode`: my pay code.
pub(crate) async fn paycode_page(
    session: PageSession,
    State(state): State<AppState>,
    page: Page,
) -> Result<PayCodePage, Response> {
    let code = pay_code(&state, &session).await?;
    Ok(PayCodePage { page, code })
}

/// `GET /app/paycode/qr`: a fresh code, the fragment htmx swaps in.
pub(crate) async fn paycode_fragment(
    session: PageSession,
    State(state): State<AppState>,
) -> Result<PayCodeFragment, Response> {
    let code = pay_code(&state, &session).await?;
    Ok(PayCodeFragment { code })
}
