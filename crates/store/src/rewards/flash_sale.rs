//! Flash sales and their claims. A batch of claims is committed in one transaction that first
//! locks the sale's row (`UPDATE … RETURNING`: a row lock on PostgreSQL, the write lock on
//! SQLite), reads what is already sold, lets the caller decide the batch from those figures,
//! writes the winners and lowers `remaining` — so processes sharing one PostgreSQL never
//! oversell, and the `CHECK (remaining >= 0)` backs it up (docs/rewards.md).

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

use cardlife_kernel::CustomerId;
use jiff::Timestamp;
use sqlx::Row;
use uuid::Uuid;

use super::flash_sale_packed as packed;
use crate::both::on_pool;
use crate::db::Db;
use crate::durability::carried_connection;
use crate::error::StoreError;
use crate::log_sync::{LogSync, Unsynced};

/// A batch's first statement: the sale's row locked, its stock and what remains read.
const LOCK_SQL: &str = "UPDATE flash_sales SET remaining = remaining WHERE id = $1 \
                        RETURNING stock, remaining";
/// A batch's last: `remaining` lowered by its winners, never below zero.
const LOWER_SQL: &str = "UPDATE flash_sales SET remaining = remaining - $2 \
                         WHERE id = $1 AND remaining >= $2";

/// Claims per `INSERT` (one packed value each, [`super::flash_sale_packed`]).
const INSERT_ROWS_MAX: usize = 1_000;

/// A flash sale as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlashSaleRecord {
    /// The sale.
    pub id: Uuid,
    /// What is sold (an item or voucher reference).
    pub item: String,
    /// Units for sale.
    pub stock: u32,
    /// Units not yet won.
    pub remaining: u32,
    /// Most units one customer may win.
    pub per_user_limit: u32,
    /// The price the winner pays, in fen.
    pub price_fen: i64,
    /// The currency of the price (`CNY`).
    pub currency: String,
    /// First instant claims are accepted.
    pub starts_at: Timestamp,
    /// First instant claims are refused again.
    pub ends_at: Timestamp,
}

/// One unit won.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimRecord {
    /// Position among all winners, from 1.
    pub seq: u32,
    /// The winner.
    pub customer: CustomerId,
    /// The winner's own count, from 1.
    pub nth: u32,
    /// The `Idempotency-Key` the claim was sent with.
    pub idempotency_key: Option<String>,
    /// When it was decided.
    pub claimed_at: Timestamp,
}

/// What the database held when a batch locked the sale.
#[derive(Debug, Clone)]
pub struct SaleSnapshot {
    /// Units sold so far (`stock − remaining`).
    pub sold: u32,
    /// For each customer of the batch who already won: how many units.
    pub won: HashMap<CustomerId, u32>,
}

/// What the after-the-fact check reads ([`FlashSaleStore::audit`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SaleAudit {
    /// The sale's stock.
    pub stock: u32,
    /// Its `remaining` column.
    pub remaining: i64,
    /// Claim rows.
    pub claims: u64,
    /// Distinct winners.
    pub winners: u64,
    /// The most units one customer holds.
    pub most_by_one: u64,
    /// Whether the `seq` column is exactly `1..=claims`.
    pub seq_contiguous: bool,
}

/// The flash-sale tables.
#[derive(Debug, Clone)]
pub struct FlashSaleStore {
    db: Db,
}

/// A claims writer's own connection to the embedded store, kept from one batch to the next
/// (always empty on PostgreSQL). On the pool, a batch waited for a free connection behind the
/// session reads (2–8 ms in a third of a sale's batches), and met a page cache SQLite had
/// emptied because another connection wrote since (docs/benchmarks.md, "Paced log reads and the
/// claims writer's cycle"). A writer with no claims for a while gives it back
/// ([`Self::release`]).
///
/// The connection commits at `synchronous=NORMAL` and its batches wait for the file's
/// [`LogSync`] instead: the write lock is free again, and the next batch being written, while
/// the disk takes the last one.
#[derive(Debug, Default)]
pub struct ClaimsConnection(Option<(sqlx::SqliteConnection, Arc<LogSync>)>);

impl ClaimsConnection {
    /// Closes the connection, if open; the next batch opens another.
    pub async fn release(&mut self) {
        if let Some((open, _)) = self.0.take() {
            let _ = sqlx::Connection::close(open).await;
        }
    }

    /// Whether a connection is open.
    pub fn is_open(&self) -> bool {
        self.0.is_some()
    }

