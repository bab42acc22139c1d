//! The `statements` case: the batch statement run of one statement date for many accounts,
//! durable, on the embedded store (or PostgreSQL), against the obvious SQL on the same data.
//!
//! Setup (not timed): [`accounts_for`] accounts, each with a previous statement row (dated
//! [`PREVIOUS`]) and ~30 lines posted in the cycle closing on [`STATEMENT`], from a fixed seed,
//! written durably to the fresh store. Accounts have limits of 10,000–100,000.00 and carry
//! purchase, cash, fee, interest and installment balances from the previous statement (some a
//! credit balance instead). The lines mix purchases, refunds, cash advances with their fee,
//! installment amounts and interest billed at the cut, and payments, in posting order; each
//! payment or refund is allocated as it posts (rule 9's default order, one line per bucket part,
//! the rest to overpayment) and an overpayment absorbs later charges — what the posting step
//! hands the run.
//!
//! Measured: ours ([`statement_run::run`]) and the baseline ([`statement_run::baseline::run`],
//! one `INSERT … SELECT … GROUP BY` into a table of the same shape), each one durable
//! transaction on the same data in the same run; the unit is accounts/s.
//!
//! Checked afterwards: both wrote one row per account and the same rows (`EXCEPT` both ways over
//! every column); Σ balances = Σ previous balances + Σ charges − Σ credits of the lines, computed
//! in SQL from the lines; the run folded every line; running the date again is refused and
//! writes nothing.

use std::time::Instant;

use cardlife_credit::billing::{Bucket, LineKind, Product};
use cardlife_store::Db;
use cardlife_store::statement_run::{self, RunError, RunSpec, bucket_code, kind_code, yyyymmdd};
use jiff::civil::Date;
use rand::{RngExt, SeedableRng, rngs::StdRng};
use sqlx::AssertSqlSafe;

use super::stats::Side;

/// The previous statement date.
const PREVIOUS: Date = Date::constant(2026, 3, 7);
/// The statement date the run cuts.
const STATEMENT: Date = Date::constant(2026, 4, 7);
/// The workload's seed.
const SEED: u64 = 0x57A7_E3E7_5EED;
/// The baseline's table, the shape of `credit_statement_rows`.
const BASELINE_TABLE: &str = "bench_baseline_statement_rows";
/// Accounts written per setup transaction.
const SETUP_ACCOUNTS_PER_COMMIT: usize = 50_000;
/// Lines per setup insert statement (7 values each).
const SETUP_LINES_PER_INSERT: usize = 512;

/// Overrides the number of accounts (a profile of a mid-sized run); unset in the measured runs.
const ACCOUNTS_VAR: &str = "CARDLIFE_BENCH_STATEMENT_ACCOUNTS";

/// Accounts in the run.
pub fn accounts_for(quick: bool) -> usize {
    std::env::var(ACCOUNTS_VAR)
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(if quick { 20_000 } else { 1_000_000 })
}

/// One generated line.
#[derive(Debug, Clone, Copy)]
struct GenLine {
    posted_on: i64,
    kind: i64,
    bucket: i64,
    amount: i64,
}

/// One generated account: its previous row's opening values and its lines.
#[derive(Debug)]
struct GenAccount {
    /// balance, minimum, limit, owed fee, interest, installment, cash, purchase, overpayment.
    opening: [i64; 9],
    lines: Vec<GenLine>,
}

/// Rule 9's default order as (bucket, index into the owed array).
const ORDER: [Bucket; 5] = [
    Bucket::Fee,
    Bucket::Interest,
    Bucket::Installment,
    Bucket::Cash,
    Bucket::Purchase,
];

fn owed_index(b: Bucket) -> usize {
    ORDER.iter().position(|x| *x == b).unwrap_or(0)
}

