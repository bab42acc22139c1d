//! Quotes: installment and loan schedules with the annualised rate disclosed (年化利率).
//!
//! A quote is what the customer sees before consenting: every period's principal, fee or
//! interest and payment, the total cost, and the annualised rate, which must be shown more
//! prominently than any per-period rate [REG 2021]. Everything is integer fen; rates are exact
//! decimals; each amount is rounded half-up to the fen once, where named below.
//!
//! - [`InstallmentQuote`] (分期, docs/domain.md §4), [`LoanQuote`] (贷款, docs/domain.md §5).
//! - [`Annualised`]: the monthly rate solved from a schedule, disclosed as APR and EAR.
//! - [`Periods`]: a term of 1 to [`PERIODS_MAX`] (60) months. Errors: [`QuoteError`].
//!
//! # Installments
//!
//! For a principal P over n periods at a per-period fee rate r:
//!
//! - principal of periods 1 … n−1 = floor(P / n) to the fen; the last period takes the remainder,
//!   so the principal always sums to P exactly (100.00 over 3 → 33.33, 33.33, 33.34);
//! - `per_period` fee (the default): half-up(P × r) in every period, on the original principal
//!   (not on the declining balance), so every fee is equal;
//! - `upfront` fee: half-up(P × r × n) charged at booking, every period's fee 0. The customer then
//!   effectively receives P − fee, which raises the annualised rate;
//! - payment of a period = its principal + its fee.
//!
//! # Loans
//!
//! For a principal P over n months at a nominal annual rate a, the monthly rate is i = a / 12:
//!
//! - `equal_installment` (等额本息): A = P·i·(1+i)^n / ((1+i)^n − 1), half-up to the fen;
//!   interest_k = half-up(B_{k−1} · i); principal_k = A − interest_k; the last period pays the
//!   remaining principal plus its interest (it may differ from A by a few fen). A is evaluated on
//!   28-significant-digit decimals, so its rounding is exact unless A lies within about
//!   10^-15 fen of a half fen;
//! - `equal_principal` (等额本金): principal_k = half-up(P / n), the last takes the remainder;
//!   interest_k = half-up(B_{k−1} · a / 12), computed exactly before the rounding;
//! - interest is always computed as B × a / 12 (exact product, one division) and rounded once;
//! - B_k is the principal still owed after period k; no period repays more than is owed, so a tiny
//!   loan may finish early with zero rows after; the total interest is the sum of the schedule's
//!   interest column, which is exactly what the customer pays above P.
//!
//! # Annualised rate
//!
//! The monthly rate i solves P₀ = Σ_{k=1..n} A_k / (1+i)^k, where A_k is the payment of period k
//! and P₀ what the customer receives at time 0 (P minus any upfront fee). The solve uses exact
//! decimals (safeguarded Newton, bisection fallback) and verifies that the root lies within
//! 10^-12 of the answer. Disclosed: **APR = 12 × i** and **EAR = (1+i)^12 − 1**, from the same i,
//! each in percent half-up to two decimals. A schedule costing more than [`MONTHLY_RATE_MAX`]
//! (10,000% a month) is rejected rather than disclosed imprecisely.
//!
//! # Worked examples
//!
//! An installment of 12,000.00 at 0.60% per period (docs/domain.md §4):
//!
//! | n | fee mode | payment per period | total fee | APR | EAR |
//! |---|---|---|---|---|---|
//! | 3 | per period | 4,072.00 (4,000.00 + 72.00) | 216.00 | 10.77% | 11.32% |
//! | 12 | per period | 1,072.00 (1,000.00 + 72.00) | 864.00 | 13.03% | 13.84% |
//! | 24 | per period | 572.00 (500.00 + 72.00) | 1,728.00 | 13.27% | 14.10% |
//! | 12 | upfront | 1,000.00, plus 864.00 at booking | 864.00 | 14.02% | 14.96% |
//!
//! A per-period rate of 0.60% looks like 7.2% a year, yet costs 13.03% (APR) on a 12-period plan,
//! because the fee is charged on the original principal while the balance declines.
//!
//! A loan of 100,000.00 at 4% a year for 36 months (docs/domain.md §5):
//!
//! | method | period 1: payment = interest + principal, balance | last period | total interest | APR |
//! |---|---|---|---|---|
//! | equal installment | 2,952.40 = 333.33 + 2,619.07, 97,380.93 | 2,952.35 = 9.81 + 2,942.54 | 6,286.35 | 4.00% |
//! | equal principal | 3,111.11 = 333.33 + 2,777.78, 97,222.22 | 2,786.96 = 9.26 + 2,777.70 | 6,166.67 | 4.00% |
//!
//! Exactness matters here: period 31 of the equal-installment loan opens at 17,509.50, whose
//! interest 17,509.50 × 0.04 / 12 = 58.365 is a tie and rounds up to 58.37. Multiplying by a
//! truncated i = 0.0033333… instead would give 58.36 and a total interest of 6,286.34. So the
//! interest is computed as B × a / 12, exactly, and rounded once.
//!
//! ```
//! use cardlife_credit::quote::{FeeMode, InstallmentQuote, Periods};
//! use cardlife_kernel::{Money, Rate};
//!
//! let quote = InstallmentQuote::new(
//!     Money::parse_cny("12000.00")?,
//!     Periods::new(12)?,
//!     Rate::parse("0.006")?,
//!     FeeMode::PerPeriod,
//! )?;
//! assert_eq!(quote.schedule()[0].payment.to_string(), "1072.00");
//! assert_eq!(quote.annualised().apr_percent().to_string(), "13.03");
//! assert_eq!(quote.annualised().ear_percent().to_string(), "13.84");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod apr;
mod error;
mod installment;
mod loan;
mod periods;
pub mod plan;
mod view;

pub use apr::{Annualised, MONTHLY_RATE_MAX};
pub use error::QuoteError;
pub use installment::{FeeMode, InstallmentQuote, InstallmentRow};
pub use loan::{LoanQuote, LoanRow, RepaymentMethod};
pub use periods::{PERIODS_MAX, Periods};
pub use view::{
    InstallmentQuoteView, InstallmentRowView, LoanQuoteView, LoanRowView, format_percent,
};
