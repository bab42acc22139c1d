//! Lotteries (docs/rewards.md, "Lotteries"): a campaign kind where monthly spend tiers grant
//! draw chances, and each chance draws once from prizes with stated odds within the prize's
//! stock and the lottery's budgets.
//!
//! - Creating one (campaign manager, admin): the terms are the domain's
//!   [`LotteryTerms`] and [`SpendTierRule`], checked before anything is written; coupon prizes
//!   name templates that exist (their face value is what a prize costs the budget). Audited as
//!   `lottery.create` in the same transaction.
//! - Chances (`lottery_chances.rs`): every captured payment counts toward the customer's month.
//! - Draws (`lottery_draw.rs`): one chance, one random value, one settled outcome, recorded.

use cardlife_kernel::{Money, Points};
use cardlife_rewards::RewardsError;
use cardlife_rewards::campaign::SpendTierRule;
use cardlife_rewards::ids::CouponTemplateId;
pub use cardlife_rewards::lottery::{
    DrawId, LotteryId, LotteryPrize, LotteryTerms, NoPrizeReason, ODDS_TOTAL_BP, PrizeKind,
    RandomSource, SeededRandom,
};
use cardlife_store::audit;
use cardlife_store::rewards::lottery::{DrawRecord, LotteryRecord, LotteryStore, PrizeRecord};
use cardlife_store::tx::Tx;
use jiff::Timestamp;

use super::coupons::{LIST_MAX, check_name, operator_audit};
use crate::merchants::operators::{Operator, Role};
use crate::{App, AppError};

/// Draws shown per lottery on the console and to the customer, newest first.
pub const DRAWS_SHOWN_MAX: u32 = 50;

/// A lottery an operator asks for (parsed by `lottery_terms.rs`).
#[derive(Debug, Clone)]
pub struct NewLottery {
    /// Shown to customers (1–40 characters, no markup).
    pub name: String,
    /// The spend tiers and the target segment.
    pub rule: SpendTierRule,
    /// The prizes, odds and budgets.
    pub terms: LotteryTerms,
    /// First instant it runs.
    pub starts_at: Timestamp,
    /// First instant it no longer runs.
    pub ends_at: Timestamp,
}

/// A prize as shown, with what was awarded of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrizeView {
    /// The prize.
    pub prize: LotteryPrize,
    /// Units awarded so far.
    pub awarded: u32,
}

/// A lottery, as shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LotteryView {
    /// `ltr_…`.
    pub id: LotteryId,
    /// Its name.
    pub name: String,
    /// Tiers and segment.
    pub rule: SpendTierRule,
    /// Prizes in display order, with their stated odds.
    pub prizes: Vec<PrizeView>,
    /// Most coupon face value the draws may award.
    pub budget: Money,
    /// Coupon face value awarded.
    pub awarded: Money,
    /// Most points the draws may award.
    pub points_budget: Points,
    /// Points awarded.
    pub points_awarded: Points,
    /// First instant it runs.
    pub starts_at: Timestamp,
    /// First instant it no longer runs.
    pub ends_at: Timestamp,
}

/// A draw, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DrawView {
    /// `drw_…`.
    pub id: DrawId,
    /// The lottery.
    pub lottery: LotteryId,
    /// Who drew (shown to operators only).
    pub customer: cardlife_kernel::CustomerId,
    /// The chance used (`chc_…`).
    pub chance: cardlife_rewards::lottery::ChanceId,
    /// The uniform random value the draw used.
    pub random_value: u64,
    /// The prize the odds picked (index into the lottery's prizes).
    pub picked: usize,
    /// The prize's name.
    pub picked_name: String,
    /// Whether it was awarded; `None` = awarded, else why nothing was.
    pub no_prize: Option<NoPrizeReason>,
    /// The coupon awarded.
    pub coupon: Option<uuid::Uuid>,
    /// Points awarded.
    pub points: Points,
    /// When.
    pub drawn_at: Timestamp,
}

pub(crate) fn corrupt(what: &'static str) -> AppError {
    AppError::Storage(cardlife_store::StoreError::Corrupt(what))
}

