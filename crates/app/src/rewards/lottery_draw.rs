//! One lottery draw (docs/rewards.md, "Lotteries"), in one transaction:
//!
//! 1. The random value is taken first, from the injected [`RandomSource`] (the operating
//!    system's CSPRNG in service, a seeded sequence in tests).
//! 2. The lottery's row is locked; a draw already made under the same `Idempotency-Key` is
//!    answered again and nothing changes. A closed lottery answers `LotteryClosed`.
//! 3. The customer's chances are brought up to date with their counted spend and the oldest
//!    usable one is taken; none answers `NoDrawChance` and nothing changes.
//! 4. The domain picks the prize by the stated odds and settles it against the prize's stock
//!    and the budgets read under the lock; a coupon prize is issued under its template's own
//!    lock (whose budget, stock and caps hold as well — a refusal there is "no prize" too).
//! 5. The chance is marked used, the prize counted under guarded updates (table CHECKs behind
//!    them), the draw recorded with its random value and a points prize recorded as owed —
//!    then commit. The owed points are credited right after the commit, once per draw
//!    (`lottery` movements referenced by the draw id); a credit that fails is retried by the
//!    sweep (`lottery_owed`).

use cardlife_kernel::CustomerId;
use cardlife_rewards::RewardsError;
use cardlife_rewards::lottery::{
    DrawOutcome, Left, LotteryId, NoPrizeReason, OsRandom, PrizeKind, RandomSource,
};
use cardlife_store::rewards::coupons::TemplateRecord;
use cardlife_store::rewards::lottery::{
    ChanceRecord, DrawRecord, LotteryRecord, LotteryStore, OwedPointsRecord, PrizeRecord,
};
use cardlife_store::tx::Tx;
use jiff::Timestamp;

use super::lottery::{DrawView, LotteryTerms, draw_view, terms_of};
use super::lottery_chances::{ChanceState, state_of};
use crate::{App, AppError};

fn refused(e: RewardsError) -> AppError {
    AppError::Rewards(e)
}

/// What is left of the budgets and of prize `picked`'s stock.
fn left_of(l: &LotteryRecord, prizes: &[PrizeRecord], picked: usize) -> Left {
    let stock = prizes
        .get(picked)
        .map_or(0, |p| u32::try_from(p.stock - p.awarded).unwrap_or(0));
    Left {
        money: cardlife_kernel::Money::cny(l.budget_fen - l.awarded_fen),
        points: cardlife_kernel::Points::new(l.points_budget - l.points_awarded),
        stock,
    }
}

/// The oldest chance usable now.
fn usable(spend: &[(String, i64)], chances: &[ChanceRecord]) -> Option<uuid::Uuid> {
    chances
        .iter()
        .find(|c| state_of(c, spend) == ChanceState::Available)
        .map(|c| c.id)
}

struct Settled {
    outcome: DrawOutcome,
    coupon: Option<uuid::Uuid>,
    face_fen: i64,
    points: i64,
}

impl App {
    /// Draws once in `lottery` for `customer` with the operating system's CSPRNG.
    pub async fn draw_lottery(
        &self,
        customer: CustomerId,
        lottery: LotteryId,
        key: &str,
    ) -> Result<DrawView, AppError> {
        let mut rng = OsRandom(rand::random::<u64>);
        self.draw_lottery_with(customer, lottery, key, &mut rng)
            .await
    }

