//! The ledger store contract: every test runs on SQLite, and on PostgreSQL when
//! `CARDLIFE_TEST_DATABASE_URL` is set. Each test owns a fresh database.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use cardlife_ledger::{
    Account, AccountFlags, CreateAccountResult as AR, CreateTransferResult as TR, PendingStatus,
    Transfer, TransferFlags,
};
use cardlife_store::{AccountFilter, LedgerService, StoreError};
use common::{clock, start, stores};

const LEDGER: u32 = 156;

fn account(id: u128, flags: AccountFlags) -> Account {
    Account::new(id, LEDGER, 1, flags)
}

fn transfer(id: u128, debit: u128, credit: u128, amount: u64) -> Transfer {
    Transfer {
        id,
        debit_account_id: debit,
        credit_account_id: credit,
        amount,
        ledger: LEDGER,
        code: 1,
        ..Transfer::default()
    }
}

fn flagged(mut t: Transfer, flags: TransferFlags) -> Transfer {
    t.flags = flags;
    t
}

async fn balances(svc: &LedgerService, id: u128) -> [u64; 4] {
    let a = svc.reader().account(id).await.unwrap().unwrap();
    [
        a.debits_pending,
        a.debits_posted,
        a.credits_pending,
        a.credits_posted,
    ]
}

async fn assert_invariants(svc: &LedgerService) {
    let report = svc.reader().check().await.unwrap();
    assert!(report.ok(), "{:?}", report.violations);
}

/// Three accounts: 1 a funding source, 2 a wallet that cannot go negative, 3 a merchant.
async fn setup(svc: &LedgerService) {
    let results = svc
        .create_accounts(vec![
            account(1, AccountFlags::NONE),
            account(
                2,
                AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS.union(AccountFlags::HISTORY),
            ),
            account(3, AccountFlags::NONE),
        ])
        .await
        .unwrap();
    assert_eq!(results, [AR::Ok; 3]);
    assert_eq!(
        svc.create_transfers(vec![transfer(100, 1, 2, 10_000)])
            .await
            .unwrap(),
        [TR::Ok]
    );
}

#[tokio::test]
async fn transfers_move_balances_and_survive_a_restart() {
    for store in stores().await {
        let (_fake, clock) = clock();
        let svc = start(&store.db, &clock).await;
        setup(&svc).await;
        let r = svc
            .create_transfers(vec![transfer(101, 2, 3, 2_500), transfer(102, 2, 3, 500)])
            .await
            .unwrap();
        assert_eq!(r, [TR::Ok, TR::Ok]);
        assert_eq!(balances(&svc, 2).await, [0, 3_000, 0, 10_000]);
        drop(svc);
        let db = store.reopen().await;
        let svc = start(&db, &clock).await;
        assert_eq!(balances(&svc, 2).await, [0, 3_000, 0, 10_000]);
        // The reloaded ledger still knows the ids and the limits.
        assert_eq!(
            svc.create_transfers(vec![transfer(101, 2, 3, 2_500)])
                .await
                .unwrap(),
            [TR::Exists]
        );
        assert_eq!(
            svc.create_transfers(vec![transfer(103, 2, 3, 7_001)])
                .await
                .unwrap(),
            [TR::ExceedsCredits]
        );
        assert_invariants(&svc).await;
        db.close().await;
        store.drop_store().await;
    }
}

#[tokio::test]
async fn balances_survive_restarts_before_and_after_the_balance_log_is_folded() {
    for store in stores().await {
        let (_fake, clock) = clock();
        let options = cardlife_store::LedgerOptions {
            fold_after_log_rows: 5,
            ..cardlife_store::LedgerOptions::default()
        };
        let svc = LedgerService::start_with(&store.db, clock.clone(), options)
            .await
            .unwrap();
        setup(&svc).await;
        for i in 0..7u128 {
            // Each commit logs two accounts; the fourth commit folds the log.
            assert_eq!(
                svc.create_transfers(vec![transfer(800 + i, 2, 3, 100)])
                    .await
                    .unwrap(),
                [TR::Ok]
            );
            drop(svc.clone());
            let db = store.reopen().await;
            let reader = cardlife_store::Reader::new(db.clone());
            assert_eq!(reader.check().await.unwrap().violations, []);
            let stored = reader.account(2).await.unwrap().unwrap();
            assert_eq!(stored.debits_posted, 100 * (i as u64 + 1));
            db.close().await;
        }
        assert_invariants(&svc).await;
        store.drop_store().await;
    }
}

