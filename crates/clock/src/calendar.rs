//! The holiday calendar: one file per year, because days off (Tết above all) are announced each year.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

/// A named day: a public holiday, an announced day off, or a make-up working day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Holiday {
    #[serde(deserialize_with = "crate::serde_date::date")]
    pub date: NaiveDate,
    pub name: String,
}

/// One year of one jurisdiction's calendar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct YearCalendar {
    pub year: i32,
    pub jurisdiction: String,
    /// Where the days off were announced (decision or official letter).
    pub source: String,
    #[serde(default, rename = "holiday")]
    pub holidays: Vec<Holiday>,
    /// Weekend days declared working days to make up for a bridge day off.
    #[serde(default, rename = "working_day")]
    pub working_days: Vec<Holiday>,
}

/// What kind of day a date is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "name", rename_all = "snake_case")]
pub enum DayKind {
    Working,
    Weekend,
    Holiday(String),
}

/// How many days before a year begins `HolidayCalendar::missing_years` starts reporting it.
pub const MISSING_YEAR_LEAD_DAYS: u64 = 60;

/// Every loaded year, keyed by year.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HolidayCalendar {
    pub years: BTreeMap<i32, YearCalendar>,
}

impl HolidayCalendar {
    /// Parses one TOML document per year.
    pub fn from_toml_strs(files: &[&str]) -> Result<Self, crate::ClockError> {
        let mut calendar = Self::default();
        for text in files {
            let year: YearCalendar =
                toml::from_str(text).map_err(|e| invalid(format!("holiday calendar: {e}")))?;
            calendar.insert(year)?;
        }
        Ok(calendar)
    }
    /// Reads every `*.toml` file of a directory (e.g. `rules/holidays`).
    pub fn load_dir(dir: &std::path::Path) -> Result<Self, crate::ClockError> {
        let entries = std::fs::read_dir(dir)
            .map_err(|e| invalid(format!("cannot read {}: {e}", dir.display())))?;
        let mut paths = Vec::new();
        for entry in entries {
            let path = entry
                .map_err(|e| invalid(format!("cannot read {}: {e}", dir.display())))?
                .path();
            if path.is_file() && path.extension().is_some_and(|ext| ext == "toml") {
                paths.push(path);
            }
        }
        // Sorting makes the first reported error independent of the file system's listing order.
        paths.sort();
        let mut calendar = Self::default();
        for path in paths {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| invalid(format!("cannot read {}: {e}", path.display())))?;
            let year: YearCalendar =
                toml::from_str(&text).map_err(|e| invalid(format!("{}: {e}", path.display())))?;
            calendar.insert(year).map_err(|e| match e {
                crate::ClockError::InvalidData(msg) => {
                    invalid(format!("{}: {msg}", path.display()))
                }
                other => other,
            })?;
        }
        Ok(calendar)
    }
    /// The calendars shipped in `rules/holidays/`, compiled in.
    // A unit test parses the embedded files, so this `expect` cannot fire in a tested build.
    #[allow(clippy::expect_used)]
    pub fn embedded() -> Self {
        Self::from_toml_strs(EMBEDDED)
            .expect("the embedded rules/holidays/*.toml are valid (checked by a unit test)")
    }
    /// Working day, weekend or holiday; fails when the year is not loaded.
    pub fn day_kind(&self, date: NaiveDate) -> Result<DayKind, crate::ClockError> {
        let year = self
            .years
            .get(&date.year())
            .ok_or(crate::ClockError::CalendarYearMissing(date.year()))?;
        // A make-up Saturday is worked even though it is a weekend day, so it is checked first.
        if year.working_days.iter().any(|d| d.date == date) {
            return Ok(DayKind::Working);
        }
        // A holiday that falls on a weekend keeps its name, so an explanation says "Tết" rather than "weekend".
        if let Some(holiday) = year.holidays.iter().find(|h| h.date == date) {
            return Ok(DayKind::Holiday(holiday.name.clone()));
        }
        Ok(if is_weekend(date) {
            DayKind::Weekend
        } else {
            DayKind::Working
        })
    }
    pub fn is_working_day(&self, date: NaiveDate) -> Result<bool, crate::ClockError> {
        Ok(self.day_kind(date)? == DayKind::Working)
    }
    /// The years without a holiday file that the operator must load now, on `today`: the current
    /// year when it is missing, and the next year from [`MISSING_YEAR_LEAD_DAYS`] days before it
    /// begins (a 30-day period started in December already reaches into it; working-day periods
    /// started then will too). Steps whose period reaches a missing year fail with
    /// `CalendarYearMissing`, so `petition serve` warns about these at start (issue 11 item 6; the
    /// yearly update is described in `docs/operations.md`).
    pub fn missing_years(&self, today: NaiveDate) -> Vec<i32> {
        let mut missing = Vec::new();
        if !self.years.contains_key(&today.year()) {
            missing.push(today.year());
        }
        let next = today.year() + 1;
        let starts = NaiveDate::from_ymd_opt(next, 1, 1);
        let warn_from =
            starts.and_then(|d| d.checked_sub_days(chrono::Days::new(MISSING_YEAR_LEAD_DAYS)));
        if warn_from.is_some_and(|from| today >= from) && !self.years.contains_key(&next) {
            missing.push(next);
        }
        missing
    }

    /// The jurisdiction of the loaded years (`None` when nothing is loaded).
    pub fn jurisdiction(&self) -> Option<&str> {
        self.years.values().next().map(|y| y.jurisdiction.as_str())
    }

    /// Adds one year after checking it is consistent with itself and with the years already loaded.
    fn insert(&mut self, year: YearCalendar) -> Result<(), crate::ClockError> {
        validate_year(&year)?;
        if let Some(existing) = self.jurisdiction().filter(|j| *j != year.jurisdiction) {
            return Err(invalid(format!(
                "year {} is for jurisdiction {} but the calendar already holds {existing}",
                year.year, year.jurisdiction
            )));
        }
        if self.years.contains_key(&year.year) {
            return Err(invalid(format!("year {} is loaded twice", year.year)));
        }
        self.years.insert(year.year, year);
        Ok(())
    }
}

