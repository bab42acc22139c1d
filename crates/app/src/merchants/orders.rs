//! QR codes, payment orders, pay codes and refunds (docs/merchants.md).
//!
//! A payment runs in three steps, each safe to repeat (docs/merchants.md, "The commits of one
//! payment"):
//! 1. the idempotency key is read, not claimed (same key + same request → the stored order;
//!    same key + another request → `IdempotencyKeyReused`; still running →
//!    `IdempotencyInProgress`), and the payment is checked and its risk decided on reads;
//! 2. one transaction claims the key, authorises the order, books the payer's daily QR spend
//!    (optimistically, so two payments cannot both pass the limit), marks a pay code used,
//!    notes the attempt (`payment_attempts`, which keeps the key held until step 3 or
//!    recovery), records the risk decision with the payer's new risk profile
//!    (`crate::risk`), and audits — a risk deny is recorded on its own just before and
//!    refuses the payment; a concurrent duplicate finds the key taken and writes nothing;
//! 3. the card account is authorised and captured through [`CardFunding`] with ids derived from
//!    the order (a retry answers `exists`; the credit authorisation is keyed by the order, so
//!    it is found again after a restart), then one transaction records the capture, the fee,
//!    the audit entry, the webhook, the key's result and, when they run after the answer, the
//!    payment's follow-ups (`after_capture`).
//!
//! A refusal before step 2 writes nothing. A payment stopped between steps 2 and 3 is finished
//! or voided by the recovery sweep (`recovery`).

use std::collections::HashMap;

use cardlife_kernel::{CustomerId, MerchantId, Money, Secret};
use cardlife_payments::limits::{self, Authentication, CodeKind, DailySpend, QrPayment};
use cardlife_payments::mdr::{FeePlan, PaymentType};
use cardlife_payments::order::{
    NewOrder, OrderPricing, OrderStatus, PaymentOrder, PaymentOrderId, Refund, StoredOrder,
};
use cardlife_payments::paycode::{self, TokenRef, UsedPayCode};
use cardlife_payments::qr::{
    DEFAULT_ACCOUNT_GUID, MerchantPresented, Payload, PointOfInitiation, Tag,
};
use cardlife_store::Durability;
use cardlife_store::StoreError;
use cardlife_store::audit::{self, AuditEntry};
use cardlife_store::batch::Batch;
use cardlife_store::merchants::incentives::IncentiveStore;
use cardlife_store::merchants::orders::{
    Claim, OrderRecord, OrderStore, RefundRecord, SpendRecord,
};
use cardlife_store::merchants::settlement::{AttemptRecord, SettlementStore};
use cardlife_store::merchants::{CodeRecord, MerchantRecord, MerchantStore};
use cardlife_store::risk::ProfileRecord;

use super::VerifiedMerchant;
use cardlife_store::tx::Tx;
use jiff::{SignedDuration, Timestamp};
use sha2::{Digest, Sha256};

use super::funding::{AuthId, FundingRequest, derived_id, hold_id};
use super::seal::keyed_hash;
use super::{Capture, CardFunding, MerchantsError, webhooks};
use crate::rewards::coupons::CouponId;
use crate::risk::payment::{PaymentAsked, PaymentRisk, push_payment_risk};
use crate::{App, AppError};

/// The longest idempotency key or merchant reference.
pub const KEY_CHARS_MAX: usize = 64;
/// The longest a merchant may let a dynamic order wait.
pub const ORDER_TTL_MAX: SignedDuration = SignedDuration::from_hours(24);

/// One refund, as shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundView {
    /// 1 for the first.
    pub number: u32,
    /// Asked for.
    pub requested: Money,
    /// Returned to the card.
    pub cash: Money,
    /// When.
    pub at: Timestamp,
}

/// A payment order, as shown to its merchant or payer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderView {
    /// The order.
    pub id: PaymentOrderId,
    /// Who is paid.
    pub merchant: MerchantId,
    /// The merchant's reference.
    pub merchant_ref: Option<String>,
    /// `dynamic_qr`, `static_qr` or `pay_code`.
    pub channel: String,
    /// The state.
    pub status: String,
    /// The price.
    pub amount: Money,
    /// Taken off the price by a coupon (docs/rewards.md).
    pub coupon: Money,
    /// Taken from the card.
    pub captured: Money,
    /// Returned to the card.
    pub refunded: Money,
    /// The merchant's fee.
    pub fee: Money,
    /// Who paid.
    pub payer: Option<CustomerId>,
    /// The EMVCo payload of a dynamic order's code.
    pub qr_payload: Option<String>,
    /// Created.
    pub created_at: Timestamp,
    /// Expires if unpaid.
    pub expires_at: Timestamp,
    /// Captured.
    pub captured_at: Option<Timestamp>,
    /// Refunds, oldest first.
    pub refunds: Vec<RefundView>,
}

/// A merchant's static (printed) code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaticCode {
    /// The code's id.
    pub id: String,
    /// The EMVCo payload to print.
    pub payload: String,
}

/// What scanning a merchant's code shows the payer before paying.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanView {
    /// `static` or `dynamic`.
    pub kind: String,
    /// The merchant.
    pub merchant: MerchantId,
    /// Its name.
    pub merchant_name: String,
    /// The amount, for a dynamic code.
    pub amount: Option<Money>,
    /// The order, for a dynamic code.
    pub order: Option<PaymentOrderId>,
}

/// A pay code to show at the till; valid about 60 seconds, single use.
#[derive(Debug)]
pub struct PayCodeShown {
    /// 24 digits.
    pub code: Secret<String>,
    /// When it stops being accepted.
    pub expires_at: Timestamp,
}

/// A pay code a merchant charges.
#[derive(Debug, Clone)]
pub struct PayCodeCharge {
    /// The 24 digits scanned from the payer's screen.
    pub code: String,
    /// The price.
    pub amount: Money,
    /// The merchant's own reference (unique per merchant).
    pub merchant_ref: Option<String>,
    /// The staff member taking it (docs/merchants.md, "Cashier incentives").
    pub cashier: Option<uuid::Uuid>,
}

/// A dynamic order a merchant asks for.
#[derive(Debug, Clone)]
pub struct NewDynamicOrder {
    /// The price.
    pub amount: Money,
    /// The merchant's own reference (unique per merchant).
    pub merchant_ref: Option<String>,
    /// How long it waits for its payer, in seconds (default 15 minutes, at most 24 hours).
    pub ttl_seconds: Option<i64>,
    /// The cashier taking it: one of the merchant's staff (docs/merchants.md, "Cashier
    /// incentives").
    pub cashier: Option<uuid::Uuid>,
}

fn status_str(s: OrderStatus) -> &'static str {
    match s {
        OrderStatus::Created => "created",
        OrderStatus::Authorised => "authorised",
        OrderStatus::Captured => "captured",
        OrderStatus::PartiallyRefunded => "partially_refunded",
        OrderStatus::FullyRefunded => "fully_refunded",
        OrderStatus::Cancelled => "cancelled",
        OrderStatus::Expired => "expired",
    }
}

