//! The points mall: items with stock, orders and the lots each order's points came from
//! (docs/rewards.md, "Points mall"). An order or a refund is written inside the same [`Tx`] as
//! the points change it causes (see [`crate::rewards::points`]); stock is lowered with
//! `WHERE remaining >= n` and `CHECK (remaining >= 0)` behind it, so it never oversells.

use cardlife_kernel::CustomerId;
use jiff::Timestamp;

use crate::both::on_pool;
use crate::db::Db;
use crate::error::StoreError;
use crate::tx::{Tx, on_tx};

/// An item as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MallItemRecord {
    /// The item.
    pub id: uuid::Uuid,
    /// Name in Chinese.
    pub name_zh: String,
    /// Name in English.
    pub name_en: String,
    /// Points per unit.
    pub points: i64,
    /// Cash per unit, fen (0 = points only).
    pub cash_fen: i64,
    /// Units listed.
    pub stock: i64,
    /// Units left.
    pub remaining: i64,
    /// Most units one customer may hold.
    pub per_customer_limit: i64,
    /// On sale from.
    pub starts_at: Timestamp,
    /// On sale until (exclusive).
    pub ends_at: Timestamp,
}

/// An order as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MallOrderRecord {
    /// The order.
    pub id: uuid::Uuid,
    /// The buyer.
    pub customer: CustomerId,
    /// The item.
    pub item: uuid::Uuid,
    /// Units ordered.
    pub quantity: i64,
    /// Units refunded.
    pub refunded: i64,
    /// Points per unit when ordered.
    pub unit_points: i64,
    /// Cash per unit when ordered, fen.
    pub unit_cash_fen: i64,
    /// The card authorisation of the cash part (32 hex digits), if there is one.
    pub funding_auth_id: Option<String>,
    /// When it was placed.
    pub created_at: Timestamp,
}

/// Points taken from one lot for an order, and how many came back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TakeRecord {
    /// FIFO position.
    pub n: i64,
    /// The lot.
    pub lot_no: i64,
    /// Points taken.
    pub points: i64,
    /// Points returned by refunds.
    pub returned: i64,
}

/// The mall tables.
#[derive(Debug, Clone)]
pub struct MallStore {
    db: Db,
}

fn ns(t: Timestamp) -> i64 {
    i64::try_from(t.as_nanosecond()).unwrap_or(i64::MAX)
}

fn instant(v: i64) -> Result<Timestamp, StoreError> {
    Timestamp::from_nanosecond(i128::from(v)).map_err(|_| StoreError::Corrupt("instant"))
}

fn uuid_of(text: &str, what: &'static str) -> Result<uuid::Uuid, StoreError> {
    text.parse().map_err(|_| StoreError::Corrupt(what))
}

type ItemRow = (String, String, String, i64, i64, i64, i64, i64, i64, i64);
type OrderRow = (
    String,
    String,
    String,
    i64,
    i64,
    i64,
    i64,
    Option<String>,
    i64,
);

const ITEM_COLUMNS: &str = "SELECT id, name_zh, name_en, points, cash_fen, stock, remaining, \
                            per_customer_limit, starts_at_ns, ends_at_ns FROM mall_items";
const ORDER_COLUMNS: &str = "SELECT id, customer_id, item_id, quantity, refunded, unit_points, \
                             unit_cash_fen, funding_auth_id, created_at_ns FROM mall_orders";

fn item_from(r: ItemRow) -> Result<MallItemRecord, StoreError> {
    Ok(MallItemRecord {
        id: uuid_of(&r.0, "mall item id")?,
        name_zh: r.1,
        name_en: r.2,
        points: r.3,
        cash_fen: r.4,
        stock: r.5,
        remaining: r.6,
        per_customer_limit: r.7,
        starts_at: instant(r.8)?,
        ends_at: instant(r.9)?,
    })
}

