//! Card installments over the API (docs/api.md, "Card installments"; docs/domain.md §4): the
//! holder asks for a quote of a bill installment (账单分期) of the latest statement, of a
//! purchase installment (消费分期) of a posted, unbilled purchase named by its id, or of a cash
//! installment (现金分期) paid out to one of the holder's own bound debit cards, or of a hardship
//! plan (个性化分期) of a past-due account's billed principal, reads the APR
//! first, and books it with explicit consent; early settlement under the product's policy. A
//! quote runs its booking on a copy of the account, so the engine's rules (the product's
//! minimum and maximum amounts among them) refuse a bad quote exactly as they would refuse the
//! booking; the engine's refusals are mapped by their type ([`InstallmentRefusal`]) and a
//! refused booking writes nothing.

use cardlife_credit::billing::{InstallmentRefusal, Plan, PricedKind, Source};
use cardlife_credit::quote::plan::Purpose;
use cardlife_credit::quote::{
    FeeMode, InstallmentQuote, InstallmentQuoteView, Periods, format_percent,
};
use cardlife_kernel::{CustomerId, Money, Rate};
use cardlife_store::credit::{PurchaseView, StoredEvent};
use jiff::civil::Date;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use uuid::Uuid;

use crate::{App, AppError, Missing};

mod pricing;

pub use pricing::OfferedTermView;

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
    /// A kind other than `bill`, `purchase`, `merchant`, `cash` or `hardship`.
    #[error("kind must be bill, purchase, merchant, cash, hardship or special")]
    UnknownKind,
    /// A hardship plan on an account that is not past due.
    #[error("{0}")]
    NotDelinquent(String),
    /// A cash installment without a `debit_card_id`.
    #[error("a cash installment is paid to one of your bound debit cards: \"debit_card_id\"")]
    DebitCardRequired,
    /// Below the product's minimum installment amount.
    #[error("{0}")]
    BelowMinimum(String),
    /// Above the product's maximum installment amount.
    #[error("{0}")]
    AboveMaximum(String),
    /// Terms the engine cannot schedule.
    #[error("{0}")]
    InvalidTerms(String),
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
    /// A purchase installment without a well-formed `purchase_id`.
    #[error("{0}")]
    InvalidPurchaseId(String),
    /// No such purchase on this account.
    #[error("{0}")]
    PurchaseUnknown(String),
    /// The purchase is authorised but not posted yet.
    #[error("{0}")]
    PurchaseNotPosted(String),
    /// The purchase is on a statement already (a bill installment converts it).
    #[error("{0}")]
    PurchaseBilled(String),
    /// The purchase is repaid or refunded.
    #[error("{0}")]
    PurchaseRepaid(String),
    /// The purchase is converted already.
    #[error("{0}")]
    PurchaseConverted(String),
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
    /// The plan was cancelled or is fully billed: nothing to settle.
    #[error("{0}")]
    PlanClosed(String),
    /// A merchant installment of a purchase not made at a merchant paying the fee of a plan
    /// with these periods.
    #[error("{0}")]
    MerchantTermsNotOffered(String),
    /// Merchant installment terms naming the same periods twice.
    #[error("periods {0} appears twice in the terms")]
    DuplicateTerm(u32),
    /// A special-purpose plan without a known `purpose`.
    #[error("{0}")]
    UnknownPurpose(String),
    /// No special limit granted on the account for the plan's purpose.
    #[error("{0}")]
    NoSpecialLimit(String),
    /// A special-purpose plan above what is left of the purpose's special limit.
    #[error("{0}")]
    SpecialLimitExceeded(String),
    /// A special-purpose plan without a `merchant_id`.
    #[error("a special-purpose plan is paid to the merchant named in \"merchant_id\"")]
    MerchantRequired,
    /// No such merchant.
    #[error("{0}")]
    MerchantUnknown(String),
    /// The merchant is not approved (pending, rejected or suspended).
    #[error("{0}")]
    MerchantNotApproved(String),
    /// Periods the card's product does not offer for this kind, a `rate` or `fee_mode` other
    /// than the product's price, or a quote whose price the product no longer offers.
    #[error("{0}")]
    TermNotOffered(String),
}

