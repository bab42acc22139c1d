//! Customers and identity: one-time codes, registration, password and code logins, sessions
//! (docs/domain.md §8). Secrets never leave this module in clear except a new session token,
//! returned once to the caller that logged in.

use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, Mutex};

/// The identity vocabulary callers configure and match on.
pub use cardlife_customers::{
    CustomerError, DeviceHint, LockoutPolicy, OtpKey, OtpPolicy, PasswordHashParams,
    PhoneLookupKey, SessionPolicy,
};
use cardlife_customers::{
    LoginThrottle, OtpIssuer, Password, PasswordHash, PasswordPolicy, Phone, Session, SessionToken,
};
use cardlife_kernel::{BusinessZone, CustomerId, Secret};
use cardlife_store::customers::{CustomerRecord, CustomerStore};
use jiff::Timestamp;

use crate::identity::RealNameConfig;
use crate::session_reads::Source;
use crate::{App, AppError};

/// How stale a session's recorded last activity may be: the idle timeout may end a session up
/// to this much early, in exchange for no write on most authenticated requests.
pub const LAST_SEEN_RESOLUTION: jiff::SignedDuration = jiff::SignedDuration::from_secs(60);

/// Where one-time codes go. Production plugs in an SMS provider; the default keeps them in
/// memory for the development page and logs only that a code was sent (never the code).
pub trait SmsGateway: Send + Sync + fmt::Debug {
    /// Delivers `code` to `phone`.
    fn send(&self, phone: &Phone, code: &Secret<String>);
}

/// A sent code, as the development outbox shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboxMessage {
    /// The masked number it went to.
    pub phone_masked: String,
    /// The 11 digits (the development page needs them to show whose code it is).
    pub phone: String,
    /// The code.
    pub code: String,
    /// When it was sent.
    pub sent_at: Timestamp,
}

/// The development SMS gateway: the last [`DevOutbox::CAPACITY`] codes in memory.
#[derive(Debug, Default)]
pub struct DevOutbox {
    messages: Mutex<VecDeque<OutboxMessage>>,
    clock: Option<cardlife_kernel::SharedClock>,
}

impl DevOutbox {
    /// Messages kept.
    pub const CAPACITY: usize = 200;

    /// An empty outbox stamping messages with `clock`.
    pub fn new(clock: cardlife_kernel::SharedClock) -> Self {
        Self {
            messages: Mutex::default(),
            clock: Some(clock),
        }
    }

    /// The messages, newest first.
    pub fn messages(&self) -> Vec<OutboxMessage> {
        let guard = self.messages.lock().unwrap_or_else(|p| p.into_inner());
        guard.iter().rev().cloned().collect()
    }

    /// The newest code sent to `phone` (11 digits), if any.
    pub fn latest_code(&self, phone: &str) -> Option<String> {
        self.messages()
            .into_iter()
            .find(|m| m.phone == phone)
            .map(|m| m.code)
    }
}

impl SmsGateway for DevOutbox {
    fn send(&self, phone: &Phone, code: &Secret<String>) {
        let sent_at = self
            .clock
            .as_ref()
            .map_or(Timestamp::UNIX_EPOCH, |c| c.now());
        let mut guard = self.messages.lock().unwrap_or_else(|p| p.into_inner());
        if guard.len() == Self::CAPACITY {
            guard.pop_front();
        }
        guard.push_back(OutboxMessage {
            phone_masked: phone.masked(),
            phone: phone.expose_digits().to_owned(),
            code: code.expose_secret().clone(),
            sent_at,
        });
        tracing::info!(phone = %phone.masked(), "one-time code sent (development outbox)");
    }
}

