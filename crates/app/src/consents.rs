//! PIPL consents (docs/identity.md, "Consents"): marketing, sensitive personal information and
//! third-party sharing, each an explicit act the customer takes for a version of its text, each
//! withdrawable, none granted by default. The stored events replayed are the customer's
//! [`Consents`], kept whole as evidence.

use cardlife_customers::CustomerError;
use cardlife_kernel::CustomerId;
use cardlife_store::StoreError;
use cardlife_store::consents::{ConsentEvent, ConsentStore};

pub use cardlife_customers::{ConsentEnd, ConsentGrant, ConsentKind, ConsentTextVersion, Consents};

use crate::{App, AppError};

/// The version of each consent text now published; a grant must name it (the customer read it).
pub const CONSENT_TEXT_VERSION: ConsentTextVersion = ConsentTextVersion(1);

/// Attempts at appending when another request of the same customer took the same number.
const APPEND_ATTEMPTS: usize = 3;

/// The kind whose code is `code`.
pub fn consent_kind(code: &str) -> Option<ConsentKind> {
    ConsentKind::ALL.into_iter().find(|k| k.code() == code)
}

fn replay(events: &[ConsentEvent]) -> Result<Consents, AppError> {
    let mut consents = Consents::none();
    for e in events {
        let kind = consent_kind(&e.kind).ok_or(StoreError::Corrupt("consent kind"))?;
        if e.grant {
            let version = e
                .text_version
                .ok_or(StoreError::Corrupt("consent version"))?;
            consents.grant(kind, ConsentTextVersion(version), e.at);
        } else {
            consents
                .withdraw(kind, e.at)
                .map_err(|_| StoreError::Corrupt("consent withdrawal"))?;
        }
    }
    Ok(consents)
}

impl App {
    fn consent_store(&self) -> ConsentStore {
        ConsentStore::new(self.db().clone())
    }

    /// The customer's consents, with their whole history.
    pub async fn consents(&self, customer: CustomerId) -> Result<Consents, AppError> {
        replay(&self.consent_store().events(customer).await?)
    }

    /// Grants `kind` for the text the customer read (it must be the published version).
    pub async fn grant_consent(
        &self,
        customer: CustomerId,
        kind: ConsentKind,
    ) -> Result<Consents, AppError> {
        self.change_consent(customer, kind, true).await
    }

    /// Withdraws `kind`; refused (`ConsentNotGranted`) when it is not in force.
    pub async fn withdraw_consent(
        &self,
        customer: CustomerId,
        kind: ConsentKind,
    ) -> Result<Consents, AppError> {
        self.change_consent(customer, kind, false).await
    }

    async fn change_consent(
        &self,
        customer: CustomerId,
        kind: ConsentKind,
        grant: bool,
    ) -> Result<Consents, AppError> {
        let store = self.consent_store();
        for _ in 0..APPEND_ATTEMPTS {
            let events = store.events(customer).await?;
            let mut consents = replay(&events)?;
            let now = self.clock().now();
            if grant {
                consents.grant(kind, CONSENT_TEXT_VERSION, now);
            } else {
                consents.withdraw(kind, now)?;
            }
            let event = ConsentEvent {
                kind: kind.code().to_owned(),
                grant,
                text_version: grant.then_some(CONSENT_TEXT_VERSION.0),
                at: now,
            };
            let seq = u64::try_from(events.len())
                .unwrap_or(u64::MAX)
                .saturating_add(1);
            if store.append(customer, seq, &event).await? {
                return Ok(consents);
            }
        }
        Err(AppError::Customer(CustomerError::ConsentNotGranted {
            kind,
        }))
    }
}
