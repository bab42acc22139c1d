//! The wire format of the credit API: amounts are integer fen (`*_fen`), dates ISO
//! (`YYYY-MM-DD`), ids hyphenated UUIDs, customer ids `cus_…`. Card numbers appear only in
//! requests; responses show first 6 + last 4.

use cardlife_app::credit::{
    AccountView, AuthorisationView, CardView, StatementLine, StatementView,
};
use cardlife_kernel::Secret;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// Opening a credit account with its first card (an operator action).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenAccountRequest {
    /// The holder, `cus_…`.
    pub customer_id: String,
    /// Product parameters over the defaults of docs/domain.md §3 (e.g.
    /// `{"statement_day": 7}`); `statement_day` is 1–28.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub product: Option<serde_json::Value>,
    /// The permanent limit, positive fen.
    pub credit_limit_fen: i64,
    /// The card number (Luhn-checked; stored only tokenised; never logged).
    #[schema(value_type = String)]
    pub card_number: Secret<String>,
    /// The card's expiry month, `YYYY-MM`.
    pub card_expires: String,
}

/// An amount, for repayments, cash advances, captures and refunds.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AmountRequest {
    /// Positive fen.
    pub amount_fen: i64,
}

/// A temporary limit.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TempLimitRequest {
    /// Added to the limit, positive fen.
    pub amount_fen: i64,
    /// Last valid day, `YYYY-MM-DD` (today or later).
    pub until: String,
}

/// An authorisation from the network, naming the card by number or by id.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AuthoriseRequest {
    /// The card number (never logged).
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub card_number: Option<Secret<String>>,
    /// Or the card's id (its token).
    #[serde(default)]
    pub card_id: Option<Uuid>,
    /// Positive fen.
    pub amount_fen: i64,
    /// An ATM cash advance rather than a purchase.
    #[serde(default)]
    pub cash: bool,
}

/// Closing business days (operators and tests).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseDayRequest {
    /// Close every day through this one (before today); absent: through yesterday.
    #[serde(default)]
    pub date: Option<String>,
}

/// Days closed.
#[derive(Debug, Serialize, ToSchema)]
pub struct CloseDayResult {
    /// Account-days closed.
    pub days_closed: usize,
}

/// A credit account.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountDto {
    /// Its id.
    pub id: Uuid,
    /// The holder, `cus_…`.
    pub customer_id: String,
    /// Opening date.
    pub opened: String,
    /// The figures are as of this business date.
    pub as_of: String,
    /// `active`, `frozen` or `closed`.
    pub status: String,
    /// Fen.
    pub credit_limit_fen: i64,
    /// Valid temporary limits, fen.
    pub temp_limit_fen: i64,
    /// Fen.
    pub cash_limit_fen: i64,
    /// Everything owed, fen; negative for a credit balance (溢缴款).
    pub balance_fen: i64,
    /// Limit + temporary − balance − pending − unbilled installments, fen.
    pub available_credit_fen: i64,
    /// Pending authorisations, fen.
    pub pending_fen: i64,
    /// Days past due.
    pub days_past_due: i64,
    /// `current`, `M1` … `M6+`.
    pub delinquency: String,
    /// Dormant (rule 12).
    pub dormant: bool,
    /// Statement day of the month.
    pub statement_day: i8,
}

impl From<AccountView> for AccountDto {
    fn from(a: AccountView) -> Self {
        Self {
            id: a.id,
            customer_id: cardlife_kernel::CustomerId::from_uuid(a.customer_id).to_string(),
            opened: a.opened.to_string(),
            as_of: a.as_of.to_string(),
            status: a.status.to_owned(),
            credit_limit_fen: a.credit_limit.fen(),
            temp_limit_fen: a.temp_limit.fen(),
            cash_limit_fen: a.cash_limit.fen(),
            balance_fen: a.balance.fen(),
            available_credit_fen: a.available_credit.fen(),
            pending_fen: a.pending.fen(),
            days_past_due: a.days_past_due,
            delinquency: a.delinquency,
            dormant: a.dormant,
            statement_day: a.statement_day,
        }
    }
}

/// The holder's accounts.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountList {
    /// Accounts, oldest first.
    pub accounts: Vec<AccountDto>,
}

