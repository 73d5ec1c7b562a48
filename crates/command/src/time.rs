//! The time source the service asks for "now", injectable so tests can move time.

use chrono::{DateTime, NaiveDate, Utc};

/// Gives the current instant. Production uses the system clock; tests pin or advance it.
pub trait TimeSource: Send + Sync + std::fmt::Debug {
    fn now(&self) -> DateTime<Utc>;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemTime;

impl TimeSource for SystemTime {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A fixed instant, for tests and demos.
#[derive(Debug, Clone, Copy)]
pub struct FixedTime(pub DateTime<Utc>);

impl TimeSource for FixedTime {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}

/// Vietnam's offset from UTC; it has no daylight-saving time, so a fixed offset is exact.
const VIETNAM_UTC_OFFSET_SECONDS: i64 = 7 * 3600;

/// The legal date of an instant: statutory periods are counted in Vietnam's local calendar.
pub fn local_date(instant: DateTime<Utc>) -> NaiveDate {
    (instant + chrono::TimeDelta::seconds(VIETNAM_UTC_OFFSET_SECONDS)).date_naive()
}
