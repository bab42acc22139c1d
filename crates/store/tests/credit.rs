//! The credit store contract: accounts, cards, authorisations and statements persisted as
//! events, replayed at start-up, mirrored to the ledger. Every test runs on SQLite, and on
//! PostgreSQL when `CARDLIFE_TEST_DATABASE_URL` is set.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use cardlife_customers::Pan;
use cardlife_kernel::Money;
use cardlife_store::LedgerService;
use cardlife_store::credit::{
    AuthorisationView, CardKeys, CardRef, CreditError, CreditService, Keyed, KeyedRequest,
    OpenAccount, StoredEvent, row_counts,
};
use common::{clock, start, stores};
use jiff::civil::{Date, date};
use uuid::Uuid;

const PAN: &str = "6225880137461233";

fn keys() -> CardKeys {
    CardKeys::new([7; 32], [9; 32])
}

fn pan(text: &str) -> Pan {
    Pan::parse(text).unwrap()
}

fn open(customer: Uuid, number: &str) -> OpenAccount {
    OpenAccount {
        customer_id: customer,
        product: serde_json::json!({"statement_day": 7}),
        credit_limit: Money::cny(1_000_000),
        pan: pan(number),
        expires_year: 2030,
        expires_month: 12,
    }
}

async fn assert_ledger_clean(ledger: &LedgerService) {
    let report = ledger.reader().check().await.unwrap();
    assert!(report.ok(), "{:?}", report.violations);
}

const D1: Date = date(2026, 4, 1);

#[tokio::test]
async fn an_account_lives_through_authorisation_capture_statement_and_repayment_and_survives_a_restart()
 {
    for store in stores().await {
        let (_fake, clock) = clock();
        let ledger = start(&store.db, &clock).await;
        let svc = CreditService::start(&store.db, ledger.clone(), keys())
            .await
            .unwrap();
        let customer = Uuid::now_v7();
        let account = svc.open_account(open(customer, PAN), D1).await.unwrap();
        assert_eq!(account.available_credit, Money::cny(1_000_000));
        assert_eq!(account.cash_limit, Money::cny(500_000));

        let auth = svc
            .authorise(CardRef::Pan(pan(PAN)), Money::cny(100_000), false, D1)
            .await
            .unwrap();
        let a = svc.account(account.id, Some(customer), D1).await.unwrap();
        assert_eq!(
            (a.pending, a.available_credit),
            (Money::cny(100_000), Money::cny(900_000))
        );
        // The hold is a real pending transfer on the main ledger.
        let (t, _) = ledger.reader().transfer(auth.id).await.unwrap().unwrap();
        assert_eq!(t.amount, 100_000);

        let captured = svc
            .capture(auth.id, Money::cny(60_000), date(2026, 4, 2))
            .await
            .unwrap();
        assert_eq!(
            (captured.status, captured.captured),
            ("captured", Money::cny(60_000))
        );
        let second = svc
            .authorise(
                CardRef::Id(svc.cards(account.id, customer).await.unwrap()[0].id),
                Money::cny(5_000),
                false,
                date(2026, 4, 2),
            )
            .await
            .unwrap();
        assert_eq!(
            svc.reverse(second.id, date(2026, 4, 2))
                .await
                .unwrap()
                .status,
            "reversed"
        );

        svc.close_days_through(date(2026, 4, 7)).await.unwrap();
        let statements = svc.statements(account.id, customer).await.unwrap();
        assert_eq!(statements.len(), 1);
        let s = &statements[0];
        assert_eq!(
            (s.statement_date, s.balance_fen, s.minimum_payment_fen),
            (date(2026, 4, 7), 60_000, 6_000)
        );
        assert_eq!(s.lines.len(), 1);
        assert_eq!(s.lines[0].kind, "purchase");

        let after = svc
            .holder_command(
                account.id,
                Some(customer),
                StoredEvent::Payment { amount_fen: 70_000 },
                date(2026, 4, 10),
            )
            .await
            .unwrap();
        assert_eq!(after.balance, Money::cny(-10_000));
        assert_eq!(after.available_credit, Money::cny(1_010_000));
        assert_ledger_clean(&ledger).await;

        // A restart on the same store replays to the same state and creates nothing twice.
        let before = svc
            .account(account.id, None, date(2026, 4, 10))
            .await
            .unwrap();
        let transfers = ledger.reader().check().await.unwrap().transfers;
        drop(svc);
        let svc = CreditService::start(&store.db, ledger.clone(), keys())
            .await
            .unwrap();
        assert_eq!(
            svc.account(account.id, None, date(2026, 4, 10))
                .await
                .unwrap(),
            before
        );
        assert_eq!(ledger.reader().check().await.unwrap().transfers, transfers);
        assert_eq!(
            svc.statement(account.id, customer, date(2026, 4, 7))
                .await
                .unwrap(),
            *s
        );
        assert_ledger_clean(&ledger).await;

        // A whole restart: the store reopened, a new ledger writer loading it, the credit
        // service replaying on top.
        drop(svc);
        let db = store.reopen().await;
        let ledger = start(&db, &clock).await;
        let svc = CreditService::start(&db, ledger.clone(), keys())
            .await
            .unwrap();
        let after = svc
            .account(account.id, None, date(2026, 4, 10))
            .await
            .unwrap();
        assert_eq!(after, before);
        assert_eq!(ledger.reader().check().await.unwrap().transfers, transfers);
        assert_ledger_clean(&ledger).await;
        db.close().await;
        store.drop_store().await;
    }
}

