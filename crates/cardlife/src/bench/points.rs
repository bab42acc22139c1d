//! The `points` case: points accrual from payment events, durable, batched (rewards issue #6,
//! item 2: ≥ 100,000 events/s with the programme's liability account hot on every event).
//!
//! Setup: a points ledger ([`LEDGER`] 2, apart from the money ledger), the programme's liability
//! account ([`PROGRAMME`], id 1) and [`CUSTOMERS`] customer points accounts (ids 2..). 100,000
//! customers is a mid-sized programme's active base, ten times the ledger cases' accounts, so the
//! cold side of every transfer is spread over many accounts while the debit side is one hot row.
//!
//! Direction: an accrual of `p` points is one transfer of `p` that **debits the programme's
//! liability account and credits the customer's points account**. Customer accounts are
//! credit-balance (`credits − debits` = points the customer holds; they may never go negative, so
//! they carry `DEBITS_MUST_NOT_EXCEED_CREDITS`); the programme account is debit-balance
//! (`debits − credits` = points outstanding, what the programme owes its customers; it carries
//! `CREDITS_MUST_NOT_EXCEED_DEBITS`). Redemption, expiry and claw-back would run the other way.
//!
//! Workload, from a fixed seed: payment events with a customer drawn uniformly, an amount of
//! 1.00–2,000.00 CNY in fen, an MCC from a small mix that includes excluded categories (real
//! estate, car sales, finance, government) and a kind that is mostly `Purchase` with some
//! excluded kinds (cash advance, fee, repayment, top-up). Both sides take the same events in
//! chunks of [`BATCH_MAX`] and compute points with the real [`AccrualRule::per_cny`]`(1)`:
//!
//! - ours: one transfer per earning event, id derived from the event id (so a replay is refused
//!   as `Exists` and moves nothing), the chunk's transfers in one `create_transfers` call through
//!   the group committer (answered once durable);
//! - baseline: the obvious SQL, one transaction per chunk, per earning event
//!   `UPDATE points_accounts`, `UPDATE programme` (the hot row) and `INSERT INTO points_lots`.
//!
//! Excluded and zero-point events count as processed on both sides but move nothing. The unit is
//! events/s. Afterwards: the whole ledger check; Σ points credited to customers = the programme
//! account's balance = Σ points the rule gives for the events (recomputed from a fresh copy of the
//! events); a replay of the first chunk is refused whole and changes nothing; the baseline's
//! liability = Σ its balances = Σ its lots = the same total.

use std::sync::Arc;

use cardlife_app::rewards::points_ledger;
use cardlife_kernel::{Money, Points, SharedClock, SystemClock};
use cardlife_ledger::{Account, BATCH_MAX, CreateTransferResult, Transfer, TransferFlags};
use cardlife_rewards::points::{AccrualRule, Spend, TxnKind};
use cardlife_rewards::{Mcc, TierCode};
use cardlife_store::{Db, LedgerService};
use futures_util::{StreamExt, TryStreamExt};
use jiff::civil::Date;
use rand::{RngExt, SeedableRng, rngs::StdRng};
use sqlx::{Connection, PgPool, SqlitePool};

use super::ledger::batched;
use super::stats::Side;

