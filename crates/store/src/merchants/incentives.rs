//! Cashier incentives (migration `0018_cashier_incentives.sql`, docs/merchants.md "Cashier
//! incentives"): the cashier of each order, the incentive programmes, and the rewards granted.
//! Budget and daily cap are enforced by conditional statements, so concurrent captures can
//! never take a programme past either.

use cardlife_kernel::MerchantId;
use jiff::Timestamp;
use sqlx::Row;

use super::{instant, is_unique_violation, ns, uuid_of};
use crate::batch::{Stmt, stmt};
use crate::both::on_pool;
use crate::db::Db;
use crate::error::StoreError;
use crate::tx::{Tx, on_tx};

/// An incentive programme as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanRecord {
    /// The programme.
    pub id: uuid::Uuid,
    /// Its name.
    pub name: String,
    /// Reward per qualifying payment.
    pub reward_fen: i64,
    /// Smallest qualifying payment.
    pub min_payment_fen: i64,
    /// Per cashier per business date.
    pub daily_cap_fen: i64,
    /// The whole budget.
    pub budget_fen: i64,
    /// Held by rewards (clawbacks deducted).
    pub granted_fen: i64,
    /// The ledger account holding the budget (decimal u128).
    pub budget_account: String,
    /// The operator who set it up.
    pub created_by: String,
    /// When.
    pub created_at: Timestamp,
    /// When a newer programme replaced it.
    pub ended_at: Option<Timestamp>,
}

/// One reward as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RewardRecord {
    /// The payment that earned it.
    pub order: uuid::Uuid,
    /// Under which programme.
    pub plan: uuid::Uuid,
    /// The merchant.
    pub merchant: MerchantId,
    /// The cashier (a merchant staff member).
    pub staff: uuid::Uuid,
    /// The payment's amount.
    pub payment_fen: i64,
    /// The reward.
    pub amount_fen: i64,
    /// `YYYY-MM-DD`.
    pub business_date: String,
    /// When it was granted.
    pub rewarded_at: Timestamp,
    /// When a same-day full refund clawed it back.
    pub reversed_at: Option<Timestamp>,
}

/// One cashier's rewards, summed (clawed-back rewards excluded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CashierTotals {
    /// The staff member.
    pub staff: uuid::Uuid,
    /// Their login.
    pub login: String,
    /// Rewards on the given business date.
    pub today_count: i64,
    /// Their sum.
    pub today_fen: i64,
    /// Rewards in all.
    pub total_count: i64,
    /// Their sum.
    pub total_fen: i64,
}

/// The incentive tables.
#[derive(Debug, Clone)]
pub struct IncentiveStore {
    db: Db,
}

macro_rules! plan_columns {
    () => {
        "id, name, reward_fen, min_payment_fen, daily_cap_fen, budget_fen, granted_fen, \
         budget_account, created_by, created_at_ns, ended_at_ns"
    };
}

macro_rules! reward_columns {
    () => {
        "order_id, plan_id, merchant_id, staff_id, payment_fen, amount_fen, business_date, \
         rewarded_at_ns, reversed_at_ns"
    };
}

macro_rules! plan_from {
    ($r:expr) => {{
        let r = $r;
        let id: String = r.try_get("id")?;
        let ended: Option<i64> = r.try_get("ended_at_ns")?;
        Ok::<_, StoreError>(PlanRecord {
            id: uuid_of(&id, "plan id")?,
            name: r.try_get("name")?,
            reward_fen: r.try_get("reward_fen")?,
            min_payment_fen: r.try_get("min_payment_fen")?,
            daily_cap_fen: r.try_get("daily_cap_fen")?,
            budget_fen: r.try_get("budget_fen")?,
            granted_fen: r.try_get("granted_fen")?,
            budget_account: r.try_get("budget_account")?,
            created_by: r.try_get("created_by")?,
            created_at: instant(r.try_get("created_at_ns")?)?,
            ended_at: ended.map(instant).transpose()?,
        })
    }};
}

