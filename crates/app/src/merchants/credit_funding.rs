//! [`CardFunding`] on the persisted credit service: a QR or pay-code payment is an authorisation
//! on the payer's credit card, captured into the card's purchase bucket, reversed when the order
//! is cancelled, and refunded as a refund event on the account that paid (docs/merchants.md,
//! "Paying by credit card").
//!
//! The money path on the ledger: the capture posts the card's receivable ← the card's merchant
//! clearing account (the credit engine's own transfer, mirrored), and this module then moves the
//! same amount from that clearing account to the merchant's payable account (transfer code 303),
//! so clearing is back to zero and settlement finds the purchase on the payable account exactly
//! once. A refund runs the other way: payable → clearing (code 304) now, and the engine's refund
//! posting clearing → receivable after the posting lag; it names the purchase it refunds, so a
//! full refund cancels the purchase installment that converted it.

use std::collections::HashMap;
use std::sync::Mutex;

use cardlife_kernel::{BusinessZone, Money, SharedClock};
use cardlife_ledger::{CreateTransferResult, Transfer, TransferFlags};
use cardlife_store::LedgerService;
use cardlife_store::credit::{
    AccountView, CardRef, CreditError, CreditService, Keyed, KeyedRequest, StoredEvent, mirror,
};
use cardlife_store::idempotency::{Claim, IdempotencyStore};
use cardlife_store::{Db, StoreError};
use jiff::civil::Date;
use sha2::{Digest, Sha256};

use super::MerchantsError;
use super::funding::{AuthId, CardFunding, FundingFuture, FundingRequest, LEDGER_CNY, derived_id};
use crate::AppError;

/// Transfer code: a card purchase moved from the card's merchant clearing to the merchant.
pub const CODE_CLEARING_TO_MERCHANT: u16 = 303;
/// Transfer code: a refund moved from the merchant back to the card's merchant clearing.
pub const CODE_MERCHANT_TO_CLEARING: u16 = 304;
/// The local id of merchant clearing in every card's chart (credit/src/billing/postings.rs).
const MERCHANT_CLEARING: u128 = 10;

/// The idempotency scope of the card authorisations that pay orders.
const FUNDING_SCOPE: &str = "card-funding";

/// The credit authorisation of a payment is keyed by the payment's order: the key, the event
/// and the authorisation id (the stored answer) commit together in the credit writer, so the
/// order → authorisation link is durable exactly when the hold is, with no commit of its own.
fn funding_key(idempotency_key: u128) -> (String, [u8; 32]) {
    let key = format!("{idempotency_key:032x}");
    let hash = Sha256::new()
        .chain_update(FUNDING_SCOPE.as_bytes())
        .chain_update([0])
        .chain_update(key.as_bytes())
        .finalize()
        .into();
    (key, hash)
}

fn auth_of_answer(body: &str) -> Result<u128, AppError> {
    uuid::Uuid::try_parse(body)
        .map(|u| u.as_u128())
        .map_err(|_| AppError::Storage(StoreError::Corrupt("card funding answer")))
}

/// The credit authorisation placed for the payment keyed `idempotency_key` (its order), as
/// stored with the authorisation: what recovery takes after a restart. `None` when none was
/// placed (or the payment was not paid by credit card).
pub(crate) async fn placed_authorisation(
    db: &Db,
    idempotency_key: u128,
) -> Result<Option<u128>, AppError> {
    let (key, hash) = funding_key(idempotency_key);
    let found = IdempotencyStore::new(db.clone())
        .peek(FUNDING_SCOPE, &key, &hash)
        .await?;
    match found {
        Some(Claim::Done { response, .. }) => auth_of_answer(&response).map(Some),
        _ => Ok(None),
    }
}

/// The payer's primary credit account (docs/merchants.md): the earliest-opened active account;
/// when none is active, the earliest-opened one (so its status declines with a precise code).
/// `None` when the customer holds no credit account.
pub fn primary_account(mut accounts: Vec<AccountView>) -> Option<AccountView> {
    accounts.sort_by(|a, b| a.opened.cmp(&b.opened).then(a.id.cmp(&b.id)));
    let active = accounts.iter().position(|a| a.status == "active");
    match active {
        Some(i) => Some(accounts.swap_remove(i)),
        None => accounts.into_iter().next(),
    }
}

