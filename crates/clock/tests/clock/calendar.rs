//! The holiday calendar: make-up days are worked, holidays keep their names, missing years are refused.

use clock::{ClockError, DayKind, HolidayCalendar};

use crate::support::{day, rules_dir};

fn year_file(year: i32, body: &str) -> String {
    format!("year = {year}\njurisdiction = \"VN\"\nsource = \"test\"\n{body}")
}

#[test]
fn a_make_up_saturday_is_a_working_day_and_its_bridge_day_is_off() {
    let calendar = HolidayCalendar::embedded();
    // Friday 2025-05-02 was given off in exchange for working Saturday 2025-04-26.
    assert_eq!(calendar.day_kind(day(2025, 4, 26)), Ok(DayKind::Working));
    assert!(matches!(
        calendar.day_kind(day(2025, 5, 2)),
        Ok(DayKind::Holiday(_))
    ));
}

#[test]
fn a_holiday_on_a_weekend_keeps_its_name_and_its_compensatory_monday_is_off() {
    let calendar = HolidayCalendar::embedded();
    // Hùng Kings' day 2026 (10th day of the 3rd lunar month) is Sunday 2026-04-26; Monday 2026-04-27 is off.
    let sunday = calendar.day_kind(day(2026, 4, 26));
    assert!(matches!(sunday, Ok(DayKind::Holiday(name)) if name.contains("Hùng")));
    assert!(matches!(
        calendar.day_kind(day(2026, 4, 27)),
        Ok(DayKind::Holiday(_))
    ));
    assert_eq!(calendar.day_kind(day(2026, 4, 25)), Ok(DayKind::Weekend));
    assert_eq!(calendar.day_kind(day(2026, 4, 28)), Ok(DayKind::Working));
}

#[test]
fn every_day_of_the_2026_tet_block_is_off() {
    let calendar = HolidayCalendar::embedded();
    for d in day(2026, 2, 14).iter_days().take(9) {
        assert!(
            matches!(calendar.day_kind(d), Ok(DayKind::Holiday(name)) if name.contains("Tết")),
            "{d}"
        );
    }
    assert_eq!(calendar.is_working_day(day(2026, 2, 13)), Ok(true));
    assert_eq!(calendar.is_working_day(day(2026, 2, 23)), Ok(true));
}

#[test]
fn a_year_not_in_the_calendar_is_reported_missing() {
    let calendar = HolidayCalendar::embedded();
    assert_eq!(
        calendar.day_kind(day(2024, 12, 31)),
        Err(ClockError::CalendarYearMissing(2024))
    );
    assert_eq!(
        calendar.is_working_day(day(2028, 1, 3)),
        Err(ClockError::CalendarYearMissing(2028))
    );
}

#[test]
fn the_directory_on_disk_holds_the_embedded_calendars() {
    assert_eq!(
        HolidayCalendar::load_dir(&rules_dir().join("holidays")),
        Ok(HolidayCalendar::embedded())
    );
    assert!(HolidayCalendar::load_dir(&rules_dir().join("no-such-dir")).is_err());
}

#[test]
fn validation_rejects_inconsistent_year_files() {
    let foreign_date = year_file(2026, "[[holiday]]\ndate = 2027-01-01\nname = \"x\"\n");
    assert!(matches!(
        HolidayCalendar::from_toml_strs(&[&foreign_date]),
        Err(ClockError::InvalidData(_))
    ));
    let weekday_make_up = year_file(2026, "[[working_day]]\ndate = 2026-03-04\nname = \"x\"\n");
    assert!(HolidayCalendar::from_toml_strs(&[&weekday_make_up]).is_err());
    let both = year_file(
        2026,
        "[[holiday]]\ndate = 2026-03-07\nname = \"x\"\n[[working_day]]\ndate = 2026-03-07\nname = \"y\"\n",
    );
    assert!(HolidayCalendar::from_toml_strs(&[&both]).is_err());
    let empty = year_file(2026, "");
    assert!(
        HolidayCalendar::from_toml_strs(&[&empty, &empty]).is_err(),
        "a year loaded twice"
    );
    let other = year_file(2027, "").replace("\"VN\"", "\"LA\"");
    assert!(
        HolidayCalendar::from_toml_strs(&[&empty, &other]).is_err(),
        "two jurisdictions"
    );
    let unknown = year_file(
        2026,
        "[[holiday]]\ndate = 2026-03-04\nname = \"x\"\nobserved = true\n",
    );
    assert!(HolidayCalendar::from_toml_strs(&[&unknown]).is_err());
}

#[test]
fn a_missing_year_is_reported_from_60_days_before_it_begins() {
    // The shipped calendars cover 2025 to 2027.
    let calendar = HolidayCalendar::embedded();
    assert!(calendar.years.contains_key(&2027) && !calendar.years.contains_key(&2028));
    // 2028-01-01 minus 60 days is 2027-11-02.
    assert_eq!(calendar.missing_years(day(2027, 11, 1)), Vec::<i32>::new());
    assert_eq!(calendar.missing_years(day(2027, 11, 2)), vec![2028]);
    assert_eq!(calendar.missing_years(day(2027, 12, 31)), vec![2028]);
    // In a year without its own file, both it and (late in the year) the next are reported.
    assert_eq!(calendar.missing_years(day(2028, 3, 1)), vec![2028]);
    assert_eq!(calendar.missing_years(day(2028, 12, 1)), vec![2028, 2029]);
    // A loaded next year silences the warning.
    assert_eq!(calendar.missing_years(day(2026, 12, 1)), Vec::<i32>::new());
}
