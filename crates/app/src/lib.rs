//! The use cases of cardlife: what the server (and later the CLI) asks the platform to do.
//! `app` owns the orchestration between contexts and the store, and the one error enum callers
//! see; it owns no storage and no HTTP.
//!
//! - [`App`]: the handle every caller clones; its methods are the use cases (today the ledger's
//!   batch submission and reads).
//! - [`console`]: the operator console's dashboard figures and customer 360 view.
//! - [`customers`]: one-time codes, registration, logins and sessions.
//! - [`loans`]: consumer loans and revolving credit lines, persisted as event histories and
//!   mirrored to the ledger; bound debit cards; offers; the daily accrual job.
//! - [`idempotency`]: idempotency keys of money-moving requests.
//! - [`quotes`]: installment and loan quotes with the annualised rate.
//! - [`merchants`]: operators and the audit log, merchants, signed requests, QR codes, payment
//!   orders, pay codes and refunds, and the card-funding seam.
//! - [`rewards`]: points (accrual on card payments, claw-back, expiry, the ledger outbox) and the
//!   points mall.
//! - [`flash_sales`]: scheduling flash sales; claims through one sequencer per sale with group
//!   commit (docs/rewards.md). [`seed`]: bulk seeding of logged-in customers for benchmarks.
//! - [`AppError`] (`error.rs`): what can go wrong, as precise variants; store errors are mapped
//!   here so callers never name a store type.
//! - [`rewards`]: coupon templates, claims, paying with a coupon, campaigns (docs/rewards.md).
//! - [`credit`]: credit accounts, cards, authorisations, statements and the daily close.
//! - [`risk`]: risk decisions on the payment path, recorded, and read by the console.
//! - [`ledger`]: the ledger types callers need, re-exported so the server depends on `app` only.

pub mod card_binding;
pub mod consents;
pub mod console;
pub mod credit;
pub mod customers;
mod error;
pub mod flash_sales;
pub mod idempotency;
pub mod identity;
pub mod installments;
pub mod loans;
pub mod merchants;
pub mod quotes;
pub mod rewards;
pub mod risk;
pub mod seed;
pub mod session_reads;
pub mod session_touch;
pub mod special_installments;

use cardlife_kernel::SharedClock;
use std::sync::Arc;

use cardlife_store::customers::CustomerStore;
use cardlife_store::{Db, LedgerService};

use crate::customers::{DevOutbox, Identity, IdentityConfig};

pub use error::{AppError, Missing};

use crate::ledger::{
    Account, AccountBalance, AccountFilter, BATCH_MAX, CreateAccountResult, CreateTransferResult,
    PendingStatus, Report, Transfer,
};

/// The ledger vocabulary callers need, in one place.
pub mod ledger {
    pub use cardlife_ledger::{
        AMOUNT_MAX, Account, AccountBalance, AccountFlags, BATCH_MAX, CreateAccountResult,
        CreateTransferResult, PendingStatus, Report, Transfer, TransferFlags, Violation,
    };
    pub use cardlife_store::AccountFilter;

    /// The most rows one read of an account's transfers or balances returns. The store caps its
    /// reads at the same number, so a caller asking for more would silently get fewer.
    pub use cardlife_store::PAGE_SIZE_MAX;
}

/// A transfer as stored, with where its hold stands when it is a pending transfer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StoredTransfer {
    /// The transfer, stamped by the ledger.
    pub transfer: Transfer,
    /// For a pending transfer: pending, posted, voided or expired. `None` for every other kind.
    pub pending_status: Option<PendingStatus>,
}

/// The platform's use cases. Cheap to clone: every clone shares the same ledger writer.
#[derive(Clone, Debug)]
pub struct App {
    db: Db,
    ledger: LedgerService,
    clock: SharedClock,
    /// Started by [`App::with_credit`]; the credit use cases answer `Unavailable` without it.
    credit: Option<cardlife_store::credit::CreditService>,
    identity: Arc<Identity>,
    merchants: Arc<crate::merchants::Merchants>,
    loans: Arc<crate::loans::LoansConfig>,
    sequencers: Arc<flash_sales::Sequencers>,
    touches: Arc<session_touch::Touches>,
    session_reads: Arc<session_reads::SessionReads>,
    /// The pay path's transactions, many per commit on the embedded store.
    grouped: Arc<cardlife_store::group::Grouped>,
    risk: Arc<cardlife_risk::Policy>,
}