fn status_of(s: &str) -> Result<OrderStatus, AppError> {
    Ok(match s {
        "created" => OrderStatus::Created,
        "authorised" => OrderStatus::Authorised,
        "captured" => OrderStatus::Captured,
        "partially_refunded" => OrderStatus::PartiallyRefunded,
        "fully_refunded" => OrderStatus::FullyRefunded,
        "cancelled" => OrderStatus::Cancelled,
        "expired" => OrderStatus::Expired,
        _ => return Err(AppError::Storage(StoreError::Corrupt("order status"))),
    })
}

fn check_token(value: &str, field: &'static str) -> Result<(), AppError> {
    if value.is_empty()
        || value.len() > KEY_CHARS_MAX
        || !value.bytes().all(|b| b.is_ascii_graphic())
    {
        return Err(MerchantsError::InvalidField {
            field,
            reason: "1–64 visible ASCII characters",
        }
        .into());
    }
    Ok(())
}

fn request_hash(parts: &[&str]) -> [u8; 32] {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_be_bytes());
        h.update(p.as_bytes());
    }
    h.finalize().into()
}

fn audit_entry(
    actor_kind: &'static str,
    actor_id: String,
    at: Timestamp,
    action: &'static str,
    order: &OrderRecord,
    detail: serde_json::Value,
) -> AuditEntry {
    AuditEntry {
        at,
        actor_kind,
        actor_id,
        action,
        subject_kind: "order",
        subject_id: order.id.to_string(),
        detail: detail.to_string(),
    }
}

