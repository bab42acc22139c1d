//! Status, code and title of every rewards refusal (docs/rewards.md), by the rule that refused.
//! One exhaustive `match`: a new rewards rule cannot reach a client without a stable code.

use axum::http::StatusCode;
use cardlife_app::flash_sales::RewardsError;

/// The refusal a rewards rule answers with.
pub(crate) fn rewards_refusal(e: &RewardsError) -> (StatusCode, &'static str, &'static str) {
    use RewardsError as R;
    use StatusCode as S;
    let invalid = S::UNPROCESSABLE_ENTITY;
    let conflict = S::CONFLICT;
    match e {
        R::SaleNotStarted { .. } | R::SaleEnded { .. } => {
            (invalid, "SALE_NOT_OPEN", "The flash sale is not open")
        }
        R::StockExhausted => (conflict, "SOLD_OUT", "Sold out"),
        R::AlreadyClaimed { .. } => (conflict, "ALREADY_CLAIMED", "Already claimed"),
        R::InvalidConfig { .. } => (invalid, "INVALID_TERMS", "Invalid terms"),
        R::BudgetExhausted { .. } | R::PointsBudgetExhausted { .. } => {
            (conflict, "BUDGET_EXHAUSTED", "The budget is spent")
        }
        R::DailyCapReached { .. } => (conflict, "DAILY_CAP_REACHED", "Daily cap reached"),
        R::InsufficientPoints { .. } => (invalid, "INSUFFICIENT_POINTS", "Not enough points"),
        R::CouponExpired { .. } => (invalid, "COUPON_EXPIRED", "The coupon has expired"),
        R::CouponNotYetValid { .. } => (
            invalid,
            "COUPON_NOT_YET_VALID",
            "The coupon is not valid yet",
        ),
        R::CouponOutOfScope { .. } => (invalid, "COUPON_OUT_OF_SCOPE", "Coupon out of scope"),
        R::BelowThreshold { .. } => (invalid, "BELOW_THRESHOLD", "Below the coupon's threshold"),
        R::CouponAlreadyReserved | R::ReservationMismatch => {
            (conflict, "COUPON_RESERVED", "The coupon is reserved")
        }
        R::CouponNotReserved => (
            conflict,
            "COUPON_NOT_RESERVED",
            "The coupon is not reserved",
        ),
        R::CouponAlreadyRedeemed => (conflict, "COUPON_REDEEMED", "The coupon was redeemed"),
        R::CouponNotFound
        | R::MallItemNotFound
        | R::MallOrderNotFound
        | R::GroupBuyNotFound
        | R::UnknownInviteCode => (S::NOT_FOUND, "NOT_FOUND", "Not found"),
        R::DuplicateCouponId => (conflict, "DUPLICATE_ID", "Duplicate id"),
        R::GroupFull => (conflict, "GROUP_FULL", "The group is full"),
        R::GroupClosed | R::GroupDeadlinePassed { .. } => {
            (conflict, "GROUP_CLOSED", "The group is closed")
        }
        R::AlreadyInGroup => (conflict, "ALREADY_IN_GROUP", "Already in the group"),
        R::AlreadyReferred => (conflict, "ALREADY_REFERRED", "Already referred"),
        R::SelfReferral => (invalid, "SELF_REFERRAL", "Self referral"),
        R::OutOfStock { .. } => (conflict, "SOLD_OUT", "Sold out"),
        R::OverCustomerLimit { .. } => (conflict, "OVER_CUSTOMER_LIMIT", "Over the limit"),
        R::NotOnSale { .. } => (invalid, "NOT_ON_SALE", "Not on sale"),
        R::RefundExceedsOrder { .. } => (invalid, "REFUND_EXCEEDS_ORDER", "Refund too large"),
        R::ZeroQuantity
        | R::NonPositivePoints { .. }
        | R::NonPositiveAmount { .. }
        | R::InvalidMcc { .. }
        | R::InvalidCardBin => (invalid, "INVALID_AMOUNT", "Invalid amount or value"),
        R::EvaluationOutOfOrder { .. } => (
            invalid,
            "EVALUATION_OUT_OF_ORDER",
            "An evaluation comes after the last one",
        ),
        R::LotteryNotFound => (S::NOT_FOUND, "NOT_FOUND", "Not found"),
        R::NoDrawChance => (conflict, "NO_DRAW_CHANCE", "No draw chance left"),
        R::LotteryClosed { .. } => (invalid, "LOTTERY_CLOSED", "The lottery is not running"),
        R::Money(_) | R::Points(_) | R::UnknownLot { .. } => {
            (S::INTERNAL_SERVER_ERROR, "INTERNAL", "Internal error")
        }
    }
}