    /// The open connection, opening one on `pool` first if there is none: at
    /// `synchronous=NORMAL`, with the file's log syncer.
    async fn open(
        &mut self,
        pool: &sqlx::SqlitePool,
    ) -> Result<(sqlx::SqliteConnection, Arc<LogSync>), StoreError> {
        if let Some(open) = self.0.take() {
            return Ok(open);
        }
        Ok((carried_connection(pool).await?, LogSync::of(pool)?))
    }
}

/// A batch's opening on the embedded store, one trip to SQLite's thread: the write lock
/// (`BEGIN IMMEDIATE`), the sale's row, and what each of the batch's customers already won.
fn open_sqlite() -> &'static str {
    static SQL: LazyLock<String> =
        LazyLock::new(|| format!("BEGIN IMMEDIATE;\n{LOCK_SQL};\n{}", packed::WON_SQLITE));
    &SQL
}

/// A batch's close on the embedded store, one trip: its last claims written (`$2`), `remaining`
/// lowered by the batch's winners (`$3`) and the commit. Should the insert have written other
/// than its `$4` claims, or the stock go below zero, the lowering sets `remaining` to −1, which
/// the table's `CHECK` refuses: the query stops before its `COMMIT`.
fn close_sqlite() -> &'static str {
    static SQL: LazyLock<String> = LazyLock::new(|| {
        format!(
            "{};\nUPDATE flash_sales SET remaining = CASE WHEN changes() = $4 \
             THEN remaining - $3 ELSE -1 END WHERE id = $1;\nCOMMIT",
            packed::INSERT_SQLITE
        )
    });
    &SQL
}

/// What the sale's row (`stock`, `remaining`) and the batch's customers' wins (a row each:
/// `customer_id`, `n`) say, on either backend: the snapshot a batch is decided from.
fn snapshot<R: Row>(sale: &R, won: &[R]) -> Result<SaleSnapshot, StoreError>
where
    for<'r> &'r str: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let stock = count(sale.try_get("stock")?, "stock")?;
    let remaining = count(sale.try_get("remaining")?, "remaining")?;
    let sold = stock
        .checked_sub(remaining)
        .ok_or(StoreError::Corrupt("remaining"))?;
    let won = won
        .iter()
        .map(|r| {
            let id: String = r.try_get("customer_id")?;
            Ok((
                CustomerId::from_uuid(uuid_of(&id, "customer id")?),
                count(r.try_get("n")?, "claims per customer")?,
            ))
        })
        .collect::<Result<_, StoreError>>()?;
    Ok(SaleSnapshot { sold, won })
}

/// A batch's number of claims as bound to SQL.
fn sql_len(claims: &[ClaimRecord]) -> Result<i64, StoreError> {
    i64::try_from(claims.len()).map_err(|_| StoreError::Corrupt("batch"))
}

/// Inserts `$chunk`'s claims of sale `$sale` with `$sql` on `$on` (either backend), and fails
/// unless every one of them was written.
macro_rules! insert_claims {
    ($on:expr, $sql:expr, $sale:expr, $chunk:expr) => {{
        let written = sqlx::query($sql)
            .bind($sale)
            .bind(packed::claims($chunk)?)
            .execute($on)
            .await?
            .rows_affected();
        if written != $chunk.len() as u64 {
            return Err(StoreError::CommitFailed(format!(
                "a flash-sale batch wrote {written} of {} claims",
                $chunk.len()
            )));
        }
    }};
}

/// A batch on the writer's embedded connection in two trips to SQLite's thread: the opening
/// ([`open_sqlite`]), then the winners written and committed ([`close_sqlite`]). A statement a
/// trip made six, and each trip waits for that thread and then for a busy request worker to
/// take its answer (docs/benchmarks.md, "Two trips a batch"). A batch over [`INSERT_ROWS_MAX`]
/// winners sends its earlier chunks a trip each. On failure the transaction may be left open:
/// the caller closes the connection.
async fn batch_on_sqlite<F>(
    conn: &mut sqlx::SqliteConnection,
    sale: &str,
    customers: &[CustomerId],
    decide: F,
) -> Result<Vec<ClaimRecord>, StoreError>
where
    F: FnOnce(SaleSnapshot) -> Result<Vec<ClaimRecord>, StoreError>,
{
    let rows = sqlx::query(open_sqlite())
        .bind(sale)
        .bind(packed::customers(customers))
        .fetch_all(&mut *conn)
        .await?;
    // The sale's row comes first (`stock`, `remaining`), then a row per customer who won.
    let (lock, won) = rows
        .split_first()
        .filter(|(first, _)| first.columns().first().map(sqlx::Column::name) == Some("stock"))
        .ok_or(StoreError::Corrupt("flash sale row"))?;
    let winners = decide(snapshot(lock, won)?)?;
    let chunks: Vec<&[ClaimRecord]> = winners.chunks(INSERT_ROWS_MAX).collect();
    let Some((last, head)) = chunks.split_last() else {
        sqlx::query("ROLLBACK").execute(&mut *conn).await?;
        return Ok(winners);
    };
    for chunk in head {
        insert_claims!(&mut *conn, packed::INSERT_SQLITE, sale, chunk);
    }
    let (n, last_n) = (sql_len(&winners)?, sql_len(last)?);
    sqlx::query(close_sqlite())
        .bind(sale)
        .bind(packed::claims(last)?)
        .bind(n)
        .bind(last_n)
        .execute(&mut *conn)
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(db) if db.kind() == sqlx::error::ErrorKind::CheckViolation => {
                StoreError::CommitFailed(format!(
                    "a flash-sale batch of {n} would take the stock below zero \
                     or wrote other than its claims"
                ))
            }
            _ => e.into(),
        })?;
    Ok(winners)
}

