//! The batch statement run against its SQL baseline: every test runs on SQLite, and on
//! PostgreSQL when `CARDLIFE_TEST_DATABASE_URL` is set. Each test owns a fresh database.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use cardlife_credit::billing::{Bucket, LineKind, Product};
use cardlife_store::Db;
use cardlife_store::statement_run::{
    self, ROW_COLUMNS, RunError, RunSpec, bucket_code, kind_code, yyyymmdd,
};
use common::stores;
use jiff::civil::Date;
use sqlx::AssertSqlSafe;

const PREVIOUS: Date = Date::constant(2026, 3, 7);
const STATEMENT: Date = Date::constant(2026, 4, 7);

fn spec() -> RunSpec {
    RunSpec {
        statement_date: STATEMENT,
        previous_date: PREVIOUS,
        product: Product::default(),
    }
}

async fn exec(db: &Db, sql: &str) {
    let q = sqlx::raw_sql(AssertSqlSafe(sql.to_owned()));
    match db {
        Db::Sqlite(p) => drop(q.execute(p).await.unwrap()),
        Db::Postgres(p) => drop(q.execute(p).await.unwrap()),
    }
}

async fn count(db: &Db, sql: &str) -> i64 {
    let sql = AssertSqlSafe(sql.to_owned());
    match db {
        Db::Sqlite(p) => {
            sqlx::query_as::<_, (i64,)>(sql)
                .fetch_one(p)
                .await
                .unwrap()
                .0
        }
        Db::Postgres(p) => {
            sqlx::query_as::<_, (i64,)>(sql)
                .fetch_one(p)
                .await
                .unwrap()
                .0
        }
    }
}

/// Writes `accounts` accounts numbered 7, 14, … (gaps, and several read ranges on SQLite):
/// an opening row each and lines as the posting step would allocate them; every fifth
/// account has no lines, every ninth opens with a credit balance.
async fn seed(db: &Db, accounts: i64) {
    let mut rows = Vec::new();
    let mut lines = Vec::new();
    let mut x: i64 = 12_345;
    let mut next = |m: i64| {
        x = (x * 1_103_515_245 + 12_345) % 2_147_483_648;
        x % m
    };
    for i in 1..=accounts {
        let a = i * 7;
        let (mut purchase, mut fee, mut over) = (next(200_000), 0, 0);
        if i % 9 == 0 {
            (purchase, over) = (0, 1 + next(30_000));
        }
        let limit = 100_000 + next(4) * 50_000;
        let minimum = purchase / 10;
        rows.push(format!(
            "({}, {a}, 0, 0, 0, 0, 0, 0, 0, {}, {minimum}, 0, {limit}, 0, 0, 0, 0, {purchase}, {over})",
            yyyymmdd(PREVIOUS),
            purchase - over
        ));
        if i % 5 == 0 {
            continue;
        }
        let mut n = 0;
        let mut line = |day: i64, kind: Option<LineKind>, bucket: Option<Bucket>, amount: i64| {
            n += 1;
            lines.push(format!(
                "({}, {a}, {n}, {}, {}, {}, {amount})",
                yyyymmdd(STATEMENT),
                20260307 + day,
                kind_code(kind),
                bucket_code(bucket)
            ));
        };
        for day in 1..=1 + next(20) {
            let amount = 100 + next(90_000);
            match next(6) {
                0 => {
                    line(day, Some(LineKind::Fee), Some(Bucket::Fee), amount);
                    fee += amount;
                }
                1 | 2 => {
                    // A payment, allocated fee first, then purchases, the rest overpaid.
                    let to_fee = amount.min(fee);
                    let to_purchase = (amount - to_fee).min(purchase);
                    let to_over = amount - to_fee - to_purchase;
                    let pay = Some(LineKind::Payment);
                    for (b, part) in [
                        (Some(Bucket::Fee), to_fee),
                        (Some(Bucket::Purchase), to_purchase),
                        (None, to_over),
                    ] {
                        if part > 0 {
                            line(day, pay, b, part);
                        }
                    }
                    (fee, purchase, over) = (fee - to_fee, purchase - to_purchase, over + to_over);
                }
                _ => {
                    line(
                        day,
                        Some(LineKind::Purchase),
                        Some(Bucket::Purchase),
                        amount,
                    );
                    let absorbed = amount.min(over);
                    if absorbed > 0 {
                        line(day, None, Some(Bucket::Purchase), absorbed);
                    }
                    (purchase, over) = (purchase + amount - absorbed, over - absorbed);
                }
            }
        }
        line(
            31,
            Some(LineKind::Interest),
            Some(Bucket::Interest),
            1 + purchase / 1_000,
        );
    }
    for chunk in rows.chunks(500) {
        exec(
            db,
            &format!(
                "INSERT INTO credit_statement_rows ({ROW_COLUMNS}) VALUES {}",
                chunk.join(", ")
            ),
        )
        .await;
    }
    for chunk in lines.chunks(500) {
        exec(
            db,
            &format!(
                "INSERT INTO credit_posted_lines (cycle, account_no, line_no, posted_on, kind, \
                 bucket, amount_fen) VALUES {}",
                chunk.join(", ")
            ),
        )
        .await;
    }
}

