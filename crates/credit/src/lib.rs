//! Credit cards: the 融资 (finance) heart of cardlife.
//!
//! - [`quote`]: installment and loan schedules with the annualised rate (APR, EAR) solved exactly.
//! - [`billing`]: card products, the billing cycle, statements, interest, fees and repayment
//!   allocation, day by day on an injected calendar.

pub mod billing;
pub mod loan;
pub mod offer;
pub mod quote;
