//! Merchant staff logins for the merchant portal (docs/web.md, "Merchant portal"): the applicant
//! chooses a staff login and password with the application, written in the application's
//! transaction; staff sessions use the customers' token scheme (32 random bytes shown once,
//! SHA-256 stored, the operators' idle and absolute timeouts). The console's logout is here too.

use cardlife_customers::{
    Password, PasswordHash, PasswordPolicy, Phone, Session, SessionGeneration, SessionId,
    SessionToken, SessionTokenHash,
};
use cardlife_kernel::{CustomerId, MerchantId, Secret};
use cardlife_store::merchants::staff::{StaffRecord, StaffSessionRecord, StaffStore};
use cardlife_store::tx::Tx;
use jiff::Timestamp;

use super::orders::StaticCode;
use super::{Application, MerchantView, MerchantsError};
use crate::{App, AppError};

/// The most static codes the portal lists.
pub const CODES_SHOWN_MAX: u32 = 20;

/// A staff member of a merchant, logged in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Staff {
    /// The staff member.
    pub id: uuid::Uuid,
    /// Login name.
    pub login: String,
    /// Whose staff.
    pub merchant: MerchantId,
}

/// A started staff session; the token is shown once.
#[derive(Debug)]
pub struct StaffSessionStarted {
    /// Who.
    pub staff: Staff,
    /// The session token (for the portal's cookie).
    pub token: Secret<String>,
}

fn entropy(buf: &mut [u8]) {
    rand::fill(buf);
}

/// 3–32 characters of `a-z 0-9 _ . -` (the operators' rule).
fn valid_login(login: &str) -> bool {
    (3..=32).contains(&login.len())
        && login
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_.-".contains(&b))
}

/// The customers' password policy. Staff have no phone of their own; the policy's "not the
/// phone number" rule is given a placeholder, which can never match a password the policy lets
/// through (a phone number is all digits, and all-digit passwords are refused first).
fn staff_password(text: &str, login: &str) -> Result<Password, AppError> {
    let placeholder = Phone::parse("13000000000")?;
    let password = Password::parse(text.to_owned(), &placeholder, &PasswordPolicy::DEFAULT)?;
    if text == login {
        return Err(MerchantsError::InvalidField {
            field: "password",
            reason: "must not be the login",
        }
        .into());
    }
    Ok(password)
}

impl App {
    fn staff_store(&self) -> StaffStore {
        StaffStore::new(self.db().clone())
    }

    /// Takes an application with the staff login the applicant will use on the portal; the
    /// merchant, its audit entry and the login commit together, or nothing is written.
    pub async fn apply_merchant_with_staff(
        &self,
        a: Application,
        login: &str,
        password: &Secret<String>,
    ) -> Result<MerchantView, AppError> {
        if !valid_login(login) {
            return Err(MerchantsError::InvalidField {
                field: "login",
                reason: "3–32 characters of a-z, 0-9, _ . -",
            }
            .into());
        }
        let password = staff_password(password.expose_secret(), login)?;
        let record = self.application_record(a)?;
        let params = &self.merchants().config.password_params;
        let hash = PasswordHash::create(&password, params, &mut entropy)?;
        let staff = StaffRecord {
            id: uuid::Uuid::now_v7(),
            merchant: record.id,
            login: login.to_owned(),
            password_phc: hash.as_phc().to_owned(),
            created_at: record.created_at,
        };
        let mut tx = Tx::begin(self.db()).await?;
        Self::insert_application(&mut tx, &record).await?;
        if !StaffStore::insert(&mut tx, &staff).await? {
            return Err(MerchantsError::LoginTaken.into());
        }
        tx.commit().await?;
        Ok(record.into())
    }

    /// Logs a staff member in; an unknown login and a wrong password answer the same
    /// `InvalidCredentials`. A merchant in any state may log in (to see its status).
    pub async fn staff_login(
        &self,
        login: &str,
        password: &Secret<String>,
    ) -> Result<StaffSessionStarted, AppError> {
        let store = self.staff_store();
        let record = store
            .by_login(login)
            .await?
            .ok_or(AppError::InvalidCredentials)?;
        PasswordHash::from_phc(record.password_phc.clone())?
            .verify(password.expose_secret())
            .map_err(|_| AppError::InvalidCredentials)?;
        let now = self.clock().now();
        let (session, token) = Session::start(
            CustomerId::from_uuid(record.id),
            SessionGeneration::default(),
            now,
            &mut entropy,
        );
        store
            .insert_session(&StaffSessionRecord {
                id: session.id().as_uuid(),
                staff: record.id,
                token_hash: *session.token_hash().as_bytes(),
                created_at: now,
                last_seen_at: now,
                ended_at: None,
            })
            .await?;
        Ok(StaffSessionStarted {
            staff: Staff {
                id: record.id,
                login: record.login,
                merchant: record.merchant,
            },
            token: token.reveal(),
        })
    }

    /// The staff member a session token belongs to; anything invalid, expired or ended answers
    /// `Unauthenticated`.
    pub async fn authenticate_staff(&self, token: &str) -> Result<Staff, AppError> {
        let parsed = SessionToken::parse(token).map_err(|_| AppError::Unauthenticated)?;
        let store = self.staff_store();
        let record = store
            .session_by_token(parsed.hash().as_bytes())
            .await?
            .ok_or(AppError::Unauthenticated)?;
        let mut session = Session::from_parts(
            SessionId::from_uuid(record.id),
            CustomerId::from_uuid(record.staff),
            SessionTokenHash::from_bytes(record.token_hash),
            SessionGeneration::default(),
            record.created_at,
            record.last_seen_at,
            record.ended_at,
        );
        let now = self.clock().now();
        session
            .validate(
                &parsed,
                SessionGeneration::default(),
                &self.merchants().config.session_policy,
                now,
            )
            .map_err(|_| AppError::Unauthenticated)?;
        store.touch_session(record.id, now).await?;
        let staff = store
            .by_id(record.staff)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        Ok(Staff {
            id: staff.id,
            login: staff.login,
            merchant: staff.merchant,
        })
    }

    /// Ends the staff session of `token` (logout); an unknown token changes nothing.
    pub async fn staff_logout(&self, token: &str) -> Result<(), AppError> {
        if let Ok(parsed) = SessionToken::parse(token) {
            let now = self.clock().now();
            self.staff_store()
                .end_session(parsed.hash().as_bytes(), now)
                .await?;
        }
        Ok(())
    }

    /// Ends the operator session of `token` (the console's logout).
    pub async fn operator_logout(&self, token: &str) -> Result<(), AppError> {
        if let Ok(parsed) = SessionToken::parse(token) {
            let now: Timestamp = self.clock().now();
            self.staff_store()
                .end_operator_session(parsed.hash().as_bytes(), now)
                .await?;
        }
        Ok(())
    }

    /// The merchant's static codes, newest first, for printing.
    pub async fn static_codes(&self, merchant: MerchantId) -> Result<Vec<StaticCode>, AppError> {
        let rows = self
            .staff_store()
            .codes_of(merchant, "static", CODES_SHOWN_MAX)
            .await?;
        Ok(rows
            .into_iter()
            .map(|(id, payload)| StaticCode { id, payload })
            .collect())
    }
}