impl From<InstallmentError> for AppError {
    fn from(e: InstallmentError) -> Self {
        Self::Installment(e)
    }
}

/// The engine's installment refusal, by its type.
pub(crate) fn engine_refusal(refusal: InstallmentRefusal, reason: String) -> AppError {
    use InstallmentError as I;
    use InstallmentRefusal as R;
    match refusal {
        R::Terms => I::InvalidTerms(reason),
        R::BelowMinimum => I::BelowMinimum(reason),
        R::AboveMaximum => I::AboveMaximum(reason),
        R::WindowClosed => I::WindowClosed(reason),
        R::ExceedsUnconverted => I::ExceedsUnconverted(reason),
        R::OverPermanentLimit => I::OverPermanentLimit(reason),
        R::NotConvertible => I::NotConvertible(reason),
        R::PurchaseUnknown => I::PurchaseUnknown(reason),
        R::PurchaseNotPosted => I::PurchaseNotPosted(reason),
        R::PurchaseBilled => I::PurchaseBilled(reason),
        R::PurchaseRepaid => I::PurchaseRepaid(reason),
        R::PurchaseConverted => I::PurchaseConverted(reason),
        R::NotDelinquent => I::NotDelinquent(reason),
        R::SpecialLimitExceeded => I::SpecialLimitExceeded(reason),
        R::PlanUnknown | R::PlanClosed => I::PlanClosed(reason),
    }
    .into()
}

/// An installment quote as asked for.
#[derive(Debug, Clone)]
pub struct QuoteRequest {
    /// `bill` or `purchase`.
    pub kind: String,
    /// Fen: the part of the statement (bill); the purchase's amount if given (purchase).
    pub amount_fen: Option<i64>,
    /// The purchase converted (purchase): its id from the convertible purchases.
    pub purchase_id: Option<String>,
    /// The holder's bound debit card paid (cash).
    pub debit_card_id: Option<String>,
    /// 1–60.
    pub periods: u32,
    /// Decimal text, per period (required but for `merchant`, whose customer rate is 0).
    pub rate: Option<String>,
    /// `per_period` (default) or `upfront`.
    pub fee_mode: Option<String>,
    /// What a special-purpose plan finances: `auto`, `travel`, `education`,
    /// `home_improvement` (special).
    pub purpose: Option<String>,
    /// The approved merchant a special-purpose plan pays, `mer_…` (special).
    pub merchant_id: Option<String>,
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
    /// `bill`, `purchase`, `cash` or `hardship`.
    pub kind: &'static str,
    /// The statement converted (bill).
    #[schema(value_type = Option<String>)]
    pub statement_date: Option<Date>,
    /// The purchase converted (purchase).
    pub purchase_id: Option<Uuid>,
    /// The holder's debit card paid (cash).
    pub debit_card_id: Option<Uuid>,
    /// The merchant paying the fee (merchant), or paid the principal (special), `mer_…`.
    pub merchant_id: Option<String>,
    /// The schedule and its costs.
    pub quote: InstallmentQuoteView,
    /// What the plan finances (special).
    pub purpose: Option<&'static str>,
}

/// A purchase a purchase installment may convert.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ConvertiblePurchaseView {
    /// Name it in a quote's `purchase_id` (its authorisation's id).
    pub purchase_id: Uuid,
    /// The transaction date.
    #[schema(value_type = String)]
    pub transaction_date: Date,
    /// The posting date.
    #[schema(value_type = String)]
    pub posted: Date,
    /// Fen still owed of it: what the conversion converts.
    pub amount_fen: i64,
}

impl From<PurchaseView> for ConvertiblePurchaseView {
    fn from(p: PurchaseView) -> Self {
        Self {
            purchase_id: Uuid::from_u128(p.id),
            transaction_date: p.transaction_date,
            posted: p.posted,
            amount_fen: p.amount.fen(),
        }
    }
}

