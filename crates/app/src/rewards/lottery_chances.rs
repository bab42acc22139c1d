//! Draw chances from monthly spend tiers (docs/rewards.md, "Lotteries").
//!
//! Every captured payment (the `campaigns_on_payment` hook, after the capture committed) is
//! offered to each running lottery: if the payer is in the lottery's target segment at that
//! moment, the payment counts toward their month (business dates, Asia/Shanghai) once per
//! order, and the tiers the month's spend now reaches grant their chances — once per tier per
//! month, whatever the order or number of payments. The month's spend is always read net of
//! what those orders have refunded since, so a refund that drops it below a tier suspends that
//! tier's unused chances (a drawn chance stays drawn) and later spend restores them.

use cardlife_kernel::{CustomerId, Money};
use cardlife_rewards::campaign::{LifecycleStage, SpendTier, SpendTierRule, month_of};
use cardlife_rewards::lottery::ChanceId;
use cardlife_store::rewards::lottery::{ChanceRecord, LotteryRecord, LotteryStore};
use cardlife_store::tx::Tx;
use jiff::Timestamp;

use super::lottery::{DRAWS_SHOWN_MAX, DrawView, LotteryView, draw_view, lottery_view, rule_of};
use crate::{App, AppError};

/// A chance's standing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChanceState {
    /// Usable now.
    Available,
    /// Not usable while refunds keep its month below its tier.
    Suspended,
    /// Drawn.
    Used,
}

/// One chance, as its holder sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChanceView {
    /// `chc_…`.
    pub id: ChanceId,
    /// `YYYY-MM-01`.
    pub month: String,
    /// The tier's threshold.
    pub min_spend: Money,
    /// Its standing.
    pub state: ChanceState,
}

/// A running lottery as one customer sees it: the stated odds, their chances and draws.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MyLottery {
    /// The lottery (prizes with their stated odds, tiers).
    pub lottery: LotteryView,
    /// This month's counted spend, net of refunds.
    pub month_spend: Money,
    /// The next tier this month, if any.
    pub next_tier: Option<SpendTier>,
    /// Every chance, oldest first.
    pub chances: Vec<ChanceView>,
    /// The customer's draws, newest first.
    pub draws: Vec<DrawView>,
}

impl MyLottery {
    /// Chances usable now.
    pub fn available(&self) -> usize {
        self.chances
            .iter()
            .filter(|c| c.state == ChanceState::Available)
            .count()
    }
}

/// The chances `rule` grants for a month with `net` spend, as rows to insert once.
fn chances_for(
    lottery: &LotteryRecord,
    rule: &SpendTierRule,
    customer: CustomerId,
    (month, net): (&str, i64),
    event: &str,
    now: Timestamp,
) -> Vec<ChanceRecord> {
    let mut out = Vec::new();
    for g in rule.reached(Money::cny(net)) {
        for n in 0..g.chances {
            out.push(ChanceRecord {
                id: uuid::Uuid::now_v7(),
                lottery: lottery.id,
                customer,
                month: month.to_owned(),
                tier: i64::try_from(g.tier).unwrap_or(i64::MAX),
                n: i64::from(n),
                min_spend_fen: g.min_spend.fen(),
                state: "available".to_owned(),
                event: event.to_owned(),
                granted_at: now,
            });
        }
    }
    out
}

/// The standing of `c` given the months' net spend.
pub(crate) fn state_of(c: &ChanceRecord, spend: &[(String, i64)]) -> ChanceState {
    if c.state == "used" {
        return ChanceState::Used;
    }
    let net = spend
        .iter()
        .find(|(m, _)| *m == c.month)
        .map_or(0, |(_, n)| *n);
    if net >= c.min_spend_fen {
        ChanceState::Available
    } else {
        ChanceState::Suspended
    }
}