/// The shipped calendars; paths are relative to this source file.
const EMBEDDED: &[&str] = &[
    include_str!("../../../rules/holidays/vn-2025.toml"),
    include_str!("../../../rules/holidays/vn-2026.toml"),
    include_str!("../../../rules/holidays/vn-2027.toml"),
];

fn is_weekend(date: NaiveDate) -> bool {
    matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

/// Refuses a year whose dates could silently miscount: dates outside the year, duplicates,
/// a day both off and worked, or a "make-up working day" that is not a weekend day.
fn validate_year(year: &YearCalendar) -> Result<(), crate::ClockError> {
    let label = format!("year {}", year.year);
    if year.jurisdiction.trim().is_empty() || year.source.trim().is_empty() {
        return Err(invalid(format!(
            "{label}: `jurisdiction` and `source` must not be empty"
        )));
    }
    let mut seen = BTreeSet::new();
    for day in year.holidays.iter().chain(&year.working_days) {
        if day.date.year() != year.year {
            return Err(invalid(format!(
                "{label}: {} belongs to another year",
                day.date
            )));
        }
        if day.name.trim().is_empty() {
            return Err(invalid(format!("{label}: {} has no name", day.date)));
        }
        if !seen.insert(day.date) {
            return Err(invalid(format!("{label}: {} is listed twice", day.date)));
        }
    }
    if let Some(day) = year.working_days.iter().find(|d| !is_weekend(d.date)) {
        return Err(invalid(format!(
            "{label}: make-up working day {} is not a Saturday or Sunday",
            day.date
        )));
    }
    Ok(())
}

fn invalid(message: String) -> crate::ClockError {
    crate::ClockError::InvalidData(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_calendars_parse_and_validate() {
        assert_eq!(HolidayCalendar::from_toml_strs(EMBEDDED).err(), None);
        let years: Vec<i32> = HolidayCalendar::embedded().years.into_keys().collect();
        assert_eq!(years, vec![2025, 2026, 2027]);
    }
}
