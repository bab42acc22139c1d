//! Merchants and QR payments (docs/merchants.md): operators and the audit log (`operators`),
//! merchant onboarding and review, signing keys and signed requests (here), QR codes, payment
//! orders, pay codes and refunds (`orders`), the card-funding seam (`funding`), sealing of
//! secrets at rest (`seal`) and merchant webhooks (`webhooks`).

pub mod after_capture;
pub mod credit_funding;
pub mod error;
pub mod fees;
pub mod funding;
pub mod incentives;
pub mod installment_terms;
pub mod operators;
pub mod orders;
pub mod recovery;
mod seal;
pub mod settlement;
pub mod staff;
pub mod webhook_destination;
pub mod webhooks;

use std::sync::Arc;

use cardlife_customers::{PasswordHashParams, SessionPolicy};
use cardlife_kernel::{MerchantId, Money, Rate, Rounding, Secret};
use cardlife_ledger::{Account, AccountFlags};
use cardlife_payments::limits::LimitPolicy;
use cardlife_payments::mdr::{FeePlan, FeeSchedule};
use cardlife_payments::order::OrderPolicy;
use cardlife_payments::paycode::PayCodePolicy;
use cardlife_payments::seen::SeenSet;
use cardlife_payments::signing::{self, MerchantKeyring, NonceKey, SigningKey, SigningPolicy};
use cardlife_store::Durability;
use cardlife_store::audit::{self, AuditEntry};
use cardlife_store::merchants::{KeyRecord, MerchantRecord, MerchantStore};
use cardlife_store::tx::Tx;
use jiff::{SignedDuration, Timestamp};

pub use after_capture::AfterCapture;
pub use error::MerchantsError;

/// The payments vocabulary callers need (refusal predicates, order ids, request signing),
/// re-exported so the server depends on `app` only.
pub mod vocabulary {
    pub use cardlife_payments::error::{LimitError, OrderError, PayCodeError, SigningError};
    pub use cardlife_payments::order::PaymentOrderId;
    pub use cardlife_payments::signing;
    pub use cardlife_payments::webhook;
}
pub use funding::{CardFunding, LedgerCardFunding};
use operators::{Operator, Role, operator_entry};
use seal::{Sealed, Sealer, keyed_hash};
use webhook_destination::CheckedResolver;
pub use webhook_destination::WebhookDestinations;

use crate::{App, AppError};

/// The most merchants one review-queue read returns.
pub const QUEUE_PAGE_MAX: u32 = 200;

/// Keys and policies of the merchants context.
pub struct MerchantsConfig {
    /// Seals settlement accounts and signing secrets (AES-256-GCM).
    pub seal_key: Secret<[u8; 32]>,
    /// Keys the settlement-account lookup hash.
    pub lookup_key: Secret<[u8; 32]>,
    /// Derives each pay-code token's secret.
    pub paycode_key: Secret<[u8; 32]>,
    /// argon2id cost of operator passwords.
    pub password_params: PasswordHashParams,
    /// Operator session lifetimes.
    pub session_policy: SessionPolicy,
    /// The signed-request replay window.
    pub signing_policy: SigningPolicy,
    /// Per-payer daily QR limits.
    pub limit_policy: LimitPolicy,
    /// Refund rules.
    pub order_policy: OrderPolicy,
    /// Pay-code validity.
    pub paycode_policy: PayCodePolicy,
    /// How long a dynamic order waits for its payer by default.
    pub order_ttl: SignedDuration,
    /// Which webhook endpoints are accepted and delivered to (https, public addresses).
    pub webhook_destinations: WebhookDestinations,
    /// Certificates (DER) trusted for webhook endpoints besides the system's roots: a
    /// private CA, or a test receiver's own certificate.
    pub webhook_extra_roots: Vec<Vec<u8>>,
    /// When a captured payment's points, referral, cashier reward and campaigns run: before
    /// its answer, or after it from a durable queue (`after_capture`).
    pub after_capture: AfterCapture,
}

impl MerchantsConfig {
    /// Production policies with fresh random keys (the binary passes persistent ones).
    pub fn random() -> Self {
        Self {
            seal_key: Secret::new(rand::random()),
            lookup_key: Secret::new(rand::random()),
            paycode_key: Secret::new(rand::random()),
            password_params: PasswordHashParams::PRODUCTION,
            session_policy: SessionPolicy::DEFAULT,
            signing_policy: SigningPolicy::default(),
            limit_policy: LimitPolicy::default(),
            order_policy: OrderPolicy::default(),
            paycode_policy: PayCodePolicy::default(),
            order_ttl: SignedDuration::from_mins(15),
            webhook_destinations: WebhookDestinations::PRODUCTION,
            webhook_extra_roots: Vec::new(),
            after_capture: AfterCapture::Inline,
        }
    }
}