impl App {
    /// The use cases over an open, migrated store and its started ledger service.
    /// Identity keys are random until [`Self::with_identity`] sets persistent ones, and
    /// one-time codes go to a development outbox.
    pub fn new(db: Db, ledger: LedgerService, clock: SharedClock) -> Self {
        let config = IdentityConfig::random(Arc::new(DevOutbox::new(clock.clone())));
        let identity = Arc::new(Identity::new(CustomerStore::new(db.clone()), config));
        let funding = Arc::new(crate::merchants::LedgerCardFunding::new(ledger.clone()));
        let merchants = Arc::new(crate::merchants::Merchants::new(
            crate::merchants::MerchantsConfig::random(),
            funding,
        ));
        let grouped = Arc::new(cardlife_store::group::Grouped::new(db.clone()));
        Self {
            db,
            ledger,
            clock,
            credit: None,
            identity,
            merchants,
            loans: Arc::new(crate::loans::LoansConfig::random()),
            sequencers: Arc::default(),
            touches: Arc::default(),
            session_reads: Arc::default(),
            grouped,
            risk: Arc::new(cardlife_risk::Policy::DEFAULT),
        }
    }

    /// The same use cases with the lending products and the debit-card keys.
    #[must_use]
    pub fn with_loans(self, config: crate::loans::LoansConfig) -> Self {
        Self {
            loans: Arc::new(config),
            ..self
        }
    }

    /// The lending configuration.
    pub(crate) fn loans_config(&self) -> &crate::loans::LoansConfig {
        &self.loans
    }

    /// The same use cases with the identity layer's keys, policies and SMS gateway.
    #[must_use]
    pub fn with_identity(self, config: IdentityConfig) -> Self {
        let identity = Arc::new(Identity::new(CustomerStore::new(self.db.clone()), config));
        Self { identity, ..self }
    }

    /// The same use cases with the merchants context's keys and policies.
    #[must_use]
    pub fn with_merchants(self, config: crate::merchants::MerchantsConfig) -> Self {
        let funding = self.merchants.funding.clone();
        let merchants = Arc::new(crate::merchants::Merchants::new(config, funding));
        Self { merchants, ..self }
    }

    /// The same use cases paying orders through another card-funding implementation (the
    /// persisted credit service, once merged).
    #[must_use]
    pub fn with_card_funding(self, funding: Arc<dyn crate::merchants::CardFunding>) -> Self {
        let merchants = Arc::new(crate::merchants::Merchants::new(
            crate::merchants::MerchantsConfig {
                ..self.merchants.config.clone_keys()
            },
            funding,
        ));
        Self { merchants, ..self }
    }

    pub(crate) fn merchants(&self) -> &crate::merchants::Merchants {
        &self.merchants
    }

    /// The store, for the use-case modules of each context.
    #[allow(dead_code)]
    pub(crate) fn db(&self) -> &Db {
        &self.db
    }

    /// The ledger writer, for the use-case modules of each context.
    #[allow(dead_code)]
    pub(crate) fn ledger_service(&self) -> &LedgerService {
        &self.ledger
    }

    /// The flash-sale sequencers this process runs.
    pub(crate) fn sequencers(&self) -> &flash_sales::Sequencers {
        &self.sequencers
    }

    /// Session activity noted and not yet written.
    pub(crate) fn touches(&self) -> &Arc<session_touch::Touches> {
        &self.touches
    }

    /// The group writer the pay path's transactions commit through.
    pub(crate) fn grouped(&self) -> &cardlife_store::group::Grouped {
        &self.grouped
    }

    /// Session reads, many per query.
    pub(crate) fn session_reads(&self) -> &session_reads::SessionReads {
        &self.session_reads
    }

    /// The injected clock, for callers that need "now" (never the wall clock).
    pub fn clock(&self) -> &SharedClock {
        &self.clock
    }

    /// Creates accounts; one result per account, in order, answered once durable.
    pub async fn create_accounts(
        &self,
        accounts: Vec<Account>,
    ) -> Result<Vec<CreateAccountResult>, AppError> {
        check_batch_size(accounts.len())?;
        let results = self.ledger.create_accounts(accounts).await?;
        Ok(results)
    }

    /// Applies transfers; one result per transfer, in order, answered once durable. The
    /// transfer id is the idempotency key: the same transfer again answers `exists`.
    pub async fn create_transfers(
        &self,
        transfers: Vec<Transfer>,
    ) -> Result<Vec<CreateTransferResult>, AppError> {
        check_batch_size(transfers.len())?;
        let results = self.ledger.create_transfers(transfers).await?;
        Ok(results)
    }

    /// An account by id.
    pub async fn account(&self, id: u128) -> Result<Account, AppError> {
        self.ledger
            .reader()
            .account(id)
            .await?
            .ok_or(AppError::NotFound(Missing::Account(id)))
    }

    /// A transfer by id, with its hold status when it is a pending transfer.
    pub async fn transfer(&self, id: u128) -> Result<StoredTransfer, AppError> {
        let (transfer, pending_status) = self
            .ledger
            .reader()
            .transfer(id)
            .await?
            .ok_or(AppError::NotFound(Missing::Transfer(id)))?;
        Ok(StoredTransfer {
            transfer,
            pending_status,
        })
    }

