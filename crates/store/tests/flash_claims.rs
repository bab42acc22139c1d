//! A flash sale's claims writer and its own connection, on SQLite and (with
//! `CARDLIFE_TEST_DATABASE_URL`) PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use cardlife_kernel::CustomerId;
use cardlife_store::customers::CustomerStore;
use cardlife_store::rewards::flash_sale::{
    ClaimRecord, ClaimsConnection, FlashSaleRecord, FlashSaleStore, SaleSnapshot,
};
use cardlife_store::{Db, StoreError};
use common::stores;
use jiff::Timestamp;

async fn customers(db: &Db, n: u16, at: Timestamp) -> Vec<CustomerId> {
    let store = CustomerStore::new(db.clone());
    let mut out = Vec::new();
    for _ in 0..n {
        let c = CustomerId::generate();
        let id = c.as_uuid().into_bytes();
        let mut phone_lookup = [0; 32];
        phone_lookup[..16].copy_from_slice(&id);
        assert!(
            store
                .insert(c, &phone_lookup, "139****0000", None, at)
                .await
                .unwrap()
        );
        out.push(c);
    }
    out
}

/// A new sale of `stock` units, a unit a customer, open from `t0` for an hour.
async fn scheduled(sales: &FlashSaleStore, stock: u32, t0: Timestamp) -> uuid::Uuid {
    let sale = uuid::Uuid::now_v7();
    let record = FlashSaleRecord {
        id: sale,
        item: "tea".to_owned(),
        stock,
        remaining: stock,
        per_user_limit: 1,
        price_fen: 100,
        currency: "CNY".to_owned(),
        starts_at: t0,
        ends_at: t0 + jiff::SignedDuration::from_hours(1),
    };
    assert!(sales.insert(&record, t0).await.unwrap());
    sale
}

/// Commits a batch that must go through; its winners, once on disk.
async fn committed(
    sales: &FlashSaleStore,
    conn: &mut ClaimsConnection,
    sale: uuid::Uuid,
    who: &[CustomerId],
    decide: impl FnOnce(SaleSnapshot) -> Result<Vec<ClaimRecord>, StoreError>,
) -> Vec<ClaimRecord> {
    sales
        .commit_batch(conn, sale, who, decide)
        .await
        .unwrap()
        .durable()
        .await
        .unwrap()
}

/// Claim rows, distinct winners and `remaining`, from the tables; `seq` must be 1..=claims.
async fn tables(sales: &FlashSaleStore, sale: uuid::Uuid) -> (u64, u64, i64) {
    let audit = sales.audit(sale).await.unwrap().unwrap();
    assert!(audit.seq_contiguous);
    (audit.claims, audit.winners, audit.remaining)
}

fn claim(seq: u32, customer: CustomerId, at: Timestamp) -> ClaimRecord {
    ClaimRecord {
        seq,
        customer,
        nth: 1,
        idempotency_key: Some(format!("k-{seq}")),
        claimed_at: at,
    }
}

