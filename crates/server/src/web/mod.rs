//! The platform's web faces, rendered on the server (docs/web.md): the cardholder H5 app under
//! `/app`, the merchant portal under `/merchant`, the operator console under `/console`, the
//! development SMS page under `/dev`, and the static assets under `/assets`.
//!
//! - `page`: the context every template gets (language, elder mode, CSRF token);
//!   `i18n`: every string, one table per language; `cookies`: reading and writing cookies.
//! - `csrf`: the double-submit token and the [`csrf::CsrfForm`] extractor every POST form uses;
//!   `headers`: the security headers; `session`: the page flavour of the customer session.
//! - `forms`: field checks and refusal messages; `errors`: the 403 and 400 pages.
//! - One file per page group: `app_auth` (login, registration), `app_home` (home, me, settings,
//!   logout), `app_pay` (pay a merchant code, my pay code), `merchant_auth` (application, staff
//!   login), `merchant_portal` (status, QR codes, orders, refunds), `console_auth`, `console`
//!   (dashboard), `console_merchants` (review), `console_records` (audit, customers), `dev` (the
//!   SMS outbox); `assets` serves the embedded files.
//! - `app_rewards`, `console_coupons`, `i18n_rewards`: the cardholder's coupons, the console's
//!   coupon and campaign setup, and their strings; `app_group_buys`, `i18n_group_buy`: the
//!   cardholder's group buys and their strings; `app_flash_sales`, `i18n_flash_sale`: the
//!   cardholder's flash sales and their strings.
//! - `app_bills`, `app_borrow`, `app_cards`: bills and repayment, loans, my cards;
//!   `card_forms`, `i18n_cards`: their field checks, once-per-form guard and strings.
//! - `staff_session`: the operator and merchant page sessions; `face_forms`, `i18n_faces`: the
//!   field checks and strings of the pay pages, portal and console; `qr_svg`: QR codes as SVG.
//! - `console_risk`, `i18n_risk`: the console's risk decisions page and the strings it and the
//!   360 view's risk section use (docs/risk.md).

mod app_auth;
mod app_bill_installments;
mod app_bills;
mod app_borrow;
mod app_cards;
mod app_flash_sales;
mod app_group_buys;
mod app_home;
mod app_identity;
mod app_lotteries;
mod app_pay;
mod app_points;
mod app_rewards;
mod assets;
mod card_forms;
mod console;
mod console_auth;
mod console_coupons;
mod console_lotteries;
mod console_merchants;
mod console_records;
mod console_risk;
mod cookies;
mod csrf;
mod dev;
mod errors;
mod face_forms;
mod forms;
mod headers;
mod i18n;
mod i18n_cards;
mod i18n_faces;
mod i18n_flash_sale;
mod i18n_group_buy;
mod i18n_identity;
mod i18n_installments;
mod i18n_lifecycle;
mod i18n_lottery;
mod i18n_points;
pub(crate) mod i18n_rewards;
mod i18n_risk;
mod merchant_auth;
mod merchant_developer;
mod merchant_portal;
mod merchant_rewards;
mod merchant_settlements;
mod page;
mod qr_image;
mod qr_svg;
mod session;
mod staff_session;

use std::sync::Arc;

use axum::Router;
use axum::middleware;
use axum::routing::{get, post};
use cardlife_app::customers::DevOutbox;

use crate::AppState;

/// The cardholder's bills, borrowing and cards (docs/web.md, "Bills, borrow and my cards").
fn card_routes() -> Router<AppState> {
    Router::new()
        .route("/app/bills", get(app_bills::bills))
        .route("/app/bills/{id}", get(app_bills::account))
        .route(
            "/app/bills/{id}/statements/{date}",
            get(app_bills::statement),
        )
        .route("/app/bills/{id}/repay", post(app_bills::repay))
        .route(
            "/app/bills/{id}/installment/quote",
            post(app_bill_installments::quote),
        )
        .route(
            "/app/bills/{id}/installment/book",
            post(app_bill_installments::book),
        )
        .route("/app/borrow", get(app_borrow::borrow))
        .route("/app/borrow/quote", post(app_borrow::quote))
        .route("/app/borrow/book", post(app_borrow::book))
        .route("/app/cards", get(app_cards::cards))
        .route("/app/cards/debit", post(app_cards::bind_debit))
        .route("/app/cards/credit", post(app_cards::bind_credit))
}

/// My points, the points mall and the membership card (docs/web.md, "Points, mall and
/// membership").
fn points_routes() -> Router<AppState> {
    Router::new()
        .route("/app/points", get(app_points::points))
        .route("/app/mall", get(app_points::mall))
        .route("/app/mall/order", post(app_points::order))
        .route("/app/mall/return", post(app_points::give_back))
        .route("/app/membership", get(app_points::membership))
        .route("/app/invite", get(app_points::invite))
        .route("/app/invite/bind", post(app_points::bind))
}

