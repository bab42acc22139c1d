//! The console's dashboard (docs/web.md, "Operator console"): registrations, payments (count
//! and amount), revenue (MDR fees) per business day and payments by hour of day, computed by the
//! app over the stored data. The page carries the figures in a table (readable without
//! JavaScript) and the charts fetch the same figures as JSON from `/console/dashboard/data`:
//! the policy allows no inline script.

use askama::Template;
use askama_web::WebTemplate;
use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use cardlife_app::console::{DASHBOARD_ROLES, Dashboard};
use serde::Serialize;

use super::page::Page;
use super::staff_session::OperatorPage;
use crate::AppState;
use crate::problem::ApiError;

#[derive(Debug, Template, WebTemplate)]
#[template(path = "console/dashboard.html")]
pub(crate) struct DashboardPage {
    page: Page,
    login: String,
    role: &'static str,
    dashboard: Dashboard,
}

/// The charts' figures. Amounts are yuan as decimal strings (the charts only draw them).
#[derive(Debug, Serialize)]
pub(crate) struct ChartData {
    days: Vec<String>,
    registrations: Vec<i64>,
    payments: Vec<i64>,
    amount: Vec<String>,
    revenue: Vec<String>,
    by_hour: Vec<i64>,
    labels: ChartLabels,
}

/// The series names in the page's language.
#[derive(Debug, Serialize)]
pub(crate) struct ChartLabels {
    registrations: &'static str,
    payments: &'static str,
    amount: &'static str,
    revenue: &'static str,
    by_hour: &'static str,
}

/// `GET /console`.
pub(crate) async fn dashboard(
    session: OperatorPage,
    State(state): State<AppState>,
    page: Page,
) -> Result<Response, Response> {
    session.require(&page, DASHBOARD_ROLES)?;
    let dashboard = state
        .app
        .dashboard(&session.operator)
        .await
        .map_err(|e| ApiError::from(e).into_response())?;
    Ok(DashboardPage {
        page,
        login: session.operator.login.clone(),
        role: session.operator.role.as_str(),
        dashboard,
    }
    .into_response())
}

/// `GET /console/dashboard/data`: the dashboard's figures as JSON, for the charts.
pub(crate) async fn dashboard_data(
    session: OperatorPage,
    State(state): State<AppState>,
    page: Page,
) -> Result<Response, Response> {
    session.require(&page, DASHBOARD_ROLES)?;
    let d = state
        .app
        .dashboard(&session.operator)
        .await
        .map_err(|e| ApiError::from(e).into_response())?;
    let f = page.f;
    Ok(Json(ChartData {
        days: d.days.iter().map(|x| x.label.clone()).collect(),
        registrations: d.days.iter().map(|x| x.registrations).collect(),
        payments: d.days.iter().map(|x| x.payments).collect(),
        amount: d.days.iter().map(|x| x.amount.to_string()).collect(),
        revenue: d.days.iter().map(|x| x.revenue.to_string()).collect(),
        by_hour: d.by_hour.to_vec(),
        labels: ChartLabels {
            registrations: f.chart_registrations,
            payments: f.chart_payments,
            amount: f.chart_amount,
            revenue: f.chart_revenue,
            by_hour: f.chart_by_hour,
        },
    })
    .into_response())
}
