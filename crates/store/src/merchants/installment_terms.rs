//! Merchant installment terms (商户分期, 贴息; docs/api.md, "Merchant installments"): for each
//! merchant, the numbers of periods it pays the installment fee for and the fee rate per period
//! it pays; and which merchant a card purchase was made at (the order its authorisation paid).

use cardlife_kernel::MerchantId;
use jiff::Timestamp;
use sqlx::Row;

use super::{ns, uuid_of};
use crate::both::on_pool;
use crate::db::Db;
use crate::error::StoreError;
use crate::tx::{Tx, on_tx};

/// One term a merchant pays the fee for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TermRecord {
    /// 1–60.
    pub periods: u32,
    /// The fee rate per period the merchant pays, in 10⁻⁸.
    pub rate_e8: i64,
}

/// The merchant installment terms table.
#[derive(Debug, Clone)]
pub struct InstallmentTermsStore {
    db: Db,
}

impl InstallmentTermsStore {
    /// The table of `db` (migrated).
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// Replaces every term of `merchant` with `terms`, in one transaction.
    pub async fn replace(
        &self,
        merchant: MerchantId,
        terms: &[TermRecord],
        at: Timestamp,
    ) -> Result<(), StoreError> {
        let id = merchant.as_uuid().to_string();
        let mut tx = Tx::begin(&self.db).await?;
        on_tx!(&mut tx, |conn| {
            sqlx::query("DELETE FROM merchant_installment_terms WHERE merchant_id = $1")
                .bind(&id)
                .execute(conn)
                .await
                .map(|_| ())
        })?;
        for t in terms {
            on_tx!(&mut tx, |conn| {
                sqlx::query(
                    "INSERT INTO merchant_installment_terms (merchant_id, periods, rate_e8, \
                     updated_at_ns) VALUES ($1, $2, $3, $4)",
                )
                .bind(&id)
                .bind(i64::from(t.periods))
                .bind(t.rate_e8)
                .bind(ns(at))
                .execute(conn)
                .await
                .map(|_| ())
            })?;
        }
        tx.commit().await
    }

    /// The merchant's terms, by periods.
    pub async fn terms(&self, merchant: MerchantId) -> Result<Vec<TermRecord>, StoreError> {
        let sql = "SELECT periods, rate_e8 FROM merchant_installment_terms \
                   WHERE merchant_id = $1 ORDER BY periods";
        let rows = on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(merchant.as_uuid().to_string())
                .fetch_all(pool)
                .await?
                .into_iter()
                .map(|r| {
                    let periods: i64 = r.try_get("periods")?;
                    Ok::<_, StoreError>(TermRecord {
                        periods: u32::try_from(periods)
                            .map_err(|_| StoreError::Corrupt("installment periods"))?,
                        rate_e8: r.try_get("rate_e8")?,
                    })
                })
                .collect::<Result<Vec<_>, _>>()
        })?;
        Ok(rows)
    }

    /// The merchant a card purchase was made at: the merchant of the order that authorisation
    /// `auth` (its main-ledger id, as a UUID) paid; `None` for a purchase made elsewhere.
    pub async fn merchant_of_purchase(
        &self,
        auth: uuid::Uuid,
    ) -> Result<Option<MerchantId>, StoreError> {
        let sql = "SELECT merchant_id FROM payment_orders WHERE funding_auth_id = $1 LIMIT 1";
        let found: Option<String> = on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(auth.to_string())
                .fetch_optional(pool)
                .await?
                .map(|r| r.try_get::<String, _>("merchant_id"))
                .transpose()
        })?;
        found
            .map(|m| uuid_of(&m, "merchant id").map(MerchantId::from_uuid))
            .transpose()
    }
}