macro_rules! reward_from {
    ($r:expr) => {{
        let r = $r;
        let order: String = r.try_get("order_id")?;
        let plan: String = r.try_get("plan_id")?;
        let merchant: String = r.try_get("merchant_id")?;
        let staff: String = r.try_get("staff_id")?;
        let reversed: Option<i64> = r.try_get("reversed_at_ns")?;
        Ok::<_, StoreError>(RewardRecord {
            order: uuid_of(&order, "order id")?,
            plan: uuid_of(&plan, "plan id")?,
            merchant: MerchantId::from_uuid(uuid_of(&merchant, "merchant id")?),
            staff: uuid_of(&staff, "staff id")?,
            payment_fen: r.try_get("payment_fen")?,
            amount_fen: r.try_get("amount_fen")?,
            business_date: r.try_get("business_date")?,
            rewarded_at: instant(r.try_get("rewarded_at_ns")?)?,
            reversed_at: reversed.map(instant).transpose()?,
        })
    }};
}

impl IncentiveStore {
    /// The tables of `db` (migrated).
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// Notes `staff` as the cashier of `order` (inside the order's transaction).
    /// As a statement for a batch (`crate::batch`).
    pub fn set_cashier_stmt(
        order: uuid::Uuid,
        merchant: MerchantId,
        staff: uuid::Uuid,
        at: Timestamp,
    ) -> Stmt {
        stmt!(
            "INSERT INTO order_cashiers (order_id, merchant_id, staff_id, created_at_ns) \
             VALUES ($1, $2, $3, $4)",
            order.to_string(),
            merchant.as_uuid().to_string(),
            staff.to_string(),
            ns(at),
        )
    }

    /// Notes `staff` as the cashier of the static code `code` (inside the code's transaction).
    pub async fn set_code_cashier(
        tx: &mut Tx,
        code: &str,
        merchant: MerchantId,
        staff: uuid::Uuid,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        let sql = "INSERT INTO static_code_cashiers (code_id, merchant_id, staff_id, \
                   created_at_ns) VALUES ($1, $2, $3, $4)";
        on_tx!(tx, |conn| {
            sqlx::query(sql)
                .bind(code)
                .bind(merchant.as_uuid().to_string())
                .bind(staff.to_string())
                .bind(ns(at))
                .execute(conn)
                .await
                .map(|_| ())
        })?;
        Ok(())
    }

    /// The cashier a static code was issued for, if any.
    pub async fn code_cashier(&self, code: &str) -> Result<Option<uuid::Uuid>, StoreError> {
        let sql = "SELECT staff_id FROM static_code_cashiers WHERE code_id = $1";
        let staff: Option<String> = on_pool!(&self.db, |pool| {
            sqlx::query_scalar(sql)
                .bind(code)
                .fetch_optional(pool)
                .await?
        });
        staff.map(|s| uuid_of(&s, "staff id")).transpose()
    }

    /// The cashier of `order`, if one was noted.
    pub async fn cashier_of(&self, order: uuid::Uuid) -> Result<Option<uuid::Uuid>, StoreError> {
        let sql = "SELECT staff_id FROM order_cashiers WHERE order_id = $1";
        let staff: Option<String> = on_pool!(&self.db, |pool| {
            sqlx::query_scalar(sql)
                .bind(order.to_string())
                .fetch_optional(pool)
                .await?
        });
        staff.map(|s| uuid_of(&s, "staff id")).transpose()
    }

    /// Stores a new programme and ends the running one, in one transaction.
    pub async fn insert_plan(tx: &mut Tx, p: &PlanRecord) -> Result<(), StoreError> {
        let end = "UPDATE cashier_incentive_plans SET ended_at_ns = $1 WHERE ended_at_ns IS NULL";
        on_tx!(tx, |conn| {
            sqlx::query(end)
                .bind(ns(p.created_at))
                .execute(conn)
                .await
                .map(|_| ())
        })?;
        let sql = concat!(
            "INSERT INTO cashier_incentive_plans (",
            plan_columns!(),
            ") \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
        );
        on_tx!(tx, |conn| {
            sqlx::query(sql)
                .bind(p.id.to_string())
                .bind(&p.name)
                .bind(p.reward_fen)
                .bind(p.min_payment_fen)
                .bind(p.daily_cap_fen)
                .bind(p.budget_fen)
                .bind(p.granted_fen)
                .bind(&p.budget_account)
                .bind(&p.created_by)
                .bind(ns(p.created_at))
                .bind(p.ended_at.map(ns))
                .execute(conn)
                .await
                .map(|_| ())
        })?;
        Ok(())
    }