/// A card, masked.
#[derive(Debug, Serialize, ToSchema)]
pub struct CardDto {
    /// Its id (the token a network may authorise by).
    pub id: Uuid,
    /// The account.
    pub account_id: Uuid,
    /// e.g. `622588******1233`.
    pub masked: String,
    /// First six digits.
    pub first6: String,
    /// Last four digits.
    pub last4: String,
    /// `YYYY-MM`.
    pub expires: String,
}

impl From<CardView> for CardDto {
    fn from(c: CardView) -> Self {
        Self {
            id: c.id,
            account_id: c.account_id,
            masked: format!("{}******{}", c.first6, c.last4),
            first6: c.first6,
            last4: c.last4,
            expires: c.expires,
        }
    }
}

/// The cards of an account.
#[derive(Debug, Serialize, ToSchema)]
pub struct CardList {
    /// Cards.
    pub cards: Vec<CardDto>,
}

/// One statement line.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatementLineDto {
    /// `purchase`, `cash_advance`, `fee`, `interest`, `installment`, `payment`, `refund`.
    pub kind: String,
    /// Transaction date.
    pub transaction_date: String,
    /// Posting date.
    pub posting_date: String,
    /// Fen; credits negative.
    pub amount_fen: i64,
}

impl From<StatementLine> for StatementLineDto {
    fn from(l: StatementLine) -> Self {
        Self {
            kind: l.kind,
            transaction_date: l.transaction_date.to_string(),
            posting_date: l.posting_date.to_string(),
            amount_fen: l.amount_fen,
        }
    }
}

/// A statement (账单) with its lines.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatementDto {
    /// Statement date.
    pub statement_date: String,
    /// Due date.
    pub due_date: String,
    /// Payments up to this day count as on time.
    pub last_on_time: String,
    /// Fen.
    pub previous_balance_fen: i64,
    /// Fen.
    pub payments_credits_fen: i64,
    /// Fen.
    pub purchases_fen: i64,
    /// Fen.
    pub cash_advances_fen: i64,
    /// Fen.
    pub fees_fen: i64,
    /// Fen.
    pub interest_fen: i64,
    /// Fen.
    pub installments_fen: i64,
    /// 本期应还, fen; negative for a credit balance.
    pub balance_fen: i64,
    /// Fen.
    pub minimum_payment_fen: i64,
    /// The product version it was computed under.
    pub product_version: usize,
    /// Charges, then payments and refunds.
    pub lines: Vec<StatementLineDto>,
}

impl From<StatementView> for StatementDto {
    fn from(s: StatementView) -> Self {
        Self {
            statement_date: s.statement_date.to_string(),
            due_date: s.due_date.to_string(),
            last_on_time: s.last_on_time.to_string(),
            previous_balance_fen: s.previous_balance_fen,
            payments_credits_fen: s.payments_credits_fen,
            purchases_fen: s.purchases_fen,
            cash_advances_fen: s.cash_advances_fen,
            fees_fen: s.fees_fen,
            interest_fen: s.interest_fen,
            installments_fen: s.installments_fen,
            balance_fen: s.balance_fen,
            minimum_payment_fen: s.minimum_payment_fen,
            product_version: s.product_version,
            lines: s.lines.into_iter().map(Into::into).collect(),
        }
    }
}

/// Statements, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatementList {
    /// Statements.
    pub statements: Vec<StatementDto>,
}

/// An authorisation: its id is the main ledger's pending transfer.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuthorisationDto {
    /// Its id (= the pending transfer's id on the ledger).
    pub id: Uuid,
    /// The account.
    pub account_id: Uuid,
    /// Held, fen.
    pub amount_fen: i64,
    /// A cash advance.
    pub cash: bool,
    /// `pending`, `captured`, `reversed` or `expired` (released after the product's
    /// authorisation expiry without a capture).
    pub status: String,
    /// Captured, fen.
    pub captured_fen: i64,
}

impl From<AuthorisationView> for AuthorisationDto {
    fn from(a: AuthorisationView) -> Self {
        Self {
            id: Uuid::from_u128(a.id),
            account_id: a.account_id,
            amount_fen: a.amount.fen(),
            cash: a.cash,
            status: a.status.to_owned(),
            captured_fen: a.captured.fen(),
        }
    }
}
