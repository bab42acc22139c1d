//! The settings every PostgreSQL connection of the store runs with (`Db::open`). Runs when
//! `CARDLIFE_TEST_DATABASE_URL` is set.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use cardlife_store::Db;

/// A statement whose estimate, on a fresh store whose tables were never analysed, is far above
/// PostgreSQL's default `jit_above_cost` (100,000), though it reads one row: the planner takes
/// each unanalysed table for ten pages of rows.
const DEAR_LOOKING: &str = "SELECT h.n, c.seq FROM session_change_seq h \
                            LEFT JOIN (SELECT seq FROM session_changes WHERE seq > 0 \
                            ORDER BY seq LIMIT 4096) c ON TRUE ORDER BY c.seq";

#[tokio::test]
async fn every_connection_plans_each_statement_and_never_compiles_one() {
    let Some(store) = common::postgres().await else {
        return;
    };
    let Db::Postgres(pool) = &store.db else {
        panic!("a PostgreSQL store");
    };
    // Several connections at once, so the settings are seen to be every connection's.
    let mut held = Vec::new();
    for _ in 0..3 {
        let mut conn = pool.acquire().await.unwrap();
        let (jit, plans): (String, String) =
            sqlx::query_as("SELECT current_setting('jit'), current_setting('plan_cache_mode')")
                .fetch_one(&mut *conn)
                .await
                .unwrap();
        assert_eq!(jit, "off");
        assert_eq!(plans, "force_custom_plan");
        held.push(conn);
    }
    drop(held);

    // With the JIT on, this plan would be compiled (its estimate is past the threshold): the
    // store's connections do not.
    let plan: Vec<(String,)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "EXPLAIN (ANALYZE) {DEAR_LOOKING}"
    )))
    .fetch_all(pool)
    .await
    .unwrap();
    let plan: Vec<String> = plan.into_iter().map(|(line,)| line).collect();
    let (threshold,): (String,) = sqlx::query_as("SELECT current_setting('jit_above_cost')")
        .fetch_one(pool)
        .await
        .unwrap();
    // The top node's line: "Sort  (cost=<start>..<total> rows=… width=…) (actual …)".
    let total = plan[0]
        .split("cost=")
        .nth(1)
        .and_then(|c| c.split("..").nth(1))
        .and_then(|c| c.split(' ').next())
        .unwrap();
    assert!(
        total.parse::<f64>().unwrap() > threshold.parse::<f64>().unwrap(),
        "the statement must look dear enough for the JIT: {plan:#?}"
    );
    assert!(
        !plan
            .iter()
            .any(|line| line.trim_start().starts_with("JIT:")),
        "compiled: {plan:#?}"
    );
    store.drop_store().await;
}
