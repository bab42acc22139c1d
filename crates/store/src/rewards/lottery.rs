//! Lotteries, their prizes, the spend that earns chances, the chances and every draw
//! (docs/rewards.md, "Lotteries"). A draw runs inside a [`Tx`]: [`LotteryStore::lock`] takes the
//! lottery's row lock (the write lock on SQLite), the caller reads what is left, decides with
//! the domain, then [`LotteryStore::use_chance`], [`LotteryStore::award`] (raising the prize's
//! `awarded` and the lottery's totals under guards the table CHECKs back up) and
//! [`LotteryStore::record_draw`] write — so concurrent draws never pass a budget or a stock.
//! A points prize is recorded as owed in the same transaction ([`LotteryStore::owe_points`])
//! and forgotten once credited ([`LotteryStore::points_paid`]); [`LotteryStore::owed_before`]
//! gives the sweep what a failed credit or a stopped process left behind.

use cardlife_kernel::CustomerId;
use jiff::Timestamp;
use sqlx::Row;

use crate::both::on_pool;
use crate::db::Db;
use crate::error::StoreError;
use crate::merchants::{instant, ns};
use crate::tx::{Tx, on_tx};

/// A lottery as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LotteryRecord {
    /// `ltr_…` as a UUID.
    pub id: uuid::Uuid,
    /// Shown to people.
    pub name: String,
    /// The spend-tier rule (tiers and segment) as JSON.
    pub rule_json: String,
    /// Most coupon face value the draws may award.
    pub budget_fen: i64,
    /// Coupon face value awarded.
    pub awarded_fen: i64,
    /// Most points the draws may award.
    pub points_budget: i64,
    /// Points awarded.
    pub points_awarded: i64,
    /// First instant it runs.
    pub starts_at: Timestamp,
    /// First instant it no longer runs.
    pub ends_at: Timestamp,
    /// The operator who created it.
    pub created_by: String,
    /// When.
    pub created_at: Timestamp,
}

/// One prize as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrizeRecord {
    /// Its position in the lottery's list.
    pub idx: i64,
    /// Shown to people.
    pub name: String,
    /// `coupon`, `points` or `none`.
    pub kind: String,
    /// The coupon template (coupon prizes).
    pub template: Option<uuid::Uuid>,
    /// The coupon's face value (coupon prizes), else 0.
    pub face_fen: i64,
    /// The points (points prizes), else 0.
    pub points: i64,
    /// Stated odds in basis points.
    pub odds_bp: i64,
    /// Most that may be awarded.
    pub stock: i64,
    /// Awarded so far.
    pub awarded: i64,
}

/// A draw chance as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChanceRecord {
    /// `chc_…` as a UUID.
    pub id: uuid::Uuid,
    /// The lottery.
    pub lottery: uuid::Uuid,
    /// Whose.
    pub customer: CustomerId,
    /// `YYYY-MM-01`.
    pub month: String,
    /// The tier that granted it.
    pub tier: i64,
    /// Which of the tier's chances.
    pub n: i64,
    /// The tier's threshold: usable while the month's spend reaches it.
    pub min_spend_fen: i64,
    /// `available` or `used`.
    pub state: String,
    /// The event whose spend crossed the tier.
    pub event: String,
    /// When granted.
    pub granted_at: Timestamp,
}

/// A draw as stored (the audit record).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DrawRecord {
    /// `drw_…` as a UUID.
    pub id: uuid::Uuid,
    /// The lottery.
    pub lottery: uuid::Uuid,
    /// Who drew.
    pub customer: CustomerId,
    /// The chance used.
    pub chance: uuid::Uuid,
    /// The customer's `Idempotency-Key`.
    pub key: String,
    /// The random value, a `u64` in decimal.
    pub random_value: String,
    /// The prize the odds picked.
    pub picked: i64,
    /// `prize` or `no_prize`.
    pub outcome: String,
    /// For `no_prize`: `blank`, `stock_out` or `budget_out`.
    pub reason: Option<String>,
    /// The coupon awarded, if any.
    pub coupon: Option<uuid::Uuid>,
    /// Face value awarded (counted against the budget).
    pub face_fen: i64,
    /// Points awarded.
    pub points: i64,
    /// When.
    pub drawn_at: Timestamp,
}