/// The domain's prize from its stored row.
pub(crate) fn prize_of(p: &PrizeRecord) -> Result<LotteryPrize, AppError> {
    let kind = match (p.kind.as_str(), p.template) {
        ("coupon", Some(t)) => PrizeKind::Coupon {
            template: CouponTemplateId::from_uuid(t),
            face_value: Money::cny(p.face_fen),
        },
        ("points", _) => PrizeKind::Points(Points::new(p.points)),
        ("none", _) => PrizeKind::Nothing,
        _ => return Err(corrupt("lottery prize")),
    };
    Ok(LotteryPrize {
        name: p.name.clone(),
        odds_bp: u32::try_from(p.odds_bp).map_err(|_| corrupt("prize odds"))?,
        kind,
        stock: u32::try_from(p.stock).map_err(|_| corrupt("prize stock"))?,
    })
}

fn prize_row(idx: usize, p: &LotteryPrize) -> PrizeRecord {
    let (kind, template) = match &p.kind {
        PrizeKind::Coupon { template, .. } => ("coupon", Some(template.as_uuid())),
        PrizeKind::Points(_) => ("points", None),
        PrizeKind::Nothing => ("none", None),
    };
    PrizeRecord {
        idx: i64::try_from(idx).unwrap_or(i64::MAX),
        name: p.name.trim().to_owned(),
        kind: kind.to_owned(),
        template,
        face_fen: p.money().fen(),
        points: p.points().value(),
        odds_bp: i64::from(p.odds_bp),
        stock: if p.is_prize() { i64::from(p.stock) } else { 0 },
        awarded: 0,
    }
}

/// The terms of a stored lottery (prizes in order, budgets).
pub(crate) fn terms_of(
    l: &LotteryRecord,
    prizes: &[PrizeRecord],
) -> Result<LotteryTerms, AppError> {
    Ok(LotteryTerms {
        prizes: prizes.iter().map(prize_of).collect::<Result<_, _>>()?,
        budget: Money::cny(l.budget_fen),
        points_budget: Points::new(l.points_budget),
    })
}

pub(crate) fn rule_of(l: &LotteryRecord) -> Result<SpendTierRule, AppError> {
    serde_json::from_str(&l.rule_json).map_err(|_| corrupt("lottery rule"))
}

pub(crate) fn lottery_view(
    l: &LotteryRecord,
    prizes: &[PrizeRecord],
) -> Result<LotteryView, AppError> {
    let awarded = |p: &PrizeRecord| u32::try_from(p.awarded).unwrap_or(0);
    Ok(LotteryView {
        id: LotteryId::from_uuid(l.id),
        name: l.name.clone(),
        rule: rule_of(l)?,
        prizes: prizes
            .iter()
            .map(|p| {
                Ok(PrizeView {
                    prize: prize_of(p)?,
                    awarded: awarded(p),
                })
            })
            .collect::<Result<_, AppError>>()?,
        budget: Money::cny(l.budget_fen),
        awarded: Money::cny(l.awarded_fen),
        points_budget: Points::new(l.points_budget),
        points_awarded: Points::new(l.points_awarded),
        starts_at: l.starts_at,
        ends_at: l.ends_at,
    })
}

pub(crate) fn draw_view(d: &DrawRecord, prizes: &[PrizeRecord]) -> Result<DrawView, AppError> {
    let picked = usize::try_from(d.picked).map_err(|_| corrupt("draw pick"))?;
    let no_prize = match d.reason.as_deref() {
        None => None,
        Some("blank") => Some(NoPrizeReason::Blank),
        Some("stock_out") => Some(NoPrizeReason::StockOut),
        Some("budget_out") => Some(NoPrizeReason::BudgetOut),
        Some(_) => return Err(corrupt("draw reason")),
    };
    Ok(DrawView {
        id: DrawId::from_uuid(d.id),
        lottery: LotteryId::from_uuid(d.lottery),
        customer: d.customer,
        chance: cardlife_rewards::lottery::ChanceId::from_uuid(d.chance),
        random_value: d
            .random_value
            .parse()
            .map_err(|_| corrupt("draw random value"))?,
        picked,
        picked_name: prizes
            .get(picked)
            .map(|p| p.name.clone())
            .unwrap_or_default(),
        no_prize,
        coupon: d.coupon,
        points: Points::new(d.points),
        drawn_at: d.drawn_at,
    })
}