/// The keys and policies of the identity layer.
pub struct IdentityConfig {
    /// Keys the phone lookup HMAC.
    pub phone_lookup_key: PhoneLookupKey,
    /// Keys the one-time-code HMAC.
    pub otp_key: OtpKey,
    /// argon2id cost.
    pub password_params: PasswordHashParams,
    /// One-time-code limits.
    pub otp_policy: OtpPolicy,
    /// Session lifetimes.
    pub session_policy: SessionPolicy,
    /// Lockout after failed logins.
    pub lockout_policy: LockoutPolicy,
    /// Where codes go.
    pub sms: Arc<dyn SmsGateway>,
    /// Real-name keys and check.
    pub real_name: RealNameConfig,
}

impl IdentityConfig {
    /// Production policies with fresh random keys (a restart forgets them: the binary passes
    /// persistent keys instead) and `sms` as the gateway.
    pub fn random(sms: Arc<dyn SmsGateway>) -> Self {
        Self {
            phone_lookup_key: PhoneLookupKey::new(rand::random()),
            otp_key: OtpKey::new(rand::random()),
            password_params: PasswordHashParams::PRODUCTION,
            otp_policy: OtpPolicy::DEFAULT,
            session_policy: SessionPolicy::DEFAULT,
            lockout_policy: LockoutPolicy::DEFAULT,
            sms,
            real_name: RealNameConfig::random(),
        }
    }
}

impl fmt::Debug for IdentityConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdentityConfig")
            .field("otp_policy", &self.otp_policy)
            .field("session_policy", &self.session_policy)
            .finish_non_exhaustive()
    }
}

/// The identity layer the [`App`] holds.
#[derive(Debug)]
pub(crate) struct Identity {
    pub(crate) store: CustomerStore,
    pub(crate) real_name: RealNameConfig,
    phone_lookup_key: PhoneLookupKey,
    password_params: PasswordHashParams,
    session_policy: SessionPolicy,
    lockout_policy: LockoutPolicy,
    sms: Arc<dyn SmsGateway>,
    otp: OtpIssuer,
}

impl Identity {
    pub(crate) fn new(store: CustomerStore, config: IdentityConfig) -> Self {
        Self {
            store,
            phone_lookup_key: config.phone_lookup_key,
            password_params: config.password_params,
            session_policy: config.session_policy,
            lockout_policy: config.lockout_policy,
            sms: config.sms,
            real_name: config.real_name,
            otp: OtpIssuer::new(config.otp_policy, config.otp_key, BusinessZone::shanghai()),
        }
    }
}

/// A customer as the API shows them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomerView {
    /// The customer.
    pub id: CustomerId,
    /// The masked phone number.
    pub phone_masked: String,
    /// Whether a password is set.
    pub has_password: bool,
    /// When they registered.
    pub registered_at: Timestamp,
}

impl From<CustomerRecord> for CustomerView {
    fn from(r: CustomerRecord) -> Self {
        Self {
            id: r.id,
            phone_masked: r.phone_masked,
            has_password: r.password_phc.is_some(),
            registered_at: r.created_at,
        }
    }
}

/// A started session: the token is shown once.
#[derive(Debug)]
pub struct StartedSession {
    /// Whose session it is.
    pub customer: CustomerId,
    /// The bearer token (base64url), shown to the client once.
    pub token: Secret<String>,
    /// When it ends at the latest.
    pub expires_at: Timestamp,
    /// The device it was started on, when the client named one: its id and whether this was
    /// the customer's first login from it.
    pub device: Option<(String, bool)>,
}

/// How a customer proves who they are at login.
#[derive(Debug)]
pub enum Credential {
    /// Their password.
    Password(Secret<String>),
    /// A one-time code sent to their phone.
    Code(Secret<String>),
}

fn entropy(buf: &mut [u8]) {
    rand::fill(buf);
}

impl App {
    pub(crate) fn identity(&self) -> &Identity {
        &self.identity
    }