impl App {
    /// Grants inside `tx` whatever chances `customer`'s counted spend reaches and were not
    /// granted yet; returns the months' net spend and every chance after the grant.
    pub(crate) async fn sync_chances(
        &self,
        tx: &mut Tx,
        lottery: &LotteryRecord,
        customer: CustomerId,
        event: &str,
    ) -> Result<(Vec<(String, i64)>, Vec<ChanceRecord>), AppError> {
        let rule = rule_of(lottery)?;
        let now = self.clock().now();
        let spend = LotteryStore::spend_by_month(tx, lottery.id, customer).await?;
        let mut rows = Vec::new();
        for (month, net) in &spend {
            rows.extend(chances_for(
                lottery,
                &rule,
                customer,
                (month.as_str(), *net),
                event,
                now,
            ));
        }
        if !rows.is_empty() {
            LotteryStore::grant_chances(tx, &rows).await?;
        }
        let chances = LotteryStore::chances_in(tx, lottery.id, customer).await?;
        Ok((spend, chances))
    }

    /// Counts captured payment `order` of `amount` toward every running lottery whose segment
    /// holds `customer`; a failure is logged, never propagated (a payment never fails because
    /// of a lottery).
    pub(crate) async fn lotteries_on_payment(
        &self,
        customer: CustomerId,
        order: uuid::Uuid,
        amount: Money,
    ) {
        if let Err(e) = self.count_spend(customer, order, amount).await {
            tracing::warn!(error = %e, %order, "lotteries not evaluated for a payment");
        }
    }

    async fn count_spend(
        &self,
        customer: CustomerId,
        order: uuid::Uuid,
        amount: Money,
    ) -> Result<(), AppError> {
        if !amount.is_positive() {
            return Ok(());
        }
        let now = self.clock().now();
        let month = month_of(self.business_date()).to_string();
        let event = format!("pay:{order}");
        for l in self.lottery_store().running(now).await? {
            let rule = rule_of(&l)?;
            let currency = rule.tiers.first().map(|t| t.min_spend.currency());
            if currency != Some(amount.currency()) {
                continue;
            }
            let profile = self
                .segment_profile(customer, LifecycleStage::Active, &rule.segment)
                .await?;
            if !rule.segment.contains(&profile) {
                continue;
            }
            let mut tx = Tx::begin(self.db()).await?;
            let counted = LotteryStore::record_spend(
                &mut tx,
                l.id,
                &event,
                customer,
                &month,
                order,
                amount.fen(),
                now,
            )
            .await?;
            if counted {
                self.sync_chances(&mut tx, &l, customer, &event).await?;
            }
            tx.commit().await?;
        }
        Ok(())
    }

    /// The running lotteries as `customer` sees them: the stated odds, their spend this month,
    /// chances and draws. Reads only.
    pub async fn my_lotteries(&self, customer: CustomerId) -> Result<Vec<MyLottery>, AppError> {
        let now = self.clock().now();
        let month = month_of(self.business_date()).to_string();
        let store = self.lottery_store();
        let mut out = Vec::new();
        for l in store.running(now).await? {
            let prizes = store.prizes(l.id).await?;
            let view = lottery_view(&l, &prizes)?;
            let (spend, chances) = store.standing(l.id, customer).await?;
            let month_spend = Money::cny(
                spend
                    .iter()
                    .find(|(m, _)| *m == month)
                    .map_or(0, |(_, n)| *n),
            );
            let next_tier = view
                .rule
                .tiers
                .iter()
                .find(|t| t.min_spend.fen() > month_spend.fen())
                .cloned();
            let draws = store
                .draws_of(l.id, customer, DRAWS_SHOWN_MAX)
                .await?
                .iter()
                .map(|d| draw_view(d, &prizes))
                .collect::<Result<_, _>>()?;
            out.push(MyLottery {
                chances: chances
                    .iter()
                    .map(|c| ChanceView {
                        id: ChanceId::from_uuid(c.id),
                        month: c.month.clone(),
                        min_spend: Money::cny(c.min_spend_fen),
                        state: state_of(c, &spend),
                    })
                    .collect(),
                lottery: view,
                month_spend,
                next_tier,
                draws,
            });
        }
        Ok(out)
    }
}
