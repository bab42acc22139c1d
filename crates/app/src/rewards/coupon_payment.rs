//! Paying with a coupon (docs/rewards.md, "Paying with a coupon"): the payment order's hooks.
//!
//! 1. **reserve**, before the order is authorised: the coupon is the payer's and available; the
//!    domain prices it against the order (validity, scope — merchant, MCC, card BIN —, threshold);
//!    the coupon row moves `available → reserved` (conditional, so two payments cannot both take
//!    it) and the discount is held on the ledger (budget → merchant subsidy, pending). The order
//!    charges the card `price − discount`.
//! 2. **redeem**, after the capture: the hold is posted and the row moves `reserved → redeemed`.
//! 3. **release**, when the payment fails after the reserve: the hold is voided and the row
//!    goes back to `available` (or `expired` when its last valid date has passed).
//! 4. **refund** (docs/domain.md §6): each refund returns its share of the discount
//!    (`requested − cash`) to the budget; a full refund gives the coupon back if still valid.
//!
//! A coupon is therefore redeemed or released, never both: both moves start from `reserved`.

use cardlife_kernel::{CustomerId, MerchantId, Money};
use cardlife_rewards::CardBin;
use cardlife_rewards::Mcc;
use cardlife_rewards::RewardsError;
use cardlife_rewards::coupon::{Order, discount_for};
use jiff::civil::Date;

use super::coupons::{CouponId, terms_of};
use crate::merchants::credit_funding::primary_account;
use crate::{App, AppError};

/// A coupon held by a payment in flight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeldCoupon {
    /// The coupon.
    pub coupon: uuid::Uuid,
    /// Its template (whose budget holds the discount).
    pub template: uuid::Uuid,
    /// The order paying with it.
    pub order: uuid::Uuid,
    /// The merchant paid.
    pub merchant: MerchantId,
    /// The discount.
    pub discount: Money,
}

fn not_found() -> AppError {
    AppError::Rewards(RewardsError::CouponNotFound)
}

fn refused(e: RewardsError) -> AppError {
    AppError::Rewards(e)
}

impl App {
    /// The BIN of the card a payment by `payer` would be charged to (its primary credit
    /// account's card that expires last); `None` without a credit card.
    async fn payer_card_bin(&self, payer: CustomerId) -> Result<Option<CardBin>, AppError> {
        let Ok(credit) = self.credit() else {
            return Ok(None);
        };
        let accounts = credit
            .accounts_of(payer.as_uuid(), self.business_date())
            .await
            .map_err(AppError::Credit)?;
        let Some(account) = primary_account(accounts) else {
            return Ok(None);
        };
        let mut cards = credit
            .cards(account.id, payer.as_uuid())
            .await
            .map_err(AppError::Credit)?;
        cards.sort_by(|a, b| b.expires.cmp(&a.expires));
        Ok(cards.first().and_then(|c| CardBin::parse(&c.first6).ok()))
    }

