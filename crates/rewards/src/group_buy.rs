//! Group buying (拼团 / e饭团): a group of `k` customers must form within a window.
//!
//! Each member pays the group price on joining. The k-th join completes the group at once. At
//! the deadline an open group fails and every member is owed a refund of exactly what they paid
//! — unless the terms allow virtual completion (the platform fills the empty places), in which
//! case a group with at least one member completes instead. A closed group refuses joins.

use cardlife_kernel::{CustomerId, Money, TransferId};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::error::RewardsError;
use crate::ids::GroupBuyId;

/// The terms of one group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupBuyTerms {
    /// The group.
    pub id: GroupBuyId,
    /// Members needed (k ≥ 2).
    pub size: u32,
    /// Price each member pays.
    pub price: Money,
    /// First instant joins are refused and the group is settled.
    pub deadline: Timestamp,
    /// Whether an incomplete group completes at the deadline instead of failing.
    pub virtual_completion: bool,
}

/// A member and their payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    /// Who.
    pub customer: CustomerId,
    /// The payment's transfer.
    pub payment: TransferId,
    /// What they paid.
    pub paid: Money,
    /// When they joined.
    pub joined_at: Timestamp,
}

/// Where the group is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum GroupState {
    /// Accepting members.
    Open,
    /// Formed (for real or virtually).
    Completed {
        /// When.
        at: Timestamp,
        /// Whether the platform filled empty places.
        virtual_fill: bool,
    },
    /// Failed; members are refunded.
    Failed {
        /// When.
        at: Timestamp,
    },
}

/// A refund owed to a member of a failed group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundDue {
    /// Who.
    pub customer: CustomerId,
    /// The payment to refund.
    pub payment: TransferId,
    /// How much: exactly what they paid.
    pub amount: Money,
}

/// What a join did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum JoinOutcome {
    /// Joined; this many places are still empty.
    Joined {
        /// Empty places.
        missing: u32,
    },
    /// This join completed the group.
    Completed,
}

/// One group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupBuy {
    terms: GroupBuyTerms,
    members: Vec<Member>,
    state: GroupState,
}

impl GroupBuy {
    /// An open group with no members.
    pub fn open(terms: GroupBuyTerms) -> Result<Self, RewardsError> {
        if terms.size < 2 {
            return Err(RewardsError::InvalidConfig {
                reason: "a group needs at least two members",
            });
        }
        if !terms.price.is_positive() {
            return Err(RewardsError::NonPositiveAmount {
                amount: terms.price,
            });
        }
        Ok(Self {
            terms,
            members: Vec::new(),
            state: GroupState::Open,
        })
    }

    /// The terms.
    pub fn terms(&self) -> GroupBuyTerms {
        self.terms
    }

    /// Members in joining order.
    pub fn members(&self) -> &[Member] {
        &self.members
    }

    /// The state.
    pub fn state(&self) -> GroupState {
        self.state
    }

    /// `customer` joins with `payment` of the group price at `now`.
    pub fn join(
        &mut self,
        customer: CustomerId,
        payment: TransferId,
        now: Timestamp,
    ) -> Result<JoinOutcome, RewardsError> {
        match self.state {
            GroupState::Open => {}
            GroupState::Completed { .. } => return Err(RewardsError::GroupFull),
            GroupState::Failed { .. } => return Err(RewardsError::GroupClosed),
        }
        if now >= self.terms.deadline {
            return Err(RewardsError::GroupDeadlinePassed {
                deadline: self.terms.deadline,
            });
        }
        if self.members.iter().any(|m| m.customer == customer) {
            return Err(RewardsError::AlreadyInGroup);
        }
        self.members.push(Member {
            customer,
            payment,
            paid: self.terms.price,
            joined_at: now,
        });
        let missing = self.missing();
        if missing == 0 {
            self.state = GroupState::Completed {
                at: now,
                virtual_fill: false,
            };
            return Ok(JoinOutcome::Completed);
        }
        Ok(JoinOutcome::Joined { missing })
    }

    /// Settles an open group whose deadline has come: completes it virtually if allowed and it
    /// has a member, else fails it and returns the refunds due. `None` when nothing is due yet
    /// or the group is already closed.
    pub fn settle(&mut self, now: Timestamp) -> Option<Vec<RefundDue>> {
        if self.state != GroupState::Open || now < self.terms.deadline {
            return None;
        }
        if self.terms.virtual_completion && !self.members.is_empty() {
            self.state = GroupState::Completed {
                at: now,
                virtual_fill: true,
            };
            return Some(Vec::new());
        }
        self.state = GroupState::Failed { at: now };
        Some(self.refunds_due())
    }

    /// Refunds owed: every member's payment if the group failed, else none.
    pub fn refunds_due(&self) -> Vec<RefundDue> {
        if !matches!(self.state, GroupState::Failed { .. }) {
            return Vec::new();
        }
        self.members
            .iter()
            .map(|m| RefundDue {
                customer: m.customer,
                payment: m.payment,
                amount: m.paid,
            })
            .collect()
    }