#[tokio::test]
async fn refused_commands_write_nothing() {
    for store in stores().await {
        let (_fake, clock) = clock();
        let ledger = start(&store.db, &clock).await;
        let svc = CreditService::start(&store.db, ledger.clone(), keys())
            .await
            .unwrap();
        let customer = Uuid::now_v7();
        let account = svc.open_account(open(customer, PAN), D1).await.unwrap();
        let rows = row_counts(&store.db).await.unwrap();
        let transfers = ledger.reader().check().await.unwrap().transfers;

        let over = svc
            .authorise(CardRef::Pan(pan(PAN)), Money::cny(1_000_001), false, D1)
            .await;
        assert!(matches!(over, Err(CreditError::Billing(e)) if e.decline_code().is_some()));
        let cash = svc
            .holder_command(
                account.id,
                Some(customer),
                StoredEvent::CashAdvance {
                    amount_fen: 500_001,
                },
                D1,
            )
            .await;
        assert!(matches!(cash, Err(CreditError::Billing(_))));
        let negative = svc
            .holder_command(
                account.id,
                Some(customer),
                StoredEvent::Payment { amount_fen: -1 },
                D1,
            )
            .await;
        assert!(matches!(negative, Err(CreditError::Billing(_))));
        let foreign = svc
            .holder_command(
                account.id,
                Some(Uuid::now_v7()),
                StoredEvent::Payment { amount_fen: 1 },
                D1,
            )
            .await;
        assert!(matches!(foreign, Err(CreditError::AccountNotFound)));
        let mut bad_day = open(customer, "4111111111111111");
        bad_day.product = serde_json::json!({"statement_day": 31});
        assert!(matches!(
            svc.open_account(bad_day, D1).await,
            Err(CreditError::Billing(_))
        ));
        let again = svc.open_account(open(Uuid::now_v7(), PAN), D1).await;
        assert!(matches!(again, Err(CreditError::CardAlreadyIssued)));
        assert!(matches!(
            svc.capture(12345, Money::cny(1), D1).await,
            Err(CreditError::AuthorisationNotFound)
        ));

        assert_eq!(row_counts(&store.db).await.unwrap(), rows);
        assert_eq!(ledger.reader().check().await.unwrap().transfers, transfers);
        assert_ledger_clean(&ledger).await;
        store.drop_store().await;
    }
}

