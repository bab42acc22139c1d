//! Campaigns (docs/rewards.md, "Campaigns"): event-triggered rules that grant coupons, with a
//! budget that can never be exceeded, a window, a target segment and A/B variants; the
//! calendar lists them in start order.
//!
//! The rule is the domain's [`CampaignRule`] (stored as JSON): its trigger, segment, window and
//! variant assignment decide. Each variant's reward is a coupon of a template
//! ([`Grant::Coupon`]). An award runs in one transaction: the campaign's row is locked, the event
//! looked up (the same event awards once), the customer's count and the budget checked, the
//! coupon issued under its template's own lock ([`App::issue_coupon_in`]), the grant written and
//! `granted_fen` raised under a guard — so concurrent triggers never pass either budget.
//!
//! Triggers wired: a customer's first card binding, and every captured payment (amount, the
//! merchant's MCC, the business date's weekday). The profile a segment sees is derived at the
//! event (`campaigns_segment.rs`): the engine's coarse stage (`New` at a first binding, `Active`
//! at a payment), the console's lifecycle stage and value tier, the BINs of the customer's
//! credit cards; no tags (none are stored yet). A captured payment also counts toward the
//! running lotteries' monthly spend tiers (`lottery_chances.rs`).

use cardlife_kernel::{CustomerId, Money};
use cardlife_rewards::RewardsError;
use cardlife_rewards::campaign::{Budget, EventKind, LifecycleStage, Segment, Variant};
pub use cardlife_rewards::campaign::{CampaignRule, Grant, Reward, Trigger};
use cardlife_rewards::ids::CampaignId;
use cardlife_store::audit;
use cardlife_store::rewards::campaigns::{CampaignRecord, CampaignStore, GrantRecord};
use cardlife_store::tx::Tx;
use jiff::Timestamp;

use super::coupons::{CouponTemplateId, LIST_MAX, check_name, operator_audit};
use crate::merchants::operators::{Operator, Role};
use crate::{App, AppError};

/// A campaign an operator asks for.
#[derive(Debug, Clone)]
pub struct NewCampaign {
    /// Shown in the calendar (1–40 characters, no markup).
    pub name: String,
    /// What triggers it: [`Trigger::FirstCardBinding`] or [`Trigger::Payment`].
    pub trigger: Trigger,
    /// Who it targets.
    pub segment: Segment,
    /// A/B variants: name, weight, and the template each award grants a coupon of.
    pub variants: Vec<(String, u32, CouponTemplateId)>,
    /// Most face value it may grant.
    pub budget: Money,
    /// First instant it runs.
    pub starts_at: Timestamp,
    /// First instant it no longer runs.
    pub ends_at: Timestamp,
    /// Awards per customer.
    pub per_customer: u32,
}

/// A campaign, as shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignView {
    /// `cmp_…`.
    pub id: CampaignId,
    /// Its name.
    pub name: String,
    /// The rule.
    pub rule: CampaignRule,
    /// Face value granted so far.
    pub granted: Money,
    /// Awards so far.
    pub grants: u32,
}

/// What one campaign did with one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A coupon was granted (or had been for this event: a replay).
    Granted {
        /// The campaign.
        campaign: CampaignId,
        /// The A/B variant.
        variant: usize,
        /// The coupon.
        coupon: uuid::Uuid,
    },
    /// The event did not qualify (trigger, segment or window).
    NotTriggered,
    /// A rule refused: the per-customer limit, the campaign's or the template's budget, stock
    /// or caps. Nothing was written.
    Refused(RewardsError),
}

fn kind_of(trigger: &Trigger) -> Result<&'static str, AppError> {
    match trigger {
        Trigger::FirstCardBinding => Ok("first_card_binding"),
        Trigger::Payment { .. } => Ok("payment"),
        Trigger::MonthlySpendTiers { .. } => Err(AppError::Rewards(RewardsError::InvalidConfig {
            reason: "monthly spend tiers are not offered for coupon campaigns yet",
        })),
    }
}

fn rule_of(c: &CampaignRecord) -> Result<CampaignRule, AppError> {
    serde_json::from_str(&c.rule_json)
        .map_err(|_| AppError::Storage(cardlife_store::StoreError::Corrupt("campaign rule")))
}

impl App {
    fn campaign_store(&self) -> CampaignStore {
        CampaignStore::new(self.db().clone())
    }

