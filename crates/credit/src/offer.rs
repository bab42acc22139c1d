//! Pre-approved offers.