/// A batch in `tx` on PostgreSQL, a statement a round trip; committed on return.
async fn batch_on_postgres<F>(
    mut tx: sqlx::Transaction<'_, sqlx::Postgres>,
    sale: &str,
    customers: &[CustomerId],
    decide: F,
) -> Result<Vec<ClaimRecord>, StoreError>
where
    F: FnOnce(SaleSnapshot) -> Result<Vec<ClaimRecord>, StoreError>,
{
    let lock = sqlx::query(LOCK_SQL)
        .bind(sale)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::Corrupt("flash sale row"))?;
    let won = if customers.is_empty() {
        Vec::new()
    } else {
        sqlx::query(packed::WON_POSTGRES)
            .bind(sale)
            .bind(packed::customers(customers))
            .fetch_all(&mut *tx)
            .await?
    };
    let winners = decide(snapshot(&lock, &won)?)?;
    if winners.is_empty() {
        tx.rollback().await?;
        return Ok(winners);
    }
    for chunk in winners.chunks(INSERT_ROWS_MAX) {
        insert_claims!(&mut *tx, packed::INSERT_POSTGRES, sale, chunk);
    }
    let n = sql_len(&winners)?;
    let lowered = sqlx::query(LOWER_SQL)
        .bind(sale)
        .bind(n)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if lowered != 1 {
        return Err(StoreError::CommitFailed(
            "a flash-sale batch would take the stock below zero".to_owned(),
        ));
    }
    tx.commit().await?;
    Ok(winners)
}

fn ns(t: Timestamp) -> i64 {
    i64::try_from(t.as_nanosecond()).unwrap_or(i64::MAX)
}

fn instant(v: i64) -> Result<Timestamp, StoreError> {
    Timestamp::from_nanosecond(i128::from(v)).map_err(|_| StoreError::Corrupt("instant"))
}

fn count(v: i64, what: &'static str) -> Result<u32, StoreError> {
    u32::try_from(v).map_err(|_| StoreError::Corrupt(what))
}

fn uuid_of(text: &str, what: &'static str) -> Result<Uuid, StoreError> {
    text.parse::<Uuid>().map_err(|_| StoreError::Corrupt(what))
}

fn sale_from<R: Row>(row: &R) -> Result<FlashSaleRecord, StoreError>
where
    for<'r> &'r str: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let id: String = row.try_get("id")?;
    Ok(FlashSaleRecord {
        id: uuid_of(&id, "flash sale id")?,
        item: row.try_get("item")?,
        stock: count(row.try_get("stock")?, "stock")?,
        remaining: count(row.try_get("remaining")?, "remaining")?,
        per_user_limit: count(row.try_get("per_user_limit")?, "per-user limit")?,
        price_fen: row.try_get("price_fen")?,
        currency: row.try_get("currency")?,
        starts_at: instant(row.try_get("starts_at_ns")?)?,
        ends_at: instant(row.try_get("ends_at_ns")?)?,
    })
}

fn claim_from<R: Row>(row: &R) -> Result<ClaimRecord, StoreError>
where
    for<'r> &'r str: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let customer: String = row.try_get("customer_id")?;
    Ok(ClaimRecord {
        seq: count(row.try_get("seq")?, "claim seq")?,
        customer: CustomerId::from_uuid(uuid_of(&customer, "customer id")?),
        nth: count(row.try_get("nth")?, "claim nth")?,
        idempotency_key: row.try_get("idempotency_key")?,
        claimed_at: instant(row.try_get("claimed_at_ns")?)?,
    })
}