#[tokio::test]
async fn a_payment_on_a_closed_account_is_refused_and_the_pan_is_never_stored_in_the_clear() {
    for store in stores().await {
        let (_fake, clock) = clock();
        let ledger = start(&store.db, &clock).await;
        let svc = CreditService::start(&store.db, ledger.clone(), keys())
            .await
            .unwrap();
        let customer = Uuid::now_v7();
        let account = svc.open_account(open(customer, PAN), D1).await.unwrap();
        svc.holder_command(account.id, None, StoredEvent::Close, D1)
            .await
            .unwrap();
        let paid = svc
            .holder_command(
                account.id,
                Some(customer),
                StoredEvent::Payment { amount_fen: 100 },
                D1,
            )
            .await;
        assert!(matches!(
            paid,
            Err(CreditError::Billing(
                cardlife_credit::billing::BillingError::PaymentOnClosedAccount { .. }
            ))
        ));
        let cards = svc.cards(account.id, customer).await.unwrap();
        assert_eq!(
            (cards[0].first6.as_str(), cards[0].last4.as_str()),
            ("622588", "1233")
        );
        if let cardlife_store::Db::Sqlite(pool) = &store.db {
            let dump: Vec<(Vec<u8>,)> = sqlx::query_as(
                "SELECT CAST(pan_lookup AS BLOB) || CAST(pan_sealed AS BLOB) || CAST(first6 || last4 AS BLOB) FROM credit_cards",
            )
            .fetch_all(pool)
            .await
            .unwrap();
            let bytes: Vec<u8> = dump.into_iter().flat_map(|(b,)| b).collect();
            assert!(!bytes.windows(PAN.len()).any(|w| w == PAN.as_bytes()));
        }
        store.drop_store().await;
    }
}

#[tokio::test]
async fn the_daily_close_charges_a_late_fee_ages_delinquency_and_expires_temporary_limits() {
    for store in stores().await {
        let (_fake, clock) = clock();
        let ledger = start(&store.db, &clock).await;
        let svc = CreditService::start(&store.db, ledger.clone(), keys())
            .await
            .unwrap();
        let customer = Uuid::now_v7();
        let account = svc.open_account(open(customer, PAN), D1).await.unwrap();
        let temp = StoredEvent::TempLimit {
            amount_fen: 200_000,
            until: date(2026, 4, 10),
        };
        let a = svc
            .holder_command(account.id, None, temp, D1)
            .await
            .unwrap();
        assert_eq!(a.available_credit, Money::cny(1_200_000));
        let auth = svc
            .authorise(CardRef::Pan(pan(PAN)), Money::cny(200_000), false, D1)
            .await
            .unwrap();
        svc.capture(auth.id, Money::cny(200_000), D1).await.unwrap();

        // Nothing paid: the 7 Apr minimum (200.00) is missed at 28 Apr (due 25 Apr + 3 days).
        svc.close_days_through(date(2026, 5, 7)).await.unwrap();
        let a = svc
            .account(account.id, Some(customer), date(2026, 5, 8))
            .await
            .unwrap();
        assert_eq!(a.temp_limit, Money::cny(0), "the temporary limit expired");
        assert_eq!((a.days_past_due, a.delinquency.as_str()), (10, "M1"));
        let may = svc
            .statement(account.id, customer, date(2026, 5, 7))
            .await
            .unwrap();
        // As the worked example, but captured (so posted) on 1 Apr: 2,000.00 × 0.0005 × 37 days
        // (1 Apr – 7 May) = 37.00 of interest, and the 10.00 late fee.
        assert_eq!((may.interest_fen, may.fees_fen), (3_700, 1_000));
        let kinds: Vec<&str> = may.lines.iter().map(|l| l.kind.as_str()).collect();
        assert_eq!(kinds, ["fee", "interest"]);
        assert_ledger_clean(&ledger).await;

        // Closing again changes nothing; a restart replays to the same account.
        assert_eq!(svc.close_days_through(date(2026, 5, 7)).await.unwrap(), 0);
        drop(svc);
        let svc = CreditService::start(&store.db, ledger.clone(), keys())
            .await
            .unwrap();
        let again = svc
            .account(account.id, Some(customer), date(2026, 5, 8))
            .await
            .unwrap();
        assert_eq!(again, a);
        assert_ledger_clean(&ledger).await;
        store.drop_store().await;
    }
}

fn keyed(key: &str, body: &str) -> KeyedRequest {
    use sha2::{Digest, Sha256};
    KeyedRequest {
        scope: "network".into(),
        key: key.into(),
        hash: Sha256::digest(body.as_bytes()).into(),
        created_at_ns: 1,
        durability: cardlife_store::Durability::Synced,
    }
}

fn answer_of(a: &AuthorisationView) -> (u16, String) {
    (201, format!("{}:{}", a.id, a.amount.fen()))
}

