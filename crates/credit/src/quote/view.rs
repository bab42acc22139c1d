//! What a quote shows, as the command line prints it with `--json` (docs/cli.md) and the API
//! answers: fields in contract order, amounts as decimal strings, the annualised rates as
//! percentages with two decimals.

use cardlife_kernel::{Money, Rate};
use serde::Serialize;

use super::{InstallmentQuote, LoanQuote};

/// A percentage as the contract prints it: two decimals, no sign (`"13.03"`).
pub fn format_percent(value: rust_decimal::Decimal) -> String {
    format!("{value:.2}")
}

/// An installment quote as shown.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InstallmentQuoteView {
    /// The principal.
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "12000.00"))]
    pub amount: Money,
    /// Monthly periods.
    pub periods: u32,
    /// The fee rate per period, as a decimal.
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "0.006"))]
    pub rate: Rate,
    /// `per_period` or `upfront`.
    pub fee_mode: &'static str,
    /// Every period.
    pub schedule: Vec<InstallmentRowView>,
    /// Σ fees.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub total_fee: Money,
    /// The fee charged at booking (upfront mode).
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub upfront_fee: Money,
    /// APR = 12 × the monthly IRR, in percent: what must be shown most prominently.
    pub apr_percent: String,
    /// The effective annual rate, in percent.
    pub ear_percent: String,
}

/// One period of an installment quote.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InstallmentRowView {
    /// 1-based.
    pub period: u32,
    /// Principal billed.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub principal: Money,
    /// Fee billed.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub fee: Money,
    /// Principal + fee.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub payment: Money,
}

impl From<&InstallmentQuote> for InstallmentQuoteView {
    fn from(q: &InstallmentQuote) -> Self {
        let annualised = q.annualised();
        Self {
            amount: q.amount(),
            periods: q.periods().get(),
            rate: q.rate(),
            fee_mode: q.fee_mode().as_str(),
            schedule: q
                .schedule()
                .iter()
                .map(|r| InstallmentRowView {
                    period: r.period,
                    principal: r.principal,
                    fee: r.fee,
                    payment: r.payment,
                })
                .collect(),
            total_fee: q.total_fee(),
            upfront_fee: q.upfront_fee(),
            apr_percent: format_percent(annualised.apr_percent()),
            ear_percent: format_percent(annualised.ear_percent()),
        }
    }
}

/// A loan quote as shown.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoanQuoteView {
    /// The principal.
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "100000.00"))]
    pub amount: Money,
    /// Months.
    pub periods: u32,
    /// The nominal annual rate, as a decimal.
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "0.04"))]
    pub annual_rate: Rate,
    /// `equal_installment` or `equal_principal`.
    pub method: &'static str,
    /// Every month.
    pub schedule: Vec<LoanRowView>,
    /// Σ interest.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub total_interest: Money,
    /// APR = 12 × the monthly IRR, in percent.
    pub apr_percent: String,
}

/// One month of a loan quote.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoanRowView {
    /// 1-based.
    pub period: u32,
    /// Interest + principal.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub payment: Money,
    /// Interest of the month.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub interest: Money,
    /// Principal repaid.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub principal: Money,
    /// Principal still owed after the month.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub balance: Money,
}

impl From<&LoanQuote> for LoanQuoteView {
    fn from(q: &LoanQuote) -> Self {
        Self {
            amount: q.amount(),
            periods: q.periods().get(),
            annual_rate: q.annual_rate(),
            method: q.method().as_str(),
            schedule: q
                .schedule()
                .iter()
                .map(|r| LoanRowView {
                    period: r.period,
                    payment: r.payment,
                    interest: r.interest,
                    principal: r.principal,
                    balance: r.balance,
                })
                .collect(),
            total_interest: q.total_interest(),
            apr_percent: format_percent(q.annualised().apr_percent()),
        }
    }
}
