//! Counting a period on the holiday calendar: the one place that knows "counting starts the day after"
//! and "a period ending on a non-working day rolls forward" (Civil Code arts. 147-148).

use chrono::{Datelike, Days, NaiveDate};

use crate::{ClockError, DayKind, HolidayCalendar, SkippedDay, Unit};

/// Where a counted period ends and which non-working days it passed over to get there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Period {
    pub due: NaiveDate,
    pub skipped: Vec<SkippedDay>,
    pub rolled_forward_from: Option<NaiveDate>,
}

/// `n` days of `unit` counted from the day after `from`.
pub(super) fn period(
    calendar: &HolidayCalendar,
    unit: Unit,
    from: NaiveDate,
    n: u32,
) -> Result<Period, ClockError> {
    match unit {
        Unit::WorkingDays => working_days(calendar, from, n),
        Unit::CalendarDays => calendar_days(calendar, from, n),
    }
}

/// The `n`th working day after `from` (`from` itself when `n` is 0), listing every non-working day passed over.
pub(super) fn working_days(
    calendar: &HolidayCalendar,
    from: NaiveDate,
    n: u32,
) -> Result<Period, ClockError> {
    let mut day = from;
    let mut counted = 0;
    let mut skipped = Vec::new();
    // The loop ends: every step either counts a day, or moves towards a year the calendar lacks,
    // where `day_kind` fails.
    while counted < n {
        day = next_day(day)?;
        match calendar.day_kind(day)? {
            DayKind::Working => counted += 1,
            kind => skipped.push(SkippedDay {
                date: day,
                reason: reason(kind),
            }),
        }
    }
    Ok(Period {
        due: day,
        skipped,
        rolled_forward_from: None,
    })
}

/// `from + n` calendar days, rolled forward to the next working day when it is not one.
pub(super) fn calendar_days(
    calendar: &HolidayCalendar,
    from: NaiveDate,
    n: u32,
) -> Result<Period, ClockError> {
    roll_forward(calendar, add_days(from, u64::from(n))?)
}

/// The first working day on or after `nominal`; the days rolled over are listed as skipped.
pub(super) fn roll_forward(
    calendar: &HolidayCalendar,
    nominal: NaiveDate,
) -> Result<Period, ClockError> {
    let mut day = nominal;
    let mut skipped = Vec::new();
    loop {
        match calendar.day_kind(day)? {
            DayKind::Working => break,
            kind => {
                skipped.push(SkippedDay {
                    date: day,
                    reason: reason(kind),
                });
                day = next_day(day)?;
            }
        }
    }
    Ok(Period {
        due: day,
        skipped,
        rolled_forward_from: (day != nominal).then_some(nominal),
    })
}

/// The number of working days in `[from, until)`.
pub(super) fn working_days_in(
    calendar: &HolidayCalendar,
    from: NaiveDate,
    until: NaiveDate,
) -> Result<u32, ClockError> {
    let mut day = from;
    let mut count: u32 = 0;
    while day < until {
        if calendar.is_working_day(day)? {
            count = count.saturating_add(1);
        }
        day = next_day(day)?;
    }
    Ok(count)
}

/// `date + days`, failing like a missing calendar year when the date would leave chrono's range.
pub(super) fn add_days(date: NaiveDate, days: u64) -> Result<NaiveDate, ClockError> {
    date.checked_add_days(Days::new(days))
        .ok_or_else(|| beyond(date))
}

fn next_day(date: NaiveDate) -> Result<NaiveDate, ClockError> {
    date.succ_opt().ok_or_else(|| beyond(date))
}

/// No calendar can hold a year past chrono's last date, so running off the end is reported as the
/// following year missing, which is what an operator would have to supply anyway.
fn beyond(date: NaiveDate) -> ClockError {
    ClockError::CalendarYearMissing(date.year().saturating_add(1))
}

/// The reason recorded for a skipped day: "weekend" or the holiday's name.
fn reason(kind: DayKind) -> String {
    match kind {
        DayKind::Weekend => "weekend".to_owned(),
        DayKind::Holiday(name) => name,
        DayKind::Working => "working day".to_owned(),
    }
}
