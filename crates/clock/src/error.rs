//! The one error type of the clock crate.

use chrono::NaiveDate;

/// What can go wrong when reading rules or computing a deadline.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum ClockError {
    /// No version of the rule is in force on that date. The operator must add one to the rulebook (a 500 for callers).
    #[error("no version of rule `{rule_id}` is in force on {on}")]
    RuleNotInForce { rule_id: String, on: NaiveDate },
    /// The rule id is unknown to the rulebook (a programming or data error: 500).
    #[error("unknown rule `{0}`")]
    UnknownRule(String),
    /// The holiday calendar has no entry for that year; working days cannot be counted honestly.
    /// The operator must load the year's calendar (a 503-like condition for callers).
    #[error(
        "the holiday calendar has no data for {0}; load rules/holidays/<jurisdiction>-{0}.toml"
    )]
    CalendarYearMissing(i32),
    /// A rulebook or calendar file could not be parsed or is inconsistent (fix the file).
    #[error("invalid clock data: {0}")]
    InvalidData(String),
    /// The extension is not allowed (no extension rule, or the maximum number of extensions is reached).
    #[error("extension not allowed: {0}")]
    ExtensionNotAllowed(String),
}