impl MerchantsConfig {
    /// A copy (keys included), for rebuilding the context around another funding seam.
    pub(crate) fn clone_keys(&self) -> Self {
        Self {
            seal_key: Secret::new(*self.seal_key.expose_secret()),
            lookup_key: Secret::new(*self.lookup_key.expose_secret()),
            paycode_key: Secret::new(*self.paycode_key.expose_secret()),
            password_params: self.password_params,
            session_policy: self.session_policy,
            signing_policy: self.signing_policy,
            limit_policy: self.limit_policy.clone(),
            order_policy: self.order_policy.clone(),
            paycode_policy: self.paycode_policy,
            order_ttl: self.order_ttl,
            webhook_destinations: self.webhook_destinations,
            webhook_extra_roots: self.webhook_extra_roots.clone(),
            after_capture: self.after_capture,
        }
    }
}

impl std::fmt::Debug for MerchantsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MerchantsConfig")
            .field("order_ttl", &self.order_ttl)
            .field("webhook_destinations", &self.webhook_destinations)
            .field("after_capture", &self.after_capture)
            .finish_non_exhaustive()
    }
}

/// What the [`App`] holds for this context.
#[derive(Debug)]
pub(crate) struct Merchants {
    pub(crate) config: MerchantsConfig,
    pub(crate) funding: Arc<dyn CardFunding>,
    sealer: Sealer,
    /// Delivers webhooks: https through rustls, no redirects, no proxy, names resolved by
    /// the checking resolver. `None` when it could not be built (a broken TLS setup): every
    /// attempt then fails and is recorded, rather than falling back to an unchecked client.
    webhook_client: Option<reqwest::Client>,
}

/// The delivery client. No proxy: a proxy would make the connection to an address this
/// process never checked. No redirects: a 3xx could point anywhere.
fn webhook_client(config: &MerchantsConfig) -> Option<reqwest::Client> {
    let roots = config
        .webhook_extra_roots
        .iter()
        .filter_map(|der| reqwest::Certificate::from_der(der).ok());
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .connect_timeout(webhooks::ATTEMPT_TIMEOUT)
        .dns_resolver(CheckedResolver::new(config.webhook_destinations))
        .tls_certs_merge(roots)
        .build()
        .inspect_err(|e| tracing::error!(error = %e, "the webhook client could not be built"))
        .ok()
}

impl Merchants {
    pub(crate) fn new(config: MerchantsConfig, funding: Arc<dyn CardFunding>) -> Self {
        let sealer = Sealer::new(1, Secret::new(*config.seal_key.expose_secret()));
        let webhook_client = webhook_client(&config);
        Self {
            config,
            funding,
            sealer,
            webhook_client,
        }
    }
}

/// A merchant's application.
#[derive(Debug)]
pub struct Application {
    /// Trading name, 1–25 characters (it is tag 59 of the merchant's codes).
    pub name: String,
    /// City, 1–15 characters (tag 60).
    pub city: String,
    /// Street address.
    pub address: String,
    /// Merchant category code, four digits.
    pub mcc: String,
    /// Settlement bank account number, 12–30 digits.
    pub settlement_account: Secret<String>,
    /// MDR as a decimal rate (`0.006`); the default plan when absent.
    pub mdr_rate: Option<String>,
}

/// A merchant as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MerchantView {
    /// The merchant.
    pub id: MerchantId,
    /// Trading name.
    pub name: String,
    /// City.
    pub city: String,
    /// Address.
    pub address: String,
    /// MCC.
    pub mcc: String,
    /// `pending`, `approved`, `rejected`, `suspended`.
    pub status: String,
    /// Why rejected or suspended.
    pub reason: Option<String>,
    /// `6222****1234`.
    pub settlement_account_masked: String,
    /// MDR rate.
    pub mdr_rate: String,
    /// When it applied.
    pub created_at: Timestamp,
}

/// An approved merchant whose signed request was verified, its record as read with the
/// request's nonce: what the request acts for ([`App::verify_merchant_request`]).
#[derive(Debug, Clone)]
pub struct VerifiedMerchant(MerchantRecord);

