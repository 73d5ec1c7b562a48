//! Helpers shared by the test modules: short date literals and the shipped clocks.

use std::path::PathBuf;

use chrono::NaiveDate;
use clock::{Clocks, Complexity, SkippedDay, Variant};

/// A date literal; the tests only use valid dates.
pub fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a valid test date")
}

/// The rulebook and holiday calendars shipped in `rules/`.
pub fn clocks() -> Clocks {
    Clocks::embedded()
}

/// The `rules/` directory of the repository.
pub fn rules_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../rules")
}

pub fn normal() -> Variant {
    Variant::default()
}

pub fn complexity(complexity: Complexity) -> Variant {
    Variant {
        remote: false,
        complexity,
    }
}

/// The dates of skipped days, for compact assertions.
pub fn dates(skipped: &[SkippedDay]) -> Vec<NaiveDate> {
    skipped.iter().map(|s| s.date).collect()
}

/// Every date from `first` to `last` inclusive.
pub fn range(first: NaiveDate, last: NaiveDate) -> Vec<NaiveDate> {
    first.iter_days().take_while(|d| *d <= last).collect()
}