/// The points ledger (the platform's, `cardlife_app::rewards::points_ledger`).
const LEDGER: u32 = points_ledger::LEDGER_POINTS;
/// The programme's liability account: debited by every accrual (the hot account).
const PROGRAMME: u128 = 1;
/// Customer points accounts, ids `FIRST_CUSTOMER..FIRST_CUSTOMER + CUSTOMERS`.
const CUSTOMERS: u128 = 100_000;
/// The first customer account id.
const FIRST_CUSTOMER: u128 = 2;
/// Transfer code of an accrual.
const CODE_ACCRUAL: u16 = points_ledger::CODE_ACCRUAL;
/// High bits of every accrual transfer id ("ACCRUAL"); the event id fills the low 64 bits.
const ACCRUAL_ID_TAG: u128 = 0x0041_4343_5255_414C << 64;
/// The workload's seed.
const SEED: u64 = 0x0050_0147_5EED;
/// Smallest and largest event amount, in fen.
const AMOUNT_FEN: (i64, i64) = (100, 200_000);
/// MCCs and their weights: mostly earning categories, some excluded by the default list.
const MCC_MIX: [(u16, u32); 11] = [
    (5411, 20), // grocery
    (5812, 15), // restaurants
    (5814, 10), // fast food
    (5311, 10), // department stores
    (5541, 8),  // fuel
    (4111, 8),  // transport
    (5999, 14), // miscellaneous retail
    (6513, 4),  // real estate (excluded)
    (5511, 3),  // car dealers (excluded)
    (4829, 4),  // money transfer (excluded)
    (9311, 4),  // tax payments (excluded)
];
/// Transaction kinds and their weights: mostly purchases.
const KIND_MIX: [(TxnKind, u32); 5] = [
    (TxnKind::Purchase, 90),
    (TxnKind::CashAdvance, 3),
    (TxnKind::Fee, 2),
    (TxnKind::Repayment, 3),
    (TxnKind::TopUp, 2),
];

/// Events each side processes.
pub fn events_for(quick: bool) -> usize {
    if quick { 50_000 } else { 1_000_000 }
}

/// One payment event.
#[derive(Debug, Clone)]
pub struct Event {
    /// The event id (from the payment stream; ids are unique).
    pub id: u64,
    /// The customer's points account.
    pub customer: u128,
    /// What was spent.
    pub spend: Spend,
}

/// The rule both sides accrue with: ICBC's 1 point per whole CNY, the default exclusions.
pub fn rule() -> AccrualRule {
    AccrualRule::per_cny(1)
}

/// `n` payment events from the fixed seed, ids from 1.
pub fn workload(n: usize) -> anyhow::Result<Vec<Event>> {
    let mut rng = StdRng::seed_from_u64(SEED);
    let date = Date::new(2026, 11, 26)?;
    let tier = TierCode::new("gold");
    let mccs = MCC_MIX
        .iter()
        .map(|&(code, w)| Ok((Mcc::new(code)?, w)))
        .collect::<anyhow::Result<Vec<_>>>()?;
    (1..=n as u64)
        .map(|id| {
            let customer = FIRST_CUSTOMER + rng.random_range(0..CUSTOMERS);
            let amount = Money::cny(rng.random_range(AMOUNT_FEN.0..=AMOUNT_FEN.1));
            let mcc = pick(&mut rng, &mccs);
            let kind = pick(&mut rng, &KIND_MIX);
            Ok(Event {
                id,
                customer,
                spend: Spend {
                    amount,
                    mcc,
                    kind,
                    date,
                    card_tier: tier.clone(),
                    campaigns: Vec::new(),
                    birthday_month: None,
                },
            })
        })
        .collect()
}

fn pick<T: Copy>(rng: &mut StdRng, weighted: &[(T, u32)]) -> T {
    let total: u32 = weighted.iter().map(|(_, w)| w).sum();
    let mut x = rng.random_range(0..total);
    for &(item, w) in weighted {
        if x < w {
            return item;
        }
        x -= w;
    }
    weighted[weighted.len() - 1].0
}

/// The points `event` earns under `rule` (no monthly cap in this rule, so month-to-date is 0).
fn points_of(rule: &AccrualRule, event: &Event) -> anyhow::Result<u64> {
    let points = rule.accrue(&event.spend, Points::ZERO)?.points().value();
    Ok(u64::try_from(points)?)
}

/// The accrual transfer id of event `id`: the same event always maps to the same transfer.
fn transfer_id(event_id: u64) -> u128 {
    ACCRUAL_ID_TAG | u128::from(event_id)
}

