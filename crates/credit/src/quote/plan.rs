//! Installment plans of every type (docs/domain.md §4) and the checks made before quoting one.
//!
//! A [`PlanProduct`] is the product setting of one plan type: its amount range, the terms it
//! offers, the per-period rate, how the charge is levied ([`FeeMode`]), whether that charge is
//! booked as a fee or as interest ([`ChargeKind`]), its own limit for special-purpose plans, and
//! its early settlement policy ([`EarlySettlement`], ids `remaining_fees`, `current_fee`,
//! `penalty`, `interest_to_date`).
//!
//! [`quote_plan`] checks a [`PlanRequest`] against its product, in this order, each failure a
//! precise [`PlanError`]:
//!
//! 1. the request is for the product's plan type ([`PlanError::PlanTypeMismatch`]);
//! 2. consent is an explicit `true` — [`PlanRequest`] has no `Default`, so consent is never
//!    defaulted ([`PlanError::ConsentRequired`]);
//! 3. periods from 1 to [`PERIODS_MAX`] (60) ([`PlanError::PeriodsOutOfRange`]), and among the
//!    product's terms ([`PlanError::PeriodsNotOffered`]);
//! 4. amount within the product's minimum and maximum ([`PlanError::AmountBelowMinimum`],
//!    [`PlanError::AmountAboveMaximum`]);
//! 5. special-purpose: amount within the special limit still free
//!    ([`PlanError::SpecialPurposeLimitExceeded`]);
//! 6. hardship: only on a delinquent account ([`PlanError::HardshipRequiresDelinquency`]);
//! 7. cash: only to the holder's own debit card ([`PlanError::CashNotToOwnDebitCard`]).
//!
//! The schedule is [`InstallmentQuote`]'s. A merchant-paid plan (贴息) is quoted to the customer
//! at rate 0 — every fee 0, APR and EAR 0.00 — and the fee the product's rate would have charged
//! is the merchant's cost ([`PlanQuote::merchant_fee`]). The customer's charge is reported as a fee
//! or as interest, never both, so the two stay separate ledger amounts; the total cost is their sum.
//!
//! ```
//! use cardlife_credit::billing::EarlySettlement;
//! use cardlife_credit::quote::FeeMode;
//! use cardlife_credit::quote::plan::{ChargeKind, PlanProduct, PlanRequest, PlanType, quote_plan};
//! use cardlife_kernel::{Money, Rate};
//!
//! let product = PlanProduct {
//!     plan_type: PlanType::Merchant { merchant_pays_fee: true },
//!     min_amount: Money::cny(10_000),
//!     max_amount: Money::cny(5_000_000),
//!     periods: vec![3, 6, 12],
//!     rate: Rate::parse("0.006")?,
//!     fee_mode: FeeMode::PerPeriod,
//!     charge: ChargeKind::Fee,
//!     special_limit: None,
//!     early_settlement: EarlySettlement::RemainingFees,
//! };
//! let request = PlanRequest {
//!     plan_type: PlanType::Merchant { merchant_pays_fee: true },
//!     amount: Money::cny(1_200_000),
//!     periods: 12,
//!     consent: true,
//!     account_delinquent: false,
//!     special_used: Money::cny(0),
//!     to_own_debit_card: false,
//! };
//! let quote = quote_plan(&product, &request)?;
//! assert_eq!(quote.annualised().apr_percent().to_string(), "0.00");
//! assert_eq!(quote.total_cost(), Money::cny(0));
//! assert_eq!(quote.merchant_fee(), Money::cny(86_400));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use cardlife_kernel::{Money, Rate};

use super::{
    Annualised, FeeMode, InstallmentQuote, InstallmentRow, PERIODS_MAX, Periods, QuoteError,
};
pub use crate::billing::EarlySettlement;

/// What a special-purpose plan (专项分期) finances.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// 汽车分期.
    Auto,
    /// 旅游分期.
    Travel,
    /// 教育分期.
    Education,
    /// 家装分期.
    HomeImprovement,
}

impl Purpose {
    /// Every purpose, in the order they are listed.
    pub const ALL: [Self; 4] = [
        Self::Auto,
        Self::Travel,
        Self::Education,
        Self::HomeImprovement,
    ];

