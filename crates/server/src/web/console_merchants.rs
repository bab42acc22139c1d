//! The console's merchant review (docs/web.md, "Operator console"): pending applications with
//! approve and reject-with-reason, approved merchants with suspend-with-reason. Reading needs a
//! role that reads the review queue; deciding needs `merchant_reviewer` (or admin), checked here
//! and again by the use case. Every decision is audited by the use case. The signing key an
//! approval issues is not shown here: an operator never sees a merchant's secret.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use cardlife_app::console::{REVIEW_READERS, REVIEWERS};
use cardlife_app::merchants::{Decision, MerchantView};
use cardlife_kernel::MerchantId;
use serde::Deserialize;

use super::csrf::CsrfForm;
use super::errors::ErrorPage;
use super::face_forms;
use super::page::Page;
use super::staff_session::OperatorPage;
use crate::AppState;
use crate::problem::ApiError;

/// The longest reason accepted.
const REASON_LEN_MAX: usize = 200;

#[derive(Debug, Template, WebTemplate)]
#[template(path = "console/merchants.html")]
pub(crate) struct MerchantsPage {
    page: Page,
    login: String,
    role: &'static str,
    pending: Vec<MerchantView>,
    approved: Vec<MerchantView>,
    can_decide: bool,
    error: Option<String>,
    notice: Option<&'static str>,
}

/// A decision's form: a reason for reject and suspend.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct DecisionForm {
    reason: String,
}

/// `?done=1` after a decision.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct DoneQuery {
    done: Option<String>,
}

async fn render(
    state: &AppState,
    session: &OperatorPage,
    page: Page,
    error: Option<String>,
    notice: Option<&'static str>,
) -> Response {
    let app = &state.app;
    let op = &session.operator;
    let lists = async {
        Ok::<_, cardlife_app::AppError>((
            app.merchants_in(op, "pending").await?,
            app.merchants_in(op, "approved").await?,
        ))
    };
    match lists.await {
        Ok((pending, approved)) => {
            let status = if error.is_some() {
                StatusCode::UNPROCESSABLE_ENTITY
            } else {
                StatusCode::OK
            };
            (
                status,
                MerchantsPage {
                    can_decide: op.require_any(REVIEWERS).is_ok(),
                    login: op.login.clone(),
                    role: op.role.as_str(),
                    page,
                    pending,
                    approved,
                    error,
                    notice,
                },
            )
                .into_response()
        }
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// `GET /console/merchants`.
pub(crate) async fn queue(
    session: OperatorPage,
    State(state): State<AppState>,
    page: Page,
    axum::extract::Query(q): axum::extract::Query<DoneQuery>,
) -> Result<Response, Response> {
    session.require(&page, REVIEW_READERS)?;
    let notice = q.done.map(|_| page.f.decision_recorded);
    Ok(render(&state, &session, page, None, notice).await)
}

async fn decide(
    session: OperatorPage,
    state: AppState,
    page: Page,
    id: String,
    decision: Decision,
    form: DecisionForm,
) -> Result<Response, Response> {
    session.require(&page, REVIEWERS)?;
    let Ok(id) = MerchantId::parse(&id) else {
        return Err(ErrorPage::not_found(page).into_response());
    };
    let f = page.f;
    let reason = match decision {
        Decision::Approve => None,
        Decision::Reject | Decision::Suspend => {
            match face_forms::text(f, &form.reason, REASON_LEN_MAX) {
                Ok(r) => Some(r),
                Err(e) => return Ok(render(&state, &session, page, Some(e.to_owned()), None).await),
            }
        }
    };
    match state
        .app
        .review_merchant(&session.operator, id, decision, reason)
        .await
    {
        // The issued signing key is dropped here, unseen (see the module comment).
        Ok(_) => Ok(Redirect::to("/console/merchants?done=1").into_response()),
        Err(e) => match face_forms::refusal(f, &e) {
            Some(m) => Ok(render(&state, &session, page, Some(m), None).await),
            None => Err(ApiError::from(e).into_response()),
        },
    }
}

/// `POST /console/merchants/{id}/approve`.
pub(crate) async fn approve(
    session: OperatorPage,
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<DecisionForm>,
) -> Result<Response, Response> {
    decide(session, state, page, id, Decision::Approve, form).await
}

/// `POST /console/merchants/{id}/reject`.
pub(crate) async fn reject(
    session: OperatorPage,
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<DecisionForm>,
) -> Result<Response, Response> {
    decide(session, state, page, id, Decision::Reject, form).await
}

/// `POST /console/merchants/{id}/suspend`.
pub(crate) async fn suspend(
    session: OperatorPage,
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<DecisionForm>,
) -> Result<Response, Response> {
    decide(session, state, page, id, Decision::Suspend, form).await
}