impl VerifiedMerchant {
    /// The merchant's id; every query the request makes is scoped by it.
    pub fn id(&self) -> MerchantId {
        self.0.id
    }

    pub(crate) fn record(&self) -> &MerchantRecord {
        &self.0
    }
}

impl From<MerchantRecord> for MerchantView {
    fn from(m: MerchantRecord) -> Self {
        Self {
            id: m.id,
            name: m.name,
            city: m.city,
            address: m.address,
            mcc: m.mcc,
            status: m.status,
            reason: m.reason,
            settlement_account_masked: m.account_masked,
            mdr_rate: m.mdr_rate,
            created_at: m.created_at,
        }
    }
}

/// A signing key just issued: the secret is shown once.
#[derive(Debug)]
pub struct IssuedKey {
    /// The key id (`k=` of the signature header).
    pub key_id: String,
    /// The secret: its UTF-8 bytes are the HMAC key.
    pub secret: Secret<String>,
    /// A key retired by this rotation, if any.
    pub retired: Option<String>,
}

/// An active signing key as shown (no secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyView {
    /// The public key id (`mk_…`).
    pub key_id: String,
    /// When it was issued.
    pub created_at: Timestamp,
}

/// A review decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Approve a pending application (issues the first signing key).
    Approve,
    /// Reject a pending application.
    Reject,
    /// Suspend an approved merchant.
    Suspend,
}

fn invalid(field: &'static str, reason: &'static str) -> AppError {
    MerchantsError::InvalidField { field, reason }.into()
}

fn check_text(value: &str, field: &'static str, max: usize) -> Result<(), AppError> {
    let n = value.chars().count();
    if n == 0 || n > max || value.chars().any(char::is_control) {
        return Err(invalid(
            field,
            "1 to the maximum number of characters, no controls",
        ));
    }
    Ok(())
}

fn mask_account(digits: &str) -> String {
    let n = digits.len();
    format!("{}****{}", &digits[..4], &digits[n - 4..])
}

/// The default fee plan: 0.6% on credit and debit, no minimum, no cap.
pub const DEFAULT_MDR_RATE: &str = "0.006";

/// The fee plan stored for a merchant.
pub(crate) fn fee_plan(m: &MerchantRecord) -> Result<FeePlan, AppError> {
    let rate = Rate::parse(&m.mdr_rate).map_err(|_| invalid("mdr_rate", "a decimal rate"))?;
    let schedule = FeeSchedule::new(
        rate,
        Money::cny(m.mdr_minimum_fen),
        m.mdr_cap_fen.map(Money::cny),
    )
    .map_err(|_| invalid("mdr_rate", "a rate from 0 to 0.1"))?;
    Ok(FeePlan {
        credit: schedule,
        debit: schedule,
    })
}

/// Takes the nonce slot the verifier asks for, for the store to persist afterwards.
struct Capture<K>(Option<(K, Timestamp)>);

impl<K> Default for Capture<K> {
    fn default() -> Self {
        Self(None)
    }
}

impl<K> SeenSet<K> for Capture<K> {
    fn first_sighting(&mut self, key: K, keep_until: Timestamp) -> bool {
        self.0 = Some((key, keep_until));
        true
    }
}

impl App {
    /// The card funding orders are paid with (to wrap it, e.g. in a test that interrupts
    /// payments, and install the wrapper with [`App::with_card_funding`]).
    pub fn card_funding(&self) -> Arc<dyn CardFunding> {
        self.merchants().funding.clone()
    }

    pub(crate) fn merchant_store(&self) -> MerchantStore {
        MerchantStore::new(self.db().clone())
    }

    /// Takes an application; the merchant waits for review as `pending`.
    pub async fn apply_merchant(&self, a: Application) -> Result<MerchantView, AppError> {
        let record = self.application_record(a)?;
        let mut tx = Tx::begin(self.db()).await?;
        Self::insert_application(&mut tx, &record).await?;
        tx.commit().await?;
        Ok(record.into())
    }