    /// Its stable name in the API and in stored events.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::Travel => "travel",
            Self::Education => "education",
            Self::HomeImprovement => "home_improvement",
        }
    }

    /// The purpose named `text` ([`Self::as_str`]), if any.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == text)
    }
}

/// The type of an installment plan (docs/domain.md §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PlanType {
    /// 账单分期: all or part of an issued statement.
    Bill,
    /// 消费分期: one purchase, before billing.
    Purchase,
    /// 商户分期: at a merchant; with `merchant_pays_fee` (贴息) the customer pays 0%.
    Merchant {
        /// The merchant pays the fee; the customer's plan is free.
        merchant_pays_fee: bool,
    },
    /// 现金分期: disbursed to the holder's own debit card.
    Cash,
    /// 专项分期: paid to the merchant, under its own limit.
    SpecialPurpose {
        /// What the plan finances.
        purpose: Purpose,
    },
    /// 个性化分期: a delinquent balance, up to 60 periods.
    Hardship,
}

impl PlanType {
    /// Where the financed amount goes.
    pub const fn payee(self) -> Payee {
        match self {
            Self::Bill => Payee::Statement,
            Self::Purchase => Payee::Purchase,
            Self::Merchant { .. } | Self::SpecialPurpose { .. } => Payee::Merchant,
            Self::Cash => Payee::HolderDebitCard,
            Self::Hardship => Payee::DelinquentBalance,
        }
    }

    const fn merchant_pays_fee(self) -> bool {
        matches!(
            self,
            Self::Merchant {
                merchant_pays_fee: true
            }
        )
    }
}

/// Where the amount of a plan goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Payee {
    /// Converts (part of) an issued statement balance.
    Statement,
    /// Converts a posted, unbilled purchase.
    Purchase,
    /// Paid to the merchant.
    Merchant,
    /// Disbursed to the holder's own debit card.
    HolderDebitCard,
    /// Restructures the delinquent balance.
    DelinquentBalance,
}

/// Whether the per-period charge is booked as a fee or as interest (separate ledger codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ChargeKind {
    /// An installment fee (the default).
    #[default]
    Fee,
    /// Interest.
    Interest,
}

/// The product setting of one plan type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanProduct {
    /// The plan type this product offers.
    pub plan_type: PlanType,
    /// The smallest amount, inclusive.
    pub min_amount: Money,
    /// The largest amount, inclusive.
    pub max_amount: Money,
    /// The terms offered, in periods (each must also be ≤ [`PERIODS_MAX`]).
    pub periods: Vec<u32>,
    /// The charge per period, on the original principal.
    pub rate: Rate,
    /// Per period or upfront.
    pub fee_mode: FeeMode,
    /// Booked as a fee or as interest.
    pub charge: ChargeKind,
    /// The special-purpose limit, separate from the card's; required for special-purpose plans.
    pub special_limit: Option<Money>,
    /// The early settlement policy.
    pub early_settlement: EarlySettlement,
}

/// A customer's request for a plan. No `Default`: every field, consent above all, is explicit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanRequest {
    /// The plan type asked for.
    pub plan_type: PlanType,
    /// The amount to convert or finance.
    pub amount: Money,
    /// The term in periods.
    pub periods: u32,
    /// The customer's explicit, separate consent.
    pub consent: bool,
    /// The account is delinquent (required for a hardship plan).
    pub account_delinquent: bool,
    /// Special-purpose limit already occupied by other plans.
    pub special_used: Money,
    /// A cash plan's payee is a debit card in the holder's own name.
    pub to_own_debit_card: bool,
}

