//! Credit-card use cases: opening accounts (an operator action), the holder's reads and
//! commands (repayments, cash advances), the network's authorisations, and the daily close
//! driven by the injected clock. Every command is validated here before it reaches the store;
//! the store tries it on a copy of the account's engine, so a refused command writes nothing.

use cardlife_credit::billing::BillingError;
use cardlife_customers::Pan;
use cardlife_kernel::{BusinessZone, CustomerId, Money, Secret};
use cardlife_store::credit::{
    CardRef, CreditError, CreditService, Keyed, KeyedRequest, OpenAccount, StoredEvent,
};
use jiff::civil::Date;
use uuid::Uuid;

pub use cardlife_credit::billing::DeclineCode;
pub use cardlife_store::credit::{
    AccountView, AuthorisationView, CardKeys, CardView, StatementLine, StatementView,
};

use crate::idempotency::{IdempotencyError, StoredAnswer, check_key, request_hash};
use crate::{App, AppError, Missing};

/// Opening a credit account, as an operator asks for it.
#[derive(Debug)]
pub struct OpenCreditAccount {
    /// The holder.
    pub customer_id: CustomerId,
    /// Product parameters over the defaults (docs/domain.md §3), a JSON object.
    pub product: serde_json::Value,
    /// Fen, positive.
    pub credit_limit_fen: i64,
    /// The card number (Luhn-checked here; never stored in the clear, never logged).
    pub card_number: Secret<String>,
    /// `YYYY-MM`.
    pub card_expires: String,
}

/// A bank action on an account's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusAction {
    /// Authorisations declined (`account_frozen`); repayments still accepted.
    Freeze,
    /// Back to active.
    Unfreeze,
    /// Closed for good.
    Close,
}

/// How the network names the card of an authorisation.
#[derive(Debug)]
pub enum CardSelector {
    /// The card number (never logged).
    Number(Secret<String>),
    /// The card id (its token).
    Id(Uuid),
}

fn positive(fen: i64) -> Result<Money, AppError> {
    if fen <= 0 {
        return Err(AppError::InvalidAmount(format!(
            "amount_fen must be a positive number of fen, got {fen}"
        )));
    }
    Ok(Money::cny(fen))
}

fn pan(text: &str) -> Result<Pan, AppError> {
    Pan::parse(text).map_err(|e| AppError::InvalidCard(e.to_string()))
}

fn expiry(text: &str) -> Result<(i16, i8), AppError> {
    let bad = || AppError::InvalidCard(format!("card_expires {text:?} is not YYYY-MM"));
    let (y, m) = text.split_once('-').ok_or_else(bad)?;
    if y.len() != 4 || m.len() != 2 {
        return Err(bad());
    }
    let year: i16 = y.parse().map_err(|_| bad())?;
    let month: i8 = m.parse().map_err(|_| bad())?;
    if !(1..=12).contains(&month) {
        return Err(bad());
    }
    Ok((year, month))
}

impl From<CreditError> for AppError {
    fn from(e: CreditError) -> Self {
        match e {
            CreditError::Billing(b) => billing(b),
            CreditError::AccountNotFound => Self::NotFound(Missing::CreditAccount(0)),
            CreditError::CardNotFound => Self::NotFound(Missing::Card),
            CreditError::AuthorisationNotFound => Self::NotFound(Missing::Authorisation(0)),
            CreditError::StatementNotFound => Self::NotFound(Missing::Statement(Date::MIN)),
            CreditError::CardAlreadyIssued => Self::CardAlreadyIssued,
            CreditError::InvalidCard(m) => Self::InvalidCard(m),
            CreditError::InvalidProduct(m) => Self::InvalidProduct(m),
            CreditError::Store(s) => Self::from(s),
            CreditError::KeyReused => IdempotencyError::KeyReused.into(),
            CreditError::KeyInFlight => IdempotencyError::InFlight.into(),
            CreditError::Mirror(_) | CreditError::WriteFailed(_) | CreditError::Corrupt(_) => {
                Self::Credit(e)
            }
        }
    }
}

fn billing(e: BillingError) -> AppError {
    let detail = e.to_string();
    match e {
        BillingError::CreditLimitExceeded { code, .. } | BillingError::Declined { code, .. } => {
            AppError::Declined { code, detail }
        }
        BillingError::PaymentOnClosedAccount { .. } => AppError::PaymentOnClosedAccount,
        // Installment refusals by their type (crates/app/src/installments.rs).
        BillingError::Installment {
            refusal, reason, ..
        } => crate::installments::engine_refusal(refusal, reason),
        BillingError::InvalidProduct(m) => AppError::InvalidProduct(m),
        BillingError::InvalidAccount(_)
        | BillingError::InvalidEvent { .. }
        | BillingError::CloseRefused { .. } => AppError::CommandRefused(detail),
        BillingError::UnknownAuthorisation { .. } => AppError::NotFound(Missing::Authorisation(0)),
        BillingError::CaptureExceedsAuthorisation { .. } => {
            AppError::CaptureExceedsAuthorisation(detail)
        }
        BillingError::Money(_)
        | BillingError::Date(_)
        | BillingError::LedgerRefused { .. }
        | BillingError::Invariant(_) => AppError::Credit(CreditError::Billing(e)),
    }
}

