//! The pre-approved loan amount (docs/loans.md, "Offers"): `cardlife_credit::offer` applied to
//! a standing built from what is stored — the customer's months since registration, their
//! loans' days past due (now and worst ever) and the principal they owe. Until card accounts
//! are stored, the credit limit the policy multiplies is the configured notional
//! `offer_base_limit`.

use cardlife_credit::offer::{Standing, offer};
use cardlife_kernel::{CustomerId, Money};
use cardlife_store::customers::CustomerStore;
use jiff::civil::Date;

use super::LoanOfferView;
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

impl App {
    /// The loan amount pre-approved for `customer` now, with its reason codes.
    pub async fn loan_offer(&self, customer: CustomerId) -> Result<LoanOfferView, AppError> {
        let record = CustomerStore::new(self.db().clone())
            .by_id(customer)
            .await?
            .ok_or(AppError::NotFound(Missing::Customer))?;
        let today = self.business_date();
        let zone = cardlife_kernel::BusinessZone::shanghai();
        let months = months_between(zone.date_of(record.created_at), today);
        let loans = self.loan_store().loans_of(customer).await?;
        let dpd = loans
            .iter()
            .map(|l| l.summary.days_past_due)
            .max()
            .unwrap_or(0);
        let worst = loans
            .iter()
            .map(|l| l.summary.worst_days_past_due)
            .max()
            .unwrap_or(0);
        let outstanding = Money::cny(self.loan_store().outstanding_principal(customer).await?);
        let cfg = self.loans_config();
        let limit = cfg.offer_base_limit;
        let standing = Standing {
            credit_limit: limit,
            posted_balance: Money::cny(0),
            available_credit: limit,
            months_on_book: months,
            on_time_payments_12m: if worst > 0 { 0 } else { months.min(12) },
            days_past_due: u32::try_from(dpd).unwrap_or(u32::MAX),
            worst_days_past_due_12m: u32::try_from(worst).unwrap_or(u32::MAX),
            loan_outstanding: outstanding,
            temp_limit_used: Money::cny(0),
        };
        let mut policy = cfg.offer_policy;
        policy.loan_cap = cfg.loan.customer_cap();
        let o = offer(&standing, &policy).map_err(cardlife_credit::loan::LoanError::from)?;
        Ok(LoanOfferView {
            amount: o.loan,
            reasons: o.reasons.iter().map(|r| r.code().to_owned()).collect(),
            outstanding,
            cap: cfg.loan.customer_cap(),
            annual_rate: cfg.loan.annual_rate().to_string(),
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
