//! A flash sale's claims writer and its own connection, on SQLite and (with
//! `CARDLIFE_TEST_DATABASE_URL`) PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use cardlife_kernel::CustomerId;
use cardlife_store::customers::CustomerStore;
use cardlife_store::rewards::flash_sale::{
    ClaimRecord, ClaimsConnection, FlashSaleRecord, FlashSaleStore,
};
use cardlife_store::{Db, StoreError};
use common::stores;
use jiff::Timestamp;

async fn customers(db: &Db, n: u8, at: Timestamp) -> Vec<CustomerId> {
    let store = CustomerStore::new(db.clone());
    let mut out = Vec::new();
    for i in 0..n {
        let c = CustomerId::generate();
        assert!(
            store
                .insert(c, &[i; 32], "139****0000", None, at)
                .await
                .unwrap()
        );
        out.push(c);
    }
    out
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
        let sale = uuid::Uuid::now_v7();
        let record = FlashSaleRecord {
            id: sale,
            item: "tea".to_owned(),
            stock: 3,
            remaining: 3,
            per_user_limit: 1,
            price_fen: 100,
            currency: "CNY".to_owned(),
            starts_at: t0,
            ends_at: t0 + jiff::SignedDuration::from_hours(1),
        };
        assert!(sales.insert(&record, t0).await.unwrap());
        let who = customers(&store.db, 4, t0).await;
        let mut conn = ClaimsConnection::default();

        let won = sales
            .commit_batch(&mut conn, sale, &who[..2], |snapshot| {
                assert_eq!((snapshot.sold, snapshot.won.len()), (0, 0));
                Ok(vec![claim(1, who[0], t0), claim(2, who[1], t0)])
            })
            .await
            .unwrap()
            .durable()
            .await
            .unwrap();
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
        let audit = sales.audit(sale).await.unwrap().unwrap();
        assert_eq!((audit.claims, audit.remaining), (2, 1));

        // The next batch opens another connection and sees what is durable.
        let won = sales
            .commit_batch(&mut conn, sale, &who[2..], |snapshot| {
                assert_eq!(snapshot.sold, 2);
                Ok(vec![claim(3, who[2], t0)])
            })
            .await
            .unwrap()
            .durable()
            .await
            .unwrap();
        assert_eq!(won.len(), 1);
        assert_eq!(conn.is_open(), sqlite);
        let audit = sales.audit(sale).await.unwrap().unwrap();
        assert_eq!((audit.claims, audit.winners, audit.remaining), (3, 3, 0));
        assert!(audit.seq_contiguous);

        // A batch with no winners writes nothing and keeps the connection; released, it closes.
        let none = sales
            .commit_batch(&mut conn, sale, &who[3..], |snapshot| {
                assert_eq!(snapshot.sold, 3);
                Ok(Vec::new())
            })
            .await
            .unwrap()
            .durable()
            .await
            .unwrap();
        assert!(none.is_empty());
        assert_eq!(conn.is_open(), sqlite);
        conn.release().await;
        assert!(!conn.is_open());
        store.drop_store().await;
    }
}
