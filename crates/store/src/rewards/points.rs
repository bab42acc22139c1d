//! Points: per-customer totals, lots, movements (the ledger outbox) and expiry notices
//! (docs/rewards.md, "Points"). A change of a customer's points runs in one [`Tx`]: it first
//! locks the customer's totals row ([`PointsStore::lock`]: an `UPDATE … RETURNING`, a row lock on
//! PostgreSQL, the write lock on SQLite), reads the lots, and writes the changed lots, the new
//! totals and its movements together. Dates are `YYYY-MM-DD` text.

use cardlife_kernel::CustomerId;
use jiff::Timestamp;
use sqlx::AssertSqlSafe;

use crate::batch::{Batch, Ran, stmt};
use crate::both::on_pool;
use crate::db::Db;
use crate::error::StoreError;
use crate::tx::{Tx, on_tx};

/// Lifetime totals of one customer's points, and the row's version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TotalsRecord {
    /// Σ credited.
    pub earned: i64,
    /// Σ redeemed.
    pub redeemed: i64,
    /// Σ lapsed.
    pub expired: i64,
    /// Σ clawed back.
    pub clawed: i64,
    /// Σ remaining over the lots.
    pub balance: i64,
}

/// One lot as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LotRecord {
    /// 1, 2, … per customer, in crediting order.
    pub lot_no: i64,
    /// `YYYY-MM-DD`.
    pub earned_on: String,
    /// `YYYY-MM-DD`, the first date it is unusable; `None` = permanent.
    pub expires_on: Option<String>,
    /// What earned it (`order:<uuid>`, `mall-refund:<uuid>:<n>`), if anything.
    pub source: Option<String>,
    /// Points credited.
    pub original: i64,
    /// Points left.
    pub remaining: i64,
}

/// One movement of a customer's points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MovementRecord {
    /// The points-ledger transfer id.
    pub id: u128,
    /// Whose points.
    pub customer: CustomerId,
    /// `accrual`, `clawback`, `expiry`, `redemption`, `recredit`.
    pub kind: String,
    /// Unique per kind: what caused it.
    pub reference: String,
    /// Signed: + credited, − taken.
    pub points: i64,
    /// For an accrual: the payment amount it was earned on.
    pub amount_fen: Option<i64>,
    /// `YYYY-MM-DD`.
    pub business_date: String,
    /// When it was written.
    pub at: Timestamp,
}

/// A credit of points as a new lot, written by [`PointsStore::credit_batch`] without reading
/// the customer's lots first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLotRecord {
    /// Business date earned (`YYYY-MM-DD`).
    pub earned_on: String,
    /// First date unusable; `None` = permanent.
    pub expires_on: Option<String>,
    /// The points-ledger transfer that credited it (32 hex digits), when it has one.
    pub source: Option<String>,
}

/// What a credit batch did ([`PointsStore::credited`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credited {
    /// The lot, its movement and the totals were written.
    Now,
    /// This (kind, reference) was credited before: the batch must be undone.
    Before,
    /// The totals would pass `i64::MAX`: the batch must be undone.
    Overflow,
}

/// An advance notice of points about to lapse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeRecord {
    /// The lot.
    pub lot_no: i64,
    /// Points that lapse unless used.
    pub points: i64,
    /// `YYYY-MM-DD`: the first date they are unusable.
    pub expires_on: String,
    /// `YYYY-MM-DD`: when the notice was written.
    pub noticed_on: String,
}

/// The points tables.
#[derive(Debug, Clone)]
pub struct PointsStore {
    db: Db,
}

fn ns(t: Timestamp) -> i64 {
    i64::try_from(t.as_nanosecond()).unwrap_or(i64::MAX)
}

fn instant(v: i64) -> Result<Timestamp, StoreError> {
    Timestamp::from_nanosecond(i128::from(v)).map_err(|_| StoreError::Corrupt("instant"))
}

