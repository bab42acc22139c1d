//! Quotes before every confirmation: an installment or loan schedule with its annualised rate
//! (docs/domain.md §4, §5), the same as `cardlife quote … --json` prints.

use cardlife_credit::quote::{FeeMode, InstallmentQuote, LoanQuote, Periods, RepaymentMethod};
use cardlife_kernel::{Money, Rate};

pub use cardlife_credit::quote::{
    InstallmentQuoteView, InstallmentRowView, LoanQuoteView, LoanRowView, QuoteError,
};

use crate::{App, AppError};

impl App {
    /// An installment plan of `amount` over `periods` at a fee `rate` per period; `fee_mode` is
    /// `per_period` or `upfront`.
    pub fn quote_installment(
        &self,
        amount: Money,
        periods: u32,
        rate: Rate,
        fee_mode: &str,
    ) -> Result<InstallmentQuoteView, AppError> {
        let fee_mode: FeeMode = fee_mode.parse()?;
        let quote = InstallmentQuote::new(amount, Periods::new(periods)?, rate, fee_mode)?;
        Ok(InstallmentQuoteView::from(&quote))
    }

    /// A loan of `amount` over `periods` months at a nominal `annual_rate`; `method` is
    /// `equal_installment` or `equal_principal`.
    pub fn quote_loan(
        &self,
        amount: Money,
        periods: u32,
        annual_rate: Rate,
        method: &str,
    ) -> Result<LoanQuoteView, AppError> {
        let method: RepaymentMethod = method.parse()?;
        let quote = LoanQuote::new(amount, Periods::new(periods)?, annual_rate, method)?;
        Ok(LoanQuoteView::from(&quote))
    }
}
