//! Card installments over the API (docs/api.md, "Card installments"; docs/domain.md §4): the
//! holder asks for a quote of a bill installment (账单分期) of the latest statement, reads the
//! APR first, and books it with explicit consent; early settlement under the product's policy.
//! Every check that can be made before the engine is made here, with a precise refusal; the
//! engine (`BillInstallment`, `SettleInstallment`) checks again on a copy of the account and
//! its refusals are mapped to the same refusals, so a refused booking writes nothing.

use cardlife_credit::billing::{BillingError, Plan, Source};
use cardlife_credit::quote::{
    FeeMode, InstallmentQuote, InstallmentQuoteView, Periods, format_percent,
};
use cardlife_kernel::{CustomerId, Money, Rate};
use cardlife_store::credit::{CreditError, StoredEvent};
use jiff::civil::Date;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use uuid::Uuid;

use crate::{App, AppError, Missing};

/// The smallest amount a bill installment converts (500.00), the product minimum of
/// docs/api.md.
pub const MIN_INSTALLMENT_FEN: i64 = 50_000;

/// Why an installment request was refused (each a stable code, docs/api.md).
#[derive(Debug, thiserror::Error)]
pub enum InstallmentError {
    /// Periods not from 1 to 60.
    #[error("periods must be from 1 to 60, got {0}")]
    PeriodsOutOfRange(u32),
    /// A rate below zero.
    #[error("the rate must not be negative")]
    NegativeRate,
    /// A rate that is not a decimal with at most eight decimals.
    #[error("the rate must be a decimal with at most eight decimals")]
    InvalidRate,
    /// A fee mode other than `per_period` or `upfront`.
    #[error("fee_mode must be per_period or upfront")]
    UnknownFeeMode,
    /// A kind other than `bill`.
    #[error("kind must be bill (purchase installments are not offered over the API yet)")]
    UnknownKind,
    /// Below [`MIN_INSTALLMENT_FEN`].
    #[error("the amount is below the minimum installment of {0}")]
    BelowMinimum(Money),
    /// No statement, or today is not after its statement date and by its due date.
    #[error("{0}")]
    WindowClosed(String),
    /// More than the statement's balance still unpaid and not already converted.
    #[error("{0}")]
    ExceedsUnconverted(String),
    /// Part of the statement above the permanent limit (a temporary-limit overdraft).
    #[error("{0}")]
    OverPermanentLimit(String),
    /// Not billed purchase principal (fees, interest, cash, installments).
    #[error("{0}")]
    NotConvertible(String),
    /// `consent` missing or false.
    #[error("booking an installment needs \"consent\": true")]
    ConsentRequired,
    /// A quote id that is not one of ours, or for another account.
    #[error("this quote id is not a quote for this account")]
    UnknownQuote,
    /// No such plan on the account.
    #[error("no installment plan {0} on this account")]
    PlanNotFound(usize),
    /// The plan was settled already.
    #[error("installment plan {0} is already settled")]
    PlanSettled(usize),
}

impl From<InstallmentError> for AppError {
    fn from(e: InstallmentError) -> Self {
        Self::Installment(e)
    }
}

/// A bill installment quote as asked for.
#[derive(Debug, Clone)]
pub struct QuoteRequest {
    /// `bill`.
    pub kind: String,
    /// Fen.
    pub amount_fen: i64,
    /// 1–60.
    pub periods: u32,
    /// Decimal text, per period.
    pub rate: String,
    /// `per_period` (default) or `upfront`.
    pub fee_mode: Option<String>,
}

/// A quote: the APR first, then what it is for, then the schedule.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct InstallmentOffer {
    /// APR = 12 × the monthly IRR, in percent: shown first.
    pub apr_percent: String,
    /// The effective annual rate, in percent.
    pub ear_percent: String,
    /// Pass it to the booking with `consent: true`.
    pub quote_id: String,
    /// `bill`.
    pub kind: &'static str,
    /// The statement converted.
    #[schema(value_type = String)]
    pub statement_date: Date,
    /// The schedule and its costs.
    pub quote: InstallmentQuoteView,
}

/// A plan as the holder sees it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct PlanView {
    /// 1-based, in booking order: the `{plan}` of the settlement route.
    pub number: usize,
    /// `bill` or `purchase`.
    pub kind: &'static str,
    /// APR in percent.
    pub apr_percent: String,
    /// Booking date.
    #[schema(value_type = String)]
    pub booked: Date,
    /// Principal converted, fen.
    pub amount_fen: i64,
    /// Periods.
    pub periods: u32,
    /// Periods billed so far.
    pub billed: usize,
    /// Principal not yet billed, fen.
    pub unbilled_fen: i64,
    /// Early-settlement date.
    #[schema(value_type = Option<String>)]
    pub settled: Option<Date>,
}