/// Points a draw awarded that the customer is still owed (`lottery_points_owed`): written in
/// the draw's transaction, deleted once the points are credited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwedPointsRecord {
    /// The draw that awarded them (the credit's reference).
    pub draw: uuid::Uuid,
    /// Who is owed.
    pub customer: CustomerId,
    /// How many (more than zero).
    pub points: i64,
    /// When the draw committed.
    pub owed_at: Timestamp,
}

/// The lottery tables.
#[derive(Debug, Clone)]
pub struct LotteryStore {
    db: Db,
}

const LOTTERY: &str = "id, name, rule_json, budget_fen, awarded_fen, points_budget, \
    points_awarded, starts_at_ns, ends_at_ns, created_by, created_at_ns";
const PRIZE: &str = "idx, name, kind, template_id, face_fen, points, odds_bp, stock, awarded";
const CHANCE: &str = "id, lottery_id, customer_id, month, tier, n, min_spend_fen, state, \
    event_id, granted_at_ns";
const SPEND_BY_MONTH: &str = "SELECT s.month AS month, CAST(SUM(s.amount_fen - \
    COALESCE(o.refunded_goods_fen, 0)) AS BIGINT) AS net \
    FROM lottery_spend s LEFT JOIN payment_orders o ON o.id = s.order_id \
    WHERE s.lottery_id = $1 AND s.customer_id = $2 GROUP BY s.month ORDER BY s.month";
const CHANCES_OF: &str = "draw_chances WHERE lottery_id = $1 AND customer_id = $2 \
    ORDER BY month, tier, n";
const DRAW: &str = "id, lottery_id, customer_id, chance_id, idempotency_key, random_value, \
    picked, outcome, reason, coupon_id, face_fen, points, drawn_at_ns";

fn uuid_of(text: &str, what: &'static str) -> Result<uuid::Uuid, StoreError> {
    text.parse().map_err(|_| StoreError::Corrupt(what))
}

fn opt_uuid(text: Option<String>, what: &'static str) -> Result<Option<uuid::Uuid>, StoreError> {
    text.map(|t| uuid_of(&t, what)).transpose()
}

fn lottery_from<R: Row>(r: &R) -> Result<LotteryRecord, StoreError>
where
    for<'r> &'r str: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let id: String = r.try_get("id")?;
    Ok(LotteryRecord {
        id: uuid_of(&id, "lottery id")?,
        name: r.try_get("name")?,
        rule_json: r.try_get("rule_json")?,
        budget_fen: r.try_get("budget_fen")?,
        awarded_fen: r.try_get("awarded_fen")?,
        points_budget: r.try_get("points_budget")?,
        points_awarded: r.try_get("points_awarded")?,
        starts_at: instant(r.try_get("starts_at_ns")?)?,
        ends_at: instant(r.try_get("ends_at_ns")?)?,
        created_by: r.try_get("created_by")?,
        created_at: instant(r.try_get("created_at_ns")?)?,
    })
}

fn prize_from<R: Row>(r: &R) -> Result<PrizeRecord, StoreError>
where
    for<'r> &'r str: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    Ok(PrizeRecord {
        idx: r.try_get("idx")?,
        name: r.try_get("name")?,
        kind: r.try_get("kind")?,
        template: opt_uuid(r.try_get("template_id")?, "coupon template id")?,
        face_fen: r.try_get("face_fen")?,
        points: r.try_get("points")?,
        odds_bp: r.try_get("odds_bp")?,
        stock: r.try_get("stock")?,
        awarded: r.try_get("awarded")?,
    })
}

fn chance_from<R: Row>(r: &R) -> Result<ChanceRecord, StoreError>
where
    for<'r> &'r str: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let id: String = r.try_get("id")?;
    let lottery: String = r.try_get("lottery_id")?;
    let customer: String = r.try_get("customer_id")?;
    Ok(ChanceRecord {
        id: uuid_of(&id, "chance id")?,
        lottery: uuid_of(&lottery, "lottery id")?,
        customer: CustomerId::from_uuid(uuid_of(&customer, "customer id")?),
        month: r.try_get("month")?,
        tier: r.try_get("tier")?,
        n: r.try_get("n")?,
        min_spend_fen: r.try_get("min_spend_fen")?,
        state: r.try_get("state")?,
        event: r.try_get("event_id")?,
        granted_at: instant(r.try_get("granted_at_ns")?)?,
    })
}