fn customer_of(text: &str) -> Result<CustomerId, StoreError> {
    text.parse::<uuid::Uuid>()
        .map(CustomerId::from_uuid)
        .map_err(|_| StoreError::Corrupt("customer id"))
}

fn transfer_id_of(text: &str) -> Result<u128, StoreError> {
    u128::from_str_radix(text, 16).map_err(|_| StoreError::Corrupt("points transfer id"))
}

type LotRow = (i64, String, Option<String>, Option<String>, i64, i64);
type MovementRow = (
    String,
    String,
    String,
    String,
    i64,
    Option<i64>,
    String,
    i64,
);

fn lot_from(r: LotRow) -> LotRecord {
    LotRecord {
        lot_no: r.0,
        earned_on: r.1,
        expires_on: r.2,
        source: r.3,
        original: r.4,
        remaining: r.5,
    }
}

fn movement_from(r: MovementRow) -> Result<MovementRecord, StoreError> {
    Ok(MovementRecord {
        id: transfer_id_of(&r.0)?,
        customer: customer_of(&r.1)?,
        kind: r.2,
        reference: r.3,
        points: r.4,
        amount_fen: r.5,
        business_date: r.6,
        at: instant(r.7)?,
    })
}

/// Marks one movement posted: its transfer is on the ledger.
const MARK_POSTED: &str = "UPDATE points_movements SET posted = 1 WHERE id = $1";

const MOVEMENT_COLUMNS: &str =
    "id, customer_id, kind, reference, points, amount_fen, business_date, at_ns";

impl PointsStore {
    /// The points tables of `db` (migrated).
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// Locks the customer's totals row for the rest of `tx` (creating it at zero) and reads it.
    pub async fn lock(tx: &mut Tx, customer: CustomerId) -> Result<TotalsRecord, StoreError> {
        let create = "INSERT INTO points_balances (customer_id) VALUES ($1) \
                      ON CONFLICT (customer_id) DO NOTHING";
        let lock = "UPDATE points_balances SET version = version + 1 WHERE customer_id = $1 \
                    RETURNING earned, redeemed, expired, clawed, balance";
        let id = customer.as_uuid().to_string();
        let row: (i64, i64, i64, i64, i64) = on_tx!(tx, |conn| {
            sqlx::query(create).bind(&id).execute(&mut *conn).await?;
            sqlx::query_as(lock).bind(&id).fetch_one(&mut *conn).await
        })?;
        Ok(TotalsRecord {
            earned: row.0,
            redeemed: row.1,
            expired: row.2,
            clawed: row.3,
            balance: row.4,
        })
    }

    /// The customer's lots in crediting order, inside `tx`.
    pub async fn lots_in(tx: &mut Tx, customer: CustomerId) -> Result<Vec<LotRecord>, StoreError> {
        let sql = "SELECT lot_no, earned_on, expires_on, source, original, remaining \
                   FROM points_lots WHERE customer_id = $1 ORDER BY lot_no";
        let rows: Vec<LotRow> = on_tx!(tx, |conn| {
            sqlx::query_as(sql)
                .bind(customer.as_uuid().to_string())
                .fetch_all(conn)
                .await
        })?;
        Ok(rows.into_iter().map(lot_from).collect())
    }

    /// The movement of `kind` for `reference`, if it was written, inside `tx`.
    pub async fn movement_in(
        tx: &mut Tx,
        kind: &str,
        reference: &str,
    ) -> Result<Option<MovementRecord>, StoreError> {
        let sql = format!(
            "SELECT {MOVEMENT_COLUMNS} FROM points_movements WHERE kind = $1 AND reference = $2"
        );
        let row: Option<MovementRow> = on_tx!(tx, |conn| {
            sqlx::query_as(AssertSqlSafe(sql.as_str()))
                .bind(kind)
                .bind(reference)
                .fetch_optional(conn)
                .await
        })?;
        row.map(movement_from).transpose()
    }

