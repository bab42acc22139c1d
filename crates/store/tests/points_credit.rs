//! A points credit as one batch of the group writer (`PointsStore::credit_batch`), on every
//! store: lots numbered one past the last, totals raised, a repeated (kind, reference) undone
//! whole, and concurrent credits of one customer each given its own lot.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use cardlife_kernel::CustomerId;
use cardlife_store::group::Grouped;
use cardlife_store::rewards::points::{Credited, MovementRecord, NewLotRecord, PointsStore};
use cardlife_store::{Db, Durability};
use jiff::Timestamp;

async fn customer(db: &Db) -> CustomerId {
    let customers = cardlife_store::customers::CustomerStore::new(db.clone());
    common::new_customers(&customers, 1, Timestamp::UNIX_EPOCH).await[0]
}

fn movement(customer: CustomerId, reference: &str, points: i64) -> MovementRecord {
    MovementRecord {
        // One id per reference, as the app derives it.
        id: reference.bytes().fold(17u128, |h, b| {
            h.wrapping_mul(31).wrapping_add(u128::from(b))
        }),
        customer,
        kind: "accrual".to_owned(),
        reference: reference.to_owned(),
        points,
        amount_fen: Some(points.saturating_mul(100)),
        business_date: "2026-11-28".to_owned(),
        at: Timestamp::UNIX_EPOCH,
    }
}

fn lot() -> NewLotRecord {
    NewLotRecord {
        earned_on: "2026-11-28".to_owned(),
        expires_on: Some("2031-11-28".to_owned()),
        source: None,
    }
}

/// Credits `points` for `reference`; the outcome the check saw.
async fn credit(grouped: &Grouped, customer: CustomerId, reference: &str, points: i64) -> Credited {
    let batch = PointsStore::credit_batch(&movement(customer, reference, points), &lot());
    let answer = grouped
        .commit_as(
            batch,
            Durability::Synced,
            |mut ran| match PointsStore::credited(&mut ran).unwrap() {
                Credited::Now => Ok(Credited::Now),
                other => Err(other),
            },
        )
        .await
        .unwrap();
    answer.unwrap_or_else(|refused| refused)
}

#[tokio::test]
async fn credits_number_their_lots_raise_the_totals_and_a_repeat_changes_nothing() {
    for s in common::stores().await {
        let c = customer(&s.db).await;
        let grouped = Arc::new(Grouped::new(s.db.clone()));
        let store = PointsStore::new(s.db.clone());
        assert_eq!(credit(&grouped, c, "order:1", 12).await, Credited::Now);
        assert_eq!(credit(&grouped, c, "order:2", 30).await, Credited::Now);
        // The same reference again, with other points: undone whole.
        assert_eq!(credit(&grouped, c, "order:1", 99).await, Credited::Before);
        let lots = store.lots(c).await.unwrap();
        let numbers: Vec<(i64, i64, i64)> = lots
            .iter()
            .map(|l| (l.lot_no, l.original, l.remaining))
            .collect();
        assert_eq!(numbers, vec![(1, 12, 12), (2, 30, 30)]);
        assert_eq!(lots[0].expires_on.as_deref(), Some("2031-11-28"));
        let totals = store.totals(c).await.unwrap();
        assert_eq!((totals.earned, totals.balance), (42, 42));
        assert_eq!(store.movements(c, 10).await.unwrap().len(), 2);
        assert_eq!(store.sums().await.unwrap(), (42, 42));

        // Twenty at once for one customer, every fourth a repeat of an earlier one: each new
        // reference gets a lot of its own, numbered without a gap.
        let calls: Vec<_> = (0..20)
            .map(|i| {
                let grouped = grouped.clone();
                let reference = if i % 4 == 0 {
                    "order:2".to_owned()
                } else {
                    format!("order:c{i}")
                };
                tokio::spawn(async move { credit(&grouped, c, &reference, 1).await })
            })
            .collect();
        let mut now = 0;
        for call in calls {
            if call.await.unwrap() == Credited::Now {
                now += 1;
            }
        }
        assert_eq!(now, 15);
        let numbers: Vec<i64> = store
            .lots(c)
            .await
            .unwrap()
            .iter()
            .map(|l| l.lot_no)
            .collect();
        assert_eq!(numbers, (1..=17).collect::<Vec<_>>());
        let totals = store.totals(c).await.unwrap();
        assert_eq!((totals.earned, totals.balance), (57, 57));
        assert_eq!(store.sums().await.unwrap(), (57, 57));
        s.drop_store().await;
    }
}

#[tokio::test]
async fn a_credit_past_the_largest_total_is_refused_and_writes_nothing() {
    for s in common::stores().await {
        let c = customer(&s.db).await;
        let grouped = Grouped::new(s.db.clone());
        let store = PointsStore::new(s.db.clone());
        assert_eq!(
            credit(&grouped, c, "order:big", i64::MAX - 5).await,
            Credited::Now
        );
        assert_eq!(
            credit(&grouped, c, "order:more", 6).await,
            Credited::Overflow
        );
        assert_eq!(store.lots(c).await.unwrap().len(), 1);
        assert_eq!(store.movements(c, 10).await.unwrap().len(), 1);
        assert_eq!(store.totals(c).await.unwrap().balance, i64::MAX - 5);
        s.drop_store().await;
    }
}