#[tokio::test]
async fn the_writer_keeps_its_connection_between_batches_and_a_failed_batch_changes_nothing() {
    for store in stores().await {
        let sqlite = matches!(store.db, Db::Sqlite(_));
        let t0 = Timestamp::from_second(1_800_000_000).unwrap();
        let sales = FlashSaleStore::new(store.db.clone());
        let sale = scheduled(&sales, 3, t0).await;
        let who = customers(&store.db, 4, t0).await;
        let mut conn = ClaimsConnection::default();

        let won = committed(&sales, &mut conn, sale, &who[..2], |snapshot| {
            assert_eq!((snapshot.sold, snapshot.won.len()), (0, 0));
            Ok(vec![claim(1, who[0], t0), claim(2, who[1], t0)])
        })
        .await;
        assert_eq!(won.len(), 2);
        assert_eq!(conn.is_open(), sqlite, "kept on SQLite only");

        // A batch that fails after the lock writes nothing, and its connection is not kept.
        let failed = sales
            .commit_batch(&mut conn, sale, &who[..3], |snapshot| {
                assert_eq!(snapshot.sold, 2);
                assert_eq!(snapshot.won.get(&who[0]), Some(&1));
                Err(StoreError::Corrupt("refused by the test"))
            })
            .await;
        assert!(failed.is_err());
        assert!(!conn.is_open());
        assert_eq!(tables(&sales, sale).await, (2, 2, 1));

        // The next batch opens another connection and sees what is durable.
        let won = committed(&sales, &mut conn, sale, &who[2..], |snapshot| {
            assert_eq!(snapshot.sold, 2);
            Ok(vec![claim(3, who[2], t0)])
        })
        .await;
        assert_eq!(won.len(), 1);
        assert_eq!(conn.is_open(), sqlite);
        assert_eq!(tables(&sales, sale).await, (3, 3, 0));

        // A batch with no winners writes nothing and keeps the connection; released, it closes.
        let none = committed(&sales, &mut conn, sale, &who[3..], |snapshot| {
            assert_eq!(snapshot.sold, 3);
            Ok(Vec::new())
        })
        .await;
        assert!(none.is_empty());
        assert_eq!(conn.is_open(), sqlite);
        conn.release().await;
        assert!(!conn.is_open());
        store.drop_store().await;
    }
}

#[tokio::test]
async fn the_store_refuses_an_oversold_or_doubled_batch_whole_and_writes_a_large_one_in_chunks() {
    for store in stores().await {
        let t0 = Timestamp::from_second(1_800_000_000).unwrap();
        let sales = FlashSaleStore::new(store.db.clone());
        let sale = scheduled(&sales, 1_500, t0).await;
        let who = customers(&store.db, 1_501, t0).await;
        let mut conn = ClaimsConnection::default();

        // 1,100 winners: more than one INSERT's worth, all in one commit.
        let first: Vec<ClaimRecord> = (0..1_100)
            .map(|i| claim(i + 1, who[i as usize], t0))
            .collect();
        let won = committed(
            &sales,
            &mut conn,
            sale,
            &who[..1_100],
            |_| Ok(first.clone()),
        )
        .await;
        assert_eq!(won.len(), 1_100);
        assert_eq!(tables(&sales, sale).await, (1_100, 1_100, 400));

        // A decision past the stock (a sequencer gone wrong) is refused by the store: 401 more.
        let over: Vec<ClaimRecord> = (0..401)
            .map(|i| claim(1_101 + i, who[1_100 + i as usize], t0))
            .collect();
        assert_eq!(over.len(), 401);
        let refused = sales
            .commit_batch(&mut conn, sale, &who[1_100..1_501], |s| {
                assert_eq!(s.sold, 1_100);
                Ok(over.clone())
            })
            .await;
        assert!(
            matches!(&refused, Err(StoreError::CommitFailed(m)) if m.contains("below zero")),
            "an oversold batch was not refused as such: {refused:?}"
        );

        // A customer's second unit under a limit of one is refused by the unique index.
        let twice = vec![claim(1_101, who[1_100], t0), claim(1_102, who[0], t0)];
        let refused = sales
            .commit_batch(&mut conn, sale, &[who[1_100], who[0]], |s| {
                assert_eq!(s.won.get(&who[0]), Some(&1));
                Ok(twice.clone())
            })
            .await;
        assert!(refused.is_err(), "a doubled claim was committed");

        // Neither wrote anything; the next batch sees the same figures and commits.
        assert_eq!(tables(&sales, sale).await, (1_100, 1_100, 400));
        let won = committed(&sales, &mut conn, sale, &who[1_100..1_101], |s| {
            assert_eq!((s.sold, s.won.len()), (1_100, 0));
            Ok(vec![claim(1_101, who[1_100], t0)])
        })
        .await;
        assert_eq!(won.len(), 1);
        assert_eq!(tables(&sales, sale).await, (1_101, 1_101, 399));
        store.drop_store().await;
    }
}