/// Re-labels a not-found with the id asked for.
fn not_found_as(e: AppError, missing: Missing) -> AppError {
    match e {
        AppError::NotFound(_) => AppError::NotFound(missing),
        other => other,
    }
}

impl App {
    /// Starts the credit service over this app's store and ledger (replaying every account).
    pub async fn with_credit(mut self, keys: CardKeys) -> Result<Self, AppError> {
        let service = CreditService::start(self.db(), self.ledger_service().clone(), keys).await?;
        self.credit = Some(service.clone());
        // Card payments are paid by credit card from now on (docs/merchants.md).
        let funding = crate::merchants::credit_funding::CreditCardFunding::new(
            service,
            self.ledger_service().clone(),
            self.clock().clone(),
        );
        Ok(self.with_card_funding(std::sync::Arc::new(funding)))
    }

    pub(crate) fn credit(&self) -> Result<&CreditService, AppError> {
        self.credit.as_ref().ok_or(AppError::Unavailable)
    }

    /// Today's business date (Asia/Shanghai) by the injected clock.
    pub fn today(&self) -> Date {
        BusinessZone::shanghai().today(self.clock().as_ref())
    }

    /// Opens a credit account with its first card (an operator action).
    pub async fn credit_open_account(
        &self,
        cmd: OpenCreditAccount,
    ) -> Result<AccountView, AppError> {
        let credit_limit = positive(cmd.credit_limit_fen)?;
        let (expires_year, expires_month) = expiry(&cmd.card_expires)?;
        let open = OpenAccount {
            customer_id: cmd.customer_id.as_uuid(),
            product: cmd.product,
            credit_limit,
            pan: pan(cmd.card_number.expose_secret())?,
            expires_year,
            expires_month,
        };
        Ok(self.credit()?.open_account(open, self.today()).await?)
    }

    /// The holder's credit accounts.
    pub async fn credit_accounts(
        &self,
        customer: CustomerId,
    ) -> Result<Vec<AccountView>, AppError> {
        Ok(self
            .credit()?
            .accounts_of(customer.as_uuid(), self.today())
            .await?)
    }

    /// One of the holder's accounts (another's answers not found).
    pub async fn credit_account(
        &self,
        customer: CustomerId,
        id: Uuid,
    ) -> Result<AccountView, AppError> {
        let svc = self.credit()?;
        svc.account(id, Some(customer.as_uuid()), self.today())
            .await
            .map_err(|e| not_found_as(e.into(), Missing::CreditAccount(id.as_u128())))
    }

    /// Any account, as an operator sees it.
    pub async fn credit_account_any(&self, id: Uuid) -> Result<AccountView, AppError> {
        self.credit()?
            .account(id, None, self.today())
            .await
            .map_err(|e| not_found_as(e.into(), Missing::CreditAccount(id.as_u128())))
    }

    /// The holder's cards on an account, masked.
    pub async fn credit_cards(
        &self,
        customer: CustomerId,
        id: Uuid,
    ) -> Result<Vec<CardView>, AppError> {
        self.credit()?
            .cards(id, customer.as_uuid())
            .await
            .map_err(|e| not_found_as(e.into(), Missing::CreditAccount(id.as_u128())))
    }

    /// The holder's statements, newest first.
    pub async fn credit_statements(
        &self,
        customer: CustomerId,
        id: Uuid,
    ) -> Result<Vec<StatementView>, AppError> {
        self.credit()?
            .statements(id, customer.as_uuid())
            .await
            .map_err(|e| not_found_as(e.into(), Missing::CreditAccount(id.as_u128())))
    }

    /// One statement with its lines.
    pub async fn credit_statement(
        &self,
        customer: CustomerId,
        id: Uuid,
        date: Date,
    ) -> Result<StatementView, AppError> {
        match self.credit()?.statement(id, customer.as_uuid(), date).await {
            Err(CreditError::StatementNotFound) => {
                Err(AppError::NotFound(Missing::Statement(date)))
            }
            other => {
                other.map_err(|e| not_found_as(e.into(), Missing::CreditAccount(id.as_u128())))
            }
        }
    }

