//! The cheap per-customer summary a payment decision reads in one indexed row: two fixed
//! windows counting payments, and the usual amount as a moving average.
//!
//! The windows are fixed, not sliding: a window opens at the first payment after the previous
//! one closed and counts until `start + length`. A burst straddling two windows can therefore
//! reach up to twice the limit within one window's length (docs/risk.md, "Limits").

use cardlife_kernel::Money;
use jiff::{SignedDuration, Timestamp};

/// The usual amount moves this fraction (1/N) of the way towards each new payment.
const USUAL_WEIGHT: i64 = 8;

/// Payments counted since `start`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Window {
    /// When the window opened; `None` before the first payment.
    pub start: Option<Timestamp>,
    /// Payments in it.
    pub count: u32,
}

impl Window {
    /// Payments counted at `at` in a window `length` long (0 once it closed).
    pub fn live(&self, at: Timestamp, length: SignedDuration) -> u32 {
        match self.start {
            Some(s) if at >= s && at < s.checked_add(length).unwrap_or(Timestamp::MAX) => {
                self.count
            }
            _ => 0,
        }
    }

    /// The window with one more payment at `at`: the same window while it is open, a new one
    /// otherwise.
    pub fn with(&self, at: Timestamp, length: SignedDuration) -> Self {
        match self.live(at, length) {
            0 => Self {
                start: Some(at),
                count: 1,
            },
            n => Self {
                start: self.start,
                count: n.saturating_add(1),
            },
        }
    }
}

/// What the decisions know of a customer's payments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Profile {
    /// The short velocity window.
    pub short: Window,
    /// The long velocity window.
    pub long: Window,
    /// Payments ever let through.
    pub payments: u32,
    /// The usual amount (a moving average); zero before the first payment.
    pub usual: Money,
}

impl Default for Profile {
    fn default() -> Self {
        Self {
            short: Window::default(),
            long: Window::default(),
            payments: 0,
            usual: Money::cny(0),
        }
    }
}

impl Profile {
    /// The profile once a payment of `amount` at `at` went ahead; `short` and `long` are the
    /// window lengths.
    pub fn after(
        &self,
        at: Timestamp,
        amount: Money,
        (short, long): (SignedDuration, SignedDuration),
    ) -> Self {
        Self {
            short: self.short.with(at, short),
            long: self.long.with(at, long),
            payments: self.payments.saturating_add(1),
            usual: self.moved_usual(amount),
        }
    }

    fn moved_usual(&self, amount: Money) -> Money {
        if self.payments == 0 {
            return amount;
        }
        let (old, new) = (self.usual.fen(), amount.fen());
        new.checked_sub(old)
            .map(|d| d / USUAL_WEIGHT)
            .and_then(|step| old.checked_add(step))
            .map_or(self.usual, Money::cny)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    const TEN_MIN: SignedDuration = SignedDuration::from_mins(10);

    #[test]
    fn a_window_counts_until_its_length_has_passed_then_restarts() {
        let w = Window::default().with(t("2026-01-01T00:00:00Z"), TEN_MIN);
        let w = w.with(t("2026-01-01T00:09:59Z"), TEN_MIN);
        assert_eq!(w.live(t("2026-01-01T00:09:59Z"), TEN_MIN), 2);
        assert_eq!(w.live(t("2026-01-01T00:10:00Z"), TEN_MIN), 0);
        let w = w.with(t("2026-01-01T00:10:00Z"), TEN_MIN);
        assert_eq!(w.count, 1);
        assert_eq!(w.start, Some(t("2026-01-01T00:10:00Z")));
    }

    #[test]
    fn the_usual_amount_starts_at_the_first_payment_and_moves_an_eighth_of_the_way() {
        let lengths = (TEN_MIN, SignedDuration::from_hours(1));
        let at = t("2026-01-01T00:00:00Z");
        let p = Profile::default().after(at, Money::cny(8_000), lengths);
        assert_eq!(p.usual, Money::cny(8_000));
        let p = p.after(at, Money::cny(16_000), lengths);
        assert_eq!(p.usual, Money::cny(9_000));
        assert_eq!(p.payments, 2);
        assert_eq!(p.short.count, 2);
    }
}