/// The merchant portal (docs/web.md, "Merchant portal").
fn merchant_routes() -> Router<AppState> {
    Router::new()
        .route(
            "/merchant/apply",
            get(merchant_auth::apply_page).post(merchant_auth::apply),
        )
        .route(
            "/merchant/login",
            get(merchant_auth::login_page).post(merchant_auth::login),
        )
        .route("/merchant/logout", post(merchant_auth::logout))
        .route("/merchant", get(merchant_portal::home))
        .route(
            "/merchant/qr",
            get(merchant_portal::qr).post(merchant_portal::create_qr),
        )
        .route(
            "/merchant/orders",
            get(merchant_portal::orders).post(merchant_portal::create_order),
        )
        .route("/merchant/orders/{id}", get(merchant_portal::order))
        .route("/merchant/developer", get(merchant_developer::developer))
        .route(
            "/merchant/cashier-rewards",
            get(merchant_rewards::cashier_rewards),
        )
        .route(
            "/merchant/settlements",
            get(merchant_settlements::settlements),
        )
        .route(
            "/merchant/settlements/{date}/reconciliation.csv",
            get(merchant_settlements::reconciliation),
        )
        .route(
            "/merchant/developer/keys",
            post(merchant_developer::rotate_key),
        )
        .route(
            "/merchant/developer/webhook",
            post(merchant_developer::set_webhook),
        )
        .route(
            "/merchant/orders/{id}/refund",
            post(merchant_portal::refund),
        )
}

/// The operator console (docs/web.md, "Operator console").
fn console_routes() -> Router<AppState> {
    Router::new()
        .route(
            "/console/login",
            get(console_auth::login_page).post(console_auth::login),
        )
        .route("/console/logout", post(console_auth::logout))
        .route("/console", get(console::dashboard))
        .route("/console/dashboard/data", get(console::dashboard_data))
        .route("/console/merchants", get(console_merchants::queue))
        .route(
            "/console/merchants/{id}/approve",
            post(console_merchants::approve),
        )
        .route(
            "/console/merchants/{id}/reject",
            post(console_merchants::reject),
        )
        .route(
            "/console/merchants/{id}/suspend",
            post(console_merchants::suspend),
        )
        .route("/console/audit", get(console_records::audit))
        .route("/console/customers", get(console_records::customers))
        .route("/console/customers/{id}", get(console_records::customer))
        .route("/console/risk", get(console_risk::page))
        .route("/console/campaigns", get(console_coupons::page))
        .route(
            "/console/campaigns/templates",
            post(console_coupons::create_template),
        )
        .route(
            "/console/campaigns/new",
            post(console_coupons::create_campaign),
        )
        .route(
            "/console/lotteries",
            get(console_lotteries::page).post(console_lotteries::create),
        )
}

/// The page routes, with the CSRF token and the security headers on every answer. `dev_outbox`
/// is `Some` only in development mode, and only then is `/dev/sms` mounted.
pub(crate) fn routes(dev_outbox: Option<Arc<DevOutbox>>) -> Router<AppState> {
    let pages = Router::new()
        .route("/app", get(app_home::home))
        .route("/app/me", get(app_home::me))
        .route("/app/me/real-name", post(app_identity::set_real_name))
        .route(
            "/app/me/devices/{id}/sign-out",
            post(app_identity::sign_out_device),
        )
        .route("/app/prefs", post(app_home::prefs))
        .route("/app/logout", post(app_home::logout))
        .route("/app/logout-everywhere", post(app_home::logout_everywhere))
        .route(
            "/app/login",
            get(app_auth::login_page).post(app_auth::login_password),
        )
        .route("/app/login/code/send", post(app_auth::login_send_code))
        .route("/app/login/code", post(app_auth::login_code))
        .route(
            "/app/register",
            get(app_auth::register_page).post(app_auth::register),
        )
        .route("/app/register/code", post(app_auth::register_send_code))
        .route("/app/pay", get(app_pay::pay_page))
        .route("/app/pay/scan", post(app_pay::scan))
        .route("/app/pay/scan-image", post(app_pay::scan_image))
        .route("/app/pay/confirm", post(app_pay::confirm))
        .route("/app/paycode", get(app_pay::paycode_page))
        .route("/app/paycode/qr", get(app_pay::paycode_fragment))
        .route("/app/rewards", get(app_rewards::rewards))
        .route("/app/rewards/claim", post(app_rewards::claim))
        .route("/app/group-buys", get(app_group_buys::group_buys))
        .route("/app/lotteries", get(app_lotteries::lotteries))
        .route("/app/lotteries/draw", post(app_lotteries::draw))
        .route("/app/group-buys/start", post(app_group_buys::start))
        .route("/app/group-buys/join", post(app_group_buys::join))
        .route("/app/flash-sales", get(app_flash_sales::flash_sales))
        .route("/app/flash-sales/{id}/claim", post(app_flash_sales::claim))
        .merge(card_routes())
        .merge(points_routes())
        .merge(merchant_routes())
        .merge(console_routes());
    let pages = match dev_outbox {
        Some(outbox) => pages.merge(dev::routes(outbox)),
        None => pages,
    };
    // Assets get the headers but no CSRF cookie: a cacheable answer never sets a cookie.
    pages
        .layer(middleware::from_fn(csrf::ensure_token))
        .route("/assets/{*path}", get(assets::asset))
        .layer(middleware::from_fn(headers::stamp))
}
