//! Merchant webhooks.