/// A plan as the holder sees it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct PlanView {
    /// 1-based, in booking order: the `{plan}` of the settlement route.
    pub number: usize,
    /// `bill`, `purchase`, `cash` or `hardship`.
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
    /// The date the plan was cancelled by the full refund of its purchase.
    #[schema(value_type = Option<String>)]
    pub cancelled: Option<Date>,
    /// What a special-purpose plan finances.
    pub purpose: Option<&'static str>,
    /// The merchant a special-purpose plan paid, `mer_…`.
    pub merchant_id: Option<String>,
    /// Fen the next statement bills of it (the next period's principal and fee); none once
    /// the plan is fully billed, settled or cancelled.
    pub next_payment_fen: Option<i64>,
}

impl From<&Plan> for PlanView {
    fn from(p: &Plan) -> Self {
        Self {
            number: p.number,
            kind: match p.source {
                Source::Bill { .. } => "bill",
                Source::Purchase { .. } => "purchase",
                Source::Cash => "cash",
                Source::Hardship => "hardship",
                Source::Special { .. } => "special",
            },
            apr_percent: format_percent(p.quote.annualised().apr_percent()),
            booked: p.booked,
            amount_fen: p.quote.amount().fen(),
            periods: p.quote.periods().get(),
            billed: p.billed,
            unbilled_fen: p.unbilled.fen(),
            settled: p.settled,
            cancelled: p.cancelled,
            purpose: p.special_purpose().map(Purpose::as_str),
            merchant_id: match p.source {
                Source::Special { merchant, .. } => Some(
                    cardlife_kernel::MerchantId::from_uuid(Uuid::from_u128(merchant)).to_string(),
                ),
                _ => None,
            },
            next_payment_fen: p
                .next_row()
                .and_then(|r| r.principal.fen().checked_add(r.fee.fen())),
        }
    }
}

/// What a quote id carries (it is not secret: booking checks everything again).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct QuoteToken {
    /// The account.
    a: Uuid,
    /// The statement converted (bill).
    s: Option<Date>,
    /// The purchase converted (purchase).
    g: Option<Uuid>,
    /// The debit card paid (cash).
    d: Option<Uuid>,
    /// A hardship plan of the delinquent balance.
    #[serde(default)]
    h: bool,
    /// The merchant paying the fee (merchant installment) and its rate per period in 10⁻⁸.
    #[serde(default)]
    m: Option<(Uuid, i64)>,
    /// A special-purpose plan: its purpose, the merchant paid and the special limit.
    #[serde(default)]
    x: Option<SpecialToken>,
    f: i64,
    p: u32,
    r: i64,
    u: bool,
}

/// What a special-purpose quote carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct SpecialToken {
    /// The purpose.
    p: Purpose,
    /// The merchant paid.
    m: Uuid,
    /// The special limit for `p` (read again at booking).
    l: i64,
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

    /// The kind the card's product prices, if this quote is of one (bill, purchase, cash).
    fn priced_kind(&self) -> Option<PricedKind> {
        // Special-purpose plans are priced by their own terms, not the card's price list.
        if self.x.is_some() {
            return None;
        }
        match (self.g, self.d, self.m) {
            (Some(_), _, None) => Some(PricedKind::Purchase),
            (Some(_), _, Some(_)) => None,
            (None, Some(_), _) => Some(PricedKind::Cash),
            (None, None, _) if self.h => None,
            (None, None, _) => Some(PricedKind::Bill),
        }
    }

    /// The booking event this quote stands for (`hold`: the purchase's card-local hold).
    fn event(&self, hold: Option<u64>) -> StoredEvent {
        if let Some(x) = self.x {
            return StoredEvent::SpecialInstallment {
                amount_fen: self.f,
                periods: self.p,
                rate_e8: self.r,
                upfront: self.u,
                purpose: x.p,
                merchant: x.m,
                limit_fen: x.l,
            };
        }
        match (hold, self.d) {
            (Some(hold), _) => StoredEvent::PurchaseInstallment {
                hold,
                periods: self.p,
                rate_e8: self.r,
                upfront: self.u,
            },
            (None, Some(debit_card)) => StoredEvent::CashInstallment {
                amount_fen: self.f,
                periods: self.p,
                rate_e8: self.r,
                upfront: self.u,
                debit_card,
            },
            (None, None) if self.h => StoredEvent::HardshipInstallment {
                amount_fen: self.f,
                periods: self.p,
                rate_e8: self.r,
                upfront: self.u,
            },
            (None, None) => StoredEvent::BillInstallment {
                amount_fen: self.f,
                periods: self.p,
                rate_e8: self.r,
                upfront: self.u,
            },
        }
    }
}