#[tokio::test]
async fn a_keyed_authorisation_commits_once_replays_its_answer_and_survives_a_restart() {
    for store in stores().await {
        let (_fake, clock) = clock();
        let ledger = start(&store.db, &clock).await;
        let svc = CreditService::start(&store.db, ledger.clone(), keys())
            .await
            .unwrap();
        let customer = Uuid::now_v7();
        let account = svc.open_account(open(customer, PAN), D1).await.unwrap();
        let card = || CardRef::Pan(pan(PAN));
        let ask = |key: &str, fen: i64| {
            let svc = svc.clone();
            let request = keyed(key, &fen.to_string());
            async move {
                svc.authorise_keyed(card(), Money::cny(fen), false, D1, &request, &answer_of)
                    .await
            }
        };

        // Many at once, on one account and one key: one runs, the others wait or replay.
        let first = ask("k1", 1_000).await.unwrap();
        let Keyed::Ran { status, body } = first.clone() else {
            panic!("{first:?}")
        };
        assert_eq!(status, 201);
        let id: u128 = body.split(':').next().unwrap().parse().unwrap();
        assert_eq!(
            ask("k1", 1_000).await.unwrap(),
            Keyed::Replayed {
                status,
                body: body.clone()
            }
        );
        assert!(matches!(
            ask("k1", 2_000).await,
            Err(CreditError::KeyReused)
        ));
        let same = futures_util::future::join_all((0..8).map(|_| ask("k2", 500))).await;
        let ran = same
            .iter()
            .filter(|r| matches!(r, Ok(Keyed::Ran { .. })))
            .count();
        assert_eq!(ran, 1, "{same:?}");
        for r in &same {
            assert!(
                matches!(
                    r,
                    Ok(Keyed::Ran { .. } | Keyed::Replayed { .. }) | Err(CreditError::KeyInFlight)
                ),
                "{r:?}"
            );
        }
        // Many accounts' authorisations at once share commits; each is its own hold.
        let many =
            futures_util::future::join_all((0..50).map(|i| ask(&format!("m{i}"), 100))).await;
        assert!(many.iter().all(|r| matches!(r, Ok(Keyed::Ran { .. }))));

        // A decline writes nothing, the key included: the same key may run again.
        let before = row_counts(&store.db).await.unwrap();
        assert!(matches!(
            ask("big", 2_000_000).await,
            Err(CreditError::Billing(_))
        ));
        assert_eq!(row_counts(&store.db).await.unwrap(), before);
        assert!(matches!(ask("big", 1).await, Ok(Keyed::Ran { .. })));

        // A retry gets its stored answer even when running it again now would decline (its
        // own hold took all the credit left), and holds nothing more.
        let left = 1_000_000 - (1_000 + 500 + 50 * 100 + 1);
        let Ok(Keyed::Ran { status: s, body: b }) = ask("all", left).await else {
            panic!("the rest of the limit is held")
        };
        let rows = row_counts(&store.db).await.unwrap();
        assert_eq!(
            ask("all", left).await.unwrap(),
            Keyed::Replayed { status: s, body: b }
        );
        assert!(matches!(
            ask("all", left + 1).await,
            Err(CreditError::KeyReused)
        ));
        assert_eq!(row_counts(&store.db).await.unwrap(), rows);

        let a = svc.account(account.id, None, D1).await.unwrap();
        assert_eq!(a.pending, Money::cny(1_000_000));
        assert_eq!(svc.authorisation(id).await.unwrap().status, "pending");
        assert_ledger_clean(&ledger).await;

        // After a restart: the same state, the stored answer, the authorisation still pending.
        drop(svc);
        let db = store.reopen().await;
        let ledger = start(&db, &clock).await;
        let svc = CreditService::start(&db, ledger.clone(), keys())
            .await
            .unwrap();
        assert_eq!(svc.account(account.id, None, D1).await.unwrap(), a);
        let again = svc
            .authorise_keyed(
                card(),
                Money::cny(1_000),
                false,
                D1,
                &keyed("k1", "1000"),
                &answer_of,
            )
            .await
            .unwrap();
        assert_eq!(again, Keyed::Replayed { status, body });
        assert_eq!(svc.authorisation(id).await.unwrap().status, "pending");

        // Past the product's expiry the hold is released and reads as expired, not missing.
        svc.close_days_through(date(2026, 5, 1)).await.unwrap();
        let expired = svc.authorisation(id).await.unwrap();
        assert_eq!(
            (expired.status, expired.amount, expired.cash),
            ("expired", Money::cny(1_000), false)
        );
        let a = svc
            .account(account.id, None, date(2026, 5, 2))
            .await
            .unwrap();
        assert_eq!(a.pending, Money::cny(0));
        assert!(matches!(
            svc.authorisation(id + 1_000_000).await,
            Err(CreditError::AuthorisationNotFound)
        ));
        assert_ledger_clean(&ledger).await;
        db.close().await;
        store.drop_store().await;
    }
}

