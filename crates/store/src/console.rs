//! What the operator console reads (docs/web.md, "Operator console"): the dashboard's daily and
//! hourly figures, computed by SQL over the stored customers and payment orders, and the
//! customers list with each customer's 360 view. One query text runs on both stores: instants
//! are Unix nanoseconds, so a business day (Asia/Shanghai, UTC+8, no daylight saving) is
//! `(ns + 8 h) / 1 day` in integer arithmetic on either backend.

use cardlife_kernel::CustomerId;
use jiff::Timestamp;
use sqlx::Row;

use crate::both::on_pool;
use crate::db::Db;
use crate::error::StoreError;
use crate::merchants::{instant, ns};

/// Nanoseconds in an hour.
const HOUR_NS: i64 = 3_600_000_000_000;
/// Nanoseconds in a day.
pub const DAY_NS: i64 = 24 * HOUR_NS;
/// The business zone's offset from UTC (Asia/Shanghai keeps +08:00 all year).
pub const ZONE_OFFSET_NS: i64 = 8 * HOUR_NS;

/// The customers query with the facts of each one's lifecycle stage, then `$tail`; `$2` is the
/// start of the spending window. Sums are cast so both backends answer a 64-bit integer.
macro_rules! concat_facts {
    ($tail:literal) => {
        concat!(
            "SELECT c.id, c.phone_masked, c.created_at_ns, ",
            "(SELECT COUNT(*) FROM credit_accounts a WHERE a.customer_id = c.id) AS credit_accounts, ",
            "(SELECT MAX(o.captured_at_ns) FROM payment_orders o WHERE o.payer_id = c.id) AS last_paid_ns, ",
            "(SELECT CAST(COALESCE(SUM(o.captured_fen - o.refunded_cash_fen), 0) AS BIGINT) ",
            "FROM payment_orders o WHERE o.payer_id = c.id AND o.captured_at_ns >= $2) AS window_spend_fen, ",
            "((SELECT COUNT(*) FROM loans l WHERE l.customer_id = c.id AND l.status <> 'closed') + ",
            "(SELECT COUNT(*) FROM credit_lines l WHERE l.customer_id = c.id AND l.drawn_fen > 0)) AS open_financing, ",
            "(SELECT CAST(COALESCE(MAX(l.days_past_due), 0) AS BIGINT) FROM loans l ",
            "WHERE l.customer_id = c.id AND l.status <> 'closed') AS days_past_due ",
            "FROM customers c ",
            $tail
        )
    };
}

/// One business day of payments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PaymentDay {
    /// Days since 1970-01-01 in the business zone.
    pub day: i64,
    /// Captured payments.
    pub count: i64,
    /// What they captured, in fen.
    pub amount_fen: i64,
    /// The merchants' fees (MDR) on them, in fen.
    pub fee_fen: i64,
}

/// A customer in the console's list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerRow {
    /// The customer.
    pub id: CustomerId,
    /// `138****5678`.
    pub phone_masked: String,
    /// When registered.
    pub created_at: Timestamp,
    /// Credit accounts held.
    pub credit_accounts: i64,
    /// The latest payment captured.
    pub last_paid_at: Option<Timestamp>,
    /// Captured less refunded, fen, of the payments captured since the window's start.
    pub window_spend_fen: i64,
    /// Loans not closed, and credit lines with a drawn balance.
    pub open_financing: i64,
    /// Days past due of the worst loan not closed.
    pub days_past_due: i64,
}

/// A loan or credit line in a 360 view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoanRow {
    /// Product name.
    pub product: String,
    /// Amount (a loan's principal, a line's limit), fen.
    pub amount_fen: i64,
    /// `active`, `settled`, … or `line` for a credit line.
    pub status: String,
    /// When booked or opened.
    pub created_at: Timestamp,
}

/// A payment in a 360 view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentRow {
    /// The merchant's name.
    pub merchant_name: String,
    /// The price, fen.
    pub amount_fen: i64,
    /// The order's state.
    pub status: String,
    /// When.
    pub created_at: Timestamp,
}

/// The console's reads.
#[derive(Debug, Clone)]
pub struct ConsoleStore {
    db: Db,
}

fn day_of(at: Timestamp) -> i64 {
    (ns(at) + ZONE_OFFSET_NS).div_euclid(DAY_NS)
}

