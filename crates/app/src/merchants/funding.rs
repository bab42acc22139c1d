//! The seam between payments and the payer's card account (docs/merchants.md): paying an order
//! by credit card is an authorisation on the payer's credit account, captured at once for a QR
//! payment, voided if the order is cancelled, and refunded later.
//!
//! [`CardFunding`] is all the payments use cases know of it. [`LedgerCardFunding`] implements it
//! on the ledger alone — a pending transfer from a per-customer "card funding" account to the
//! merchant's payable account, posted on capture — so money really moves and `App::check` holds.
//! The persisted credit service (credit accounts, limits, statements) replaces it by implementing
//! the same four calls; nothing else changes.

use std::future::Future;
use std::pin::Pin;

use cardlife_kernel::{CustomerId, MerchantId, Money};
use cardlife_ledger::{
    Account, AccountFlags, CreateAccountResult, CreateTransferResult, Transfer, TransferFlags,
};
use cardlife_store::{Durability, LedgerService};
use sha2::{Digest, Sha256};

use super::MerchantsError;
use crate::AppError;

/// The ledger (asset) of CNY fen.
pub const LEDGER_CNY: u32 = 156;
/// Account code of a customer's card funding account.
pub const CODE_CARD_FUNDING: u16 = 20;
/// Account code of a merchant's payable account.
pub const CODE_MERCHANT_PAYABLE: u16 = 30;
/// Transfer code of a card purchase (hold, then post).
pub const CODE_PURCHASE: u16 = 301;
/// Transfer code of a refund to the card.
pub const CODE_REFUND: u16 = 302;

/// An authorisation on the payer's card account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AuthId(pub u128);

/// A boxed future, so the trait can be held as `dyn CardFunding`.
pub type FundingFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, AppError>> + Send + 'a>>;

/// What an authorisation is for.
#[derive(Debug, Clone, Copy)]
pub struct FundingRequest {
    /// Whose card account.
    pub customer: CustomerId,
    /// How much.
    pub amount: Money,
    /// The merchant paid.
    pub merchant: MerchantId,
    /// The merchant's payable ledger account.
    pub merchant_account: u128,
    /// Makes the call idempotent: the same key authorises once.
    pub idempotency_key: u128,
    /// For a refund: the authorisation that paid the order (its stored `funding_auth_id`), so
    /// the refund goes back to the card that paid. `None` for the other calls.
    pub paid_with: Option<AuthId>,
    /// Whether the authorisation's and the capture's commits wait for the disk, or a later
    /// synced commit of the caller's, before it answers, carries them
    /// (`cardlife_store::durability`). Only the pay path, which records the captured order
    /// synced before answering, asks for `Carried`.
    pub durability: Durability,
}

/// The payer's card account, as payments see it.
pub trait CardFunding: Send + Sync + std::fmt::Debug {
    /// Holds `amount` on the payer's account for the merchant; the same idempotency key
    /// answers the same authorisation.
    fn authorise(&self, request: FundingRequest) -> FundingFuture<'_, AuthId>;
    /// Takes the whole hold.
    fn capture(&self, auth: AuthId, request: FundingRequest) -> FundingFuture<'_, ()>;
    /// Releases the hold.
    fn void(&self, auth: AuthId, request: FundingRequest) -> FundingFuture<'_, ()>;
    /// Returns `request.amount` of a captured payment to the payer.
    fn refund(&self, request: FundingRequest) -> FundingFuture<'_, ()>;
}

/// A ledger account id derived from a purpose and an owner, stable across processes.
pub(crate) fn derived_id(purpose: &str, owner: &[u8], n: u64) -> u128 {
    let digest = Sha256::new()
        .chain_update(purpose.as_bytes())
        .chain_update([0])
        .chain_update(owner)
        .chain_update(n.to_be_bytes())
        .finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    // Zero and u128::MAX are reserved by the ledger.
    u128::from_be_bytes(bytes).clamp(1, u128::MAX - 1)
}

/// The ledger id of the hold (pending transfer) that pays `order`: derived from the order alone,
/// so a payment interrupted after placing it can be found, posted or voided.
pub fn hold_id(order: uuid::Uuid) -> u128 {
    derived_id("auth", &order.as_u128().to_be_bytes(), 0)
}

/// The ledger account a merchant is owed on.
pub fn merchant_payable_account(merchant: MerchantId) -> u128 {
    derived_id("merchant-payable", merchant.as_uuid().as_bytes(), 0)
}

