//! Referral.
