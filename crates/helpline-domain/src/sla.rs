//! Service levels: per priority, how many business minutes may pass until the first
//! response and until resolution, counted on a business calendar (time zone, working
//! hours, holidays). Due times are computed locally, offline too.

use crate::error::{DomainError, ErrorCode};
use crate::model::Priority;
use crate::time::Timestamp;
use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaTarget {
    pub first_response_minutes: u32,
    pub resolution_minutes: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaPolicy {
    pub name: String,
    pub low: SlaTarget,
    pub normal: SlaTarget,
    pub high: SlaTarget,
    pub urgent: SlaTarget,
}

impl SlaPolicy {
    pub fn target(&self, priority: Priority) -> SlaTarget {
        match priority {
            Priority::Low => self.low,
            Priority::Normal => self.normal,
            Priority::High => self.high,
            Priority::Urgent => self.urgent,
        }
    }

    /// A common default: urgent 30 min / 4 h, high 1 h / 8 h, normal 4 h / 3 days,
    /// low 8 h / 5 days (business time).
    pub fn standard() -> Self {
        let t = |first_response_minutes, resolution_minutes| SlaTarget { first_response_minutes, resolution_minutes };
        Self {
            name: "Standard".into(),
            urgent: t(30, 4 * 60),
            high: t(60, 8 * 60),
            normal: t(4 * 60, 3 * 9 * 60),
            low: t(8 * 60, 5 * 9 * 60),
        }
    }

    /// First-response and resolution due times of a ticket created at `created_at`.
    pub fn due_times(
        &self,
        calendar: &BusinessCalendar,
        priority: Priority,
        created_at: Timestamp,
    ) -> Result<(Timestamp, Timestamp), DomainError> {
        let target = self.target(priority);
        Ok((
            compute_due(calendar, created_at, target.first_response_minutes)?,
            compute_due(calendar, created_at, target.resolution_minutes)?,
        ))
    }
}

/// Working hours on one weekday, in minutes after local midnight (`end` may be 1440).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkingHours {
    /// ISO weekday: 1 Monday … 7 Sunday.
    pub weekday: u8,
    pub start_minute: u16,
    pub end_minute: u16,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BusinessCalendar {
    /// IANA time zone name, e.g. "Europe/Berlin".
    pub time_zone: String,
    pub hours: Vec<WorkingHours>,
    pub holidays: Vec<Date>,
}

impl BusinessCalendar {
    /// Monday to Friday, 08:00–17:00 in the given zone, no holidays.
    pub fn office_hours(time_zone: &str) -> Self {
        Self {
            time_zone: time_zone.into(),
            hours: (1..=5).map(|weekday| WorkingHours { weekday, start_minute: 8 * 60, end_minute: 17 * 60 }).collect(),
            holidays: Vec::new(),
        }
    }

    /// Checks the calendar so `compute_due` can always finish. A refusal names the
    /// field (`time_zone`, `hours`, `holidays`) with a code of its own.
    pub fn validate(&self) -> Result<TimeZone, DomainError> {
        let tz = TimeZone::get(&self.time_zone).map_err(|_| {
            DomainError::coded(
                ErrorCode::UnknownTimeZone,
                "time_zone",
                format!("{:?} is not a known IANA time zone", self.time_zone),
            )
        })?;
        if self.hours.is_empty() {
            return Err(DomainError::coded(ErrorCode::Required, "hours", "at least one working period is required"));
        }
        for h in &self.hours {
            if !(1..=7).contains(&h.weekday) {
                return Err(DomainError::invalid("hours", format!("weekday {} is not 1 (Monday) to 7", h.weekday)));
            }
            if h.end_minute > 24 * 60 {
                return Err(DomainError::invalid(
                    "hours",
                    format!("{} lies beyond the end of the day (24:00)", hhmm(h.end_minute)),
                ));
            }
            if h.start_minute >= h.end_minute {
                return Err(DomainError::coded(
                    ErrorCode::EndsBeforeStart,
                    "hours",
                    format!("{}–{} ends before it starts", hhmm(h.start_minute), hhmm(h.end_minute)),
                ));
            }
        }
        if let Some(day) = self.holidays.iter().find(|d| !HOLIDAY_YEARS.contains(&d.year())) {
            return Err(DomainError::coded(
                ErrorCode::InvalidDate,
                "holidays",
                format!("{day} lies outside the years {} to {}", HOLIDAY_YEARS.start(), HOLIDAY_YEARS.end()),
            ));
        }
        Ok(tz)
    }
}

/// The years a holiday may lie in: a typo ("0226-12-24") is refused, not kept for ever.
pub const HOLIDAY_YEARS: std::ops::RangeInclusive<i16> = 2000..=2200;
/// The longest SLA target: a year of business minutes.
pub const MAX_SLA_MINUTES: u32 = 366 * 24 * 60;
/// The longest policy name.
pub const MAX_POLICY_NAME_CHARS: usize = 100;

/// Checks an SLA policy and its business calendar before they replace the ones in force:
/// a name, every target a positive number of minutes (at most [`MAX_SLA_MINUTES`]), and a
/// calendar [`BusinessCalendar::validate`] accepts. A refusal names the field.
pub fn check_sla_settings(policy: &SlaPolicy, calendar: &BusinessCalendar) -> Result<(), DomainError> {
    let name = policy.name.trim();
    if name.is_empty() {
        return Err(DomainError::coded(ErrorCode::Required, "policy_name", "the policy needs a name"));
    }
    if name.chars().count() > MAX_POLICY_NAME_CHARS {
        return Err(DomainError::Invalid {
            field: "policy_name",
            problem: format!("at most {MAX_POLICY_NAME_CHARS} characters"),
            code: ErrorCode::TooLong,
            max: Some(MAX_POLICY_NAME_CHARS),
        });
    }
    for priority in [Priority::Urgent, Priority::High, Priority::Normal, Priority::Low] {
        let target = policy.target(priority);
        for (field, minutes) in [
            ("first_response_minutes", target.first_response_minutes),
            ("resolution_minutes", target.resolution_minutes),
        ] {
            if minutes == 0 {
                return Err(DomainError::coded(
                    ErrorCode::NotPositive,
                    field,
                    format!("the {} target must be at least one minute", priority.as_str()),
                ));
            }
            if minutes > MAX_SLA_MINUTES {
                return Err(DomainError::Invalid {
                    field,
                    problem: format!("the {} target is longer than a year", priority.as_str()),
                    code: ErrorCode::TooLong,
                    max: Some(MAX_SLA_MINUTES as usize),
                });
            }
        }
    }
    calendar.validate().map(|_| ())
}

fn hhmm(m: u16) -> String {
    format!("{:02}:{:02}", m / 60, m % 60)
}

/// The moment when `business_minutes` of working time have passed since `start`.
///
/// Working periods are laid on the local calendar (so 08:00 stays 08:00 across a DST
/// change) while the minutes inside them are real elapsed minutes.
pub fn compute_due(
    calendar: &BusinessCalendar,
    start: Timestamp,
    business_minutes: u32,
) -> Result<Timestamp, DomainError> {
    let tz = calendar.validate()?;
    let mut remaining_ms = i64::from(business_minutes) * 60_000;
    let mut cursor = start.as_millis();
    let mut day = start.to_jiff().to_zoned_datetime(tz.clone()).date();
    // A calendar with working hours on some weekday reaches one within 8 days; the bound
    // only guards against a calendar made entirely of holidays.
    for _ in 0..(366 * 10) {
        if !calendar.holidays.contains(&day) {
            let weekday = day.weekday().to_monday_one_offset();
            let mut periods: Vec<&WorkingHours> =
                calendar.hours.iter().filter(|h| i8::try_from(h.weekday).ok() == Some(weekday)).collect();
            periods.sort_by_key(|h| h.start_minute);
            for p in periods {
                let from = local_millis(&tz, day, p.start_minute)?;
                let to = local_millis(&tz, day, p.end_minute)?;
                if cursor >= to {
                    continue;
                }
                let begin = cursor.max(from);
                let available = to - begin;
                if remaining_ms <= available {
                    return Ok(Timestamp::from_millis(begin + remaining_ms));
                }
                remaining_ms -= available;
                cursor = to;
            }
        }
        day = day.tomorrow().map_err(|_| DomainError::invalid("due date", "lies beyond the calendar's range"))?;
    }
    Err(DomainError::invalid("business calendar", "has no working time in the next ten years"))
}

fn local_millis(tz: &TimeZone, day: Date, minute: u16) -> Result<i64, DomainError> {
    let out_of_range = |_| DomainError::invalid("due date", "lies beyond the calendar's range");
    let zoned = if minute >= 24 * 60 {
        day.tomorrow().map_err(out_of_range)?.to_zoned_datetime(tz.clone())
    } else {
        let time = Time::new(i8::try_from(minute / 60).unwrap_or(0), i8::try_from(minute % 60).unwrap_or(0), 0, 0)
            .map_err(out_of_range)?;
        day.to_datetime(time).to_zoned_datetime(tz.clone())
    }
    .map_err(out_of_range)?;
    Ok(zoned.timestamp().as_millisecond())
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn at(s: &str) -> Timestamp {
        Timestamp::from_jiff(s.parse::<jiff::ZonedDateTime>().unwrap().timestamp())
    }
    fn berlin() -> BusinessCalendar {
        BusinessCalendar::office_hours("Europe/Berlin")
    }
    fn local(ts: Timestamp) -> String {
        ts.to_jiff().to_zoned_datetime(TimeZone::get("Europe/Berlin").unwrap()).strftime("%a %F %H:%M %:z").to_string()
    }

    #[test]
    fn table_of_due_times() {
        let mut holidays = berlin();
        holidays.holidays = vec![date(2026, 12, 24), date(2026, 12, 25), date(2026, 12, 31), date(2027, 1, 1)];
        let cases: &[(&BusinessCalendar, &str, u32, &str)] = &[
            // inside one working day
            (&berlin(), "2026-11-23T09:00[Europe/Berlin]", 60, "Mon 2026-11-23 10:00 +01:00"),
            // before opening: the clock starts at 08:00
            (&berlin(), "2026-11-23T06:00[Europe/Berlin]", 30, "Mon 2026-11-23 08:30 +01:00"),
            // after closing: next morning
            (&berlin(), "2026-11-23T19:00[Europe/Berlin]", 30, "Tue 2026-11-24 08:30 +01:00"),
            // across the weekend
            (&berlin(), "2026-11-27T16:00[Europe/Berlin]", 120, "Mon 2026-11-30 09:00 +01:00"),
            // started on a Sunday
            (&berlin(), "2026-11-29T11:00[Europe/Berlin]", 60, "Mon 2026-11-30 09:00 +01:00"),
            // exactly at closing time stays on that day
            (&berlin(), "2026-11-23T16:00[Europe/Berlin]", 60, "Mon 2026-11-23 17:00 +01:00"),
            // multi-day resolution target: 3 days of 9 h
            (&berlin(), "2026-11-23T08:00[Europe/Berlin]", 3 * 540, "Wed 2026-11-25 17:00 +01:00"),
            // holidays: 24th and 25th, then the weekend
            (&holidays, "2026-12-23T16:00[Europe/Berlin]", 120, "Mon 2026-12-28 09:00 +01:00"),
            // New Year's Eve and New Year's Day are holidays too
            (&holidays, "2026-12-30T16:30[Europe/Berlin]", 60, "Mon 2027-01-04 08:30 +01:00"),
            // spring DST change (29 March 2026): 08:00 local stays 08:00, now +02:00
            (&berlin(), "2026-03-27T16:00[Europe/Berlin]", 120, "Mon 2026-03-30 09:00 +02:00"),
            // autumn DST change (25 October 2026)
            (&berlin(), "2026-10-23T16:30[Europe/Berlin]", 60, "Mon 2026-10-26 08:30 +01:00"),
        ];
        for (cal, start, minutes, want) in cases {
            assert_eq!(local(compute_due(cal, at(start), *minutes).unwrap()), *want, "{start} + {minutes} min");
        }
    }

    #[test]
    fn round_the_clock_calendar_counts_real_minutes_across_dst() {
        let cal = BusinessCalendar {
            time_zone: "Europe/Berlin".into(),
            hours: (1..=7).map(|weekday| WorkingHours { weekday, start_minute: 0, end_minute: 1440 }).collect(),
            holidays: vec![],
        };
        // The night of 28/29 March 2026 has only 23 hours: 24 real hours later is 13:00.
        let due = compute_due(&cal, at("2026-03-28T12:00[Europe/Berlin]"), 24 * 60).unwrap();
        assert_eq!(local(due), "Sun 2026-03-29 13:00 +02:00");
        assert_eq!(due.as_millis() - at("2026-03-28T12:00[Europe/Berlin]").as_millis(), 24 * 3_600_000);
        // The night of 24/25 October 2026 has 25 hours: 24 real hours later is 11:00.
        let due = compute_due(&cal, at("2026-10-24T12:00[Europe/Berlin]"), 24 * 60).unwrap();
        assert_eq!(local(due), "Sun 2026-10-25 11:00 +01:00");
    }

    #[test]
    fn other_zones_and_split_days() {
        let cal = BusinessCalendar {
            time_zone: "America/New_York".into(),
            hours: vec![
                WorkingHours { weekday: 1, start_minute: 9 * 60, end_minute: 12 * 60 },
                WorkingHours { weekday: 1, start_minute: 13 * 60, end_minute: 17 * 60 },
            ],
            holidays: vec![],
        };
        // Monday 11:00 + 2 h: one hour before lunch, one after.
        let due = compute_due(&cal, at("2026-11-23T11:00[America/New_York]"), 120).unwrap();
        assert_eq!(due, at("2026-11-23T14:00[America/New_York]"));
        // Only Mondays work: Monday 16:00 + 2 h ends next Monday 10:00.
        let due = compute_due(&cal, at("2026-11-23T16:00[America/New_York]"), 120).unwrap();
        assert_eq!(due, at("2026-11-30T10:00[America/New_York]"));
    }

    #[test]
    fn policy_gives_both_due_times() {
        let (first, resolution) = SlaPolicy::standard()
            .due_times(&berlin(), Priority::Urgent, at("2026-11-23T15:00[Europe/Berlin]"))
            .unwrap();
        assert_eq!(local(first), "Mon 2026-11-23 15:30 +01:00");
        assert_eq!(local(resolution), "Tue 2026-11-24 10:00 +01:00");
    }

    #[test]
    fn bad_calendars_are_rejected() {
        let start = at("2026-11-23T09:00[Europe/Berlin]");
        let mut cal = berlin();
        cal.time_zone = "Mars/Olympus".into();
        assert!(compute_due(&cal, start, 10).unwrap_err().to_string().contains("time zone"));
        let mut cal = berlin();
        cal.hours.clear();
        assert!(compute_due(&cal, start, 10).is_err());
        let mut cal = berlin();
        cal.hours[0].end_minute = 7 * 60;
        assert!(compute_due(&cal, start, 10).is_err());
        let mut cal = berlin();
        cal.hours[0].weekday = 8;
        assert!(compute_due(&cal, start, 10).is_err());
    }
    fn code_and_field(e: DomainError) -> (ErrorCode, String) {
        let p = e.problem();
        (p.code, p.params.get("field").cloned().unwrap_or_default())
    }

    #[test]
    fn sla_settings_are_checked_field_by_field() {
        let ok = (SlaPolicy::standard(), berlin());
        assert!(check_sla_settings(&ok.0, &ok.1).is_ok());
        let refused = |change: &dyn Fn(&mut SlaPolicy, &mut BusinessCalendar)| {
            let (mut policy, mut calendar) = ok.clone();
            change(&mut policy, &mut calendar);
            code_and_field(check_sla_settings(&policy, &calendar).expect_err("refused"))
        };
        type Change = dyn Fn(&mut SlaPolicy, &mut BusinessCalendar);
        let cases: &[(&Change, ErrorCode, &str)] = &[
            (&|p, _| p.name = "  ".into(), ErrorCode::Required, "policy_name"),
            (&|p, _| p.name = "x".repeat(101), ErrorCode::TooLong, "policy_name"),
            (&|p, _| p.urgent.first_response_minutes = 0, ErrorCode::NotPositive, "first_response_minutes"),
            (&|p, _| p.low.resolution_minutes = 0, ErrorCode::NotPositive, "resolution_minutes"),
            (&|p, _| p.high.resolution_minutes = MAX_SLA_MINUTES + 1, ErrorCode::TooLong, "resolution_minutes"),
            (&|_, c| c.time_zone = "Mars/Olympus".into(), ErrorCode::UnknownTimeZone, "time_zone"),
            (&|_, c| c.hours.clear(), ErrorCode::Required, "hours"),
            (&|_, c| c.hours[1].end_minute = 7 * 60, ErrorCode::EndsBeforeStart, "hours"),
            (&|_, c| c.hours[1].end_minute = c.hours[1].start_minute, ErrorCode::EndsBeforeStart, "hours"),
            (&|_, c| c.hours[0].end_minute = 25 * 60, ErrorCode::Invalid, "hours"),
            (&|_, c| c.hours[0].weekday = 0, ErrorCode::Invalid, "hours"),
            (&|_, c| c.holidays.push(date(226, 12, 24)), ErrorCode::InvalidDate, "holidays"),
        ];
        for (i, (change, code, field)) in cases.iter().enumerate() {
            assert_eq!(refused(*change), (*code, (*field).to_owned()), "case {i}");
        }
        // A round-the-clock day ends at 24:00, and holidays in range are fine.
        let (policy, mut calendar) = ok.clone();
        calendar.hours[0] = WorkingHours { weekday: 1, start_minute: 0, end_minute: 1440 };
        calendar.holidays = vec![date(2026, 12, 24), date(2200, 1, 1)];
        assert!(check_sla_settings(&policy, &calendar).is_ok());
    }
}
