//! Risk decisions for operators (docs/risk.md, "Shown"): the newest decisions of every
//! customer, filterable by outcome (risk officer, viewer, admin).

use axum::Json;
use axum::extract::State;
use cardlife_app::risk::{self, DecisionView};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::AppState;
use crate::auth::OperatorSession;
use crate::extract::QueryParams;
use crate::problem::{ApiError, Problem};

/// Which decisions.
#[derive(Debug, Deserialize, IntoParams)]
pub(crate) struct DecisionsQuery {
    /// `allow`, `review` or `deny`; every outcome when absent.
    outcome: Option<String>,
    /// 1–200, default 50.
    limit: Option<u32>,
}

/// A recorded decision.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct DecisionOut {
    id: String,
    /// The customer decided about (`cus_…`).
    customer_id: String,
    /// `payment`.
    action: String,
    /// The payment order's id.
    order_id: Option<String>,
    /// `allow`, `review` or `deny`.
    outcome: String,
    /// 0–100.
    score: u32,
    /// Fired reason codes, e.g. `VELOCITY_10_MIN`.
    reasons: Vec<String>,
    /// RFC 3339.
    at: String,
}

impl From<DecisionView> for DecisionOut {
    fn from(d: DecisionView) -> Self {
        Self {
            id: d.id.to_string(),
            customer_id: d.customer.to_string(),
            action: d.action,
            order_id: d.object,
            outcome: d.outcome.as_str().to_owned(),
            score: d.score,
            reasons: d.reasons,
            at: d.at.to_string(),
        }
    }
}

/// The newest risk decisions, newest first (risk officer, viewer, admin).
#[utoipa::path(get, path = "/v1/operator/risk-decisions", tag = "operators",
    params(DecisionsQuery),
    responses((status = 200, body = [DecisionOut]),
        (status = 403, description = "FORBIDDEN_ROLE", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "INVALID_OUTCOME", body = Problem, content_type = "application/problem+json")),
    security(("session" = [])))]
pub(crate) async fn decisions(
    session: OperatorSession,
    State(state): State<AppState>,
    QueryParams(q): QueryParams<DecisionsQuery>,
) -> Result<Json<Vec<DecisionOut>>, ApiError> {
    let outcome = risk::outcome_filter(q.outcome.as_deref())?;
    let limit = q.limit.unwrap_or(50).clamp(1, risk::DECISIONS_PAGE_MAX);
    let rows = state
        .app
        .risk_decisions(session.operator(), outcome, limit)
        .await?;
    Ok(Json(rows.into_iter().map(DecisionOut::from).collect()))
}

#[derive(OpenApi)]
#[openapi(paths(decisions), components(schemas(DecisionOut)))]
pub(crate) struct RiskApi;