/// Inserts `key` in its own transaction, held open for a moment while `during` runs, so a
/// command that peeked at the key before meets it taken when its own commit writes.
async fn take_key_while<F: std::future::Future>(db: &cardlife_store::Db, key: &str, during: F) {
    use cardlife_store::Db;
    use sqlx::Connection;
    let insert = "INSERT INTO idempotency_keys \
                  (scope, idem_key, request_hash, status, response, created_at_ns) \
                  VALUES ('network', $1, $2, NULL, NULL, 1)";
    let hold = std::time::Duration::from_millis(300);
    match db {
        Db::Sqlite(pool) => {
            let mut conn = pool.acquire().await.unwrap();
            let mut tx = conn.begin_with("BEGIN IMMEDIATE").await.unwrap();
            sqlx::query(insert)
                .bind(key)
                .bind(&[0_u8; 32][..])
                .execute(&mut *tx)
                .await
                .unwrap();
            let (_, ()) = tokio::join!(during, async {
                tokio::time::sleep(hold).await;
                tx.commit().await.unwrap();
            });
        }
        Db::Postgres(pool) => {
            let mut tx = pool.begin().await.unwrap();
            sqlx::query(insert)
                .bind(key)
                .bind(&[0_u8; 32][..])
                .execute(&mut *tx)
                .await
                .unwrap();
            let (_, ()) = tokio::join!(during, async {
                tokio::time::sleep(hold).await;
                tx.commit().await.unwrap();
            });
        }
    }
}

#[tokio::test]
async fn an_authorisation_whose_key_is_taken_meanwhile_writes_neither_event_nor_hold() {
    for store in stores().await {
        let (_fake, clock) = clock();
        let ledger = start(&store.db, &clock).await;
        let svc = CreditService::start(&store.db, ledger.clone(), keys())
            .await
            .unwrap();
        let customer = Uuid::now_v7();
        let account = svc.open_account(open(customer, PAN), D1).await.unwrap();
        let held = svc
            .authorise_keyed(
                CardRef::Pan(pan(PAN)),
                Money::cny(700),
                false,
                D1,
                &keyed("first", "700"),
                &answer_of,
            )
            .await
            .unwrap();
        assert!(matches!(held, Keyed::Ran { .. }));
        let rows = row_counts(&store.db).await.unwrap();
        let transfers = ledger.reader().check().await.unwrap().transfers;
        let before = svc.account(account.id, None, D1).await.unwrap();

        // The key is free when the command looks, taken when its commit writes: the commit
        // writes neither its event nor its hold, and the account is as it was.
        let request = keyed("raced", "900");
        let run = svc.authorise_keyed(
            CardRef::Pan(pan(PAN)),
            Money::cny(900),
            false,
            D1,
            &request,
            &answer_of,
        );
        let mut outcome = None;
        take_key_while(&store.db, "raced", async { outcome = Some(run.await) }).await;
        assert!(
            matches!(outcome, Some(Err(CreditError::KeyReused))),
            "{outcome:?}"
        );
        assert_eq!(row_counts(&store.db).await.unwrap(), rows);
        assert_eq!(ledger.reader().check().await.unwrap().transfers, transfers);
        assert_eq!(svc.account(account.id, None, D1).await.unwrap(), before);
        assert_ledger_clean(&ledger).await;

        // The next command on the account commits its event and hold together, and a whole
        // restart finds both.
        let next = svc
            .authorise_keyed(
                CardRef::Pan(pan(PAN)),
                Money::cny(300),
                false,
                D1,
                &keyed("next", "300"),
                &answer_of,
            )
            .await
            .unwrap();
        assert!(matches!(next, Keyed::Ran { .. }));
        let after = svc.account(account.id, None, D1).await.unwrap();
        assert_eq!(after.pending, Money::cny(1_000));
        let transfers = ledger.reader().check().await.unwrap().transfers;
        drop(svc);
        let db = store.reopen().await;
        let ledger = start(&db, &clock).await;
        assert_eq!(ledger.reader().check().await.unwrap().transfers, transfers);
        let svc = CreditService::start(&db, ledger.clone(), keys())
            .await
            .unwrap();
        assert_eq!(svc.account(account.id, None, D1).await.unwrap(), after);
        assert_eq!(ledger.reader().check().await.unwrap().transfers, transfers);
        assert_ledger_clean(&ledger).await;
        db.close().await;
        store.drop_store().await;
    }
}