    async fn holder_command(
        &self,
        customer: Option<CustomerId>,
        id: Uuid,
        event: StoredEvent,
    ) -> Result<AccountView, AppError> {
        self.credit()?
            .holder_command(id, customer.map(|c| c.as_uuid()), event, self.today())
            .await
            .map_err(|e| not_found_as(e.into(), Missing::CreditAccount(id.as_u128())))
    }

    /// A repayment (rule 9 allocation; an overpayment is held as a credit balance).
    pub async fn credit_repay(
        &self,
        customer: CustomerId,
        id: Uuid,
        amount_fen: i64,
    ) -> Result<AccountView, AppError> {
        positive(amount_fen)?;
        self.holder_command(Some(customer), id, StoredEvent::Payment { amount_fen })
            .await
    }

    /// A cash advance to the holder's own debit card (急用钱): rule 8's fee, the cash limit,
    /// interest from the transaction date.
    pub async fn credit_cash_advance(
        &self,
        customer: CustomerId,
        id: Uuid,
        amount_fen: i64,
    ) -> Result<AccountView, AppError> {
        positive(amount_fen)?;
        self.holder_command(Some(customer), id, StoredEvent::CashAdvance { amount_fen })
            .await
    }

    /// A merchant refund on an account (the acquirer's side).
    pub async fn credit_refund(&self, id: Uuid, amount_fen: i64) -> Result<AccountView, AppError> {
        positive(amount_fen)?;
        self.holder_command(None, id, StoredEvent::Refund { amount_fen })
            .await
    }

    /// A temporary limit (临时调额) from today through `until` (rule 10; it expires by itself).
    pub async fn credit_temp_limit(
        &self,
        id: Uuid,
        amount_fen: i64,
        until: Date,
    ) -> Result<AccountView, AppError> {
        positive(amount_fen)?;
        self.holder_command(None, id, StoredEvent::TempLimit { amount_fen, until })
            .await
    }

    /// A bank action on an account's status: freeze, unfreeze or close (close needs a zero
    /// balance with nothing pending or accruing).
    pub async fn credit_set_status(
        &self,
        id: Uuid,
        action: StatusAction,
    ) -> Result<AccountView, AppError> {
        let event = match action {
            StatusAction::Freeze => StoredEvent::Freeze,
            StatusAction::Unfreeze => StoredEvent::Unfreeze,
            StatusAction::Close => StoredEvent::Close,
        };
        self.holder_command(None, id, event).await
    }

    /// An authorisation from the network (a purchase, or an ATM cash advance when `cash`).
    pub async fn credit_authorise(
        &self,
        card: CardSelector,
        amount_fen: i64,
        cash: bool,
    ) -> Result<AuthorisationView, AppError> {
        let amount = positive(amount_fen)?;
        let card = match card {
            CardSelector::Number(n) => CardRef::Pan(pan(n.expose_secret())?),
            CardSelector::Id(id) => CardRef::Id(id),
        };
        Ok(self
            .credit()?
            .authorise(card, amount, cash, self.today())
            .await?)
    }

    /// An authorisation under an `Idempotency-Key` in `scope` for `request` (its route and
    /// body bytes), answered by `answer`: the key, the authorisation and the answer are
    /// written in one durable commit shared with other requests (docs/architecture.md, the
    /// credit path). Returns the answer and whether it was replayed from an earlier request.
    /// A decline writes nothing (the key stays free); the key's other outcomes are those of
    /// [`App::idempotency_begin`].
    #[allow(clippy::too_many_arguments)]
    pub async fn credit_authorise_once(
        &self,
        scope: &str,
        key: &str,
        request: &[u8],
        card: CardSelector,
        amount_fen: i64,
        cash: bool,
        answer: &(dyn Fn(&AuthorisationView) -> (u16, String) + Sync),
    ) -> Result<(StoredAnswer, bool), AppError> {
        check_key(key)?;
        let amount = positive(amount_fen)?;
        let card = match card {
            CardSelector::Number(n) => CardRef::Pan(pan(n.expose_secret())?),
            CardSelector::Id(id) => CardRef::Id(id),
        };
        let keyed = KeyedRequest {
            scope: scope.to_owned(),
            key: key.to_owned(),
            hash: request_hash(scope, request),
            created_at_ns: i64::try_from(self.clock().now().as_nanosecond()).unwrap_or(i64::MAX),
            // Answered from this commit alone: it waits for the disk.
            durability: cardlife_store::Durability::Synced,
        };
        let outcome = self
            .credit()?
            .authorise_keyed(card, amount, cash, self.today(), &keyed, answer)
            .await?;
        Ok(match outcome {
            Keyed::Ran { status, body } => (StoredAnswer { status, body }, false),
            Keyed::Replayed { status, body } => (StoredAnswer { status, body }, true),
        })
    }

    /// An authorisation by id.
    pub async fn credit_authorisation(&self, id: u128) -> Result<AuthorisationView, AppError> {
        self.credit()?
            .authorisation(id)
            .await
            .map_err(|e| not_found_as(e.into(), Missing::Authorisation(id)))
    }

