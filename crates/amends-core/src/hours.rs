//! Opening hours: the weekly times a desk answers live, in its own time zone (daylight saving
//! followed through the tz database built into the program), such as
//! `Mon-Fri 09:00-17:30, Sat 10:00-14:00` in `Europe/London`. No hours means always open.

use jiff::civil::Weekday;
use jiff::tz::TimeZone;

use crate::field::FieldError;
use crate::Timestamp;

/// When a desk is open.
#[derive(Debug, Clone)]
pub struct OpeningHours {
    zone: TimeZone,
    zone_name: String,
    /// Each open span: a weekday and minutes from midnight, from and to.
    spans: Vec<(Weekday, u16, u16)>,
}

const DAYS: [(&str, Weekday); 7] = [
    ("mon", Weekday::Monday),
    ("tue", Weekday::Tuesday),
    ("wed", Weekday::Wednesday),
    ("thu", Weekday::Thursday),
    ("fri", Weekday::Friday),
    ("sat", Weekday::Saturday),
    ("sun", Weekday::Sunday),
];

impl OpeningHours {
    /// Always open.
    pub fn always() -> OpeningHours {
        OpeningHours {
            zone: TimeZone::UTC,
            zone_name: "UTC".to_owned(),
            spans: Vec::new(),
        }
    }

    /// Reads `spec` (days or a range of days, then a span of times, comma separated: `Mon-Fri
    /// 09:00-17:30, Sat 10:00-14:00`; empty for always open) in the IANA time zone `zone`.
    pub fn parse(field: &str, spec: &str, zone: &str) -> Result<OpeningHours, FieldError> {
        let zone_name = if zone.trim().is_empty() {
            "UTC"
        } else {
            zone.trim()
        };
        let tz = jiff::tz::db()
            .get(zone_name)
            .map_err(|_| FieldError::new(field, format!("{zone_name:?} is not a time zone")))?;
        let mut spans = Vec::new();
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let bad = || {
                FieldError::new(
                    field,
                    format!("{part:?} is not like \"Mon-Fri 09:00-17:30\""),
                )
            };
            let (days, times) = part.split_once(char::is_whitespace).ok_or_else(bad)?;
            let (from, to) = times.trim().split_once('-').ok_or_else(bad)?;
            let (from, to) = (minutes(from).ok_or_else(bad)?, minutes(to).ok_or_else(bad)?);
            if from >= to {
                return Err(bad());
            }
            for day in weekdays(days).ok_or_else(bad)? {
                spans.push((day, from, to));
            }
        }
        Ok(OpeningHours {
            zone: tz,
            zone_name: zone_name.to_owned(),
            spans,
        })
    }

    /// Whether the desk is open at `at`.
    pub fn open_at(&self, at: Timestamp) -> bool {
        if self.spans.is_empty() {
            return true;
        }
        let Ok(instant) = jiff::Timestamp::from_millisecond(at.millis()) else {
            return false;
        };
        let local = instant.to_zoned(self.zone.clone());
        let minute = u16::try_from(i32::from(local.hour()) * 60 + i32::from(local.minute()))
            .unwrap_or(u16::MAX);
        self.spans
            .iter()
            .any(|&(day, from, to)| day == local.weekday() && (from..to).contains(&minute))
    }

    /// The hours in words for a visitor, with the time zone; `None` when always open.
    pub fn describe(&self) -> Option<String> {
        if self.spans.is_empty() {
            return None;
        }
        let name = |day: Weekday| {
            let short = DAYS.iter().find(|(_, d)| *d == day).map_or("", |(n, _)| *n);
            let mut name = short.to_owned();
            name[..1].make_ascii_uppercase();
            name
        };
        // Consecutive days with the same times read as one range: "Mon-Fri 09:00 to 17:30".
        let mut runs: Vec<(Weekday, Weekday, u16, u16)> = Vec::new();
        for &(day, from, to) in &self.spans {
            match runs.last_mut() {
                Some(run) if run.2 == from && run.3 == to && run.1.next() == day => run.1 = day,
                _ => runs.push((day, day, from, to)),
            }
        }
        let spans: Vec<String> = runs
            .iter()
            .map(|&(first, last, from, to)| {
                let days = if first == last {
                    name(first)
                } else {
                    format!("{}-{}", name(first), name(last))
                };
                format!("{days} {} to {}", clock(from), clock(to))
            })
            .collect();
        Some(format!("{} ({})", spans.join(", "), self.zone_name))
    }
}

fn minutes(raw: &str) -> Option<u16> {
    let (h, m) = raw.trim().split_once(':')?;
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    (h <= 24 && m < 60 && h * 60 + m <= 24 * 60).then_some(h * 60 + m)
}

fn clock(minutes: u16) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// `Mon`, or `Mon-Fri` (wrapping past Sunday: `Sat-Mon`).
fn weekdays(raw: &str) -> Option<Vec<Weekday>> {
    let day = |name: &str| {
        let name = name.trim().to_ascii_lowercase();
        DAYS.iter()
            .position(|(n, _)| name.starts_with(n))
            .filter(|_| name.len() >= 3)
    };
    let (first, last) = match raw.split_once('-') {
        Some((a, b)) => (day(a)?, day(b)?),
        None => (day(raw)?, day(raw)?),
    };
    let count = (last + 7 - first) % 7 + 1;
    Some((0..count).map(|i| DAYS[(first + i) % 7].1).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(rfc3339: &str) -> Timestamp {
        let instant: jiff::Timestamp = rfc3339.parse().unwrap();
        Timestamp(instant.as_millisecond())
    }

    #[test]
    fn a_desk_is_open_in_its_hours_in_its_own_time_zone() {
        let hours = OpeningHours::parse(
            "hours",
            "Mon-Fri 09:00-17:30, Sat 10:00-14:00",
            "Europe/London",
        )
        .unwrap();
        // Monday 30 November 2026, London on GMT.
        assert!(hours.open_at(at("2026-11-30T09:00:00Z")));
        assert!(!hours.open_at(at("2026-11-30T08:59:00Z")));
        assert!(!hours.open_at(at("2026-11-30T17:30:00Z")));
        assert!(!hours.open_at(at("2026-11-29T12:00:00Z")), "Sunday");
        assert!(hours.open_at(at("2026-11-28T13:59:00Z")), "Saturday");
        // Monday 30 March 2026, London on BST: 09:00 there is 08:00 UTC.
        assert!(hours.open_at(at("2026-03-30T08:00:00Z")));
        assert!(
            !hours.open_at(at("2026-03-30T16:45:00Z")),
            "17:45 in London"
        );
        assert_eq!(
            hours.describe().unwrap(),
            "Mon-Fri 09:00 to 17:30, Sat 10:00 to 14:00 (Europe/London)"
        );
        let weekend =
            OpeningHours::parse("hours", "Sat-Sun 08:00-20:00", "America/New_York").unwrap();
        assert!(
            weekend.open_at(at("2026-11-29T14:00:00Z")),
            "Sunday 09:00 in New York"
        );
        assert!(OpeningHours::parse("hours", "", "")
            .unwrap()
            .open_at(at("2026-11-29T03:00:00Z")));
        for bad in ["Mon 17:00-09:00", "Funday 09:00-17:00", "Mon 9-5", "Mon"] {
            assert!(OpeningHours::parse("hours", bad, "UTC").is_err(), "{bad}");
        }
        assert!(OpeningHours::parse("hours", "Mon 09:00-17:00", "Mars/Olympus").is_err());
    }
}