impl From<&Plan> for PlanView {
    fn from(p: &Plan) -> Self {
        Self {
            number: p.number,
            kind: match p.source {
                Source::Bill { .. } => "bill",
                Source::Purchase { .. } => "purchase",
            },
            apr_percent: format_percent(p.quote.annualised().apr_percent()),
            booked: p.booked,
            amount_fen: p.quote.amount().fen(),
            periods: p.quote.periods().get(),
            billed: p.billed,
            unbilled_fen: p.unbilled.fen(),
            settled: p.settled,
        }
    }
}

/// What a quote id carries (it is not secret: booking checks everything again).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct QuoteToken {
    a: Uuid,
    s: Date,
    f: i64,
    p: u32,
    r: i64,
    u: bool,
}

impl QuoteToken {
    fn encode(&self) -> Result<String, AppError> {
        let json = serde_json::to_vec(self).map_err(|_| InstallmentError::UnknownQuote)?;
        let hex: String = json.iter().map(|b| format!("{b:02x}")).collect();
        Ok(format!("iq_{hex}"))
    }

    fn decode(text: &str) -> Result<Self, InstallmentError> {
        let hex_part = text
            .strip_prefix("iq_")
            .ok_or(InstallmentError::UnknownQuote)?;
        if hex_part.len() % 2 != 0 || !hex_part.is_ascii() {
            return Err(InstallmentError::UnknownQuote);
        }
        let bytes = (0..hex_part.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex_part[i..i + 2], 16))
            .collect::<Result<Vec<u8>, _>>()
            .map_err(|_| InstallmentError::UnknownQuote)?;
        serde_json::from_slice(&bytes).map_err(|_| InstallmentError::UnknownQuote)
    }

    fn quote(&self) -> Result<InstallmentQuote, AppError> {
        let mode = if self.u {
            FeeMode::Upfront
        } else {
            FeeMode::PerPeriod
        };
        Ok(InstallmentQuote::new(
            Money::cny(self.f),
            Periods::new(self.p)?,
            Rate::new(Decimal::new(self.r, 8)),
            mode,
        )?)
    }
}

fn rate_e8(text: &str) -> Result<i64, InstallmentError> {
    let rate = Rate::parse(text).map_err(|_| InstallmentError::InvalidRate)?;
    if rate.is_negative() {
        return Err(InstallmentError::NegativeRate);
    }
    let scaled = rate.as_decimal() * Decimal::from(100_000_000_i64);
    if !scaled.fract().is_zero() {
        return Err(InstallmentError::InvalidRate);
    }
    scaled.to_i64().ok_or(InstallmentError::InvalidRate)
}

/// The engine's refusal of an installment event, as a precise refusal.
fn classify(e: CreditError) -> AppError {
    if let CreditError::Billing(BillingError::InvalidEvent { reason, .. }) = &e {
        let r = reason.clone();
        let refusal = if r.contains("above the permanent limit") {
            Some(InstallmentError::OverPermanentLimit(r))
        } else if r.contains("still unpaid and unconverted") {
            Some(InstallmentError::ExceedsUnconverted(r))
        } else if r.contains("needs a statement") || r.contains("by the due date") {
            Some(InstallmentError::WindowClosed(r))
        } else if r.contains("only billed purchase principal") {
            Some(InstallmentError::NotConvertible(r))
        } else {
            None
        };
        if let Some(refusal) = refusal {
            return refusal.into();
        }
    }
    e.into()
}

impl App {
    fn credit_service(&self) -> Result<&cardlife_store::credit::CreditService, AppError> {
        self.credit.as_ref().ok_or(AppError::Unavailable)
    }