fn draw_from<R: Row>(r: &R) -> Result<DrawRecord, StoreError>
where
    for<'r> &'r str: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let id: String = r.try_get("id")?;
    let lottery: String = r.try_get("lottery_id")?;
    let customer: String = r.try_get("customer_id")?;
    let chance: String = r.try_get("chance_id")?;
    Ok(DrawRecord {
        id: uuid_of(&id, "draw id")?,
        lottery: uuid_of(&lottery, "lottery id")?,
        customer: CustomerId::from_uuid(uuid_of(&customer, "customer id")?),
        chance: uuid_of(&chance, "chance id")?,
        key: r.try_get("idempotency_key")?,
        random_value: r.try_get("random_value")?,
        picked: r.try_get("picked")?,
        outcome: r.try_get("outcome")?,
        reason: r.try_get("reason")?,
        coupon: opt_uuid(r.try_get("coupon_id")?, "coupon id")?,
        face_fen: r.try_get("face_fen")?,
        points: r.try_get("points")?,
        drawn_at: instant(r.try_get("drawn_at_ns")?)?,
    })
}

impl LotteryStore {
    /// The lottery tables of `db` (migrated).
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// Stores a new lottery and its prizes, nothing awarded.
    pub async fn insert(
        tx: &mut Tx,
        l: &LotteryRecord,
        prizes: &[PrizeRecord],
    ) -> Result<(), StoreError> {
        let lottery = "INSERT INTO lotteries (id, name, rule_json, budget_fen, awarded_fen, \
                       points_budget, points_awarded, starts_at_ns, ends_at_ns, created_by, \
                       created_at_ns) VALUES ($1, $2, $3, $4, 0, $5, 0, $6, $7, $8, $9)";
        let prize = "INSERT INTO lottery_prizes (lottery_id, idx, name, kind, template_id, \
                     face_fen, points, odds_bp, stock, awarded) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0)";
        let id = l.id.to_string();
        on_tx!(tx, |conn| {
            sqlx::query(lottery)
                .bind(&id)
                .bind(&l.name)
                .bind(&l.rule_json)
                .bind(l.budget_fen)
                .bind(l.points_budget)
                .bind(ns(l.starts_at))
                .bind(ns(l.ends_at))
                .bind(&l.created_by)
                .bind(ns(l.created_at))
                .execute(&mut *conn)
                .await?;
            for p in prizes {
                sqlx::query(prize)
                    .bind(&id)
                    .bind(p.idx)
                    .bind(&p.name)
                    .bind(&p.kind)
                    .bind(p.template.map(|t| t.to_string()))
                    .bind(p.face_fen)
                    .bind(p.points)
                    .bind(p.odds_bp)
                    .bind(p.stock)
                    .execute(&mut *conn)
                    .await?;
            }
            Ok::<_, StoreError>(())
        })
    }

    /// A lottery by id.
    pub async fn lottery(&self, id: uuid::Uuid) -> Result<Option<LotteryRecord>, StoreError> {
        let sql = format!("SELECT {LOTTERY} FROM lotteries WHERE id = $1");
        on_pool!(&self.db, |pool| {
            sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(id.to_string())
                .fetch_optional(pool)
                .await?
                .map(|r| lottery_from(&r))
                .transpose()
        })
    }

    /// Every lottery in start order (then id), at most `limit`.
    pub async fn list(&self, limit: u32) -> Result<Vec<LotteryRecord>, StoreError> {
        let sql = format!("SELECT {LOTTERY} FROM lotteries ORDER BY starts_at_ns, id LIMIT $1");
        on_pool!(&self.db, |pool| {
            sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await?
                .iter()
                .map(lottery_from)
                .collect()
        })
    }

    /// The lotteries running at `now`.
    pub async fn running(&self, now: Timestamp) -> Result<Vec<LotteryRecord>, StoreError> {
        let sql = format!(
            "SELECT {LOTTERY} FROM lotteries WHERE starts_at_ns <= $1 AND $1 < ends_at_ns \
             ORDER BY starts_at_ns, id"
        );
        on_pool!(&self.db, |pool| {
            sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(ns(now))
                .fetch_all(pool)
                .await?
                .iter()
                .map(lottery_from)
                .collect()
        })
    }

    /// A lottery's prizes in display order.
    pub async fn prizes(&self, lottery: uuid::Uuid) -> Result<Vec<PrizeRecord>, StoreError> {
        let sql = format!("SELECT {PRIZE} FROM lottery_prizes WHERE lottery_id = $1 ORDER BY idx");
        on_pool!(&self.db, |pool| {
            sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(lottery.to_string())
                .fetch_all(pool)
                .await?
                .iter()
                .map(prize_from)
                .collect()
        })
    }

