//! Risk decisions (docs/risk.md): the payment path asks [`cardlife_risk`] for a decision on
//! facts read in one indexed row (`payment`), records every decision, and the console and the
//! operator API read them back here.

mod error;
pub(crate) mod payment;

use cardlife_kernel::CustomerId;
pub use cardlife_risk::{Outcome, Policy, Reason};
use cardlife_store::risk::{DecisionRecord, RiskStore};
use jiff::Timestamp;

use crate::merchants::operators::{Operator, Role};
use crate::{App, AppError};
pub use error::RiskError;

/// Who may read risk decisions: risk officers and viewers (and admins), like the customers
/// pages.
pub const RISK_ROLES: &[Role] = &[Role::RiskOfficer, Role::Viewer];
/// Decisions a customer's 360 view shows.
pub const CUSTOMER_DECISIONS_SHOWN: u32 = 20;
/// The most decisions one list answers.
pub const DECISIONS_PAGE_MAX: u32 = cardlife_store::risk::DECISIONS_PAGE_MAX;

/// A recorded decision, as shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionView {
    /// The decision's id.
    pub id: uuid::Uuid,
    /// Whom it was about.
    pub customer: CustomerId,
    /// `payment`.
    pub action: String,
    /// The payment order decided on.
    pub object: Option<String>,
    /// What happened.
    pub outcome: Outcome,
    /// 0–100.
    pub score: u32,
    /// The fired reasons' codes (stable UPPER_SNAKE strings).
    pub reasons: Vec<String>,
    /// When.
    pub at: Timestamp,
}

impl TryFrom<DecisionRecord> for DecisionView {
    type Error = AppError;

    fn try_from(r: DecisionRecord) -> Result<Self, AppError> {
        let outcome = Outcome::parse(&r.outcome).ok_or(AppError::Storage(
            cardlife_store::StoreError::Corrupt("risk outcome"),
        ))?;
        Ok(Self {
            id: r.id,
            customer: r.customer,
            action: r.action,
            object: r.object,
            outcome,
            score: u32::try_from(r.score).unwrap_or(0),
            reasons: r
                .reasons
                .split(',')
                .filter(|c| !c.is_empty())
                .map(str::to_owned)
                .collect(),
            at: r.at,
        })
    }
}

/// The outcome a filter names: `None` for every outcome (an empty or absent filter).
pub fn outcome_filter(text: Option<&str>) -> Result<Option<Outcome>, AppError> {
    match text.map(str::trim) {
        None | Some("") => Ok(None),
        Some(t) => Outcome::parse(t)
            .map(Some)
            .ok_or(RiskError::UnknownOutcome.into()),
    }
}

impl App {
    /// The same app deciding with `policy` (the demo world and tests tune thresholds).
    #[must_use]
    pub fn with_risk(self, policy: Policy) -> Self {
        Self {
            risk: std::sync::Arc::new(policy),
            ..self
        }
    }

    pub(crate) fn risk_policy(&self) -> &Policy {
        &self.risk
    }

    pub(crate) fn risk_store(&self) -> RiskStore {
        RiskStore::new(self.db().clone())
    }

    /// The newest decisions of every customer, only those of `outcome` when given.
    pub async fn risk_decisions(
        &self,
        by: &Operator,
        outcome: Option<Outcome>,
        limit: u32,
    ) -> Result<Vec<DecisionView>, AppError> {
        by.require_any(RISK_ROLES)?;
        self.risk_store()
            .newest(outcome.map(Outcome::as_str), limit)
            .await?
            .into_iter()
            .map(DecisionView::try_from)
            .collect()
    }

    /// The customer's newest decisions, for the 360 view (its caller checked the role).
    pub(crate) async fn customer_risk_decisions(
        &self,
        customer: CustomerId,
    ) -> Result<Vec<DecisionView>, AppError> {
        self.risk_store()
            .of_customer(customer, CUSTOMER_DECISIONS_SHOWN)
            .await?
            .into_iter()
            .map(DecisionView::try_from)
            .collect()
    }
}