    /// Sends a one-time code to `phone` (for registration or login). The answer does not say
    /// whether the phone is registered.
    pub async fn send_code(&self, phone: &str) -> Result<(), AppError> {
        let id = self.identity();
        let phone = Phone::parse(phone)?;
        let lookup = id.phone_lookup_key.token_for(&phone);
        let previous = id.store.otp(&lookup, &phone).await?;
        let now = self.clock.now();
        let issued = id.otp.issue(&phone, previous.as_ref(), now, &mut entropy)?;
        id.store.put_otp(&lookup, &issued.challenge).await?;
        id.sms.send(&phone, &issued.code);
        Ok(())
    }

    /// Checks a one-time code for `phone`, spending an attempt when it is wrong.
    async fn verify_code(&self, phone: &Phone, code: &str) -> Result<(), AppError> {
        let id = self.identity();
        let lookup = id.phone_lookup_key.token_for(phone);
        let mut challenge = id
            .store
            .otp(&lookup, phone)
            .await?
            .ok_or(AppError::Customer(CustomerError::OtpExpired))?;
        let verdict = id.otp.verify(&mut challenge, code, self.clock.now());
        id.store.put_otp(&lookup, &challenge).await?;
        verdict.map_err(AppError::from)
    }

    /// Registers the holder of `phone`, proven by the code just sent to it, optionally with a
    /// password; starts their first session.
    pub async fn register(
        &self,
        phone: &str,
        code: &Secret<String>,
        password: Option<&Secret<String>>,
    ) -> Result<StartedSession, AppError> {
        let id = self.identity();
        let phone = Phone::parse(phone)?;
        let password = password
            .map(|p| Password::parse(p.expose_secret().clone(), &phone, &PasswordPolicy::DEFAULT))
            .transpose()?;
        let lookup = id.phone_lookup_key.token_for(&phone);
        if id.store.by_phone(&lookup).await?.is_some() {
            return Err(AppError::PhoneTaken);
        }
        self.verify_code(&phone, code.expose_secret()).await?;
        self.create_customer(&phone, password).await
    }

    /// Stores a new customer for `phone` and starts their first session; `PhoneTaken` when the
    /// phone is registered (nothing written).
    async fn create_customer(
        &self,
        phone: &Phone,
        password: Option<Password>,
    ) -> Result<StartedSession, AppError> {
        let id = self.identity();
        let phc = password
            .map(|p| PasswordHash::create(&p, &id.password_params, &mut entropy))
            .transpose()?;
        let customer = CustomerId::generate();
        let lookup = id.phone_lookup_key.token_for(phone);
        let inserted = id
            .store
            .insert(
                customer,
                &lookup,
                &phone.masked(),
                phc.as_ref().map(PasswordHash::as_phc),
                self.clock.now(),
            )
            .await?;
        if !inserted {
            return Err(AppError::PhoneTaken);
        }
        self.start_session(
            customer,
            cardlife_customers::SessionGeneration::default(),
            None,
        )
        .await
    }

    /// Registers `phone` without a one-time code and starts a session: for the demo world and
    /// benchmarks only (the binary never routes a request here). A phone already registered
    /// answers `PhoneTaken`.
    pub async fn seed_customer(
        &self,
        phone: &str,
        password: Option<&Secret<String>>,
    ) -> Result<StartedSession, AppError> {
        let phone = Phone::parse(phone)?;
        let password = password
            .map(|p| Password::parse(p.expose_secret().clone(), &phone, &PasswordPolicy::DEFAULT))
            .transpose()?;
        self.create_customer(&phone, password).await
    }

    /// The phone lookup token of `phone` under this platform's key (for bulk seeding).
    pub(crate) fn phone_lookup_token(&self, phone: &Phone) -> [u8; 32] {
        self.identity().phone_lookup_key.token_for(phone)
    }

