//! Flash sales (e爆品 / 秒杀): one item, fixed stock, a per-user limit, a start and an end.
//!
//! [`FlashSale`] is a single-writer, in-memory sequencer: claims are decided strictly in the
//! order they are handed to [`FlashSale::claim`], with the arrival instant the caller supplies
//! (no clock is read). The decision depends only on that order, so a durable group commit can
//! log the accepted order, replay it after a crash ([`FlashSale::replay`]) and reach the same
//! winners. Rules: exactly `min(stock, demand)` winners, nobody over the per-user limit, no
//! claims before `starts_at` or from `ends_at` on.

use std::collections::HashMap;

use cardlife_kernel::CustomerId;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::error::RewardsError;
use crate::ids::FlashSaleId;

/// The fixed terms of one flash sale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlashSaleTerms {
    /// The sale.
    pub id: FlashSaleId,
    /// Units for sale.
    pub stock: u32,
    /// Most units one customer may win.
    pub per_user_limit: u32,
    /// First instant claims are accepted.
    pub starts_at: Timestamp,
    /// First instant claims are refused again.
    pub ends_at: Timestamp,
}

/// Proof of a won claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ClaimTicket {
    /// The sale.
    pub sale: FlashSaleId,
    /// The winner.
    pub user: CustomerId,
    /// 1-based position among all winners (1..=stock).
    pub seq: u32,
    /// 1-based count of this user's wins (1..=per_user_limit).
    pub nth_for_user: u32,
    /// Arrival instant of the claim.
    pub at: Timestamp,
}

/// The sequencer for one sale.
#[derive(Debug, Clone)]
pub struct FlashSale {
    terms: FlashSaleTerms,
    sold: u32,
    per_user: HashMap<CustomerId, u32>,
}

impl FlashSale {
    /// A sale with nothing sold; the terms must have stock, a limit and a non-empty window.
    pub fn new(terms: FlashSaleTerms) -> Result<Self, RewardsError> {
        let invalid = |reason| Err(RewardsError::InvalidConfig { reason });
        if terms.per_user_limit == 0 {
            return invalid("a flash sale's per-user limit must be at least 1");
        }
        if terms.ends_at <= terms.starts_at {
            return invalid("a flash sale must end after it starts");
        }
        Ok(Self {
            terms,
            sold: 0,
            per_user: HashMap::new(),
        })
    }

    /// Rebuilds the state from the winners' tickets in their logged order, checking each.
    pub fn replay(terms: FlashSaleTerms, tickets: &[ClaimTicket]) -> Result<Self, RewardsError> {
        let mut sale = Self::new(terms)?;
        for logged in tickets {
            let again = sale.claim(logged.user, logged.at)?;
            if again != *logged {
                return Err(RewardsError::InvalidConfig {
                    reason: "a logged flash-sale ticket does not replay to itself",
                });
            }
        }
        Ok(sale)
    }

    /// Resumes a sale from what a store says was already sold: `sold` units in all and, for the
    /// customers about to claim, how many each has won. Used where several processes share one
    /// store (docs/rewards.md): each batch is decided under the store's lock from these figures.
    pub fn resume(
        terms: FlashSaleTerms,
        sold: u32,
        won: impl IntoIterator<Item = (CustomerId, u32)>,
    ) -> Result<Self, RewardsError> {
        let mut sale = Self::new(terms)?;
        if sold > terms.stock {
            return Err(RewardsError::InvalidConfig {
                reason: "a flash sale cannot have sold more than its stock",
            });
        }
        sale.sold = sold;
        sale.per_user = won.into_iter().filter(|&(_, n)| n > 0).collect();
        Ok(sale)
    }

    /// The terms.
    pub fn terms(&self) -> FlashSaleTerms {
        self.terms
    }

    /// Units sold.
    pub fn sold(&self) -> u32 {
        self.sold
    }

    /// Units left.
    pub fn remaining(&self) -> u32 {
        self.terms.stock - self.sold
    }

    /// Units won by `user`.
    pub fn won_by(&self, user: CustomerId) -> u32 {
        self.per_user.get(&user).copied().unwrap_or(0)
    }