#[tokio::test]
async fn a_run_writes_the_rows_the_sql_baseline_writes_and_a_second_run_is_refused() {
    for store in stores().await {
        let db = &store.db;
        let accounts = 3_000;
        seed(db, accounts).await;
        statement_run::baseline::create_table(db, "baseline_rows")
            .await
            .unwrap();
        let written = statement_run::baseline::run(db, &spec(), "baseline_rows")
            .await
            .unwrap();
        assert_eq!(written, accounts as u64);
        let report = statement_run::run(db, &spec()).await.unwrap();
        assert_eq!(report.accounts, accounts as u64);
        let lines = count(db, "SELECT COUNT(*) FROM credit_posted_lines").await;
        assert_eq!(report.lines, lines as u64);
        let date = yyyymmdd(STATEMENT);
        let ours = format!(
            "SELECT {ROW_COLUMNS} FROM credit_statement_rows WHERE statement_date = {date}"
        );
        let base = format!("SELECT {ROW_COLUMNS} FROM baseline_rows");
        let differ = format!(
            "SELECT (SELECT COUNT(*) FROM ({ours} EXCEPT {base}) AS a) \
             + (SELECT COUNT(*) FROM ({base} EXCEPT {ours}) AS b)"
        );
        assert_eq!(count(db, &differ).await, 0, "{}", db.backend());
        // Credit balances, zero minimums and over-limit statements all occur.
        let credit = format!(
            "SELECT COUNT(*) FROM ({ours}) AS r WHERE balance_fen < 0 AND minimum_payment_fen = 0"
        );
        assert!(count(db, &credit).await > 0);
        let over =
            format!("SELECT COUNT(*) FROM ({ours}) AS r WHERE balance_fen > credit_limit_fen");
        assert!(count(db, &over).await > 0);

        let again = statement_run::run(db, &spec()).await;
        assert!(
            matches!(again, Err(RunError::AlreadyRun { rows, .. }) if rows == accounts as u64),
            "{again:?}"
        );
        let all = count(db, "SELECT COUNT(*) FROM credit_statement_rows").await;
        assert_eq!(all, 2 * accounts);
        store.drop_store().await;
    }
}

#[tokio::test]
async fn a_line_repaying_more_than_its_bucket_owes_fails_the_run_and_writes_nothing() {
    for store in stores().await {
        let db = &store.db;
        seed(db, 50).await;
        // No account owes installments; a payment line says account 7 repaid one.
        exec(
            db,
            &format!(
                "INSERT INTO credit_posted_lines VALUES ({}, 7, 999, 20260310, 5, 3, 100)",
                yyyymmdd(STATEMENT)
            ),
        )
        .await;
        let err = statement_run::run(db, &spec()).await.unwrap_err();
        assert!(
            matches!(err, RunError::Billing { account_no: 7, .. }),
            "{err}"
        );
        let date = yyyymmdd(STATEMENT);
        let rows =
            format!("SELECT COUNT(*) FROM credit_statement_rows WHERE statement_date = {date}");
        assert_eq!(count(db, &rows).await, 0);
        store.drop_store().await;
    }
}