/// [`CardFunding`] on the credit service (see the module comment).
#[derive(Debug)]
pub struct CreditCardFunding {
    credit: CreditService,
    ledger: LedgerService,
    clock: SharedClock,
    /// Authorisations of payments in flight by the payment's idempotency key (the order): a
    /// retry answers the same authorisation without a read. Entries leave at capture or void;
    /// after a restart the keyed authorisation in the store answers instead.
    by_key: Mutex<HashMap<u128, u128>>,
}

fn funding(e: impl std::fmt::Display) -> AppError {
    AppError::Merchants(MerchantsError::Funding(e.to_string()))
}

fn fen(amount: Money) -> Result<u64, AppError> {
    u64::try_from(amount.fen()).map_err(|_| AppError::Merchants(MerchantsError::InvalidAmount))
}

impl CreditCardFunding {
    /// Over the credit service and the ledger it mirrors to.
    pub fn new(credit: CreditService, ledger: LedgerService, clock: SharedClock) -> Self {
        Self {
            credit,
            ledger,
            clock,
            by_key: Mutex::new(HashMap::new()),
        }
    }

    fn today(&self) -> Date {
        BusinessZone::shanghai().today(self.clock.as_ref())
    }

    fn remembered(&self, key: u128) -> Result<Option<u128>, AppError> {
        let map = self.by_key.lock().map_err(|_| funding("lock poisoned"))?;
        Ok(map.get(&key).copied())
    }

    /// The credit authorisation behind `auth`: the one placed for the request's key, or `auth`
    /// itself when it is a credit authorisation id.
    fn resolve(&self, auth: AuthId, r: &FundingRequest) -> Result<u128, AppError> {
        if let Some(id) = self.remembered(r.idempotency_key)? {
            return Ok(id);
        }
        match mirror::split_id(auth.0) {
            Some(_) => Ok(auth.0),
            None => Err(funding("no credit authorisation for this payment")),
        }
    }

    /// Forgets a voided payment's authorisation (nothing more will be asked of it).
    fn forget(&self, key: u128) {
        if let Ok(mut map) = self.by_key.lock() {
            map.remove(&key);
        }
    }

    async fn transfer(&self, t: Transfer) -> Result<CreateTransferResult, AppError> {
        let results = self.ledger.create_transfers(vec![t]).await?;
        match results.first() {
            Some(r @ (CreateTransferResult::Ok | CreateTransferResult::Exists)) => Ok(*r),
            Some(other) => Err(funding(format!("{other:?}"))),
            None => Err(funding("no result")),
        }
    }
}