/// The card funding account of a customer (the stand-in for their credit account).
pub fn card_funding_account(customer: CustomerId) -> u128 {
    derived_id("card-funding", customer.as_uuid().as_bytes(), 0)
}

/// Opens ledger accounts, accepting ones that already exist.
pub(crate) async fn ensure_accounts(
    ledger: &LedgerService,
    accounts: Vec<Account>,
) -> Result<(), AppError> {
    let results = ledger.create_accounts(accounts).await?;
    match results
        .iter()
        .find(|r| !matches!(r, CreateAccountResult::Ok | CreateAccountResult::Exists))
    {
        None => Ok(()),
        Some(r) => Err(AppError::Merchants(MerchantsError::Funding(format!(
            "{r:?}"
        )))),
    }
}

/// [`CardFunding`] on the ledger alone (see the module comment).
#[derive(Debug, Clone)]
pub struct LedgerCardFunding {
    ledger: LedgerService,
}

impl LedgerCardFunding {
    /// Over `ledger`.
    pub fn new(ledger: LedgerService) -> Self {
        Self { ledger }
    }

    async fn apply(&self, transfer: Transfer) -> Result<(), AppError> {
        let results = self.ledger.create_transfers(vec![transfer]).await?;
        match results.first() {
            Some(CreateTransferResult::Ok | CreateTransferResult::Exists) => Ok(()),
            Some(other) => Err(AppError::Merchants(MerchantsError::Funding(format!(
                "{other:?}"
            )))),
            None => Err(AppError::Merchants(MerchantsError::Funding(
                "no result".to_owned(),
            ))),
        }
    }
}

fn fen(amount: Money) -> Result<u64, AppError> {
    u64::try_from(amount.fen()).map_err(|_| AppError::Merchants(MerchantsError::InvalidAmount))
}

fn transfer(id: u128, debit: u128, credit: u128, amount: u64, flags: TransferFlags) -> Transfer {
    Transfer {
        id,
        debit_account_id: debit,
        credit_account_id: credit,
        amount,
        ledger: LEDGER_CNY,
        code: CODE_PURCHASE,
        flags,
        ..Transfer::default()
    }
}

impl CardFunding for LedgerCardFunding {
    fn authorise(&self, r: FundingRequest) -> FundingFuture<'_, AuthId> {
        Box::pin(async move {
            let payer = card_funding_account(r.customer);
            ensure_accounts(
                &self.ledger,
                vec![Account::new(
                    payer,
                    LEDGER_CNY,
                    CODE_CARD_FUNDING,
                    AccountFlags::NONE,
                )],
            )
            .await?;
            let id = derived_id("auth", &r.idempotency_key.to_be_bytes(), 0);
            let hold = transfer(
                id,
                payer,
                r.merchant_account,
                fen(r.amount)?,
                TransferFlags::PENDING,
            );
            self.apply(hold).await?;
            Ok(AuthId(id))
        })
    }

    fn capture(&self, auth: AuthId, r: FundingRequest) -> FundingFuture<'_, ()> {
        Box::pin(async move {
            let post = Transfer {
                pending_id: auth.0,
                ..transfer(
                    derived_id("capture", &auth.0.to_be_bytes(), 0),
                    card_funding_account(r.customer),
                    r.merchant_account,
                    fen(r.amount)?,
                    TransferFlags::POST_PENDING,
                )
            };
            self.apply(post).await
        })
    }

    fn void(&self, auth: AuthId, r: FundingRequest) -> FundingFuture<'_, ()> {
        Box::pin(async move {
            let void = Transfer {
                pending_id: auth.0,
                ..transfer(
                    derived_id("void", &auth.0.to_be_bytes(), 0),
                    card_funding_account(r.customer),
                    r.merchant_account,
                    fen(r.amount)?,
                    TransferFlags::VOID_PENDING,
                )
            };
            self.apply(void).await
        })
    }

    fn refund(&self, r: FundingRequest) -> FundingFuture<'_, ()> {
        Box::pin(async move {
            let back = Transfer {
                code: CODE_REFUND,
                ..transfer(
                    derived_id("refund", &r.idempotency_key.to_be_bytes(), 0),
                    r.merchant_account,
                    card_funding_account(r.customer),
                    fen(r.amount)?,
                    TransferFlags::NONE,
                )
            };
            self.apply(back).await
        })
    }
}