impl ConsoleStore {
    /// The tables of `db` (migrated).
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// Registrations per business day from `since` on, as (day, count), days without any left
    /// out.
    pub async fn registrations_by_day(
        &self,
        since: Timestamp,
    ) -> Result<Vec<(i64, i64)>, StoreError> {
        let sql = "SELECT (created_at_ns + $1) / $2 AS day, COUNT(*) AS n FROM customers \
                   WHERE created_at_ns >= $3 GROUP BY day ORDER BY day";
        on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(ZONE_OFFSET_NS)
                .bind(DAY_NS)
                .bind(ns(since))
                .fetch_all(pool)
                .await?
                .iter()
                .map(|r| Ok((r.try_get("day")?, r.try_get("n")?)))
                .collect()
        })
    }

    /// Captured payments per business day from `since` on (by capture time).
    pub async fn payments_by_day(&self, since: Timestamp) -> Result<Vec<PaymentDay>, StoreError> {
        let sql = "SELECT (captured_at_ns + $1) / $2 AS day, COUNT(*) AS n, \
                   CAST(SUM(captured_fen) AS BIGINT) AS amount, CAST(SUM(mdr_fen) AS BIGINT) AS fee \
                   FROM payment_orders WHERE captured_at_ns IS NOT NULL AND captured_at_ns >= $3 \
                   GROUP BY day ORDER BY day";
        on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(ZONE_OFFSET_NS)
                .bind(DAY_NS)
                .bind(ns(since))
                .fetch_all(pool)
                .await?
                .iter()
                .map(|r| {
                    Ok(PaymentDay {
                        day: r.try_get("day")?,
                        count: r.try_get("n")?,
                        amount_fen: r.try_get("amount")?,
                        fee_fen: r.try_get("fee")?,
                    })
                })
                .collect()
        })
    }

    /// Captured payments by hour of the business day (0–23) from `since` on, as (hour, count).
    pub async fn payments_by_hour(&self, since: Timestamp) -> Result<Vec<(i64, i64)>, StoreError> {
        let sql = "SELECT ((captured_at_ns + $1) / $2) % 24 AS hour, COUNT(*) AS n \
                   FROM payment_orders WHERE captured_at_ns IS NOT NULL AND captured_at_ns >= $3 \
                   GROUP BY hour ORDER BY hour";
        on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(ZONE_OFFSET_NS)
                .bind(HOUR_NS)
                .bind(ns(since))
                .fetch_all(pool)
                .await?
                .iter()
                .map(|r| Ok((r.try_get("hour")?, r.try_get("n")?)))
                .collect()
        })
    }

    /// The newest customers, with the facts of their lifecycle stage (spending counted from
    /// `window_start`).
    pub async fn customers(
        &self,
        limit: u32,
        window_start: Timestamp,
    ) -> Result<Vec<CustomerRow>, StoreError> {
        let sql = concat_facts!("ORDER BY c.created_at_ns DESC, c.id DESC LIMIT $1");
        on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(i64::from(limit))
                .bind(ns(window_start))
                .fetch_all(pool)
                .await?
                .iter()
                .map(customer_row)
                .collect()
        })
    }

    /// One customer, with the facts of their lifecycle stage.
    pub async fn customer(
        &self,
        id: CustomerId,
        window_start: Timestamp,
    ) -> Result<Option<CustomerRow>, StoreError> {
        let sql = concat_facts!("WHERE c.id = $1");
        on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(id.as_uuid().to_string())
                .bind(ns(window_start))
                .fetch_optional(pool)
                .await?
                .as_ref()
                .map(customer_row)
                .transpose()
        })
    }

    /// A customer's loans and credit lines, newest first.
    pub async fn loans_of(&self, id: CustomerId) -> Result<Vec<LoanRow>, StoreError> {
        let sql = "SELECT product, amount_fen, status, created_at_ns FROM loans WHERE customer_id = $1 \
                   UNION ALL \
                   SELECT product, limit_fen AS amount_fen, 'line' AS status, created_at_ns \
                   FROM credit_lines WHERE customer_id = $1 \
                   ORDER BY created_at_ns DESC LIMIT 50";
        on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(id.as_uuid().to_string())
                .fetch_all(pool)
                .await?
                .iter()
                .map(|r| {
                    Ok(LoanRow {
                        product: r.try_get("product")?,
                        amount_fen: r.try_get("amount_fen")?,
                        status: r.try_get("status")?,
                        created_at: instant(r.try_get("created_at_ns")?)?,
                    })
                })
                .collect()
        })
    }

    /// A customer's bound debit cards, masked (first 6 and last 4), as (masked, bound at).
    pub async fn debit_cards_of(
        &self,
        id: CustomerId,
    ) -> Result<Vec<(String, Timestamp)>, StoreError> {
        let sql = "SELECT masked, created_at_ns FROM debit_cards WHERE customer_id = $1 \
                   ORDER BY created_at_ns DESC LIMIT 50";
        on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(id.as_uuid().to_string())
                .fetch_all(pool)
                .await?
                .iter()
                .map(|r| Ok((r.try_get("masked")?, instant(r.try_get("created_at_ns")?)?)))
                .collect()
        })
    }

    /// A customer's payments, newest first.
    pub async fn payments_of(&self, id: CustomerId) -> Result<Vec<PaymentRow>, StoreError> {
        let sql = "SELECT m.name AS merchant_name, o.goods_fen, o.status, o.created_at_ns \
                   FROM payment_orders o JOIN merchants m ON m.id = o.merchant_id \
                   WHERE o.payer_id = $1 ORDER BY o.created_at_ns DESC LIMIT 50";
        on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(id.as_uuid().to_string())
                .fetch_all(pool)
                .await?
                .iter()
                .map(|r| {
                    Ok(PaymentRow {
                        merchant_name: r.try_get("merchant_name")?,
                        amount_fen: r.try_get("goods_fen")?,
                        status: r.try_get("status")?,
                        created_at: instant(r.try_get("created_at_ns")?)?,
                    })
                })
                .collect()
        })
    }

    /// The business day `at` falls on (days since 1970-01-01).
    pub fn day_of(at: Timestamp) -> i64 {
        day_of(at)
    }
}

fn customer_row<R: Row>(r: &R) -> Result<CustomerRow, StoreError>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let id: String = r.try_get("id")?;
    Ok(CustomerRow {
        id: CustomerId::from_uuid(
            id.parse::<uuid::Uuid>()
                .map_err(|_| StoreError::Corrupt("customer id"))?,
        ),
        phone_masked: r.try_get("phone_masked")?,
        created_at: instant(r.try_get("created_at_ns")?)?,
        credit_accounts: r.try_get("credit_accounts")?,
        last_paid_at: r
            .try_get::<Option<i64>, _>("last_paid_ns")?
            .map(instant)
            .transpose()?,
        window_spend_fen: r.try_get("window_spend_fen")?,
        open_financing: r.try_get("open_financing")?,
        days_past_due: r.try_get("days_past_due")?,
    })
}