fn order_from(r: OrderRow) -> Result<MallOrderRecord, StoreError> {
    Ok(MallOrderRecord {
        id: uuid_of(&r.0, "mall order id")?,
        customer: CustomerId::from_uuid(uuid_of(&r.1, "customer id")?),
        item: uuid_of(&r.2, "mall item id")?,
        quantity: r.3,
        refunded: r.4,
        unit_points: r.5,
        unit_cash_fen: r.6,
        funding_auth_id: r.7,
        created_at: instant(r.8)?,
    })
}

impl MallStore {
    /// The mall tables of `db` (migrated).
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// Lists an item with all its stock remaining.
    pub async fn insert_item(&self, i: &MallItemRecord, now: Timestamp) -> Result<(), StoreError> {
        let sql = "INSERT INTO mall_items (id, name_zh, name_en, points, cash_fen, stock, \
                   remaining, per_customer_limit, starts_at_ns, ends_at_ns, created_at_ns) \
                   VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8, $9, $10)";
        on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(i.id.to_string())
                .bind(&i.name_zh)
                .bind(&i.name_en)
                .bind(i.points)
                .bind(i.cash_fen)
                .bind(i.stock)
                .bind(i.per_customer_limit)
                .bind(ns(i.starts_at))
                .bind(ns(i.ends_at))
                .bind(ns(now))
                .execute(pool)
                .await
                .map(|_| ())
        })?;
        Ok(())
    }

    /// Every item, oldest listing first.
    pub async fn items(&self) -> Result<Vec<MallItemRecord>, StoreError> {
        let sql = format!("{ITEM_COLUMNS} ORDER BY created_at_ns, id");
        let rows: Vec<ItemRow> = on_pool!(&self.db, |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
                .fetch_all(pool)
                .await
        })?;
        rows.into_iter().map(item_from).collect()
    }

    /// An item by id.
    pub async fn item(&self, id: uuid::Uuid) -> Result<Option<MallItemRecord>, StoreError> {
        let sql = format!("{ITEM_COLUMNS} WHERE id = $1");
        let row: Option<ItemRow> = on_pool!(&self.db, |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(id.to_string())
                .fetch_optional(pool)
                .await
        })?;
        row.map(item_from).transpose()
    }

    /// Changes the item's remaining stock by `delta` inside `tx`; `false` (nothing written) when
    /// that would take it below zero or above the stock.
    pub async fn move_stock(tx: &mut Tx, item: uuid::Uuid, delta: i64) -> Result<bool, StoreError> {
        let sql = "UPDATE mall_items SET remaining = remaining + $2 \
                   WHERE id = $1 AND remaining + $2 >= 0 AND remaining + $2 <= stock";
        let n = on_tx!(tx, |conn| {
            sqlx::query(sql)
                .bind(item.to_string())
                .bind(delta)
                .execute(conn)
                .await
                .map(|r| r.rows_affected())
        })?;
        Ok(n == 1)
    }

    /// Units of `item` the customer holds (ordered and not refunded), inside `tx`.
    pub async fn held_in(
        tx: &mut Tx,
        customer: CustomerId,
        item: uuid::Uuid,
    ) -> Result<i64, StoreError> {
        let sql = "SELECT CAST(COALESCE(SUM(quantity - refunded), 0) AS BIGINT) FROM mall_orders \
                   WHERE customer_id = $1 AND item_id = $2";
        let n: i64 = on_tx!(tx, |conn| {
            sqlx::query_scalar(sql)
                .bind(customer.as_uuid().to_string())
                .bind(item.to_string())
                .fetch_one(conn)
                .await
        })?;
        Ok(n)
    }

    /// Writes a new order and its takes inside `tx`.
    pub async fn insert_order(
        tx: &mut Tx,
        o: &MallOrderRecord,
        takes: &[TakeRecord],
    ) -> Result<(), StoreError> {
        let sql = "INSERT INTO mall_orders (id, customer_id, item_id, quantity, refunded, \
                   unit_points, unit_cash_fen, funding_auth_id, created_at_ns) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
        let take_sql = "INSERT INTO mall_order_takes (order_id, n, lot_no, points, returned) \
                        VALUES ($1, $2, $3, $4, $5)";
        let id = o.id.to_string();
        on_tx!(tx, |conn| {
            sqlx::query(sql)
                .bind(&id)
                .bind(o.customer.as_uuid().to_string())
                .bind(o.item.to_string())
                .bind(o.quantity)
                .bind(o.refunded)
                .bind(o.unit_points)
                .bind(o.unit_cash_fen)
                .bind(&o.funding_auth_id)
                .bind(ns(o.created_at))
                .execute(&mut *conn)
                .await?;
            for t in takes {
                sqlx::query(take_sql)
                    .bind(&id)
                    .bind(t.n)
                    .bind(t.lot_no)
                    .bind(t.points)
                    .bind(t.returned)
                    .execute(&mut *conn)
                    .await?;
            }
            Ok::<_, sqlx::Error>(())
        })?;
        Ok(())
    }

    /// Records a refund inside `tx`: `refunded` moves from `was` to `now` (`false`, nothing
    /// written, when another refund got there first) and each take's `returned` is set.
    pub async fn record_refund(
        tx: &mut Tx,
        order: uuid::Uuid,
        was: i64,
        now: i64,
        takes: &[TakeRecord],
    ) -> Result<bool, StoreError> {
        let sql = "UPDATE mall_orders SET refunded = $3 WHERE id = $1 AND refunded = $2";
        let take_sql = "UPDATE mall_order_takes SET returned = $3 WHERE order_id = $1 AND n = $2";
        let id = order.to_string();
        let n = on_tx!(tx, |conn| {
            sqlx::query(sql)
                .bind(&id)
                .bind(was)
                .bind(now)
                .execute(conn)
                .await
                .map(|r| r.rows_affected())
        })?;
        if n != 1 {
            return Ok(false);
        }
        on_tx!(tx, |conn| {
            for t in takes {
                sqlx::query(take_sql)
                    .bind(&id)
                    .bind(t.n)
                    .bind(t.returned)
                    .execute(&mut *conn)
                    .await?;
            }
            Ok::<_, sqlx::Error>(())
        })?;
        Ok(true)
    }

    /// An order of the customer's (another customer's answers `None`).
    pub async fn order_of(
        &self,
        customer: CustomerId,
        id: uuid::Uuid,
    ) -> Result<Option<MallOrderRecord>, StoreError> {
        let sql = format!("{ORDER_COLUMNS} WHERE id = $1 AND customer_id = $2");
        let row: Option<OrderRow> = on_pool!(&self.db, |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(id.to_string())
                .bind(customer.as_uuid().to_string())
                .fetch_optional(pool)
                .await
        })?;
        row.map(order_from).transpose()
    }

    /// The customer's orders, newest first.
    pub async fn orders_of(
        &self,
        customer: CustomerId,
    ) -> Result<Vec<MallOrderRecord>, StoreError> {
        let sql = format!("{ORDER_COLUMNS} WHERE customer_id = $1 ORDER BY created_at_ns DESC, id");
        let rows: Vec<OrderRow> = on_pool!(&self.db, |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(customer.as_uuid().to_string())
                .fetch_all(pool)
                .await
        })?;
        rows.into_iter().map(order_from).collect()
    }

    /// An order's takes in FIFO order.
    pub async fn takes(&self, order: uuid::Uuid) -> Result<Vec<TakeRecord>, StoreError> {
        let sql = "SELECT n, lot_no, points, returned FROM mall_order_takes \
                   WHERE order_id = $1 ORDER BY n";
        let rows: Vec<(i64, i64, i64, i64)> = on_pool!(&self.db, |pool| {
            sqlx::query_as(sql)
                .bind(order.to_string())
                .fetch_all(pool)
                .await
        })?;
        Ok(rows
            .into_iter()
            .map(|r| TakeRecord {
                n: r.0,
                lot_no: r.1,
                points: r.2,
                returned: r.3,
            })
            .collect())
    }
}
