//! The shared vocabulary of cardlife: every context speaks in these types. No I/O happens here.
//!
//! - [`Money`] (integer fen plus [`Currency`]) and [`Points`] carry amounts; arithmetic is checked.
//! - [`Rate`] is an exact decimal; [`Rounding`] and [`round_half_up_to_fen`] are the only ways a
//!   decimal amount becomes whole fen.
//! - [`Id`] is a prefixed UUIDv7 typed by an [`IdKind`] (`cus_…`, `acc_…`).
//! - [`Clock`] is injected wherever time is needed; [`BusinessZone`] turns instants into business
//!   dates.
//! - [`Secret`] and the `mask_*` functions keep sensitive values out of logs and screens.
//! - All errors live in `error.rs`, one enum per concept.
#![warn(missing_docs)]

mod clock;
mod date;
mod error;
mod id;
mod mask;
mod money;
mod numeral;
mod points;
mod rate;
mod secret;

pub use clock::{AheadClock, Clock, FakeClock, SharedClock, SystemClock};
pub use date::BusinessZone;
pub use error::{DecimalParseError, IdError, MoneyError, PointsError, RateError, ZoneError};
pub use id::{
    AccountId, AccountKind, CardId, CardKind, CustomerId, CustomerKind, Id, IdKind, MerchantId,
    MerchantKind, StatementId, StatementKind, TransferId, TransferKind,
};
pub use mask::{mask_name, mask_pan, mask_phone};
pub use money::{Currency, Money};
pub use points::Points;
pub use rate::{Rate, Rounding, round_half_up_to_fen, round_to_fen};
pub use secret::Secret;
