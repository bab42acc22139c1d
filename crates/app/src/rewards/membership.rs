//! Membership levels (docs/rewards.md, "Membership levels"): a star value from weighted scores
//! (the weights are data, in the programme document an operator sets), a ladder of tiers with
//! their benefits, upgrades at once and downgrades only at checkpoints (or after N months below),
//! and the effective-dated tier history. The rules are the domain's ([`Membership`],
//! [`TierLadder`], [`StarWeights`]); this module keeps the programme and each customer's
//! membership in the store.

use cardlife_kernel::{CustomerId, Rate};
use cardlife_rewards::TierCode;
pub use cardlife_rewards::membership::{
    DowngradePolicy, StarScores, StarWeights, TierChange, TierSpan,
};
use cardlife_rewards::membership::{Membership, StarValue, Tier, TierLadder};
use cardlife_store::rewards::membership::{MembershipRecord, MembershipStore};
use jiff::civil::Date;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::points::refused;
use crate::{App, AppError};

/// One tier of the programme and what it gives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TierTerms {
    /// Its code (`standard`, `silver`, …).
    pub code: String,
    /// The least star value that qualifies.
    pub threshold: i64,
    /// Benefits, in Chinese.
    pub benefits_zh: Vec<String>,
    /// Benefits, in English.
    pub benefits_en: Vec<String>,
}

/// The membership programme: weights, tiers (lowest first) and the downgrade policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MembershipProgramme {
    /// Weights of the three scores.
    pub weights: StarWeights,
    /// Tiers, lowest first; the lowest has threshold 0 and everyone qualifies for it.
    pub tiers: Vec<TierTerms>,
    /// When a customer below their tier may move down.
    pub downgrade: DowngradePolicy,
}

fn rate(text: &str) -> Rate {
    Rate::new(text.parse::<Decimal>().unwrap_or(Decimal::ONE))
}

impl MembershipProgramme {
    /// The programme until an operator sets one: ABC-style star value (financial 0.5, spending
    /// 0.3, activity 0.2), four tiers, checkpoints on 1 January and 1 July, or six months below.
    pub fn standard() -> Self {
        let tier = |code: &str, threshold, zh: &[&str], en: &[&str]| TierTerms {
            code: code.to_owned(),
            threshold,
            benefits_zh: zh.iter().map(|s| (*s).to_owned()).collect(),
            benefits_en: en.iter().map(|s| (*s).to_owned()).collect(),
        };
        Self {
            weights: StarWeights {
                financial: rate("0.5"),
                spending: rate("0.3"),
                activity: rate("0.2"),
            },
            tiers: vec![
                tier("standard", 0, &["消费积分"], &["Points on spending"]),
                tier(
                    "silver",
                    1_000,
                    &["生日月双倍积分"],
                    &["Double points in your birthday month"],
                ),
                tier(
                    "gold",
                    5_000,
                    &["生日月双倍积分", "机场贵宾厅每年 2 次"],
                    &[
                        "Double points in your birthday month",
                        "Airport lounge twice a year",
                    ],
                ),
                tier(
                    "platinum",
                    20_000,
                    &["生日月三倍积分", "机场贵宾厅不限次", "专属客户经理"],
                    &[
                        "Triple points in your birthday month",
                        "Unlimited airport lounge",
                        "A personal relationship manager",
                    ],
                ),
            ],
            downgrade: DowngradePolicy {
                checkpoints: vec![(1, 1), (7, 1)],
                months_below: Some(6),
            },
        }
    }

    /// The domain ladder; refused when the tiers are out of order or the floor is not 0.
    pub fn ladder(&self) -> Result<TierLadder, AppError> {
        if self.tiers.first().is_none_or(|t| t.threshold != 0) {
            return Err(refused(cardlife_rewards::RewardsError::InvalidConfig {
                reason: "the lowest tier's threshold is 0",
            }));
        }
        TierLadder::new(
            self.tiers
                .iter()
                .map(|t| Tier {
                    code: TierCode::new(&t.code),
                    threshold: StarValue(t.threshold),
                })
                .collect(),
        )
        .map_err(refused)
    }

    fn validate(&self) -> Result<(), AppError> {
        self.ladder()?;
        let w = self.weights;
        if [w.financial, w.spending, w.activity]
            .iter()
            .any(|r| r.is_negative())
        {
            return Err(refused(cardlife_rewards::RewardsError::InvalidConfig {
                reason: "a star weight must not be negative",
            }));
        }
        let bad_checkpoint = self.downgrade.checkpoints.iter().any(|&(m, d)| {
            Date::new(2024, m, d).is_err() // 2024 is a leap year: 29 February is allowed
        });
        let bad_names = self.tiers.iter().any(|t| {
            t.code.is_empty()
                || t.code.len() > 32
                || !t.code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
        });
        if bad_checkpoint || bad_names {
            return Err(refused(cardlife_rewards::RewardsError::InvalidConfig {
                reason: "checkpoints are real (month, day) pairs and tier codes lowercase words",
            }));
        }
        Ok(())
    }
}

