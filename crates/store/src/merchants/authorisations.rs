//! The card authorisation behind each paid order (`payment_authorisations`, docs/merchants.md,
//! "Recovery of interrupted payments"): written as soon as the funding side places it, read by
//! the recovery sweep after a restart.

use jiff::Timestamp;
use sqlx::Row;

use super::{ns, uuid_of};
use crate::both::on_pool;
use crate::db::Db;
use crate::error::StoreError;

/// The orders' authorisations.
#[derive(Debug, Clone)]
pub struct AuthorisationStore {
    db: Db,
}

impl AuthorisationStore {
    /// The table of `db` (migrated).
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// Notes that `auth` pays `order`, durably. The first note wins: an order is paid by one
    /// authorisation, and a repeat of the same note changes nothing. `Ok(false)` when another
    /// authorisation was already noted.
    pub async fn note(
        &self,
        order: uuid::Uuid,
        auth: u128,
        at: Timestamp,
    ) -> Result<bool, StoreError> {
        let sql = "INSERT INTO payment_authorisations (order_id, auth_id, at_ns) VALUES ($1, $2, $3) \
                   ON CONFLICT (order_id) DO NOTHING";
        on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(order.to_string())
                .bind(uuid::Uuid::from_u128(auth).to_string())
                .bind(ns(at))
                .execute(pool)
                .await
                .map(|_| ())
        })?;
        Ok(self.of_order(order).await? == Some(auth))
    }

    /// The authorisation noted for `order`, if any.
    pub async fn of_order(&self, order: uuid::Uuid) -> Result<Option<u128>, StoreError> {
        let sql = "SELECT auth_id FROM payment_authorisations WHERE order_id = $1";
        let found: Option<String> = on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(order.to_string())
                .fetch_optional(pool)
                .await?
                .map(|r| r.try_get::<String, _>("auth_id"))
                .transpose()
        })?;
        found
            .map(|t| uuid_of(&t, "authorisation id").map(|u| u.as_u128()))
            .transpose()
    }
}