    /// Decides the next claim in arrival order: a ticket, or why not (and nothing changes).
    pub fn claim(&mut self, user: CustomerId, now: Timestamp) -> Result<ClaimTicket, RewardsError> {
        if now < self.terms.starts_at {
            return Err(RewardsError::SaleNotStarted {
                starts_at: self.terms.starts_at,
            });
        }
        if now >= self.terms.ends_at {
            return Err(RewardsError::SaleEnded {
                ends_at: self.terms.ends_at,
            });
        }
        let won = self.won_by(user);
        if won >= self.terms.per_user_limit {
            return Err(RewardsError::AlreadyClaimed {
                limit: self.terms.per_user_limit,
            });
        }
        if self.sold >= self.terms.stock {
            return Err(RewardsError::StockExhausted);
        }
        self.sold += 1;
        self.per_user.insert(user, won + 1);
        debug_assert!(self.sold <= self.terms.stock);
        Ok(ClaimTicket {
            sale: self.terms.id,
            user,
            seq: self.sold,
            nth_for_user: won + 1,
            at: now,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashSet;

    fn ts(secs: i64) -> Timestamp {
        Timestamp::from_second(1_780_000_000 + secs).unwrap()
    }

    fn terms(stock: u32, limit: u32) -> FlashSaleTerms {
        FlashSaleTerms {
            id: FlashSaleId::from_u128(1),
            stock,
            per_user_limit: limit,
            starts_at: ts(0),
            ends_at: ts(600),
        }
    }

    fn user(n: u128) -> CustomerId {
        CustomerId::from_u128(n)
    }

    #[test]
    fn claims_win_in_arrival_order_until_stock_runs_out() {
        let mut sale = FlashSale::new(terms(2, 1)).unwrap();
        assert_eq!(sale.claim(user(1), ts(1)).unwrap().seq, 1);
        assert_eq!(sale.claim(user(2), ts(1)).unwrap().seq, 2);
        assert_eq!(
            sale.claim(user(3), ts(2)),
            Err(RewardsError::StockExhausted)
        );
        assert_eq!(sale.remaining(), 0);
    }

    #[test]
    fn a_second_claim_by_the_same_user_is_already_claimed_and_changes_nothing() {
        let mut sale = FlashSale::new(terms(5, 1)).unwrap();
        sale.claim(user(1), ts(1)).unwrap();
        assert_eq!(
            sale.claim(user(1), ts(2)),
            Err(RewardsError::AlreadyClaimed { limit: 1 })
        );
        assert_eq!((sale.sold(), sale.won_by(user(1))), (1, 1));
    }

    #[test]
    fn claims_outside_the_window_are_refused() {
        let mut sale = FlashSale::new(terms(5, 1)).unwrap();
        assert_eq!(
            sale.claim(user(1), ts(-1)),
            Err(RewardsError::SaleNotStarted { starts_at: ts(0) })
        );
        assert_eq!(
            sale.claim(user(1), ts(600)),
            Err(RewardsError::SaleEnded { ends_at: ts(600) })
        );
        assert!(sale.claim(user(1), ts(0)).is_ok());
    }

    #[test]
    fn a_sale_without_a_limit_or_window_is_rejected() {
        assert!(FlashSale::new(terms(5, 0)).is_err());
        let mut t = terms(5, 1);
        t.ends_at = t.starts_at;
        assert!(FlashSale::new(t).is_err());
    }

    #[test]
    fn replaying_the_logged_tickets_rebuilds_the_same_state_and_rejects_a_forged_one() {
        let mut sale = FlashSale::new(terms(3, 2)).unwrap();
        let tickets: Vec<_> = [1, 1, 2]
            .iter()
            .map(|&u| sale.claim(user(u), ts(5)).unwrap())
            .collect();
        let back = FlashSale::replay(terms(3, 2), &tickets).unwrap();
        assert_eq!((back.sold(), back.won_by(user(1))), (3, 2));
        let mut forged = tickets.clone();
        forged[1].seq = 9;
        assert!(FlashSale::replay(terms(3, 2), &forged).is_err());
    }

    #[test]
    fn a_resumed_sale_continues_the_sequence_and_remembers_the_winners() {
        let mut sale = FlashSale::resume(terms(3, 1), 2, [(user(1), 1)]).unwrap();
        assert_eq!(
            sale.claim(user(1), ts(1)),
            Err(RewardsError::AlreadyClaimed { limit: 1 })
        );
        assert_eq!(sale.claim(user(2), ts(1)).unwrap().seq, 3);
        assert_eq!(
            sale.claim(user(3), ts(1)),
            Err(RewardsError::StockExhausted)
        );
        assert!(FlashSale::resume(terms(3, 1), 4, []).is_err());
    }

    proptest! {
        #[test]
        fn winners_are_min_of_stock_and_demand_and_nobody_exceeds_the_limit(
            claims in proptest::collection::vec(0u128..50, 0..400),
            stock in 0u32..100,
            limit in 1u32..4,
        ) {
            let mut sale = FlashSale::new(terms(stock, limit)).unwrap();
            let mut tickets = Vec::new();
            for (i, &u) in claims.iter().enumerate() {
                if let Ok(t) = sale.claim(user(u), ts(i64::try_from(i % 600).unwrap())) {
                    tickets.push(t);
                }
            }
            // Reference: each user demands min(attempts, limit); winners = min(stock, Σ demand).
            let mut attempts: HashMap<u128, u32> = HashMap::new();
            for &u in &claims {
                *attempts.entry(u).or_default() += 1;
            }
            let demand: u32 = attempts.values().map(|&a| a.min(limit)).sum();
            prop_assert_eq!(tickets.len(), stock.min(demand) as usize);
            let mut per: HashMap<CustomerId, u32> = HashMap::new();
            for t in &tickets {
                *per.entry(t.user).or_default() += 1;
            }
            prop_assert!(per.values().all(|&n| n <= limit));
            let seqs: HashSet<u32> = tickets.iter().map(|t| t.seq).collect();
            prop_assert_eq!(seqs, (1..=u32::try_from(tickets.len()).unwrap()).collect());
            // Deterministic: replaying the winners reproduces them exactly.
            let back = FlashSale::replay(terms(stock, limit), &tickets).unwrap();
            prop_assert_eq!(back.sold(), sale.sold());
        }

        #[test]
        fn with_every_user_retrying_past_the_limit_winners_are_min_of_stock_and_users_times_limit(
            users in 0u128..60,
            stock in 0u32..200,
            limit in 1u32..4,
            retries in 0u32..3,
        ) {
            let mut sale = FlashSale::new(terms(stock, limit)).unwrap();
            let mut won = 0u32;
            for _round in 0..(limit + retries) {
                for u in 0..users {
                    won += u32::from(sale.claim(user(u), ts(1)).is_ok());
                }
            }
            let users = u32::try_from(users).unwrap();
            prop_assert_eq!(won, stock.min(users * limit));
        }
    }
}