    /// Locks `lottery` inside `tx` and reads it with its prizes; `None` when there is none.
    pub async fn lock(
        tx: &mut Tx,
        lottery: uuid::Uuid,
    ) -> Result<Option<(LotteryRecord, Vec<PrizeRecord>)>, StoreError> {
        let lock = format!(
            "UPDATE lotteries SET awarded_fen = awarded_fen WHERE id = $1 RETURNING {LOTTERY}"
        );
        let prizes =
            format!("SELECT {PRIZE} FROM lottery_prizes WHERE lottery_id = $1 ORDER BY idx");
        let id = lottery.to_string();
        on_tx!(tx, |conn| {
            let Some(row) = sqlx::query(sqlx::AssertSqlSafe(lock.as_str()))
                .bind(&id)
                .fetch_optional(&mut *conn)
                .await?
            else {
                return Ok(None);
            };
            let record = lottery_from(&row)?;
            let prizes = sqlx::query(sqlx::AssertSqlSafe(prizes.as_str()))
                .bind(&id)
                .fetch_all(&mut *conn)
                .await?
                .iter()
                .map(prize_from)
                .collect::<Result<Vec<_>, StoreError>>()?;
            Ok::<_, StoreError>(Some((record, prizes)))
        })
    }

    /// Counts a captured payment toward `customer`'s `month` once per event; returns whether
    /// this call counted it.
    #[allow(clippy::too_many_arguments)]
    pub async fn record_spend(
        tx: &mut Tx,
        lottery: uuid::Uuid,
        event: &str,
        customer: CustomerId,
        month: &str,
        order: uuid::Uuid,
        amount_fen: i64,
        at: Timestamp,
    ) -> Result<bool, StoreError> {
        let sql = "INSERT INTO lottery_spend (lottery_id, event_id, customer_id, month, order_id, \
                   amount_fen, at_ns) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING";
        on_tx!(tx, |conn| {
            sqlx::query(sql)
                .bind(lottery.to_string())
                .bind(event)
                .bind(customer.as_uuid().to_string())
                .bind(month)
                .bind(order.to_string())
                .bind(amount_fen)
                .bind(ns(at))
                .execute(conn)
                .await
                .map(|r| r.rows_affected() == 1)
        })
        .map_err(StoreError::from)
    }

    /// `customer`'s spend counted by `lottery` per month, net of what the orders have
    /// refunded since: `(month, fen)` in month order.
    pub async fn spend_by_month(
        tx: &mut Tx,
        lottery: uuid::Uuid,
        customer: CustomerId,
    ) -> Result<Vec<(String, i64)>, StoreError> {
        on_tx!(tx, |conn| {
            let rows = sqlx::query(SPEND_BY_MONTH)
                .bind(lottery.to_string())
                .bind(customer.as_uuid().to_string())
                .fetch_all(conn)
                .await?;
            rows.iter()
                .map(|r| Ok((r.try_get("month")?, r.try_get("net")?)))
                .collect::<Result<Vec<_>, StoreError>>()
        })
    }

    /// [`Self::spend_by_month`] and [`Self::chances_in`] read outside a transaction (the
    /// customer's page).
    pub async fn standing(
        &self,
        lottery: uuid::Uuid,
        customer: CustomerId,
    ) -> Result<(Vec<(String, i64)>, Vec<ChanceRecord>), StoreError> {
        let chances = format!("SELECT {CHANCE} FROM {CHANCES_OF}");
        let (l, c) = (lottery.to_string(), customer.as_uuid().to_string());
        on_pool!(&self.db, |pool| {
            let spend = sqlx::query(SPEND_BY_MONTH)
                .bind(&l)
                .bind(&c)
                .fetch_all(pool)
                .await?
                .iter()
                .map(|r| Ok((r.try_get("month")?, r.try_get("net")?)))
                .collect::<Result<Vec<_>, StoreError>>()?;
            let chances = sqlx::query(sqlx::AssertSqlSafe(chances.as_str()))
                .bind(&l)
                .bind(&c)
                .fetch_all(pool)
                .await?
                .iter()
                .map(chance_from)
                .collect::<Result<Vec<_>, StoreError>>()?;
            Ok::<_, StoreError>((spend, chances))
        })
    }

