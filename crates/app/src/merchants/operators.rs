//! Operators — the bank's staff — with roles, sessions and the audit log (docs/merchants.md).
//! Sessions use the customers' token scheme (32 random bytes shown once, SHA-256 stored, idle
//! and absolute timeouts); roles gate every operator use case here, not only at the edge.

use std::fmt;

use cardlife_customers::{
    Password, PasswordHash, PasswordPolicy, Phone, Session, SessionGeneration, SessionId,
    SessionToken, SessionTokenHash,
};
use cardlife_kernel::{CustomerId, Secret};
use cardlife_store::audit::{self, AuditEntry, AuditRecord};
use cardlife_store::merchants::operators::{OperatorRecord, OperatorSessionRecord, OperatorStore};
use cardlife_store::tx::Tx;
use jiff::Timestamp;

use super::MerchantsError;
use crate::{App, AppError};

/// What an operator may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Reads dashboards and records.
    Viewer,
    /// Runs campaigns.
    CampaignManager,
    /// Reviews merchant applications; approves, rejects, suspends.
    MerchantReviewer,
    /// Reads the audit log; risk decisions.
    RiskOfficer,
    /// Everything, including creating operators.
    Admin,
}

impl Role {
    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Viewer => "viewer",
            Self::CampaignManager => "campaign_manager",
            Self::MerchantReviewer => "merchant_reviewer",
            Self::RiskOfficer => "risk_officer",
            Self::Admin => "admin",
        }
    }

    /// A role by name.
    pub fn parse(text: &str) -> Result<Self, MerchantsError> {
        Ok(match text {
            "viewer" => Self::Viewer,
            "campaign_manager" => Self::CampaignManager,
            "merchant_reviewer" => Self::MerchantReviewer,
            "risk_officer" => Self::RiskOfficer,
            "admin" => Self::Admin,
            other => return Err(MerchantsError::UnknownRole(other.to_owned())),
        })
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An authenticated operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operator {
    /// The operator's id.
    pub id: uuid::Uuid,
    /// Login name.
    pub login: String,
    /// Role.
    pub role: Role,
}

impl Operator {
    /// `Ok` when the operator holds `needed` (an admin holds every role).
    pub fn require(&self, needed: Role) -> Result<(), AppError> {
        self.require_any(&[needed])
    }

    /// `Ok` when the operator holds one of `roles` (an admin holds every role).
    pub fn require_any(&self, roles: &[Role]) -> Result<(), AppError> {
        if self.role == Role::Admin || roles.contains(&self.role) {
            Ok(())
        } else {
            let needed = roles.first().copied().unwrap_or(Role::Admin);
            Err(AppError::Merchants(MerchantsError::ForbiddenRole {
                needed,
            }))
        }
    }
}

/// A new operator.
#[derive(Debug)]
pub struct NewOperator {
    /// Login name: 3–32 characters of `[a-z0-9_.-]`.
    pub login: String,
    /// Mobile phone (kept masked only).
    pub phone: String,
    /// Password (argon2id).
    pub password: Secret<String>,
    /// Role.
    pub role: Role,
}

/// A started operator session; the token is shown once.
#[derive(Debug)]
pub struct OperatorSessionStarted {
    /// The operator.
    pub operator: Operator,
    /// Bearer token.
    pub token: Secret<String>,
    /// Latest end.
    pub expires_at: Timestamp,
}

fn entropy(buf: &mut [u8]) {
    rand::fill(buf);
}

fn valid_login(login: &str) -> bool {
    (3..=32).contains(&login.len())
        && login
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_.-".contains(&b))
}

/// Who did something, for the audit log.
pub(crate) fn operator_entry(
    operator: &Operator,
    at: Timestamp,
    action: &'static str,
    subject_kind: &'static str,
    subject_id: String,
    detail: serde_json::Value,
) -> AuditEntry {
    AuditEntry {
        at,
        actor_kind: "operator",
        actor_id: operator.id.to_string(),
        action,
        subject_kind,
        subject_id,
        detail: detail.to_string(),
    }
}

impl App {
    fn operator_store(&self) -> OperatorStore {
        OperatorStore::new(self.db().clone())
    }

    /// Creates an operator. `by` is the admin doing it, or `None` for the bootstrap admin made
    /// from the command line or the internal API (audited as `system`).
    pub async fn create_operator(
        &self,
        new: NewOperator,
        by: Option<&Operator>,
    ) -> Result<Operator, AppError> {
        if let Some(by) = by {
            by.require(Role::Admin)?;
        }
        if !valid_login(&new.login) {
            return Err(MerchantsError::InvalidField {
                field: "login",
                reason: "3–32 characters of a-z, 0-9, _ . -",
            }
            .into());
        }
        let phone = Phone::parse(&new.phone)?;
        let password = Password::parse(
            new.password.expose_secret().clone(),
            &phone,
            &PasswordPolicy::DEFAULT,
        )?;
        let config = &self.merchants().config;
        let hash = PasswordHash::create(&password, &config.password_params, &mut entropy)?;
        let now = self.clock().now();
        let record = OperatorRecord {
            id: uuid::Uuid::now_v7(),
            login: new.login.clone(),
            phone_masked: phone.masked(),
            role: new.role.as_str().to_owned(),
            password_phc: hash.as_phc().to_owned(),
            created_at: now,
        };
        let mut tx = Tx::begin(self.db()).await?;
        if !OperatorStore::insert(&mut tx, &record).await? {
            return Err(MerchantsError::LoginTaken.into());
        }
        let (actor_kind, actor_id) = by.map_or(("system", "bootstrap".to_owned()), |o| {
            ("operator", o.id.to_string())
        });
        let entry = AuditEntry {
            at: now,
            actor_kind,
            actor_id,
            action: "operator.create",
            subject_kind: "operator",
            subject_id: record.id.to_string(),
            detail: serde_json::json!({ "login": record.login, "role": record.role }).to_string(),
        };
        audit::record(&mut tx, &entry).await?;
        tx.commit().await?;
        Ok(Operator {
            id: record.id,
            login: record.login,
            role: new.role,
        })
    }

    /// Logs an operator in with login and password. Unknown login and wrong password answer the
    /// same `InvalidCredentials`.
    pub async fn operator_login(
        &self,
        login: &str,
        password: &Secret<String>,
    ) -> Result<OperatorSessionStarted, AppError> {
        let store = self.operator_store();
        let record = store
            .by_login(login)
            .await?
            .ok_or(AppError::InvalidCredentials)?;
        PasswordHash::from_phc(record.password_phc.clone())?
            .verify(password.expose_secret())
            .map_err(|_| AppError::InvalidCredentials)?;
        let operator = operator_of(&record)?;
        let now = self.clock().now();
        // The customers' session scheme, keyed by the operator's id.
        let (session, token) = Session::start(
            CustomerId::from_uuid(operator.id),
            SessionGeneration::default(),
            now,
            &mut entropy,
        );
        store
            .insert_session(&OperatorSessionRecord {
                id: session.id().as_uuid(),
                operator: operator.id,
                token_hash: *session.token_hash().as_bytes(),
                created_at: now,
                last_seen_at: now,
                ended_at: None,
            })
            .await?;
        let policy = &self.merchants().config.session_policy;
        Ok(OperatorSessionStarted {
            operator,
            token: token.reveal(),
            expires_at: now.checked_add(policy.absolute()).unwrap_or(now),
        })
    }

    /// The operator a bearer token belongs to; any invalid, expired or ended token answers
    /// `Unauthenticated`.
    pub async fn authenticate_operator(&self, token: &str) -> Result<Operator, AppError> {
        let parsed = SessionToken::parse(token).map_err(|_| AppError::Unauthenticated)?;
        let store = self.operator_store();
        let record = store
            .session_by_token(parsed.hash().as_bytes())
            .await?
            .ok_or(AppError::Unauthenticated)?;
        let mut session = Session::from_parts(
            SessionId::from_uuid(record.id),
            CustomerId::from_uuid(record.operator),
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
        let operator = store
            .by_id(record.operator)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        operator_of(&operator)
    }

    /// The newest audit entries (admin or risk officer).
    pub async fn audit_log(&self, by: &Operator, limit: u32) -> Result<Vec<AuditRecord>, AppError> {
        by.require_any(&[Role::RiskOfficer, Role::Admin])?;
        Ok(audit::newest(self.db(), limit).await?)
    }
}

fn operator_of(record: &OperatorRecord) -> Result<Operator, AppError> {
    Ok(Operator {
        id: record.id,
        login: record.login.clone(),
        role: Role::parse(&record.role)?,
    })
}