/// The embedded writer sends a small commit's rows as one query and a large one's as several
/// statements: both, folding the balance log or not, read back the same after a restart.
#[tokio::test]
async fn small_and_large_commits_read_back_the_same_after_a_restart() {
    for store in stores().await {
        let (_fake, clock) = clock();
        let options = cardlife_store::LedgerOptions {
            fold_after_log_rows: 7,
            ..cardlife_store::LedgerOptions::default()
        };
        let svc = LedgerService::start_with(&store.db, clock.clone(), options)
            .await
            .unwrap();
        setup(&svc).await;
        let mut expected_debits = 0;
        let mut sent = 1; // setup's transfer
        for (round, size) in [1u128, 3, 200, 2, 120, 1].into_iter().enumerate() {
            let base = 10_000 + 1_000 * round as u128;
            let mut batch: Vec<Transfer> = (0..size).map(|i| transfer(base + i, 2, 3, 7)).collect();
            // A hold in every commit: its row goes with the rest.
            batch.push(flagged(
                transfer(base + 999, 2, 3, 1),
                TransferFlags::PENDING,
            ));
            let results = svc.create_transfers(batch).await.unwrap();
            assert!(results.iter().all(|r| *r == TR::Ok), "{results:?}");
            expected_debits += 7 * size as u64;
            sent += size as usize + 1;
        }
        let holds = 6;
        let expected = [holds, expected_debits, 0, 10_000];
        assert_eq!(balances(&svc, 2).await, expected);
        drop(svc);
        let db = store.reopen().await;
        let svc = start(&db, &clock).await;
        assert_eq!(balances(&svc, 2).await, expected);
        let all = AccountFilter {
            account_id: 2,
            timestamp_min: 0,
            timestamp_max: 0,
            limit: 10_000,
            reversed: false,
        };
        assert_eq!(
            svc.reader().account_transfers(&all).await.unwrap().len(),
            sent
        );
        let history = svc.reader().account_balances(&all).await.unwrap();
        assert_eq!(history.len(), sent);
        assert_eq!(
            history.last().map(|h| h.debits_posted),
            Some(expected_debits)
        );
        let (_, status) = svc.reader().transfer(12_999).await.unwrap().unwrap();
        assert_eq!(status, Some(PendingStatus::Pending));
        assert_invariants(&svc).await;
        db.close().await;
        store.drop_store().await;
    }
}

#[tokio::test]
async fn a_hold_is_posted_partially_and_cannot_be_settled_twice() {
    for store in stores().await {
        let (_fake, clock) = clock();
        let svc = start(&store.db, &clock).await;
        setup(&svc).await;
        let hold = flagged(transfer(200, 2, 3, 4_000), TransferFlags::PENDING);
        assert_eq!(svc.create_transfers(vec![hold]).await.unwrap(), [TR::Ok]);
        assert_eq!(balances(&svc, 2).await, [4_000, 0, 0, 10_000]);
        let post = Transfer {
            id: 201,
            pending_id: 200,
            amount: 3_000,
            flags: TransferFlags::POST_PENDING,
            ..Transfer::default()
        };
        assert_eq!(svc.create_transfers(vec![post]).await.unwrap(), [TR::Ok]);
        assert_eq!(balances(&svc, 2).await, [0, 3_000, 0, 10_000]);
        let void = Transfer {
            id: 202,
            pending_id: 200,
            flags: TransferFlags::VOID_PENDING,
            ..Transfer::default()
        };
        assert_eq!(
            svc.create_transfers(vec![void]).await.unwrap(),
            [TR::PendingTransferAlreadyPosted]
        );
        let (_, status) = svc.reader().transfer(200).await.unwrap().unwrap();
        assert_eq!(status, Some(PendingStatus::Posted));
        assert_invariants(&svc).await;
        store.drop_store().await;
    }
}

