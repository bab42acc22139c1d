//! Cashier incentives (e客行-style; docs/merchants.md, "Cashier incentives"): an operator's
//! programme pays a fixed reward per successful QR payment a cashier takes, from a budget
//! account on the ledger.
//!
//! | Account | Code | Flags |
//! |---|---|---|
//! | the bank's marketing funding account (the coupons' bank funder) | 50 | none |
//! | a programme's budget account | 52 | `debits_must_not_exceed_credits`, `history` |
//! | a cashier's incentive payable (owed to the staff member) | 34 | none |
//!
//! | Step | Transfer | Code |
//! |---|---|---|
//! | programme set up | marketing → budget, the whole budget | 321 |
//! | a rewarded capture | budget → cashier payable, the reward | 322 |
//! | a same-day full refund (clawback) | cashier payable → budget, the reward | 323 |
//!
//! Each payment is decided by `payments::incentive::IncentiveLedger` on a snapshot of the
//! programme (what is left of the budget and what the cashier earned that day); the decision is
//! then stored by conditional statements (`store::merchants::incentives::IncentiveStore::grant`)
//! which refuse when a concurrent capture got there first, so the budget and the daily cap hold
//! under any interleaving; the ledger's flag on the budget account backs it up.

use cardlife_kernel::{BusinessZone, MerchantId, Money};
use cardlife_ledger::{Account, AccountFlags, CreateTransferResult, Transfer, TransferFlags};
use cardlife_payments::error::IncentiveError;
use cardlife_payments::incentive::{CashierId, Clawback, IncentiveLedger, IncentivePlan};
use cardlife_payments::order::PaymentOrderId;
use cardlife_rewards::coupon::FundingSource;
use cardlife_store::audit;
use cardlife_store::merchants::incentives::{
    CashierTotals, IncentiveStore, PlanRecord, RewardRecord,
};
use cardlife_store::merchants::orders::OrderRecord;
use cardlife_store::merchants::staff::StaffStore;
use cardlife_store::tx::Tx;
use jiff::civil::Date;

use super::MerchantsError;
use super::funding::{LEDGER_CNY, derived_id, ensure_accounts};
use super::operators::{Operator, Role};
use crate::rewards::coupon_ledger::{CODE_COUPON_FUNDER, funder_account};
use crate::rewards::coupons::operator_audit;
use crate::{App, AppError};

/// Account code of a programme's budget account.
pub const CODE_INCENTIVE_BUDGET: u16 = 52;
/// Account code of a cashier's incentive payable.
pub const CODE_CASHIER_PAYABLE: u16 = 34;
/// Transfer code: a programme's budget funded.
pub const CODE_INCENTIVE_FUNDING: u16 = 321;
/// Transfer code: a reward paid to a cashier.
pub const CODE_CASHIER_REWARD: u16 = 322;
/// Transfer code: a reward clawed back.
pub const CODE_CASHIER_CLAWBACK: u16 = 323;

/// The ledger account of a programme's budget.
pub fn incentive_budget_account(plan: uuid::Uuid) -> u128 {
    derived_id("cashier-incentive-budget", plan.as_bytes(), 0)
}

/// The ledger account owing a cashier (a merchant staff member) their rewards.
pub fn cashier_payable_account(staff: uuid::Uuid) -> u128 {
    derived_id("cashier-incentive-payable", staff.as_bytes(), 0)
}

/// The terms of a new programme.
#[derive(Debug, Clone)]
pub struct NewIncentivePlan {
    /// Shown to operators.
    pub name: String,
    /// Reward per qualifying payment.
    pub reward: Money,
    /// Smallest qualifying payment.
    pub min_payment: Money,
    /// Per cashier per business date.
    pub daily_cap: Money,
    /// The whole budget, moved to the programme's budget account.
    pub budget: Money,
}

/// A programme as shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncentivePlanView {
    /// The programme.
    pub id: uuid::Uuid,
    /// Its name.
    pub name: String,
    /// Reward per qualifying payment.
    pub reward: Money,
    /// Smallest qualifying payment.
    pub min_payment: Money,
    /// Per cashier per business date.
    pub daily_cap: Money,
    /// The whole budget.
    pub budget: Money,
    /// Held by standing rewards.
    pub granted: Money,
    /// The budget's ledger account.
    pub budget_account: u128,
    /// Whether it is the running programme.
    pub running: bool,
}

/// One cashier's standing rewards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CashierRewards {
    /// The staff member.
    pub staff: uuid::Uuid,
    /// Their login.
    pub login: String,
    /// Rewards today (business date, Asia/Shanghai).
    pub today_count: i64,
    /// Their sum.
    pub today: Money,
    /// Rewards in all.
    pub total_count: i64,
    /// Their sum.
    pub total: Money,
}

