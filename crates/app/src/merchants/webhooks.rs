//! Merchant webhooks (docs/merchants.md, "Webhooks"): a merchant sets one endpoint and is
//! shown its secret once; an order paid or refunded and a day settled each add an event to the
//! outbox in the same transaction as the change; the deliverer POSTs due events, signed by
//! `payments::webhook`, and records every attempt, retrying with exponential backoff and jitter
//! up to the policy's attempt budget, after which the event is dead-lettered.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use cardlife_kernel::{MerchantId, Secret};
use cardlife_payments::order::PaymentOrderId;
use cardlife_payments::webhook::{
    self, AttemptOutcome, Delivery, DeliveryState, RetryPolicy, WebhookEvent, WebhookEventId,
    WebhookSecret,
};
use cardlife_store::audit::{self, AuditEntry};
use cardlife_store::batch::Stmt;
use cardlife_store::merchants::orders::OrderRecord;
use cardlife_store::merchants::webhooks::{
    AttemptRecord, EndpointRecord, EventRecord, WebhookStore,
};
use cardlife_store::tx::Tx;
use jiff::Timestamp;
use sha2::{Digest, Sha256};

use super::MerchantsError;
use super::funding::derived_id;
use super::seal::Sealed;
use super::webhook_destination;
use crate::{App, AppError};

/// The longest endpoint URL.
pub const URL_CHARS_MAX: usize = 512;
/// The most events one listing returns.
pub const EVENT_PAGE_MAX: u32 = 100;
/// The most events one delivery run attempts.
pub const DELIVERY_BATCH: u32 = 100;
/// How long one attempt may take before it counts as no response.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(5);
/// The prefix of a webhook secret.
pub const SECRET_PREFIX: &str = "whsec_";

/// An endpoint just set: the secret is shown here once and never again.
#[derive(Debug)]
pub struct WebhookIssued {
    /// Where events go.
    pub url: String,
    /// `whsec_` and 64 hex digits; the HMAC key is its UTF-8 bytes.
    pub secret: Secret<String>,
    /// The first 16 hex digits of the secret's SHA-256, shown from now on.
    pub fingerprint: String,
}

/// A merchant's endpoint as shown (never the secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookEndpointView {
    /// Where events go.
    pub url: String,
    /// Identifies the secret in use.
    pub fingerprint: String,
    /// Set or last changed.
    pub updated_at: Timestamp,
}

/// One delivery attempt as the merchant sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookAttemptView {
    /// 1 for the first.
    pub number: i64,
    /// When it was sent.
    pub at: Timestamp,
    /// The status the endpoint answered; `None` when it did not answer.
    pub status: Option<i64>,
    /// What went wrong, briefly.
    pub error: Option<String>,
    /// How long it took.
    pub duration_ms: i64,
}

/// One event and its delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookEventView {
    /// `evt_<32 hex>`: the receiver's deduplication key.
    pub id: String,
    /// `order.paid`, `order.refunded`, `settlement.completed`.
    pub event_type: String,
    /// `pending`, `delivered` or `dead`.
    pub state: String,
    /// When the change happened.
    pub created_at: Timestamp,
    /// When the next attempt is due (pending only).
    pub next_attempt_at: Option<Timestamp>,
    /// When it was delivered or given up.
    pub done_at: Option<Timestamp>,
    /// The JSON body sent.
    pub payload: String,
    /// Every attempt, oldest first.
    pub attempts: Vec<WebhookAttemptView>,
}

/// What one delivery run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    /// Answered 2xx.
    pub delivered: u32,
    /// Failed, another attempt scheduled.
    pub retrying: u32,
    /// Failed for the last time.
    pub dead: u32,
}

fn corrupt(what: &'static str) -> AppError {
    AppError::Storage(cardlife_store::StoreError::Corrupt(what))
}

/// Accepts an absolute `http` or `https` URL with a host, no credentials, at most
/// [`URL_CHARS_MAX`] characters (the destination rules come after, in
/// [`webhook_destination::check_endpoint`]).
fn check_url(url: &str) -> Result<reqwest::Url, AppError> {
    let invalid = |reason: &'static str| MerchantsError::InvalidField {
        field: "url",
        reason,
    };
    if url.is_empty() || url.len() > URL_CHARS_MAX {
        return Err(invalid("1–512 characters").into());
    }
    let parsed = reqwest::Url::parse(url).map_err(|_| invalid("not an absolute URL"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(invalid("use http or https").into());
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(invalid("a host is needed").into());
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(invalid("no credentials in the URL").into());
    }
    Ok(parsed)
}