    /// Captures `amount_fen` (≤ the amount held) of an authorisation; the rest is released.
    pub async fn credit_capture(
        &self,
        id: u128,
        amount_fen: i64,
    ) -> Result<AuthorisationView, AppError> {
        let amount = positive(amount_fen)?;
        self.credit()?
            .capture(id, amount, self.today())
            .await
            .map_err(|e| not_found_as(e.into(), Missing::Authorisation(id)))
    }

    /// Reverses (voids) an authorisation.
    pub async fn credit_reverse(&self, id: u128) -> Result<AuthorisationView, AppError> {
        self.credit()?
            .reverse(id, self.today())
            .await
            .map_err(|e| not_found_as(e.into(), Missing::Authorisation(id)))
    }

    /// Closes every business day before today not yet closed, on every account (posting,
    /// late fees, interest, statements, delinquency, expiries). Idempotent. Returns the days
    /// closed, summed over accounts.
    pub async fn credit_close_days_through(&self, today: Date) -> Result<usize, AppError> {
        let yesterday = today
            .yesterday()
            .map_err(|e| AppError::CommandRefused(e.to_string()))?;
        Ok(self.credit()?.close_days_through(yesterday).await?)
    }

    /// Closes every day through `day`, which must be before today (an operator action).
    pub async fn credit_close_day(&self, day: Date) -> Result<usize, AppError> {
        if day >= self.today() {
            return Err(AppError::CommandRefused(format!(
                "{day} is not over yet: only days before today ({}) can be closed",
                self.today()
            )));
        }
        Ok(self.credit()?.close_days_through(day).await?)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use cardlife_kernel::FakeClock;
    use cardlife_store::{Db, LedgerService};

    use super::*;

    async fn app() -> (App, FakeClock, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/test.db", dir.path().display());
        let db = Db::open(&url).await.unwrap();
        db.migrate().await.unwrap();
        let fake = FakeClock::new("2026-04-01T02:00:00Z".parse().unwrap());
        let ledger = LedgerService::start(&db, fake.shared()).await.unwrap();
        let app = App::new(db, ledger, fake.shared())
            .with_credit(CardKeys::new([1; 32], [2; 32]))
            .await
            .unwrap();
        (app, fake, dir)
    }

    fn open(customer: CustomerId) -> OpenCreditAccount {
        OpenCreditAccount {
            customer_id: customer,
            product: serde_json::json!({}),
            credit_limit_fen: 1_000_000,
            card_number: Secret::new("4111111111111111".to_owned()),
            card_expires: "2030-12".to_owned(),
        }
    }

    #[tokio::test]
    async fn amounts_card_numbers_and_expiries_are_checked_before_the_store() {
        let (app, _clock, _dir) = app().await;
        let customer = CustomerId::generate();
        let mut bad = open(customer);
        bad.credit_limit_fen = 0;
        assert!(matches!(
            app.credit_open_account(bad).await,
            Err(AppError::InvalidAmount(_))
        ));
        let mut bad = open(customer);
        bad.card_number = Secret::new("4111111111111112".to_owned());
        assert!(matches!(
            app.credit_open_account(bad).await,
            Err(AppError::InvalidCard(_))
        ));
        let mut bad = open(customer);
        bad.card_expires = "2030-13".to_owned();
        assert!(matches!(
            app.credit_open_account(bad).await,
            Err(AppError::InvalidCard(_))
        ));
        let a = app.credit_open_account(open(customer)).await.unwrap();
        assert!(matches!(
            app.credit_repay(customer, a.id, -5).await,
            Err(AppError::InvalidAmount(_))
        ));
        assert!(matches!(
            app.credit_repay(CustomerId::generate(), a.id, 5).await,
            Err(AppError::NotFound(Missing::CreditAccount(_)))
        ));
    }

    #[tokio::test]
    async fn closing_days_by_the_clock_is_idempotent_and_refuses_today() {
        let (app, clock, _dir) = app().await;
        let customer = CustomerId::generate();
        let a = app.credit_open_account(open(customer)).await.unwrap();
        clock.advance_days(10);
        let today = app.today();
        assert_eq!(app.credit_close_days_through(today).await.unwrap(), 10);
        assert_eq!(app.credit_close_days_through(today).await.unwrap(), 0);
        assert!(matches!(
            app.credit_close_day(today).await,
            Err(AppError::CommandRefused(_))
        ));
        let statements = app.credit_statements(customer, a.id).await.unwrap();
        assert_eq!(statements.len(), 1, "the 7 Apr statement, all zeros");
        assert_eq!(statements[0].balance_fen, 0);
        assert!(app.check().await.unwrap().ok());
    }
}