    /// An account's transfers (as debit or credit) in a time range; `NotFound` when the account
    /// does not exist, so an empty list always means "no transfers".
    pub async fn account_transfers(
        &self,
        filter: &AccountFilter,
    ) -> Result<Vec<Transfer>, AppError> {
        self.account(filter.account_id).await?;
        Ok(self.ledger.reader().account_transfers(filter).await?)
    }

    /// An account's balance history (kept for accounts with the `history` flag) in a time range;
    /// `NotFound` when the account does not exist.
    pub async fn account_balances(
        &self,
        filter: &AccountFilter,
    ) -> Result<Vec<AccountBalance>, AppError> {
        self.account(filter.account_id).await?;
        Ok(self.ledger.reader().account_balances(filter).await?)
    }

    /// Rebuilds every balance from the transfers and reports what disagrees.
    pub async fn check(&self) -> Result<Report, AppError> {
        Ok(self.ledger.reader().check().await?)
    }
}

/// Rejects an empty or oversized batch before it reaches the writer, so nothing is queued.
/// Callers that parse a batch may call it first, to refuse an oversized batch before parsing it.
pub fn check_batch_size(got: usize) -> Result<(), AppError> {
    if got == 0 {
        return Err(AppError::EmptyBatch);
    }
    if got > BATCH_MAX {
        return Err(AppError::BatchTooLarge {
            max: BATCH_MAX,
            got,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use cardlife_kernel::FakeClock;
    use cardlife_store::Db;

    use super::*;
    use crate::ledger::{AccountFlags, TransferFlags};

    async fn app() -> (App, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/test.db", dir.path().display());
        let db = Db::open(&url).await.unwrap();
        db.migrate().await.unwrap();
        let clock = FakeClock::new("2026-01-01T00:00:00Z".parse().unwrap()).shared();
        let ledger = LedgerService::start(&db, clock.clone()).await.unwrap();
        (App::new(db, ledger, clock), dir)
    }

    fn transfer(id: u128, amount: u64) -> Transfer {
        Transfer {
            id,
            debit_account_id: 1,
            credit_account_id: 2,
            amount,
            ledger: 1,
            code: 1,
            flags: TransferFlags::NONE,
            ..Transfer::default()
        }
    }

    #[tokio::test]
    async fn an_empty_batch_is_an_error_not_an_empty_answer() {
        let (app, _dir) = app().await;
        assert!(matches!(
            app.create_accounts(Vec::new()).await,
            Err(AppError::EmptyBatch)
        ));
        assert!(matches!(
            app.create_transfers(Vec::new()).await,
            Err(AppError::EmptyBatch)
        ));
    }

    #[tokio::test]
    async fn a_batch_over_the_limit_is_rejected_and_writes_nothing() {
        let (app, _dir) = app().await;
        let batch = (1..=BATCH_MAX as u128 + 1)
            .map(|id| transfer(id, 1))
            .collect();
        let err = app.create_transfers(batch).await.unwrap_err();
        assert!(
            matches!(err, AppError::BatchTooLarge { max: BATCH_MAX, got } if got == BATCH_MAX + 1)
        );
        assert_eq!(app.check().await.unwrap().transfers, 0);
    }

    #[tokio::test]
    async fn reads_of_missing_records_answer_not_found() {
        let (app, _dir) = app().await;
        assert!(matches!(
            app.account(7).await,
            Err(AppError::NotFound(Missing::Account(7)))
        ));
        assert!(matches!(
            app.transfer(7).await,
            Err(AppError::NotFound(Missing::Transfer(7)))
        ));
        let filter = AccountFilter {
            account_id: 7,
            timestamp_min: 0,
            timestamp_max: 0,
            limit: 10,
            reversed: false,
        };
        assert!(matches!(
            app.account_transfers(&filter).await,
            Err(AppError::NotFound(_))
        ));
        assert!(matches!(
            app.account_balances(&filter).await,
            Err(AppError::NotFound(_))
        ));
    }

    #[tokio::test]
    async fn a_pending_transfer_reads_back_with_its_hold_status() {
        let (app, _dir) = app().await;
        let accounts = vec![
            Account::new(1, 1, 1, AccountFlags::NONE),
            Account::new(2, 1, 1, AccountFlags::NONE),
        ];
        let results = app.create_accounts(accounts).await.unwrap();
        assert!(results.iter().all(|r| *r == CreateAccountResult::Ok));
        let hold = Transfer {
            flags: TransferFlags::PENDING,
            ..transfer(10, 5)
        };
        assert_eq!(
            app.create_transfers(vec![hold]).await.unwrap(),
            [CreateTransferResult::Ok]
        );
        let stored = app.transfer(10).await.unwrap();
        assert_eq!(stored.pending_status, Some(PendingStatus::Pending));
        assert_eq!(app.account(1).await.unwrap().debits_pending, 5);
        assert!(app.check().await.unwrap().ok());
    }
}