    /// Writes a change: the new totals, every changed or new lot, and the movements.
    pub async fn save(
        tx: &mut Tx,
        customer: CustomerId,
        totals: TotalsRecord,
        lots: &[LotRecord],
        movements: &[MovementRecord],
    ) -> Result<(), StoreError> {
        let totals_sql = "UPDATE points_balances SET earned = $2, redeemed = $3, expired = $4, \
                          clawed = $5, balance = $6 WHERE customer_id = $1";
        let lot_sql = "INSERT INTO points_lots \
                       (customer_id, lot_no, earned_on, expires_on, source, original, remaining) \
                       VALUES ($1, $2, $3, $4, $5, $6, $7) \
                       ON CONFLICT (customer_id, lot_no) DO UPDATE SET remaining = excluded.remaining";
        let movement_sql = "INSERT INTO points_movements \
                            (id, customer_id, kind, reference, points, amount_fen, business_date, at_ns) \
                            VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
        let id = customer.as_uuid().to_string();
        on_tx!(tx, |conn| {
            sqlx::query(totals_sql)
                .bind(&id)
                .bind(totals.earned)
                .bind(totals.redeemed)
                .bind(totals.expired)
                .bind(totals.clawed)
                .bind(totals.balance)
                .execute(&mut *conn)
                .await?;
            for l in lots {
                sqlx::query(lot_sql)
                    .bind(&id)
                    .bind(l.lot_no)
                    .bind(&l.earned_on)
                    .bind(&l.expires_on)
                    .bind(&l.source)
                    .bind(l.original)
                    .bind(l.remaining)
                    .execute(&mut *conn)
                    .await?;
            }
            for m in movements {
                sqlx::query(movement_sql)
                    .bind(format!("{:032x}", m.id))
                    .bind(&id)
                    .bind(&m.kind)
                    .bind(&m.reference)
                    .bind(m.points)
                    .bind(m.amount_fen)
                    .bind(&m.business_date)
                    .bind(ns(m.at))
                    .execute(&mut *conn)
                    .await?;
            }
            Ok::<_, sqlx::Error>(())
        })?;
        Ok(())
    }

    /// The statements that credit `movement.points` (> 0) to `movement.customer` as a new lot:
    /// the totals row made if missing, the movement (which touches no row when its (kind,
    /// reference) was credited before), the totals raised, and the lot numbered one past the
    /// customer's last — four statements for one batch, with no read of the lots in between, so
    /// the credit goes to the group writer with whatever else is queued (docs/rewards.md,
    /// "Points"). The totals are raised before the lot is numbered: on PostgreSQL their row lock
    /// orders two credits of one customer, and the second numbers its lot after the first's.
    /// Read the outcome with [`PointsStore::credited`] inside the transaction; anything but
    /// [`Credited::Now`] must undo the batch.
    pub fn credit_batch(movement: &MovementRecord, lot: &NewLotRecord) -> Batch {
        let id = movement.customer.as_uuid().to_string();
        let mut batch = Batch::new();
        batch.push(stmt!(
            "INSERT INTO points_balances (customer_id) VALUES ($1) ON CONFLICT (customer_id) DO NOTHING",
            &id
        ));
        batch.push(stmt!(
            "INSERT INTO points_movements \
             (id, customer_id, kind, reference, points, amount_fen, business_date, at_ns) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
            format!("{:032x}", movement.id),
            &id,
            &movement.kind,
            &movement.reference,
            movement.points,
            movement.amount_fen,
            &movement.business_date,
            ns(movement.at),
        ));
        batch.push(stmt!(
            "UPDATE points_balances SET earned = earned + $2, balance = balance + $2, \
             version = version + 1 WHERE customer_id = $1 AND earned <= $3 AND balance <= $3",
            &id,
            movement.points,
            i64::MAX.saturating_sub(movement.points),
        ));
        batch.push(stmt!(
            "INSERT INTO points_lots \
             (customer_id, lot_no, earned_on, expires_on, source, original, remaining) \
             SELECT $1, COALESCE(MAX(lot_no), 0) + 1, $2, $3, $4, $5, $5 \
             FROM points_lots WHERE customer_id = $1",
            &id,
            &lot.earned_on,
            &lot.expires_on,
            &lot.source,
            movement.points,
        ));
        batch
    }