#[tokio::test]
async fn a_hold_expires_by_its_timeout_and_then_cannot_be_posted() {
    for store in stores().await {
        let (fake, clock) = clock();
        let svc = start(&store.db, &clock).await;
        setup(&svc).await;
        let mut hold = flagged(transfer(300, 2, 3, 1_000), TransferFlags::PENDING);
        hold.timeout = 60;
        assert_eq!(svc.create_transfers(vec![hold]).await.unwrap(), [TR::Ok]);
        fake.advance(jiff::SignedDuration::from_secs(61));
        assert_eq!(svc.expire_due().await.unwrap(), 1);
        assert_eq!(balances(&svc, 2).await, [0, 0, 0, 10_000]);
        let post = Transfer {
            id: 301,
            pending_id: 300,
            flags: TransferFlags::POST_PENDING,
            ..Transfer::default()
        };
        assert_eq!(
            svc.create_transfers(vec![post]).await.unwrap(),
            [TR::PendingTransferExpired]
        );
        let (_, status) = svc.reader().transfer(300).await.unwrap().unwrap();
        assert_eq!(status, Some(PendingStatus::Expired));
        assert_invariants(&svc).await;
        store.drop_store().await;
    }
}

#[tokio::test]
async fn a_failed_linked_chain_writes_nothing() {
    for store in stores().await {
        let (_fake, clock) = clock();
        let svc = start(&store.db, &clock).await;
        setup(&svc).await;
        let chain = vec![
            flagged(transfer(400, 2, 3, 1_000), TransferFlags::LINKED),
            flagged(transfer(401, 2, 3, 1_000), TransferFlags::LINKED),
            transfer(402, 2, 3, 9_000), // overdraws the wallet: the whole chain fails
        ];
        let r = svc.create_transfers(chain).await.unwrap();
        assert_eq!(
            r,
            [
                TR::LinkedEventFailed,
                TR::LinkedEventFailed,
                TR::ExceedsCredits
            ]
        );
        assert_eq!(balances(&svc, 2).await, [0, 0, 0, 10_000]);
        for id in [400, 401, 402] {
            assert!(svc.reader().transfer(id).await.unwrap().is_none());
        }
        assert_invariants(&svc).await;
        store.drop_store().await;
    }
}

#[tokio::test]
async fn bad_transfers_answer_precise_codes_and_change_nothing() {
    for store in stores().await {
        let (_fake, clock) = clock();
        let svc = start(&store.db, &clock).await;
        setup(&svc).await;
        svc.create_accounts(vec![Account::new(9, LEDGER + 1, 1, AccountFlags::NONE)])
            .await
            .unwrap();
        let before = svc.reader().check().await.unwrap();
        let r = svc
            .create_transfers(vec![
                transfer(500, 2, 77, 1),
                transfer(501, 2, 3, 0),
                transfer(502, 2, 9, 1),
                transfer(503, 3, 3, 1),
            ])
            .await
            .unwrap();
        assert_eq!(
            r,
            [
                TR::CreditAccountNotFound,
                TR::AmountMustNotBeZero,
                TR::AccountsMustHaveTheSameLedger,
                TR::AccountsMustBeDifferent
            ]
        );
        let too_many = vec![transfer(600, 1, 3, 1); cardlife_ledger::BATCH_MAX + 1];
        assert!(matches!(
            svc.create_transfers(too_many).await,
            Err(StoreError::BatchTooLarge { .. })
        ));
        let after = svc.reader().check().await.unwrap();
        assert_eq!(before, after);
        store.drop_store().await;
    }
}

#[tokio::test]
async fn account_transfers_and_history_read_back_by_time() {
    for store in stores().await {
        let (fake, clock) = clock();
        let svc = start(&store.db, &clock).await;
        setup(&svc).await;
        for i in 0..5u128 {
            fake.advance(jiff::SignedDuration::from_secs(1));
            svc.create_transfers(vec![transfer(700 + i, 2, 3, 100)])
                .await
                .unwrap();
        }
        let all = AccountFilter {
            account_id: 2,
            timestamp_min: 0,
            timestamp_max: 0,
            limit: 100,
            reversed: false,
        };
        let transfers = svc.reader().account_transfers(&all).await.unwrap();
        assert_eq!(transfers.len(), 6);
        assert!(
            transfers
                .windows(2)
                .all(|w| w[0].timestamp < w[1].timestamp)
        );
        let later = AccountFilter {
            timestamp_min: transfers[3].timestamp,
            limit: 2,
            reversed: true,
            ..all
        };
        let page = svc.reader().account_transfers(&later).await.unwrap();
        assert_eq!(page.iter().map(|t| t.id).collect::<Vec<_>>(), [704, 703]);
        let history = svc.reader().account_balances(&all).await.unwrap();
        assert_eq!(history.len(), 6);
        assert_eq!(history.last().map(|h| h.debits_posted), Some(500));
        store.drop_store().await;
    }
}