/// Generates one account from `rng`.
fn account(rng: &mut StdRng) -> GenAccount {
    let limit = [1_000_000, 2_000_000, 5_000_000, 10_000_000][rng.random_range(0..4)];
    let mut owed = [0i64; 5];
    let mut over = 0i64;
    if rng.random_range(0..100) < 3 {
        over = rng.random_range(1..50_000);
    } else {
        owed[owed_index(Bucket::Purchase)] = rng.random_range(0..limit / 2);
        if rng.random_range(0..100) < 10 {
            owed[owed_index(Bucket::Cash)] = rng.random_range(10_000..200_000);
        }
        if rng.random_range(0..100) < 20 {
            owed[owed_index(Bucket::Fee)] = rng.random_range(1_000..5_000);
            owed[owed_index(Bucket::Interest)] = rng.random_range(100..20_000);
        }
        if rng.random_range(0..100) < 15 {
            owed[owed_index(Bucket::Installment)] = rng.random_range(10_000..100_000);
        }
    }
    let balance = owed.iter().sum::<i64>() - over;
    let minimum = (owed[4] / 10 + owed[0] + owed[1] + owed[2] + owed[3]).clamp(0, balance.max(0));
    let opening = [
        balance, minimum, limit, owed[0], owed[1], owed[2], owed[3], owed[4], over,
    ];
    let mut g = Generator {
        owed,
        over,
        lines: Vec::with_capacity(40),
    };
    let n = rng.random_range(15..=35);
    let mut days: Vec<i64> = (0..n).map(|_| rng.random_range(1..=31)).collect();
    days.sort_unstable();
    for day in days {
        let posted_on = yyyymmdd(PREVIOUS) + day_of(day);
        match rng.random_range(0..100) {
            0..=69 => g.charge(
                posted_on,
                LineKind::Purchase,
                rng.random_range(500..300_000),
            ),
            70..=73 => g.credit(posted_on, LineKind::Refund, rng.random_range(500..50_000)),
            74..=76 => {
                let amount = rng.random_range(10_000..300_000);
                g.charge(posted_on, LineKind::CashAdvance, amount);
                g.charge(posted_on, LineKind::Fee, (amount / 100).max(1_000));
            }
            77..=84 => g.charge(
                posted_on,
                LineKind::Installment,
                rng.random_range(5_000..80_000),
            ),
            _ => {
                // A payment: the minimum, the whole balance, or something in between.
                let owed: i64 = g.owed.iter().sum::<i64>() - g.over;
                let amount = match rng.random_range(0..3) {
                    0 => owed / 10,
                    1 => owed + rng.random_range(0..2) * 10_000,
                    _ => rng.random_range(1_000..500_000),
                };
                g.credit(posted_on, LineKind::Payment, amount.max(100));
            }
        }
    }
    let interest = (g.owed[4] + g.owed[3]) / 2_000;
    if interest > 0 {
        g.charge(yyyymmdd(STATEMENT), LineKind::Interest, interest);
    }
    GenAccount {
        opening,
        lines: g.lines,
    }
}

/// Day `d` (1–31) of the cycle after [`PREVIOUS`], as yyyymmdd (8 March … 7 April).
fn day_of(d: i64) -> i64 {
    if d <= 24 {
        d // 8..31 March: 20260307 + d
    } else {
        // 1..7 April: 20260401 + (d - 25)
        20260401 - 20260307 + (d - 25)
    }
}

/// An account's balances as its lines post, emitting the lines the posting step would.
struct Generator {
    owed: [i64; 5],
    over: i64,
    lines: Vec<GenLine>,
}

impl Generator {
    fn push(
        &mut self,
        posted_on: i64,
        kind: Option<LineKind>,
        bucket: Option<Bucket>,
        amount: i64,
    ) {
        self.lines.push(GenLine {
            posted_on,
            kind: kind_code(kind),
            bucket: bucket_code(bucket),
            amount,
        });
    }

    /// A charge, absorbed by any overpayment as it posts.
    fn charge(&mut self, posted_on: i64, kind: LineKind, amount: i64) {
        let bucket = kind.charged_bucket().unwrap_or(Bucket::Purchase);
        self.push(posted_on, Some(kind), Some(bucket), amount);
        self.owed[owed_index(bucket)] += amount;
        let absorbed = amount.min(self.over);
        if absorbed > 0 {
            self.push(posted_on, None, Some(bucket), absorbed);
            self.owed[owed_index(bucket)] -= absorbed;
            self.over -= absorbed;
        }
    }

