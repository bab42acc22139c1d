//! What card installments need of the credit service beyond its commands (docs/api.md, "Card
//! installments"): a dry run of an installment event on a copy of the account (a quote is
//! checked by the same rules as the booking and writes nothing), the purchases a purchase
//! installment may convert, named by their main-ledger id, and that id's card-local hold.

use cardlife_credit::billing::{Event, InstallmentPricing};
use cardlife_kernel::Money;
use jiff::civil::Date;
use uuid::Uuid;

use super::{CreditError, CreditService, StoredEvent, mirror};

/// A posted, unbilled purchase a purchase installment may convert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PurchaseView {
    /// Its main-ledger id (its authorisation's id): how a conversion names it.
    pub id: u128,
    /// The transaction date.
    pub transaction_date: Date,
    /// The posting date.
    pub posted: Date,
    /// What is still owed of it: what a conversion converts.
    pub amount: Money,
}

impl CreditService {
    /// Runs `event` on a copy of one of the holder's accounts on `today`: `Ok` if the account
    /// would accept it. Nothing is written and the account is unchanged.
    pub async fn try_command(
        &self,
        id: Uuid,
        customer_id: Uuid,
        event: StoredEvent,
        today: Date,
    ) -> Result<(), CreditError> {
        let slot = self.slot(id)?;
        let live = self.lock(&slot).await?;
        Self::owned(&live, Some(customer_id))?;
        let day = live.engine.today().map_or(today, |open| open.max(today));
        let mut copy = live.engine.clone();
        drop(live);
        copy.advance_to(day)?;
        copy.receive(&Event {
            date: day,
            kind: event.kind(),
        })?;
        Ok(())
    }

    /// The installment terms one of the holder's accounts offers on `today` (of the product
    /// version in force that day, or on the account's open day if that is later).
    pub async fn installment_pricing(
        &self,
        id: Uuid,
        customer_id: Uuid,
        today: Date,
    ) -> Result<InstallmentPricing, CreditError> {
        let slot = self.slot(id)?;
        let live = self.lock(&slot).await?;
        Self::owned(&live, Some(customer_id))?;
        let day = live.engine.today().map_or(today, |open| open.max(today));
        Ok(live.engine.product_on(day).installment_pricing.clone())
    }

    /// The purchases of one of the holder's accounts a purchase installment may convert today.
    pub async fn convertible_purchases(
        &self,
        id: Uuid,
        customer_id: Uuid,
    ) -> Result<Vec<PurchaseView>, CreditError> {
        let slot = self.slot(id)?;
        let live = self.lock(&slot).await?;
        Self::owned(&live, Some(customer_id))?;
        Ok(live
            .engine
            .convertible_purchases()
            .into_iter()
            .map(|p| PurchaseView {
                id: mirror::global_id(live.number, p.hold),
                transaction_date: p.transaction_date,
                posted: p.posted,
                amount: p.amount,
            })
            .collect())
    }

    /// The card-local hold of purchase `purchase` (a main-ledger id) if it names a transfer of
    /// account `id`; `None` for any other id.
    pub fn purchase_hold(&self, id: Uuid, purchase: u128) -> Result<Option<u64>, CreditError> {
        let Some((number, hold)) = mirror::split_id(purchase) else {
            return Ok(None);
        };
        let reg = self
            .accounts
            .read()
            .map_err(|_| CreditError::Corrupt("registry lock poisoned".into()))?;
        if reg.by_number.get(&number) != Some(&id) {
            return Ok(None);
        }
        Ok(u64::try_from(hold).ok())
    }
}

/// What special-purpose plans (专项分期) need of an account: what each purpose's plans occupy
/// of its special limit, the product's amount range per purpose, and the account's number on
/// the main ledger (its merchant clearing pays the merchant).
#[derive(Debug, Clone)]
pub struct SpecialState {
    /// Each purpose and the principal its plans have not had repaid.
    pub used: Vec<(cardlife_credit::quote::plan::Purpose, Money)>,
    /// The product's amount range per purpose.
    pub amounts: cardlife_credit::billing::special::SpecialAmounts,
    /// The account's number (the high half of its main-ledger ids).
    pub number: u64,
}

impl CreditService {
    /// [`SpecialState`] of an account; `customer_id` scopes it to its holder.
    pub async fn special_state(
        &self,
        id: Uuid,
        customer_id: Option<Uuid>,
    ) -> Result<SpecialState, CreditError> {
        let slot = self.slot(id)?;
        let live = self.lock(&slot).await?;
        Self::owned(&live, customer_id)?;
        let used = cardlife_credit::quote::plan::Purpose::ALL
            .into_iter()
            .map(|p| live.engine.special_used(p).map(|m| (p, m)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(SpecialState {
            used,
            amounts: live.engine.product().special_amounts,
            number: live.number,
        })
    }
}
