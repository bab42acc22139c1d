//! Installment prices from the card's product (docs/api.md, "Card installments"; docs/domain.md
//! §4, "Pricing"): a bill, purchase or cash quote takes its fee rate and fee mode from the term
//! the product version in force today offers for its periods. A `rate` or `fee_mode` in the
//! request may only repeat that price; a booking checks again that the quoted price is still
//! the one offered, since the quote id is readable (not a secret) and a price may change.

use cardlife_credit::billing::{OfferedTerm, PricedKind};
use cardlife_kernel::CustomerId;
use uuid::Uuid;

use super::InstallmentError;
use crate::{App, AppError};

/// A term the card offers, as the holder reads it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct OfferedTermView {
    /// Number of periods.
    pub periods: u32,
    /// Fee rate per period, a decimal string.
    pub rate: String,
    /// `per_period` or `upfront`.
    pub fee_mode: &'static str,
}

impl From<&OfferedTerm> for OfferedTermView {
    fn from(t: &OfferedTerm) -> Self {
        Self {
            periods: t.periods,
            rate: t.rate.to_string(),
            fee_mode: t.fee_mode.as_str(),
        }
    }
}

/// The priced kind of a quote's `kind` (`None`: merchant and hardship, priced elsewhere).
pub(super) fn priced_kind(kind: &str) -> Option<PricedKind> {
    match kind {
        "bill" => Some(PricedKind::Bill),
        "purchase" => Some(PricedKind::Purchase),
        "cash" => Some(PricedKind::Cash),
        _ => None,
    }
}

fn mode(upfront: bool) -> &'static str {
    if upfront { "upfront" } else { "per_period" }
}

fn rate_text(rate_e8: i64) -> String {
    rust_decimal::Decimal::new(rate_e8, 8)
        .normalize()
        .to_string()
}

/// A `rate` or `fee_mode` the request names must be the product's price for these periods.
pub(super) fn check_asked(
    kind: PricedKind,
    periods: u32,
    (rate, upfront): (i64, bool),
    asked_rate: Option<i64>,
    asked_upfront: Option<bool>,
) -> Result<(), InstallmentError> {
    if asked_rate.is_some_and(|r| r != rate) || asked_upfront.is_some_and(|u| u != upfront) {
        return Err(InstallmentError::TermNotOffered(format!(
            "this card prices {periods}-period {} installments at {} per period, {}: leave \
             \"rate\" and \"fee_mode\" out or repeat that price",
            kind.as_str(),
            rate_text(rate),
            mode(upfront)
        )));
    }
    Ok(())
}

/// A quote's price must still be the product's when it is booked.
pub(super) fn check_still_offered(
    kind: PricedKind,
    periods: u32,
    now: (i64, bool),
    quoted: (i64, bool),
) -> Result<(), InstallmentError> {
    if now != quoted {
        return Err(InstallmentError::TermNotOffered(format!(
            "the quote's price ({} per period, {}) is not this card's price for {periods}-period \
             {} installments today ({} per period, {}): ask for a new quote",
            rate_text(quoted.0),
            mode(quoted.1),
            kind.as_str(),
            rate_text(now.0),
            mode(now.1)
        )));
    }
    Ok(())
}

impl App {
    /// The terms one of the holder's accounts offers today for `kind` (`bill`, `purchase` or
    /// `cash`), in the product's order.
    pub async fn installment_offered_terms(
        &self,
        customer: CustomerId,
        id: Uuid,
        kind: &str,
    ) -> Result<Vec<OfferedTermView>, AppError> {
        self.credit_account(customer, id).await?;
        let kind = priced_kind(kind).ok_or(InstallmentError::UnknownKind)?;
        let pricing = self
            .credit_service()?
            .installment_pricing(id, customer.as_uuid(), self.today())
            .await?;
        Ok(pricing
            .terms(kind)
            .iter()
            .map(OfferedTermView::from)
            .collect())
    }

    /// The product's price today of `periods` periods of `kind`: (rate in 10⁻⁸, upfront).
    pub(super) async fn product_price(
        &self,
        customer: CustomerId,
        id: Uuid,
        kind: PricedKind,
        periods: u32,
    ) -> Result<(i64, bool), AppError> {
        let pricing = self
            .credit_service()?
            .installment_pricing(id, customer.as_uuid(), self.today())
            .await?;
        let Some(term) = pricing.term(kind, periods) else {
            let offered: Vec<String> = pricing
                .terms(kind)
                .iter()
                .map(|t| t.periods.to_string())
                .collect();
            let offered = if offered.is_empty() {
                "none".to_owned()
            } else {
                offered.join(", ")
            };
            return Err(InstallmentError::TermNotOffered(format!(
                "this card does not offer {periods}-period {} installments (offered periods: \
                 {offered})",
                kind.as_str()
            ))
            .into());
        };
        let rate = term.rate_e8().ok_or(InstallmentError::InvalidRate)?;
        Ok((
            rate,
            term.fee_mode == cardlife_credit::quote::FeeMode::Upfront,
        ))
    }
}