    /// What a [`PointsStore::credit_batch`] did; `Err` when one of its statements failed.
    pub fn credited(ran: &mut Ran) -> Result<Credited, StoreError> {
        ran.rows(0)?;
        if ran.rows(1)? == 0 {
            return Ok(Credited::Before);
        }
        if ran.rows(2)? == 0 {
            return Ok(Credited::Overflow);
        }
        match ran.rows(3)? {
            1 => Ok(Credited::Now),
            _ => Err(StoreError::Corrupt("points lot numbering")),
        }
    }

    /// The statement marking movement `id` posted (its transfer is on the ledger).
    pub fn posted_stmt(id: u128) -> crate::batch::Stmt {
        stmt!(MARK_POSTED, format!("{id:032x}"))
    }

    /// Records advance notices (one per lot; a lot already noticed is skipped), inside `tx`.
    pub async fn notice(
        tx: &mut Tx,
        customer: CustomerId,
        notices: &[NoticeRecord],
    ) -> Result<(), StoreError> {
        let sql = "INSERT INTO points_expiry_notices \
                   (customer_id, lot_no, points, expires_on, noticed_on) VALUES ($1, $2, $3, $4, $5) \
                   ON CONFLICT (customer_id, lot_no) DO NOTHING";
        let id = customer.as_uuid().to_string();
        on_tx!(tx, |conn| {
            for n in notices {
                sqlx::query(sql)
                    .bind(&id)
                    .bind(n.lot_no)
                    .bind(n.points)
                    .bind(&n.expires_on)
                    .bind(&n.noticed_on)
                    .execute(&mut *conn)
                    .await?;
            }
            Ok::<_, sqlx::Error>(())
        })?;
        Ok(())
    }

    /// The customer's totals (zero when they never had points).
    pub async fn totals(&self, customer: CustomerId) -> Result<TotalsRecord, StoreError> {
        let sql = "SELECT earned, redeemed, expired, clawed, balance FROM points_balances \
                   WHERE customer_id = $1";
        let row: Option<(i64, i64, i64, i64, i64)> = on_pool!(&self.db, |pool| {
            sqlx::query_as(sql)
                .bind(customer.as_uuid().to_string())
                .fetch_optional(pool)
                .await
        })?;
        Ok(row
            .map(|r| TotalsRecord {
                earned: r.0,
                redeemed: r.1,
                expired: r.2,
                clawed: r.3,
                balance: r.4,
            })
            .unwrap_or_default())
    }

    /// The customer's lots, in crediting order.
    pub async fn lots(&self, customer: CustomerId) -> Result<Vec<LotRecord>, StoreError> {
        let sql = "SELECT lot_no, earned_on, expires_on, source, original, remaining \
                   FROM points_lots WHERE customer_id = $1 ORDER BY lot_no";
        let rows: Vec<LotRow> = on_pool!(&self.db, |pool| {
            sqlx::query_as(sql)
                .bind(customer.as_uuid().to_string())
                .fetch_all(pool)
                .await
        })?;
        Ok(rows.into_iter().map(lot_from).collect())
    }

    /// The customer's latest `limit` movements, newest first.
    pub async fn movements(
        &self,
        customer: CustomerId,
        limit: i64,
    ) -> Result<Vec<MovementRecord>, StoreError> {
        let sql = format!(
            "SELECT {MOVEMENT_COLUMNS} FROM points_movements WHERE customer_id = $1 \
             ORDER BY seq DESC LIMIT $2"
        );
        let rows: Vec<MovementRow> = on_pool!(&self.db, |pool| {
            sqlx::query_as(AssertSqlSafe(sql.as_str()))
                .bind(customer.as_uuid().to_string())
                .bind(limit)
                .fetch_all(pool)
                .await
        })?;
        rows.into_iter().map(movement_from).collect()
    }