    /// Creates a campaign (campaign manager or admin). Bad terms change nothing.
    pub async fn create_campaign(
        &self,
        by: &Operator,
        new: NewCampaign,
    ) -> Result<CampaignView, AppError> {
        by.require(Role::CampaignManager)?;
        check_name(&new.name)?;
        let trigger_kind = kind_of(&new.trigger)?;
        let id = CampaignId::generate();
        let mut variants = Vec::with_capacity(new.variants.len());
        for (name, weight, template) in &new.variants {
            let t = self.coupon_template(template.as_uuid()).await?;
            variants.push(Variant {
                name: name.clone(),
                weight: *weight,
                reward: Reward::Fixed(Grant::Coupon {
                    template: *template,
                    face_value: t.terms.discount.face_value(),
                }),
            });
        }
        let first = new.variants.first().map(|v| v.2).ok_or(AppError::Rewards(
            RewardsError::InvalidConfig {
                reason: "a campaign needs a variant with positive weight",
            },
        ))?;
        let rule = CampaignRule {
            id,
            trigger: new.trigger,
            segment: new.segment,
            variants,
            budget: Budget {
                money: Some(new.budget),
                points: None,
            },
            starts_at: new.starts_at,
            ends_at: new.ends_at,
            per_customer: new.per_customer,
        };
        rule.validate().map_err(AppError::Rewards)?;
        if !new.budget.is_positive() {
            return Err(AppError::Rewards(RewardsError::InvalidConfig {
                reason: "a campaign needs a positive budget",
            }));
        }
        let now = self.clock().now();
        let record = CampaignRecord {
            id: id.as_uuid(),
            name: new.name.trim().to_owned(),
            trigger_kind: trigger_kind.to_owned(),
            rule_json: serde_json::to_string(&rule)
                .map_err(|_| AppError::Rewards(RewardsError::InvalidConfig { reason: "rule" }))?,
            template: first.as_uuid(),
            budget_fen: new.budget.fen(),
            granted_fen: 0,
            starts_at: rule.starts_at,
            ends_at: rule.ends_at,
            created_by: by.id.to_string(),
            created_at: now,
        };
        let mut tx = Tx::begin(self.db()).await?;
        CampaignStore::insert(&mut tx, &record).await?;
        let detail = serde_json::json!({
            "name": record.name, "trigger": trigger_kind, "budget": new.budget.to_string(),
            "variants": rule.variants.len(),
        });
        let entry = operator_audit(
            by,
            now,
            "campaign.create",
            "campaign",
            id.to_string(),
            detail,
        );
        audit::record(&mut tx, &entry).await?;
        tx.commit().await?;
        Ok(CampaignView {
            id,
            name: record.name,
            rule,
            granted: Money::cny(0),
            grants: 0,
        })
    }

    /// The activity calendar: every campaign in start order (any operator role).
    pub async fn campaign_calendar(&self, by: &Operator) -> Result<Vec<CampaignView>, AppError> {
        by.require_any(&[Role::Viewer, Role::CampaignManager, Role::RiskOfficer])?;
        let store = self.campaign_store();
        let mut out = Vec::new();
        for c in store.calendar(LIST_MAX).await? {
            let grants = store.grants(c.id).await?.len();
            out.push(CampaignView {
                id: CampaignId::from_uuid(c.id),
                name: c.name.clone(),
                rule: rule_of(&c)?,
                granted: Money::cny(c.granted_fen),
                grants: u32::try_from(grants).unwrap_or(u32::MAX),
            });
        }
        Ok(out)
    }

    /// Offers an event to every running campaign of its trigger; one outcome per campaign.
    /// `event` is the event's idempotency key (the same event awards once per campaign).
    pub async fn campaigns_on_event(
        &self,
        customer: CustomerId,
        event: &str,
        kind: &EventKind,
    ) -> Result<Vec<Outcome>, AppError> {
        let (trigger_kind, stage) = match kind {
            EventKind::CardBound { .. } => ("first_card_binding", LifecycleStage::New),
            EventKind::Payment { .. } => ("payment", LifecycleStage::Active),
            EventKind::MonthlySpend { .. } => return Ok(Vec::new()),
        };
        let now = self.clock().now();
        let mut out = Vec::new();
        for c in self.campaign_store().running(trigger_kind, now).await? {
            let rule = rule_of(&c)?;
            let profile = self.segment_profile(customer, stage, &rule.segment).await?;
            let qualifies = rule.is_running(now)
                && rule.segment.contains(&profile)
                && rule.trigger.units(kind) > 0;
            if !qualifies {
                out.push(Outcome::NotTriggered);
                continue;
            }
            out.push(self.award(&c, &rule, customer, event, now).await?);
        }
        Ok(out)
    }