    /// Grants chances (once each: a chance already granted for its tier, month and number is
    /// left as it is); returns how many this call granted.
    pub async fn grant_chances(tx: &mut Tx, chances: &[ChanceRecord]) -> Result<u64, StoreError> {
        let sql = format!(
            "INSERT INTO draw_chances ({CHANCE}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
             ON CONFLICT DO NOTHING"
        );
        on_tx!(tx, |conn| {
            let mut granted = 0;
            for c in chances {
                granted += sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
                    .bind(c.id.to_string())
                    .bind(c.lottery.to_string())
                    .bind(c.customer.as_uuid().to_string())
                    .bind(&c.month)
                    .bind(c.tier)
                    .bind(c.n)
                    .bind(c.min_spend_fen)
                    .bind(&c.state)
                    .bind(&c.event)
                    .bind(ns(c.granted_at))
                    .execute(&mut *conn)
                    .await?
                    .rows_affected();
            }
            Ok::<_, StoreError>(granted)
        })
    }

    /// `customer`'s chances in `lottery` (owner-scoped), oldest month and lowest tier first.
    pub async fn chances_in(
        tx: &mut Tx,
        lottery: uuid::Uuid,
        customer: CustomerId,
    ) -> Result<Vec<ChanceRecord>, StoreError> {
        let sql = format!("SELECT {CHANCE} FROM {CHANCES_OF}");
        on_tx!(tx, |conn| {
            sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(lottery.to_string())
                .bind(customer.as_uuid().to_string())
                .fetch_all(conn)
                .await?
                .iter()
                .map(chance_from)
                .collect()
        })
    }

    /// The draw `customer` made in `lottery` under `key`, if any.
    pub async fn draw_by_key(
        tx: &mut Tx,
        lottery: uuid::Uuid,
        customer: CustomerId,
        key: &str,
    ) -> Result<Option<DrawRecord>, StoreError> {
        let sql = format!(
            "SELECT {DRAW} FROM lottery_draws WHERE lottery_id = $1 AND customer_id = $2 \
             AND idempotency_key = $3"
        );
        on_tx!(tx, |conn| {
            sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(lottery.to_string())
                .bind(customer.as_uuid().to_string())
                .bind(key)
                .fetch_optional(conn)
                .await?
                .map(|r| draw_from(&r))
                .transpose()
        })
    }

    /// Marks `chance` used; fails unless it was available.
    pub async fn use_chance(
        tx: &mut Tx,
        chance: uuid::Uuid,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        let sql = "UPDATE draw_chances SET state = 'used', used_at_ns = $2 \
                   WHERE id = $1 AND state = 'available'";
        let used = on_tx!(tx, |conn| {
            sqlx::query(sql)
                .bind(chance.to_string())
                .bind(ns(at))
                .execute(conn)
                .await
                .map(|r| r.rows_affected())
        })?;
        if used == 1 {
            Ok(())
        } else {
            Err(StoreError::CommitFailed(
                "the chance was already used".to_owned(),
            ))
        }
    }

    /// Counts prize `idx` awarded and raises the lottery's totals, under guards: fails if the
    /// prize's stock or a budget would be passed.
    pub async fn award(
        tx: &mut Tx,
        lottery: uuid::Uuid,
        idx: i64,
        face_fen: i64,
        points: i64,
    ) -> Result<(), StoreError> {
        let prize = "UPDATE lottery_prizes SET awarded = awarded + 1 \
                     WHERE lottery_id = $1 AND idx = $2 AND awarded < stock";
        let totals = "UPDATE lotteries SET awarded_fen = awarded_fen + $2, \
                      points_awarded = points_awarded + $3 WHERE id = $1 \
                      AND awarded_fen + $2 <= budget_fen AND points_awarded + $3 <= points_budget";
        let id = lottery.to_string();
        let (a, b) = on_tx!(tx, |conn| {
            let a = sqlx::query(prize)
                .bind(&id)
                .bind(idx)
                .execute(&mut *conn)
                .await?
                .rows_affected();
            let b = sqlx::query(totals)
                .bind(&id)
                .bind(face_fen)
                .bind(points)
                .execute(&mut *conn)
                .await?
                .rows_affected();
            Ok::<_, StoreError>((a, b))
        })?;
        if a == 1 && b == 1 {
            Ok(())
        } else {
            Err(StoreError::CommitFailed(
                "a prize would pass its stock or the lottery's budget".to_owned(),
            ))
        }
    }