/// What the accrual rule gives for `events`, computed on its own: (Σ points, earning events).
pub fn expected(events: &[Event]) -> anyhow::Result<(u64, u64)> {
    let rule = rule();
    let mut total = 0u64;
    let mut earning = 0u64;
    for e in events {
        let p = points_of(&rule, e)?;
        if p > 0 {
            total = total
                .checked_add(p)
                .ok_or_else(|| anyhow::anyhow!("overflow"))?;
            earning += 1;
        }
    }
    Ok((total, earning))
}

/// Starts our ledger on `db` with the programme and customer accounts.
pub async fn start_ours(db: &Db) -> anyhow::Result<LedgerService> {
    let clock: SharedClock = Arc::new(SystemClock);
    let svc = LedgerService::start(db, clock).await?;
    // The same accounts the platform opens for its programme and its customers.
    let accounts: Vec<Account> = std::iter::once(points_ledger::programme_account(PROGRAMME))
        .chain(customer_ids().map(points_ledger::customer_account))
        .collect();
    for chunk in accounts.chunks(BATCH_MAX) {
        let results = svc.create_accounts(chunk.to_vec()).await?;
        anyhow::ensure!(
            results.iter().all(|r| r.is_success()),
            "account setup failed"
        );
    }
    Ok(svc)
}

fn customer_ids() -> impl Iterator<Item = u128> {
    FIRST_CUSTOMER..FIRST_CUSTOMER + CUSTOMERS
}

/// The accrual transfers of one chunk of events (earning events only).
fn accruals(rule: &AccrualRule, chunk: &[Event]) -> anyhow::Result<Vec<Transfer>> {
    let mut transfers = Vec::with_capacity(chunk.len());
    for e in chunk {
        let points = points_of(rule, e)?;
        if points == 0 {
            continue;
        }
        transfers.push(Transfer {
            id: transfer_id(e.id),
            debit_account_id: PROGRAMME,
            credit_account_id: e.customer,
            amount: points,
            user_data_64: e.id,
            ledger: LEDGER,
            code: CODE_ACCRUAL,
            flags: TransferFlags::NONE,
            ..Transfer::default()
        });
    }
    Ok(transfers)
}

/// Ours: per chunk, accrue every event and submit the earning ones as one batch.
pub async fn run_ours(svc: &LedgerService, events: &[Event]) -> anyhow::Result<Side> {
    let rule = rule();
    batched(events, |chunk| {
        let transfers = accruals(&rule, chunk);
        async move {
            let results = svc.create_transfers(transfers?).await?;
            anyhow::ensure!(
                results.iter().all(|r| *r == CreateTransferResult::Ok),
                "an accrual was refused"
            );
            Ok(())
        }
    })
    .await
}

/// Whether our store holds exactly the accruals `events` earn: the ledger check, Σ customers'
/// points = the programme's balance = the rule's total, and a replay of the first chunk refused.
pub async fn check_ours(svc: &LedgerService, events: &[Event]) -> anyhow::Result<bool> {
    let (total, earning) = expected(events)?;
    let report = svc.reader().check().await?;
    for v in report.violations.iter().take(10) {
        tracing::error!(violation = %v, "ledger invariant broken");
    }
    let mut ok =
        report.ok() && report.transfers == earning && report.accounts == CUSTOMERS as u64 + 1;
    let (liability, customers) = balances(svc).await?;
    ok &= liability == total && customers == total;

    // Idempotence: the first chunk again is refused as `Exists`, transfer by transfer.
    if let Some(chunk) = events.chunks(BATCH_MAX).next() {
        let transfers = accruals(&rule(), chunk)?;
        let results = svc.create_transfers(transfers).await?;
        ok &= results.iter().all(|r| *r == CreateTransferResult::Exists);
        ok &= balances(svc).await?.0 == total;
    }
    if !ok {
        tracing::error!(
            ok = report.ok(),
            transfers = report.transfers,
            earning,
            liability,
            customers,
            total,
            "points check failed"
        );
    }
    Ok(ok)
}