    /// Logs in with a password or a one-time code. Every failure answers the same
    /// `InvalidCredentials` (an unknown phone included) except a lockout, which says until when.
    pub async fn login(
        &self,
        phone: &str,
        credential: &Credential,
        device: Option<&DeviceHint>,
    ) -> Result<StartedSession, AppError> {
        let id = self.identity();
        let phone = Phone::parse(phone).map_err(|_| AppError::InvalidCredentials)?;
        let lookup = id.phone_lookup_key.token_for(&phone);
        let Some(customer) = id.store.by_phone(&lookup).await? else {
            return Err(AppError::InvalidCredentials);
        };
        let now = self.clock.now();
        let mut throttle =
            LoginThrottle::from_parts(customer.login_failures, customer.locked_until);
        throttle.check(now)?;
        let verdict = match credential {
            Credential::Password(p) => customer
                .password_phc
                .clone()
                .map(PasswordHash::from_phc)
                .transpose()?
                .map_or(Err(AppError::InvalidCredentials), |hash| {
                    hash.verify(p.expose_secret())
                        .map_err(|_| AppError::InvalidCredentials)
                }),
            Credential::Code(code) => self
                .verify_code(&phone, code.expose_secret())
                .await
                .map_err(|e| match e {
                    AppError::Customer(
                        CustomerError::OtpMismatch { .. }
                        | CustomerError::OtpExpired
                        | CustomerError::OtpAlreadyUsed,
                    ) => AppError::InvalidCredentials,
                    other => other,
                }),
        };
        match verdict {
            Ok(()) => {
                throttle.record_success();
                id.store.set_throttle(customer.id, 0, None).await?;
                self.start_session(customer.id, customer.session_generation, device)
                    .await
            }
            Err(e) => {
                let locked = throttle.record_failure(&id.lockout_policy, now);
                id.store
                    .set_throttle(
                        customer.id,
                        throttle.consecutive_failures(),
                        throttle.locked_until(),
                    )
                    .await?;
                match locked {
                    Some(until) => Err(AppError::Customer(CustomerError::LoginLocked { until })),
                    None => Err(e),
                }
            }
        }
    }

    async fn start_session(
        &self,
        customer: CustomerId,
        generation: cardlife_customers::SessionGeneration,
        device: Option<&DeviceHint>,
    ) -> Result<StartedSession, AppError> {
        let now = self.clock.now();
        let (session, token) = Session::start(customer, generation, now, &mut entropy);
        let fingerprint = device.map(|d| (d.fingerprint(customer), d.name()));
        let device = self
            .identity()
            .store
            .insert_session(&session, fingerprint.as_ref().map(|(f, n)| (f, *n)))
            .await?;
        Ok(StartedSession {
            device,
            customer,
            token: token.reveal(),
            expires_at: now
                .checked_add(self.identity().session_policy.absolute())
                .unwrap_or(now),
        })
    }

    /// Trims the session-change log to its newest [`crate::session_reads::CHANGES_KEPT`]
    /// changes, at most [`crate::session_reads::TRIM_CHUNK`] a call (`cardlife serve` runs it
    /// every minute); returns how many it deleted.
    pub async fn trim_session_changes(&self) -> Result<u64, AppError> {
        Ok(self
            .identity()
            .store
            .trim_session_changes(
                crate::session_reads::CHANGES_KEPT,
                crate::session_reads::TRIM_CHUNK,
            )
            .await?)
    }

    /// The customer a bearer token belongs to, recording the activity; any invalid, expired,
    /// ended or revoked token answers `Unauthenticated`.
    pub async fn authenticate(&self, token: &str) -> Result<CustomerId, AppError> {
        let parsed = SessionToken::parse(token).map_err(|_| AppError::Unauthenticated)?;
        let answer = self
            .session_reads()
            .read(&self.identity().store, parsed.hash())
            .await?;
        let held = matches!(answer, Some((.., Source::Held)));
        let (session, seen_before) = match self.validated(&parsed, answer) {
            Ok(valid) => valid,
            // A held copy may lag activity another process wrote: read the store before refusing.
            Err(_) if held => {
                self.session_reads().forget(&parsed.hash());
                let stored = self.stored_session(&parsed).await?;
                self.validated(&parsed, stored.map(|(s, g)| (s, g, Source::Store)))?
            }
            Err(e) => return Err(e),
        };
        // Activity is noted at most once per LAST_SEEN_RESOLUTION and written behind, many
        // sessions per transaction, so a burst of requests (a flash sale: docs/rewards.md)
        // costs reads, not one durable write each.
        if session.last_seen_at().duration_since(seen_before) >= LAST_SEEN_RESOLUTION {
            self.touches().note(self.db(), &session);
            self.session_reads().seen(&session);
        }
        Ok(session.customer())
    }