    /// Step 1 of the module comment: prices coupon `coupon` of `payer` against an order of
    /// `amount` at `merchant` (MCC `mcc`) and holds its discount for `order`. Every refusal
    /// (not the payer's, used, expired, out of scope, below threshold) changes nothing.
    pub(crate) async fn reserve_coupon(
        &self,
        payer: CustomerId,
        coupon: CouponId,
        order: uuid::Uuid,
        (merchant, mcc): (MerchantId, &str),
        amount: Money,
    ) -> Result<HeldCoupon, AppError> {
        let store = self.coupon_store();
        let c = store
            .coupon(coupon.as_uuid())
            .await?
            .filter(|c| c.customer == payer)
            .ok_or_else(not_found)?;
        let t = store.template(c.template).await?.ok_or_else(not_found)?;
        let terms = terms_of(&t)?;
        let parse = |d: &str| d.parse::<Date>().map_err(|_| not_found());
        let (from, until) = (parse(&c.valid_from)?, parse(&c.valid_until)?);
        match c.state.as_str() {
            "available" => {}
            "reserved" => return Err(refused(RewardsError::CouponAlreadyReserved)),
            "redeemed" => return Err(refused(RewardsError::CouponAlreadyRedeemed)),
            _ => return Err(refused(RewardsError::CouponExpired { valid_until: until })),
        }
        let card_bin = if terms.scope.card_bins.is_empty() {
            // Not looked at by a scope without BINs; any well-formed value will do.
            CardBin::parse("000000").map_err(refused)?
        } else {
            self.payer_card_bin(payer)
                .await?
                .ok_or(refused(RewardsError::CouponOutOfScope {
                    mismatch: cardlife_rewards::coupon::ScopeMismatch::CardBin,
                }))?
        };
        let priced = Order {
            amount,
            merchant,
            mcc: mcc
                .parse::<u16>()
                .ok()
                .and_then(|v| Mcc::new(v).ok())
                .ok_or(refused(RewardsError::CouponOutOfScope {
                    mismatch: cardlife_rewards::coupon::ScopeMismatch::Mcc,
                }))?,
            scene: None,
            card_bin,
            date: self.business_date(),
        };
        let discount =
            discount_for(terms.discount, &terms.scope, (from, until), &priced).map_err(refused)?;
        // The order must still cost something: a coupon worth the whole price leaves 0.01.
        let discount = if discount == amount {
            amount
                .checked_sub(Money::cny(1))
                .map_err(|e| refused(e.into()))?
        } else {
            discount
        };
        if !discount.is_positive() {
            return Err(refused(RewardsError::BelowThreshold {
                threshold: Money::cny(2),
                amount,
            }));
        }
        let now = self.clock().now();
        let taken = store
            .transition(
                c.id,
                "available",
                "reserved",
                Some(order),
                discount.fen(),
                now,
            )
            .await?;
        if !taken {
            return Err(refused(RewardsError::CouponAlreadyReserved));
        }
        let held = HeldCoupon {
            coupon: c.id,
            template: t.id,
            order,
            merchant,
            discount,
        };
        if let Err(e) = self.hold_discount(t.id, order, merchant, discount).await {
            store
                .transition(c.id, "reserved", "available", None, 0, now)
                .await?;
            return Err(e);
        }
        Ok(held)
    }

    /// Step 2: the payment was captured; the discount is posted and the coupon used.
    pub(crate) async fn redeem_coupon(&self, held: &HeldCoupon) -> Result<(), AppError> {
        self.settle_discount(
            held.template,
            held.order,
            held.merchant,
            held.discount,
            true,
        )
        .await?;
        self.coupon_store()
            .transition(
                held.coupon,
                "reserved",
                "redeemed",
                Some(held.order),
                held.discount.fen(),
                self.clock().now(),
            )
            .await?;
        Ok(())
    }

    /// Step 3: the payment failed; the hold is voided and the coupon usable again while valid.
    pub(crate) async fn release_coupon(&self, held: &HeldCoupon) -> Result<(), AppError> {
        self.settle_discount(
            held.template,
            held.order,
            held.merchant,
            held.discount,
            false,
        )
        .await?;
        let store = self.coupon_store();
        let still_valid = store
            .coupon(held.coupon)
            .await?
            .is_some_and(|c| c.valid_until >= self.business_date().to_string());
        let to = if still_valid { "available" } else { "expired" };
        store
            .transition(held.coupon, "reserved", to, None, 0, self.clock().now())
            .await?;
        Ok(())
    }

    /// Step 4: refund number `n` of `order` returned `cash` for `requested` at list price; its
    /// share of the discount goes back to the budget, and once the order is fully refunded the
    /// coupon returns if still valid. Orders paid without a coupon are left alone.
    pub(crate) async fn coupon_after_refund(
        &self,
        order: uuid::Uuid,
        n: u32,
        requested: Money,
        cash: Money,
        fully_refunded: bool,
    ) -> Result<(), AppError> {
        let store = self.coupon_store();
        let Some(c) = store.of_order(order).await? else {
            return Ok(());
        };
        if c.state != "redeemed" {
            return Ok(());
        }
        let merchant = self.merchant_of_order(order).await?.ok_or_else(not_found)?;
        let share = requested
            .checked_sub(cash)
            .map_err(|e| refused(e.into()))?
            .min(Money::cny(c.discount_fen))
            .map_err(|e| refused(e.into()))?;
        self.return_discount(c.template, order, merchant, n, share)
            .await?;
        if fully_refunded {
            let today = self.business_date().to_string();
            let to = if c.valid_until >= today {
                "available"
            } else {
                "expired"
            };
            store
                .transition(c.id, "redeemed", to, None, 0, self.clock().now())
                .await?;
        }
        Ok(())
    }

    async fn merchant_of_order(&self, order: uuid::Uuid) -> Result<Option<MerchantId>, AppError> {
        let store = cardlife_store::merchants::orders::OrderStore::new(self.db().clone());
        Ok(store.order(order).await?.map(|o| o.merchant))
    }
}
