//! Time as lmsync shows it: the configured zone (or the machine's), the `YYYYmmdd-HHMM` stamps
//! of report, tryback and archive names, and readable times for reports.

use chrono::{DateTime, Local, TimeZone, Utc};

#[derive(Debug, Clone)]
pub struct Clock {
    zone: Option<chrono_tz::Tz>,
}

#[derive(Debug, thiserror::Error)]
#[error("timezone {0:?} is not an IANA time zone name (like \"Europe/Paris\"); leave it empty for the machine's zone")]
pub struct BadZone(String);

impl Clock {
    /// `zone` empty = the machine's local zone.
    pub fn new(zone: &str) -> Result<Self, BadZone> {
        if zone.trim().is_empty() {
            return Ok(Clock { zone: None });
        }
        zone.trim().parse().map(|z| Clock { zone: Some(z) }).map_err(|_| BadZone(zone.to_string()))
    }

    pub fn now(&self) -> i64 {
        Utc::now().timestamp()
    }

    fn format(&self, ts: i64, fmt: &str) -> String {
        let utc = DateTime::<Utc>::from_timestamp(ts, 0).unwrap_or_default();
        match self.zone {
            Some(z) => z.from_utc_datetime(&utc.naive_utc()).format(fmt).to_string(),
            None => Local.from_utc_datetime(&utc.naive_utc()).format(fmt).to_string(),
        }
    }

    /// `20240131-0915`: minute stamp used in file names.
    pub fn stamp(&self, ts: i64) -> String {
        self.format(ts, "%Y%m%d-%H%M")
    }

    /// `2024-01-31 09:15:03 +01:00`.
    pub fn display(&self, ts: i64) -> String {
        self.format(ts, "%Y-%m-%d %H:%M:%S %:z")
    }

    /// When `schedule` fires next after `after`, read in this clock's zone.
    pub fn next_fire(&self, schedule: &crate::schedule::Schedule, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self.zone {
            Some(z) => schedule.next_after(&after.with_timezone(&z)),
            None => schedule.next_after(&after.with_timezone(&Local)),
        }
    }

    /// Parses a date of a command file (DECISIONS §2) in this clock's zone.
    pub fn parse_date(&self, value: &str) -> Option<i64> {
        match self.zone {
            Some(z) => crate::values::parse_date(value, &z),
            None => crate::values::parse_date(value, &Local),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_use_the_configured_zone() {
        let c = Clock::new("Europe/Paris").unwrap();
        assert_eq!(c.stamp(1706692500), "20240131-1015");
        assert_eq!(c.display(1706692500), "2024-01-31 10:15:00 +01:00");
        assert!(Clock::new("Nowhere/Land").is_err());
    }
}