    /// `answer` checked against the token, the customer's generation, the policy and the
    /// clock, with activity noted in this process merged in; the session moved to now, and
    /// when it was last seen before.
    fn validated(
        &self,
        token: &SessionToken,
        answer: crate::session_reads::Answer,
    ) -> Result<(Session, jiff::Timestamp), AppError> {
        let (session, current, _) = answer.ok_or(AppError::Unauthenticated)?;
        let mut session = self.touches().merged(session);
        let seen_before = session.last_seen_at();
        session
            .validate(
                token,
                current,
                &self.identity().session_policy,
                self.clock.now(),
            )
            .map_err(|_| AppError::Unauthenticated)?;
        Ok((session, seen_before))
    }

    /// Holds in memory the sessions that may still be valid now, so their first requests do not
    /// read the store (docs/identity.md, "Sessions held in memory"); a server calls it once
    /// before it listens. Returns how many are held.
    pub async fn hold_live_sessions(&self) -> Result<usize, AppError> {
        let policy = &self.identity().session_policy;
        self.session_reads()
            .hold_live(
                &self.identity().store,
                self.clock.now(),
                policy.idle(),
                policy.absolute(),
            )
            .await
    }

    /// The session holding `token` as the store has it now (never a held copy): what a write
    /// to the session starts from.
    async fn stored_session(
        &self,
        token: &SessionToken,
    ) -> Result<Option<(Session, cardlife_customers::SessionGeneration)>, AppError> {
        Ok(self
            .identity()
            .store
            .session_by_token(&token.hash())
            .await?)
    }

    async fn session_of(
        &self,
        token: &str,
    ) -> Result<(Session, cardlife_customers::SessionGeneration), AppError> {
        let parsed = SessionToken::parse(token).map_err(|_| AppError::Unauthenticated)?;
        self.stored_session(&parsed)
            .await?
            .ok_or(AppError::Unauthenticated)
    }

    /// Ends the session of `token`.
    pub async fn logout(&self, token: &str) -> Result<(), AppError> {
        let (mut session, _) = self.session_of(token).await?;
        session.end(self.clock.now());
        self.identity().store.update_session(&session).await?;
        Ok(())
    }

    /// Ends every session of `customer`.
    pub async fn logout_everywhere(&self, customer: CustomerId) -> Result<(), AppError> {
        self.identity().store.bump_generation(customer).await?;
        Ok(())
    }

    /// Replaces the token of the session `token` (after a privilege change); the old token stops
    /// working at once.
    pub async fn rotate_session(&self, token: &str) -> Result<Secret<String>, AppError> {
        let customer = self.authenticate(token).await?;
        let (mut session, _) = self.session_of(token).await?;
        debug_assert_eq!(session.customer(), customer);
        let fresh = session.rotate(self.clock.now(), &mut entropy);
        self.identity().store.update_session(&session).await?;
        Ok(fresh.reveal())
    }

    /// The customer's own record.
    pub async fn customer(&self, customer: CustomerId) -> Result<CustomerView, AppError> {
        self.identity()
            .store
            .by_id(customer)
            .await?
            .map(CustomerView::from)
            .ok_or(AppError::NotFound(crate::Missing::Customer))
    }
}
