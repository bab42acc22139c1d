//! Own-bank credit cards bound in the app by their holder (migration `0020`; docs/identity.md,
//! "Binding cards"): the holder types the number and expiry of a card the bank issued to them,
//! it is found by its lookup token within their own accounts only, and the binding is kept.

use cardlife_customers::Pan;
use jiff::Timestamp;
use uuid::Uuid;

use super::error::CreditError;
use super::view::CardView;
use super::{CreditService, uuid};
use crate::both::on_pool;

impl CreditService {
    /// The holder's card with this number, masked. An unknown number and another holder's card
    /// answer the same [`CreditError::CardNotFound`].
    pub async fn card_by_pan(&self, pan: &Pan, customer_id: Uuid) -> Result<CardView, CreditError> {
        let lookup = self.keys.lookup(pan).to_vec();
        let customer = customer_id.to_string();
        let sql = "SELECT c.id, c.account_id, c.first6, c.last4, c.expires FROM credit_cards c \
                   JOIN credit_accounts a ON a.id = c.account_id \
                   WHERE c.pan_lookup = $1 AND a.customer_id = $2";
        type Row = (String, String, String, String, String);
        let row: Option<Row> = on_pool!(&self.db, |pool| {
            sqlx::query_as(sql)
                .bind(&lookup)
                .bind(&customer)
                .fetch_optional(pool)
                .await?
        });
        let (id, account_id, first6, last4, expires) = row.ok_or(CreditError::CardNotFound)?;
        Ok(CardView {
            id: uuid(&id)?,
            account_id: uuid(&account_id)?,
            first6,
            last4,
            expires,
        })
    }

    /// Binds the holder's card `card`; whether the binding is new (binding again is harmless).
    pub async fn bind_card(
        &self,
        card: Uuid,
        customer_id: Uuid,
        now: Timestamp,
    ) -> Result<bool, CreditError> {
        let sql = "INSERT INTO credit_card_bindings (card_id, customer_id, bound_at_ns) \
                   VALUES ($1, $2, $3) ON CONFLICT (card_id) DO NOTHING";
        let at = i64::try_from(now.as_nanosecond())
            .map_err(|_| CreditError::Corrupt("binding time".into()))?;
        let (card, customer) = (card.to_string(), customer_id.to_string());
        let done = on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(&card)
                .bind(&customer)
                .bind(at)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(done == 1)
    }

    /// The holder's bound cards, with when each was bound, oldest first.
    pub async fn bound_cards(
        &self,
        customer_id: Uuid,
    ) -> Result<Vec<(Uuid, Timestamp)>, CreditError> {
        let sql = "SELECT card_id, bound_at_ns FROM credit_card_bindings \
                   WHERE customer_id = $1 ORDER BY bound_at_ns, card_id";
        let customer = customer_id.to_string();
        let rows: Vec<(String, i64)> = on_pool!(&self.db, |pool| {
            sqlx::query_as(sql).bind(&customer).fetch_all(pool).await?
        });
        rows.into_iter()
            .map(|(card, at)| {
                let at = Timestamp::from_nanosecond(i128::from(at))
                    .map_err(|_| CreditError::Corrupt("binding time".into()))?;
                Ok((uuid(&card)?, at))
            })
            .collect()
    }
}
