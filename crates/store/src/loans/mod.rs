//! Consumer loans, their quotes and revolving credit lines, on either backend (docs/loans.md).
//!
//! A loan's or a line's state is its event history: `loan_events` rows numbered 1, 2, … with no
//! gaps, which the app replays through the pure state machine of `cardlife-credit`. Appending
//! event `n` inserts row `n` and moves the summary row from `n − 1` events to `n` in one
//! transaction, so two writers that read the same history cannot both append: the loser gets
//! `false` and nothing is written. The summary columns are a cache of the replay (status and
//! balances for listings, offers and the daily job).

use cardlife_kernel::CustomerId;
use jiff::Timestamp;
use jiff::civil::Date;
use sqlx::Row;

use crate::both::on_pool;
use crate::db::Db;
use crate::error::StoreError;
use crate::tx::{Tx, on_tx};

/// A stored loan quote: the terms a booking accepts, until it expires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuoteRecord {
    /// The quote.
    pub id: uuid::Uuid,
    /// Who asked.
    pub customer: CustomerId,
    /// The product's code.
    pub product: String,
    /// `equal_installment`, `equal_principal` or `interest_only`.
    pub method: String,
    /// The principal, in fen.
    pub amount_fen: i64,
    /// Months.
    pub periods: u32,
    /// The nominal annual rate, as a decimal string.
    pub annual_rate: String,
    /// The quote cannot be booked from this instant on.
    pub expires_at: Timestamp,
    /// When it was made.
    pub created_at: Timestamp,
}

/// A loan's cached summary, rewritten with each event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoanSummary {
    /// `active` or `closed`.
    pub status: String,
    /// Principal not repaid.
    pub principal_fen: i64,
    /// Interest fallen due and unpaid.
    pub interest_fen: i64,
    /// Penalty interest unpaid.
    pub penalty_fen: i64,
    /// Days past due as of the event.
    pub days_past_due: i64,
    /// The most days past due ever reached.
    pub worst_days_past_due: i64,
}

/// A stored loan: its terms and its cached summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoanRecord {
    /// The loan.
    pub id: uuid::Uuid,
    /// The holder.
    pub customer: CustomerId,
    /// The quote it was booked from.
    pub quote_id: uuid::Uuid,
    /// The product's code.
    pub product: String,
    /// The repayment method.
    pub method: String,
    /// The principal lent, in fen.
    pub amount_fen: i64,
    /// Months.
    pub periods: u32,
    /// The nominal annual rate.
    pub annual_rate: String,
    /// The holder's debit card it was paid out to.
    pub debit_card_id: uuid::Uuid,
    /// The booking and disbursement date.
    pub booked_on: Date,
    /// Events recorded (the next event is `events + 1`).
    pub events: i64,
    /// The cached summary.
    pub summary: LoanSummary,
    /// When it was booked.
    pub created_at: Timestamp,
}

/// A stored credit line: its terms and its cached summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineRecord {
    /// The line.
    pub id: uuid::Uuid,
    /// The holder.
    pub customer: CustomerId,
    /// The product's code.
    pub product: String,
    /// The limit, in fen.
    pub limit_fen: i64,
    /// The nominal annual rate.
    pub annual_rate: String,
    /// The opening date.
    pub opened_on: Date,
    /// Drawn principal (cached).
    pub drawn_fen: i64,
    /// Accrued unpaid interest (cached).
    pub interest_fen: i64,
    /// Events recorded.
    pub events: i64,
    /// When it was opened.
    pub created_at: Timestamp,
}

/// One event of a loan or line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRecord {
    /// 1, 2, … without gaps.
    pub seq: i64,
    /// What happened (`disburse`, `accrue`, `repay`, `prepay`, `draw`).
    pub kind: String,
    /// The business date it happened on.
    pub on: Date,
    /// The amount, for money moved by the customer.
    pub amount_fen: Option<i64>,
    /// The prepayment mode, for a prepayment.
    pub mode: Option<String>,
    /// The debit card paid to or from.
    pub debit_card_id: Option<uuid::Uuid>,
}

/// Principal a customer owes on loans and credit lines. PostgreSQL sums BIGINT as NUMERIC:
/// cast back, one query text for both.
const OUTSTANDING: &str = "SELECT CAST((SELECT COALESCE(SUM(principal_fen), 0) FROM loans \
                           WHERE customer_id = $1) + (SELECT COALESCE(SUM(drawn_fen), 0) \
                           FROM credit_lines WHERE customer_id = $1) AS BIGINT)";

