//! Statutory clocks as data: which rule applies on a date, which days are working days, and when a step is due.
//!
//! Nothing here is a legal constant in code: limits live in `rules/rulebook.toml` and holidays in
//! `rules/holidays/*.toml`, both versioned and replaceable by the operator. A computed [`Deadline`] carries
//! everything needed to explain it years later, so replays never recompute it.

mod calendar;
mod deadline;
mod error;
mod rulebook;
mod serde_date;

pub use calendar::{DayKind, Holiday, HolidayCalendar, MISSING_YEAR_LEAD_DAYS, YearCalendar};
pub use deadline::{Adjustment, AdjustmentKind, Clocks, Deadline, Recount, SkippedDay};
pub use error::ClockError;
pub use rulebook::{
    Complexity, MaxExtensions, Rule, Rulebook, SuspensionMode, Unit, Variant, Variants,
};
