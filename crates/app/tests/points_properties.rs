//! Properties of stored points (docs/rewards.md, "Points"), over random sequences of accruals,
//! pro-rata claw-backs, mall orders and refunds, and days passing with the daily job, on a real
//! store and ledger:
//!
//! - no lot ever goes negative or above what it was credited, and Σ lots = the customer's balance;
//! - a mall order takes its points FIFO by expiry: the result equals draining the customer's
//!   usable lots, soonest expiry first, as they stood before the order;
//! - the programme's liability on the points ledger = Σ customer balances on the ledger = Σ
//!   balances the store holds, after every step.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use cardlife_app::App;
use cardlife_app::rewards::mall::{MallItemId, NewMallItem};
use cardlife_app::rewards::points::PointsView;
use cardlife_kernel::{CustomerId, FakeClock, Money, Points};
use cardlife_store::{Db, LedgerService};
use jiff::SignedDuration;
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    /// A card payment of `fen` by customer `who` (0 or 1).
    Pay { who: usize, fen: i64 },
    /// Refund `percent` of what is left of the customer's latest payment.
    Refund { who: usize, percent: i64 },
    /// Order `quantity` units of the mall item.
    Order { who: usize, quantity: u32 },
    /// Refund one unit of the customer's latest mall order with an open unit.
    MallRefund { who: usize },
    /// Let `days` pass and run the daily job.
    Days { days: i64 },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..2usize, 100i64..200_000).prop_map(|(who, fen)| Op::Pay { who, fen }),
        1 => (0..2usize, 1i64..=100).prop_map(|(who, percent)| Op::Refund { who, percent }),
        3 => (0..2usize, 1u32..4).prop_map(|(who, quantity)| Op::Order { who, quantity }),
        1 => (0..2usize).prop_map(|who| Op::MallRefund { who }),
        1 => (1i64..1_200).prop_map(|days| Op::Days { days }),
    ]
}

/// A payment: its order id, amount and cash refunded so far.
struct Paid {
    order: uuid::Uuid,
    amount: i64,
    refunded: i64,
    refunds: u32,
}

async fn check(app: &App, customers: &[CustomerId]) {
    let mut sum = 0i128;
    for c in customers {
        let view = app.my_points(*c).await.unwrap();
        for l in &view.lots {
            assert!(
                l.remaining.value() > 0 && l.remaining <= l.original,
                "{l:?}"
            );
        }
        let t = view.totals;
        let held = t.earned.value() - t.redeemed.value() - t.expired.value() - t.clawed.value();
        assert!(held >= 0);
        let on_ledger = app.points_on_ledger(*c).await.unwrap();
        assert_eq!(on_ledger, i128::from(held), "the ledger against the lots");
        sum += on_ledger;
    }
    let check = app.points_check().await.unwrap();
    assert!(check.holds(), "{check:?}");
    assert_eq!(check.liability, sum);
    assert!(app.check().await.unwrap().ok());
}

/// The usable lots after taking `points` FIFO from `before` (already in FIFO order).
fn drain(before: &[(u64, i64)], mut points: i64) -> Vec<(u64, i64)> {
    let mut after = Vec::new();
    for &(lot, remaining) in before {
        let take = points.min(remaining);
        points -= take;
        if remaining > take {
            after.push((lot, remaining - take));
        }
    }
    after
}

fn lots_of(view: &PointsView) -> Vec<(u64, i64)> {
    view.lots
        .iter()
        .map(|l| (l.lot, l.remaining.value()))
        .collect()
}

async fn run(ops: Vec<Op>) {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&format!("sqlite://{}/p.db", dir.path().display()))
        .await
        .unwrap();
    db.migrate().await.unwrap();
    let clock = FakeClock::new("2026-04-01T02:00:00Z".parse().unwrap());
    let ledger = LedgerService::start(&db, clock.shared()).await.unwrap();
    let app = App::new(db, ledger, clock.shared());
    let seeded = app
        .seed_customers(&["13900000001".to_owned(), "13900000002".to_owned()])
        .await
        .unwrap();
    let customers: Vec<CustomerId> = seeded.iter().map(|s| s.id).collect();
    let item: MallItemId = app
        .list_mall_item(NewMallItem {
            name_zh: "电影票".to_owned(),
            name_en: "Cinema ticket".to_owned(),
            points: 37,
            cash: Money::cny(0),
            stock: 1_000,
            per_customer_limit: 1_000,
            starts_at: "2026-01-01T00:00:00Z".parse().unwrap(),
            ends_at: "2040-01-01T00:00:00Z".parse().unwrap(),
        })
        .await
        .unwrap()
        .id;
    let mut paid: Vec<Vec<Paid>> = vec![Vec::new(), Vec::new()];
    for (n, op) in ops.into_iter().enumerate() {
        match op {
            Op::Pay { who, fen } => {
                let order = uuid::Uuid::now_v7();
                let got = app
                    .accrue_points(customers[who], order, Money::cny(fen), "5812")
                    .await
                    .unwrap();
                assert_eq!(got, Points::new(fen / 100));
                paid[who].push(Paid {
                    order,
                    amount: fen,
                    refunded: 0,
                    refunds: 0,
                });
            }
            Op::Refund { who, percent } => {
                if let Some(p) = paid[who].iter_mut().rev().find(|p| p.refunded < p.amount) {
                    let cash = ((p.amount - p.refunded) * percent / 100).max(1);
                    let before = p.refunded;
                    p.refunded += cash;
                    p.refunds += 1;
                    app.claw_back_points(
                        customers[who],
                        p.order,
                        p.refunds,
                        Money::cny(before),
                        Money::cny(p.refunded),
                    )
                    .await
                    .unwrap();
                }
            }
            Op::Order { who, quantity } => {
                let before = app.my_points(customers[who]).await.unwrap();
                let cost = 37 * i64::from(quantity);
                let result = app
                    .order_mall_item(customers[who], item, quantity, &format!("k-{n}"))
                    .await;
                let after = app.my_points(customers[who]).await.unwrap();
                if before.balance.value() >= cost {
                    result.unwrap();
                    assert_eq!(lots_of(&after), drain(&lots_of(&before), cost), "FIFO");
                } else {
                    assert!(result.is_err(), "more points than held");
                    assert_eq!(
                        lots_of(&after),
                        lots_of(&before),
                        "a refusal changes nothing"
                    );
                }
            }
            Op::MallRefund { who } => {
                let orders = app.my_mall_orders(customers[who]).await.unwrap();
                if let Some(o) = orders.iter().find(|o| o.refunded < o.quantity) {
                    let before = app.my_points(customers[who]).await.unwrap().balance;
                    app.refund_mall_order(customers[who], o.id, 1)
                        .await
                        .unwrap();
                    let after = app.my_points(customers[who]).await.unwrap().balance;
                    assert_eq!(after.value(), before.value() + 37);
                }
            }
            Op::Days { days } => {
                clock.advance(SignedDuration::from_hours(24 * days));
                app.run_points_expiry(app.today()).await.unwrap();
            }
        }
        check(&app, &customers).await;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn lots_stay_in_range_orders_take_fifo_and_the_liability_is_what_customers_hold(
        ops in proptest::collection::vec(op(), 1..25)
    ) {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(run(ops));
    }
}
