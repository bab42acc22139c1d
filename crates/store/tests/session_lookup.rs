//! Sessions read by packed token hashes (one bound blob) answer exactly what the one-parameter-
//! per-hash read answers, on SQLite and (with `CARDLIFE_TEST_DATABASE_URL`) PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use cardlife_customers::{Session, SessionGeneration, SessionTokenHash};
use cardlife_store::customers::CustomerStore;
use common::{new_customers, stores};
use jiff::Timestamp;

fn entropy(buf: &mut [u8]) {
    rand::fill(buf);
}

#[tokio::test]
async fn packed_token_reads_find_each_known_session_once_and_skip_unknown_ones() {
    for store in stores().await {
        let customers = CustomerStore::new(store.db.clone());
        let t0 = Timestamp::from_second(1_800_000_000).unwrap();
        let mut sessions = Vec::new();
        for customer in new_customers(&customers, 40, t0).await {
            let (s, _) = Session::start(customer, SessionGeneration::default(), t0, &mut entropy);
            customers.insert_session(&s, None).await.unwrap();
            sessions.push(s);
        }
        assert!(
            customers
                .sessions_by_packed_tokens_at(&[])
                .await
                .unwrap()
                .0
                .is_empty()
        );
        let unknown = SessionTokenHash::from_bytes([0xAB; 32]);
        // One alone, then a batch: every other session, one repeated, one unknown.
        let one = customers
            .sessions_by_packed_tokens_at(&[sessions[7].token_hash()])
            .await
            .unwrap()
            .0;
        assert_eq!(one.len(), 1);
        assert_eq!(one[0].1.0.id(), sessions[7].id());
        let mut asked: Vec<SessionTokenHash> = sessions
            .iter()
            .step_by(2)
            .map(Session::token_hash)
            .collect();
        asked.push(sessions[0].token_hash());
        asked.push(unknown);
        let mut packed = customers
            .sessions_by_packed_tokens_at(&asked)
            .await
            .unwrap()
            .0;
        let mut listed = customers.sessions_by_tokens(&asked).await.unwrap();
        assert_eq!(packed.len(), 20);
        packed.sort_by_key(|(h, _)| *h.as_bytes());
        listed.sort_by_key(|(h, _)| *h.as_bytes());
        assert_eq!(packed, listed);
        for (hash, (s, generation)) in &packed {
            assert_eq!(*hash, s.token_hash());
            assert_eq!(*generation, SessionGeneration::default());
            assert_eq!(s.created_at(), t0);
        }
        assert!(
            customers
                .sessions_by_packed_tokens_at(&[unknown])
                .await
                .unwrap()
                .0
                .is_empty()
        );
        store.drop_store().await;
    }
}
