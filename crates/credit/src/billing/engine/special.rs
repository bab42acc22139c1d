//! Special-purpose plans (专项分期) in the engine: booking one, and what it occupies. Its
//! principal not yet repaid — unbilled, or billed and still owed — occupies the account's
//! special limit for its purpose and never the credit limit; its fees are ordinary installment
//! fees and do occupy the credit limit once posted.

use cardlife_kernel::Money;
use jiff::civil::Date;

use super::{Engine, refused};
use crate::billing::error::{BillingError, InstallmentRefusal};
use crate::billing::event::Terms;
use crate::billing::installment::Source;
use crate::billing::postings::{Counter, INSTALLMENT_UNBILLED, Why};
use crate::quote::plan::Purpose;

/// A special-purpose booking as received.
#[derive(Debug, Clone, Copy)]
pub(super) struct SpecialBooking {
    pub amount: Money,
    pub terms: Terms,
    pub purpose: Purpose,
    pub merchant: u128,
    pub limit: Money,
}

impl Engine {
    /// Whether plan `number` is a special-purpose plan (and of `purpose`, if given).
    fn is_special(&self, number: usize, purpose: Option<Purpose>) -> bool {
        self.plans
            .get(number.wrapping_sub(1))
            .and_then(super::Plan::special_purpose)
            .is_some_and(|p| purpose.is_none_or(|want| want == p))
    }

    /// The principal of special-purpose plans (of `purpose`, or of every purpose) billed and
    /// not yet repaid.
    fn special_billed(&self, purpose: Option<Purpose>) -> Result<Money, BillingError> {
        self.account.outstanding_where(|i| {
            i.plan
                .is_some_and(|p| !p.fee && self.is_special(p.plan, purpose))
        })
    }

    /// The principal of special-purpose plans (of `purpose`, or of every purpose) not yet
    /// billed.
    fn special_unbilled(&self, purpose: Option<Purpose>) -> Result<Money, BillingError> {
        self.plans
            .iter()
            .filter(|p| {
                p.special_purpose()
                    .is_some_and(|have| purpose.is_none_or(|want| want == have))
            })
            .try_fold(Money::cny(0), |acc, p| acc.checked_add(p.unbilled))
            .map_err(BillingError::from)
    }

    /// What the special-purpose plans of `purpose` occupy of its special limit: their principal
    /// not yet repaid (released as it is billed and repaid).
    pub fn special_used(&self, purpose: Purpose) -> Result<Money, BillingError> {
        Ok(self
            .special_unbilled(Some(purpose))?
            .checked_add(self.special_billed(Some(purpose))?)?)
    }

    /// Special-purpose principal inside the balance that rule 10 would otherwise count against
    /// the credit limit: all of it, unbilled and billed alike.
    pub(super) fn special_outside_limit(&self) -> Result<Money, BillingError> {
        Ok(self
            .special_unbilled(None)?
            .checked_add(self.special_billed(None)?)?)
    }

    /// A special-purpose plan: within the product's range for its purpose and within what is
    /// left of the special limit, `amount` is paid out of merchant clearing (to the merchant)
    /// straight into unbilled installment principal; the credit limit is not touched.
    pub(super) fn book_special(
        &mut self,
        index: usize,
        day: Date,
        b: SpecialBooking,
    ) -> Result<(), BillingError> {
        use InstallmentRefusal as R;
        let no = |refusal: R, reason: String| refused(index, day, refusal, reason);
        let range = self.product.special_amounts.of(b.purpose);
        let name = b.purpose.as_str();
        if b.amount < range.min {
            return Err(no(
                R::BelowMinimum,
                format!(
                    "{name} installment {} is below the product minimum {}",
                    b.amount, range.min
                ),
            ));
        }
        if b.amount > range.max {
            return Err(no(
                R::AboveMaximum,
                format!(
                    "{name} installment {} is above the product maximum {}",
                    b.amount, range.max
                ),
            ));
        }
        let used = self.special_used(b.purpose)?;
        let left = b.limit.checked_sub(used)?.max(Money::cny(0))?;
        if b.amount > left {
            return Err(no(
                R::SpecialLimitExceeded,
                format!(
                    "{name} installment {} exceeds the {left} left of the {name} limit {}",
                    b.amount, b.limit
                ),
            ));
        }
        let quote = self.quote_terms(index, day, b.amount, b.terms)?;
        self.postings.move_money(
            INSTALLMENT_UNBILLED,
            Counter::Merchant as u128,
            b.amount,
            Why::SpecialPurposeBooking,
            day,
        )?;
        let source = Source::Special {
            purpose: b.purpose,
            merchant: b.merchant,
        };
        self.add_plan(source, day, quote)
    }
}