    /// The running programme: the newest not ended.
    pub async fn running_plan(&self) -> Result<Option<PlanRecord>, StoreError> {
        let sql = concat!(
            "SELECT ",
            plan_columns!(),
            " FROM cashier_incentive_plans WHERE ended_at_ns IS NULL \
             ORDER BY created_at_ns DESC, id DESC LIMIT 1"
        );
        on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .fetch_optional(pool)
                .await?
                .map(|r| plan_from!(&r))
                .transpose()
        })
    }

    /// A programme by id.
    pub async fn plan(&self, id: uuid::Uuid) -> Result<Option<PlanRecord>, StoreError> {
        let sql = concat!(
            "SELECT ",
            plan_columns!(),
            " FROM cashier_incentive_plans WHERE id = $1"
        );
        on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(id.to_string())
                .fetch_optional(pool)
                .await?
                .map(|r| plan_from!(&r))
                .transpose()
        })
    }

    /// The reward of `order`, if it earned one.
    pub async fn reward(&self, order: uuid::Uuid) -> Result<Option<RewardRecord>, StoreError> {
        let sql = concat!(
            "SELECT ",
            reward_columns!(),
            " FROM cashier_rewards WHERE order_id = $1"
        );
        on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(order.to_string())
                .fetch_optional(pool)
                .await?
                .map(|r| reward_from!(&r))
                .transpose()
        })
    }

    /// The standing rewards of `staff` under `plan` on `business_date`.
    pub async fn rewards_of_day(
        &self,
        plan: uuid::Uuid,
        staff: uuid::Uuid,
        business_date: &str,
    ) -> Result<Vec<RewardRecord>, StoreError> {
        let sql = concat!(
            "SELECT ",
            reward_columns!(),
            " FROM cashier_rewards WHERE plan_id = $1 AND staff_id = $2 \
             AND business_date = $3 AND reversed_at_ns IS NULL ORDER BY rewarded_at_ns"
        );
        on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(plan.to_string())
                .bind(staff.to_string())
                .bind(business_date)
                .fetch_all(pool)
                .await?
                .iter()
                .map(|r| reward_from!(r))
                .collect()
        })
    }

    /// Grants `r` inside `tx`: the reward row (one per order, ever), the programme's granted sum
    /// within its budget, the cashier-day within the cap. `Ok(false)` when any of the three
    /// refuses — the caller then drops `tx`, so nothing is written.
    pub async fn grant(
        tx: &mut Tx,
        r: &RewardRecord,
        daily_cap_fen: i64,
    ) -> Result<bool, StoreError> {
        let insert = concat!(
            "INSERT INTO cashier_rewards (",
            reward_columns!(),
            ") \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL)"
        );
        let inserted = on_tx!(tx, |conn| {
            sqlx::query(insert)
                .bind(r.order.to_string())
                .bind(r.plan.to_string())
                .bind(r.merchant.as_uuid().to_string())
                .bind(r.staff.to_string())
                .bind(r.payment_fen)
                .bind(r.amount_fen)
                .bind(&r.business_date)
                .bind(ns(r.rewarded_at))
                .execute(conn)
                .await
                .map(|_| ())
        });
        match inserted {
            Ok(()) => {}
            Err(e) if is_unique_violation(&e) => return Ok(false),
            Err(e) => return Err(e.into()),
        }
        let budget = "UPDATE cashier_incentive_plans SET granted_fen = granted_fen + $2 \
                      WHERE id = $1 AND ended_at_ns IS NULL AND granted_fen + $2 <= budget_fen";
        let within_budget = on_tx!(tx, |conn| {
            sqlx::query(budget)
                .bind(r.plan.to_string())
                .bind(r.amount_fen)
                .execute(conn)
                .await
                .map(|x| x.rows_affected())
        })?;
        if within_budget != 1 {
            return Ok(false);
        }
        let day = "INSERT INTO cashier_reward_days (plan_id, staff_id, business_date, earned_fen) \
                   VALUES ($1, $2, $3, $4) \
                   ON CONFLICT (plan_id, staff_id, business_date) DO UPDATE \
                   SET earned_fen = cashier_reward_days.earned_fen + excluded.earned_fen \
                   WHERE cashier_reward_days.earned_fen + excluded.earned_fen <= $5";
        let within_cap = on_tx!(tx, |conn| {
            sqlx::query(day)
                .bind(r.plan.to_string())
                .bind(r.staff.to_string())
                .bind(&r.business_date)
                .bind(r.amount_fen)
                .bind(daily_cap_fen)
                .execute(conn)
                .await
                .map(|x| x.rows_affected())
        })?;
        Ok(within_cap == 1)
    }

    /// Takes a reward back inside `tx`: marked reversed (once), and returned to the programme's
    /// budget and the cashier's day. `Ok(false)` when it was already reversed.
    pub async fn reverse(tx: &mut Tx, r: &RewardRecord, at: Timestamp) -> Result<bool, StoreError> {
        let mark = "UPDATE cashier_rewards SET reversed_at_ns = $2 \
                    WHERE order_id = $1 AND reversed_at_ns IS NULL";
        let marked = on_tx!(tx, |conn| {
            sqlx::query(mark)
                .bind(r.order.to_string())
                .bind(ns(at))
                .execute(conn)
                .await
                .map(|x| x.rows_affected())
        })?;
        if marked != 1 {
            return Ok(false);
        }
        let budget =
            "UPDATE cashier_incentive_plans SET granted_fen = granted_fen - $2 WHERE id = $1";
        on_tx!(tx, |conn| {
            sqlx::query(budget)
                .bind(r.plan.to_string())
                .bind(r.amount_fen)
                .execute(conn)
                .await
                .map(|_| ())
        })?;
        let day = "UPDATE cashier_reward_days SET earned_fen = earned_fen - $4 \
                   WHERE plan_id = $1 AND staff_id = $2 AND business_date = $3";
        on_tx!(tx, |conn| {
            sqlx::query(day)
                .bind(r.plan.to_string())
                .bind(r.staff.to_string())
                .bind(&r.business_date)
                .bind(r.amount_fen)
                .execute(conn)
                .await
                .map(|_| ())
        })?;
        Ok(true)
    }

    /// Forgets a grant whose ledger transfer was refused (inside `tx`).
    pub async fn undo_grant(tx: &mut Tx, r: &RewardRecord) -> Result<(), StoreError> {
        if !Self::reverse(tx, r, r.rewarded_at).await? {
            return Ok(());
        }
        let delete = "DELETE FROM cashier_rewards WHERE order_id = $1";
        on_tx!(tx, |conn| {
            sqlx::query(delete)
                .bind(r.order.to_string())
                .execute(conn)
                .await
                .map(|_| ())
        })?;
        Ok(())
    }

    /// Each of `merchant`'s staff with their standing rewards: on `business_date` and in all.
    pub async fn totals_of_merchant(
        &self,
        merchant: MerchantId,
        business_date: &str,
    ) -> Result<Vec<CashierTotals>, StoreError> {
        let sql = "SELECT s.id, s.login, \
             CAST(COALESCE(SUM(CASE WHEN r.business_date = $2 THEN 1 ELSE 0 END), 0) AS BIGINT) AS today_count, \
             CAST(COALESCE(SUM(CASE WHEN r.business_date = $2 THEN r.amount_fen ELSE 0 END), 0) AS BIGINT) AS today_fen, \
             CAST(COUNT(r.order_id) AS BIGINT) AS total_count, \
             CAST(COALESCE(SUM(r.amount_fen), 0) AS BIGINT) AS total_fen \
             FROM merchant_staff s LEFT JOIN cashier_rewards r \
               ON r.staff_id = s.id AND r.reversed_at_ns IS NULL \
             WHERE s.merchant_id = $1 GROUP BY s.id, s.login ORDER BY s.login";
        on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(merchant.as_uuid().to_string())
                .bind(business_date)
                .fetch_all(pool)
                .await?
                .iter()
                .map(|r| {
                    let id: String = r.try_get("id")?;
                    Ok(CashierTotals {
                        staff: uuid_of(&id, "staff id")?,
                        login: r.try_get("login")?,
                        today_count: r.try_get("today_count")?,
                        today_fen: r.try_get("today_fen")?,
                        total_count: r.try_get("total_count")?,
                        total_fen: r.try_get("total_fen")?,
                    })
                })
                .collect()
        })
    }
}