    /// A payment or refund, allocated in rule 9's default order, the rest to overpayment.
    fn credit(&mut self, posted_on: i64, kind: LineKind, amount: i64) {
        let mut left = amount;
        for (i, bucket) in ORDER.iter().enumerate() {
            let part = left.min(self.owed[i]);
            if part > 0 {
                self.push(posted_on, Some(kind), Some(*bucket), part);
                self.owed[i] -= part;
                left -= part;
            }
        }
        if left > 0 {
            self.push(posted_on, Some(kind), None, left);
            self.over += left;
        }
    }
}

/// The run both sides cut.
pub fn spec() -> RunSpec {
    RunSpec {
        statement_date: STATEMENT,
        previous_date: PREVIOUS,
        product: Product::default(),
    }
}

/// Writes `n` generated accounts durably; returns the number of lines.
pub async fn setup(db: &Db, n: usize) -> anyhow::Result<u64> {
    let Db::Sqlite(pool) = db else {
        return setup_generic(db, n).await;
    };
    let started = Instant::now();
    // The time spent executing the lines' inserts (the cycle journal's triggers run inside
    // them), apart from generating the accounts, their opening rows and the commits.
    let mut inserting_lines = std::time::Duration::ZERO;
    let mut rng = StdRng::seed_from_u64(SEED);
    let mut lines = 0u64;
    let prev = yyyymmdd(PREVIOUS);
    let mut account_no = 0i64;
    let line_sql = insert_lines_sql(SETUP_LINES_PER_INSERT);
    let one_line_sql = insert_lines_sql(1);
    while (account_no as usize) < n {
        let mut tx = pool.begin().await?;
        let mut buffer: Vec<(i64, i64, GenLine)> = Vec::with_capacity(SETUP_LINES_PER_INSERT);
        let end = (account_no as usize + SETUP_ACCOUNTS_PER_COMMIT).min(n);
        while (account_no as usize) < end {
            account_no += 1;
            let a = account(&mut rng);
            let mut q = sqlx::query(AssertSqlSafe(OPENING_SQL))
                .bind(prev)
                .bind(account_no);
            for v in a.opening {
                q = q.bind(v);
            }
            q.execute(&mut *tx).await?;
            for (i, l) in a.lines.into_iter().enumerate() {
                buffer.push((account_no, i as i64 + 1, l));
                lines += 1;
                if buffer.len() == SETUP_LINES_PER_INSERT {
                    let t = Instant::now();
                    bind_lines(&line_sql, &buffer).execute(&mut *tx).await?;
                    inserting_lines += t.elapsed();
                    buffer.clear();
                }
            }
        }
        let t = Instant::now();
        for l in buffer.chunks(1) {
            bind_lines(&one_line_sql, l).execute(&mut *tx).await?;
        }
        inserting_lines += t.elapsed();
        tx.commit().await?;
    }
    tracing::info!(
        accounts = n,
        lines,
        setup = ?started.elapsed(),
        inserting_lines = ?inserting_lines,
        "statements: setup written (not timed)"
    );
    Ok(lines)
}

/// The same data on PostgreSQL, through the same statements one transaction per chunk.
async fn setup_generic(db: &Db, n: usize) -> anyhow::Result<u64> {
    let Db::Postgres(pool) = db else {
        anyhow::bail!("unreachable store");
    };
    let mut rng = StdRng::seed_from_u64(SEED);
    let mut lines = 0u64;
    let prev = yyyymmdd(PREVIOUS);
    let mut account_no = 0i64;
    while (account_no as usize) < n {
        let end = (account_no as usize + SETUP_ACCOUNTS_PER_COMMIT).min(n);
        let mut openings: Vec<Vec<i64>> = vec![Vec::new(); 11];
        let mut cols: Vec<Vec<i64>> = vec![Vec::new(); 6];
        while (account_no as usize) < end {
            account_no += 1;
            let a = account(&mut rng);
            for (i, v) in [prev, account_no].into_iter().chain(a.opening).enumerate() {
                openings[i].push(v);
            }
            for (i, l) in a.lines.into_iter().enumerate() {
                let v = [
                    account_no,
                    i as i64 + 1,
                    l.posted_on,
                    l.kind,
                    l.bucket,
                    l.amount,
                ];
                for (c, x) in v.into_iter().enumerate() {
                    cols[c].push(x);
                }
                lines += 1;
            }
        }
        let mut tx = pool.begin().await?;
        let mut q = sqlx::query(PG_OPENINGS_SQL);
        for c in openings {
            q = q.bind(c);
        }
        q.execute(&mut *tx).await?;
        let mut q = sqlx::query(PG_LINES_SQL).bind(yyyymmdd(STATEMENT));
        for c in cols {
            q = q.bind(c);
        }
        q.execute(&mut *tx).await?;
        tx.commit().await?;
    }
    Ok(lines)
}

