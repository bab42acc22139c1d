//! Coupon money on the ledger (docs/rewards.md, "Coupons on the ledger").
//!
//! | Account | Code | Flags |
//! |---|---|---|
//! | the funder's coupon account (bank marketing, a merchant's or a partner's) | 50 | none |
//! | a template's budget account | 51 | `debits_must_not_exceed_credits`, `history` |
//! | a merchant's coupon-subsidy payable (owed to the merchant for discounts given) | 32 | none |
//!
//! | Step | Transfer | Code |
//! |---|---|---|
//! | template created | funder → budget, the whole budget | 501 |
//! | payment with a coupon (reserve) | pending: budget → merchant subsidy, the discount | 502 |
//! | capture (redeem) | post of that hold | 502 |
//! | payment fails (release) | void of that hold | 502 |
//! | refund of a discounted order | merchant subsidy → budget, the refund's share of the discount | 503 |
//!
//! Ids derive from the template, the order and the refund number, so a retry answers `exists`.
//! The budget account can never be overdrawn: the store keeps the face value issued within the
//! budget, a discount never exceeds its coupon's face value, and the ledger's flag backs it up.

use cardlife_kernel::{MerchantId, Money};
use cardlife_ledger::{Account, AccountFlags, CreateTransferResult, Transfer, TransferFlags};
use cardlife_rewards::coupon::FundingSource;

use crate::merchants::funding::{LEDGER_CNY, derived_id, ensure_accounts};
use crate::{App, AppError};

/// Account code of a funder's coupon account.
pub const CODE_COUPON_FUNDER: u16 = 50;
/// Account code of a template's budget account.
pub const CODE_COUPON_BUDGET: u16 = 51;
/// Account code of a merchant's coupon-subsidy payable.
pub const CODE_MERCHANT_SUBSIDY: u16 = 32;
/// Transfer code: a budget funded.
pub const CODE_BUDGET_FUNDING: u16 = 501;
/// Transfer code: a coupon's discount held, posted or voided.
pub const CODE_COUPON_DISCOUNT: u16 = 502;
/// Transfer code: a refund's share of the discount back to the budget.
pub const CODE_COUPON_REFUND: u16 = 503;

/// The ledger account of a template's budget.
pub fn budget_account(template: uuid::Uuid) -> u128 {
    derived_id("coupon-budget", template.as_bytes(), 0)
}

/// The ledger account a funder pays coupons from.
pub fn funder_account(funding: FundingSource) -> u128 {
    match funding {
        FundingSource::Bank => derived_id("coupon-funder", b"bank", 0),
        FundingSource::Merchant(m) => {
            derived_id("coupon-funder-merchant", m.as_uuid().as_bytes(), 0)
        }
        FundingSource::Partner(p) => derived_id("coupon-funder-partner", p.as_uuid().as_bytes(), 0),
    }
}

/// The ledger account that owes a merchant the discounts its payers were given.
pub fn merchant_subsidy_account(merchant: MerchantId) -> u128 {
    derived_id("merchant-coupon-subsidy", merchant.as_uuid().as_bytes(), 0)
}

/// The hold of the discount an order's coupon gives.
pub fn discount_hold_id(order: uuid::Uuid) -> u128 {
    derived_id("coupon-hold", order.as_bytes(), 0)
}

fn fen(amount: Money) -> Result<u64, AppError> {
    u64::try_from(amount.fen()).map_err(|_| AppError::InvalidAmount(amount.to_string()))
}

fn transfer(id: u128, debit: u128, credit: u128, amount: u64, code: u16) -> Transfer {
    Transfer {
        id,
        debit_account_id: debit,
        credit_account_id: credit,
        amount,
        ledger: LEDGER_CNY,
        code,
        flags: TransferFlags::NONE,
        ..Transfer::default()
    }
}

