//! Real-name details (实名信息) and devices (docs/identity.md): the PIPL rights to see, correct and
//! erase one's own details, a pluggable real-name check, and the list of devices a customer is
//! logged in from, each of which can be signed out.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use cardlife_customers::{
    CustomerError, DeviceHint, RealName, ResidentId, ResidentIdLookupKey, SealedRealName,
    VaultKeyring,
};
use cardlife_kernel::{BusinessZone, CustomerId};
use cardlife_store::customers::{DeviceRecord, RealNameRecord};
use jiff::Timestamp;
use jiff::civil::Date;

use crate::{App, AppError, Missing};

/// What the real-name check said about a name and ID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RealNameVerdict {
    /// The details identify a real person who may hold the bank's products.
    Verified,
    /// Refused, with a stable reason code (`under_18`, `name_mismatch`, …).
    Rejected(&'static str),
}

/// The seam for the real-name check. Production plugs in the identity-verification provider (a
/// network call, hence the future); [`AdultCheck`] is the offline default.
pub trait RealNameCheck: Send + Sync + fmt::Debug {
    /// Checks `name` with `id` on `today`.
    fn check<'a>(
        &'a self,
        name: &'a RealName,
        id: &'a ResidentId,
        today: Date,
    ) -> Pin<Box<dyn Future<Output = Result<RealNameVerdict, AppError>> + Send + 'a>>;
}

/// The offline check: a well-formed ID (its check character and birth date were verified when
/// it was parsed) of a holder who is 18 or older today. It cannot compare the name with a
/// register, so it never answers `name_mismatch`.
#[derive(Debug, Clone, Copy, Default)]
pub struct AdultCheck;

/// The age from which a customer may hold a credit product.
const ADULT_AGE: i16 = 18;

impl RealNameCheck for AdultCheck {
    fn check<'a>(
        &'a self,
        _name: &'a RealName,
        id: &'a ResidentId,
        today: Date,
    ) -> Pin<Box<dyn Future<Output = Result<RealNameVerdict, AppError>> + Send + 'a>> {
        let adult = id.birth_date().is_some_and(|born| {
            born.checked_add(jiff::Span::new().years(ADULT_AGE))
                .is_ok_and(|of_age| of_age <= today)
        });
        Box::pin(async move {
            Ok(if adult {
                RealNameVerdict::Verified
            } else {
                RealNameVerdict::Rejected("under_18")
            })
        })
    }
}

/// The keys and the check of the real-name layer.
pub struct RealNameConfig {
    /// Keys the resident-ID lookup HMAC.
    pub lookup_key: ResidentIdLookupKey,
    /// Seals name and ID.
    pub vault: VaultKeyring,
    /// The real-name check.
    pub check: Box<dyn RealNameCheck>,
}

impl RealNameConfig {
    /// Fresh random keys (a restart forgets them: the binary passes persistent keys) and the
    /// offline check.
    pub fn random() -> Self {
        Self::new(rand::random(), rand::random())
    }

    /// The given keys and the offline check.
    pub fn new(lookup_key: [u8; 32], vault_key: [u8; 32]) -> Self {
        use cardlife_customers::{VaultKey, VaultKeyId};
        Self {
            lookup_key: ResidentIdLookupKey::new(lookup_key),
            vault: VaultKeyring::new(VaultKey::new(VaultKeyId(1), vault_key)),
            check: Box::new(AdultCheck),
        }
    }
}

impl fmt::Debug for RealNameConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RealNameConfig")
            .field("check", &self.check)
            .finish_non_exhaustive()
    }
}

/// A customer's real-name details as they are shown: masked only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RealNameView {
    /// `张*`.
    pub name_masked: String,
    /// `110***********002X`.
    pub id_masked: String,
    /// When the check passed.
    pub verified_at: Option<Timestamp>,
    /// Why the check refused, when it did.
    pub rejected: Option<String>,
}

impl From<RealNameRecord> for RealNameView {
    fn from(r: RealNameRecord) -> Self {
        Self {
            name_masked: r.name_masked,
            id_masked: r.id_masked,
            verified_at: r.verified_at,
            rejected: r.rejected,
        }
    }
}