impl FlashSaleStore {
    /// The flash-sale tables of `db` (migrated).
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// Stores a new sale with nothing sold; `Ok(false)` when its id exists (nothing written).
    pub async fn insert(&self, sale: &FlashSaleRecord, now: Timestamp) -> Result<bool, StoreError> {
        let sql = "INSERT INTO flash_sales (id, item, stock, remaining, per_user_limit, price_fen, \
                   currency, starts_at_ns, ends_at_ns, created_at_ns) \
                   VALUES ($1, $2, $3, $3, $4, $5, $6, $7, $8, $9)";
        let result = on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(sale.id.to_string())
                .bind(sale.item.as_str())
                .bind(i64::from(sale.stock))
                .bind(i64::from(sale.per_user_limit))
                .bind(sale.price_fen)
                .bind(sale.currency.as_str())
                .bind(ns(sale.starts_at))
                .bind(ns(sale.ends_at))
                .bind(ns(now))
                .execute(pool)
                .await
                .map(|_| ())
        });
        match result {
            Ok(()) => Ok(true),
            Err(sqlx::Error::Database(d)) if d.is_unique_violation() => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// A sale by id.
    pub async fn sale(&self, id: Uuid) -> Result<Option<FlashSaleRecord>, StoreError> {
        let sql = "SELECT id, item, stock, remaining, per_user_limit, price_fen, currency, \
                   starts_at_ns, ends_at_ns FROM flash_sales WHERE id = $1";
        on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(id.to_string())
                .fetch_optional(pool)
                .await?
                .map(|r| sale_from(&r))
                .transpose()
        })
    }

    /// The sales not yet ended at `now` (on sale or upcoming), most recently scheduled first,
    /// at most `limit` of them.
    pub async fn not_ended(
        &self,
        now: Timestamp,
        limit: u32,
    ) -> Result<Vec<FlashSaleRecord>, StoreError> {
        let sql = "SELECT id, item, stock, remaining, per_user_limit, price_fen, currency, \
                   starts_at_ns, ends_at_ns FROM flash_sales WHERE ends_at_ns > $1 \
                   ORDER BY created_at_ns DESC, id DESC LIMIT $2";
        on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(ns(now))
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await?
                .iter()
                .map(sale_from)
                .collect()
        })
    }

    /// Every claim of a sale, in `seq` order (to rebuild the sequencer).
    pub async fn claims(&self, sale: Uuid) -> Result<Vec<ClaimRecord>, StoreError> {
        let sql = "SELECT seq, customer_id, nth, idempotency_key, claimed_at_ns \
                   FROM flash_sale_claims WHERE sale_id = $1 ORDER BY seq";
        on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(sale.to_string())
                .fetch_all(pool)
                .await?
                .iter()
                .map(claim_from)
                .collect()
        })
    }

    /// One customer's claims of a sale, in `seq` order.
    pub async fn claims_of(
        &self,
        sale: Uuid,
        customer: CustomerId,
    ) -> Result<Vec<ClaimRecord>, StoreError> {
        // In the customer's own order (`nth` rises with `seq`), so the (customer, sale, nth)
        // index answers it; `ORDER BY seq` made SQLite walk every claim of the sale instead.
        let sql = "SELECT seq, customer_id, nth, idempotency_key, claimed_at_ns \
                   FROM flash_sale_claims WHERE customer_id = $2 AND sale_id = $1 ORDER BY nth";
        on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(sale.to_string())
                .bind(customer.as_uuid().to_string())
                .fetch_all(pool)
                .await?
                .iter()
                .map(claim_from)
                .collect()
        })
    }

    /// Readies `conn` for a sale's first batch before any claim comes: on the embedded store it
    /// opens the connection and prepares the batch's statements (a sale's first batch, on a
    /// connection opened under the opening burst of claims, took tens of milliseconds and held
    /// every claim behind it). Nothing to do on PostgreSQL.
    pub async fn warm(&self, conn: &mut ClaimsConnection) -> Result<(), StoreError> {
        let Db::Sqlite(pool) = &self.db else {
            return Ok(());
        };
        let (mut open, sync) = conn.open(pool).await?;
        let statements = [open_sqlite(), close_sqlite(), packed::INSERT_SQLITE];
        let prepared: Result<(), sqlx::Error> = async {
            for sql in statements {
                sqlx::Executor::prepare(&mut open, sqlx::SqlStr::from_static(sql)).await?;
            }
            Ok(())
        }
        .await;
        match prepared {
            Ok(()) => {
                conn.0 = Some((open, sync));
                Ok(())
            }
            Err(e) => {
                let _ = sqlx::Connection::close(open).await;
                Err(e.into())
            }
        }
    }

    /// Commits one batch in one transaction: locks the sale, reads what is sold and what each of
    /// `customers` already won, asks `decide` for the winners from that snapshot, writes them and
    /// lowers `remaining` by their number. Nothing is written when `decide` fails or returns none.
    /// On the embedded store the batch runs on `conn`, the writer's own connection (opened on
    /// first use, and again after a failed batch), in two trips to SQLite's thread
    /// ([`batch_on_sqlite`]), and returns once written: the winners are had once the commit is
    /// on disk ([`Unsynced::durable`]), and nobody may be answered from the batch before. On
    /// PostgreSQL it runs on a pooled connection and returns on disk.
    pub async fn commit_batch<F>(
        &self,
        conn: &mut ClaimsConnection,
        sale: Uuid,
        customers: &[CustomerId],
        decide: F,
    ) -> Result<Unsynced<Vec<ClaimRecord>>, StoreError>
    where
        F: FnOnce(SaleSnapshot) -> Result<Vec<ClaimRecord>, StoreError>,
    {
        let sale_text = sale.to_string();
        match &self.db {
            Db::Sqlite(pool) => {
                let (mut open, sync) = conn.open(pool).await?;
                match batch_on_sqlite(&mut open, &sale_text, customers, decide).await {
                    Ok(winners) => {
                        let unsynced = Unsynced::new(winners, Some(Arc::clone(&sync)));
                        conn.0 = Some((open, sync));
                        Ok(unsynced)
                    }
                    // A connection whose batch failed is closed, its transaction with it:
                    // nothing of its state is trusted.
                    Err(e) => {
                        let _ = sqlx::Connection::close(open).await;
                        Err(e)
                    }
                }
            }
            Db::Postgres(pool) => {
                let tx = pool.begin().await?;
                let winners = batch_on_postgres(tx, &sale_text, customers, decide).await?;
                Ok(Unsynced::new(winners, None))
            }
        }
    }

    /// Reads what the benchmark and the tests check after a run: claims against stock and the
    /// per-customer counts, straight from the tables.
    pub async fn audit(&self, sale: Uuid) -> Result<Option<SaleAudit>, StoreError> {
        let Some(record) = self.sale_raw_remaining(sale).await? else {
            return Ok(None);
        };
        let sql = "SELECT COUNT(*) AS claims, COUNT(DISTINCT customer_id) AS winners, \
                   COALESCE(MIN(seq), 0) AS lo, COALESCE(MAX(seq), 0) AS hi, \
                   COUNT(DISTINCT seq) AS seqs FROM flash_sale_claims WHERE sale_id = $1";
        let most = "SELECT COALESCE(MAX(n), 0) FROM (SELECT COUNT(*) AS n FROM flash_sale_claims \
                    WHERE sale_id = $1 GROUP BY customer_id) per_customer";
        let (claims, winners, lo, hi, seqs, most_by_one): (i64, i64, i64, i64, i64, i64) =
            on_pool!(&self.db, |pool| {
                let r = sqlx::query(sql)
                    .bind(sale.to_string())
                    .fetch_one(pool)
                    .await?;
                let m: i64 = sqlx::query_scalar(most)
                    .bind(sale.to_string())
                    .fetch_one(pool)
                    .await?;
                Ok::<_, sqlx::Error>((
                    r.try_get("claims")?,
                    r.try_get("winners")?,
                    r.try_get("lo")?,
                    r.try_get("hi")?,
                    r.try_get("seqs")?,
                    m,
                ))
            })?;
        let unsigned = |v: i64| u64::try_from(v).unwrap_or(0);
        Ok(Some(SaleAudit {
            stock: record.0,
            remaining: record.1,
            claims: unsigned(claims),
            winners: unsigned(winners),
            most_by_one: unsigned(most_by_one),
            seq_contiguous: seqs == claims && (claims == 0 || (lo == 1 && hi == claims)),
        }))
    }

    /// The stock and the raw `remaining` column (which a check must see even when negative).
    async fn sale_raw_remaining(&self, sale: Uuid) -> Result<Option<(u32, i64)>, StoreError> {
        let sql = "SELECT stock, remaining FROM flash_sales WHERE id = $1";
        let row: Option<(i64, i64)> = on_pool!(&self.db, |pool| {
            sqlx::query_as(sql)
                .bind(sale.to_string())
                .fetch_optional(pool)
                .await
        })?;
        row.map(|(s, r)| Ok((count(s, "stock")?, r))).transpose()
    }
}