    /// A bill installment quote on one of the holder's accounts (writes nothing).
    pub async fn installment_quote(
        &self,
        customer: CustomerId,
        id: Uuid,
        req: QuoteRequest,
    ) -> Result<InstallmentOffer, AppError> {
        let account = self.credit_account(customer, id).await?;
        if req.kind != "bill" {
            return Err(InstallmentError::UnknownKind.into());
        }
        if !(1..=60).contains(&req.periods) {
            return Err(InstallmentError::PeriodsOutOfRange(req.periods).into());
        }
        let r = rate_e8(&req.rate)?;
        let upfront = match req.fee_mode.as_deref() {
            None | Some("per_period") => false,
            Some("upfront") => true,
            Some(_) => return Err(InstallmentError::UnknownFeeMode.into()),
        };
        if req.amount_fen <= 0 {
            return Err(AppError::InvalidAmount(format!(
                "amount_fen must be a positive number of fen, got {}",
                req.amount_fen
            )));
        }
        if req.amount_fen < MIN_INSTALLMENT_FEN {
            return Err(InstallmentError::BelowMinimum(Money::cny(MIN_INSTALLMENT_FEN)).into());
        }
        let statements = self.credit_statements(customer, id).await?;
        let Some(s) = statements.first() else {
            return Err(InstallmentError::WindowClosed(
                "a bill installment needs a statement, and none has been cut yet".into(),
            )
            .into());
        };
        let today = self.today();
        if !(s.statement_date < today && today <= s.due_date) {
            return Err(InstallmentError::WindowClosed(format!(
                "a bill installment is asked after the statement date and by the due date: \
                 the latest statement, {}, was due {}",
                s.statement_date, s.due_date
            ))
            .into());
        }
        let installable = s.balance_fen.min(account.credit_limit.fen());
        if req.amount_fen > s.balance_fen {
            return Err(InstallmentError::ExceedsUnconverted(format!(
                "{} is more than the {} statement's balance {}",
                Money::cny(req.amount_fen),
                s.statement_date,
                Money::cny(s.balance_fen)
            ))
            .into());
        }
        if req.amount_fen > installable {
            return Err(InstallmentError::OverPermanentLimit(format!(
                "only {} of the {} statement is within the permanent limit {}: the part above \
                 it (a temporary-limit overdraft) is not installable",
                Money::cny(installable),
                s.statement_date,
                account.credit_limit
            ))
            .into());
        }
        let token = QuoteToken {
            a: id,
            s: s.statement_date,
            f: req.amount_fen,
            p: req.periods,
            r,
            u: upfront,
        };
        let quote = token.quote()?;
        let view = InstallmentQuoteView::from(&quote);
        Ok(InstallmentOffer {
            apr_percent: view.apr_percent.clone(),
            ear_percent: view.ear_percent.clone(),
            quote_id: token.encode()?,
            kind: "bill",
            statement_date: s.statement_date,
            quote: view,
        })
    }

    /// Books a quoted bill installment; `consent` must be `Some(true)`.
    pub async fn installment_book(
        &self,
        customer: CustomerId,
        id: Uuid,
        quote_id: &str,
        consent: Option<bool>,
    ) -> Result<PlanView, AppError> {
        // Ownership first: another customer's account answers 404 whatever the body.
        self.credit_account(customer, id).await?;
        if consent != Some(true) {
            return Err(InstallmentError::ConsentRequired.into());
        }
        let token = QuoteToken::decode(quote_id)?;
        if token.a != id {
            return Err(InstallmentError::UnknownQuote.into());
        }
        let latest = self.credit_statements(customer, id).await?;
        if latest.first().map(|s| s.statement_date) != Some(token.s) {
            return Err(InstallmentError::WindowClosed(format!(
                "the quote was for the {} statement, which is no longer the latest",
                token.s
            ))
            .into());
        }
        let event = StoredEvent::BillInstallment {
            amount_fen: token.f,
            periods: token.p,
            rate_e8: token.r,
            upfront: token.u,
        };
        let svc = self.credit_service()?;
        svc.holder_command(id, Some(customer.as_uuid()), event, self.today())
            .await
            .map_err(classify)?;
        let plans = svc.installments(id, customer.as_uuid()).await?;
        plans
            .last()
            .map(PlanView::from)
            .ok_or_else(|| AppError::NotFound(Missing::CreditAccount(id.as_u128())))
    }

    /// The installment plans of one of the holder's accounts, in booking order.
    pub async fn installments(
        &self,
        customer: CustomerId,
        id: Uuid,
    ) -> Result<Vec<PlanView>, AppError> {
        self.credit_account(customer, id).await?;
        let plans = self
            .credit_service()?
            .installments(id, customer.as_uuid())
            .await?;
        Ok(plans.iter().map(PlanView::from).collect())
    }

    /// Early settlement of plan `number` under the product's policy: the remaining principal
    /// and its cost are billed on the next statement.
    pub async fn installment_settle(
        &self,
        customer: CustomerId,
        id: Uuid,
        number: usize,
    ) -> Result<PlanView, AppError> {
        self.credit_account(customer, id).await?;
        let svc = self.credit_service()?;
        let plans = svc.installments(id, customer.as_uuid()).await?;
        let plan = plans
            .iter()
            .find(|p| p.number == number)
            .ok_or(InstallmentError::PlanNotFound(number))?;
        if plan.settled.is_some() {
            return Err(InstallmentError::PlanSettled(number).into());
        }
        svc.holder_command(
            id,
            Some(customer.as_uuid()),
            StoredEvent::SettleInstallment { plan: number },
            self.today(),
        )
        .await
        .map_err(classify)?;
        let plans = svc.installments(id, customer.as_uuid()).await?;
        plans
            .iter()
            .find(|p| p.number == number)
            .map(PlanView::from)
            .ok_or_else(|| InstallmentError::PlanNotFound(number).into())
    }
}
