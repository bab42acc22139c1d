//! Cashier incentives.
