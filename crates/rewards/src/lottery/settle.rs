//! What a picked prize becomes given what is left of its stock and the lottery's budgets.

use cardlife_kernel::{Money, Points};
use serde::{Deserialize, Serialize};

use super::odds::LotteryTerms;

/// What is left when a draw settles, read under the lottery's lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Left {
    /// Coupon face value still within the money budget.
    pub money: Money,
    /// Points still within the points budget.
    pub points: Points,
    /// Units of the picked prize still in stock.
    pub stock: u32,
}

/// Why a draw gives nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum NoPrizeReason {
    /// The odds picked "no prize".
    Blank,
    /// The picked prize's stock is out.
    StockOut,
    /// The picked prize would take the awarded total past the lottery's budget.
    BudgetOut,
}

impl NoPrizeReason {
    /// A stable code (`blank`, `stock_out`, `budget_out`).
    pub const fn code(self) -> &'static str {
        match self {
            Self::Blank => "blank",
            Self::StockOut => "stock_out",
            Self::BudgetOut => "budget_out",
        }
    }
}

/// A settled draw.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DrawOutcome {
    /// The picked prize is awarded.
    Prize {
        /// Its index.
        prize: usize,
    },
    /// Nothing is awarded.
    NoPrize {
        /// The prize the odds picked.
        picked: usize,
        /// Why it gives nothing.
        reason: NoPrizeReason,
    },
}

impl LotteryTerms {
    /// Settles prize `picked` against `left`: the prize if it is one, in stock and within both
    /// budgets; otherwise "no prize" with the reason. Never awards past a budget or the stock.
    pub fn settle(&self, picked: usize, left: Left) -> DrawOutcome {
        let no = |reason| DrawOutcome::NoPrize { picked, reason };
        let Some(prize) = self.prizes.get(picked).filter(|p| p.is_prize()) else {
            return no(NoPrizeReason::Blank);
        };
        if left.stock == 0 {
            return no(NoPrizeReason::StockOut);
        }
        let money = prize.money();
        let points = prize.points();
        if money.currency() != left.money.currency()
            || money.fen() > left.money.fen()
            || points > left.points
        {
            return no(NoPrizeReason::BudgetOut);
        }
        DrawOutcome::Prize { prize: picked }
    }
}
