//! Rewards: the 活客 (activate) part of the loop.