/// A command whose caller stops waiting (its future dropped, as a server drops a request's
/// handler) at any point — before its commit is queued, while it waits for the commit, after —
/// leaves the account consistent: the next command settles it first, so it neither reuses the
/// abandoned command's event number nor loses its durable effect.
#[tokio::test]
async fn a_command_abandoned_at_any_point_leaves_the_account_consistent() {
    for store in stores().await {
        let (_fake, clock) = clock();
        let ledger = start(&store.db, &clock).await;
        let svc = CreditService::start(&store.db, ledger.clone(), keys())
            .await
            .unwrap();
        let customer = Uuid::now_v7();
        let account = svc.open_account(open(customer, PAN), D1).await.unwrap();
        for step in 0..60u64 {
            let abandoned = {
                let svc = svc.clone();
                tokio::spawn(async move {
                    svc.authorise(CardRef::Pan(pan(PAN)), Money::cny(100), false, D1)
                        .await
                })
            };
            // Abandon it after a different delay each time: some before they reach the
            // writer, some while their commit is queued or running, some after.
            tokio::time::sleep(std::time::Duration::from_micros(step * 40)).await;
            abandoned.abort();
            let _ = abandoned.await;
            svc.authorise(CardRef::Pan(pan(PAN)), Money::cny(100), false, D1)
                .await
                .unwrap_or_else(|e| {
                    panic!("the command after the one abandoned at step {step}: {e}")
                });
        }
        let before = svc.account(account.id, Some(customer), D1).await.unwrap();
        assert!(before.pending >= Money::cny(60 * 100), "{before:?}");
        assert_ledger_clean(&ledger).await;
        // What memory says is what the store says: a restart replays to the same account.
        let again = CreditService::start(&store.db, ledger.clone(), keys())
            .await
            .unwrap();
        let after = again.account(account.id, Some(customer), D1).await.unwrap();
        assert_eq!(
            (after.pending, after.available_credit),
            (before.pending, before.available_credit)
        );
    }
}

#[tokio::test]
async fn a_holders_accounts_are_theirs_only_in_opening_order_and_after_a_restart() {
    for store in stores().await {
        let (_fake, clock) = clock();
        let ledger = start(&store.db, &clock).await;
        let svc = CreditService::start(&store.db, ledger.clone(), keys())
            .await
            .unwrap();
        let (holder, other) = (Uuid::now_v7(), Uuid::now_v7());
        let first = svc.open_account(open(holder, PAN), D1).await.unwrap();
        let theirs = svc
            .open_account(open(other, "6225880137461241"), D1)
            .await
            .unwrap();
        let second = svc
            .open_account(open(holder, "6225880137461258"), D1)
            .await
            .unwrap();
        let ids = |views: Vec<cardlife_store::credit::AccountView>| -> Vec<Uuid> {
            views.into_iter().map(|a| a.id).collect()
        };
        assert_eq!(
            ids(svc.accounts_of(holder, D1).await.unwrap()),
            [first.id, second.id]
        );
        assert_eq!(ids(svc.accounts_of(other, D1).await.unwrap()), [theirs.id]);
        assert!(
            svc.accounts_of(Uuid::now_v7(), D1)
                .await
                .unwrap()
                .is_empty()
        );
        let again = CreditService::start(&store.db, ledger.clone(), keys())
            .await
            .unwrap();
        assert_eq!(
            ids(again.accounts_of(holder, D1).await.unwrap()),
            [first.id, second.id]
        );
        assert_eq!(
            ids(again.accounts_of(other, D1).await.unwrap()),
            [theirs.id]
        );
    }
}

