//! Session reads many per query and activity written behind, on SQLite and (with
//! `CARDLIFE_TEST_DATABASE_URL`) PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use cardlife_customers::{Session, SessionGeneration, SessionTokenHash};
use cardlife_kernel::CustomerId;
use cardlife_store::customers::CustomerStore;
use cardlife_store::session_touch::touch_sessions;
use common::stores;
use jiff::{SignedDuration, Timestamp};

fn entropy(buf: &mut [u8]) {
    rand::fill(buf);
}

#[tokio::test]
async fn sessions_are_read_many_at_once_and_touched_only_forward() {
    for store in stores().await {
        let customers = CustomerStore::new(store.db.clone());
        let t0 = Timestamp::from_second(1_800_000_000).unwrap();
        let mut sessions = Vec::new();
        for i in 0..3u8 {
            let customer = CustomerId::generate();
            let lookup = [i; 32];
            assert!(
                customers
                    .insert(customer, &lookup, "139****0000", None, t0)
                    .await
                    .unwrap()
            );
            let (s, _) = Session::start(customer, SessionGeneration::default(), t0, &mut entropy);
            customers.insert_session(&s, None).await.unwrap();
            sessions.push(s);
        }
        // Two known hashes, one repeated, one unknown: each known session once.
        let unknown = SessionTokenHash::from_bytes([0xAB; 32]);
        let asked = [
            sessions[0].token_hash(),
            sessions[2].token_hash(),
            sessions[2].token_hash(),
            unknown,
        ];
        let found = customers.sessions_by_tokens(&asked).await.unwrap();
        assert_eq!(found.len(), 2);
        for (hash, (s, generation)) in &found {
            assert_eq!(*hash, s.token_hash());
            assert_eq!(*generation, SessionGeneration::default());
            assert!(sessions.iter().any(|x| x.id() == s.id()));
        }
        assert!(
            customers
                .session_by_token(&unknown)
                .await
                .unwrap()
                .is_none()
        );

        // Forward moves; backward does not.
        let later = t0.checked_add(SignedDuration::from_mins(5)).unwrap();
        let earlier = t0.checked_sub(SignedDuration::from_mins(5)).unwrap();
        touch_sessions(
            &store.db,
            &[(sessions[0].id(), later), (sessions[1].id(), earlier)],
        )
        .await
        .unwrap();
        let seen = |i: usize| {
            let customers = customers.clone();
            let hash = sessions[i].token_hash();
            async move {
                customers
                    .session_by_token(&hash)
                    .await
                    .unwrap()
                    .unwrap()
                    .0
                    .last_seen_at()
            }
        };
        assert_eq!(seen(0).await, later);
        assert_eq!(seen(1).await, t0);
        assert_eq!(seen(2).await, t0);
        store.drop_store().await;
    }
}