pub(crate) fn rate_e8(text: &str) -> Result<i64, InstallmentError> {
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

fn positive(amount_fen: i64) -> Result<i64, AppError> {
    if amount_fen <= 0 {
        return Err(AppError::InvalidAmount(format!(
            "amount_fen must be a positive number of fen, got {amount_fen}"
        )));
    }
    Ok(amount_fen)
}

fn purchase_id(text: Option<&str>) -> Result<u128, InstallmentError> {
    let text = text.ok_or_else(|| {
        InstallmentError::InvalidPurchaseId(
            "a purchase installment names its purchase in \"purchase_id\"".into(),
        )
    })?;
    Uuid::try_parse(text)
        .map(|u| u.as_u128())
        .map_err(|_| InstallmentError::InvalidPurchaseId(format!("{text:?} is not a purchase id")))
}

impl App {
    fn credit_service(&self) -> Result<&cardlife_store::credit::CreditService, AppError> {
        self.credit.as_ref().ok_or(AppError::Unavailable)
    }

    /// An installment quote on one of the holder's accounts: the booking is run on a copy of
    /// the account, so it is refused here exactly as it would be at booking. Writes nothing.
    pub async fn installment_quote(
        &self,
        customer: CustomerId,
        id: Uuid,
        req: QuoteRequest,
    ) -> Result<InstallmentOffer, AppError> {
        self.credit_account(customer, id).await?;
        let kind = match req.kind.as_str() {
            "bill" => "bill",
            "purchase" => "purchase",
            "merchant" => "merchant",
            "cash" => "cash",
            "hardship" => "hardship",
            "special" => "special",
            _ => return Err(InstallmentError::UnknownKind.into()),
        };
        if !(1..=60).contains(&req.periods) {
            return Err(InstallmentError::PeriodsOutOfRange(req.periods).into());
        }
        let asked_rate = req.rate.as_deref().map(rate_e8).transpose()?;
        let asked_upfront = match req.fee_mode.as_deref() {
            None => None,
            Some("per_period") => Some(false),
            Some("upfront") => Some(true),
            Some(_) => return Err(InstallmentError::UnknownFeeMode.into()),
        };
        let (r, upfront) = match (kind, asked_rate) {
            // The customer's rate of a merchant-paid plan is 0: the merchant's terms set its fee.
            ("merchant", None) => (0, asked_upfront.unwrap_or(false)),
            ("merchant", Some(_)) => {
                return Err(InstallmentError::InvalidTerms(
                    "a merchant installment is free to you: leave \"rate\" out".into(),
                )
                .into());
            }
            // A hardship plan is priced case by case (docs/api.md): the caller's rate.
            ("hardship", Some(r)) => (r, asked_upfront.unwrap_or(false)),
            ("hardship", None) => return Err(InstallmentError::InvalidRate.into()),
            // A special-purpose plan carries the rate of its programme with the merchant
            // (promotions differ by purpose and partner): the caller's rate, shown back in the
            // quote with its APR before consent.
            ("special", Some(r)) => (r, asked_upfront.unwrap_or(false)),
            ("special", None) => return Err(InstallmentError::InvalidRate.into()),
            (_, _) => {
                let priced = pricing::priced_kind(kind).ok_or(InstallmentError::UnknownKind)?;
                let price = self
                    .product_price(customer, id, priced, req.periods)
                    .await?;
                pricing::check_asked(priced, req.periods, price, asked_rate, asked_upfront)?;
                price
            }
        };
        let amount = req.amount_fen.map(positive).transpose()?;
        let mut token_hold = None;
        let token = if kind == "purchase" || kind == "merchant" {
            let g = purchase_id(req.purchase_id.as_deref())?;
            let (hold, found) = self.convertible(customer, id, g).await?;
            let f = found.map_or(0, |p| p.amount.fen());
            if let (Some(asked), Some(_)) = (amount, found)
                && asked != f
            {
                return Err(AppError::InvalidAmount(format!(
                    "a purchase installment converts the whole purchase, {}, not {}",
                    Money::cny(f),
                    Money::cny(asked)
                )));
            }
            token_hold = Some(hold);
            let m = if kind == "merchant" {
                let (merchant, rate) = self
                    .merchant_term_for(Uuid::from_u128(g), req.periods)
                    .await?;
                Some((merchant.as_uuid(), rate))
            } else {
                None
            };
            QuoteToken {
                a: id,
                s: None,
                g: Some(Uuid::from_u128(g)),
                d: None,
                h: false,
                m,
                x: None,
                f,
                p: req.periods,
                r,
                // A free plan has no fee to charge upfront.
                u: upfront && m.is_none(),
            }
        } else if kind == "special" {
            let f = amount.ok_or_else(|| {
                AppError::InvalidAmount("a special-purpose plan needs amount_fen".into())
            })?;
            let p = crate::special_installments::purpose(req.purpose.as_deref())?;
            let merchant = self.special_merchant(req.merchant_id.as_deref()).await?;
            let l = self.special_limit_for(id, p).await?;
            QuoteToken {
                a: id,
                s: None,
                g: None,
                d: None,
                h: false,
                m: None,
                x: Some(SpecialToken {
                    p,
                    m: merchant.id.as_uuid(),
                    l,
                }),
                f,
                p: req.periods,
                r,
                u: upfront,
            }
        } else if kind == "cash" {
            let f = amount.ok_or_else(|| {
                AppError::InvalidAmount("a cash installment needs amount_fen".into())
            })?;
            let card = req
                .debit_card_id
                .as_deref()
                .ok_or(InstallmentError::DebitCardRequired)?;
            let card = self.own_debit_card(customer, card).await?;
            QuoteToken {
                a: id,
                s: None,
                g: None,
                d: Some(card.id),
                h: false,
                m: None,
                x: None,
                f,
                p: req.periods,
                r,
                u: upfront,
            }
        } else if kind == "hardship" {
            let f = amount.ok_or_else(|| {
                AppError::InvalidAmount("a hardship plan needs amount_fen".into())
            })?;
            QuoteToken {
                a: id,
                s: None,
                g: None,
                d: None,
                h: true,
                m: None,
                x: None,
                f,
                p: req.periods,
                r,
                u: upfront,
            }
        } else {
            let f = amount.ok_or_else(|| {
                AppError::InvalidAmount("a bill installment needs amount_fen".into())
            })?;
            let statement = self.credit_statements(customer, id).await?;
            QuoteToken {
                a: id,
                s: statement.first().map(|s| s.statement_date),
                g: None,
                d: None,
                h: false,
                m: None,
                x: None,
                f,
                p: req.periods,
                r,
                u: upfront,
            }
        };
        self.credit_service()?
            .try_command(
                id,
                customer.as_uuid(),
                token.event(token_hold),
                self.today(),
            )
            .await?;
        let view = InstallmentQuoteView::from(&token.quote()?);
        Ok(InstallmentOffer {
            apr_percent: view.apr_percent.clone(),
            ear_percent: view.ear_percent.clone(),
            quote_id: token.encode()?,
            kind,
            statement_date: token.s,
            purchase_id: token.g,
            debit_card_id: token.d,
            merchant_id: token
                .m
                .map(|(m, _)| m)
                .or(token.x.map(|x| x.m))
                .map(|m| cardlife_kernel::MerchantId::from_uuid(m).to_string()),
            quote: view,
            purpose: token.x.map(|x| x.p.as_str()),
        })
    }

    /// The card-local hold of purchase `purchase` on the account, and the purchase if it is
    /// convertible today (`None`: the engine says why not).
    async fn convertible(
        &self,
        customer: CustomerId,
        id: Uuid,
        purchase: u128,
    ) -> Result<(u64, Option<PurchaseView>), AppError> {
        let svc = self.credit_service()?;
        let unknown = || {
            InstallmentError::PurchaseUnknown(format!(
                "{} is not a purchase on this account",
                Uuid::from_u128(purchase)
            ))
        };
        let hold = svc.purchase_hold(id, purchase)?.ok_or_else(unknown)?;
        let found = svc
            .convertible_purchases(id, customer.as_uuid())
            .await?
            .into_iter()
            .find(|p| p.id == purchase);
        Ok((hold, found))
    }

    /// The purchases of one of the holder's accounts a purchase installment may convert today.
    pub async fn installment_purchases(
        &self,
        customer: CustomerId,
        id: Uuid,
    ) -> Result<Vec<ConvertiblePurchaseView>, AppError> {
        self.credit_account(customer, id).await?;
        Ok(self
            .credit_service()?
            .convertible_purchases(id, customer.as_uuid())
            .await?
            .into_iter()
            .map(ConvertiblePurchaseView::from)
            .collect())
    }

    /// Books a quoted installment; `consent` must be `Some(true)`.
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
        let mut token = QuoteToken::decode(quote_id)?;
        if token.a != id {
            return Err(InstallmentError::UnknownQuote.into());
        }
        // A special-purpose plan: the merchant still approved, the limit as granted now.
        let special = match token.x.as_mut() {
            Some(x) => {
                let text = cardlife_kernel::MerchantId::from_uuid(x.m).to_string();
                let merchant = self.special_merchant(Some(&text)).await?;
                x.l = self.special_limit_for(id, x.p).await?;
                Some(merchant)
            }
            None => None,
        };
        let hold = match (token.g, token.d) {
            (Some(g), _) => {
                let (hold, found) = self.convertible(customer, id, g.as_u128()).await?;
                // The quote was for the whole purchase: another amount is not this quote.
                if found.is_some_and(|p| p.amount.fen() != token.f) {
                    return Err(InstallmentError::UnknownQuote.into());
                }
                // The merchant's terms must still be those quoted (a zero rate is free).
                if let Some((merchant, rate)) = token.m {
                    let (now, now_rate) = self.merchant_term_for(g, token.p).await?;
                    if now.as_uuid() != merchant || now_rate != rate || token.r != 0 || token.u {
                        return Err(InstallmentError::MerchantTermsNotOffered(format!(
                            "the merchant's terms for {} periods changed since the quote",
                            token.p
                        ))
                        .into());
                    }
                }
                Some(hold)
            }
            (None, Some(card)) => {
                // Still the holder's own bound card.
                self.own_debit_card(customer, &card.to_string()).await?;
                None
            }
            (None, None) if token.h || token.x.is_some() => None,
            (None, None) => {
                let latest = self.credit_statements(customer, id).await?;
                if latest.first().map(|s| s.statement_date) != token.s {
                    return Err(InstallmentError::WindowClosed(format!(
                        "the quote was for the {} statement, which is no longer the latest",
                        token.s.map_or_else(|| "missing".into(), |d| d.to_string())
                    ))
                    .into());
                }
                None
            }
        };
        if let Some(priced) = token.priced_kind() {
            let price = self.product_price(customer, id, priced, token.p).await?;
            pricing::check_still_offered(priced, token.p, price, (token.r, token.u))?;
        }
        let svc = self.credit_service()?;
        svc.holder_command(
            id,
            Some(customer.as_uuid()),
            token.event(hold),
            self.today(),
        )
        .await?;
        // The plan is booked: the merchant pays its fee (posted once, whatever happens next).
        if let (Some((merchant, rate)), Some(g)) = (token.m, token.g) {
            let fee = crate::merchants::installment_terms::merchant_fee(
                Money::cny(token.f),
                token.p,
                rate,
            )?;
            self.charge_merchant_fee(cardlife_kernel::MerchantId::from_uuid(merchant), g, fee)
                .await?;
        }
        let plans = svc.installments(id, customer.as_uuid()).await?;
        let booked = plans
            .last()
            .ok_or_else(|| AppError::NotFound(Missing::CreditAccount(id.as_u128())))?;
        // The plan is booked: its principal, out of merchant clearing, goes to the merchant.
        if let Some(merchant) = special {
            self.pay_special_merchant(id, booked.number, &merchant, Money::cny(token.f))
                .await?;
        }
        Ok(PlanView::from(booked))
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
        .await?;
        let plans = svc.installments(id, customer.as_uuid()).await?;
        plans
            .iter()
            .find(|p| p.number == number)
            .map(PlanView::from)
            .ok_or_else(|| InstallmentError::PlanNotFound(number).into())
    }
}
