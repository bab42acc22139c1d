//! The payment path's decision (docs/risk.md, "On the payment path"): the payer's profile read
//! by its primary key (the one read added to a payment), the decision, and what the payment's
//! first transaction writes with it. A deny is recorded on its own and refuses the payment.

use cardlife_kernel::{BusinessZone, CustomerId, Money};
use cardlife_risk::{Decision, Outcome, PaymentFacts, Profile, Window, decide_payment};
use cardlife_store::batch::Batch;
use cardlife_store::risk::{DecisionRecord, ProfileRecord, RiskStore};
use cardlife_store::tx::Tx;
use jiff::Timestamp;

use super::RiskError;
use crate::{App, AppError};

/// A payment's decision, ready to be written in the payment's first transaction.
#[derive(Debug)]
pub(crate) struct PaymentRisk {
    payer: CustomerId,
    decision: Decision,
    record: DecisionRecord,
    /// The profile's version as read (`None`: none yet) and the profile after this payment.
    profile: (Option<i64>, ProfileRecord),
}

/// What a payment is, for its decision.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PaymentAsked<'a> {
    pub(crate) payer: CustomerId,
    pub(crate) order: uuid::Uuid,
    pub(crate) amount: Money,
    pub(crate) channel: &'a str,
    pub(crate) at: Timestamp,
}

fn count(n: i64) -> u32 {
    u32::try_from(n.max(0)).unwrap_or(u32::MAX)
}

fn profile_of(r: &ProfileRecord) -> Profile {
    Profile {
        short: Window {
            start: r.short_start,
            count: count(r.short_count),
        },
        long: Window {
            start: r.long_start,
            count: count(r.long_count),
        },
        payments: count(r.payments),
        usual: Money::cny(r.usual_fen),
    }
}

fn record_of(p: &Profile) -> ProfileRecord {
    ProfileRecord {
        short_start: p.short.start,
        short_count: i64::from(p.short.count),
        long_start: p.long.start,
        long_count: i64::from(p.long.count),
        payments: i64::from(p.payments),
        usual_fen: p.usual.fen(),
        version: 0,
    }
}

/// What was decided on, as stored: amounts, counts and the local hour — nothing secret.
fn facts_json(
    asked: &PaymentAsked<'_>,
    f: &PaymentFacts,
    policy: &cardlife_risk::Policy,
) -> String {
    let hour = BusinessZone::shanghai()
        .time_zone()
        .to_datetime(asked.at)
        .hour();
    serde_json::json!({
        "amount": asked.amount.to_string(),
        "channel": asked.channel,
        "payments_10_min": f.profile.short.live(asked.at, policy.velocity_short.window),
        "payments_1_hour": f.profile.long.live(asked.at, policy.velocity_long.window),
        "payments_before": f.profile.payments,
        "usual_amount": f.profile.usual.to_string(),
        "local_hour": hour,
    })
    .to_string()
}

impl App {
    /// Decides on a payment from the payer's profile as `stored` (read by the caller beside its
    /// own reads); a deny is recorded at once and answers [`RiskError::Declined`].
    pub(crate) async fn decide_payment(
        &self,
        asked: PaymentAsked<'_>,
        stored: Option<ProfileRecord>,
    ) -> Result<PaymentRisk, AppError> {
        let policy = self.risk_policy();
        let profile = stored.as_ref().map(profile_of).unwrap_or_default();
        let facts = PaymentFacts {
            at: asked.at,
            amount: asked.amount,
            profile,
            // Payments do not name their device yet (docs/risk.md, "Not done").
            device_first_seen: None,
        };
        let decision = decide_payment(policy, &facts);
        let record = DecisionRecord {
            id: uuid::Uuid::now_v7(),
            customer: asked.payer,
            action: "payment".to_owned(),
            object: Some(asked.order.to_string()),
            outcome: decision.outcome.as_str().to_owned(),
            score: i64::from(decision.score),
            reasons: decision.codes(),
            facts: facts_json(&asked, &facts, policy),
            at: asked.at,
        };
        let lengths = (policy.velocity_short.window, policy.velocity_long.window);
        let after = profile.after(asked.at, asked.amount, lengths);
        let risk = PaymentRisk {
            payer: asked.payer,
            record,
            profile: (stored.map(|s| s.version), record_of(&after)),
            decision,
        };
        if risk.decision.outcome == Outcome::Deny {
            let mut tx = Tx::begin(self.db()).await?;
            RiskStore::record(&mut tx, &risk.record).await?;
            tx.commit().await?;
            return Err(RiskError::Declined {
                reasons: risk.record.reasons.clone(),
            }
            .into());
        }
        Ok(risk)
    }
}

/// The statements writing an allowed (or reviewed) payment's decision and the payer's new
/// profile, for the payment's first transaction. Returns the profile's place in `batch`: the
/// caller refuses the payment as a conflict when it touched no row (another payment changed the
/// profile meanwhile, like the QR spend).
pub(crate) fn push_payment_risk(batch: &mut Batch, risk: &PaymentRisk) -> usize {
    batch.push(RiskStore::record_stmt(&risk.record));
    let (version, profile) = &risk.profile;
    batch.push(RiskStore::put_profile_stmt(risk.payer, *version, profile))
}