impl CardFunding for CreditCardFunding {
    fn authorise(&self, r: FundingRequest) -> FundingFuture<'_, AuthId> {
        Box::pin(async move {
            if let Some(id) = self.remembered(r.idempotency_key)? {
                return Ok(AuthId(id));
            }
            let today = self.today();
            let accounts = self.credit.accounts_of(r.customer.as_uuid(), today).await?;
            let account = primary_account(accounts).ok_or(MerchantsError::NoCard)?;
            // Any of the account's cards: the authorisation lands on the account.
            let card = self
                .credit
                .card_of(account.id)?
                .ok_or(MerchantsError::NoCard)?;
            let (key, hash) = funding_key(r.idempotency_key);
            let request = KeyedRequest {
                scope: FUNDING_SCOPE.to_owned(),
                key,
                hash,
                created_at_ns: i64::try_from(self.clock.now().as_nanosecond()).unwrap_or(i64::MAX),
                durability: r.durability,
            };
            let answer = |view: &cardlife_store::credit::AuthorisationView| {
                (201, uuid::Uuid::from_u128(view.id).to_string())
            };
            let id = match self
                .credit
                .authorise_keyed(CardRef::Id(card), r.amount, false, today, &request, &answer)
                .await?
            {
                Keyed::Ran { body, .. } | Keyed::Replayed { body, .. } => auth_of_answer(&body)?,
            };
            self.by_key
                .lock()
                .map_err(|_| funding("lock poisoned"))?
                .insert(r.idempotency_key, id);
            Ok(AuthId(id))
        })
    }

    fn capture(&self, auth: AuthId, r: FundingRequest) -> FundingFuture<'_, ()> {
        Box::pin(async move {
            let id = self.resolve(auth, &r)?;
            let view = match self.credit.authorisation(id).await {
                Ok(v) => v,
                Err(CreditError::AuthorisationNotFound | CreditError::AccountNotFound) => {
                    return Err(funding("the authorisation is gone"));
                }
                Err(e) => return Err(e.into()),
            };
            let (_, number) = self.credit.account_of_authorisation(id)?;
            let on_to_merchant = |amount: Money| -> Result<Transfer, AppError> {
                Ok(Transfer {
                    id: derived_id("credit-clearing", &id.to_be_bytes(), 0),
                    debit_account_id: mirror::global_id(number, MERCHANT_CLEARING),
                    credit_account_id: r.merchant_account,
                    amount: fen(amount)?,
                    ledger: LEDGER_CNY,
                    code: CODE_CLEARING_TO_MERCHANT,
                    flags: TransferFlags::NONE,
                    ..Transfer::default()
                })
            };
            match view.status {
                // The capture and the move on to the merchant in one commit.
                "pending" => {
                    let then = on_to_merchant(view.amount)?;
                    let (_, moved) = self
                        .credit
                        .capture_then(id, view.amount, self.today(), vec![then], r.durability)
                        .await?;
                    match moved.as_deref() {
                        Some([CreateTransferResult::Ok | CreateTransferResult::Exists]) => {}
                        Some([other]) => return Err(funding(format!("{other:?}"))),
                        Some(_) | None => {
                            self.transfer(then).await?;
                        }
                    }
                }
                // Captured before (a payment being recovered): the move is made if it was not.
                "captured" => {
                    self.transfer(on_to_merchant(view.captured)?).await?;
                }
                other => return Err(funding(format!("the authorisation is {other}"))),
            }
            // Forgotten once captured, so the map holds only payments in flight: a capture
            // asked again (recovery of a payment captured here but not yet recorded) names the
            // credit authorisation itself, which answers success, and 303 answers `exists`.
            self.forget(r.idempotency_key);
            Ok(())
        })
    }

    fn void(&self, auth: AuthId, r: FundingRequest) -> FundingFuture<'_, ()> {
        Box::pin(async move {
            let id = self.resolve(auth, &r)?;
            match self.credit.authorisation(id).await {
                Ok(v) if v.status == "pending" => {
                    self.credit.reverse(id, self.today()).await?;
                    self.forget(r.idempotency_key);
                    Ok(())
                }
                Ok(v) if v.status == "reversed" => {
                    self.forget(r.idempotency_key);
                    Ok(())
                }
                Ok(v) => Err(funding(format!("the authorisation is {}", v.status))),
                Err(CreditError::AuthorisationNotFound | CreditError::AccountNotFound) => {
                    Err(funding("the authorisation is gone"))
                }
                Err(e) => Err(e.into()),
            }
        })
    }

    fn refund(&self, r: FundingRequest) -> FundingFuture<'_, ()> {
        Box::pin(async move {
            let paid_with = r
                .paid_with
                .ok_or_else(|| funding("a refund needs the authorisation that paid"))?;
            let (account, number) = self.credit.account_of_authorisation(paid_with.0)?;
            // The refund names the purchase it refunds: a full refund cancels the installment
            // plan that converted it (docs/domain.md §4).
            let (_, hold) = mirror::split_id(paid_with.0)
                .ok_or_else(|| funding("the paying authorisation is not a card's"))?;
            let hold = u64::try_from(hold).map_err(funding)?;
            let moved = self
                .transfer(Transfer {
                    id: derived_id("credit-refund", &r.idempotency_key.to_be_bytes(), 0),
                    debit_account_id: r.merchant_account,
                    credit_account_id: mirror::global_id(number, MERCHANT_CLEARING),
                    amount: fen(r.amount)?,
                    ledger: LEDGER_CNY,
                    code: CODE_MERCHANT_TO_CLEARING,
                    flags: TransferFlags::NONE,
                    ..Transfer::default()
                })
                .await?;
            // `exists`: this refund was made before; the card was credited then.
            if moved == CreateTransferResult::Ok {
                self.credit
                    .holder_command(
                        account,
                        None,
                        StoredEvent::PurchaseRefund {
                            hold,
                            amount_fen: r.amount.fen(),
                        },
                        self.today(),
                    )
                    .await?;
            }
            Ok(())
        })
    }
}
