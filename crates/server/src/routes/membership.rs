//! Membership levels under `/v1` (docs/rewards.md, "Membership levels"): the logged-in
//! customer's tier, star value, benefits and tier history ([`CustomerSession`]); the programme,
//! readable by anyone; and for operators ([`InternalKey`] until operator roles exist) setting the
//! programme — weights, tiers, downgrade checkpoints — and evaluating a customer with the scores
//! the upstream scoring produced.

use axum::Json;
use axum::extract::{Path, State};
use cardlife_app::rewards::membership::{
    Evaluated, MembershipProgramme, MembershipView, StarScores, TierChange, TierTerms,
};
use cardlife_kernel::CustomerId;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use crate::AppState;
use crate::auth::{CustomerSession, InternalKey, Public};
use crate::extract::JsonBody;
use crate::problem::{ApiError, Problem};

/// A tier and its benefits.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct TierOut {
    /// Its code.
    code: String,
    /// The least star value that qualifies.
    threshold: i64,
    /// Benefits, in Chinese.
    benefits_zh: Vec<String>,
    /// Benefits, in English.
    benefits_en: Vec<String>,
}

impl From<TierTerms> for TierOut {
    fn from(t: TierTerms) -> Self {
        Self {
            code: t.code,
            threshold: t.threshold,
            benefits_zh: t.benefits_zh,
            benefits_en: t.benefits_en,
        }
    }
}

/// One span of the tier history.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct SpanOut {
    /// The tier.
    tier: String,
    /// `YYYY-MM-DD`: in force from this date (until the next span's).
    from: String,
}

/// The three scores of a star value.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Scores {
    /// Financial assets score (≥ 0).
    financial: i64,
    /// Spending score (≥ 0).
    spending: i64,
    /// Activity score (≥ 0).
    activity: i64,
}

/// A customer's membership.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct MembershipOut {
    /// The current tier.
    tier: TierOut,
    /// The next tier up, absent at the top.
    #[serde(skip_serializing_if = "Option::is_none")]
    next: Option<TierOut>,
    /// The latest star value (0 before the first evaluation).
    star: i64,
    /// The latest scores.
    scores: Scores,
    /// `YYYY-MM-DD` of the latest evaluation, absent before the first.
    #[serde(skip_serializing_if = "Option::is_none")]
    evaluated_on: Option<String>,
    /// The effective-dated tier history, oldest first.
    history: Vec<SpanOut>,
}

impl From<MembershipView> for MembershipOut {
    fn from(v: MembershipView) -> Self {
        Self {
            tier: v.tier.into(),
            next: v.next.map(Into::into),
            star: v.star,
            scores: Scores {
                financial: v.scores.financial,
                spending: v.scores.spending,
                activity: v.scores.activity,
            },
            evaluated_on: v.evaluated_on.map(|d| d.to_string()),
            history: v
                .history
                .into_iter()
                .map(|s| SpanOut {
                    tier: s.tier.to_string(),
                    from: s.from.to_string(),
                })
                .collect(),
        }
    }
}

/// An evaluation to run.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Evaluation {
    /// `YYYY-MM-DD`; today's business date when absent. Evaluations come in date order.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    on: Option<Date>,
    /// The scores.
    scores: Scores,
}

/// What an evaluation did.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct EvaluationOut {
    /// `upgraded`, `downgraded`, `held` (below the tier, waiting for a checkpoint) or `unchanged`.
    change: String,
    /// The membership after it.
    membership: MembershipOut,
}

impl From<Evaluated> for EvaluationOut {
    fn from(e: Evaluated) -> Self {
        let change = match e.change {
            TierChange::Upgraded { .. } => "upgraded",
            TierChange::Downgraded { .. } => "downgraded",
            TierChange::Held { .. } => "held",
            TierChange::Unchanged => "unchanged",
        };
        Self {
            change: change.to_owned(),
            membership: e.view.into(),
        }
    }
}

fn customer_id(text: &str) -> Result<CustomerId, ApiError> {
    CustomerId::parse(text).map_err(|e| ApiError::InvalidId {
        detail: format!("a customer id is `cus_` and 32 lowercase hex digits: {e}"),
    })
}

/// The logged-in customer's tier, star value, benefits and tier history.
#[utoipa::path(get, path = "/v1/me/membership", tag = "rewards", security(("session" = [])),
    responses(
        (status = 200, description = "The membership", body = MembershipOut),
        (status = 401, description = "UNAUTHENTICATED", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn mine(
    session: CustomerSession,
    State(state): State<AppState>,
) -> Result<Json<MembershipOut>, ApiError> {
    Ok(Json(
        state.app.my_membership(session.customer_id()).await?.into(),
    ))
}

/// The membership programme in force: weights, tiers with benefits, downgrade policy.
#[utoipa::path(get, path = "/v1/membership/programme", tag = "rewards",
    responses((status = 200, description = "The programme", body = Object)))]
pub(crate) async fn programme(
    _: Public,
    State(state): State<AppState>,
) -> Result<Json<MembershipProgramme>, ApiError> {
    Ok(Json(state.app.membership_programme().await?))
}

/// Sets the membership programme (weights as decimal strings, tiers lowest first with the
/// lowest at threshold 0, checkpoints as `[month, day]`, `months_below` or null).
#[utoipa::path(put, path = "/v1/internal/membership/programme", tag = "rewards",
    request_body = Object,
    responses(
        (status = 200, description = "Set", body = Object),
        (status = 401, description = "UNAUTHORIZED", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "INVALID_TERMS, INVALID_BODY; nothing was written", body = Problem, content_type = "application/problem+json"),
    ),
    security(("internal_token" = [])))]
pub(crate) async fn set_programme(
    _: InternalKey,
    State(state): State<AppState>,
    JsonBody(body): JsonBody<MembershipProgramme>,
) -> Result<Json<MembershipProgramme>, ApiError> {
    Ok(Json(state.app.set_membership_programme(body).await?))
}

/// Evaluates a customer with their scores: upgrade at once, downgrade only at a checkpoint.
#[utoipa::path(post, path = "/v1/internal/customers/{id}/membership/evaluations", tag = "rewards",
    params(("id" = String, Path, description = "`cus_…`")),
    request_body = Evaluation,
    responses(
        (status = 200, description = "Evaluated", body = EvaluationOut),
        (status = 400, description = "INVALID_ID", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "UNAUTHORIZED", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "NOT_FOUND", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "INVALID_TERMS (negative scores), EVALUATION_OUT_OF_ORDER", body = Problem, content_type = "application/problem+json"),
    ),
    security(("internal_token" = [])))]
pub(crate) async fn evaluate(
    _: InternalKey,
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<Evaluation>,
) -> Result<Json<EvaluationOut>, ApiError> {
    let customer = customer_id(&id)?;
    let on = body.on.unwrap_or_else(|| state.app.today());
    let scores = StarScores {
        financial: body.scores.financial,
        spending: body.scores.spending,
        activity: body.scores.activity,
    };
    Ok(Json(
        state
            .app
            .evaluate_membership(customer, on, scores)
            .await?
            .into(),
    ))
}

/// The membership part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(mine, programme, set_programme, evaluate),
    components(schemas(MembershipOut, TierOut, SpanOut, Scores, Evaluation, EvaluationOut))
)]
pub(crate) struct MembershipApi;
