//! The products and parameters of lending (docs/loans.md, "Products"). Every number is a
//! parameter with a default, never a constant in the code paths.

use std::fmt;

use cardlife_credit::loan::{DayCount, LoanProduct, ONLINE_UNSECURED_CAP};
use cardlife_credit::offer::OfferPolicy;
use cardlife_customers::{CardLookupKey, VaultKey, VaultKeyId, VaultKeyring};
use cardlife_kernel::{Money, Rate};
use jiff::SignedDuration;
use rust_decimal::Decimal;

/// The code of the amortizing consumer loan product.
pub const LOAN_PRODUCT: &str = "consumer";
/// The code of the revolving line product.
pub const LINE_PRODUCT: &str = "line";

/// The lending configuration the [`crate::App`] holds.
pub struct LoansConfig {
    /// The consumer loan product (equal installment, equal principal, interest-only).
    pub loan: LoanProduct,
    /// The line's nominal annual rate.
    pub line_rate: Rate,
    /// The line's day count.
    pub line_day_count: DayCount,
    /// The largest line a customer may open.
    pub line_limit_max: Money,
    /// How long a quote can be booked.
    pub quote_ttl: SignedDuration,
    /// The notional limit offers are derived from until card accounts are stored.
    pub offer_base_limit: Money,
    /// The offer thresholds.
    pub offer_policy: OfferPolicy,
    /// Keys the debit-card lookup HMAC.
    pub card_lookup_key: CardLookupKey,
    /// Encrypts debit-card numbers.
    pub card_vault: VaultKeyring,
}

impl LoansConfig {
    /// The default products with the given keys.
    pub fn new(card_lookup_key: [u8; 32], card_vault_key: [u8; 32]) -> Self {
        // Valid by construction: 4%, 1,000.00–200,000.00, 60 months, actual/360, penalty 1.5×.
        let loan = LoanProduct::with(
            Rate::new(Decimal::new(4, 2)),
            Money::cny(100_000),
            ONLINE_UNSECURED_CAP,
            60,
            DayCount::Actual360,
            Rate::new(Decimal::new(15, 1)),
            ONLINE_UNSECURED_CAP,
            12,
        );
        Self {
            loan: loan.unwrap_or_else(|e| unreachable!("the default loan product is valid: {e}")),
            line_rate: Rate::new(Decimal::new(365, 4)),
            line_day_count: DayCount::Actual365,
            line_limit_max: Money::cny(5_000_000),
            quote_ttl: SignedDuration::from_mins(30),
            offer_base_limit: Money::cny(10_000_000),
            offer_policy: OfferPolicy::default(),
            card_lookup_key: CardLookupKey::new(card_lookup_key),
            card_vault: VaultKeyring::new(VaultKey::new(VaultKeyId(1), card_vault_key)),
        }
    }

    /// The default products with fresh random keys (a restart forgets them: the binary passes
    /// persistent keys instead).
    pub fn random() -> Self {
        Self::new(rand::random(), rand::random())
    }
}

impl fmt::Debug for LoansConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoansConfig")
            .field("loan", &self.loan)
            .field("line_rate", &self.line_rate)
            .field("quote_ttl", &self.quote_ttl)
            .finish_non_exhaustive()
    }
}
