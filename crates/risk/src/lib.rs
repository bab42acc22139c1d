//! The `risk` context (docs/risk.md): real-time decisions on the payment path and for device
//! abuse. Facts in, decision out — no I/O, no clock of its own.
//!
//! - [`profile`]: the cheap per-customer summary a payment decision reads (two fixed velocity
//!   windows and a moving "usual amount").
//! - [`policy`]: the rules as data, each with named thresholds carrying their units.
//! - [`decision`]: outcomes, reason codes and the decision itself.
//! - [`evaluate`]: applying a policy to the facts of a payment or of a device's activity.
#![warn(missing_docs)]

pub mod decision;
pub mod evaluate;
pub mod policy;
pub mod profile;

pub use decision::{Decision, Outcome, Reason};
pub use evaluate::{DeviceFacts, PaymentFacts, decide_device, decide_payment};
pub use policy::Policy;
pub use profile::{Profile, Window};