    /// The customer's notices of points that still lapse on or after `today`, soonest first.
    pub async fn notices(
        &self,
        customer: CustomerId,
        today: &str,
    ) -> Result<Vec<NoticeRecord>, StoreError> {
        let sql = "SELECT n.lot_no, n.points, n.expires_on, n.noticed_on \
                   FROM points_expiry_notices n JOIN points_lots l \
                   ON l.customer_id = n.customer_id AND l.lot_no = n.lot_no \
                   WHERE n.customer_id = $1 AND n.expires_on > $2 AND l.remaining > 0 \
                   ORDER BY n.expires_on, n.lot_no";
        let rows: Vec<(i64, i64, String, String)> = on_pool!(&self.db, |pool| {
            sqlx::query_as(sql)
                .bind(customer.as_uuid().to_string())
                .bind(today)
                .fetch_all(pool)
                .await
        })?;
        Ok(rows
            .into_iter()
            .map(|r| NoticeRecord {
                lot_no: r.0,
                points: r.1,
                expires_on: r.2,
                noticed_on: r.3,
            })
            .collect())
    }

    /// Customers holding points in a lot that expires on or before `date` (`YYYY-MM-DD`).
    pub async fn customers_expiring_by(&self, date: &str) -> Result<Vec<CustomerId>, StoreError> {
        let sql = "SELECT DISTINCT customer_id FROM points_lots \
                   WHERE remaining > 0 AND expires_on IS NOT NULL AND expires_on <= $1 \
                   ORDER BY customer_id";
        let rows: Vec<(String,)> = on_pool!(&self.db, |pool| {
            sqlx::query_as(sql).bind(date).fetch_all(pool).await
        })?;
        rows.iter().map(|r| customer_of(&r.0)).collect()
    }

    /// Movements not yet posted to the ledger, oldest first; of one customer or of everyone.
    pub async fn unposted(
        &self,
        customer: Option<CustomerId>,
        limit: i64,
    ) -> Result<Vec<MovementRecord>, StoreError> {
        let sql = format!(
            "SELECT {MOVEMENT_COLUMNS} FROM points_movements \
             WHERE posted = 0 AND ($1 = '' OR customer_id = $1) ORDER BY seq LIMIT $2"
        );
        let who = customer
            .map(|c| c.as_uuid().to_string())
            .unwrap_or_default();
        let rows: Vec<MovementRow> = on_pool!(&self.db, |pool| {
            sqlx::query_as(AssertSqlSafe(sql.as_str()))
                .bind(&who)
                .bind(limit)
                .fetch_all(pool)
                .await
        })?;
        rows.into_iter().map(movement_from).collect()
    }

    /// Marks movements posted (the ledger answered `ok` or `exists` for their transfers).
    pub async fn mark_posted(&self, ids: &[u128]) -> Result<(), StoreError> {
        on_pool!(&self.db, |pool| {
            let mut tx = pool.begin().await?;
            for id in ids {
                sqlx::query(MARK_POSTED)
                    .bind(format!("{id:032x}"))
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await
        })?;
        Ok(())
    }

    /// Σ balance over every customer, and Σ remaining over every lot (equal when consistent).
    pub async fn sums(&self) -> Result<(i64, i64), StoreError> {
        let sql = "SELECT CAST((SELECT COALESCE(SUM(balance), 0) FROM points_balances) AS BIGINT), \
                   CAST((SELECT COALESCE(SUM(remaining), 0) FROM points_lots) AS BIGINT)";
        let (a, b): (i64, i64) =
            on_pool!(&self.db, |pool| sqlx::query_as(sql).fetch_one(pool).await)?;
        Ok((a, b))
    }
}