fn invalid(reason: &'static str) -> AppError {
    AppError::Rewards(RewardsError::InvalidConfig { reason })
}

impl App {
    pub(crate) fn lottery_store(&self) -> LotteryStore {
        LotteryStore::new(self.db().clone())
    }

    /// Creates a lottery (campaign manager or admin). Bad terms change nothing.
    pub async fn create_lottery(
        &self,
        by: &Operator,
        new: NewLottery,
    ) -> Result<LotteryView, AppError> {
        by.require(Role::CampaignManager)?;
        check_name(&new.name)?;
        new.rule.validate().map_err(AppError::Rewards)?;
        new.terms.validate().map_err(AppError::Rewards)?;
        if new.starts_at >= new.ends_at {
            return Err(invalid("a lottery must start before it ends"));
        }
        let mut terms = new.terms;
        for p in &mut terms.prizes {
            if let PrizeKind::Coupon {
                template,
                face_value,
            } = &mut p.kind
            {
                // The template must exist; its face value is what the prize costs the budget.
                let t = self.coupon_template(template.as_uuid()).await?;
                *face_value = t.terms.discount.face_value();
            }
        }
        let id = LotteryId::generate();
        let now = self.clock().now();
        let record = LotteryRecord {
            id: id.as_uuid(),
            name: new.name.trim().to_owned(),
            rule_json: serde_json::to_string(&new.rule).map_err(|_| invalid("rule"))?,
            budget_fen: terms.budget.fen(),
            awarded_fen: 0,
            points_budget: terms.points_budget.value(),
            points_awarded: 0,
            starts_at: new.starts_at,
            ends_at: new.ends_at,
            created_by: by.id.to_string(),
            created_at: now,
        };
        let prizes: Vec<PrizeRecord> = terms
            .prizes
            .iter()
            .enumerate()
            .map(|(i, p)| prize_row(i, p))
            .collect();
        let mut tx = Tx::begin(self.db()).await?;
        LotteryStore::insert(&mut tx, &record, &prizes).await?;
        let detail = serde_json::json!({
            "name": record.name, "tiers": new.rule.tiers.len(), "prizes": prizes.len(),
            "budget": terms.budget.to_string(), "points_budget": terms.points_budget.value(),
        });
        let entry = operator_audit(by, now, "lottery.create", "lottery", id.to_string(), detail);
        audit::record(&mut tx, &entry).await?;
        tx.commit().await?;
        lottery_view(&record, &prizes)
    }

    /// Every lottery in start order with its prizes and what was awarded (any operator role).
    pub async fn lotteries(&self, by: &Operator) -> Result<Vec<LotteryView>, AppError> {
        by.require_any(&[Role::Viewer, Role::CampaignManager, Role::RiskOfficer])?;
        let store = self.lottery_store();
        let mut out = Vec::new();
        for l in store.list(LIST_MAX).await? {
            let prizes = store.prizes(l.id).await?;
            out.push(lottery_view(&l, &prizes)?);
        }
        Ok(out)
    }

    /// A lottery's draws, newest first (any operator role): the audit list.
    pub async fn lottery_draws(
        &self,
        by: &Operator,
        lottery: LotteryId,
    ) -> Result<Vec<DrawView>, AppError> {
        by.require_any(&[Role::Viewer, Role::CampaignManager, Role::RiskOfficer])?;
        let store = self.lottery_store();
        if store.lottery(lottery.as_uuid()).await?.is_none() {
            return Err(AppError::Rewards(RewardsError::LotteryNotFound));
        }
        let prizes = store.prizes(lottery.as_uuid()).await?;
        store
            .draws(lottery.as_uuid(), DRAWS_SHOWN_MAX)
            .await?
            .iter()
            .map(|d| draw_view(d, &prizes))
            .collect()
    }
}