    /// Writes the audit record of a draw.
    pub async fn record_draw(tx: &mut Tx, d: &DrawRecord) -> Result<(), StoreError> {
        let sql = format!(
            "INSERT INTO lottery_draws ({DRAW}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, \
             $10, $11, $12, $13)"
        );
        on_tx!(tx, |conn| {
            sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(d.id.to_string())
                .bind(d.lottery.to_string())
                .bind(d.customer.as_uuid().to_string())
                .bind(d.chance.to_string())
                .bind(&d.key)
                .bind(&d.random_value)
                .bind(d.picked)
                .bind(&d.outcome)
                .bind(d.reason.as_deref())
                .bind(d.coupon.map(|c| c.to_string()))
                .bind(d.face_fen)
                .bind(d.points)
                .bind(ns(d.drawn_at))
                .execute(conn)
                .await
                .map(|_| ())
        })
        .map_err(StoreError::from)
    }

    /// A lottery's draws, newest first, at most `limit` (the console's audit list).
    pub async fn draws(
        &self,
        lottery: uuid::Uuid,
        limit: u32,
    ) -> Result<Vec<DrawRecord>, StoreError> {
        let sql = format!(
            "SELECT {DRAW} FROM lottery_draws WHERE lottery_id = $1 \
             ORDER BY drawn_at_ns DESC, id DESC LIMIT $2"
        );
        on_pool!(&self.db, |pool| {
            sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(lottery.to_string())
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await?
                .iter()
                .map(draw_from)
                .collect()
        })
    }

    /// `customer`'s own draws in `lottery`, newest first, at most `limit` (owner-scoped).
    pub async fn draws_of(
        &self,
        lottery: uuid::Uuid,
        customer: CustomerId,
        limit: u32,
    ) -> Result<Vec<DrawRecord>, StoreError> {
        let sql = format!(
            "SELECT {DRAW} FROM lottery_draws WHERE lottery_id = $1 AND customer_id = $2 \
             ORDER BY drawn_at_ns DESC, id DESC LIMIT $3"
        );
        on_pool!(&self.db, |pool| {
            sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(lottery.to_string())
                .bind(customer.as_uuid().to_string())
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await?
                .iter()
                .map(draw_from)
                .collect()
        })
    }

    /// Records inside the draw's transaction that `o.points` are owed for draw `o.draw`.
    pub async fn owe_points(tx: &mut Tx, o: &OwedPointsRecord) -> Result<(), StoreError> {
        let sql = "INSERT INTO lottery_points_owed (draw_id, customer_id, points, owed_at_ns) \
                   VALUES ($1, $2, $3, $4)";
        on_tx!(tx, |conn| {
            sqlx::query(sql)
                .bind(o.draw.to_string())
                .bind(o.customer.as_uuid().to_string())
                .bind(o.points)
                .bind(ns(o.owed_at))
                .execute(conn)
                .await
                .map(|_| ())
        })
        .map_err(StoreError::from)
    }

    /// Forgets what draw `draw` owed: its points are credited.
    pub async fn points_paid(&self, draw: uuid::Uuid) -> Result<(), StoreError> {
        let sql = "DELETE FROM lottery_points_owed WHERE draw_id = $1";
        on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(draw.to_string())
                .execute(pool)
                .await
                .map(|_| ())
        })?;
        Ok(())
    }

    /// Points owed since before `before`, oldest first, at most `limit` (the sweep's work).
    pub async fn owed_before(
        &self,
        before: Timestamp,
        limit: u32,
    ) -> Result<Vec<OwedPointsRecord>, StoreError> {
        let sql = "SELECT draw_id, customer_id, points, owed_at_ns FROM lottery_points_owed \
                   WHERE owed_at_ns < $1 ORDER BY owed_at_ns, draw_id LIMIT $2";
        on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(ns(before))
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await?
                .iter()
                .map(owed_from)
                .collect()
        })
    }
}

fn owed_from<R: Row>(r: &R) -> Result<OwedPointsRecord, StoreError>
where
    for<'r> &'r str: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let draw: String = r.try_get("draw_id")?;
    let customer: String = r.try_get("customer_id")?;
    Ok(OwedPointsRecord {
        draw: uuid_of(&draw, "draw id")?,
        customer: CustomerId::from_uuid(uuid_of(&customer, "customer id")?),
        points: r.try_get("points")?,
        owed_at: instant(r.try_get("owed_at_ns")?)?,
    })
}