impl App {
    async fn apply_coupon_transfer(&self, t: Transfer) -> Result<(), AppError> {
        let results = self.ledger_service().create_transfers(vec![t]).await?;
        match results.first() {
            Some(CreateTransferResult::Ok | CreateTransferResult::Exists) => Ok(()),
            Some(CreateTransferResult::ExceedsCredits) => Err(AppError::Rewards(
                cardlife_rewards::RewardsError::BudgetExhausted {
                    budget: Money::cny(0),
                    issued: Money::cny(0),
                },
            )),
            _ => Err(AppError::LedgerRefused("a coupon transfer was refused")),
        }
    }

    /// Opens the funder's and the template's budget accounts and moves the budget into the
    /// latter (idempotent: the same template funds once).
    pub(crate) async fn fund_coupon_budget(
        &self,
        template: uuid::Uuid,
        funding: FundingSource,
        budget: Money,
    ) -> Result<u128, AppError> {
        let funder = funder_account(funding);
        let account = budget_account(template);
        ensure_accounts(
            self.ledger_service(),
            vec![
                Account::new(funder, LEDGER_CNY, CODE_COUPON_FUNDER, AccountFlags::NONE),
                Account::new(
                    account,
                    LEDGER_CNY,
                    CODE_COUPON_BUDGET,
                    AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS.union(AccountFlags::HISTORY),
                ),
            ],
        )
        .await?;
        let id = derived_id("coupon-budget-funding", template.as_bytes(), 0);
        self.apply_coupon_transfer(transfer(
            id,
            funder,
            account,
            fen(budget)?,
            CODE_BUDGET_FUNDING,
        ))
        .await?;
        Ok(account)
    }

    /// Holds `discount` of the template's budget for `order` at `merchant` (the reserve).
    pub(crate) async fn hold_discount(
        &self,
        template: uuid::Uuid,
        order: uuid::Uuid,
        merchant: MerchantId,
        discount: Money,
    ) -> Result<(), AppError> {
        let subsidy = merchant_subsidy_account(merchant);
        ensure_accounts(
            self.ledger_service(),
            vec![Account::new(
                subsidy,
                LEDGER_CNY,
                CODE_MERCHANT_SUBSIDY,
                AccountFlags::NONE,
            )],
        )
        .await?;
        let hold = Transfer {
            flags: TransferFlags::PENDING,
            ..transfer(
                discount_hold_id(order),
                budget_account(template),
                subsidy,
                fen(discount)?,
                CODE_COUPON_DISCOUNT,
            )
        };
        self.apply_coupon_transfer(hold).await
    }

    /// Posts (`redeem`) or voids (release) the discount held for `order`.
    pub(crate) async fn settle_discount(
        &self,
        template: uuid::Uuid,
        order: uuid::Uuid,
        merchant: MerchantId,
        discount: Money,
        redeem: bool,
    ) -> Result<(), AppError> {
        let hold = discount_hold_id(order);
        let (purpose, flags) = if redeem {
            ("coupon-post", TransferFlags::POST_PENDING)
        } else {
            ("coupon-void", TransferFlags::VOID_PENDING)
        };
        let t = Transfer {
            pending_id: hold,
            flags,
            ..transfer(
                derived_id(purpose, &hold.to_be_bytes(), 0),
                budget_account(template),
                merchant_subsidy_account(merchant),
                fen(discount)?,
                CODE_COUPON_DISCOUNT,
            )
        };
        self.apply_coupon_transfer(t).await
    }

    /// Returns `share` of an order's discount to the template's budget (refund number `n`).
    pub(crate) async fn return_discount(
        &self,
        template: uuid::Uuid,
        order: uuid::Uuid,
        merchant: MerchantId,
        n: u32,
        share: Money,
    ) -> Result<(), AppError> {
        if !share.is_positive() {
            return Ok(());
        }
        let id = derived_id("coupon-refund", order.as_bytes(), u64::from(n));
        self.apply_coupon_transfer(transfer(
            id,
            merchant_subsidy_account(merchant),
            budget_account(template),
            fen(share)?,
            CODE_COUPON_REFUND,
        ))
        .await
    }
}
