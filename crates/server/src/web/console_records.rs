//! The console's records (docs/web.md, "Operator console"): the audit log (risk officer,
//! admin) and the customers list with each customer's 360 view (viewer, risk officer, admin):
//! masked phone, registration date, loans, debit cards (masked), payments, risk decisions.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use cardlife_app::AppError;
use cardlife_app::console::{AUDITORS, AuditRecord, CUSTOMER_ROLES, Customer360, CustomerSummary};
use cardlife_kernel::{BusinessZone, CustomerId, Money};
use jiff::Timestamp;

use super::errors::ErrorPage;
use super::i18n_lifecycle::LifecycleTexts;
use super::i18n_risk::RiskTexts;
use super::page::Page;
use super::staff_session::OperatorPage;
use crate::AppState;
use crate::problem::ApiError;

/// Audit entries shown.
const AUDIT_SHOWN: u32 = 100;

#[derive(Debug, Template, WebTemplate)]
#[template(path = "console/audit.html")]
pub(crate) struct AuditPage {
    page: Page,
    login: String,
    role: &'static str,
    entries: Vec<AuditRecord>,
}

#[derive(Debug, Template, WebTemplate)]
#[template(path = "console/customers.html")]
pub(crate) struct CustomersPage {
    page: Page,
    login: String,
    role: &'static str,
    customers: Vec<CustomerSummary>,
    lt: &'static LifecycleTexts,
}

#[derive(Debug, Template, WebTemplate)]
#[template(path = "console/customer.html")]
pub(crate) struct CustomerPage {
    page: Page,
    login: String,
    role: &'static str,
    c: Customer360,
    lt: &'static LifecycleTexts,
    rt: &'static RiskTexts,
}

/// An instant as the business zone's local time, `YYYY-MM-DD HH:MM`.
pub(crate) fn local(at: &Timestamp) -> String {
    at.to_zoned(BusinessZone::shanghai().time_zone().clone())
        .strftime("%Y-%m-%d %H:%M")
        .to_string()
}

/// A payment order's stored id as people see it (`ord_…`); any other text as it is.
pub(crate) fn order_label(stored: &str) -> String {
    match uuid::Uuid::parse_str(stored) {
        Ok(id) => cardlife_app::merchants::vocabulary::PaymentOrderId::from_uuid(id).to_string(),
        Err(_) => stored.to_owned(),
    }
}

/// Fen as yuan, `12.50`.
pub(crate) fn yuan(fen: &i64) -> String {
    Money::cny(*fen).to_string()
}

fn failed(e: AppError) -> Response {
    ApiError::from(e).into_response()
}

/// `GET /console/audit`.
pub(crate) async fn audit(
    session: OperatorPage,
    State(state): State<AppState>,
    page: Page,
) -> Result<Response, Response> {
    session.require(&page, AUDITORS)?;
    let entries = state
        .app
        .audit_log(&session.operator, AUDIT_SHOWN)
        .await
        .map_err(failed)?;
    Ok(AuditPage {
        page,
        login: session.operator.login.clone(),
        role: session.operator.role.as_str(),
        entries,
    }
    .into_response())
}

/// `GET /console/customers`.
pub(crate) async fn customers(
    session: OperatorPage,
    State(state): State<AppState>,
    page: Page,
) -> Result<Response, Response> {
    session.require(&page, CUSTOMER_ROLES)?;
    let customers = state
        .app
        .console_customers(&session.operator)
        .await
        .map_err(failed)?;
    Ok(CustomersPage {
        lt: page.lang.lifecycle_texts(),
        page,
        login: session.operator.login.clone(),
        role: session.operator.role.as_str(),
        customers,
    }
    .into_response())
}

/// `GET /console/customers/{id}`: one customer's 360 view.
pub(crate) async fn customer(
    session: OperatorPage,
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
) -> Result<Response, Response> {
    session.require(&page, CUSTOMER_ROLES)?;
    let Ok(id) = CustomerId::parse(&id) else {
        return Err(ErrorPage::not_found(page).into_response());
    };
    match state.app.customer_360(&session.operator, id).await {
        Ok(c) => Ok(CustomerPage {
            lt: page.lang.lifecycle_texts(),
            rt: page.lang.risk_texts(),
            page,
            login: session.operator.login.clone(),
            role: session.operator.role.as_str(),
            c,
        }
        .into_response()),
        Err(AppError::Merchants(cardlife_app::merchants::MerchantsError::NotFound(_))) => {
            Err(ErrorPage::not_found(page).into_response())
        }
        Err(e) => Err(failed(e)),
    }
}