    /// One award in one transaction (see the module comment).
    async fn award(
        &self,
        c: &CampaignRecord,
        rule: &CampaignRule,
        customer: CustomerId,
        event: &str,
        now: Timestamp,
    ) -> Result<Outcome, AppError> {
        let variant = rule.variant_of(customer);
        let Some(Reward::Fixed(Grant::Coupon {
            template,
            face_value,
        })) = rule.variants.get(variant).map(|v| &v.reward)
        else {
            return Ok(Outcome::NotTriggered);
        };
        let Some(t) = self.coupon_store().template(template.as_uuid()).await? else {
            return Ok(Outcome::Refused(RewardsError::CouponNotFound));
        };
        let mut tx = Tx::begin(self.db()).await?;
        let state = CampaignStore::lock_campaign(&mut tx, c.id, event, customer)
            .await?
            .ok_or(AppError::Rewards(RewardsError::CouponNotFound))?;
        if let Some(g) = state.existing {
            return Ok(Outcome::Granted {
                campaign: rule.id,
                variant: usize::try_from(g.variant).unwrap_or(0),
                coupon: g.coupon,
            });
        }
        if state.by_customer >= i64::from(rule.per_customer) {
            return Ok(Outcome::Refused(RewardsError::AlreadyClaimed {
                limit: rule.per_customer,
            }));
        }
        if state.granted_fen + face_value.fen() > c.budget_fen {
            return Ok(Outcome::Refused(RewardsError::BudgetExhausted {
                budget: Money::cny(c.budget_fen),
                issued: Money::cny(state.granted_fen),
            }));
        }
        let source = CampaignId::from_uuid(c.id).to_string();
        let coupon = match self
            .issue_coupon_in(&mut tx, &t, customer, &source, None, now)
            .await
        {
            Ok(coupon) => coupon,
            Err(AppError::Rewards(e)) => return Ok(Outcome::Refused(e)),
            Err(e) => return Err(e),
        };
        let grant = GrantRecord {
            campaign: c.id,
            event: event.to_owned(),
            customer,
            variant: i64::try_from(variant).unwrap_or(0),
            coupon: coupon.id,
            face_fen: face_value.fen(),
            granted_at: now,
        };
        CampaignStore::grant(&mut tx, &grant).await?;
        tx.commit().await?;
        Ok(Outcome::Granted {
            campaign: rule.id,
            variant,
            coupon: coupon.id,
        })
    }

    /// The first-binding trigger, called after a customer bound a card: offers the event to the
    /// running campaigns and logs (never propagates) a failure, so a binding never fails
    /// because of a campaign.
    pub(crate) async fn campaigns_on_card_bound(
        &self,
        customer: CustomerId,
        card: cardlife_kernel::CardId,
        first_binding: bool,
    ) {
        let event = format!("bind:{card}");
        let kind = EventKind::CardBound {
            card,
            first_binding,
        };
        if let Err(e) = self.campaigns_on_event(customer, &event, &kind).await {
            tracing::warn!(error = %e, "campaigns not evaluated for a card binding");
        }
    }

    /// The payment trigger, called after a payment was captured (same rules as above).
    pub(crate) async fn campaigns_on_payment(
        &self,
        customer: CustomerId,
        order: uuid::Uuid,
        amount: Money,
        mcc: &str,
    ) {
        self.lotteries_on_payment(customer, order, amount).await;
        let Some(mcc) = mcc
            .parse::<u16>()
            .ok()
            .and_then(|v| cardlife_rewards::Mcc::new(v).ok())
        else {
            return;
        };
        let event = format!("pay:{order}");
        let kind = EventKind::Payment {
            amount,
            mcc,
            date: self.business_date(),
        };
        if let Err(e) = self.campaigns_on_event(customer, &event, &kind).await {
            tracing::warn!(error = %e, "campaigns not evaluated for a payment");
        }
    }
}
