//! Customers and identity.
