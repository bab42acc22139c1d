//! Error enums of the payments context, one per concept, each variant a precise predicate
//! (TigerBeetle-style result codes). Illegal moves never change state: a method that returns one
//! of these leaves its receiver as it was.

use cardlife_kernel::{Money, MoneyError};
use jiff::Timestamp;
use jiff::civil::Date;

/// Why a payment order could not be created or moved (see [`crate::order`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrderError {
    /// An amount that must be above zero (goods total, refund request) was zero or negative.
    #[error("amount must be positive")]
    NonPositiveAmount,
    /// A coupon or points deduction was negative.
    #[error("deduction must not be negative")]
    NegativeDeduction,
    /// Coupon and points together cover the goods total or more: nothing is left to pay by card.
    #[error("coupon and points cover the whole order, nothing to pay by card")]
    NothingToPay,
    /// The order's expiry is not after its creation.
    #[error("expiry must be after creation")]
    ExpiryNotAfterCreation,
    /// The order expired (or has passed its expiry) and can no longer be paid.
    #[error("order expired at {expires_at}")]
    OrderExpired {
        /// When it expired.
        expires_at: Timestamp,
    },
    /// `expire` was called before the order's expiry.
    #[error("order does not expire before {expires_at}")]
    NotYetExpired {
        /// When it will expire.
        expires_at: Timestamp,
    },
    /// The order is already authorised (or further along).
    #[error("order is already authorised")]
    AlreadyAuthorised,
    /// Capture asked of an order that was never authorised.
    #[error("order is not authorised")]
    NotAuthorised,
    /// The order is already captured; cancel or capture again is illegal, refund instead.
    #[error("order is already captured")]
    AlreadyCaptured,
    /// A refund asked of an order that was never captured.
    #[error("order is not captured")]
    NotCaptured,
    /// The order was cancelled.
    #[error("order is cancelled")]
    OrderCancelled,
    /// Every refundable fen has already been refunded.
    #[error("order is already fully refunded")]
    AlreadyFullyRefunded,
    /// The refund asks for more (in goods terms) than is left to refund.
    #[error("refund of {requested} exceeds the {refundable} left to refund")]
    RefundExceedsCaptured {
        /// The amount asked for.
        requested: Money,
        /// What is left to refund, in the same (goods) terms.
        refundable: Money,
    },
    /// The order already has the most refunds the policy allows.
    #[error("at most {max} refunds per order")]
    TooManyRefunds {
        /// The policy's maximum.
        max: u32,
    },
    /// Today's business date is after the last day refunds are accepted.
    #[error("refund window closed on {last_day} (captured on {captured_on})")]
    RefundWindowClosed {
        /// Business date of the capture.
        captured_on: Date,
        /// Last business date a refund is accepted.
        last_day: Date,
    },
    /// Checked arithmetic failed (overflow or mixed currencies).
    #[error(transparent)]
    Money(#[from] MoneyError),
}

/// Why a fee schedule was rejected or a fee could not be computed (see [`crate::mdr`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MdrError {
    /// The payment amount was zero or negative.
    #[error("payment amount must be positive")]
    NonPositiveAmount,
    /// A fee rate was negative.
    #[error("fee rate must not be negative")]
    NegativeRate,
    /// A minimum fee or a cap was negative.
    #[error("minimum fee and cap must not be negative")]
    NegativeFee,
    /// The cap is below the minimum fee.
    #[error("fee cap {cap} is below the minimum {minimum}")]
    CapBelowMinimum {
        /// The cap.
        cap: Money,
        /// The minimum.
        minimum: Money,
    },
    /// Checked arithmetic failed (overflow or mixed currencies).
    #[error(transparent)]
    Money(#[from] MoneyError),
}

