//! What the loan use cases answer, as the API shows it: amounts as two-decimal strings, rates
//! as decimal strings, the annualised rate first (docs/loans.md).

use cardlife_kernel::Money;
use jiff::civil::Date;
use serde::Serialize;
use utoipa::ToSchema;

/// A stored loan quote: the annualised rate first, then the full cost and the schedule.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LoanQuoteOut {
    /// APR = 12 × the monthly IRR, in percent (年化利率, shown first and most prominently).
    pub apr_percent: String,
    /// EAR = (1 + monthly IRR)^12 − 1, in percent.
    pub ear_percent: String,
    /// The quote's id: send it back with `consent: true` to book it.
    pub id: String,
    /// The product.
    pub product: String,
    /// `equal_installment`, `equal_principal` or `interest_only`.
    pub method: String,
    /// The principal.
    #[schema(value_type = String, example = "100000.00")]
    pub amount: Money,
    /// Months.
    pub periods: u32,
    /// Principal + interest over the whole term.
    #[schema(value_type = String)]
    pub total_repayment: Money,
    /// The total cost of credit: all interest (no fees are charged).
    #[schema(value_type = String)]
    pub total_interest: Money,
    /// The nominal annual rate as a decimal string.
    pub annual_rate: String,
    /// The per-period (monthly) rate in percent, shown less prominently than the APR.
    pub monthly_rate_percent: String,
    /// `actual_360` or `actual_365`: how broken periods and penalty days are counted.
    pub day_count: String,
    /// Every month.
    pub schedule: Vec<QuoteRowView>,
    /// RFC 3339; the quote cannot be booked from then on.
    pub expires_at: String,
}

/// One month of a quote.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QuoteRowView {
    /// 1-based.
    pub period: u32,
    /// Interest + principal.
    #[schema(value_type = String)]
    pub payment: Money,
    /// Interest.
    #[schema(value_type = String)]
    pub interest: Money,
    /// Principal.
    #[schema(value_type = String)]
    pub principal: Money,
    /// Principal owed after the month.
    #[schema(value_type = String)]
    pub balance: Money,
}

/// A loan with its schedule and where it stands today.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LoanView {
    /// The loan.
    pub id: String,
    /// `active` or `closed`.
    pub status: String,
    /// APR of the booked schedule, in percent.
    pub apr_percent: String,
    /// The product.
    pub product: String,
    /// The repayment method.
    pub method: String,
    /// The principal lent.
    #[schema(value_type = String)]
    pub amount: Money,
    /// Months.
    pub periods: u32,
    /// The nominal annual rate.
    pub annual_rate: String,
    /// Booking and disbursement date.
    pub booked_on: String,
    /// The quote it was booked from.
    pub quote_id: String,
    /// The debit card it was paid out to.
    pub debit_card_id: String,
    /// Principal not repaid (due or not).
    #[schema(value_type = String)]
    pub principal: Money,
    /// Interest fallen due and unpaid.
    #[schema(value_type = String)]
    pub interest_due: Money,
    /// Penalty interest unpaid.
    #[schema(value_type = String)]
    pub penalty: Money,
    /// What repays everything today (including interest accrued to today).
    #[schema(value_type = String)]
    pub payoff_today: Money,
    /// Past-due amounts, or null.
    pub overdue: Option<OverdueView>,
    /// The schedule as it stands (rescheduled by prepayments).
    pub schedule: Vec<InstallmentView>,
}

/// Past-due amounts on a loan.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OverdueView {
    /// The oldest unpaid due date.
    pub since: String,
    /// Days past it.
    pub days: i64,
    /// Principal past due.
    #[schema(value_type = String)]
    pub principal: Money,
    /// Interest past due.
    #[schema(value_type = String)]
    pub interest: Money,
}

/// One period of a booked loan.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InstallmentView {
    /// 1-based.
    pub period: u32,
    /// Due date.
    pub due: String,
    /// Principal due then.
    #[schema(value_type = String)]
    pub principal: Money,
    /// Interest due then.
    #[schema(value_type = String)]
    pub interest: Money,
    /// Principal + interest.
    #[schema(value_type = String)]
    pub payment: Money,
    /// Principal repaid so far.
    #[schema(value_type = String)]
    pub principal_paid: Money,
    /// Interest repaid so far.
    #[schema(value_type = String)]
    pub interest_paid: Money,
}

/// A revolving credit line.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LineView {
    /// The line.
    pub id: String,
    /// The nominal annual rate in percent (simple daily interest at rate / day-count basis).
    pub annual_rate_percent: String,
    /// The daily rate in percent.
    pub daily_rate_percent: String,
    /// `actual_360` or `actual_365`.
    pub day_count: String,
    /// The limit.
    #[schema(value_type = String)]
    pub limit: Money,
    /// What can still be drawn.
    #[schema(value_type = String)]
    pub available: Money,
    /// Drawn principal.
    #[schema(value_type = String)]
    pub drawn: Money,
    /// Interest accrued and unpaid up to today.
    #[schema(value_type = String)]
    pub interest: Money,
    /// One day's interest on the drawn balance.
    #[schema(value_type = String)]
    pub daily_interest: Money,
    /// What repays everything today.
    #[schema(value_type = String)]
    pub payoff_today: Money,
    /// Opening date.
    pub opened_on: String,
}

/// A bound debit card (never the number).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DebitCardView {
    /// The card's id, to name it as a disbursement or repayment account.
    pub id: String,
    /// First 6 + last 4: `622575******1496`.
    pub masked: String,
    /// The holder's name, masked (`张*`), when given.
    pub holder_name: Option<String>,
    /// RFC 3339.
    pub bound_at: String,
}

/// The pre-approved loan amount and why it is what it is.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LoanOfferView {
    /// The amount that can be borrowed now (0 when none).
    #[schema(value_type = String)]
    pub amount: Money,
    /// Stable reason codes of every refusal or cut (`THIN_FILE`, `DELINQUENT_NOW`, …).
    pub reasons: Vec<String>,
    /// Principal already owed on loans and lines.
    #[schema(value_type = String)]
    pub outstanding: Money,
    /// The per-customer cap.
    #[schema(value_type = String)]
    pub cap: Money,
    /// The product's nominal annual rate.
    pub annual_rate: String,
}

/// What a customer is pre-approved for now (`GET /v1/me/offers`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct PreApprovedView {
    /// The card account weighed (the customer's primary one), if they hold one.
    pub account_id: Option<uuid::Uuid>,
    /// The installment amount pre-approved (0 without a card account, or when refused or cut
    /// to nothing).
    #[schema(value_type = String)]
    pub installment: Money,
    /// The consumer-loan amount pre-approved.
    #[schema(value_type = String)]
    pub loan: Money,
    /// Stable reason codes of every refusal or cut (`THIN_FILE`, `DELINQUENT_NOW`, …).
    pub reasons: Vec<String>,
    /// The business day it was computed for.
    #[schema(value_type = String)]
    pub as_of: Date,
}

/// What the daily job did.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct CloseDayReport {
    /// The business date closed.
    pub date: String,
    /// Loans that had interest fall due or penalty accrue.
    pub loans_accrued: usize,
    /// Lines whose daily interest was posted.
    pub lines_accrued: usize,
    /// Loans past due after the run.
    pub loans_overdue: usize,
    /// Ledger postings made.
    pub postings: usize,
}
