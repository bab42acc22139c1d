//! Consumer loans (融e借-style) and revolving credit lines, persisted and mirrored to the
//! ledger (docs/loans.md).
//!
//! - `catalog`: [`LoansConfig`] — the products, the quote lifetime, the offer policy and the
//!   card-vault keys.
//! - `debit_cards`: binding the holder's own other-bank debit card (tokenised).
//! - `book`: quotes, booking with consent, repayments, prepayments, reads and the daily job.
//! - `lines`: the draw-and-repay-anytime line.
//! - `offer`: the pre-approved amount and its reason codes, from what is stored.
//! - `mirror`: deterministic ledger ids and the posting of every event.
//!
//! A loan's state is its event history replayed through `cardlife_credit::loan`; nothing is
//! derived twice by different code.

mod book;
mod catalog;
mod debit_cards;
mod lines;
mod mirror;
mod offer;
mod views;

pub use book::parse_mode;
pub use cardlife_credit::loan::LoanError;
pub use cardlife_credit::offer::ReasonCode;
pub use catalog::{LINE_PRODUCT, LOAN_PRODUCT, LoansConfig};
pub use views::{
    CloseDayReport, DebitCardView, InstallmentView, LineView, LoanOfferView, LoanQuoteOut,
    LoanView, OverdueView, PreApprovedView, QuoteRowView,
};

/// Why a loan request was refused by the use case (the state machine's own refusals are
/// [`LoanError`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoanRefusal {
    /// The quote's time to accept has passed; ask for a new one.
    #[error("the quote has expired; ask for a new one")]
    QuoteExpired,
    /// The quote was booked already.
    #[error("the quote was already booked")]
    QuoteUsed,
    /// `consent` was missing or not `true`.
    #[error("booking needs the explicit consent `\"consent\": true`")]
    ConsentRequired,
    /// No such debit card among the customer's own.
    #[error("no such debit card among yours; bind it with POST /v1/me/debit-cards")]
    DebitCardNotFound,
    /// The card number is bound by another customer.
    #[error("this card is bound by another customer")]
    DebitCardBoundElsewhere,
    /// No product has this code.
    #[error("no loan product {given:?}")]
    UnknownProduct {
        /// The code sent.
        given: String,
    },
    /// Not a repayment method of loans.
    #[error("unknown method {given:?}: equal_installment, equal_principal or interest_only")]
    UnknownMethod {
        /// The method sent.
        given: String,
    },
    /// Not `keep_term` or `keep_payment`.
    #[error("unknown prepayment mode {given:?}: keep_term or keep_payment")]
    UnknownPrepaymentMode {
        /// The mode sent.
        given: String,
    },
    /// A rate sent with the terms is not the product's rate for this customer.
    #[error("the rate offered is {offered}, not {asked}")]
    RateNotOffered {
        /// The rate sent.
        asked: String,
        /// The product's rate.
        offered: String,
    },
    /// Another request changed this loan at the same time; nothing was written.
    #[error("the loan changed while this request ran; retry")]
    ConcurrentUpdate,
    /// A holder name that is empty or too long.
    #[error("holder_name must be 1 to 64 characters")]
    HolderNameInvalid,
}
