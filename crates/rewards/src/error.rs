//! What can go wrong in rewards: one enum, each variant a precise predicate. A failed operation
//! changes nothing.

use cardlife_kernel::{Money, MoneyError, Points, PointsError};
use jiff::Timestamp;
use jiff::civil::Date;

use crate::coupon::ScopeMismatch;

/// A rewards failure: bad input, a rule that refuses, or arithmetic that would overflow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RewardsError {
    /// Money arithmetic overflowed or mixed currencies.
    #[error("money: {0}")]
    Money(#[from] MoneyError),
    /// Points arithmetic overflowed.
    #[error("points: {0}")]
    Points(#[from] PointsError),
    /// A rule, template or ladder given as data is inconsistent.
    #[error("invalid configuration: {reason}")]
    InvalidConfig {
        /// What is wrong.
        reason: &'static str,
    },
    /// An MCC above 9999.
    #[error("invalid MCC {value}")]
    InvalidMcc {
        /// The value given.
        value: u16,
    },
    /// A card BIN that is not 6 to 8 digits.
    #[error("a card BIN is 6 to 8 digits")]
    InvalidCardBin,
    /// A points amount that must be positive was zero or negative.
    #[error("points must be positive, got {points}")]
    NonPositivePoints {
        /// The amount given.
        points: Points,
    },
    /// A money amount that must be positive was zero or negative.
    #[error("amount must be positive, got {amount}")]
    NonPositiveAmount {
        /// The amount given.
        amount: Money,
    },
    /// Redeeming more points than are usable.
    #[error("insufficient points: {requested} requested, {available} available")]
    InsufficientPoints {
        /// Points asked for.
        requested: Points,
        /// Points usable on that date.
        available: Points,
    },
    /// No stock left (coupons or flash sale).
    #[error("stock exhausted")]
    StockExhausted,
    /// Issuing one more coupon would take the issued face value over the budget.
    #[error("budget exhausted: {issued} issued of {budget}")]
    BudgetExhausted {
        /// The template's budget (total face value).
        budget: Money,
        /// Face value already issued.
        issued: Money,
    },
    /// The user already holds as many as the per-user limit allows.
    #[error("already claimed: the per-user limit is {limit}")]
    AlreadyClaimed {
        /// The per-user limit.
        limit: u32,
    },
    /// The per-day cap (for this user, or for everybody) is reached for that date.
    #[error("daily cap of {limit} reached on {date}")]
    DailyCapReached {
        /// The cap.
        limit: u32,
        /// The business date.
        date: Date,
    },
    /// A coupon with this id was already issued (ids come from the edge; a replay is refused).
    #[error("duplicate coupon id")]
    DuplicateCouponId,
    /// No such coupon for this owner (not-found and not-yours answer the same).
    #[error("coupon not found")]
    CouponNotFound,
    /// The coupon's validity ended before the date.
    #[error("coupon expired: valid until {valid_until}")]
    CouponExpired {
        /// Last valid business date.
        valid_until: Date,
    },
    /// The coupon's validity starts after the date.
    #[error("coupon not yet valid: valid from {valid_from}")]
    CouponNotYetValid {
        /// First valid business date.
        valid_from: Date,
    },
    /// The order is outside the coupon's scope.
    #[error("coupon out of scope: {mismatch}")]
    CouponOutOfScope {
        /// Which scope dimension did not match.
        mismatch: ScopeMismatch,
    },
    /// The order amount is below the coupon's threshold (满减).
    #[error("order {amount} is below the threshold {threshold}")]
    BelowThreshold {
        /// The minimum spend.
        threshold: Money,
        /// The order amount.
        amount: Money,
    },
    /// The coupon is already reserved by a payment.
    #[error("coupon already reserved")]
    CouponAlreadyReserved,
    /// Redeem or release of a coupon that is not reserved.
    #[error("coupon not reserved")]
    CouponNotReserved,
    /// The coupon is already redeemed.
    #[error("coupon already redeemed")]
    CouponAlreadyRedeemed,
    /// The coupon is reserved by another payment than the one named.
    #[error("coupon reserved by another payment")]
    ReservationMismatch,
    /// The flash sale has not started.
    #[error("sale starts at {starts_at}")]
    SaleNotStarted {
        /// When it starts.
        starts_at: Timestamp,
    },
    /// The flash sale has ended.
    #[error("sale ended at {ends_at}")]
    SaleEnded {
        /// When it ended.
        ends_at: Timestamp,
    },
    /// The group already has k members.
    #[error("group is full")]
    GroupFull,
    /// The group has completed or failed.
    #[error("group is closed")]
    GroupClosed,
    /// The group's window has passed.
    #[error("group window ended at {deadline}")]
    GroupDeadlinePassed {
        /// End of the window.
        deadline: Timestamp,
    },
    /// The customer is already a member of this group.
    #[error("already in this group")]
    AlreadyInGroup,
    /// A membership evaluation dated before the last one.
    #[error("evaluation on {given} is before the last one on {last}")]
    EvaluationOutOfOrder {
        /// Date of the last evaluation.
        last: Date,
        /// Date given.
        given: Date,
    },
    /// Awarding would take the points awarded by a campaign over its points budget.
    #[error("points budget exhausted: {awarded} awarded of {budget}")]
    PointsBudgetExhausted {
        /// The campaign's points budget.
        budget: Points,
        /// Points already awarded.
        awarded: Points,
    },
    /// No inviter holds this invite code.
    #[error("unknown invite code")]
    UnknownInviteCode,
    /// The invitee is already bound to an inviter (a customer is referred once).
    #[error("customer already referred")]
    AlreadyReferred,
    /// A customer cannot use its own invite code, nor the code of someone it invited.
    #[error("a customer cannot refer itself or its own inviter")]
    SelfReferral,
    /// The mall item has fewer units in stock than asked for.
    #[error("out of stock: {requested} requested, {available} in stock")]
    OutOfStock {
        /// Units asked for.
        requested: u32,
        /// Units in stock.
        available: u32,
    },
    /// The order would take the customer's units of the item over the per-customer limit.
    #[error("over the per-customer limit of {limit}: holds {held}, asked for {requested}")]
    OverCustomerLimit {
        /// The per-customer limit.
        limit: u32,
        /// Units the customer already holds (ordered and not refunded).
        held: u32,
        /// Units asked for.
        requested: u32,
    },
    /// The mall item is not on sale at that instant (its window is `[starts_at, ends_at)`).
    #[error("not on sale: the window is {starts_at} to {ends_at}")]
    NotOnSale {
        /// Start of the sale window.
        starts_at: Timestamp,
        /// End of the sale window (exclusive).
        ends_at: Timestamp,
    },
    /// A refund of more units than the order still holds.
    #[error("refund exceeds order: {requested} requested, {refundable} refundable")]
    RefundExceedsOrder {
        /// Units asked to refund.
        requested: u32,
        /// Units ordered and not yet refunded.
        refundable: u32,
    },
    /// A mall order or refund of zero units.
    #[error("quantity must be positive")]
    ZeroQuantity,
    /// No such item in the mall.
    #[error("mall item not found")]
    MallItemNotFound,
    /// No such order in the mall.
    #[error("mall order not found")]
    MallOrderNotFound,
    /// No such group-buying offer or group.
    #[error("group buy not found")]
    GroupBuyNotFound,
    /// No such lottery.
    #[error("lottery not found")]
    LotteryNotFound,
    /// The customer holds no usable draw chance in this lottery.
    #[error("no draw chance")]
    NoDrawChance,
    /// The lottery is not running at that instant (its window is `[starts_at, ends_at)`).
    #[error("lottery closed: the window is {starts_at} to {ends_at}")]
    LotteryClosed {
        /// Start of the window.
        starts_at: Timestamp,
        /// End of the window (exclusive).
        ends_at: Timestamp,
    },
    /// A points lot named by a redemption record is not in the account given.
    #[error("points lot {lot} not in this account")]
    UnknownLot {
        /// The lot's number.
        lot: u64,
    },
}