fn fen(amount: Money) -> Result<u64, AppError> {
    u64::try_from(amount.fen()).map_err(|_| AppError::InvalidAmount(amount.to_string()))
}

fn transfer(id: u128, debit: u128, credit: u128, amount: u64, code: u16) -> Transfer {
    Transfer {
        id,
        debit_account_id: debit,
        credit_account_id: credit,
        amount,
        ledger: LEDGER_CNY,
        code,
        flags: TransferFlags::NONE,
        ..Transfer::default()
    }
}

fn invalid(reason: &'static str) -> AppError {
    MerchantsError::InvalidField {
        field: "incentive",
        reason,
    }
    .into()
}

fn plan_terms(p: &PlanRecord, budget: i64) -> Result<IncentivePlan, AppError> {
    IncentivePlan::new(
        Money::cny(p.reward_fen),
        Money::cny(p.min_payment_fen),
        Money::cny(p.daily_cap_fen),
        Money::cny(budget),
    )
    .map_err(|_| invalid("stored programme terms are inconsistent"))
}

fn plan_view(p: &PlanRecord) -> Result<IncentivePlanView, AppError> {
    Ok(IncentivePlanView {
        id: p.id,
        name: p.name.clone(),
        reward: Money::cny(p.reward_fen),
        min_payment: Money::cny(p.min_payment_fen),
        daily_cap: Money::cny(p.daily_cap_fen),
        budget: Money::cny(p.budget_fen),
        granted: Money::cny(p.granted_fen),
        budget_account: p
            .budget_account
            .parse()
            .map_err(|_| invalid("stored budget account is not a number"))?,
        running: p.ended_at.is_none(),
    })
}

impl App {
    pub(crate) fn incentive_store(&self) -> IncentiveStore {
        IncentiveStore::new(self.db().clone())
    }

    async fn apply_incentive_transfer(&self, t: Transfer) -> Result<(), AppError> {
        let results = self.ledger_service().create_transfers(vec![t]).await?;
        match results.first() {
            Some(CreateTransferResult::Ok | CreateTransferResult::Exists) => Ok(()),
            _ => Err(AppError::LedgerRefused(
                "a cashier incentive transfer was refused",
            )),
        }
    }

    /// Sets up a cashier incentive programme (campaign manager, admin): its budget moves from
    /// the bank's marketing account to the programme's budget account, then the programme
    /// replaces the running one (whose unspent budget stays on its account).
    pub async fn create_incentive_plan(
        &self,
        by: &Operator,
        new: NewIncentivePlan,
    ) -> Result<IncentivePlanView, AppError> {
        by.require(Role::CampaignManager)?;
        let name = new.name.trim();
        if name.is_empty()
            || name.chars().count() > 64
            || name.chars().any(|c| c == '<' || c == '>' || c.is_control())
        {
            return Err(invalid("a name of 1 to 64 characters, no markup"));
        }
        IncentivePlan::new(new.reward, new.min_payment, new.daily_cap, new.budget).map_err(
            |e| match e {
                IncentiveError::NonPositiveReward => invalid("the reward must be positive"),
                IncentiveError::CapBelowReward { .. } => {
                    invalid("the daily cap must be at least one reward")
                }
                _ => invalid("amounts must not be negative, in CNY"),
            },
        )?;
        if !new.budget.is_positive() {
            return Err(invalid("the budget must be positive"));
        }
        let id = uuid::Uuid::now_v7();
        let now = self.clock().now();
        let account = incentive_budget_account(id);
        let record = PlanRecord {
            id,
            name: name.to_owned(),
            reward_fen: new.reward.fen(),
            min_payment_fen: new.min_payment.fen(),
            daily_cap_fen: new.daily_cap.fen(),
            budget_fen: new.budget.fen(),
            granted_fen: 0,
            budget_account: account.to_string(),
            created_by: by.id.to_string(),
            created_at: now,
            ended_at: None,
        };
        let marketing = funder_account(FundingSource::Bank);
        ensure_accounts(
            self.ledger_service(),
            vec![
                Account::new(
                    marketing,
                    LEDGER_CNY,
                    CODE_COUPON_FUNDER,
                    AccountFlags::NONE,
                ),
                Account::new(
                    account,
                    LEDGER_CNY,
                    CODE_INCENTIVE_BUDGET,
                    AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS.union(AccountFlags::HISTORY),
                ),
            ],
        )
        .await?;
        self.apply_incentive_transfer(transfer(
            derived_id("cashier-incentive-funding", id.as_bytes(), 0),
            marketing,
            account,
            fen(new.budget)?,
            CODE_INCENTIVE_FUNDING,
        ))
        .await?;
        let mut tx = Tx::begin(self.db()).await?;
        IncentiveStore::insert_plan(&mut tx, &record).await?;
        let detail = serde_json::json!({
            "name": record.name, "reward": new.reward.to_string(),
            "min_payment": new.min_payment.to_string(), "daily_cap": new.daily_cap.to_string(),
            "budget": new.budget.to_string(),
        });
        let entry = operator_audit(
            by,
            now,
            "cashier_incentive.create",
            "cashier_incentive",
            id.to_string(),
            detail,
        );
        audit::record(&mut tx, &entry).await?;
        tx.commit().await?;
        plan_view(&record)
    }