/// Why a QR payment is over the payer's daily limit (see [`crate::limits`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LimitError {
    /// The payment amount was zero or negative.
    #[error("payment amount must be positive")]
    NonPositiveAmount,
    /// The spend record is dated after today's business date (the clock went backwards).
    #[error("spend record dated {recorded} is after today {today}")]
    SpendDatedInTheFuture {
        /// The record's business date.
        recorded: Date,
        /// Today's business date.
        today: Date,
    },
    /// Static merchant codes: today's spend plus this payment exceeds the static-code limit.
    #[error("static-code daily limit {limit} exceeded: {spent} spent today, {requested} requested")]
    StaticCodeDailyLimitExceeded {
        /// The daily limit.
        limit: Money,
        /// Spent today through static codes.
        spent: Money,
        /// This payment.
        requested: Money,
    },
    /// Dynamic codes: today's spend plus this payment exceeds the limit for the factors used.
    #[error(
        "dynamic-code daily limit {limit} exceeded: {spent} spent today, {requested} requested"
    )]
    DynamicCodeDailyLimitExceeded {
        /// The daily limit for this authentication strength.
        limit: Money,
        /// Spent today through dynamic codes.
        spent: Money,
        /// This payment.
        requested: Money,
    },
    /// Checked arithmetic failed (overflow or mixed currencies).
    #[error(transparent)]
    Money(#[from] MoneyError),
}

/// Why a day's settlement could not be computed (see [`crate::settlement`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettlementError {
    /// A movement amount was negative; kinds carry the sign, amounts are magnitudes.
    #[error("movement {reference} has a negative amount")]
    NegativeMovement {
        /// The movement's reference.
        reference: String,
    },
    /// A reference is empty, too long, or has a character outside `[A-Za-z0-9_.:-]`.
    #[error("reference {reference:?} is not 1–{max} characters of [A-Za-z0-9_.:-]")]
    InvalidReference {
        /// The reference.
        reference: String,
        /// The longest reference allowed.
        max: usize,
    },
    /// The carried-in balance is positive; only negative nets are carried.
    #[error("carried-in balance {carried_in} must not be positive")]
    PositiveCarriedIn {
        /// The carried-in balance.
        carried_in: Money,
    },
    /// No business day within the search horizon follows the business date.
    #[error("no business day within {horizon_days} days after {business_date}")]
    NoBusinessDay {
        /// The day being settled.
        business_date: Date,
        /// How far the search looked.
        horizon_days: i32,
    },
    /// Checked arithmetic failed (overflow or mixed currencies).
    #[error(transparent)]
    Money(#[from] MoneyError),
}

