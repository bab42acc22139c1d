//! A merchant's fee schedule per payment type (migration `0023_merchant_channels.sql`,
//! docs/merchants.md "Fees by payment type").

use cardlife_kernel::MerchantId;
use jiff::Timestamp;
use sqlx::Row;

use super::{instant, ns};
use crate::both::on_pool;
use crate::db::Db;
use crate::error::StoreError;
use crate::tx::{Tx, on_tx};

/// One stored schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeeScheduleRecord {
    /// The merchant.
    pub merchant: MerchantId,
    /// `merchant_qr` or `pay_code`.
    pub payment_type: String,
    /// A decimal rate, `0.0038`.
    pub rate: String,
    /// The least fee per payment.
    pub minimum_fen: i64,
    /// The most fee per payment, if any.
    pub cap_fen: Option<i64>,
    /// Set or last changed.
    pub updated_at: Timestamp,
}

/// Reads and writes fee schedules.
#[derive(Debug, Clone)]
pub struct FeeStore {
    db: Db,
}

impl FeeStore {
    /// Over this database.
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// Sets (or replaces) the merchant's schedule for its payment type.
    pub async fn put(tx: &mut Tx, r: &FeeScheduleRecord) -> Result<(), StoreError> {
        let sql = "INSERT INTO merchant_fee_schedules (merchant_id, payment_type, rate, \
                   minimum_fen, cap_fen, updated_at_ns) VALUES ($1, $2, $3, $4, $5, $6) \
                   ON CONFLICT (merchant_id, payment_type) DO UPDATE SET rate = excluded.rate, \
                   minimum_fen = excluded.minimum_fen, cap_fen = excluded.cap_fen, \
                   updated_at_ns = excluded.updated_at_ns";
        on_tx!(tx, |conn| {
            sqlx::query(sql)
                .bind(r.merchant.as_uuid().to_string())
                .bind(&r.payment_type)
                .bind(&r.rate)
                .bind(r.minimum_fen)
                .bind(r.cap_fen)
                .bind(ns(r.updated_at))
                .execute(conn)
                .await
                .map(|_| ())
        })?;
        Ok(())
    }

    /// The merchant's schedule for `payment_type`, if one was set.
    pub async fn of(
        &self,
        merchant: MerchantId,
        payment_type: &str,
    ) -> Result<Option<FeeScheduleRecord>, StoreError> {
        let sql = "SELECT rate, minimum_fen, cap_fen, updated_at_ns FROM merchant_fee_schedules \
                   WHERE merchant_id = $1 AND payment_type = $2";
        let row = on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(merchant.as_uuid().to_string())
                .bind(payment_type)
                .fetch_optional(pool)
                .await?
                .map(|r| {
                    Ok::<_, sqlx::Error>((
                        r.try_get::<String, _>("rate")?,
                        r.try_get::<i64, _>("minimum_fen")?,
                        r.try_get::<Option<i64>, _>("cap_fen")?,
                        r.try_get::<i64, _>("updated_at_ns")?,
                    ))
                })
                .transpose()?
        });
        row.map(|(rate, minimum_fen, cap_fen, at)| {
            Ok(FeeScheduleRecord {
                merchant,
                payment_type: payment_type.to_owned(),
                rate,
                minimum_fen,
                cap_fen,
                updated_at: instant(at)?,
            })
        })
        .transpose()
    }
}