#[tokio::test]
async fn concurrent_callers_never_overdraw_a_limited_account() {
    for store in stores().await {
        let (_fake, clock) = clock();
        let svc = start(&store.db, &clock).await;
        setup(&svc).await;
        // 32 callers each try 20 debits of 25.00 from a wallet holding 100.00.
        let tasks: Vec<_> = (0..32u128)
            .map(|c| {
                let svc = svc.clone();
                tokio::spawn(async move {
                    let mut ok = 0u64;
                    for i in 0..20u128 {
                        let r = svc
                            .create_transfers(vec![transfer(10_000 + c * 100 + i, 2, 3, 2_500)])
                            .await
                            .unwrap();
                        ok += u64::from(r == [TR::Ok]);
                    }
                    ok
                })
            })
            .collect();
        let mut ok = 0;
        for t in tasks {
            ok += t.await.unwrap();
        }
        assert_eq!(ok, 4);
        assert_eq!(balances(&svc, 2).await, [0, 10_000, 0, 10_000]);
        assert_invariants(&svc).await;
        store.drop_store().await;
    }
}

#[tokio::test]
async fn two_writers_on_one_postgres_keep_every_invariant() {
    let Some(store) = common::postgres().await else {
        return;
    };
    let (_fake, clock) = clock();
    let a = start(&store.db, &clock).await;
    let other_db = store.reopen().await;
    let b = start(&other_db, &clock).await;
    setup(&a).await;
    // Both writers race on the same accounts, and on the same ids.
    let mut tasks = Vec::new();
    for (w, svc) in [a.clone(), b.clone()].into_iter().enumerate() {
        for c in 0..8u128 {
            let svc = svc.clone();
            tasks.push(tokio::spawn(async move {
                let mut ok = 0u64;
                for i in 0..25u128 {
                    let id = 50_000 + c * 1000 + i; // the same ids from both writers
                    let r = svc
                        .create_transfers(vec![transfer(id, 1, 3, 100)])
                        .await
                        .unwrap();
                    ok += u64::from(r == [TR::Ok]);
                    assert!(r[0].is_success(), "writer {w}: {r:?}");
                }
                ok
            }));
        }
    }
    let mut ok = 0;
    for t in tasks {
        ok += t.await.unwrap();
    }
    assert_eq!(ok, 200, "each id applied exactly once");
    assert_eq!(balances(&b, 3).await, [0, 0, 0, 20_000]);
    assert_invariants(&a).await;
    other_db.close().await;
    store.drop_store().await;
}

#[test]
fn both_backends_have_the_same_migrations() {
    let names = |dir: &str| {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        v.sort();
        v
    };
    let root = env!("CARGO_MANIFEST_DIR");
    assert_eq!(
        names(&format!("{root}/migrations/sqlite")),
        names(&format!("{root}/migrations/postgres"))
    );
}

/// A closed store (`Db::close`, at shutdown) stops the PostgreSQL ledger writer: the request it
/// was committing and every later one is answered `WriterStopped`, and its timer no longer
/// fails a commit every half-second. (The embedded ledger writes on a connection of its own,
/// which closing the pool leaves open.)
#[tokio::test]
async fn a_closed_store_stops_the_ledger_writer_and_every_request_is_told_so() {
    let Some(s) = common::postgres().await else {
        return;
    };
    let (_, clock) = clock();
    let svc = start(&s.db, &clock).await;
    svc.create_accounts(vec![account(1, AccountFlags::NONE)])
        .await
        .unwrap();
    s.db.close().await;
    for id in 2..6 {
        let answer = svc
            .create_accounts(vec![account(id, AccountFlags::NONE)])
            .await;
        assert!(
            matches!(answer, Err(StoreError::WriterStopped)),
            "{answer:?}"
        );
    }
    s.drop_store().await;
}