    /// Checks an application and makes the merchant's record (nothing written yet).
    pub(crate) fn application_record(&self, a: Application) -> Result<MerchantRecord, AppError> {
        check_text(&a.name, "name", 25)?;
        check_text(&a.city, "city", 15)?;
        check_text(&a.address, "address", 200)?;
        if a.mcc.len() != 4 || !a.mcc.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid("mcc", "four digits"));
        }
        let account = a.settlement_account.expose_secret();
        if !(12..=30).contains(&account.len()) || !account.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid("settlement_account", "12 to 30 digits"));
        }
        let mdr_rate = a.mdr_rate.unwrap_or_else(|| DEFAULT_MDR_RATE.to_owned());
        // A rate from 0 to 0.1: judged on what it takes from 10,000.00.
        let on_million = Rate::parse(&mdr_rate)
            .ok()
            .and_then(|r| r.apply(Money::cny(1_000_000), Rounding::HalfUp).ok());
        match on_million {
            Some(fee) if !fee.is_negative() && fee.fen() <= 100_000 => {}
            _ => return Err(invalid("mdr_rate", "a rate from 0 to 0.1")),
        }
        let m = &self.merchants();
        let sealed = m.sealer.seal(account.as_bytes())?;
        let id = MerchantId::generate();
        let record = MerchantRecord {
            id,
            name: a.name,
            city: a.city,
            address: a.address,
            mcc: a.mcc,
            status: "pending".to_owned(),
            reason: None,
            mdr_rate,
            mdr_minimum_fen: 0,
            mdr_cap_fen: None,
            account_lookup: keyed_hash(&m.config.lookup_key, &[account.as_bytes()]).to_vec(),
            account_key_id: sealed.key_id,
            account_nonce: sealed.nonce,
            account_sealed: sealed.ciphertext,
            account_masked: mask_account(account),
            payable_account: funding::merchant_payable_account(id),
            created_at: self.clock().now(),
            reviewed_at: None,
        };
        fee_plan(&record)?;
        Ok(record)
    }

    /// Writes an application and its audit entry inside `tx`.
    pub(crate) async fn insert_application(
        tx: &mut Tx,
        record: &MerchantRecord,
    ) -> Result<(), AppError> {
        MerchantStore::insert_merchant(tx, record).await?;
        audit::record(
            tx,
            &AuditEntry {
                at: record.created_at,
                actor_kind: "merchant",
                actor_id: record.id.to_string(),
                action: "merchant.apply",
                subject_kind: "merchant",
                subject_id: record.id.to_string(),
                detail: serde_json::json!({ "mcc": record.mcc, "mdr_rate": record.mdr_rate })
                    .to_string(),
            },
        )
        .await?;
        Ok(())
    }

    /// The review queue: pending applications, oldest first.
    pub async fn review_queue(&self, by: &Operator) -> Result<Vec<MerchantView>, AppError> {
        by.require_any(&[Role::MerchantReviewer, Role::RiskOfficer, Role::Viewer])?;
        let rows = self
            .merchant_store()
            .by_status("pending", QUEUE_PAGE_MAX)
            .await?;
        Ok(rows.into_iter().map(MerchantView::from).collect())
    }

    /// A merchant, for operators.
    pub async fn merchant_for_operator(
        &self,
        by: &Operator,
        id: MerchantId,
    ) -> Result<MerchantView, AppError> {
        by.require_any(&[Role::MerchantReviewer, Role::RiskOfficer, Role::Viewer])?;
        Ok(self.merchant_record(id).await?.into())
    }

    /// A merchant's own record.
    pub async fn merchant(&self, id: MerchantId) -> Result<MerchantView, AppError> {
        Ok(self.merchant_record(id).await?.into())
    }

    pub(crate) async fn merchant_record(&self, id: MerchantId) -> Result<MerchantRecord, AppError> {
        self.merchant_store()
            .merchant(id)
            .await?
            .ok_or(MerchantsError::NotFound("merchant").into())
    }

    /// Approves, rejects (with a reason) or suspends (with a reason) a merchant, audited in the
    /// same transaction. Approval opens the merchant's payable ledger account and issues its
    /// first signing key, shown once.
    pub async fn review_merchant(
        &self,
        by: &Operator,
        id: MerchantId,
        decision: Decision,
        reason: Option<String>,
    ) -> Result<(MerchantView, Option<IssuedKey>), AppError> {
        by.require(Role::MerchantReviewer)?;
        let (from, to, action): (&[&str], _, _) = match decision {
            Decision::Approve => (&["pending"], "approved", "merchant.approve"),
            Decision::Reject => (&["pending"], "rejected", "merchant.reject"),
            Decision::Suspend => (&["approved"], "suspended", "merchant.suspend"),
        };
        if decision != Decision::Approve {
            match reason.as_deref() {
                Some(r) => check_text(r, "reason", 200)?,
                None => return Err(invalid("reason", "a reason is required")),
            }
        }
        let current = self.merchant_record(id).await?;
        if decision == Decision::Approve {
            funding::ensure_accounts(
                self.ledger_service(),
                vec![Account::new(
                    current.payable_account,
                    funding::LEDGER_CNY,
                    funding::CODE_MERCHANT_PAYABLE,
                    AccountFlags::NONE,
                )],
            )
            .await?;
        }
        let now = self.clock().now();
        let mut tx = Tx::begin(self.db()).await?;
        if !MerchantStore::set_status(&mut tx, id, from, to, reason.as_deref(), now).await? {
            return Err(MerchantsError::ReviewNotAllowed {
                status: current.status,
                action: to,
            }
            .into());
        }
        let key = match decision {
            Decision::Approve => Some(self.new_key(&mut tx, id, now).await?),
            Decision::Reject | Decision::Suspend => None,
        };
        let detail = serde_json::json!({ "from": current.status, "to": to, "reason": reason });
        audit::record(
            &mut tx,
            &operator_entry(by, now, action, "merchant", id.to_string(), detail),
        )
        .await?;
        tx.commit().await?;
        Ok((self.merchant_record(id).await?.into(), key))
    }

    async fn new_key(
        &self,
        tx: &mut Tx,
        merchant: MerchantId,
        now: Timestamp,
    ) -> Result<IssuedKey, AppError> {
        let bytes: [u8; 32] = rand::random();
        let secret: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let key_id = format!("mk_{}", uuid::Uuid::now_v7().simple());
        let sealed = self.merchants().sealer.seal(secret.as_bytes())?;
        MerchantStore::insert_key(
            tx,
            &KeyRecord {
                key_id: key_id.clone(),
                merchant,
                seal_key_id: sealed.key_id,
                nonce: sealed.nonce,
                sealed: sealed.ciphertext,
                created_at: now,
            },
        )
        .await?;
        Ok(IssuedKey {
            key_id,
            secret: Secret::new(secret),
            retired: None,
        })
    }

    /// The merchant's active signing keys, oldest first: ids and creation times, never the
    /// secrets (those are shown once, at approval or rotation).
    pub async fn merchant_keys(&self, merchant: MerchantId) -> Result<Vec<KeyView>, AppError> {
        let keys = self.merchant_store().active_keys(merchant).await?;
        Ok(keys
            .into_iter()
            .map(|k| KeyView {
                key_id: k.key_id,
                created_at: k.created_at,
            })
            .collect())
    }

    /// Issues a new signing key for a merchant and, when two were active, retires the older:
    /// requests signed with either active key verify meanwhile.
    pub async fn rotate_key(&self, merchant: MerchantId) -> Result<IssuedKey, AppError> {
        let active = self.merchant_store().active_keys(merchant).await?;
        let now = self.clock().now();
        let mut tx = Tx::begin(self.db()).await?;
        let mut issued = self.new_key(&mut tx, merchant, now).await?;
        if active.len() >= signing::ACTIVE_KEYS_MAX
            && let Some(oldest) = active.first()
        {
            MerchantStore::retire_key(&mut tx, &oldest.key_id, now).await?;
            issued.retired = Some(oldest.key_id.clone());
        }
        audit::record(
            &mut tx,
            &AuditEntry {
                at: now,
                actor_kind: "merchant",
                actor_id: merchant.to_string(),
                action: "merchant.rotate_key",
                subject_kind: "merchant_key",
                subject_id: issued.key_id.clone(),
                detail: serde_json::json!({ "retired": issued.retired }).to_string(),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(issued)
    }

    /// Verifies a signed merchant request (docs/merchants.md): the key's merchant, the HMAC,
    /// the replay window and the nonce, then the merchant's status. Returns the merchant's
    /// record as read with the nonce taken.
    pub async fn verify_merchant_request(
        &self,
        method: &str,
        path: &str,
        body: &[u8],
        header: Option<&str>,
    ) -> Result<VerifiedMerchant, AppError> {
        let header = header.ok_or(MerchantsError::SignatureMissing)?;
        let key_id = header
            .split(',')
            .next()
            .and_then(|k| k.strip_prefix("k="))
            .ok_or(MerchantsError::Signing(
                cardlife_payments::error::SigningError::MalformedHeader {
                    reason: "expected k=…,t=…,n=…,s=…",
                },
            ))?;
        let store = self.merchant_store();
        let (merchant, keys) = store
            .key_owner_keys(key_id)
            .await?
            .ok_or(MerchantsError::UnknownMerchant)?;
        let keyring = self.keyring(merchant, keys)?;
        let now = self.clock().now();
        let mut capture = Capture::<NonceKey>::default();
        let request = signing::Request { method, path, body };
        let policy = &self.merchants().config.signing_policy;
        signing::verify(&request, header, &keyring, policy, now, &mut capture)
            .map_err(MerchantsError::from)?;
        // The nonce slot is taken while the merchant's record is read (neither needs the other).
        let nonce = async {
            match capture.0 {
                Some(((key, nonce), keep_until)) => {
                    self.take_nonce(&key, &nonce, keep_until, now).await
                }
                None => Ok(()),
            }
        };
        let (taken, record) = tokio::join!(nonce, self.merchant_record(merchant));
        taken?;
        let record = record?;
        match record.status.as_str() {
            "approved" => Ok(VerifiedMerchant(record)),
            "suspended" => Err(MerchantsError::MerchantSuspended.into()),
            _ => Err(MerchantsError::MerchantNotApproved.into()),
        }
    }

    /// Takes the nonce slot of a verified request; a slot taken before is a replay. One batch
    /// through the group writer, carried (`cardlife_store::durability`): whatever the request
    /// goes on to change commits after it, synced, before the merchant is answered, and carries
    /// the slot to disk with it. A request that changed nothing may lose its slot to a crash;
    /// sent again after the restart, it runs afresh, under the slot it takes then.
    async fn take_nonce(
        &self,
        key: &str,
        nonce: &str,
        keep_until: Timestamp,
        now: Timestamp,
    ) -> Result<(), AppError> {
        let (batch, insert) = MerchantStore::take_nonce_batch(key, nonce, keep_until, now);
        self.grouped()
            .commit_as(
                batch,
                Durability::Carried,
                move |mut ran| -> Result<(), AppError> {
                    if ran.rows(insert)? != 1 {
                        return Err(MerchantsError::Signing(
                            cardlife_payments::error::SigningError::Replayed,
                        )
                        .into());
                    }
                    ran.finish().map_err(AppError::from)
                },
            )
            .await?
    }

    /// The keyring of `merchant`'s active `keys`.
    fn keyring(
        &self,
        merchant: MerchantId,
        keys: Vec<KeyRecord>,
    ) -> Result<MerchantKeyring, AppError> {
        let mut ring: Option<MerchantKeyring> = None;
        for k in keys {
            let secret = self.merchants().sealer.open(&Sealed {
                key_id: k.seal_key_id,
                nonce: k.nonce,
                ciphertext: k.sealed,
            })?;
            let key =
                SigningKey::new(&k.key_id, Secret::new(secret)).map_err(MerchantsError::from)?;
            match ring.as_mut() {
                None => ring = Some(MerchantKeyring::new(merchant, key)),
                Some(r) => r.add(key).map_err(MerchantsError::from)?,
            }
        }
        // Every key retired: the key id was found but no longer verifies.
        ring.ok_or(
            MerchantsError::Signing(cardlife_payments::error::SigningError::UnknownKey).into(),
        )
    }

    /// Adds a store to a merchant; returns its id.
    pub async fn add_store(&self, merchant: MerchantId, name: &str) -> Result<String, AppError> {
        check_text(name, "name", 60)?;
        let id = format!("sto_{}", uuid::Uuid::now_v7().simple());
        let now = self.clock().now();
        let mut tx = Tx::begin(self.db()).await?;
        MerchantStore::insert_store(&mut tx, &id, merchant, name, now).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Adds a cashier to one of the merchant's stores; another merchant's store is not found.
    pub async fn add_cashier(
        &self,
        merchant: MerchantId,
        store: &str,
        name: &str,
    ) -> Result<String, AppError> {
        check_text(name, "name", 60)?;
        let id = format!("csh_{}", uuid::Uuid::now_v7().simple());
        let now = self.clock().now();
        let mut tx = Tx::begin(self.db()).await?;
        if !MerchantStore::insert_cashier(&mut tx, &id, store, merchant, name, now).await? {
            return Err(MerchantsError::NotFound("store").into());
        }
        tx.commit().await?;
        Ok(id)
    }
}