/// (The programme's balance, Σ customers' balances), read account by account.
async fn balances(svc: &LedgerService) -> anyhow::Result<(u64, u64)> {
    let reader = svc.reader();
    let programme = reader
        .account(PROGRAMME)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no programme account"))?;
    let liability = programme
        .debits_posted
        .checked_sub(programme.credits_posted)
        .ok_or_else(|| anyhow::anyhow!("programme account in credit"))?;
    let customers = futures_util::stream::iter(customer_ids())
        .map(|id| async move { reader.account(id).await })
        .buffer_unordered(32)
        .try_fold(Some(0u64), |sum, account| async move {
            Ok(account.and_then(|a| {
                let held = a.credits_posted.checked_sub(a.debits_posted)?;
                sum?.checked_add(held)
            }))
        })
        .await?
        .ok_or_else(|| anyhow::anyhow!("a customer account is missing or in debit"))?;
    Ok((liability, customers))
}

/// The obvious points store on SQL: balances, the programme's liability row, and lots.
#[derive(Debug, Clone)]
pub struct Baseline {
    db: Db,
}

const SQLITE_SCHEMA: [&str; 3] = [
    "CREATE TABLE points_accounts (id INTEGER PRIMARY KEY, balance INTEGER NOT NULL)",
    "CREATE TABLE programme (id INTEGER PRIMARY KEY, liability INTEGER NOT NULL)",
    "CREATE TABLE points_lots (id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL, \
     points INTEGER NOT NULL, earned_on TEXT NOT NULL)",
];
const PG_SCHEMA: [&str; 3] = [
    "CREATE TABLE points_accounts (id BIGINT PRIMARY KEY, balance BIGINT NOT NULL)",
    "CREATE TABLE programme (id BIGINT PRIMARY KEY, liability BIGINT NOT NULL)",
    "CREATE TABLE points_lots (id BIGINT PRIMARY KEY, account_id BIGINT NOT NULL, \
     points BIGINT NOT NULL, earned_on TEXT NOT NULL)",
];
const UPDATE_ACCOUNT: &str = "UPDATE points_accounts SET balance = balance + $1 WHERE id = $2";
const UPDATE_PROGRAMME: &str = "UPDATE programme SET liability = liability + $1 WHERE id = 1";
const INSERT_LOT: &str =
    "INSERT INTO points_lots (id, account_id, points, earned_on) VALUES ($1, $2, $3, $4)";

