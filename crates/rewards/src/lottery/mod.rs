//! Lottery draws (抽奖) with stated odds and a budget.
//!
//! A lottery's [`LotteryTerms`] are data: prizes (a coupon of a template, points, or no prize),
//! each with its odds in basis points — the odds always sum to [`ODDS_TOTAL_BP`] (10,000), so
//! what the customer is shown before drawing is exactly what the draw uses — and each prize a
//! stock; a money budget (coupon face values) and a points budget cap what all draws may award.
//!
//! A draw is two pure steps:
//!
//! 1. [`LotteryTerms::pick`] maps one uniform `u64` from a [`RandomSource`] onto the odds
//!    (multiply-shift, bias below 2⁻³²).
//! 2. [`LotteryTerms::settle`] decides what the picked prize becomes given what is left: a prize
//!    whose stock is out, or whose value would take the awarded total past its budget, becomes
//!    "no prize" ([`NoPrizeReason`]) — never an overdraw.
//!
//! The random value, the pick and the settlement are recorded for every draw, so an auditor can
//! replay `pick` on the recorded value and check the outcome.

mod odds;
mod random;
mod settle;

pub use odds::{LotteryPrize, LotteryTerms, ODDS_TOTAL_BP, PRIZE_NAME_MAX, PRIZES_MAX, PrizeKind};
pub use random::{OsRandom, RandomSource, SeededRandom};
pub use settle::{DrawOutcome, Left, NoPrizeReason};

use cardlife_kernel::id_kind;

id_kind!(LotteryKind, LotteryId, "ltr", "a lottery (抽奖活动)");
id_kind!(DrawKind, DrawId, "drw", "one lottery draw");
id_kind!(
    ChanceKind,
    ChanceId,
    "chc",
    "one draw chance held by a customer"
);

#[cfg(test)]
mod tests;