/// A customer's membership.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MembershipView {
    /// The current tier and its benefits.
    pub tier: TierTerms,
    /// The next tier up, if any.
    pub next: Option<TierTerms>,
    /// The latest star value (0 before the first evaluation).
    pub star: i64,
    /// The latest scores.
    pub scores: StarScores,
    /// The latest evaluation date, if any.
    pub evaluated_on: Option<Date>,
    /// The effective-dated tier history, oldest first.
    pub history: Vec<TierSpan>,
}

/// What one evaluation did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluated {
    /// The change.
    pub change: TierChange,
    /// The membership after it.
    pub view: MembershipView,
}

fn corrupt(what: &'static str) -> AppError {
    AppError::Storage(cardlife_store::StoreError::Corrupt(what))
}

impl App {
    fn membership_store(&self) -> MembershipStore {
        MembershipStore::new(self.db().clone())
    }

    /// The programme in force (the standard one until an operator sets another).
    pub async fn membership_programme(&self) -> Result<MembershipProgramme, AppError> {
        match self.membership_store().programme().await? {
            Some(text) => serde_json::from_str(&text).map_err(|_| corrupt("membership programme")),
            None => Ok(MembershipProgramme::standard()),
        }
    }

    /// Sets the programme (an operator action); checked first, nothing written when refused.
    pub async fn set_membership_programme(
        &self,
        programme: MembershipProgramme,
    ) -> Result<MembershipProgramme, AppError> {
        programme.validate()?;
        let text =
            serde_json::to_string(&programme).map_err(|_| corrupt("membership programme"))?;
        self.membership_store()
            .set_programme(&text, self.clock().now())
            .await?;
        Ok(programme)
    }

    fn view_of(
        programme: &MembershipProgramme,
        membership: &Membership,
        record: Option<&MembershipRecord>,
    ) -> Result<MembershipView, AppError> {
        let current = membership.current().as_str();
        let at = programme
            .tiers
            .iter()
            .position(|t| t.code == current)
            .ok_or(corrupt("membership tier"))?;
        Ok(MembershipView {
            tier: programme.tiers[at].clone(),
            next: programme.tiers.get(at + 1).cloned(),
            star: record.map_or(0, |r| r.star),
            scores: StarScores {
                financial: record.map_or(0, |r| r.financial),
                spending: record.map_or(0, |r| r.spending),
                activity: record.map_or(0, |r| r.activity),
            },
            evaluated_on: record
                .map(|r| {
                    r.evaluated_on
                        .parse()
                        .map_err(|_| corrupt("membership date"))
                })
                .transpose()?,
            history: membership.history().to_vec(),
        })
    }

    /// The customer's membership: the lowest tier from their first day until evaluated.
    pub async fn my_membership(&self, customer: CustomerId) -> Result<MembershipView, AppError> {
        let programme = self.membership_programme().await?;
        let record = self.membership_store().membership(customer).await?;
        let membership = self
            .membership_of(customer, &programme, record.as_ref())
            .await?;
        Self::view_of(&programme, &membership, record.as_ref())
    }

    async fn membership_of(
        &self,
        customer: CustomerId,
        programme: &MembershipProgramme,
        record: Option<&MembershipRecord>,
    ) -> Result<Membership, AppError> {
        match record {
            Some(r) => serde_json::from_str(&r.data).map_err(|_| corrupt("membership")),
            None => {
                let me = self.customer(customer).await?;
                let since = cardlife_kernel::BusinessZone::shanghai().date_of(me.registered_at);
                let floor = programme
                    .tiers
                    .first()
                    .ok_or(corrupt("membership programme"))?;
                Ok(Membership::new(TierCode::new(&floor.code), since))
            }
        }
    }

    /// Evaluates the customer on `on` with `scores` (from the upstream scoring of assets,
    /// spending and activity): upgrade at once, downgrade only at a checkpoint. Evaluations must
    /// come in date order.
    pub async fn evaluate_membership(
        &self,
        customer: CustomerId,
        on: Date,
        scores: StarScores,
    ) -> Result<Evaluated, AppError> {
        if [scores.financial, scores.spending, scores.activity]
            .iter()
            .any(|s| *s < 0)
        {
            return Err(refused(cardlife_rewards::RewardsError::InvalidConfig {
                reason: "scores are not negative",
            }));
        }
        let programme = self.membership_programme().await?;
        let ladder = programme.ladder()?;
        let store = self.membership_store();
        let record = store.membership(customer).await?;
        let mut membership = self
            .membership_of(customer, &programme, record.as_ref())
            .await?;
        let star = programme.weights.star_value(scores).map_err(refused)?;
        let change = membership
            .evaluate(on, star, &ladder, &programme.downgrade)
            .map_err(refused)?;
        let saved = MembershipRecord {
            data: serde_json::to_string(&membership).map_err(|_| corrupt("membership"))?,
            tier: membership.current().as_str().to_owned(),
            star: star.0,
            financial: scores.financial,
            spending: scores.spending,
            activity: scores.activity,
            evaluated_on: on.to_string(),
            version: record.as_ref().map_or(1, |r| r.version + 1),
        };
        if !store.save(customer, &saved).await? {
            return Err(AppError::Merchants(
                crate::merchants::MerchantsError::Conflict,
            ));
        }
        Ok(Evaluated {
            change,
            view: Self::view_of(&programme, &membership, Some(&saved))?,
        })
    }
}
