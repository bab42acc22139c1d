//! Debit cards a customer binds for loan disbursement and repayment (docs/loans.md), on either
//! backend. Only the lookup HMAC, the AES-GCM vault ciphertext, the masked first 6 + last 4 and
//! a masked holder name are stored; the types crossing this boundary are the customers
//! context's own.

use cardlife_customers::{CardLookupToken, TokenisedCard, VaultedPan};
use cardlife_kernel::CustomerId;
use jiff::Timestamp;

use crate::both::on_pool;
use crate::db::Db;
use crate::error::StoreError;

/// A bound debit card as stored (never the number in clear).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DebitCardRecord {
    /// The card's id.
    pub id: uuid::Uuid,
    /// Whose card it is.
    pub customer: CustomerId,
    /// First 6 + last 4.
    pub masked: String,
    /// The holder's name, masked (`张*`), when given.
    pub holder_name_masked: Option<String>,
    /// When it was bound.
    pub created_at: Timestamp,
}

/// What binding found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bound {
    /// Newly bound.
    New(DebitCardRecord),
    /// This customer bound this card before.
    Again(DebitCardRecord),
    /// Another customer has bound this card.
    Elsewhere,
}

/// The `debit_cards` table.
#[derive(Debug, Clone)]
pub struct DebitCardStore {
    db: Db,
}

fn ns(t: Timestamp) -> i64 {
    i64::try_from(t.as_nanosecond()).unwrap_or(i64::MAX)
}

type Row = (String, String, String, Option<String>, i64);

fn record(r: Row) -> Result<DebitCardRecord, StoreError> {
    Ok(DebitCardRecord {
        id: r
            .0
            .parse()
            .map_err(|_| StoreError::Corrupt("debit card id"))?,
        customer: r
            .1
            .parse::<uuid::Uuid>()
            .map(CustomerId::from_uuid)
            .map_err(|_| StoreError::Corrupt("customer id"))?,
        masked: r.2,
        holder_name_masked: r.3,
        created_at: Timestamp::from_nanosecond(i128::from(r.4))
            .map_err(|_| StoreError::Corrupt("instant"))?,
    })
}

/// Selects every column [`record`] reads, ending with `WHERE` and the condition given.
macro_rules! select {
    ($where:literal) => {
        concat!(
            "SELECT id, customer_id, masked, holder_name_masked, created_at_ns FROM debit_cards WHERE ",
            $where
        )
    };
}

impl DebitCardStore {
    /// The table of `db` (migrated).
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// Binds `card` to `customer` unless the number is bound already (to them or to another).
    pub async fn bind(
        &self,
        customer: CustomerId,
        card: &TokenisedCard,
        holder_name_masked: Option<&str>,
        now: Timestamp,
    ) -> Result<Bound, StoreError> {
        if let Some(existing) = self.by_lookup(card.lookup()).await? {
            return Ok(if existing.customer == customer {
                Bound::Again(existing)
            } else {
                Bound::Elsewhere
            });
        }
        let id = uuid::Uuid::now_v7();
        let vaulted: &VaultedPan = card.vaulted();
        let sql = "INSERT INTO debit_cards (id, customer_id, card_lookup, vault_key_id, vault_nonce, \
                   vault_ciphertext, masked, holder_name_masked, created_at_ns) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING";
        let inserted = on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(id.to_string())
                .bind(customer.as_uuid().to_string())
                .bind(card.lookup().as_bytes().as_slice())
                .bind(i64::from(vaulted.key_id.0))
                .bind(vaulted.nonce.as_slice())
                .bind(vaulted.ciphertext.as_slice())
                .bind(card.masked())
                .bind(holder_name_masked)
                .bind(ns(now))
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        })?;
        if inserted == 0 {
            // A concurrent bind of the same number won; answer as if we had come second.
            return match self.by_lookup(card.lookup()).await? {
                Some(e) if e.customer == customer => Ok(Bound::Again(e)),
                _ => Ok(Bound::Elsewhere),
            };
        }
        Ok(Bound::New(DebitCardRecord {
            id,
            customer,
            masked: card.masked().to_owned(),
            holder_name_masked: holder_name_masked.map(str::to_owned),
            created_at: now,
        }))
    }

    async fn by_lookup(
        &self,
        lookup: &CardLookupToken,
    ) -> Result<Option<DebitCardRecord>, StoreError> {
        let sql = select!("card_lookup = $1");
        let row: Option<Row> = on_pool!(&self.db, |pool| {
            sqlx::query_as(sql)
                .bind(lookup.as_bytes().as_slice())
                .fetch_optional(pool)
                .await
        })?;
        row.map(record).transpose()
    }

    /// The customer's card `id`; `None` when it does not exist or is another customer's.
    pub async fn by_id(
        &self,
        id: uuid::Uuid,
        customer: CustomerId,
    ) -> Result<Option<DebitCardRecord>, StoreError> {
        let sql = select!("id = $1 AND customer_id = $2");
        let row: Option<Row> = on_pool!(&self.db, |pool| {
            sqlx::query_as(sql)
                .bind(id.to_string())
                .bind(customer.as_uuid().to_string())
                .fetch_optional(pool)
                .await
        })?;
        row.map(record).transpose()
    }

    /// Every card of the customer, oldest first.
    pub async fn list(&self, customer: CustomerId) -> Result<Vec<DebitCardRecord>, StoreError> {
        let sql = select!("customer_id = $1 ORDER BY id");
        let rows: Vec<Row> = on_pool!(&self.db, |pool| {
            sqlx::query_as(sql)
                .bind(customer.as_uuid().to_string())
                .fetch_all(pool)
                .await
        })?;
        rows.into_iter().map(record).collect()
    }
}
