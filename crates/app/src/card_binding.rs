//! Binding own-bank credit cards in the app (docs/identity.md, "Binding cards"): a cardholder
//! whose card the bank issued types its number and expiry month; the card is found by its
//! lookup token among their own accounts only and the binding is kept. Neither a number nor an
//! expiry is stored by the binding, and an unknown number, another holder's card and a wrong
//! expiry all answer the same not-found, so the form cannot be used to learn which numbers
//! exist. The first card a customer binds (credit or debit) is the new-customer campaigns'
//! `first_card_binding` trigger.

use cardlife_customers::Pan;
use cardlife_kernel::{CardId, CustomerId};
use jiff::Timestamp;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{App, AppError, Missing};

/// The longest expiry text accepted (`YYYY-MM`).
const EXPIRY_LEN: usize = 7;

/// A bound own-bank credit card, masked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct BoundCardView {
    /// The card.
    pub card_id: Uuid,
    /// Its credit account.
    pub account_id: Uuid,
    /// First six digits.
    pub first6: String,
    /// Last four digits.
    pub last4: String,
    /// The expiry month, `YYYY-MM`.
    pub expires: String,
    /// When it was bound (RFC 3339).
    #[schema(value_type = String)]
    pub bound_at: Timestamp,
}

/// `YYYY-MM` with a month 01–12, as a month input sends it.
fn expiry(text: &str) -> Result<String, AppError> {
    let t = text.trim();
    let b = t.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    let month_ok = t.len() == EXPIRY_LEN
        && b[4] == b'-'
        && digits(0..4)
        && digits(5..7)
        && matches!(
            &t[5..7],
            "01" | "02" | "03" | "04" | "05" | "06" | "07" | "08" | "09" | "10" | "11" | "12"
        );
    if month_ok {
        Ok(t.to_owned())
    } else {
        Err(AppError::InvalidCard(
            "the expiry is the month printed on the card, YYYY-MM".into(),
        ))
    }
}

impl App {
    /// Binds `customer`'s own credit card by its number and expiry month; the card and whether
    /// the binding is new (binding it again changes nothing).
    pub async fn bind_credit_card(
        &self,
        customer: CustomerId,
        number: &str,
        expires: &str,
    ) -> Result<(BoundCardView, bool), AppError> {
        let pan = Pan::parse(number)?;
        let expires = expiry(expires)?;
        let credit = self.credit()?;
        let card = credit.card_by_pan(&pan, customer.as_uuid()).await?;
        if card.expires != expires {
            return Err(AppError::NotFound(Missing::Card));
        }
        let new = credit
            .bind_card(card.id, customer.as_uuid(), self.clock().now())
            .await?;
        let bound = credit.bound_cards(customer.as_uuid()).await?;
        if new {
            let first = bound.len() == 1 && self.debit_cards_of(customer).await?.is_empty();
            self.campaigns_on_card_bound(customer, CardId::from_uuid(card.id), first)
                .await;
        }
        let bound_at = bound
            .iter()
            .find(|(id, _)| *id == card.id)
            .map(|(_, at)| *at)
            .ok_or(AppError::NotFound(Missing::Card))?;
        let view = BoundCardView {
            card_id: card.id,
            account_id: card.account_id,
            first6: card.first6,
            last4: card.last4,
            expires: card.expires,
            bound_at,
        };
        Ok((view, new))
    }

    /// `customer`'s bound own-bank credit cards, masked, oldest binding first.
    pub async fn bound_credit_cards(
        &self,
        customer: CustomerId,
    ) -> Result<Vec<BoundCardView>, AppError> {
        let credit = self.credit()?;
        let bound = credit.bound_cards(customer.as_uuid()).await?;
        if bound.is_empty() {
            return Ok(Vec::new());
        }
        let mut cards = Vec::new();
        for account in self.credit_accounts(customer).await? {
            cards.extend(credit.cards(account.id, customer.as_uuid()).await?);
        }
        Ok(bound
            .into_iter()
            .filter_map(|(id, bound_at)| {
                let card = cards.iter().find(|c| c.id == id)?;
                Some(BoundCardView {
                    card_id: card.id,
                    account_id: card.account_id,
                    first6: card.first6.clone(),
                    last4: card.last4.clone(),
                    expires: card.expires.clone(),
                    bound_at,
                })
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::expiry;

    #[test]
    fn an_expiry_is_a_month_of_a_year_and_nothing_else() {
        assert!(expiry("2030-12").is_ok());
        assert!(expiry(" 2030-01 ").is_ok());
        for bad in [
            "2030-13",
            "2030-00",
            "12/30",
            "2030-1",
            "20301-2",
            "",
            "<script>",
            "２０３０-12",
        ] {
            assert!(expiry(bad).is_err(), "{bad}");
        }
    }
}
