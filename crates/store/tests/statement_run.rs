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
    seed_posted(db, accounts, Posting::AccountByAccount).await;
}

/// The order in which [`seed_posted`] inserts the lines.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Posting {
    /// Account after account, each account's lines in line order (the bench's setup).
    AccountByAccount,
    /// Round-robin across the accounts, the highest account first: every account's first
    /// line, then every second line, … (a day's posting, many accounts per statement); each
    /// account's lines still arrive in line order.
    Interleaved,
}

/// [`seed`], inserting the lines in the order `posting` says.
async fn seed_posted(db: &Db, accounts: i64, posting: Posting) {
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
            lines.push((
                n,
                -a,
                format!(
                    "({}, {a}, {n}, {}, {}, {}, {amount})",
                    yyyymmdd(STATEMENT),
                    20260307 + day,
                    kind_code(kind),
                    bucket_code(bucket)
                ),
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
    if posting == Posting::Interleaved {
        lines.sort_by_key(|(n, minus_a, _)| (*n, *minus_a));
    }
    let lines: Vec<String> = lines.into_iter().map(|(_, _, v)| v).collect();
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
    runs_as_the_baseline_does(Posting::AccountByAccount).await;
}

#[tokio::test]
async fn a_run_over_lines_posted_interleaved_across_accounts_writes_the_baselines_rows() {
    runs_as_the_baseline_does(Posting::Interleaved).await;
}

async fn runs_as_the_baseline_does(posting: Posting) {
    for store in stores().await {
        let db = &store.db;
        let accounts = 3_000;
        seed_posted(db, accounts, posting).await;
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

/// On SQLite, each (cycle, account)'s journal row against its lines: rows in the journal
/// without lines or differing from them, rows of lines without a journal row.
async fn journal_mismatches(db: &Db) -> i64 {
    let lines = "SELECT cycle, account_no, MAX(line_no) AS last_line_no, \
                 CAST(group_concat(record, '' ORDER BY line_no) AS BLOB) AS records \
                 FROM credit_posted_lines GROUP BY cycle, account_no";
    let journal = "SELECT cycle, account_no, last_line_no, records FROM credit_cycle_journal";
    count(
        db,
        &format!(
            "SELECT (SELECT COUNT(*) FROM ({journal} EXCEPT {lines})) \
             + (SELECT COUNT(*) FROM ({lines} EXCEPT {journal}))"
        ),
    )
    .await
}

/// Inserts lines given as `(cycle, account_no, line_no, amount_fen)`, in one statement.
async fn insert_lines(db: &Db, lines: &[(i64, i64, i64, i64)]) -> Result<(), sqlx::Error> {
    let values: Vec<String> = lines
        .iter()
        .map(|(cycle, a, n, amount)| format!("({cycle}, {a}, {n}, 20260310, 0, 5, {amount})"))
        .collect();
    let sql = format!(
        "INSERT INTO credit_posted_lines (cycle, account_no, line_no, posted_on, kind, bucket, \
         amount_fen) VALUES {}",
        values.join(", ")
    );
    let q = sqlx::raw_sql(AssertSqlSafe(sql));
    match db {
        Db::Sqlite(p) => q.execute(p).await.map(drop),
        Db::Postgres(p) => q.execute(p).await.map(drop),
    }
}

#[tokio::test]
async fn the_cycle_journal_holds_each_accounts_records_in_line_order_however_lines_arrive() {
    let store = common::TestStore::sqlite().await;
    let db = &store.db;
    let (c1, c2) = (yyyymmdd(PREVIOUS), yyyymmdd(STATEMENT));
    // Accounts interleaved and descending in one statement, line numbers with gaps, two cycles,
    // an account's later lines in later statements, one line at a time.
    insert_lines(
        db,
        &[
            (c2, 30, 1, 100),
            (c2, 10, 4, 200),
            (c1, 30, 7, 300),
            (c2, 30, 5, 400),
            (c2, 20, 2, 500),
            (c2, 10, 9, 600),
        ],
    )
    .await
    .unwrap();
    for (n, amount) in [(10, 700), (11, 800), (40, 900)] {
        insert_lines(db, &[(c2, 10, n, amount)]).await.unwrap();
    }
    insert_lines(db, &[(c1, 30, 8, 1_000), (c2, 1 << 33, 1, 1_100)])
        .await
        .unwrap();
    assert_eq!(journal_mismatches(db).await, 0);
    assert_eq!(
        count(db, "SELECT COUNT(*) FROM credit_cycle_journal").await,
        5
    );
    // Account 10's record bytes, in line order: amounts 200, 600, 700, 800, 900.
    let amounts = count(
        db,
        &format!(
            "SELECT COUNT(*) FROM credit_cycle_journal WHERE cycle = {c2} AND account_no = 10 \
             AND last_line_no = 40 AND length(records) = 80 \
             AND substr(records, 5, 8) = unhex(printf('%016x', 200 * 64 + 5)) \
             AND substr(records, 69, 8) = unhex(printf('%016x', 900 * 64 + 5))"
        ),
    )
    .await;
    assert_eq!(amounts, 1);
    store.drop_store().await;
}

#[tokio::test]
async fn a_line_numbered_at_or_below_its_accounts_last_is_refused_and_changes_nothing() {
    let store = common::TestStore::sqlite().await;
    let db = &store.db;
    let c = yyyymmdd(STATEMENT);
    insert_lines(db, &[(c, 10, 1, 100), (c, 10, 5, 200), (c, 20, 3, 300)])
        .await
        .unwrap();
    let snapshot = "SELECT COUNT(*) FROM credit_posted_lines";
    let journal = "SELECT group_concat(hex(records) || last_line_no, ',' ORDER BY account_no) \
                   FROM credit_cycle_journal";
    let before = text(db, journal).await;
    // Below the last (a gap in the key, so only the journal can tell), then the last itself,
    // each in a statement whose other line would be fine.
    for (refused, why) in [
        ([(c, 20, 4, 1), (c, 10, 3, 1)], "line_no not above the last"),
        ([(c, 10, 2, 1), (c, 30, 1, 1)], "line_no not above the last"),
        ([(c, 20, 4, 1), (c, 10, 5, 1)], "UNIQUE"),
    ] {
        let err = insert_lines(db, &refused).await.unwrap_err();
        assert!(err.to_string().contains(why), "{err}");
        assert_eq!(count(db, snapshot).await, 3);
        assert_eq!(text(db, journal).await, before);
    }
    assert_eq!(journal_mismatches(db).await, 0);
    // Above the last is taken.
    insert_lines(db, &[(c, 10, 6, 1)]).await.unwrap();
    assert_eq!(count(db, snapshot).await, 4);
    assert_eq!(journal_mismatches(db).await, 0);
    store.drop_store().await;
}

#[tokio::test]
async fn posted_lines_cannot_be_updated_or_deleted() {
    for store in stores().await {
        let db = &store.db;
        let c = yyyymmdd(STATEMENT);
        insert_lines(db, &[(c, 10, 1, 100), (c, 10, 2, 200)])
            .await
            .unwrap();
        for sql in [
            "UPDATE credit_posted_lines SET amount_fen = 1",
            "UPDATE credit_posted_lines SET line_no = line_no + 10 WHERE line_no = 2",
            "DELETE FROM credit_posted_lines WHERE line_no = 2",
            "DELETE FROM credit_posted_lines",
        ] {
            let q = sqlx::raw_sql(AssertSqlSafe(sql));
            let done = match db {
                Db::Sqlite(p) => q.execute(p).await.map(drop),
                Db::Postgres(p) => q.execute(p).await.map(drop),
            };
            let err = done.unwrap_err();
            assert!(err.to_string().contains("immutable"), "{sql}: {err}");
        }
        let sum = "SELECT CAST(SUM(amount_fen * line_no) AS BIGINT) FROM credit_posted_lines";
        assert_eq!(count(db, sum).await, 500, "{}", db.backend());
        if let Db::Sqlite(_) = db {
            assert_eq!(journal_mismatches(db).await, 0);
        }
        store.drop_store().await;
    }
}

#[tokio::test]
async fn the_journals_migration_fills_it_from_the_lines_already_posted() {
    // A store as it stood before the journal: migrated to 0027, lines posted out of key order.
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/before.db", dir.path().display());
    let db = Db::open(&url).await.unwrap();
    let Db::Sqlite(old) = &db else { unreachable!() };
    let migrator = sqlx::migrate!("./migrations/sqlite");
    migrator.run_to(27, old).await.unwrap();
    let c = yyyymmdd(STATEMENT);
    insert_lines(&db, &[(c, 20, 3, 300), (c, 10, 2, 200), (c, 20, 1, 100)])
        .await
        .unwrap();
    insert_lines(&db, &[(c, 10, 1, 50), (c - 100, 10, 9, 900)])
        .await
        .unwrap();
    migrator.run(old).await.unwrap();
    assert_eq!(journal_mismatches(&db).await, 0);
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM credit_cycle_journal").await,
        3
    );
    // The lines' trigger works from then on.
    insert_lines(&db, &[(c, 10, 3, 10)]).await.unwrap();
    assert!(insert_lines(&db, &[(c, 20, 2, 10)]).await.is_err());
    assert_eq!(journal_mismatches(&db).await, 0);
    db.close().await;
}

async fn text(db: &Db, sql: &str) -> String {
    let sql = AssertSqlSafe(sql.to_owned());
    match db {
        Db::Sqlite(p) => {
            sqlx::query_as::<_, (String,)>(sql)
                .fetch_one(p)
                .await
                .unwrap()
                .0
        }
        Db::Postgres(p) => {
            sqlx::query_as::<_, (String,)>(sql)
                .fetch_one(p)
                .await
                .unwrap()
                .0
        }
    }
}