    /// Draws once with `rng` as the source of the random value (see the module docs). The
    /// same `key` again answers the same draw.
    pub async fn draw_lottery_with(
        &self,
        customer: CustomerId,
        lottery: LotteryId,
        key: &str,
        rng: &mut dyn RandomSource,
    ) -> Result<DrawView, AppError> {
        let roll = rng.next_u64();
        let now = self.clock().now();
        // Read before the transaction, so it never waits on a second connection.
        let templates = self.prize_templates(lottery).await?;
        let mut tx = Tx::begin(self.db()).await?;
        let (l, prizes) = LotteryStore::lock(&mut tx, lottery.as_uuid())
            .await?
            .ok_or(refused(RewardsError::LotteryNotFound))?;
        if let Some(d) = LotteryStore::draw_by_key(&mut tx, l.id, customer, key).await? {
            return draw_view(&d, &prizes);
        }
        if !(l.starts_at <= now && now < l.ends_at) {
            return Err(refused(RewardsError::LotteryClosed {
                starts_at: l.starts_at,
                ends_at: l.ends_at,
            }));
        }
        let (spend, chances) = self.sync_chances(&mut tx, &l, customer, "draw").await?;
        let chance = usable(&spend, &chances).ok_or(refused(RewardsError::NoDrawChance))?;
        let terms = terms_of(&l, &prizes)?;
        let picked = terms
            .pick(roll)
            .ok_or(refused(RewardsError::InvalidConfig {
                reason: "the odds must sum to 10,000 basis points",
            }))?;
        let draw_id = uuid::Uuid::now_v7();
        let settled = self
            .settle_in(
                &mut tx,
                (&l, &prizes, &terms),
                &templates,
                customer,
                (picked, draw_id),
                now,
            )
            .await?;
        LotteryStore::use_chance(&mut tx, chance, now).await?;
        let (outcome, reason) = match settled.outcome {
            DrawOutcome::Prize { .. } => ("prize", None),
            DrawOutcome::NoPrize { reason, .. } => ("no_prize", Some(reason.code().to_owned())),
        };
        let record = DrawRecord {
            id: draw_id,
            lottery: l.id,
            customer,
            chance,
            key: key.to_owned(),
            random_value: roll.to_string(),
            picked: i64::try_from(picked).unwrap_or(i64::MAX),
            outcome: outcome.to_owned(),
            reason,
            coupon: settled.coupon,
            face_fen: settled.face_fen,
            points: settled.points,
            drawn_at: now,
        };
        let owed = record_in(&mut tx, &record).await?;
        tx.commit().await?;
        if let Some(o) = &owed {
            self.pay_owed_points_logged(o).await;
        }
        draw_view(&record, &prizes)
    }

    /// The coupon templates `lottery`'s prizes issue from.
    async fn prize_templates(&self, lottery: LotteryId) -> Result<Vec<TemplateRecord>, AppError> {
        let mut out = Vec::new();
        for p in self.lottery_store().prizes(lottery.as_uuid()).await? {
            if let Some(id) = p.template
                && let Some(t) = self.coupon_store().template(id).await?
            {
                out.push(t);
            }
        }
        Ok(out)
    }

    /// Settles `picked` inside `tx`: the domain decides against what is left; a coupon prize
    /// is issued (a refusal by its template is "no prize"); the award is counted.
    async fn settle_in(
        &self,
        tx: &mut Tx,
        (l, prizes, terms): (&LotteryRecord, &[PrizeRecord], &LotteryTerms),
        templates: &[TemplateRecord],
        customer: CustomerId,
        (picked, draw_id): (usize, uuid::Uuid),
        now: Timestamp,
    ) -> Result<Settled, AppError> {
        let nothing = |outcome| Settled {
            outcome,
            coupon: None,
            face_fen: 0,
            points: 0,
        };
        let outcome = terms.settle(picked, left_of(l, prizes, picked));
        let DrawOutcome::Prize { prize } = outcome else {
            return Ok(nothing(outcome));
        };
        let Some(p) = terms.prizes.get(prize) else {
            return Ok(nothing(outcome));
        };
        let mut coupon = None;
        if let PrizeKind::Coupon { template, .. } = &p.kind {
            let Some(t) = templates.iter().find(|t| t.id == template.as_uuid()) else {
                return Ok(nothing(no_prize(picked, NoPrizeReason::StockOut)));
            };
            let source = LotteryId::from_uuid(l.id).to_string();
            let key = format!("draw:{draw_id}");
            match self
                .issue_coupon_in(tx, t, customer, &source, Some(&key), now)
                .await
            {
                Ok(c) => coupon = Some(c.id),
                Err(AppError::Rewards(RewardsError::BudgetExhausted { .. })) => {
                    return Ok(nothing(no_prize(picked, NoPrizeReason::BudgetOut)));
                }
                Err(AppError::Rewards(_)) => {
                    return Ok(nothing(no_prize(picked, NoPrizeReason::StockOut)));
                }
                Err(e) => return Err(e),
            }
        }
        let (face_fen, points) = (p.money().fen(), p.points().value());
        let idx = i64::try_from(prize).unwrap_or(i64::MAX);
        LotteryStore::award(tx, l.id, idx, face_fen, points).await?;
        Ok(Settled {
            outcome,
            coupon,
            face_fen,
            points,
        })
    }
}

/// Records draw `d` inside its transaction and, for a points prize, the points it owes.
async fn record_in(tx: &mut Tx, d: &DrawRecord) -> Result<Option<OwedPointsRecord>, AppError> {
    LotteryStore::record_draw(tx, d).await?;
    if d.points <= 0 {
        return Ok(None);
    }
    let owed = OwedPointsRecord {
        draw: d.id,
        customer: d.customer,
        points: d.points,
        owed_at: d.drawn_at,
    };
    LotteryStore::owe_points(tx, &owed).await?;
    Ok(Some(owed))
}

fn no_prize(picked: usize, reason: NoPrizeReason) -> DrawOutcome {
    DrawOutcome::NoPrize { picked, reason }
}