    /// The running programme, if any (any operator role).
    pub async fn running_incentive_plan(
        &self,
        _by: &Operator,
    ) -> Result<Option<IncentivePlanView>, AppError> {
        self.incentive_store()
            .running_plan()
            .await?
            .as_ref()
            .map(plan_view)
            .transpose()
    }

    /// The staff member of `merchant` whose login is `login`: how the signed API names an
    /// order's cashier. Another merchant's staff, or no one, is refused.
    pub async fn cashier_named(
        &self,
        merchant: MerchantId,
        login: &str,
    ) -> Result<uuid::Uuid, AppError> {
        match StaffStore::new(self.db().clone()).by_login(login).await? {
            Some(s) if s.merchant == merchant => Ok(s.id),
            _ => Err(MerchantsError::InvalidField {
                field: "cashier",
                reason: "not one of the merchant's staff",
            }
            .into()),
        }
    }

    /// `Ok` when `staff` is one of `merchant`'s staff: the only cashiers an order may name.
    pub(crate) async fn check_cashier(
        &self,
        merchant: MerchantId,
        staff: uuid::Uuid,
    ) -> Result<(), AppError> {
        match StaffStore::new(self.db().clone()).by_id(staff).await? {
            Some(s) if s.merchant == merchant => Ok(()),
            _ => Err(MerchantsError::InvalidField {
                field: "cashier",
                reason: "not one of the merchant's staff",
            }
            .into()),
        }
    }

    /// After `record` was captured: reward its cashier under the running programme, when the
    /// payment qualifies. A refusal (no cashier, no programme, not eligible) pays nothing.
    pub(crate) async fn incentive_after_capture(&self, record: &OrderRecord) {
        if let Err(e) = self.reward_cashier(record).await {
            tracing::error!(error = %e, order = %record.id, "cashier reward failed");
        }
    }

    async fn reward_cashier(&self, record: &OrderRecord) -> Result<(), AppError> {
        let store = self.incentive_store();
        if let Some(granted) = store.reward(record.id).await? {
            // The work ran before (the recovery sweep after a stopped process): the reward is
            // granted once, and its transfer — possibly cut off by the stop — is made sure of.
            return self.pay_granted_reward(&granted).await;
        }
        let Some(staff) = store.cashier_of(record.id).await? else {
            return Ok(());
        };
        let Some(plan) = store.running_plan().await? else {
            return Ok(());
        };
        let at = record.captured_at.unwrap_or_else(|| self.clock().now());
        let day = BusinessZone::shanghai().date_of(at);
        let day_text = day.to_string();
        // The snapshot: this cashier's standing rewards of the day, replayed on a plan whose
        // budget is what is left plus what they hold, so the pure rules see both limits.
        let standing = store.rewards_of_day(plan.id, staff, &day_text).await?;
        let held: i64 = standing.iter().map(|r| r.amount_fen).sum();
        let left = plan.budget_fen - plan.granted_fen;
        let mut ledger = IncentiveLedger::new(plan_terms(&plan, left + held)?);
        let cashier = CashierId::from_uuid(staff);
        for r in &standing {
            ledger
                .reward_for(
                    PaymentOrderId::from_uuid(r.order),
                    cashier,
                    Money::cny(r.payment_fen),
                    day,
                )
                .map_err(|_| invalid("stored rewards exceed the programme's terms"))?;
        }
        let payment = PaymentOrderId::from_uuid(record.id);
        let granted = match ledger.reward_for(payment, cashier, Money::cny(record.goods_fen), day) {
            Ok(r) => r,
            Err(why) => {
                tracing::debug!(order = %record.id, %why, "no cashier reward");
                return Ok(());
            }
        };
        let reward = RewardRecord {
            order: record.id,
            plan: plan.id,
            merchant: record.merchant,
            staff,
            payment_fen: record.goods_fen,
            amount_fen: granted.amount.fen(),
            business_date: day_text,
            rewarded_at: at,
            reversed_at: None,
        };
        let mut tx = Tx::begin(self.db()).await?;
        if !IncentiveStore::grant(&mut tx, &reward, plan.daily_cap_fen).await? {
            // A concurrent capture took the last of the budget or the cap: nothing written.
            return Ok(());
        }
        tx.commit().await?;
        if let Err(e) = self.pay_granted_reward(&reward).await {
            let mut tx = Tx::begin(self.db()).await?;
            IncentiveStore::undo_grant(&mut tx, &reward).await?;
            tx.commit().await?;
            return Err(e);
        }
        Ok(())
    }

