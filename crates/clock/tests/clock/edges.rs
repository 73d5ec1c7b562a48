//! The edges of the calendar: a year without data is an error, never a guess and never a panic.

use chrono::NaiveDate;
use clock::{ClockError, Complexity};

use crate::support::{clocks, complexity, day, normal};

#[test]
fn a_working_day_count_into_a_year_not_in_the_calendar_gives_calendar_year_missing() {
    // From Tuesday 2027-12-28: 12-29, 12-30, 12-31 are the last loaded working days; the 4th lies in 2028.
    let err = clocks().compute("complaint.accept", day(2027, 12, 28), normal());
    assert_eq!(err, Err(ClockError::CalendarYearMissing(2028)));
    let before = clocks().compute("complaint.accept", day(2024, 12, 20), normal());
    assert_eq!(before, Err(ClockError::CalendarYearMissing(2024)));
}

#[test]
fn a_calendar_day_period_ending_in_a_missing_year_gives_calendar_year_missing() {
    // 2027-11-01 + 90 days = 2028-01-30.
    let err = clocks().compute("complaint.limitation", day(2027, 11, 1), normal());
    assert_eq!(err, Err(ClockError::CalendarYearMissing(2028)));
}

#[test]
fn adjustments_running_past_the_calendar_give_calendar_year_missing() {
    let clocks = clocks();
    // 2027-11-15 + 30 days = Wednesday 2027-12-15; every adjustment below would end in 2028.
    let d = clocks
        .compute(
            "denunciation.resolution",
            day(2027, 11, 15),
            complexity(Complexity::Complex),
        )
        .expect("computes");
    assert_eq!(d.due, day(2027, 12, 15));
    assert_eq!(
        clocks.extend(
            &d,
            "denunciation.resolution.extension",
            day(2027, 11, 20),
            0
        ),
        Err(ClockError::CalendarYearMissing(2028))
    );
    assert_eq!(
        clocks.pause(&d, day(2027, 11, 20), day(2027, 12, 31)),
        Err(ClockError::CalendarYearMissing(2028))
    );
    assert_eq!(
        clocks.restart(&d, day(2027, 12, 20)),
        Err(ClockError::CalendarYearMissing(2028))
    );
}

#[test]
fn the_last_representable_date_is_an_error_not_a_panic() {
    let clocks = clocks();
    for rule in ["complaint.accept", "complaint.limitation"] {
        assert!(matches!(
            clocks.compute(rule, NaiveDate::MAX, normal()),
            Err(ClockError::CalendarYearMissing(_))
        ));
        assert!(matches!(
            clocks.compute(rule, NaiveDate::MIN, normal()),
            Err(ClockError::RuleNotInForce { .. })
        ));
    }
    let d = clocks
        .compute("denunciation.resolution", day(2026, 3, 2), normal())
        .expect("computes");
    assert!(matches!(
        clocks.pause(&d, NaiveDate::MIN, NaiveDate::MAX),
        Err(ClockError::CalendarYearMissing(_))
    ));
}

#[test]
fn overdue_starts_the_day_after_the_due_date() {
    let d = clocks()
        .compute("denunciation.resolution", day(2026, 3, 2), normal())
        .expect("computes");
    assert!(!d.is_overdue_on(day(2026, 4, 1)));
    assert!(d.is_overdue_on(day(2026, 4, 2)));
    assert_eq!(
        (
            d.days_overdue(day(2026, 3, 1)),
            d.days_overdue(day(2026, 4, 4))
        ),
        (0, 3)
    );
}