const OPENING_SQL: &str = "INSERT INTO credit_statement_rows \
     (statement_date, account_no, previous_balance_fen, payments_credits_fen, purchases_fen, \
      cash_advances_fen, fees_fen, interest_fen, installments_fen, balance_fen, \
      minimum_payment_fen, due_date, credit_limit_fen, owed_fee_fen, owed_interest_fen, \
      owed_installment_fen, owed_cash_fen, owed_purchase_fen, overpayment_fen) \
     VALUES ($1, $2, 0, 0, 0, 0, 0, 0, 0, $3, $4, 0, $5, $6, $7, $8, $9, $10, $11)";

const PG_OPENINGS_SQL: &str = "INSERT INTO credit_statement_rows \
     (statement_date, account_no, previous_balance_fen, payments_credits_fen, purchases_fen, \
      cash_advances_fen, fees_fen, interest_fen, installments_fen, balance_fen, \
      minimum_payment_fen, due_date, credit_limit_fen, owed_fee_fen, owed_interest_fen, \
      owed_installment_fen, owed_cash_fen, owed_purchase_fen, overpayment_fen) \
     SELECT d, a, 0, 0, 0, 0, 0, 0, 0, b, m, 0, l, f, i, s, c, p, o FROM UNNEST($1::bigint[], \
     $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[], \
     $8::bigint[], $9::bigint[], $10::bigint[], $11::bigint[]) AS u(d, a, b, m, l, f, i, s, c, p, o)";

const PG_LINES_SQL: &str = "INSERT INTO credit_posted_lines \
     (cycle, account_no, line_no, posted_on, kind, bucket, amount_fen) \
     SELECT $1, a, n, d, k, b, x FROM UNNEST($2::bigint[], $3::bigint[], $4::bigint[], \
     $5::bigint[], $6::bigint[], $7::bigint[]) AS u(a, n, d, k, b, x)";

fn insert_lines_sql(rows: usize) -> String {
    let cycle = yyyymmdd(STATEMENT);
    let values = vec![format!("({cycle}, ?, ?, ?, ?, ?, ?)"); rows].join(", ");
    format!(
        "INSERT INTO credit_posted_lines \
         (cycle, account_no, line_no, posted_on, kind, bucket, amount_fen) VALUES {values}"
    )
}

fn bind_lines<'q>(
    sql: &'q str,
    rows: &[(i64, i64, GenLine)],
) -> sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments> {
    let mut q = sqlx::query(AssertSqlSafe(sql));
    for (account_no, line_no, l) in rows {
        q = q
            .bind(*account_no)
            .bind(*line_no)
            .bind(l.posted_on)
            .bind(l.kind)
            .bind(l.bucket)
            .bind(l.amount);
    }
    q
}

/// The baseline: its table, then its one statement, timed.
pub async fn run_baseline(db: &Db, accounts: usize) -> anyhow::Result<Side> {
    statement_run::baseline::create_table(db, BASELINE_TABLE).await?;
    let start = Instant::now();
    let written = statement_run::baseline::run(db, &spec(), BASELINE_TABLE).await?;
    let elapsed = start.elapsed();
    anyhow::ensure!(
        written == accounts as u64,
        "the baseline wrote {written} rows for {accounts} accounts"
    );
    Ok(Side::throughput(written, elapsed))
}

/// Ours, timed; returns the lines it folded too.
pub async fn run_ours(db: &Db) -> anyhow::Result<(Side, u64)> {
    let start = Instant::now();
    let report = statement_run::run(db, &spec()).await?;
    let elapsed = start.elapsed();
    Ok((Side::throughput(report.accounts, elapsed), report.lines))
}

