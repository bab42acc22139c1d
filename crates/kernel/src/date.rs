//! Business dates: calendar dates in the issuer's zone, derived from UTC instants.

use jiff::Timestamp;
use jiff::civil::{Date, Time};
use jiff::tz::{Offset, TimeZone};

use crate::clock::Clock;
use crate::error::ZoneError;

/// The issuer's default business zone.
const DEFAULT_ZONE: &str = "Asia/Shanghai";

/// Used when the machine has no tz database (no /usr/share/zoneinfo): China has kept UTC+08:00
/// without DST since 1991, so a fixed offset gives the same business dates for any modern instant.
const SHANGHAI_FIXED: TimeZone = TimeZone::fixed(Offset::constant(8));

/// The zone in which instants become business dates; `Asia/Shanghai` by default.
#[derive(Debug, Clone)]
pub struct BusinessZone {
    tz: TimeZone,
}

impl BusinessZone {
    /// The zone with this IANA name, e.g. `"Asia/Shanghai"`.
    pub fn new(name: &str) -> Result<Self, ZoneError> {
        Self::resolve(name, TimeZone::get(name).ok())
    }

    /// The zone `Asia/Shanghai`.
    pub fn shanghai() -> Self {
        Self {
            tz: TimeZone::get(DEFAULT_ZONE).unwrap_or(SHANGHAI_FIXED),
        }
    }

    /// A zone wrapping any jiff time zone (e.g. `TimeZone::UTC` in tests).
    pub fn from_time_zone(tz: TimeZone) -> Self {
        Self { tz }
    }

    /// The underlying jiff time zone.
    pub fn time_zone(&self) -> &TimeZone {
        &self.tz
    }

    /// The business date of instant `ts`.
    pub fn date_of(&self, ts: Timestamp) -> Date {
        self.tz.to_datetime(ts).date()
    }

    /// Today's business date according to `clock`.
    pub fn today(&self, clock: &dyn Clock) -> Date {
        self.date_of(clock.now())
    }

    /// The first instant of business date `d`.
    ///
    /// Dates at the very ends of jiff's range (years ±9999) clamp to `Timestamp::MIN`/`MAX`.
    pub fn start_of(&self, d: Date) -> Timestamp {
        // `compatible` picks the instant after a DST gap at midnight, as jiff's start_of_day does.
        match self
            .tz
            .to_ambiguous_timestamp(d.to_datetime(Time::midnight()))
            .compatible()
        {
            Ok(ts) => ts,
            Err(_) if d.year() < 0 => Timestamp::MIN,
            Err(_) => Timestamp::MAX,
        }
    }

    fn resolve(name: &str, found: Option<TimeZone>) -> Result<Self, ZoneError> {
        match found {
            Some(tz) => Ok(Self { tz }),
            None if name == DEFAULT_ZONE => Ok(Self { tz: SHANGHAI_FIXED }),
            None => Err(ZoneError::UnknownZone {
                name: name.to_owned(),
            }),
        }
    }
}

impl Default for BusinessZone {
    fn default() -> Self {
        Self::shanghai()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::clock::FakeClock;
    use jiff::civil::date;

    fn ts(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn business_date_turns_over_at_shanghai_midnight() {
        let zone = BusinessZone::default();
        assert_eq!(zone.date_of(ts("2026-03-31T15:59:59Z")), date(2026, 3, 31));
        assert_eq!(zone.date_of(ts("2026-03-31T16:00:00Z")), date(2026, 4, 1));
        assert_eq!(zone.date_of(ts("2026-03-31T16:30:00Z")), date(2026, 4, 1));
    }

    #[test]
    fn business_start_of_is_utc_16_00_the_day_before() {
        let zone = BusinessZone::default();
        assert_eq!(zone.start_of(date(2026, 4, 1)), ts("2026-03-31T16:00:00Z"));
        assert_eq!(
            zone.date_of(zone.start_of(date(2026, 4, 1))),
            date(2026, 4, 1)
        );
    }

    #[test]
    fn business_zone_falls_back_to_plus_eight_without_a_tz_database() {
        let zone = BusinessZone::resolve(DEFAULT_ZONE, None).unwrap();
        assert_eq!(zone.date_of(ts("2026-03-31T16:30:00Z")), date(2026, 4, 1));
        assert_eq!(zone.start_of(date(2026, 4, 1)), ts("2026-03-31T16:00:00Z"));
    }

    #[test]
    fn business_zone_rejects_unknown_names() {
        assert_eq!(
            BusinessZone::new("Mars/Olympus_Mons").unwrap_err(),
            ZoneError::UnknownZone {
                name: "Mars/Olympus_Mons".into()
            }
        );
    }

    #[test]
    fn business_zone_today_reads_the_injected_clock() {
        let clock = FakeClock::new(ts("2026-12-31T16:00:00Z"));
        assert_eq!(BusinessZone::shanghai().today(&clock), date(2027, 1, 1));
        let utc = BusinessZone::from_time_zone(TimeZone::UTC);
        assert_eq!(utc.today(&clock), date(2026, 12, 31));
    }

    #[test]
    fn business_start_of_clamps_at_the_ends_of_the_range() {
        let zone = BusinessZone::default();
        assert_eq!(zone.start_of(Date::MIN), Timestamp::MIN);
        assert_eq!(zone.start_of(Date::MAX), ts("9999-12-30T16:00:00Z"));
    }
}