#[tokio::test]
async fn a_capture_and_the_transfers_after_it_commit_together_and_a_refused_one_leaves_the_capture()
{
    use cardlife_ledger::{Account, CreateTransferResult, Transfer, TransferFlags};
    use cardlife_store::credit::mirror;

    for store in stores().await {
        let (_fake, clock) = clock();
        let ledger = start(&store.db, &clock).await;
        let svc = CreditService::start(&store.db, ledger.clone(), keys())
            .await
            .unwrap();
        let customer = Uuid::now_v7();
        svc.open_account(open(customer, PAN), D1).await.unwrap();
        let payee = 0xbeef_u128;
        let made = ledger
            .create_accounts(vec![Account {
                id: payee,
                ledger: 156,
                code: 30,
                ..Account::default()
            }])
            .await
            .unwrap();
        assert!(made.iter().all(|r| r.is_success()), "{made:?}");
        let move_on = |auth: u128, to: u128, id: u128| {
            let (number, _) = mirror::split_id(auth).unwrap();
            Transfer {
                id,
                debit_account_id: mirror::global_id(number, 10),
                credit_account_id: to,
                amount: 12_345,
                ledger: 156,
                code: 303,
                flags: TransferFlags::NONE,
                ..Transfer::default()
            }
        };

        let auth = svc
            .authorise(CardRef::Pan(pan(PAN)), Money::cny(12_345), false, D1)
            .await
            .unwrap();
        let (view, moved) = svc
            .capture_then(
                auth.id,
                Money::cny(12_345),
                D1,
                vec![move_on(auth.id, payee, 1)],
                // Carried by the synced capture below (as the pay path's capture is carried by
                // the order's record).
                cardlife_store::Durability::Carried,
            )
            .await
            .unwrap();
        assert_eq!(
            (view.status, moved),
            ("captured", Some(vec![CreateTransferResult::Ok]))
        );
        let paid = ledger.reader().account(payee).await.unwrap().unwrap();
        assert_eq!(paid.credits_posted, 12_345);

        // A transfer the ledger refuses is answered as such; the capture stands.
        let second = svc
            .authorise(CardRef::Pan(pan(PAN)), Money::cny(12_345), false, D1)
            .await
            .unwrap();
        let (view, moved) = svc
            .capture_then(
                second.id,
                Money::cny(12_345),
                D1,
                vec![move_on(second.id, 0xdead, 2)],
                cardlife_store::Durability::Synced,
            )
            .await
            .unwrap();
        assert_eq!(view.status, "captured");
        assert_eq!(
            moved,
            Some(vec![CreateTransferResult::CreditAccountNotFound])
        );
        assert_eq!(
            svc.authorisation(second.id).await.unwrap().status,
            "captured"
        );
        assert_ledger_clean(&ledger).await;
        // What memory says survives a restart.
        let again = CreditService::start(&store.db, ledger.clone(), keys())
            .await
            .unwrap();
        assert_eq!(
            again.authorisation(second.id).await.unwrap().status,
            "captured"
        );
    }
}

/// The card a payment names comes from memory (`card_of`, no read of the store): it is the
/// account's card as stored, before and after a restart rebuilds the registry, and an
/// unknown account has none.
#[tokio::test]
async fn an_accounts_card_is_known_from_memory_before_and_after_a_restart() {
    for store in stores().await {
        let (_fake, clock) = clock();
        let ledger = start(&store.db, &clock).await;
        let svc = CreditService::start(&store.db, ledger.clone(), keys())
            .await
            .unwrap();
        let customer = Uuid::now_v7();
        let account = svc.open_account(open(customer, PAN), D1).await.unwrap();
        let stored = svc.cards(account.id, customer).await.unwrap();
        assert_eq!(stored.len(), 1);
        assert_eq!(svc.card_of(account.id).unwrap(), Some(stored[0].id));
        assert_eq!(svc.card_of(Uuid::now_v7()).unwrap(), None);
        drop(svc);
        let again = CreditService::start(&store.db, ledger.clone(), keys())
            .await
            .unwrap();
        assert_eq!(again.card_of(account.id).unwrap(), Some(stored[0].id));
        store.drop_store().await;
    }
}
