//! The pre-approved offers (docs/loans.md, "Offers"): `cardlife_credit::offer` applied to a
//! standing built from what is stored. A customer holding a card account is weighed on it —
//! its permanent limit, balance and available credit, months since it opened, the minimums
//! met on time and the days past due of the last 12 months (the engine's payment record) —
//! together with their loans' days past due and the principal they owe. A customer without a
//! card is weighed on the configured notional `offer_base_limit`, their months since
//! registration and their loans alone (no installment can be offered without a card).

use cardlife_credit::offer::{Offer, Standing, offer};
use cardlife_kernel::{CustomerId, Money};
use cardlife_store::customers::CustomerStore;
use jiff::civil::Date;

use super::{LoanOfferView, PreApprovedView};
use crate::merchants::credit_funding::primary_account;
use crate::{App, AppError, Missing};

/// Whole months from `from` to `to` (0 when `to` is earlier).
fn months_between(from: Date, to: Date) -> u32 {
    let mut m = (i32::from(to.year()) - i32::from(from.year())) * 12
        + (i32::from(to.month()) - i32::from(from.month()));
    if to.day() < from.day() {
        m -= 1;
    }
    u32::try_from(m).unwrap_or(0)
}

/// How much of the temporary limit is in use: what is owed and held beyond the permanent
/// limit, at most the temporary limit itself.
fn temp_limit_used(
    balance: Money,
    pending: Money,
    limit: Money,
    temp: Money,
) -> Result<Money, cardlife_kernel::MoneyError> {
    balance
        .checked_add(pending)?
        .checked_sub(limit)?
        .max(Money::cny(0))?
        .min(temp)
}

fn days(d: i64) -> u32 {
    u32::try_from(d.max(0)).unwrap_or(u32::MAX)
}

impl App {
    /// The standing `customer` is weighed on now, and the card account it comes from.
    async fn standing(
        &self,
        customer: CustomerId,
    ) -> Result<(Standing, Option<uuid::Uuid>), AppError> {
        let loans = self.loan_store().loans_of(customer).await?;
        let loan_dpd = loans
            .iter()
            .map(|l| l.summary.days_past_due)
            .max()
            .unwrap_or(0);
        let loan_worst = loans
            .iter()
            .map(|l| l.summary.worst_days_past_due)
            .max()
            .unwrap_or(0);
        let outstanding = Money::cny(self.loan_store().outstanding_principal(customer).await?);
        let today = self.business_date();
        let card = match self.credit() {
            Ok(_) => primary_account(self.credit_accounts(customer).await?),
            Err(_) => None,
        };
        let Some(account) = card else {
            let record = CustomerStore::new(self.db().clone())
                .by_id(customer)
                .await?
                .ok_or(AppError::NotFound(Missing::Customer))?;
            let zone = cardlife_kernel::BusinessZone::shanghai();
            let months = months_between(zone.date_of(record.created_at), today);
            let limit = self.loans_config().offer_base_limit;
            let standing = Standing {
                credit_limit: limit,
                posted_balance: Money::cny(0),
                available_credit: limit,
                months_on_book: months,
                on_time_payments_12m: if loan_worst > 0 { 0 } else { months.min(12) },
                days_past_due: days(loan_dpd),
                worst_days_past_due_12m: days(loan_worst),
                loan_outstanding: outstanding,
                temp_limit_used: Money::cny(0),
            };
            return Ok((standing, None));
        };
        let paid = self
            .credit()?
            .payment_record(account.id, customer.as_uuid(), today)
            .await?;
        let months = months_between(account.opened, account.as_of);
        // The policy counts on-time payments against the months on book; a statement that was
        // never cut (the first month) is not a miss, so only the decided misses are taken off.
        let missed = paid.decided_12m.saturating_sub(paid.on_time_12m);
        let missed = missed + u32::from(loan_worst > 0);
        let temp_used = temp_limit_used(
            account.balance,
            account.pending,
            account.credit_limit,
            account.temp_limit,
        )
        .map_err(cardlife_credit::loan::LoanError::from)?;
        let standing = Standing {
            credit_limit: account.credit_limit,
            posted_balance: account.balance,
            available_credit: account.available_credit,
            months_on_book: months,
            on_time_payments_12m: months.min(12).saturating_sub(missed),
            days_past_due: days(account.days_past_due.max(loan_dpd)),
            worst_days_past_due_12m: days(paid.worst_days_past_due_12m.max(loan_worst)),
            loan_outstanding: outstanding,
            temp_limit_used: temp_used,
        };
        Ok((standing, Some(account.id)))
    }

    /// The offer for `standing` under the configured policy and the loan product's cap.
    fn offer_of(&self, standing: &Standing) -> Result<Offer, AppError> {
        let cfg = self.loans_config();
        let mut policy = cfg.offer_policy;
        policy.loan_cap = cfg.loan.customer_cap();
        Ok(offer(standing, &policy).map_err(cardlife_credit::loan::LoanError::from)?)
    }

    /// The loan amount pre-approved for `customer` now, with its reason codes.
    pub async fn loan_offer(&self, customer: CustomerId) -> Result<LoanOfferView, AppError> {
        let (standing, _) = self.standing(customer).await?;
        let o = self.offer_of(&standing)?;
        let cfg = self.loans_config();
        Ok(LoanOfferView {
            amount: o.loan,
            reasons: o.reasons.iter().map(|r| r.code().to_owned()).collect(),
            outstanding: standing.loan_outstanding,
            cap: cfg.loan.customer_cap(),
            annual_rate: cfg.loan.annual_rate().to_string(),
        })
    }

    /// What `customer` is pre-approved for now — installment and loan — with the card account
    /// weighed and the reason codes of every refusal or cut.
    pub async fn pre_approved(&self, customer: CustomerId) -> Result<PreApprovedView, AppError> {
        let (standing, account) = self.standing(customer).await?;
        let o = self.offer_of(&standing)?;
        Ok(PreApprovedView {
            account_id: account,
            installment: if account.is_some() {
                o.installment
            } else {
                Money::cny(0)
            },
            loan: o.loan,
            reasons: o.reasons.iter().map(|r| r.code().to_owned()).collect(),
            as_of: self.business_date(),
        })
    }

    /// Closes business date `date` for lending: loans' interest falling due and penalty
    /// interest, lines' daily interest, each mirrored to the ledger.
    pub async fn loans_close_day(&self, date: Date) -> Result<super::CloseDayReport, AppError> {
        let (loans_accrued, loans_overdue, p1) = self.close_day_loans(date).await?;
        let (lines_accrued, p2) = self.close_day_lines(date).await?;
        Ok(super::CloseDayReport {
            date: date.to_string(),
            loans_accrued,
            lines_accrued,
            loans_overdue,
            postings: p1 + p2,
        })
    }
}