/// The checks after both ran: same rows, reconciliation, every line folded, a re-run refused.
pub async fn check(db: &Db, accounts: usize, lines: u64, folded: u64) -> anyhow::Result<bool> {
    let date = yyyymmdd(STATEMENT);
    let columns = statement_run::ROW_COLUMNS;
    let differing = format!(
        "SELECT \
         (SELECT COUNT(*) FROM (SELECT {columns} FROM credit_statement_rows WHERE statement_date = {date} \
          EXCEPT SELECT {columns} FROM {BASELINE_TABLE}) AS a), \
         (SELECT COUNT(*) FROM (SELECT {columns} FROM {BASELINE_TABLE} \
          EXCEPT SELECT {columns} FROM credit_statement_rows WHERE statement_date = {date}) AS b), \
         (SELECT COUNT(*) FROM credit_statement_rows WHERE statement_date = {date}), \
         (SELECT COUNT(*) FROM {BASELINE_TABLE})"
    );
    let (only_ours, only_baseline, ours_rows, baseline_rows): (i64, i64, i64, i64) =
        fetch(db, &differing).await?;
    let reconcile = format!(
        "SELECT \
         (SELECT CAST(SUM(balance_fen) AS BIGINT) FROM credit_statement_rows WHERE statement_date = {date}), \
         (SELECT CAST(SUM(balance_fen) AS BIGINT) FROM credit_statement_rows WHERE statement_date = {prev}), \
         (SELECT CAST(COALESCE(SUM(CASE WHEN kind IN (5, 6) THEN -amount_fen WHEN kind = 7 THEN 0 \
                 ELSE amount_fen END), 0) AS BIGINT) FROM credit_posted_lines WHERE cycle = {date}), \
         (SELECT COUNT(*) FROM credit_posted_lines WHERE cycle = {date})",
        prev = yyyymmdd(PREVIOUS)
    );
    let (balances, previous, moved, stored_lines): (i64, i64, i64, i64) =
        fetch(db, &reconcile).await?;
    let again = statement_run::run(db, &spec()).await;
    let refused =
        matches!(again, Err(RunError::AlreadyRun { rows, .. }) if rows == accounts as u64);
    let n = accounts as i64;
    let ok = only_ours == 0
        && only_baseline == 0
        && ours_rows == n
        && baseline_rows == n
        && balances == previous + moved
        && stored_lines as u64 == lines
        && folded == lines
        && refused;
    if !ok {
        tracing::error!(
            only_ours,
            only_baseline,
            ours_rows,
            baseline_rows,
            balances,
            previous,
            moved,
            stored_lines,
            lines,
            folded,
            refused,
            "statements check failed"
        );
    }
    Ok(ok)
}

async fn fetch<T>(db: &Db, sql: &str) -> anyhow::Result<T>
where
    T: Send + Unpin,
    T: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>,
    T: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>,
{
    let q = AssertSqlSafe(sql.to_owned());
    Ok(match db {
        Db::Sqlite(p) => sqlx::query_as(q).fetch_one(p).await?,
        Db::Postgres(p) => sqlx::query_as(q).fetch_one(p).await?,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn accounts_average_about_30_lines_and_every_bucket_ends_non_negative() {
        let mut rng = StdRng::seed_from_u64(SEED);
        let accounts: Vec<GenAccount> = (0..2_000).map(|_| account(&mut rng)).collect();
        let lines: usize = accounts.iter().map(|a| a.lines.len()).sum();
        let mean = lines as f64 / accounts.len() as f64;
        assert!((28.0..33.0).contains(&mean), "{mean}");
        let kinds: std::collections::BTreeSet<i64> = accounts
            .iter()
            .flat_map(|a| a.lines.iter().map(|l| l.kind))
            .collect();
        assert_eq!(kinds.len(), 8, "every kind appears: {kinds:?}");
        for a in &accounts {
            assert!(a.lines.windows(2).all(|w| w[0].posted_on <= w[1].posted_on));
            assert!(a.lines.iter().all(|l| l.amount > 0));
            let first = a.lines.first().unwrap().posted_on;
            assert!(first >= 20260308 && a.lines.last().unwrap().posted_on <= 20260407);
        }
    }
}