impl Baseline {
    /// Creates the schema, the programme row and the customer accounts (same ids as ours).
    pub async fn create(db: Db) -> anyhow::Result<Self> {
        let ids: Vec<i64> = customer_ids()
            .map(i64::try_from)
            .collect::<Result<_, _>>()?;
        match &db {
            Db::Sqlite(p) => {
                for sql in SQLITE_SCHEMA {
                    sqlx::query(sql).execute(p).await?;
                }
                let mut tx = p.begin().await?;
                sqlx::query("INSERT INTO programme VALUES (1, 0)")
                    .execute(&mut *tx)
                    .await?;
                for id in &ids {
                    sqlx::query("INSERT INTO points_accounts VALUES ($1, 0)")
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
            }
            Db::Postgres(p) => {
                for sql in PG_SCHEMA {
                    sqlx::query(sql).execute(p).await?;
                }
                sqlx::query("INSERT INTO programme VALUES (1, 0)")
                    .execute(p)
                    .await?;
                sqlx::query(
                    "INSERT INTO points_accounts SELECT id, 0 FROM UNNEST($1::bigint[]) AS u(id)",
                )
                .bind(&ids)
                .execute(p)
                .await?;
            }
        }
        Ok(Self { db })
    }

    /// Whether liability = Σ balances = Σ lots = `total`, with `earning` lots.
    pub async fn check(&self, total: u64, earning: u64) -> anyhow::Result<bool> {
        let sql = "SELECT (SELECT liability FROM programme WHERE id = 1), \
                   (SELECT COALESCE(SUM(balance), 0) FROM points_accounts), \
                   (SELECT COALESCE(SUM(points), 0) FROM points_lots), \
                   (SELECT COUNT(*) FROM points_lots)";
        let row: (i64, i64, i64, i64) = match &self.db {
            Db::Sqlite(p) => sqlx::query_as(sql).fetch_one(p).await?,
            Db::Postgres(p) => {
                let sql = "SELECT (SELECT liability FROM programme WHERE id = 1), \
                           (SELECT COALESCE(SUM(balance), 0)::bigint FROM points_accounts), \
                           (SELECT COALESCE(SUM(points), 0)::bigint FROM points_lots), \
                           (SELECT COUNT(*) FROM points_lots)";
                sqlx::query_as(sql).fetch_one(p).await?
            }
        };
        let (total, earning) = (i64::try_from(total)?, i64::try_from(earning)?);
        let ok = row == (total, total, total, earning);
        if !ok {
            tracing::error!(?row, total, earning, "baseline points check failed");
        }
        Ok(ok)
    }
}

/// The baseline: per chunk one transaction, per earning event the three statements.
pub async fn run_baseline(base: &Baseline, events: &[Event]) -> anyhow::Result<Side> {
    let rule = rule();
    batched(events, |chunk| {
        let rule = &rule;
        async move {
            match &base.db {
                Db::Sqlite(p) => sqlite_chunk(p, rule, chunk).await,
                Db::Postgres(p) => pg_chunk(p, rule, chunk).await,
            }
        }
    })
    .await
}

async fn sqlite_chunk(p: &SqlitePool, rule: &AccrualRule, chunk: &[Event]) -> anyhow::Result<()> {
    let mut conn = p.acquire().await?;
    let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
    accrue_chunk::<sqlx::Sqlite>(&mut tx, rule, chunk).await?;
    tx.commit().await?;
    Ok(())
}

async fn pg_chunk(p: &PgPool, rule: &AccrualRule, chunk: &[Event]) -> anyhow::Result<()> {
    let mut tx = p.begin().await?;
    accrue_chunk::<sqlx::Postgres>(&mut tx, rule, chunk).await?;
    tx.commit().await?;
    Ok(())
}

/// Event by event inside the caller's transaction: the customer's balance, the programme's
/// liability, one lot row. The same SQL on both stores.
async fn accrue_chunk<DB>(
    conn: &mut DB::Connection,
    rule: &AccrualRule,
    chunk: &[Event],
) -> anyhow::Result<()>
where
    DB: sqlx::Database,
    for<'e> &'e mut DB::Connection: sqlx::Executor<'e, Database = DB>,
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    DB::Arguments: sqlx::IntoArguments<DB>,
{
    for e in chunk {
        let points = i64::try_from(points_of(rule, e)?)?;
        if points == 0 {
            continue;
        }
        let account = i64::try_from(e.customer)?;
        // An update that found no account would leave the liability above the sum of balances,
        // which the check after the run reports.
        sqlx::query(UPDATE_ACCOUNT)
            .bind(points)
            .bind(account)
            .execute(&mut *conn)
            .await?;
        sqlx::query(UPDATE_PROGRAMME)
            .bind(points)
            .execute(&mut *conn)
            .await?;
        sqlx::query(INSERT_LOT)
            .bind(i64::try_from(e.id)?)
            .bind(account)
            .bind(points)
            .bind(e.spend.date.to_string())
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn workload_is_fixed_and_mixes_earning_and_excluded_events() {
        let a = workload(20_000).unwrap();
        let b = workload(20_000).unwrap();
        assert!(
            a.iter()
                .zip(&b)
                .all(|(x, y)| x.customer == y.customer && x.spend == y.spend)
        );
        let (total, earning) = expected(&a).unwrap();
        assert!(earning > 14_000 && earning < 19_000, "{earning}");
        assert!(total > 0);
        // Transfers of a chunk: earning events only, ids from event ids, one per event.
        let transfers = accruals(&rule(), &a).unwrap();
        assert_eq!(transfers.len() as u64, earning);
        assert_eq!(transfers.iter().map(|t| t.amount).sum::<u64>(), total);
        assert!(
            transfers
                .iter()
                .all(|t| t.id == transfer_id(t.user_data_64))
        );
    }
}