/// Why a plan could not be quoted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// The request's plan type is not the product's.
    #[error("product is for {product:?}, request is for {requested:?}")]
    PlanTypeMismatch {
        /// The product's type.
        product: PlanType,
        /// The requested type.
        requested: PlanType,
    },
    /// Consent was not given explicitly.
    #[error("the customer's explicit consent is required")]
    ConsentRequired,
    /// Zero periods or more than 60.
    #[error("periods must be from 1 to {max}, got {periods}")]
    PeriodsOutOfRange {
        /// Requested periods.
        periods: u32,
        /// [`PERIODS_MAX`].
        max: u32,
    },
    /// A term the product does not offer.
    #[error("{periods} periods not offered; offered: {offered:?}")]
    PeriodsNotOffered {
        /// Requested periods.
        periods: u32,
        /// The product's terms.
        offered: Vec<u32>,
    },
    /// Below the product minimum.
    #[error("amount {amount} is below the minimum {min}")]
    AmountBelowMinimum {
        /// Requested amount.
        amount: Money,
        /// Product minimum.
        min: Money,
    },
    /// Above the product maximum.
    #[error("amount {amount} is above the maximum {max}")]
    AmountAboveMaximum {
        /// Requested amount.
        amount: Money,
        /// Product maximum.
        max: Money,
    },
    /// A special-purpose product without its own limit.
    #[error("special-purpose product has no special limit")]
    SpecialLimitMissing,
    /// More than the special-purpose limit still free.
    #[error("amount {amount} exceeds the special-purpose limit available {available}")]
    SpecialPurposeLimitExceeded {
        /// Requested amount.
        amount: Money,
        /// Special limit minus what is already used.
        available: Money,
    },
    /// A hardship plan on an account that is not delinquent.
    #[error("hardship plans are only for delinquent accounts")]
    HardshipRequiresDelinquency,
    /// A cash plan to a card not in the holder's own name.
    #[error("cash installments are disbursed only to the holder's own debit card")]
    CashNotToOwnDebitCard,
    /// The schedule itself could not be quoted.
    #[error(transparent)]
    Quote(#[from] QuoteError),
}

/// A quoted plan: the customer's schedule and cost, and the merchant's fee if it pays it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanQuote {
    plan_type: PlanType,
    customer: InstallmentQuote,
    charge: ChargeKind,
    merchant_fee: Money,
    early_settlement: EarlySettlement,
}

impl PlanQuote {
    /// The plan type.
    pub const fn plan_type(&self) -> PlanType {
        self.plan_type
    }

    /// Where the amount goes.
    pub const fn payee(&self) -> Payee {
        self.plan_type.payee()
    }

    /// The customer's quote (rate 0 when the merchant pays).
    pub const fn customer(&self) -> &InstallmentQuote {
        &self.customer
    }

    /// The customer's schedule, period 1 first (`fee` is the charge, whatever its kind).
    pub fn schedule(&self) -> &[InstallmentRow] {
        self.customer.schedule()
    }

    /// The customer's APR and EAR (0.00 when the merchant pays).
    pub const fn annualised(&self) -> Annualised {
        self.customer.annualised()
    }

    /// The customer's charges booked as fees.
    pub fn total_fee(&self) -> Money {
        match self.charge {
            ChargeKind::Fee => self.customer.total_fee(),
            ChargeKind::Interest => Money::zero(self.customer.amount().currency()),
        }
    }

    /// The customer's charges booked as interest.
    pub fn total_interest(&self) -> Money {
        match self.charge {
            ChargeKind::Interest => self.customer.total_fee(),
            ChargeKind::Fee => Money::zero(self.customer.amount().currency()),
        }
    }

    /// What the customer pays above the amount: fees + interest.
    pub const fn total_cost(&self) -> Money {
        self.customer.total_fee()
    }

    /// The fee the merchant pays (0 unless merchant-paid).
    pub const fn merchant_fee(&self) -> Money {
        self.merchant_fee
    }

    /// The product's early settlement policy.
    pub const fn early_settlement(&self) -> EarlySettlement {
        self.early_settlement
    }
}