/// What booking a loan came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Booked {
    /// The loan and its first event are stored.
    Inserted,
    /// A loan was booked from this quote already.
    QuoteUsed,
    /// The customer would owe more than the cap; what they owe now.
    CapExceeded {
        /// Principal owed on loans and lines, fen.
        outstanding_fen: i64,
    },
}

/// The loans tables.
#[derive(Debug, Clone)]
pub struct LoanStore {
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

fn customer_of(text: &str) -> Result<CustomerId, StoreError> {
    uuid_of(text, "customer id").map(CustomerId::from_uuid)
}

fn date_of(text: &str) -> Result<Date, StoreError> {
    text.parse().map_err(|_| StoreError::Corrupt("date"))
}

fn months(v: i64) -> Result<u32, StoreError> {
    u32::try_from(v).map_err(|_| StoreError::Corrupt("periods"))
}

/// Selects a loan's every column, ending with `WHERE` and the condition given.
macro_rules! select_loan {
    ($where:literal) => {
        concat!(
            "SELECT id, customer_id, quote_id, product, method, amount_fen, periods, annual_rate, ",
            "debit_card_id, booked_on, status, principal_fen, interest_fen, penalty_fen, ",
            "days_past_due, worst_days_past_due, events, created_at_ns FROM loans WHERE ",
            $where
        )
    };
}

/// Selects a line's every column, ending with `WHERE` and the condition given.
macro_rules! select_line {
    ($where:literal) => {
        concat!(
            "SELECT id, customer_id, product, limit_fen, annual_rate, opened_on, drawn_fen, ",
            "interest_fen, events, created_at_ns FROM credit_lines WHERE ",
            $where
        )
    };
}

/// Decodes a row of [`select_loan!`] (expanded once per backend).
macro_rules! loan_from {
    ($r:expr) => {{
        let r = $r;
        (|| -> Result<LoanRecord, StoreError> {
            Ok(LoanRecord {
                id: uuid_of(&r.try_get::<String, _>("id")?, "loan id")?,
                customer: customer_of(&r.try_get::<String, _>("customer_id")?)?,
                quote_id: uuid_of(&r.try_get::<String, _>("quote_id")?, "quote id")?,
                product: r.try_get("product")?,
                method: r.try_get("method")?,
                amount_fen: r.try_get("amount_fen")?,
                periods: months(r.try_get("periods")?)?,
                annual_rate: r.try_get("annual_rate")?,
                debit_card_id: uuid_of(&r.try_get::<String, _>("debit_card_id")?, "card id")?,
                booked_on: date_of(&r.try_get::<String, _>("booked_on")?)?,
                events: r.try_get("events")?,
                summary: LoanSummary {
                    status: r.try_get("status")?,
                    principal_fen: r.try_get("principal_fen")?,
                    interest_fen: r.try_get("interest_fen")?,
                    penalty_fen: r.try_get("penalty_fen")?,
                    days_past_due: r.try_get("days_past_due")?,
                    worst_days_past_due: r.try_get("worst_days_past_due")?,
                },
                created_at: instant(r.try_get("created_at_ns")?)?,
            })
        })()
    }};
}

/// Decodes a row of [`select_line!`] (expanded once per backend).
macro_rules! line_from {
    ($r:expr) => {{
        let r = $r;
        (|| -> Result<LineRecord, StoreError> {
            Ok(LineRecord {
                id: uuid_of(&r.try_get::<String, _>("id")?, "line id")?,
                customer: customer_of(&r.try_get::<String, _>("customer_id")?)?,
                product: r.try_get("product")?,
                limit_fen: r.try_get("limit_fen")?,
                annual_rate: r.try_get("annual_rate")?,
                opened_on: date_of(&r.try_get::<String, _>("opened_on")?)?,
                drawn_fen: r.try_get("drawn_fen")?,
                interest_fen: r.try_get("interest_fen")?,
                events: r.try_get("events")?,
                created_at: instant(r.try_get("created_at_ns")?)?,
            })
        })()
    }};
}

type QuoteRow = (String, String, String, String, i64, i64, String, i64, i64);

fn quote_from(r: QuoteRow) -> Result<QuoteRecord, StoreError> {
    Ok(QuoteRecord {
        id: uuid_of(&r.0, "quote id")?,
        customer: customer_of(&r.1)?,
        product: r.2,
        method: r.3,
        amount_fen: r.4,
        periods: months(r.5)?,
        annual_rate: r.6,
        expires_at: instant(r.7)?,
        created_at: instant(r.8)?,
    })
}

type EventRow = (
    i64,
    String,
    String,
    Option<i64>,
    Option<String>,
    Option<String>,
);

fn event_from(r: EventRow) -> Result<EventRecord, StoreError> {
    Ok(EventRecord {
        seq: r.0,
        kind: r.1,
        on: date_of(&r.2)?,
        amount_fen: r.3,
        mode: r.4,
        debit_card_id: r.5.map(|c| uuid_of(&c, "card id")).transpose()?,
    })
}

const INSERT_EVENT: &str = "INSERT INTO loan_events (loan_id, seq, kind, on_date, amount_fen, \
                            mode, debit_card_id, created_at_ns) \
                            VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING";

impl LoanStore {
    /// The loans tables of `db` (migrated).
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// Stores a quote.
    pub async fn insert_quote(&self, q: &QuoteRecord) -> Result<(), StoreError> {
        let sql = "INSERT INTO loan_quotes (id, customer_id, product, method, amount_fen, periods, \
                   annual_rate, expires_at_ns, created_at_ns) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
        on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(q.id.to_string())
                .bind(q.customer.as_uuid().to_string())
                .bind(&q.product)
                .bind(&q.method)
                .bind(q.amount_fen)
                .bind(i64::from(q.periods))
                .bind(&q.annual_rate)
                .bind(ns(q.expires_at))
                .bind(ns(q.created_at))
                .execute(pool)
                .await
                .map(|_| ())
        })?;
        Ok(())
    }

    /// The customer's quote `id`; `None` when missing or another customer's.
    pub async fn quote(
        &self,
        id: uuid::Uuid,
        customer: CustomerId,
    ) -> Result<Option<QuoteRecord>, StoreError> {
        let sql = "SELECT id, customer_id, product, method, amount_fen, periods, annual_rate, \
                   expires_at_ns, created_at_ns FROM loan_quotes WHERE id = $1 AND customer_id = $2";
        let row: Option<QuoteRow> = on_pool!(&self.db, |pool| {
            sqlx::query_as(sql)
                .bind(id.to_string())
                .bind(customer.as_uuid().to_string())
                .fetch_optional(pool)
                .await
        })?;
        row.map(quote_from).transpose()
    }

    /// Books a loan with its first event, unless its quote was already booked or the customer
    /// would then owe more than `cap_fen` on loans and lines (nothing written either way).
    ///
    /// The cap is checked inside the insert's transaction, with the customer's bookings
    /// serialised — the write lock taken at `BEGIN IMMEDIATE` on SQLite, the customer's row
    /// locked on PostgreSQL — so two concurrent bookings cannot both fit under it.
    pub async fn insert_loan(
        &self,
        loan: &LoanRecord,
        first: &EventRecord,
        now: Timestamp,
        cap_fen: i64,
    ) -> Result<Booked, StoreError> {
        let sql = "INSERT INTO loans (id, customer_id, quote_id, product, method, amount_fen, \
                   periods, annual_rate, debit_card_id, booked_on, status, principal_fen, \
                   interest_fen, penalty_fen, days_past_due, worst_days_past_due, events, \
                   created_at_ns) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, \
                   $14, $15, $16, $17, $18) ON CONFLICT DO NOTHING";
        let customer = loan.customer.as_uuid().to_string();
        let s = &loan.summary;
        let mut tx = Tx::begin(&self.db).await?;
        if let Tx::Postgres(t) = &mut tx {
            sqlx::query("SELECT id FROM customers WHERE id = $1 FOR UPDATE")
                .bind(&customer)
                .execute(&mut **t)
                .await?;
        }
        let owed: i64 = on_tx!(&mut tx, |conn| {
            sqlx::query_scalar::<_, i64>(OUTSTANDING)
                .bind(&customer)
                .fetch_one(conn)
                .await
        })?;
        if owed
            .checked_add(loan.amount_fen)
            .is_none_or(|total| total > cap_fen)
        {
            return Ok(Booked::CapExceeded {
                outstanding_fen: owed,
            });
        }
        let inserted = on_tx!(&mut tx, |conn| {
            sqlx::query(sql)
                .bind(loan.id.to_string())
                .bind(&customer)
                .bind(loan.quote_id.to_string())
                .bind(&loan.product)
                .bind(&loan.method)
                .bind(loan.amount_fen)
                .bind(i64::from(loan.periods))
                .bind(&loan.annual_rate)
                .bind(loan.debit_card_id.to_string())
                .bind(loan.booked_on.to_string())
                .bind(&s.status)
                .bind(s.principal_fen)
                .bind(s.interest_fen)
                .bind(s.penalty_fen)
                .bind(s.days_past_due)
                .bind(s.worst_days_past_due)
                .bind(1_i64)
                .bind(ns(now))
                .execute(conn)
                .await
                .map(|done| done.rows_affected())
        })?;
        if inserted == 0 {
            return Ok(Booked::QuoteUsed);
        }
        on_tx!(&mut tx, |conn| {
            bind_event(sqlx::query(INSERT_EVENT), loan.id, first, now)
                .execute(conn)
                .await
                .map(|_| ())
        })?;
        tx.commit().await?;
        Ok(Booked::Inserted)
    }

    /// Whether a loan was booked from quote `id`.
    pub async fn quote_booked(&self, id: uuid::Uuid) -> Result<bool, StoreError> {
        let sql = "SELECT COUNT(*) FROM loans WHERE quote_id = $1";
        let n: i64 = on_pool!(&self.db, |pool| {
            sqlx::query_scalar::<_, i64>(sql)
                .bind(id.to_string())
                .fetch_one(pool)
                .await
        })?;
        Ok(n > 0)
    }

    /// The customer's loan `id`; `None` when missing or another customer's.
    pub async fn loan(
        &self,
        id: uuid::Uuid,
        customer: CustomerId,
    ) -> Result<Option<LoanRecord>, StoreError> {
        let sql = select_loan!("id = $1 AND customer_id = $2");
        on_pool!(&self.db, |pool| {
            match sqlx::query(sql)
                .bind(id.to_string())
                .bind(customer.as_uuid().to_string())
                .fetch_optional(pool)
                .await?
            {
                Some(r) => loan_from!(&r).map(Some),
                None => Ok(None),
            }
        })
    }

    /// The customer's loans, oldest first.
    pub async fn loans_of(&self, customer: CustomerId) -> Result<Vec<LoanRecord>, StoreError> {
        let sql = select_loan!("customer_id = $1 ORDER BY id");
        on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(customer.as_uuid().to_string())
                .fetch_all(pool)
                .await?
                .iter()
                .map(|r| loan_from!(r))
                .collect()
        })
    }

    /// Every loan not closed, oldest first (for the daily job).
    pub async fn active_loans(&self) -> Result<Vec<LoanRecord>, StoreError> {
        let sql = select_loan!("status <> 'closed' ORDER BY id");
        on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .fetch_all(pool)
                .await?
                .iter()
                .map(|r| loan_from!(r))
                .collect()
        })
    }

    /// The events of a loan or line, in order.
    pub async fn events(&self, loan: uuid::Uuid) -> Result<Vec<EventRecord>, StoreError> {
        let sql = "SELECT seq, kind, on_date, amount_fen, mode, debit_card_id FROM loan_events \
                   WHERE loan_id = $1 ORDER BY seq";
        let rows: Vec<EventRow> = on_pool!(&self.db, |pool| {
            sqlx::query_as(sql)
                .bind(loan.to_string())
                .fetch_all(pool)
                .await
        })?;
        rows.into_iter().map(event_from).collect()
    }

    /// Appends `event` (its `seq` is the loan's event count + 1) and rewrites the summary;
    /// `Ok(false)`, nothing written, when another writer appended first.
    pub async fn append_loan_event(
        &self,
        loan: uuid::Uuid,
        event: &EventRecord,
        summary: &LoanSummary,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let update = "UPDATE loans SET events = $2, status = $3, principal_fen = $4, \
                      interest_fen = $5, penalty_fen = $6, days_past_due = $7, \
                      worst_days_past_due = $8 WHERE id = $1 AND events = $9";
        on_pool!(&self.db, |pool| {
            let mut tx = pool.begin().await?;
            let inserted = bind_event(sqlx::query(INSERT_EVENT), loan, event, now)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            let updated = sqlx::query(update)
                .bind(loan.to_string())
                .bind(event.seq)
                .bind(&summary.status)
                .bind(summary.principal_fen)
                .bind(summary.interest_fen)
                .bind(summary.penalty_fen)
                .bind(summary.days_past_due)
                .bind(summary.worst_days_past_due)
                .bind(event.seq - 1)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if inserted == 0 || updated == 0 {
                tx.rollback().await?;
                return Ok(false);
            }
            tx.commit().await?;
            Ok::<bool, StoreError>(true)
        })
    }

    /// Principal the customer owes on loans not closed plus what they have drawn on lines.
    pub async fn outstanding_principal(&self, customer: CustomerId) -> Result<i64, StoreError> {
        let total: i64 = on_pool!(&self.db, |pool| {
            sqlx::query_scalar::<_, i64>(OUTSTANDING)
                .bind(customer.as_uuid().to_string())
                .fetch_one(pool)
                .await
        })?;
        Ok(total)
    }

    /// Opens a line with its first event.
    pub async fn insert_line(
        &self,
        line: &LineRecord,
        first: &EventRecord,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let sql = "INSERT INTO credit_lines (id, customer_id, product, limit_fen, annual_rate, \
                   opened_on, drawn_fen, interest_fen, events, created_at_ns) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
        on_pool!(&self.db, |pool| {
            let mut tx = pool.begin().await?;
            sqlx::query(sql)
                .bind(line.id.to_string())
                .bind(line.customer.as_uuid().to_string())
                .bind(&line.product)
                .bind(line.limit_fen)
                .bind(&line.annual_rate)
                .bind(line.opened_on.to_string())
                .bind(line.drawn_fen)
                .bind(line.interest_fen)
                .bind(1_i64)
                .bind(ns(now))
                .execute(&mut *tx)
                .await?;
            bind_event(sqlx::query(INSERT_EVENT), line.id, first, now)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok::<(), StoreError>(())
        })
    }

    /// The customer's line `id`; `None` when missing or another customer's.
    pub async fn line(
        &self,
        id: uuid::Uuid,
        customer: CustomerId,
    ) -> Result<Option<LineRecord>, StoreError> {
        let sql = select_line!("id = $1 AND customer_id = $2");
        on_pool!(&self.db, |pool| {
            match sqlx::query(sql)
                .bind(id.to_string())
                .bind(customer.as_uuid().to_string())
                .fetch_optional(pool)
                .await?
            {
                Some(r) => line_from!(&r).map(Some),
                None => Ok(None),
            }
        })
    }

    /// The customer's lines, oldest first.
    pub async fn lines_of(&self, customer: CustomerId) -> Result<Vec<LineRecord>, StoreError> {
        let sql = select_line!("customer_id = $1 ORDER BY id");
        on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(customer.as_uuid().to_string())
                .fetch_all(pool)
                .await?
                .iter()
                .map(|r| line_from!(r))
                .collect()
        })
    }

    /// Every line with something drawn (for the daily job).
    pub async fn drawn_lines(&self) -> Result<Vec<LineRecord>, StoreError> {
        let sql = select_line!("drawn_fen > 0 ORDER BY id");
        on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .fetch_all(pool)
                .await?
                .iter()
                .map(|r| line_from!(r))
                .collect()
        })
    }

    /// Appends a line event and rewrites its cached balances; `Ok(false)` on a lost race.
    pub async fn append_line_event(
        &self,
        line: uuid::Uuid,
        event: &EventRecord,
        drawn_fen: i64,
        interest_fen: i64,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let update = "UPDATE credit_lines SET events = $2, drawn_fen = $3, interest_fen = $4 \
                      WHERE id = $1 AND events = $5";
        on_pool!(&self.db, |pool| {
            let mut tx = pool.begin().await?;
            let inserted = bind_event(sqlx::query(INSERT_EVENT), line, event, now)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            let updated = sqlx::query(update)
                .bind(line.to_string())
                .bind(event.seq)
                .bind(drawn_fen)
                .bind(interest_fen)
                .bind(event.seq - 1)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if inserted == 0 || updated == 0 {
                tx.rollback().await?;
                return Ok(false);
            }
            tx.commit().await?;
            Ok::<bool, StoreError>(true)
        })
    }
}

fn bind_event<'q, DB: sqlx::Database>(
    q: sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments>,
    loan: uuid::Uuid,
    e: &'q EventRecord,
    now: Timestamp,
) -> sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments>
where
    String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<i64>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<String>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    q.bind(loan.to_string())
        .bind(e.seq)
        .bind(e.kind.as_str())
        .bind(e.on.to_string())
        .bind(e.amount_fen)
        .bind(e.mode.clone())
        .bind(e.debit_card_id.map(|c| c.to_string()))
        .bind(ns(now))
}
