//! Points in time as milliseconds since the Unix epoch (UTC): cheap to compare, store and
//! index. Calendar arithmetic (SLA) converts to `jiff` at the edges.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(pub i64);

impl Timestamp {
    pub const fn from_millis(ms: i64) -> Self {
        Self(ms)
    }
    pub const fn as_millis(self) -> i64 {
        self.0
    }
    pub fn plus_minutes(self, minutes: i64) -> Self {
        Self(self.0 + minutes * 60_000)
    }
    pub fn to_jiff(self) -> jiff::Timestamp {
        jiff::Timestamp::from_millisecond(self.0).unwrap_or(jiff::Timestamp::UNIX_EPOCH)
    }
    pub fn from_jiff(ts: jiff::Timestamp) -> Self {
        Self(ts.as_millisecond())
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_jiff())
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_jiff())
    }
}

/// The starts of the local calendar days in `time_zone` that overlap `[from, to)`, the
/// first one at or before `from`. Days are civil days, so a day with a clock change is 23
/// or 25 hours long. An unknown zone counts in UTC.
pub fn local_day_starts(from: Timestamp, to: Timestamp, time_zone: &str) -> Vec<Timestamp> {
    let tz = jiff::tz::TimeZone::get(time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
    let mut day = from.to_jiff().to_zoned_datetime(tz.clone()).date();
    let mut out = Vec::new();
    while let Ok(start) = day.to_zoned_datetime(tz.clone()) {
        let start = Timestamp::from_jiff(start.timestamp());
        if start >= to && !out.is_empty() {
            break;
        }
        out.push(start);
        match day.tomorrow() {
            Ok(next) => day = next,
            Err(_) => break,
        }
    }
    out
}

#[cfg(test)]
mod day_tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        Timestamp::from_jiff(s.parse::<jiff::Timestamp>().unwrap())
    }

    #[test]
    fn local_days_follow_the_zone_and_its_clock_changes() {
        // 2026-03-29: Berlin moves from +01:00 to +02:00, a 23-hour day.
        let days = local_day_starts(at("2026-03-28T12:00:00Z"), at("2026-03-30T00:00:00Z"), "Europe/Berlin");
        assert_eq!(days, [at("2026-03-27T23:00:00Z"), at("2026-03-28T23:00:00Z"), at("2026-03-29T22:00:00Z")]);
        assert_eq!(
            local_day_starts(at("2026-01-01T05:00:00Z"), at("2026-01-01T06:00:00Z"), "UTC"),
            [at("2026-01-01T00:00:00Z")]
        );
        assert_eq!(
            local_day_starts(at("2026-01-01T05:00:00Z"), at("2026-01-01T06:00:00Z"), "Mars/Base"),
            [at("2026-01-01T00:00:00Z")]
        );
    }
}