/// Checks `request` against `product` (order in the module docs) and quotes the plan.
pub fn quote_plan(product: &PlanProduct, request: &PlanRequest) -> Result<PlanQuote, PlanError> {
    if product.plan_type != request.plan_type {
        return Err(PlanError::PlanTypeMismatch {
            product: product.plan_type,
            requested: request.plan_type,
        });
    }
    if !request.consent {
        return Err(PlanError::ConsentRequired);
    }
    let periods = Periods::new(request.periods).map_err(|_| PlanError::PeriodsOutOfRange {
        periods: request.periods,
        max: PERIODS_MAX,
    })?;
    if !product.periods.contains(&request.periods) {
        return Err(PlanError::PeriodsNotOffered {
            periods: request.periods,
            offered: product.periods.clone(),
        });
    }
    let amount = request.amount;
    if amount < product.min_amount {
        return Err(PlanError::AmountBelowMinimum {
            amount,
            min: product.min_amount,
        });
    }
    if amount > product.max_amount {
        return Err(PlanError::AmountAboveMaximum {
            amount,
            max: product.max_amount,
        });
    }
    match request.plan_type {
        PlanType::SpecialPurpose { .. } => {
            let limit = product
                .special_limit
                .ok_or(PlanError::SpecialLimitMissing)?;
            let available = limit
                .checked_sub(request.special_used)
                .map_err(QuoteError::from)?;
            if amount > available {
                return Err(PlanError::SpecialPurposeLimitExceeded { amount, available });
            }
        }
        PlanType::Hardship if !request.account_delinquent => {
            return Err(PlanError::HardshipRequiresDelinquency);
        }
        PlanType::Cash if !request.to_own_debit_card => {
            return Err(PlanError::CashNotToOwnDebitCard);
        }
        _ => {}
    }
    let priced = InstallmentQuote::new(amount, periods, product.rate, product.fee_mode)?;
    let (customer, merchant_fee) = if request.plan_type.merchant_pays_fee() {
        let free = InstallmentQuote::new(amount, periods, Rate::ZERO, product.fee_mode)?;
        (free, priced.total_fee())
    } else {
        (priced, Money::zero(amount.currency()))
    };
    Ok(PlanQuote {
        plan_type: request.plan_type,
        customer,
        charge: product.charge,
        merchant_fee,
        early_settlement: product.early_settlement,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use proptest::prelude::*;

    fn product(plan_type: PlanType) -> PlanProduct {
        PlanProduct {
            plan_type,
            min_amount: Money::cny(50_000),
            max_amount: Money::cny(10_000_000),
            periods: vec![3, 6, 12, 24, 36, 60],
            rate: Rate::parse("0.006").unwrap(),
            fee_mode: FeeMode::PerPeriod,
            charge: ChargeKind::Fee,
            special_limit: Some(Money::cny(2_000_000)),
            early_settlement: EarlySettlement::RemainingFees,
        }
    }

    fn request(plan_type: PlanType, fen: i64, periods: u32) -> PlanRequest {
        PlanRequest {
            plan_type,
            amount: Money::cny(fen),
            periods,
            consent: true,
            account_delinquent: plan_type == PlanType::Hardship,
            special_used: Money::cny(0),
            to_own_debit_card: plan_type == PlanType::Cash,
        }
    }

    fn quote(plan_type: PlanType, fen: i64, periods: u32) -> Result<PlanQuote, PlanError> {
        quote_plan(&product(plan_type), &request(plan_type, fen, periods))
    }

    const TRAVEL: PlanType = PlanType::SpecialPurpose {
        purpose: Purpose::Travel,
    };
    const MERCHANT_PAID: PlanType = PlanType::Merchant {
        merchant_pays_fee: true,
    };

    #[test]
    fn bill_installment_reproduces_the_domain_table() {
        let q = quote(PlanType::Bill, 1_200_000, 12).unwrap();
        assert_eq!(q.schedule()[0].payment, Money::cny(107_200));
        assert_eq!(q.annualised().apr_percent().to_string(), "13.03");
        assert_eq!(q.annualised().ear_percent().to_string(), "13.84");
        assert_eq!(q.total_fee(), Money::cny(86_400));
        assert_eq!(q.total_interest(), Money::cny(0));
        assert_eq!(q.total_cost(), Money::cny(86_400));
        assert_eq!(q.merchant_fee(), Money::cny(0));
        assert_eq!(q.payee(), Payee::Statement);
    }

    #[test]
    fn purchase_installment_is_quoted_like_a_bill_installment() {
        let q = quote(PlanType::Purchase, 1_200_000, 3).unwrap();
        assert_eq!(q.schedule()[0].payment, Money::cny(407_200));
        assert_eq!(q.annualised().apr_percent().to_string(), "10.77");
        assert_eq!(q.payee(), Payee::Purchase);
    }

    #[test]
    fn merchant_paid_installment_is_free_to_the_customer_and_costs_the_merchant_the_fee() {
        let q = quote(MERCHANT_PAID, 1_200_000, 12).unwrap();
        assert!(q.schedule().iter().all(|r| r.fee == Money::cny(0)));
        assert_eq!(q.schedule()[0].payment, Money::cny(100_000));
        assert_eq!(q.annualised().apr_percent().to_string(), "0.00");
        assert_eq!(q.annualised().ear_percent().to_string(), "0.00");
        assert_eq!(q.total_cost(), Money::cny(0));
        assert_eq!(q.merchant_fee(), Money::cny(86_400));
        assert_eq!(q.payee(), Payee::Merchant);
    }

    #[test]
    fn merchant_paid_upfront_installment_charges_the_merchant_the_upfront_fee() {
        let mut p = product(MERCHANT_PAID);
        p.fee_mode = FeeMode::Upfront;
        let q = quote_plan(&p, &request(MERCHANT_PAID, 1_200_000, 12)).unwrap();
        assert_eq!(q.customer().upfront_fee(), Money::cny(0));
        assert_eq!(q.annualised().apr_percent().to_string(), "0.00");
        assert_eq!(q.merchant_fee(), Money::cny(86_400));
    }

    #[test]
    fn merchant_installment_without_subsidy_charges_the_customer() {
        let plan = PlanType::Merchant {
            merchant_pays_fee: false,
        };
        let q = quote(plan, 1_200_000, 12).unwrap();
        assert_eq!(q.total_cost(), Money::cny(86_400));
        assert_eq!(q.merchant_fee(), Money::cny(0));
    }

    #[test]
    fn cash_installment_goes_to_the_holders_own_debit_card() {
        let q = quote(PlanType::Cash, 1_200_000, 24).unwrap();
        assert_eq!(q.payee(), Payee::HolderDebitCard);
        assert_eq!(q.annualised().apr_percent().to_string(), "13.27");
    }

    #[test]
    fn special_purpose_plan_is_paid_to_the_merchant_within_its_own_limit() {
        let q = quote(TRAVEL, 2_000_000, 12).unwrap();
        assert_eq!(q.payee(), Payee::Merchant);
        assert_eq!(q.plan_type(), TRAVEL);
    }

    #[test]
    fn hardship_plan_on_a_delinquent_account_may_run_sixty_periods_as_interest() {
        let mut p = product(PlanType::Hardship);
        p.charge = ChargeKind::Interest;
        p.early_settlement = EarlySettlement::InterestToDate;
        let q = quote_plan(&p, &request(PlanType::Hardship, 600_000, 60)).unwrap();
        assert_eq!(q.schedule().len(), 60);
        assert_eq!(q.total_fee(), Money::cny(0));
        assert_eq!(q.total_interest(), Money::cny(216_000));
        assert_eq!(q.total_cost(), q.total_interest());
        assert_eq!(q.early_settlement(), EarlySettlement::InterestToDate);
        assert_eq!(q.payee(), Payee::DelinquentBalance);
    }

    #[test]
    fn rejects_a_request_without_explicit_consent() {
        let mut r = request(PlanType::Bill, 100_000, 3);
        r.consent = false;
        assert_eq!(
            quote_plan(&product(PlanType::Bill), &r),
            Err(PlanError::ConsentRequired)
        );
    }

    #[test]
    fn rejects_sixty_one_periods_even_if_the_product_lists_them() {
        let mut p = product(PlanType::Hardship);
        p.periods.push(61);
        let r = request(PlanType::Hardship, 100_000, 61);
        assert_eq!(
            quote_plan(&p, &r),
            Err(PlanError::PeriodsOutOfRange {
                periods: 61,
                max: 60
            })
        );
    }

    #[test]
    fn rejects_a_term_the_product_does_not_offer() {
        assert!(matches!(
            quote(PlanType::Bill, 100_000, 9),
            Err(PlanError::PeriodsNotOffered { periods: 9, .. })
        ));
    }

    #[test]
    fn rejects_an_amount_below_the_product_minimum() {
        assert_eq!(
            quote(PlanType::Purchase, 49_999, 3).unwrap_err(),
            PlanError::AmountBelowMinimum {
                amount: Money::cny(49_999),
                min: Money::cny(50_000)
            }
        );
    }

    #[test]
    fn rejects_an_amount_above_the_product_maximum() {
        assert_eq!(
            quote(PlanType::Cash, 10_000_001, 3).unwrap_err(),
            PlanError::AmountAboveMaximum {
                amount: Money::cny(10_000_001),
                max: Money::cny(10_000_000)
            }
        );
    }

    #[test]
    fn rejects_a_special_purpose_amount_above_its_own_limit_available() {
        let mut r = request(TRAVEL, 1_500_000, 12);
        r.special_used = Money::cny(600_000);
        assert_eq!(
            quote_plan(&product(TRAVEL), &r),
            Err(PlanError::SpecialPurposeLimitExceeded {
                amount: Money::cny(1_500_000),
                available: Money::cny(1_400_000)
            })
        );
    }

    #[test]
    fn rejects_a_special_purpose_product_without_a_limit() {
        let mut p = product(TRAVEL);
        p.special_limit = None;
        assert_eq!(
            quote_plan(&p, &request(TRAVEL, 100_000, 3)),
            Err(PlanError::SpecialLimitMissing)
        );
    }

    #[test]
    fn rejects_a_hardship_plan_on_an_account_in_good_standing() {
        let mut r = request(PlanType::Hardship, 100_000, 3);
        r.account_delinquent = false;
        assert_eq!(
            quote_plan(&product(PlanType::Hardship), &r),
            Err(PlanError::HardshipRequiresDelinquency)
        );
    }

    #[test]
    fn rejects_a_cash_plan_to_someone_elses_card() {
        let mut r = request(PlanType::Cash, 100_000, 3);
        r.to_own_debit_card = false;
        assert_eq!(
            quote_plan(&product(PlanType::Cash), &r),
            Err(PlanError::CashNotToOwnDebitCard)
        );
    }

    #[test]
    fn rejects_a_request_for_another_plan_type() {
        assert!(matches!(
            quote_plan(
                &product(PlanType::Bill),
                &request(PlanType::Cash, 100_000, 3)
            ),
            Err(PlanError::PlanTypeMismatch { .. })
        ));
    }

    #[test]
    fn rejects_a_negative_rate_with_the_quote_error() {
        let mut p = product(PlanType::Bill);
        p.rate = Rate::parse("-0.001").unwrap();
        assert!(matches!(
            quote_plan(&p, &request(PlanType::Bill, 100_000, 3)),
            Err(PlanError::Quote(QuoteError::NegativeRate { .. }))
        ));
    }

    fn any_plan_type() -> impl Strategy<Value = PlanType> {
        prop_oneof![
            Just(PlanType::Bill),
            Just(PlanType::Purchase),
            any::<bool>().prop_map(|m| PlanType::Merchant {
                merchant_pays_fee: m
            }),
            Just(PlanType::Cash),
            Just(PlanType::SpecialPurpose {
                purpose: Purpose::Auto
            }),
            Just(PlanType::SpecialPurpose {
                purpose: Purpose::Education
            }),
            Just(PlanType::Hardship),
        ]
    }

    proptest! {
        #[test]
        fn principal_sums_to_the_amount_and_cost_is_zero_exactly_when_the_merchant_pays(
            plan_type in any_plan_type(),
            fen in 50_000i64..=2_000_000,
            periods in prop::sample::select(vec![3u32, 6, 12, 24, 36, 60]),
            rate_bp in 1i64..=150,
            upfront in any::<bool>(),
        ) {
            let mut p = product(plan_type);
            p.rate = Rate::new(rust_decimal::Decimal::new(rate_bp, 4));
            p.fee_mode = if upfront { FeeMode::Upfront } else { FeeMode::PerPeriod };
            let q = quote_plan(&p, &request(plan_type, fen, periods)).unwrap();
            let principal: i64 = q.schedule().iter().map(|r| r.principal.fen()).sum();
            prop_assert_eq!(principal, fen);
            let payments: i64 = q.schedule().iter().map(|r| r.payment.fen()).sum();
            prop_assert_eq!(
                payments + q.customer().upfront_fee().fen(),
                fen + q.total_cost().fen()
            );
            prop_assert_eq!(q.total_cost().is_zero(), plan_type.merchant_pays_fee());
            prop_assert_eq!(q.merchant_fee().is_positive(), plan_type.merchant_pays_fee());
        }
    }
}