/// Why a reconciliation file does not tie out (see [`crate::settlement`]). Line numbers are
/// 1-based and count the header.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReconciliationError {
    /// The file is longer than the named limit.
    #[error("file has more than {max} lines")]
    TooManyLines {
        /// The limit.
        max: usize,
    },
    /// The first line is not the expected header.
    #[error("first line is not the reconciliation header")]
    BadHeader,
    /// A line does not have the expected fields.
    #[error("line {line}: {reason}")]
    MalformedLine {
        /// The line number.
        line: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// A line names another merchant, business date or currency.
    #[error("line {line} belongs to another merchant, date or currency")]
    ForeignLine {
        /// The line number.
        line: usize,
    },
    /// A movement line matches no expected movement (or repeats one).
    #[error("line {line} is not an expected movement")]
    UnexpectedMovement {
        /// The line number.
        line: usize,
    },
    /// An expected movement has no line.
    #[error("expected {kind} {reference} has no line")]
    MissingMovement {
        /// Its kind, as written in the file.
        kind: &'static str,
        /// Its reference.
        reference: String,
    },
    /// The carried-in line is missing, repeated, or states another amount.
    #[error("carried-in line does not match {expected}")]
    CarriedInMismatch {
        /// The expected carried-in balance.
        expected: Money,
    },
    /// There is no total line, or something follows it.
    #[error("the total line is missing or not last")]
    MissingTotal,
    /// The total line does not equal the sum of the lines above it or the expected net.
    #[error("total {stated} does not tie out to {computed}")]
    TotalMismatch {
        /// The amount on the total line.
        stated: Money,
        /// The sum of the lines, or the expected net.
        computed: Money,
    },
    /// The total line names another settlement date.
    #[error("total line settles on another date than {expected}")]
    SettlementDateMismatch {
        /// The expected settlement date.
        expected: Date,
    },
    /// The expected day itself is invalid.
    #[error(transparent)]
    Settlement(#[from] SettlementError),
    /// Checked arithmetic failed (overflow or mixed currencies).
    #[error(transparent)]
    Money(#[from] MoneyError),
}

/// Why a customer-presented pay code was refused (see [`crate::paycode`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayCodeError {
    /// The code does not have the fixed number of characters.
    #[error("pay code must be {expected} digits")]
    WrongLength {
        /// The required length.
        expected: usize,
    },
    /// A character is not an ASCII digit.
    #[error("pay code must be digits only")]
    NotDigits,
    /// The code does not start with the cardlife prefix.
    #[error("not a cardlife pay code")]
    WrongPrefix,
    /// The signature does not verify; also answered for an unknown token, so probing learns nothing.
    #[error("pay code signature does not verify")]
    BadSignature,
    /// The code is older than its validity.
    #[error("pay code issued at {issued_at} expired")]
    Expired {
        /// When it was issued.
        issued_at: Timestamp,
    },
    /// The code was already presented once.
    #[error("pay code already used")]
    AlreadyUsed,
    /// A value given to `issue` is out of its range (nonce ≥ 1000, token ≥ 10^8, time < 0).
    #[error("pay code field out of range")]
    FieldOutOfRange,
}

/// Why a signed merchant request was refused (see [`crate::signing`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SigningError {
    /// The signature header is not `k=…,t=…,n=…,s=…` with valid values.
    #[error("malformed signature header: {reason}")]
    MalformedHeader {
        /// What is wrong.
        reason: &'static str,
    },
    /// The method or path cannot be signed (not an uppercase token, not `/…` without whitespace).
    #[error("method or path cannot be signed")]
    MalformedRequest,
    /// A key id or nonce is not 1–64 (nonce 16–64) characters of `[A-Za-z0-9_-]`.
    #[error("key id or nonce is malformed")]
    MalformedToken,
    /// No active key has this id.
    #[error("unknown or retired key")]
    UnknownKey,
    /// The signature does not verify under the named key.
    #[error("signature does not verify")]
    BadSignature,
    /// The timestamp is outside the replay window around now.
    #[error("timestamp {timestamp} is outside ±{window_secs}s of now")]
    StaleTimestamp {
        /// The request's timestamp (Unix seconds).
        timestamp: i64,
        /// The window.
        window_secs: i64,
    },
    /// The nonce was already used with this key.
    #[error("request replayed")]
    Replayed,
    /// A keyring may hold at most two active keys.
    #[error("a merchant may hold at most {max} active keys")]
    TooManyKeys {
        /// The limit.
        max: usize,
    },
    /// A key with this id is already active.
    #[error("key id already in use")]
    DuplicateKeyId,
    /// A secret is shorter than the minimum.
    #[error("signing secret must be at least {min} bytes")]
    SecretTooShort {
        /// The minimum length in bytes.
        min: usize,
    },
}

