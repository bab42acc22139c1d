//! Session reads many per query and activity written behind, on SQLite and (with
//! `CARDLIFE_TEST_DATABASE_URL`) PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use cardlife_customers::{Session, SessionGeneration, SessionTokenHash};
use cardlife_kernel::CustomerId;
use cardlife_store::customers::CustomerStore;
use cardlife_store::session_touch::touch_sessions;
use common::{new_customers, stores};
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

#[tokio::test]
async fn a_trimmed_log_keeps_its_newest_changes_and_a_read_into_the_gap_is_not_complete() {
    for store in stores().await {
        let customers = CustomerStore::new(store.db.clone());
        let t0 = Timestamp::from_second(1_800_000_000).unwrap();
        let ids = new_customers(&customers, 10, t0).await;
        // Ten changes, numbered 1 to 10 (logout everywhere, one customer each).
        for id in &ids {
            customers.bump_generation(*id).await.unwrap();
        }
        let all = customers.session_changes_after(0, 100).await.unwrap();
        assert_eq!(all.head, 10);
        assert!(all.complete);
        assert_eq!(all.customers.len(), 10);

        // Keep 4: at most 3 go in one call, then 3 more, then nothing.
        assert_eq!(customers.trim_session_changes(4, 3).await.unwrap(), 3);
        assert_eq!(customers.trim_session_changes(4, 3).await.unwrap(), 3);
        assert_eq!(customers.trim_session_changes(4, 3).await.unwrap(), 0);
        let kept = customers.session_changes_after(6, 100).await.unwrap();
        assert!(kept.complete, "changes 7 to 10 are all there");
        let seqs: Vec<i64> = kept.customers.iter().map(|(s, _)| *s).collect();
        assert_eq!(seqs, vec![7, 8, 9, 10]);
        assert_eq!(kept.customers[0].1, ids[6]);

        // A holder at 2 would miss 3 to 6: told so, though the rest are listed.
        let gap = customers.session_changes_after(2, 100).await.unwrap();
        assert!(!gap.complete);
        assert_eq!(gap.head, 10);
        // Nothing after the head, and the head alone, are complete.
        assert!(
            customers
                .session_changes_after(10, 100)
                .await
                .unwrap()
                .complete
        );
        let head = customers.session_changes_after(i64::MAX, 1).await.unwrap();
        assert_eq!((head.head, head.complete), (10, true));

        // Everything trimmed: a holder at 2 is still told it missed changes.
        assert_eq!(customers.trim_session_changes(0, 100).await.unwrap(), 4);
        let none = customers.session_changes_after(2, 100).await.unwrap();
        assert!(none.customers.is_empty());
        assert!(!none.complete);
        assert_eq!(customers.trim_session_changes(0, 100).await.unwrap(), 0);
        store.drop_store().await;
    }
}
