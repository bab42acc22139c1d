//! The console's risk decisions (docs/risk.md, "Shown"): `/console/risk`, the newest decisions
//! of every customer filterable by outcome, for risk officers, viewers and admins. A customer's
//! own decisions are in their 360 view (`console_records`).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use cardlife_app::risk::{self, DecisionView, RISK_ROLES};
use serde::Deserialize;

use super::i18n_risk::RiskTexts;
use super::page::Page;
use super::staff_session::OperatorPage;
use crate::AppState;
use crate::problem::ApiError;

/// Decisions the page shows.
const SHOWN: u32 = 100;

#[derive(Debug, Template, WebTemplate)]
#[template(path = "console/risk.html")]
pub(crate) struct RiskPage {
    page: Page,
    login: String,
    role: &'static str,
    rt: &'static RiskTexts,
    decisions: Vec<DecisionView>,
    /// The filter as applied: empty for all.
    outcome: String,
    error: Option<&'static str>,
}

/// `?outcome=deny`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RiskQuery {
    outcome: Option<String>,
}

/// `GET /console/risk`: a bad filter shows every decision with a message, answering 422.
pub(crate) async fn page(
    session: OperatorPage,
    State(state): State<AppState>,
    page: Page,
    Query(q): Query<RiskQuery>,
) -> Result<Response, Response> {
    session.require(&page, RISK_ROLES)?;
    let rt = page.lang.risk_texts();
    let (filter, error) = match risk::outcome_filter(q.outcome.as_deref()) {
        Ok(f) => (f, None),
        Err(_) => (None, Some(rt.err_outcome)),
    };
    let decisions = state
        .app
        .risk_decisions(&session.operator, filter, SHOWN)
        .await
        .map_err(|e| ApiError::from(e).into_response())?;
    let status = match error {
        Some(_) => StatusCode::UNPROCESSABLE_ENTITY,
        None => StatusCode::OK,
    };
    Ok((
        status,
        RiskPage {
            login: session.operator.login.clone(),
            role: session.operator.role.as_str(),
            rt,
            decisions,
            outcome: filter.map(|o| o.as_str().to_owned()).unwrap_or_default(),
            error,
            page,
        },
    )
        .into_response())
}