/// Why a webhook could not be built, signed, verified or moved along its delivery
/// (see [`crate::webhook`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    /// The event type is not 1–64 characters of `[a-z0-9_.]`.
    #[error("event type must be 1–{max} characters of [a-z0-9_.]")]
    InvalidEventType {
        /// The longest event type allowed.
        max: usize,
    },
    /// The payload is larger than the limit.
    #[error("payload is larger than {max} bytes")]
    PayloadTooLarge {
        /// The limit in bytes.
        max: usize,
    },
    /// A webhook secret is shorter than the minimum.
    #[error("webhook secret must be at least {min} bytes")]
    SecretTooShort {
        /// The minimum length in bytes.
        min: usize,
    },
    /// The signature header is not `t=…,e=…,s=…` with valid values.
    #[error("malformed webhook signature header: {reason}")]
    MalformedHeader {
        /// What is wrong.
        reason: &'static str,
    },
    /// The signature does not verify under the merchant's secret.
    #[error("webhook signature does not verify")]
    BadSignature,
    /// The header's timestamp is outside the tolerance around now.
    #[error("webhook timestamp {timestamp} is outside ±{tolerance_secs}s of now")]
    StaleTimestamp {
        /// The header's timestamp (Unix seconds).
        timestamp: i64,
        /// The tolerance.
        tolerance_secs: i64,
    },
    /// The retry policy is invalid (no delays, a delay not positive, decreasing, or above the cap,
    /// no attempts, or a jitter above 100 %).
    #[error("invalid retry policy: {reason}")]
    InvalidRetryPolicy {
        /// What is wrong.
        reason: &'static str,
    },
    /// A jitter sample is outside 0–1000 ‰.
    #[error("jitter sample must be 0–1000 permille")]
    JitterOutOfRange,
    /// An attempt was recorded before the delivery's next attempt time.
    #[error("next attempt is not due before {next_attempt_at}")]
    AttemptTooEarly {
        /// When the next attempt is due.
        next_attempt_at: Timestamp,
    },
    /// The event was already delivered (a 2xx was received).
    #[error("webhook already delivered")]
    AlreadyDelivered,
    /// The delivery gave up after its last attempt.
    #[error("webhook dead-lettered after {attempts} attempts")]
    DeadLettered {
        /// Attempts made.
        attempts: u32,
    },
}

/// Why a payment earns its cashier no reward (see [`crate::incentive`]). Each is a normal
/// business outcome, not a fault: the payment stands, only the incentive is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotEligible {
    /// The payment is below the plan's qualifying minimum.
    #[error("payment {amount} is below the qualifying minimum {minimum}")]
    BelowMinimum {
        /// The payment amount.
        amount: Money,
        /// The plan's minimum.
        minimum: Money,
    },
    /// The cashier already earned the daily cap (or one more reward would exceed it).
    #[error("cashier earned {earned} of the {cap} daily cap on {business_date}")]
    DailyCapReached {
        /// The business date.
        business_date: Date,
        /// Earned that day.
        earned: Money,
        /// The per-cashier daily cap.
        cap: Money,
    },
    /// What is left of the budget is below one reward.
    #[error("incentive budget exhausted: {remaining} left, a reward is {reward}")]
    BudgetExhausted {
        /// Budget left.
        remaining: Money,
        /// One reward.
        reward: Money,
    },
}

/// Why an incentive plan was rejected or a reward refused (see [`crate::incentive`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IncentiveError {
    /// The reward per payment is zero or negative.
    #[error("reward must be positive")]
    NonPositiveReward,
    /// The qualifying minimum or the budget is negative.
    #[error("minimum payment and budget must not be negative")]
    NegativeAmount,
    /// The daily cap is below one reward, so no cashier could ever earn one.
    #[error("daily cap {cap} is below one reward {reward}")]
    CapBelowReward {
        /// The cap.
        cap: Money,
        /// The reward.
        reward: Money,
    },
    /// The payment amount is zero or negative.
    #[error("payment amount must be positive")]
    NonPositiveAmount,
    /// This payment already received its one decision of a reward (granted, or granted and
    /// clawed back).
    #[error("payment already rewarded")]
    AlreadyRewarded,
    /// The payment does not qualify.
    #[error(transparent)]
    NotEligible(#[from] NotEligible),
    /// Checked arithmetic failed (overflow or mixed currencies).
    #[error(transparent)]
    Money(#[from] MoneyError),
}