/// One of the customer's devices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceView {
    /// Its id, for signing it out.
    pub id: String,
    /// The name the client gave.
    pub name: String,
    /// First login from it.
    pub first_seen: Timestamp,
    /// Latest login from it.
    pub last_seen: Timestamp,
    /// Whether it is the device asking (when the caller said which it is).
    pub current: bool,
}

impl App {
    /// The customer's real-name details, masked.
    pub async fn real_name(&self, customer: CustomerId) -> Result<RealNameView, AppError> {
        self.identity()
            .store
            .real_name(customer)
            .await?
            .map(RealNameView::from)
            .ok_or(AppError::NotFound(Missing::RealName))
    }

    /// Sets or corrects the customer's details and runs the real-name check on them. Refused
    /// without writing when a field is malformed or another customer holds the ID.
    pub async fn set_real_name(
        &self,
        customer: CustomerId,
        name: &str,
        resident_id: &str,
    ) -> Result<RealNameView, AppError> {
        let name = RealName::parse(name)?;
        let id = ResidentId::parse(resident_id)?;
        let config = &self.identity().real_name;
        let today = BusinessZone::shanghai().today(self.clock().as_ref());
        let verdict = config.check.check(&name, &id, today).await?;
        let now = self.clock().now();
        let record = RealNameRecord {
            name_masked: name.masked(),
            id_masked: id.masked(),
            sealed: SealedRealName::seal(&name, &id, config.vault.active(), &mut rand_fill)?,
            verified_at: (verdict == RealNameVerdict::Verified).then_some(now),
            rejected: match verdict {
                RealNameVerdict::Verified => None,
                RealNameVerdict::Rejected(reason) => Some(reason.to_owned()),
            },
            updated_at: now,
        };
        let lookup = config.lookup_key.token_for(&id);
        if !self
            .identity()
            .store
            .put_real_name(customer, &lookup, &record)
            .await?
        {
            return Err(CustomerError::ResidentIdInUse.into());
        }
        Ok(record.into())
    }

    /// Erases the customer's details (the PIPL right to deletion), refused while the customer
    /// holds a credit account, a loan or a credit line (the bank must keep them then).
    pub async fn erase_real_name(&self, customer: CustomerId) -> Result<(), AppError> {
        let store = &self.identity().store;
        if store.holds_credit(customer).await? {
            return Err(CustomerError::RealNameKeptForCredit.into());
        }
        if store.delete_real_name(customer).await? {
            Ok(())
        } else {
            Err(AppError::NotFound(Missing::RealName))
        }
    }

    /// The customer's devices, most recently used first; `current` marks the asking device.
    pub async fn devices(
        &self,
        customer: CustomerId,
        current: Option<&DeviceHint>,
    ) -> Result<Vec<DeviceView>, AppError> {
        let mine = current.map(|d| d.fingerprint(customer));
        Ok(self
            .identity()
            .store
            .devices(customer)
            .await?
            .into_iter()
            .map(|d: DeviceRecord| DeviceView {
                current: mine == Some(d.fingerprint),
                id: d.id,
                name: d.name,
                first_seen: d.first_seen,
                last_seen: d.last_seen,
            })
            .collect())
    }

    /// Signs the customer out of a device: its sessions end and it leaves the list.
    pub async fn remove_device(&self, customer: CustomerId, device: &str) -> Result<(), AppError> {
        if self
            .identity()
            .store
            .remove_device(customer, device, self.clock().now())
            .await?
        {
            Ok(())
        } else {
            Err(AppError::NotFound(Missing::Device))
        }
    }
}

fn rand_fill(buf: &mut [u8]) {
    rand::fill(buf);
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn verdict(id: &str, today: &str) -> RealNameVerdict {
        let name = RealName::parse("张三").unwrap();
        let id = ResidentId::parse(id).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(AdultCheck.check(&name, &id, today.parse().unwrap()))
            .unwrap()
    }

    #[test]
    fn the_offline_check_passes_from_the_eighteenth_birthday_on() {
        // Born 2008-02-29: of age on 2026-02-28 (jiff clamps the leap day), not the day before.
        let id = "110105200802290011";
        assert_eq!(
            verdict(id, "2026-02-27"),
            RealNameVerdict::Rejected("under_18")
        );
        assert_eq!(verdict(id, "2026-02-28"), RealNameVerdict::Verified);
        assert_eq!(
            verdict("11010519491231002X", "2026-11-26"),
            RealNameVerdict::Verified
        );
    }
}
