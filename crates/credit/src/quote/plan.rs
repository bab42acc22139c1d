//! Installment plan types.