/// An audit entry about `order` by `actor`.
pub(crate) fn audit_entry_for(
    actor: (&'static str, String),
    at: Timestamp,
    action: &'static str,
    order: &OrderRecord,
    detail: serde_json::Value,
) -> AuditEntry {
    audit_entry(actor.0, actor.1, at, action, order, detail)
}

/// The code id a payload carries in template 26, when the template is ours.
/// A scanned code as stored, its merchant, and a dynamic code's order.
type ResolvedCode = (CodeRecord, MerchantRecord, Option<OrderRecord>);

fn code_id_of(payload: &Payload) -> Option<&str> {
    let account = payload
        .objects()
        .iter()
        .find(|o| o.tag == Tag::MERCHANT_ACCOUNT)?
        .children()?;
    let guid = account.iter().find(|c| c.tag == Tag::ACCOUNT_GUID)?;
    if guid.value != DEFAULT_ACCOUNT_GUID {
        return None;
    }
    account
        .iter()
        .find(|c| c.tag == Tag::ACCOUNT_ID)
        .map(|c| c.value.as_str())
}

fn encode_code(
    m: &MerchantRecord,
    code_id: &str,
    amount: Option<Money>,
) -> Result<String, AppError> {
    MerchantPresented {
        merchant_name: m.name.clone(),
        merchant_city: m.city.clone(),
        mcc: m.mcc.clone(),
        currency: "156".to_owned(),
        country: "CN".to_owned(),
        amount: amount.map(|a| a.to_string()),
        account_guid: DEFAULT_ACCOUNT_GUID.to_owned(),
        account: code_id.to_owned(),
        bill_number: None,
    }
    .encode()
    .map_err(|_| {
        MerchantsError::InvalidField {
            field: "merchant",
            reason: "the merchant's details do not fit a QR payload",
        }
        .into()
    })
}

fn ensure_approved(m: &MerchantRecord) -> Result<(), AppError> {
    match m.status.as_str() {
        "approved" => Ok(()),
        "suspended" => Err(MerchantsError::MerchantSuspended.into()),
        _ => Err(MerchantsError::MerchantNotApproved.into()),
    }
}

/// One payment to take (see the module comment).
struct Payment {
    merchant: MerchantRecord,
    payer: CustomerId,
    amount: Money,
    channel: &'static str,
    code_kind: CodeKind,
    code_id: Option<String>,
    existing: Option<OrderRecord>,
    merchant_ref: Option<String>,
    used_code: Option<(UsedPayCode, Timestamp)>,
    actor: (&'static str, String),
    scope: String,
    key: String,
    /// What the key is bound to (the request's hash); claimed with the authorisation.
    hash: [u8; 32],
    /// The payer's coupon to apply (docs/rewards.md, "Paying with a coupon").
    coupon: Option<CouponId>,
    /// The staff member credited with a new order (a pay-code charge naming them, a static
    /// code issued for them); a dynamic order carries its own from creation.
    cashier: Option<uuid::Uuid>,
    /// The payer's reads when made already (beside the code's), else made when needed.
    payer_reads: Option<PayerReads>,
}

/// What a payment reads of its payer before deciding: the day's QR spend and the risk profile.
/// Read without a lock: the authorisation's batch writes the spend only if it is still what
/// was read, and the profile likewise (a payment that lost the race answers 409).
type PayerReads = (Option<SpendRecord>, Option<ProfileRecord>);

impl App {
    fn order_store(&self) -> OrderStore {
        OrderStore::new(self.db().clone())
    }

    /// The payer's spend and risk profile, read at once.
    async fn payer_reads(&self, payer: CustomerId) -> Result<PayerReads, AppError> {
        let (orders, risks) = (self.order_store(), self.risk_store());
        Ok(tokio::try_join!(orders.spend(payer), risks.profile(payer))?)
    }

    pub(crate) fn funding(&self) -> &dyn CardFunding {
        self.merchants().funding.as_ref()
    }

    /// A merchant's static code; the payer enters the amount (500.00 per payer per day across
    /// static codes).
    pub async fn create_static_code(&self, merchant: MerchantId) -> Result<StaticCode, AppError> {
        self.create_static_code_for(merchant, None).await
    }

    /// A static code whose payments are `cashier`'s (one of the merchant's staff, else
    /// `INVALID_FIELD`), or no one's.
    pub async fn create_static_code_for(
        &self,
        merchant: MerchantId,
        cashier: Option<uuid::Uuid>,
    ) -> Result<StaticCode, AppError> {
        let m = self.merchant_record(merchant).await?;
        if let Some(staff) = cashier {
            self.check_cashier(merchant, staff).await?;
        }
        let id = format!("qr{}", uuid::Uuid::now_v7().simple());
        let payload = encode_code(&m, &id, None)?;
        let mut tx = Tx::begin(self.db()).await?;
        let record = CodeRecord {
            id: id.clone(),
            merchant,
            kind: "static".to_owned(),
            payload: payload.clone(),
        };
        let now = self.clock().now();
        MerchantStore::insert_code(&mut tx, &record, now).await?;
        if let Some(staff) = cashier {
            IncentiveStore::set_code_cashier(&mut tx, &id, merchant, staff, now).await?;
        }
        tx.commit().await?;
        Ok(StaticCode { id, payload })
    }

    /// A new dynamic order's checked fields: its amount, its reference, and its time to live
    /// (the configured one unless asked).
    fn order_ttl(&self, new: &NewDynamicOrder) -> Result<SignedDuration, AppError> {
        if !new.amount.is_positive() {
            return Err(MerchantsError::InvalidAmount.into());
        }
        if let Some(r) = &new.merchant_ref {
            check_token(r, "merchant_ref")?;
        }
        let ttl = new
            .ttl_seconds
            .map_or(self.merchants().config.order_ttl, SignedDuration::from_secs);
        if ttl <= SignedDuration::ZERO || ttl > ORDER_TTL_MAX {
            return Err(MerchantsError::InvalidField {
                field: "ttl_seconds",
                reason: "1 second to 24 hours",
            }
            .into());
        }
        Ok(ttl)
    }

    /// A dynamic order with its one-off code carrying the amount and expiring with the order.
    pub async fn create_dynamic_order(
        &self,
        merchant: MerchantId,
        new: NewDynamicOrder,
    ) -> Result<OrderView, AppError> {
        self.order_ttl(&new)?;
        let m = self.merchant_record(merchant).await?;
        self.dynamic_order(&m, new).await
    }

    /// [`Self::create_dynamic_order`] for a merchant whose signed request was just verified
    /// (its record read with the nonce: one read fewer).
    pub async fn create_dynamic_order_of(
        &self,
        verified: &VerifiedMerchant,
        new: NewDynamicOrder,
    ) -> Result<OrderView, AppError> {
        self.dynamic_order(verified.record(), new).await
    }

    async fn dynamic_order(
        &self,
        m: &MerchantRecord,
        new: NewDynamicOrder,
    ) -> Result<OrderView, AppError> {
        let merchant = m.id;
        let ttl = self.order_ttl(&new)?;
        if let Some(staff) = new.cashier {
            self.check_cashier(merchant, staff).await?;
        }
        let now = self.clock().now();
        let code_id = format!("qr{}", uuid::Uuid::now_v7().simple());
        let payload = encode_code(m, &code_id, Some(new.amount))?;
        let order = OrderRecord {
            id: uuid::Uuid::now_v7(),
            merchant,
            merchant_ref: new.merchant_ref,
            channel: "dynamic_qr".to_owned(),
            code_id: Some(code_id.clone()),
            payer: None,
            status: "created".to_owned(),
            currency: "CNY".to_owned(),
            goods_fen: new.amount.fen(),
            coupon_fen: 0,
            points_used: 0,
            points_value_fen: 0,
            authorised_fen: 0,
            captured_fen: 0,
            refunded_goods_fen: 0,
            refunded_cash_fen: 0,
            mdr_fen: 0,
            funding_auth_id: None,
            created_at: now,
            expires_at: now.checked_add(ttl).unwrap_or(now),
            captured_at: None,
            version: 0,
        };
        let code = CodeRecord {
            id: code_id,
            merchant,
            kind: "dynamic".to_owned(),
            payload,
        };
        let mut batch = Batch::new();
        let code_row = batch.push(MerchantStore::insert_code_stmt(&code, now));
        let inserted = batch.push(OrderStore::insert_stmt(&order));
        if let Some(staff) = new.cashier {
            batch.push(IncentiveStore::set_cashier_stmt(
                order.id, merchant, staff, now,
            ));
        }
        self.grouped()
            .commit(batch, move |mut ran| {
                ran.rows(code_row)?;
                if ran.rows(inserted)? != 1 {
                    return Err(MerchantsError::MerchantRefTaken.into());
                }
                ran.finish().map_err(AppError::from)
            })
            .await??;
        // Just written: no refunds yet, and the code is the one above.
        Ok(view_of(order, Vec::new(), Some(code.payload)))
    }

    pub(crate) async fn order_view(&self, o: OrderRecord) -> Result<OrderView, AppError> {
        let refunds = self.order_store().refunds(o.id).await?;
        let qr_payload = match &o.code_id {
            Some(id) if o.channel == "dynamic_qr" => {
                self.merchant_store().code(id).await?.map(|c| c.payload)
            }
            _ => None,
        };
        Ok(view_of(o, refunds, qr_payload))
    }

    /// One of the merchant's orders; another merchant's answers not found.
    pub async fn merchant_order(
        &self,
        merchant: MerchantId,
        id: PaymentOrderId,
    ) -> Result<OrderView, AppError> {
        let o = self.owned_order(merchant, id).await?;
        self.order_view(o).await
    }

    pub(crate) async fn owned_order(
        &self,
        merchant: MerchantId,
        id: PaymentOrderId,
    ) -> Result<OrderRecord, AppError> {
        match self.order_store().order(id.as_uuid()).await? {
            Some(o) if o.merchant == merchant => Ok(o),
            _ => Err(MerchantsError::NotFound("order").into()),
        }
    }

    /// The merchant's newest orders.
    pub async fn merchant_orders(
        &self,
        merchant: MerchantId,
        limit: u32,
    ) -> Result<Vec<OrderView>, AppError> {
        let rows = self.order_store().of_merchant(merchant, limit).await?;
        let mut out = Vec::with_capacity(rows.len());
        for o in rows {
            out.push(self.order_view(o).await?);
        }
        Ok(out)
    }

    /// Decodes a scanned merchant code: which merchant, and for a dynamic code the amount.
    pub async fn scan(&self, payload: &str) -> Result<ScanView, AppError> {
        let (code, merchant, order) = self.resolve_code(payload).await?;
        Ok(ScanView {
            kind: code.kind,
            merchant: merchant.id,
            merchant_name: merchant.name,
            amount: order.as_ref().map(|o| Money::cny(o.goods_fen)),
            order: order.map(|o| PaymentOrderId::from_uuid(o.id)),
        })
    }

    async fn resolve_code(&self, payload: &str) -> Result<ResolvedCode, AppError> {
        let decoded = Payload::decode(payload).map_err(MerchantsError::from)?;
        if !decoded.crc_valid() {
            return Err(MerchantsError::QrCrcInvalid.into());
        }
        let code_id = code_id_of(&decoded).ok_or(MerchantsError::QrUnknown)?;
        // A dynamic code's order is read beside the code, not after it (one round trip to the
        // store fewer); the code read decides whether it counts.
        let dynamic = decoded.point_of_initiation() == Some(PointOfInitiation::Dynamic);
        let orders = self.order_store();
        let order_of_code = async {
            match dynamic {
                true => orders.by_code(code_id).await,
                false => Ok(None),
            }
        };
        let codes = self.merchant_store();
        let (code, order) = tokio::try_join!(codes.code(code_id), order_of_code)?;
        let code = code.ok_or(MerchantsError::QrUnknown)?;
        // The stored payload is the only one we honour: a re-signed variant is not ours.
        if code.payload != payload {
            return Err(MerchantsError::QrUnknown.into());
        }
        let merchant = self.merchant_record(code.merchant).await?;
        let order = match code.kind.as_str() {
            "dynamic" => Some(order.ok_or(MerchantsError::QrUnknown)?),
            _ => None,
        };
        Ok((code, merchant, order))
    }

    /// Claims an idempotency key; `Some(order)` when the same request already finished.
    async fn claim(
        &self,
        scope: &str,
        key: &str,
        hash: &[u8; 32],
    ) -> Result<Option<OrderRecord>, AppError> {
        check_token(key, "Idempotency-Key")?;
        let now = self.clock().now();
        let claim = self.order_store().claim_key(scope, key, hash, now).await?;
        self.claimed_before(claim, hash).await
    }

    /// What a key already answers, read without claiming it: a payment claims its key in its
    /// authorisation transaction (`book_authorisation`), so a refusal before it writes
    /// nothing. `Some(order)` when the same request finished.
    async fn answered(
        &self,
        scope: &str,
        key: &str,
        hash: &[u8; 32],
    ) -> Result<Option<OrderRecord>, AppError> {
        check_token(key, "Idempotency-Key")?;
        match self.order_store().peek_key(scope, key).await? {
            None => Ok(None),
            Some(claim) => self.claimed_before(claim, hash).await,
        }
    }

    /// A payment under a key found free that the payments domain refused: when a concurrent
    /// request with the same key got there first (it paid the order this one then found paid,
    /// or holds the key), the answer is the key's — its stored order, 409 while it runs, 422 for
    /// another body — not this request's refusal. A key still free keeps the refusal, and so
    /// does a failure that is not a refusal (storage, an unavailable card side: the request's
    /// own attempt may hold its key).
    async fn or_answered(
        &self,
        scope: &str,
        key: &str,
        hash: &[u8; 32],
        result: Result<OrderRecord, AppError>,
    ) -> Result<OrderRecord, AppError> {
        match result {
            Ok(order) => Ok(order),
            Err(refusal @ AppError::Merchants(_)) => match self.answered(scope, key, hash).await? {
                Some(done) => Ok(done),
                None => Err(refusal),
            },
            Err(other) => Err(other),
        }
    }

    /// The answer a key's row gives: free (`None`), the stored order, or why not.
    async fn claimed_before(
        &self,
        claim: Claim,
        hash: &[u8; 32],
    ) -> Result<Option<OrderRecord>, AppError> {
        match claim {
            Claim::New => Ok(None),
            Claim::Existing { request_hash, .. } if request_hash != hash.as_slice() => {
                Err(MerchantsError::IdempotencyKeyReused.into())
            }
            Claim::Existing { result: None, .. } => {
                Err(MerchantsError::IdempotencyInProgress.into())
            }
            Claim::Existing {
                result: Some(id), ..
            } => {
                let id = id
                    .parse::<uuid::Uuid>()
                    .map_err(|_| AppError::Storage(StoreError::Corrupt("idempotency result")))?;
                let order = self.order_store().order(id).await?;
                order
                    .map(Some)
                    .ok_or(AppError::Storage(StoreError::Corrupt("idempotency result")))
            }
        }
    }

    /// Runs `work` under a claimed key, freeing the key if it fails.
    async fn under_key(
        &self,
        scope: &str,
        key: &str,
        result: Result<OrderRecord, AppError>,
    ) -> Result<OrderView, AppError> {
        match result {
            Ok(order) => self.order_view(order).await,
            Err(e) => {
                self.order_store().release_key(scope, key).await?;
                Err(e)
            }
        }
    }

    /// Pays a scanned merchant code by card: a static code with the amount the payer typed, a
    /// dynamic code for its own amount. `key` is the request's `Idempotency-Key`.
    pub async fn pay_qr(
        &self,
        payer: CustomerId,
        key: &str,
        payload: &str,
        amount: Option<Money>,
    ) -> Result<OrderView, AppError> {
        self.pay_qr_with_coupon(payer, key, payload, amount, None)
            .await
    }

    /// [`Self::pay_qr`] with one of the payer's coupons taken off the price.
    pub async fn pay_qr_with_coupon(
        &self,
        payer: CustomerId,
        key: &str,
        payload: &str,
        amount: Option<Money>,
        coupon: Option<CouponId>,
    ) -> Result<OrderView, AppError> {
        let scope = pay_scope(payer);
        let hash = match coupon {
            None => pay_qr_request_hash(payload, amount),
            Some(c) => {
                let amount_text = amount.map(|a| a.to_string()).unwrap_or_default();
                request_hash(&["pay_qr", payload, &amount_text, &c.to_string()])
            }
        };
        // The key, the code and the payer are read at once (none needs another).
        let (done, resolved, payer_reads) = tokio::join!(
            self.answered(&scope, key, &hash),
            self.resolve_code(payload),
            self.payer_reads(payer)
        );
        if let Some(done) = done? {
            return self.order_view(done).await;
        }
        let result = self
            .pay_qr_unclaimed(
                payer,
                (&scope, key, hash),
                (resolved, payer_reads?),
                (amount, coupon),
            )
            .await;
        match result {
            // Captured by this request just now: no refund can exist yet, and a dynamic
            // order's code is the payload scanned (`resolve_code` honours only the stored one).
            Ok(order) => {
                let qr_payload = (order.channel == "dynamic_qr").then(|| payload.to_owned());
                Ok(view_of(order, Vec::new(), qr_payload))
            }
            Err(e) => {
                let order = self.or_answered(&scope, key, &hash, Err(e)).await?;
                self.order_view(order).await
            }
        }
    }

    /// The payment under a key found free, of the scanned code as `resolved`; the key is
    /// claimed with the authorisation.
    async fn pay_qr_unclaimed(
        &self,
        payer: CustomerId,
        (scope, key, hash): (&str, &str, [u8; 32]),
        (resolved, payer_reads): (Result<ResolvedCode, AppError>, PayerReads),
        (amount, coupon): (Option<Money>, Option<CouponId>),
    ) -> Result<OrderRecord, AppError> {
        if amount.is_some_and(|a| !a.is_positive()) {
            return Err(MerchantsError::InvalidAmount.into());
        }
        let (code, merchant, order) = resolved?;
        ensure_approved(&merchant)?;
        let cashier = match &order {
            None => self.incentive_store().code_cashier(&code.id).await?,
            Some(_) => None,
        };
        let (amount, kind, channel) = match &order {
            None => (
                amount.ok_or(MerchantsError::AmountRequired)?,
                CodeKind::StaticMerchant,
                "static_qr",
            ),
            Some(o) => {
                let own = Money::cny(o.goods_fen);
                if amount.is_some_and(|a| a != own) {
                    return Err(MerchantsError::AmountMismatch.into());
                }
                (own, CodeKind::Dynamic, "dynamic_qr")
            }
        };
        self.take_payment(Payment {
            merchant,
            payer,
            amount,
            channel,
            code_kind: kind,
            code_id: Some(code.id),
            existing: order,
            merchant_ref: None,
            used_code: None,
            actor: ("customer", payer.as_uuid().to_string()),
            scope: scope.to_owned(),
            key: key.to_owned(),
            hash,
            coupon,
            cashier,
            payer_reads: Some(payer_reads),
        })
        .await
    }

    /// Steps 2 and 3 of the module comment, with the payer's coupon reserved before and
    /// redeemed or released after (`crate::rewards::coupon_payment`).
    async fn take_payment(&self, p: Payment) -> Result<OrderRecord, AppError> {
        let record = match p.coupon {
            None => self.take_payment_priced(p, None).await?,
            Some(coupon) => {
                let order = p
                    .existing
                    .as_ref()
                    .map_or_else(uuid::Uuid::now_v7, |o| o.id);
                let m = (p.merchant.id, p.merchant.mcc.as_str());
                let held = match self
                    .reserve_coupon(p.payer, coupon, order, m, p.amount)
                    .await
                {
                    Ok(held) => held,
                    Err(e) => return Err(self.key_taken_meanwhile(&p, e).await),
                };
                match self
                    .take_payment_priced(p, Some((order, held.discount)))
                    .await
                {
                    Ok(record) => {
                        self.redeem_coupon(&held).await?;
                        record
                    }
                    Err(e) => {
                        // An order still being recovered keeps its coupon reserved.
                        let attempts = SettlementStore::new(self.db().clone());
                        if attempts.attempt(order).await?.is_none() {
                            self.release_coupon(&held).await?;
                        }
                        return Err(e);
                    }
                }
            }
        };
        Ok(record)
    }

    /// A duplicate of a running payment with a coupon finds the coupon held by the first before
    /// it reaches the key: it is answered as a duplicate, like one without a coupon.
    async fn key_taken_meanwhile(&self, p: &Payment, refused: AppError) -> AppError {
        match self.key_held(&p.scope, &p.key, &p.hash).await {
            Ok(Some(held)) => held,
            Ok(None) | Err(_) => refused,
        }
    }

    /// Steps 2 and 3 for an order of id `order` priced `p.amount − discount` when a coupon
    /// was reserved for it.
    async fn take_payment_priced(
        &self,
        mut p: Payment,
        coupon: Option<(uuid::Uuid, Money)>,
    ) -> Result<OrderRecord, AppError> {
        let now = self.clock().now();
        let discount = coupon.map(|c| c.1);
        let pricing = OrderPricing::new(p.amount, discount, None).map_err(MerchantsError::from)?;
        let config = &self.merchants().config;
        let (spent, profile) = match p.payer_reads.take() {
            Some(read) => read,
            None => self.payer_reads(p.payer).await?,
        };
        let spent_domain = spent.as_ref().map(spend_domain).transpose()?;
        let payment = QrPayment {
            amount: pricing.payable(),
            code: p.code_kind,
            auth: Authentication::OneFactor,
        };
        let new_spend = limits::check_payment(&config.limit_policy, spent_domain, payment, now)
            .map_err(MerchantsError::from)?;
        let mut record = match p.existing.clone() {
            Some(o) => o,
            None => new_order_record(&p, now, config.order_ttl),
        };
        if let Some((order, discount)) = coupon {
            record.id = order;
            record.coupon_fen = discount.fen();
        }
        let mut order = PaymentOrder::create(NewOrder {
            id: PaymentOrderId::from_uuid(record.id),
            merchant: p.merchant.id,
            payer: p.payer,
            pricing,
            created_at: record.created_at,
            expires_at: record.expires_at,
        })
        .map_err(MerchantsError::from)?;
        match record.status.as_str() {
            // An expired order is refused by `authorise` below, with its expiry.
            "created" | "expired" => {}
            "cancelled" => {
                return Err(MerchantsError::from(
                    cardlife_payments::error::OrderError::OrderCancelled,
                )
                .into());
            }
            _ => {
                return Err(MerchantsError::from(
                    cardlife_payments::error::OrderError::AlreadyCaptured,
                )
                .into());
            }
        }
        let held = order.authorise(now).map_err(MerchantsError::from)?;
        record.payer = Some(p.payer);
        record.status = status_str(order.status()).to_owned();
        record.authorised_fen = held.fen();
        let request = FundingRequest {
            customer: p.payer,
            amount: held,
            merchant: p.merchant.id,
            merchant_account: p.merchant.payable_account,
            idempotency_key: record.id.as_u128(),
            paid_with: None,
            durability: Durability::Carried,
        };
        record.funding_auth_id = Some(uuid::Uuid::from_u128(hold_id(record.id)).to_string());
        // Last check before anything is written: a deny leaves only its decision record.
        let risk = self
            .decide_payment(
                PaymentAsked {
                    payer: p.payer,
                    order: record.id,
                    amount: held,
                    channel: p.channel,
                    at: now,
                },
                profile,
            )
            .await?;
        self.book_authorisation(&p, &mut record, (spent.as_ref(), &new_spend), &risk, now)
            .await?;
        // From here on the key stays held on failure (the attempt exists) until the order is
        // captured, cancelled, or recovered.
        // The funding side keeps the authorisation findable by the order (a keyed credit
        // authorisation, or a hold id derived from the order), in the authorisation's own
        // commit: recovery after a restart takes this very hold without a note of ours.
        let auth = match self.funding().authorise(request).await {
            Ok(auth) => auth,
            Err(e) => {
                self.cancel_after_failure(&mut record, (&p.scope, &p.key), now)
                    .await?;
                return Err(e);
            }
        };
        order.capture(now).map_err(MerchantsError::from)?;
        // The merchant's fee plan is read while the card side captures.
        let (captured, plan) = tokio::join!(
            self.funding().capture(auth, request),
            self.fee_plan_for(&p.merchant, &record.channel)
        );
        captured?;
        self.record_capture(
            (&p.merchant, plan?),
            &mut record,
            auth,
            (p.actor.0, p.actor.1.clone()),
            (&p.scope, &p.key),
            now,
        )
        .await?;
        Ok(record)
    }

    /// Step 3's transaction: the capture, its fee, the audit entry, the webhook, the key's
    /// result and the queued follow-ups; the attempt is forgotten. Then the follow-ups run (or
    /// are handed to a task). Also how recovery finishes an interrupted payment.
    pub(crate) async fn record_capture(
        &self,
        (merchant, plan): (&MerchantRecord, FeePlan),
        record: &mut OrderRecord,
        auth: AuthId,
        actor: (&'static str, String),
        (scope, key): (&str, &str),
        now: Timestamp,
    ) -> Result<(), AppError> {
        let captured = Money::cny(record.authorised_fen);
        let fee = plan
            .merchant_fee(PaymentType::Credit, captured)
            .map_err(|_| MerchantsError::InvalidAmount)?;
        record.status = status_str(OrderStatus::Captured).to_owned();
        record.captured_fen = captured.fen();
        record.captured_at = Some(now);
        record.mdr_fen = fee.fen();
        record.funding_auth_id = Some(uuid::Uuid::from_u128(auth.0).to_string());
        // One batch: a single round trip to the store before the commit.
        let mut batch = Batch::new();
        let update = batch.push(OrderStore::update_stmt(record));
        batch.push(SettlementStore::delete_attempt_stmt(record.id));
        let detail = serde_json::json!({ "amount": captured.to_string(), "fee": fee.to_string() });
        let entry = audit_entry(actor.0, actor.1, now, "order.capture", record, detail);
        batch.push(audit::record_stmt(&entry));
        let (subject, data) = (record.id.to_string(), webhooks::order_data(record));
        batch.push(webhooks::enqueue_stmt(
            merchant.id,
            "order.paid",
            &subject,
            data,
            now,
        )?);
        batch.push(OrderStore::finish_key_stmt(
            scope,
            key,
            &record.id.to_string(),
        ));
        if let Some(queue) = self.queue_after_capture(record.id, now) {
            batch.push(queue);
        }
        self.grouped()
            .commit(batch, move |mut ran| {
                if ran.rows(update)? != 1 {
                    return Err(MerchantsError::Conflict.into());
                }
                ran.finish().map_err(AppError::from)
            })
            .await??;
        record.version += 1;
        self.run_after_capture(merchant, record).await;
        Ok(())
    }

    /// Step 2: the key claimed, the order authorised, the spend booked, the pay code used, the
    /// risk decision recorded, audited — at once.
    async fn book_authorisation(
        &self,
        p: &Payment,
        record: &mut OrderRecord,
        (old, new): (Option<&SpendRecord>, &DailySpend),
        risk: &PaymentRisk,
        now: Timestamp,
    ) -> Result<(), AppError> {
        // Sent as one batch (one round trip to the store), checked in the order written.
        let mut batch = Batch::new();
        // The key first: a concurrent duplicate waits here for this transaction, then finds
        // the key taken (and everything after it is rolled back).
        let claim = batch.push(OrderStore::claim_key_stmt(&p.scope, &p.key, &p.hash, now));
        let order_row = match &p.existing {
            Some(_) => batch.push(OrderStore::update_stmt(record)),
            None => batch.push(OrderStore::insert_stmt(record)),
        };
        if p.existing.is_none()
            && let Some(staff) = p.cashier
        {
            batch.push(IncentiveStore::set_cashier_stmt(
                record.id,
                p.merchant.id,
                staff,
                now,
            ));
        }
        let new = SpendRecord {
            spent_on: new.date.to_string(),
            static_fen: new.static_codes.fen(),
            dynamic_fen: new.dynamic_codes.fen(),
        };
        let spend = batch.push(OrderStore::put_spend_stmt(p.payer, old, &new));
        let attempt = AttemptRecord {
            order: record.id,
            scope: p.scope.clone(),
            key: p.key.clone(),
            payer: p.payer,
            spent_on: new.spent_on.clone(),
            code_kind: match p.code_kind {
                CodeKind::StaticMerchant => "static",
                _ => "dynamic",
            }
            .to_owned(),
            amount_fen: record.authorised_fen,
            started_at: now,
        };
        batch.push(SettlementStore::insert_attempt_stmt(&attempt));
        let profile = push_payment_risk(&mut batch, risk);
        let paycode = p.used_code.map(|(used, keep_until)| {
            batch.push(OrderStore::take_paycode_stmt(
                used.token.value(),
                used.issued_at,
                used.nonce,
                keep_until,
            ))
        });
        let detail = serde_json::json!({ "amount": Money::cny(record.authorised_fen).to_string(), "channel": p.channel });
        let entry = audit_entry(
            p.actor.0,
            p.actor.1.clone(),
            now,
            "order.authorise",
            record,
            detail,
        );
        batch.push(audit::record_stmt(&entry));
        let existing = p.existing.is_some();
        // `None`: the key was taken — by whom is read after the batch is undone.
        // Carried: the payment commits again before it answers — the capture's record, or
        // the cancellation after a failure — and that commit, synced, carries this one
        // (`cardlife_store::durability`).
        let refused = self
            .grouped()
            .commit_as(
                batch,
                Durability::Carried,
                move |mut ran| -> Result<(), Option<AppError>> {
                    let mut rows = |i| ran.rows(i).map_err(|e| Some(AppError::from(e)));
                    if rows(claim)? != 1 {
                        return Err(None);
                    }
                    if rows(order_row)? != 1 {
                        return Err(Some(
                            if existing {
                                MerchantsError::Conflict
                            } else {
                                MerchantsError::MerchantRefTaken
                            }
                            .into(),
                        ));
                    }
                    if rows(spend)? != 1 || rows(profile)? != 1 {
                        return Err(Some(MerchantsError::Conflict.into()));
                    }
                    if let Some(paycode) = paycode
                        && rows(paycode)? != 1
                    {
                        return Err(Some(
                            MerchantsError::PayCode(
                                cardlife_payments::error::PayCodeError::AlreadyUsed,
                            )
                            .into(),
                        ));
                    }
                    ran.finish().map_err(|e| Some(e.into()))
                },
            )
            .await?;
        match refused {
            Ok(()) => {}
            Err(Some(e)) => return Err(e),
            // Its holder committed before this claim looked (or freed it since: in progress).
            Err(None) => {
                return Err(match self.key_held(&p.scope, &p.key, &p.hash).await? {
                    Some(held) => held,
                    None => MerchantsError::IdempotencyInProgress.into(),
                });
            }
        }
        if p.existing.is_some() {
            record.version += 1;
        }
        Ok(())
    }

    /// Why a held key refuses a payment: used for another request, or still in progress;
    /// `None` when the key is free.
    async fn key_held(
        &self,
        scope: &str,
        key: &str,
        hash: &[u8; 32],
    ) -> Result<Option<AppError>, AppError> {
        Ok(match self.order_store().peek_key(scope, key).await? {
            Some(Claim::Existing { request_hash, .. }) if request_hash != hash.as_slice() => {
                Some(MerchantsError::IdempotencyKeyReused.into())
            }
            Some(_) => Some(MerchantsError::IdempotencyInProgress.into()),
            None => None,
        })
    }

    /// The funding side refused: the order cancelled and its key freed, in one transaction.
    async fn cancel_after_failure(
        &self,
        record: &mut OrderRecord,
        key: (&str, &str),
        now: Timestamp,
    ) -> Result<(), AppError> {
        self.cancel_authorised(record, "funding refused", Some(key), now)
            .await
    }

    /// Cancels an authorised order whose funding did not go through: the order, the payer's
    /// spend given back, the attempt forgotten, the key freed (when `key` is given) and the
    /// audit entry, in one transaction.
    pub(crate) async fn cancel_authorised(
        &self,
        record: &mut OrderRecord,
        why: &'static str,
        key: Option<(&str, &str)>,
        now: Timestamp,
    ) -> Result<(), AppError> {
        let attempts = SettlementStore::new(self.db().clone());
        let attempt = attempts.attempt(record.id).await?;
        let held = record.authorised_fen;
        record.status = "cancelled".to_owned();
        record.authorised_fen = 0;
        let mut tx = Tx::begin(self.db()).await?;
        if OrderStore::update(&mut tx, record).await? {
            record.version += 1;
            if let (Some(a), Some(payer)) = (&attempt, record.payer) {
                SettlementStore::give_back_spend(&mut tx, payer, &a.spent_on, &a.code_kind, held)
                    .await?;
            }
            SettlementStore::delete_attempt(&mut tx, record.id).await?;
            if let Some((scope, key)) = key {
                SettlementStore::release_key(&mut tx, scope, key).await?;
            }
            let entry = audit_entry(
                "system",
                "funding".to_owned(),
                now,
                "order.cancel",
                record,
                serde_json::json!({ "why": why }),
            );
            audit::record(&mut tx, &entry).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Shows the customer a fresh pay code (24 digits, about 60 s, single use). It carries a
    /// random token reference bound to the customer, never account data.
    pub async fn show_pay_code(&self, customer: CustomerId) -> Result<PayCodeShown, AppError> {
        let store = self.order_store();
        let now = self.clock().now();
        let token = match store.paycode_token(customer).await? {
            Some(t) => t,
            None => {
                let mut bound = None;
                for _ in 0..8 {
                    let candidate = rand::random::<u32>() % paycode::TOKEN_REF_LIMIT;
                    if store.insert_paycode_token(candidate, customer, now).await? {
                        bound = Some(candidate);
                        break;
                    }
                    if let Some(t) = store.paycode_token(customer).await? {
                        bound = Some(t);
                        break;
                    }
                }
                bound.ok_or(MerchantsError::Conflict)?
            }
        };
        let token = TokenRef::new(token).map_err(MerchantsError::from)?;
        let nonce = rand::random::<u16>() % paycode::NONCE_LIMIT;
        let code = paycode::issue(&self.token_secret(token), token, nonce, now)
            .map_err(MerchantsError::from)?;
        let validity =
            SignedDuration::from_secs(self.merchants().config.paycode_policy.validity_secs);
        Ok(PayCodeShown {
            code: Secret::new(code),
            expires_at: now.checked_add(validity).unwrap_or(now),
        })
    }

    fn token_secret(&self, token: TokenRef) -> Secret<Vec<u8>> {
        let key = &self.merchants().config.paycode_key;
        Secret::new(keyed_hash(key, &[b"paycode-token", &token.value().to_be_bytes()]).to_vec())
    }

    /// A merchant charges a scanned pay code (a dynamic payment).
    pub async fn charge_pay_code(
        &self,
        merchant: MerchantId,
        key: &str,
        code: &str,
        amount: Money,
        merchant_ref: Option<String>,
    ) -> Result<OrderView, AppError> {
        let charge = PayCodeCharge {
            code: code.to_owned(),
            amount,
            merchant_ref,
            cashier: None,
        };
        self.charge_pay_code_by(merchant, key, charge).await
    }

    /// [`Self::charge_pay_code`] naming the cashier who took it (one of the merchant's staff,
    /// else `INVALID_FIELD` and nothing written): the order is theirs for the incentive.
    pub async fn charge_pay_code_by(
        &self,
        merchant: MerchantId,
        key: &str,
        charge: PayCodeCharge,
    ) -> Result<OrderView, AppError> {
        let scope = format!("charge:{}", merchant.as_uuid());
        let amount_text = charge.amount.to_string();
        let reference = charge.merchant_ref.clone().unwrap_or_default();
        let hash = match charge.cashier {
            None => request_hash(&["pay_code", &charge.code, &amount_text, &reference]),
            Some(staff) => request_hash(&[
                "pay_code",
                &charge.code,
                &amount_text,
                &reference,
                &staff.to_string(),
            ]),
        };
        if let Some(done) = self.answered(&scope, key, &hash).await? {
            return self.order_view(done).await;
        }
        let result = self
            .charge_unclaimed(merchant, (&scope, key, hash), charge)
            .await;
        let order = self.or_answered(&scope, key, &hash, result).await?;
        self.order_view(order).await
    }

    /// The charge under a key found free; the key is claimed with the authorisation.
    async fn charge_unclaimed(
        &self,
        merchant: MerchantId,
        (scope, key, hash): (&str, &str, [u8; 32]),
        charge: PayCodeCharge,
    ) -> Result<OrderRecord, AppError> {
        let PayCodeCharge {
            code,
            amount,
            merchant_ref,
            cashier,
        } = charge;
        let code = code.as_str();
        if !amount.is_positive() {
            return Err(MerchantsError::InvalidAmount.into());
        }
        if let Some(r) = &merchant_ref {
            check_token(r, "merchant_ref")?;
        }
        let m = self.merchant_record(merchant).await?;
        ensure_approved(&m)?;
        if let Some(staff) = cashier {
            self.check_cashier(merchant, staff).await?;
        }
        let mut keys = HashMap::new();
        if let Some(token) = code
            .get(5..13)
            .and_then(|t| t.parse::<u32>().ok())
            .and_then(|t| TokenRef::new(t).ok())
        {
            keys.insert(token, self.token_secret(token));
        }
        let mut capture = Capture::<UsedPayCode>::default();
        let policy = &self.merchants().config.paycode_policy;
        let verified = paycode::verify(code, &keys, &mut capture, policy, self.clock().now())
            .map_err(MerchantsError::from)?;
        let payer = self
            .order_store()
            .token_owner(verified.token.value())
            .await?
            .ok_or(MerchantsError::PayCode(
                cardlife_payments::error::PayCodeError::BadSignature,
            ))?;
        self.take_payment(Payment {
            merchant: m,
            payer,
            amount,
            channel: "pay_code",
            code_kind: CodeKind::Dynamic,
            code_id: None,
            existing: None,
            merchant_ref,
            used_code: capture.0,
            actor: ("merchant", merchant.as_uuid().to_string()),
            scope: scope.to_owned(),
            key: key.to_owned(),
            hash,
            coupon: None,
            cashier,
            payer_reads: None,
        })
        .await
    }

    /// Refunds part or all of a captured order, in goods terms; the cash goes back to the card.
    pub async fn refund_order(
        &self,
        merchant: MerchantId,
        key: &str,
        id: PaymentOrderId,
        amount: Money,
    ) -> Result<OrderView, AppError> {
        let scope = format!("refund:{}", merchant.as_uuid());
        let hash = request_hash(&["refund", &id.as_uuid().to_string(), &amount.to_string()]);
        if let Some(done) = self.claim(&scope, key, &hash).await? {
            return self.order_view(done).await;
        }
        let result = self.refund_claimed(merchant, &scope, key, id, amount).await;
        self.under_key(&scope, key, result).await
    }

    async fn refund_claimed(
        &self,
        merchant: MerchantId,
        scope: &str,
        key: &str,
        id: PaymentOrderId,
        amount: Money,
    ) -> Result<OrderRecord, AppError> {
        let mut record = self.owned_order(merchant, id).await?;
        let m = self.merchant_record(merchant).await?;
        let refunds = self.order_store().refunds(record.id).await?;
        let mut order = restore(&record, &refunds)?;
        let now = self.clock().now();
        let refund = order
            .refund(amount, now, &self.merchants().config.order_policy)
            .map_err(MerchantsError::from)?;
        let payer = order.payer();
        let request = FundingRequest {
            customer: payer,
            amount: refund.cash,
            merchant,
            merchant_account: m.payable_account,
            idempotency_key: derived_id(
                "refund-of",
                record.id.as_bytes(),
                u64::from(refund.number),
            ),
            paid_with: record
                .funding_auth_id
                .as_deref()
                .and_then(|id| uuid::Uuid::try_parse(id).ok())
                .map(|id| AuthId(id.as_u128())),
            durability: Durability::Synced,
        };
        self.funding().refund(request).await?;
        record.status = status_str(order.status()).to_owned();
        record.refunded_goods_fen = order.refunded_goods().fen();
        record.refunded_cash_fen = order.refunded_cash().fen();
        let mut tx = Tx::begin(self.db()).await?;
        if !OrderStore::update(&mut tx, &record).await? {
            return Err(MerchantsError::Conflict.into());
        }
        record.version += 1;
        let transfer_id = derived_id("refund", &request.idempotency_key.to_be_bytes(), 0);
        OrderStore::insert_refund(
            &mut tx,
            &RefundRecord {
                order: record.id,
                number: i64::from(refund.number),
                requested_fen: refund.requested.fen(),
                cash_fen: refund.cash.fen(),
                at: now,
                transfer_id: uuid::Uuid::from_u128(transfer_id).to_string(),
            },
        )
        .await?;
        let detail = serde_json::json!({ "number": refund.number, "requested": refund.requested.to_string(), "cash": refund.cash.to_string() });
        let entry = audit_entry(
            "merchant",
            merchant.as_uuid().to_string(),
            now,
            "order.refund",
            &record,
            detail,
        );
        audit::record(&mut tx, &entry).await?;
        let subject = format!("{}:{}", record.id, refund.number);
        let mut data = webhooks::order_data(&record);
        data["refund"] =
            serde_json::json!({ "number": refund.number, "amount": refund.cash.to_string() });
        webhooks::enqueue(&mut tx, merchant, "order.refunded", &subject, data, now).await?;
        OrderStore::finish_key(&mut tx, scope, key, &record.id.to_string()).await?;
        tx.commit().await?;
        let full = order.status() == OrderStatus::FullyRefunded;
        if let Err(e) = self
            .coupon_after_refund(
                record.id,
                refund.number,
                refund.requested,
                refund.cash,
                full,
            )
            .await
        {
            tracing::warn!(error = %e, "a refund's coupon share was not returned");
        }
        self.points_after_refund(&record, refund.number, refund.cash)
            .await;
        if full {
            self.incentive_after_full_refund(&record).await;
        }
        Ok(record)
    }
}

/// The idempotency scope of a payer's QR payments.
pub fn pay_scope(payer: CustomerId) -> String {
    format!("pay:{}", payer.as_uuid())
}

/// What a QR payment's idempotency key is bound to: the payload and the typed amount.
pub fn pay_qr_request_hash(payload: &str, amount: Option<Money>) -> [u8; 32] {
    let amount_text = amount.map(|a| a.to_string()).unwrap_or_default();
    request_hash(&["pay_qr", payload, &amount_text])
}

fn new_order_record(p: &Payment, now: Timestamp, ttl: SignedDuration) -> OrderRecord {
    OrderRecord {
        id: uuid::Uuid::now_v7(),
        merchant: p.merchant.id,
        merchant_ref: p.merchant_ref.clone(),
        channel: p.channel.to_owned(),
        code_id: p.code_id.clone(),
        payer: None,
        status: "created".to_owned(),
        currency: "CNY".to_owned(),
        goods_fen: p.amount.fen(),
        coupon_fen: 0,
        points_used: 0,
        points_value_fen: 0,
        authorised_fen: 0,
        captured_fen: 0,
        refunded_goods_fen: 0,
        refunded_cash_fen: 0,
        mdr_fen: 0,
        funding_auth_id: None,
        created_at: now,
        expires_at: now.checked_add(ttl).unwrap_or(now),
        captured_at: None,
        version: 0,
    }
}

fn spend_domain(s: &SpendRecord) -> Result<DailySpend, AppError> {
    Ok(DailySpend {
        date: s
            .spent_on
            .parse()
            .map_err(|_| AppError::Storage(StoreError::Corrupt("spend date")))?,
        static_codes: Money::cny(s.static_fen),
        dynamic_codes: Money::cny(s.dynamic_fen),
    })
}

/// An order as answered: its record, its refunds and, for a dynamic order, its code's payload.
fn view_of(o: OrderRecord, refunds: Vec<RefundRecord>, qr_payload: Option<String>) -> OrderView {
    OrderView {
        id: PaymentOrderId::from_uuid(o.id),
        merchant: o.merchant,
        merchant_ref: o.merchant_ref,
        channel: o.channel,
        status: o.status,
        amount: Money::cny(o.goods_fen),
        coupon: Money::cny(o.coupon_fen),
        captured: Money::cny(o.captured_fen),
        refunded: Money::cny(o.refunded_cash_fen),
        fee: Money::cny(o.mdr_fen),
        payer: o.payer,
        qr_payload,
        created_at: o.created_at,
        expires_at: o.expires_at,
        captured_at: o.captured_at,
        refunds: refunds
            .into_iter()
            .map(|r| RefundView {
                number: u32::try_from(r.number).unwrap_or(0),
                requested: Money::cny(r.requested_fen),
                cash: Money::cny(r.cash_fen),
                at: r.at,
            })
            .collect(),
    }
}

fn restore(o: &OrderRecord, refunds: &[RefundRecord]) -> Result<PaymentOrder, AppError> {
    let payer = o.payer.ok_or(MerchantsError::Order(
        cardlife_payments::error::OrderError::NotCaptured,
    ))?;
    let stored = StoredOrder {
        id: PaymentOrderId::from_uuid(o.id),
        merchant: o.merchant,
        payer,
        pricing: OrderPricing::new(
            Money::cny(o.goods_fen),
            (o.coupon_fen > 0).then_some(Money::cny(o.coupon_fen)),
            None,
        )
        .map_err(MerchantsError::from)?,
        status: status_of(&o.status)?,
        created_at: o.created_at,
        expires_at: o.expires_at,
        authorised: Money::cny(o.authorised_fen),
        captured: Money::cny(o.captured_fen),
        captured_at: o.captured_at,
        refunds: refunds
            .iter()
            .map(|r| Refund {
                number: u32::try_from(r.number).unwrap_or(0),
                requested: Money::cny(r.requested_fen),
                cash: Money::cny(r.cash_fen),
                at: r.at,
            })
            .collect(),
    };
    Ok(PaymentOrder::restore(stored).map_err(MerchantsError::from)?)
}