    /// Moves granted reward `r` from its programme's budget to the cashier's payable account,
    /// under a transfer id derived from the order: a second call answers `exists` and moves
    /// nothing. A reversed reward is left alone (its claw-back settled it).
    async fn pay_granted_reward(&self, r: &RewardRecord) -> Result<(), AppError> {
        if r.reversed_at.is_some() {
            return Ok(());
        }
        let payable = cashier_payable_account(r.staff);
        ensure_accounts(
            self.ledger_service(),
            vec![Account::new(
                payable,
                LEDGER_CNY,
                CODE_CASHIER_PAYABLE,
                AccountFlags::NONE,
            )],
        )
        .await?;
        self.apply_incentive_transfer(transfer(
            derived_id("cashier-reward", r.order.as_bytes(), 0),
            incentive_budget_account(r.plan),
            payable,
            fen(Money::cny(r.amount_fen))?,
            CODE_CASHIER_REWARD,
        ))
        .await
    }

    /// After `record` was fully refunded: a reward granted on the refund's business date is
    /// clawed back (cashier payable → budget); an earlier day's reward stands.
    pub(crate) async fn incentive_after_full_refund(&self, record: &OrderRecord) {
        if let Err(e) = self.claw_back_reward(record).await {
            tracing::error!(error = %e, order = %record.id, "cashier reward clawback failed");
        }
    }

    async fn claw_back_reward(&self, record: &OrderRecord) -> Result<(), AppError> {
        let store = self.incentive_store();
        let Some(reward) = store.reward(record.id).await? else {
            return Ok(());
        };
        if reward.reversed_at.is_some() {
            return Ok(());
        }
        let Some(plan) = store.plan(reward.plan).await? else {
            return Ok(());
        };
        let granted_on: Date = reward
            .business_date
            .parse()
            .map_err(|_| invalid("stored business date is malformed"))?;
        let mut ledger = IncentiveLedger::new(plan_terms(&plan, reward.amount_fen)?);
        let payment = PaymentOrderId::from_uuid(record.id);
        let cashier = CashierId::from_uuid(reward.staff);
        ledger
            .reward_for(payment, cashier, Money::cny(reward.payment_fen), granted_on)
            .map_err(|_| invalid("stored reward exceeds the programme's terms"))?;
        let now = self.clock().now();
        let today = BusinessZone::shanghai().date_of(now);
        let Clawback::Reversed(r) = ledger
            .on_full_refund(payment, today)
            .map_err(|_| invalid("clawback arithmetic"))?
        else {
            return Ok(());
        };
        // The transfer first (its id derives from the order, so a retry answers `exists`),
        // then the row: a reward is never marked reversed without its money back.
        self.apply_incentive_transfer(transfer(
            derived_id("cashier-reward-clawback", record.id.as_bytes(), 0),
            cashier_payable_account(reward.staff),
            incentive_budget_account(plan.id),
            fen(r.amount)?,
            CODE_CASHIER_CLAWBACK,
        ))
        .await?;
        let mut tx = Tx::begin(self.db()).await?;
        IncentiveStore::reverse(&mut tx, &reward, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Each of the merchant's staff with their standing rewards, today and in all.
    pub async fn cashier_rewards(
        &self,
        merchant: MerchantId,
    ) -> Result<Vec<CashierRewards>, AppError> {
        let today = BusinessZone::shanghai().today(self.clock().as_ref());
        let rows = self
            .incentive_store()
            .totals_of_merchant(merchant, &today.to_string())
            .await?;
        Ok(rows
            .into_iter()
            .map(|t: CashierTotals| CashierRewards {
                staff: t.staff,
                login: t.login,
                today_count: t.today_count,
                today: Money::cny(t.today_fen),
                total_count: t.total_count,
                total: Money::cny(t.total_fen),
            })
            .collect())
    }
}