fn fingerprint(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The id of the event reporting `event_type` on `subject`: the same change always gets the
/// same id, so writing it twice writes it once.
fn event_id(event_type: &str, subject: &str) -> WebhookEventId {
    WebhookEventId::from_u128(derived_id(
        "webhook-event",
        format!("{event_type}\n{subject}").as_bytes(),
        0,
    ))
}

/// Adds the event reporting `event_type` on `subject` (with `data`) to the merchant's outbox,
/// inside the transaction of the change; nothing when the merchant has no endpoint.
pub(crate) async fn enqueue(
    tx: &mut Tx,
    merchant: MerchantId,
    event_type: &str,
    subject: &str,
    data: serde_json::Value,
    now: Timestamp,
) -> Result<(), AppError> {
    tx.run_one(enqueue_stmt(merchant, event_type, subject, data, now)?)
        .await?;
    Ok(())
}

/// [`enqueue`]'s statement, for a transaction that sends its statements as one batch.
pub(crate) fn enqueue_stmt(
    merchant: MerchantId,
    event_type: &str,
    subject: &str,
    data: serde_json::Value,
    now: Timestamp,
) -> Result<Stmt, AppError> {
    let id = event_id(event_type, subject);
    let body = serde_json::json!({
        "id": id.to_string(),
        "type": event_type,
        "created_at": now.to_string(),
        "merchant_id": merchant.to_string(),
        "data": data,
    })
    .to_string();
    // The pure rules bound the type and the size.
    WebhookEvent::new(id, merchant, event_type, body.clone().into_bytes(), now)
        .map_err(|_| corrupt("webhook event"))?;
    Ok(WebhookStore::enqueue_stmt(
        &id.to_string(),
        merchant,
        event_type,
        &body,
        now,
    ))
}

/// An order as a webhook's `data`.
pub(crate) fn order_data(o: &OrderRecord) -> serde_json::Value {
    let money = |fen: i64| cardlife_kernel::Money::cny(fen).to_string();
    serde_json::json!({
        "order_id": PaymentOrderId::from_uuid(o.id).to_string(),
        "merchant_ref": o.merchant_ref,
        "channel": o.channel,
        "status": o.status,
        "amount": money(o.goods_fen),
        "captured": money(o.captured_fen),
        "refunded": money(o.refunded_cash_fen),
        "fee": money(o.mdr_fen),
    })
}

fn outcome_of(
    result: &Result<reqwest::Response, reqwest::Error>,
) -> (AttemptOutcome, Option<String>) {
    if let Err(e) = result
        && let Some(class) = webhook_destination::blocked_in(e)
    {
        return refused(&format!("destination refused: {class} address"));
    }
    match result {
        Ok(resp) => {
            let code = resp.status().as_u16();
            let error = (!resp.status().is_success()).then(|| format!("HTTP {code}"));
            (AttemptOutcome::Status(code), error)
        }
        Err(e) if e.is_timeout() => (AttemptOutcome::NoResponse, Some("timed out".to_owned())),
        Err(e) if e.is_connect() => (
            AttemptOutcome::NoResponse,
            Some("could not connect".to_owned()),
        ),
        Err(_) => (
            AttemptOutcome::NoResponse,
            Some("request failed".to_owned()),
        ),
    }
}

/// An attempt that was not sent: no response, and why.
fn refused(reason: &str) -> (AttemptOutcome, Option<String>) {
    (AttemptOutcome::NoResponse, Some(reason.to_owned()))
}

impl App {
    fn webhook_store(&self) -> WebhookStore {
        WebhookStore::new(self.db().clone())
    }

    /// Sets (or replaces) the merchant's endpoint with a fresh secret, shown once in the
    /// answer. Replacing it retires the old secret at once.
    pub async fn set_webhook(
        &self,
        merchant: MerchantId,
        url: &str,
    ) -> Result<WebhookIssued, AppError> {
        let parsed = check_url(url)?;
        let rules = self.merchants().config.webhook_destinations;
        webhook_destination::check_endpoint(&parsed, rules)
            .await
            .map_err(MerchantsError::from)?;
        self.merchant_record(merchant).await?;
        let bytes: [u8; 32] = rand::random();
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let secret = format!("{SECRET_PREFIX}{hex}");
        let sealed = self.merchants().sealer.seal(secret.as_bytes())?;
        let now = self.clock().now();
        let print = fingerprint(&secret);
        let mut tx = Tx::begin(self.db()).await?;
        WebhookStore::put_endpoint(
            &mut tx,
            &EndpointRecord {
                merchant,
                url: url.to_owned(),
                seal_key_id: sealed.key_id,
                nonce: sealed.nonce,
                sealed: sealed.ciphertext,
                fingerprint: print.clone(),
                updated_at: now,
            },
        )
        .await?;
        audit::record(
            &mut tx,
            &AuditEntry {
                at: now,
                actor_kind: "merchant",
                actor_id: merchant.to_string(),
                action: "merchant.set_webhook",
                subject_kind: "merchant_webhook",
                subject_id: merchant.to_string(),
                detail: serde_json::json!({ "url": url, "fingerprint": print }).to_string(),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(WebhookIssued {
            url: url.to_owned(),
            secret: Secret::new(secret),
            fingerprint: print,
        })
    }

    /// The merchant's endpoint (never its secret).
    pub async fn webhook(&self, merchant: MerchantId) -> Result<WebhookEndpointView, AppError> {
        let e = self
            .webhook_store()
            .endpoint(merchant)
            .await?
            .ok_or(MerchantsError::NotFound("webhook endpoint"))?;
        Ok(WebhookEndpointView {
            url: e.url,
            fingerprint: e.fingerprint,
            updated_at: e.updated_at,
        })
    }

    /// The merchant's latest events (at most `limit`, capped at [`EVENT_PAGE_MAX`]), newest
    /// first, each with its delivery attempts.
    pub async fn webhook_events(
        &self,
        merchant: MerchantId,
        limit: u32,
    ) -> Result<Vec<WebhookEventView>, AppError> {
        let store = self.webhook_store();
        let events = store
            .events_of(merchant, limit.clamp(1, EVENT_PAGE_MAX))
            .await?;
        let Some(oldest) = events.iter().map(|e| e.created_at).min() else {
            return Ok(Vec::new());
        };
        let mut by_event: HashMap<String, Vec<WebhookAttemptView>> = HashMap::new();
        for a in store.attempts_of(merchant, oldest).await? {
            by_event
                .entry(a.event_id)
                .or_default()
                .push(WebhookAttemptView {
                    number: a.number,
                    at: a.at,
                    status: a.status,
                    error: a.error,
                    duration_ms: a.duration_ms,
                });
        }
        Ok(events
            .into_iter()
            .map(|e| {
                let mine = by_event.remove(&e.id).unwrap_or_default();
                WebhookEventView {
                    id: e.id,
                    event_type: e.event_type,
                    state: e.state,
                    created_at: e.created_at,
                    next_attempt_at: e.next_attempt_at,
                    done_at: e.done_at,
                    payload: e.payload,
                    attempts: mine,
                }
            })
            .collect())
    }

    /// Makes one attempt at every event due now (at most [`DELIVERY_BATCH`]) and records it.
    /// Run periodically by `cardlife serve`; safe to run concurrently (an attempt recorded by
    /// another run meanwhile is not recorded twice, and receivers deduplicate by event id).
    pub async fn deliver_webhooks(&self) -> Result<DeliveryReport, AppError> {
        let store = self.webhook_store();
        let policy = RetryPolicy::default();
        let mut report = DeliveryReport::default();
        for event in store.due(self.clock().now(), DELIVERY_BATCH).await? {
            let Some(endpoint) = store.endpoint(event.merchant).await? else {
                continue;
            };
            match self.attempt(&endpoint, event, &policy).await? {
                Some(DeliveryState::Delivered { .. }) => report.delivered += 1,
                Some(DeliveryState::Pending { .. }) => report.retrying += 1,
                Some(DeliveryState::DeadLettered { .. }) => report.dead += 1,
                None => {}
            }
        }
        Ok(report)
    }

    /// POSTs one signed event, after checking the stored URL against today's rules (they may
    /// be stricter than when it was set); the outcome and, on failure, why.
    async fn send(
        &self,
        endpoint: &EndpointRecord,
        event: &WebhookEvent,
        secret: &WebhookSecret,
        body: &str,
        now: Timestamp,
    ) -> (AttemptOutcome, Option<String>) {
        let rules = self.merchants().config.webhook_destinations;
        let url = match reqwest::Url::parse(&endpoint.url) {
            Ok(url) => url,
            Err(_) => return refused("the stored URL does not parse"),
        };
        if let Err(e) = webhook_destination::check_literal(&url, rules) {
            return refused(&e.to_string());
        }
        let Some(client) = self.merchants().webhook_client.as_ref() else {
            return refused("no HTTP client");
        };
        let result = client
            .post(url)
            .header(webhook::SIGNATURE_HEADER, webhook::sign(event, secret, now))
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_owned())
            .timeout(ATTEMPT_TIMEOUT)
            .send()
            .await;
        outcome_of(&result)
    }

    /// One attempt at `event`; its new state, or `None` when another run recorded one first.
    async fn attempt(
        &self,
        endpoint: &EndpointRecord,
        mut event: EventRecord,
        policy: &RetryPolicy,
    ) -> Result<Option<DeliveryState>, AppError> {
        let id = WebhookEventId::parse(&event.id).map_err(|_| corrupt("webhook event id"))?;
        let secret = self.merchants().sealer.open(&Sealed {
            key_id: endpoint.seal_key_id,
            nonce: endpoint.nonce.clone(),
            ciphertext: endpoint.sealed.clone(),
        })?;
        let secret =
            WebhookSecret::new(Secret::new(secret)).map_err(|_| corrupt("webhook secret"))?;
        let domain = WebhookEvent::new(
            id,
            event.merchant,
            &event.event_type,
            event.payload.clone().into_bytes(),
            event.created_at,
        )
        .map_err(|_| corrupt("webhook event"))?;
        let now = self.clock().now();
        let started = Instant::now();
        let (outcome, error) = self
            .send(endpoint, &domain, &secret, &event.payload, now)
            .await;
        let duration_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
        let before = event.attempts;
        let attempts = u32::try_from(before).map_err(|_| corrupt("webhook attempts"))?;
        let due = event.next_attempt_at.unwrap_or(event.created_at);
        let mut delivery = Delivery::restore(
            id,
            DeliveryState::Pending {
                attempts,
                next_attempt_at: due.min(now),
            },
        );
        let jitter = rand::random::<u16>() % 1_001;
        let state = delivery
            .record_attempt(outcome, now, jitter, policy)
            .map_err(|_| corrupt("webhook delivery"))?;
        let (name, next, done, count) = match state {
            DeliveryState::Pending {
                attempts,
                next_attempt_at,
            } => ("pending", Some(next_attempt_at), None, attempts),
            DeliveryState::Delivered { attempts, at } => ("delivered", None, Some(at), attempts),
            DeliveryState::DeadLettered { attempts, at, .. } => ("dead", None, Some(at), attempts),
        };
        name.clone_into(&mut event.state);
        event.next_attempt_at = next;
        event.done_at = done;
        event.attempts = i64::from(count);
        let attempt = AttemptRecord {
            event_id: event.id.clone(),
            number: event.attempts,
            at: now,
            status: match outcome {
                AttemptOutcome::Status(code) => Some(i64::from(code)),
                AttemptOutcome::NoResponse => None,
            },
            error,
            duration_ms,
        };
        let mut tx = Tx::begin(self.db()).await?;
        let recorded = WebhookStore::record_attempt(&mut tx, &event, before, &attempt).await?;
        tx.commit().await?;
        Ok(recorded.then_some(state))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn endpoint_urls_are_absolute_http_without_credentials() {
        for ok in [
            "http://127.0.0.1:8080/hooks",
            "https://shop.example.com/cardlife",
        ] {
            assert!(check_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "/relative",
            "ftp://example.com/x",
            "http://user:pw@example.com/",
            "mailto:a@example.com",
        ] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
        assert!(check_url(&format!("http://example.com/{}", "a".repeat(600))).is_err());
    }

    #[test]
    fn the_same_change_gets_the_same_event_id_and_others_differ() {
        let a = event_id("order.paid", "ord-1");
        assert_eq!(a, event_id("order.paid", "ord-1"));
        assert_ne!(a, event_id("order.refunded", "ord-1"));
        assert_ne!(a, event_id("order.paid", "ord-2"));
        assert!(a.to_string().starts_with("evt_"));
    }
}
