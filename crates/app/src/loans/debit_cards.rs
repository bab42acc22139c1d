//! Binding the holder's own other-bank debit card, the only place loans are paid out to and
//! repaid from (docs/loans.md, "Debit cards"). The number is tokenised at once: an HMAC for
//! lookup, AES-GCM in the vault, first 6 + last 4 for display.

use cardlife_customers::{Pan, TokenisedCard};
use cardlife_kernel::{CustomerId, mask_name};
use cardlife_store::debit_cards::{Bound, DebitCardRecord, DebitCardStore};

use super::{DebitCardView, LoanRefusal};
use crate::{App, AppError};

/// The longest holder name, in characters.
const HOLDER_NAME_MAX: usize = 64;

impl From<DebitCardRecord> for DebitCardView {
    fn from(r: DebitCardRecord) -> Self {
        Self {
            id: r.id.to_string(),
            masked: r.masked,
            holder_name: r.holder_name_masked,
            bound_at: r.created_at.to_string(),
        }
    }
}

impl App {
    pub(crate) fn debit_cards(&self) -> DebitCardStore {
        DebitCardStore::new(self.db().clone())
    }

    /// Binds `card_number` to `customer`; `(view, true)` when newly bound, `(view, false)` when
    /// they had bound it before. A number bound by another customer is refused.
    pub async fn bind_debit_card(
        &self,
        customer: CustomerId,
        card_number: &str,
        holder_name: Option<&str>,
    ) -> Result<(DebitCardView, bool), AppError> {
        let pan = Pan::parse(card_number)?;
        let holder = match holder_name.map(str::trim) {
            Some(n) if n.is_empty() || n.chars().count() > HOLDER_NAME_MAX => {
                return Err(LoanRefusal::HolderNameInvalid.into());
            }
            Some(n) => Some(mask_name(n)),
            None => None,
        };
        let cfg = self.loans_config();
        let card = TokenisedCard::tokenise(
            &pan,
            &cfg.card_lookup_key,
            &cfg.card_vault,
            &mut |buf: &mut [u8]| rand::fill(buf),
        )?;
        match self
            .debit_cards()
            .bind(customer, &card, holder.as_deref(), self.clock().now())
            .await?
        {
            Bound::New(r) => {
                // The first card of any kind: no other debit card and no own credit card bound.
                let credit_bound = match self.credit() {
                    Ok(_) => self.bound_credit_cards(customer).await?.len(),
                    Err(_) => 0,
                };
                let first =
                    self.debit_cards().list(customer).await?.len() == 1 && credit_bound == 0;
                let card = cardlife_kernel::CardId::from_uuid(r.id);
                self.campaigns_on_card_bound(customer, card, first).await;
                Ok((r.into(), true))
            }
            Bound::Again(r) => Ok((r.into(), false)),
            Bound::Elsewhere => Err(LoanRefusal::DebitCardBoundElsewhere.into()),
        }
    }

    /// The customer's bound debit cards.
    pub async fn debit_cards_of(
        &self,
        customer: CustomerId,
    ) -> Result<Vec<DebitCardView>, AppError> {
        Ok(self
            .debit_cards()
            .list(customer)
            .await?
            .into_iter()
            .map(DebitCardView::from)
            .collect())
    }

    /// The customer's own card `id`, or `DebitCardNotFound` (another customer's card included).
    pub(crate) async fn own_debit_card(
        &self,
        customer: CustomerId,
        id: &str,
    ) -> Result<DebitCardRecord, AppError> {
        let id: uuid::Uuid = id.parse().map_err(|_| LoanRefusal::DebitCardNotFound)?;
        self.debit_cards()
            .by_id(id, customer)
            .await?
            .ok_or_else(|| LoanRefusal::DebitCardNotFound.into())
    }
}