    fn missing(&self) -> u32 {
        let have = u32::try_from(self.members.len()).unwrap_or(u32::MAX);
        self.terms.size.saturating_sub(have)
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

    fn terms(size: u32, virtual_completion: bool) -> GroupBuyTerms {
        GroupBuyTerms {
            id: GroupBuyId::from_u128(1),
            size,
            price: Money::cny(990),
            deadline: ts(3_600),
            virtual_completion,
        }
    }

    fn who(n: u128) -> (CustomerId, TransferId) {
        (CustomerId::from_u128(n), TransferId::from_u128(n))
    }

    #[test]
    fn the_kth_join_completes_the_group_and_later_joins_find_it_full() {
        let mut g = GroupBuy::open(terms(2, false)).unwrap();
        let (c1, p1) = who(1);
        let (c2, p2) = who(2);
        assert_eq!(
            g.join(c1, p1, ts(1)).unwrap(),
            JoinOutcome::Joined { missing: 1 }
        );
        assert_eq!(g.join(c1, p1, ts(2)), Err(RewardsError::AlreadyInGroup));
        assert_eq!(g.join(c2, p2, ts(3)).unwrap(), JoinOutcome::Completed);
        let (c3, p3) = who(3);
        assert_eq!(g.join(c3, p3, ts(4)), Err(RewardsError::GroupFull));
        assert_eq!(g.settle(ts(4_000)), None);
    }

    #[test]
    fn a_group_that_does_not_form_in_time_fails_and_lists_each_refund() {
        let mut g = GroupBuy::open(terms(3, false)).unwrap();
        for n in 1..=2 {
            let (c, p) = who(n);
            g.join(c, p, ts(10)).unwrap();
        }
        let (c3, p3) = who(3);
        assert_eq!(
            g.join(c3, p3, ts(3_600)),
            Err(RewardsError::GroupDeadlinePassed {
                deadline: ts(3_600)
            })
        );
        assert_eq!(g.settle(ts(3_599)), None);
        let refunds = g.settle(ts(3_600)).unwrap();
        assert_eq!(
            refunds,
            vec![
                RefundDue {
                    customer: who(1).0,
                    payment: who(1).1,
                    amount: Money::cny(990)
                },
                RefundDue {
                    customer: who(2).0,
                    payment: who(2).1,
                    amount: Money::cny(990)
                },
            ]
        );
        assert_eq!(g.join(c3, p3, ts(10)), Err(RewardsError::GroupClosed));
        assert_eq!(g.settle(ts(4_000)), None);
    }

    #[test]
    fn virtual_completion_forms_an_incomplete_group_at_the_deadline() {
        let mut g = GroupBuy::open(terms(5, true)).unwrap();
        let (c, p) = who(1);
        g.join(c, p, ts(1)).unwrap();
        assert_eq!(g.settle(ts(3_600)), Some(vec![]));
        assert!(matches!(
            g.state(),
            GroupState::Completed {
                virtual_fill: true,
                ..
            }
        ));
        let mut empty = GroupBuy::open(terms(5, true)).unwrap();
        assert_eq!(empty.settle(ts(3_600)), Some(vec![]));
        assert!(matches!(empty.state(), GroupState::Failed { .. }));
    }

    #[test]
    fn a_group_of_one_is_rejected() {
        assert!(GroupBuy::open(terms(1, false)).is_err());
    }

    proptest! {
        #[test]
        fn a_group_completes_with_exactly_k_or_fails_refunding_every_member_once(
            joins in proptest::collection::vec((0u128..12, 0i64..4_000), 0..30),
            size in 2u32..8,
        ) {
            let mut g = GroupBuy::open(terms(size, false)).unwrap();
            let mut joins = joins;
            joins.sort_by_key(|j| j.1);
            for (n, at) in joins {
                let (c, p) = who(n);
                let _ = g.join(c, p, ts(at));
                prop_assert!(g.members().len() <= size as usize);
            }
            let refunds = g.settle(ts(3_600));
            match g.state() {
                GroupState::Completed { virtual_fill, .. } => {
                    prop_assert!(!virtual_fill);
                    prop_assert_eq!(g.members().len(), size as usize);
                    prop_assert!(refunds.is_none() && g.refunds_due().is_empty());
                }
                GroupState::Failed { .. } => {
                    let refunds = refunds.unwrap();
                    prop_assert!(g.members().len() < size as usize);
                    prop_assert_eq!(refunds.len(), g.members().len());
                    let distinct: HashSet<_> = refunds.iter().map(|r| r.customer).collect();
                    prop_assert_eq!(distinct.len(), refunds.len());
                    prop_assert!(refunds.iter().all(|r| r.amount == Money::cny(990)));
                }
                GroupState::Open => prop_assert!(false, "settled at the deadline"),
            }
        }
    }
}
