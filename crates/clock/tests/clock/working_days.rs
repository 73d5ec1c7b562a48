//! Working-day periods: counting starts the day after the trigger and passes over weekends and days off.

use clock::{Complexity, Unit};

use crate::support::{clocks, complexity, dates, day, normal, range};

#[test]
fn a_complaint_received_just_before_tet_waits_out_the_whole_tet_break() {
    // Received Thursday 2026-02-12. Counting 7 working days (rule v2):
    // Fri 02-13 (1); Sat 02-14 .. Sun 02-22 Tết off; Mon 02-23 (2), 02-24 (3), 02-25 (4), 02-26 (5),
    // Fri 02-27 (6); Sat 02-28 and Sun 03-01 weekend; Mon 03-02 (7).
    let d = clocks()
        .compute_with_version("complaint.accept", 2, day(2026, 2, 12), normal())
        .expect("computes");
    assert_eq!(d.due, day(2026, 3, 2));
    assert_eq!(
        (d.count, d.unit, d.rule_version, d.verified),
        (7, Unit::WorkingDays, 2, false)
    );
    let mut expected = range(day(2026, 2, 14), day(2026, 2, 22));
    expected.extend([day(2026, 2, 28), day(2026, 3, 1)]);
    assert_eq!(dates(&d.skipped), expected);
    assert!(
        d.skipped[..9]
            .iter()
            .all(|s| s.reason == "Tết Nguyên Đán (Lunar New Year)")
    );
    assert!(
        d.explanation
            .contains("2026-02-14 to 2026-02-22 (Tết Nguyên Đán (Lunar New Year))"),
        "{}",
        d.explanation
    );
    assert!(
        d.explanation.ends_with("due 2026-03-02."),
        "{}",
        d.explanation
    );
}

#[test]
fn a_complaint_received_before_tet_in_2026_is_still_under_the_ten_day_rule() {
    // The step happened on 2026-02-12, before 2026-07-01, so v1 (10 working days) applies:
    // 02-13 (1); Tết; 02-23 .. 02-27 (2-6); weekend; 03-02 (7), 03-03 (8), 03-04 (9), 03-05 (10).
    let d = clocks()
        .compute("complaint.accept", day(2026, 2, 12), normal())
        .expect("computes");
    assert_eq!((d.rule_version, d.count, d.due), (1, 10, day(2026, 3, 5)));
    assert!(d.explanation.contains("Tết"));
}

#[test]
fn the_acceptance_limit_changes_for_steps_on_or_after_2026_07_01() {
    // Tuesday 2026-06-30, v1, 10 working days: 07-01 (1), 07-02 (2), 07-03 (3); weekend 07-04/05;
    // 07-06 .. 07-10 (4-8); weekend 07-11/12; 07-13 (9), 07-14 (10).
    let before = clocks()
        .compute("complaint.accept", day(2026, 6, 30), normal())
        .expect("computes");
    assert_eq!(
        (before.rule_version, before.count, before.due),
        (1, 10, day(2026, 7, 14))
    );
    assert!(before.verified);
    // Wednesday 2026-07-01, v3 (the correction of v2's basis), 7 working days: 07-02 (1), 07-03 (2); weekend; 07-06 .. 07-10 (3-7).
    let after = clocks()
        .compute("complaint.accept", day(2026, 7, 1), normal())
        .expect("computes");
    assert_eq!(
        (after.rule_version, after.count, after.due),
        (3, 7, day(2026, 7, 10))
    );
    assert!(!after.verified);
}

#[test]
fn national_day_and_the_weekend_are_skipped_and_named() {
    // The domain notes' example. From Tuesday 2026-09-01: Wed 09-02 National Day; Thu 09-03 (1), Fri 09-04 (2);
    // weekend 09-05/06; 09-07 (3), 09-08 (4), 09-09 (5), 09-10 (6), 09-11 (7). The notes say "due 2026-09-10",
    // but that date is only the 6th working day; the 7th is 2026-09-11.
    let d = clocks()
        .compute("complaint.accept", day(2026, 9, 1), normal())
        .expect("computes");
    assert_eq!(d.due, day(2026, 9, 11));
    assert_eq!(
        dates(&d.skipped),
        vec![day(2026, 9, 2), day(2026, 9, 5), day(2026, 9, 6)]
    );
    assert_eq!(
        d.explanation,
        "7 working days from 2026-09-01 (rule complaint.accept v3 (corrects v2), LKN arts. 27, 36; Decree 124/2020 \
         art. 16(1) as amended by Decree 155/2026 art. 10, unverified), skipping 2026-09-02 (Quốc khánh (National \
         Day)), 2026-09-05 and 2026-09-06 (weekend): due 2026-09-11."
    );
}

#[test]
fn a_make_up_saturday_counts_as_a_working_day() {
    // From Thursday 2025-04-24, 5 working days (denunciation.forward): Fri 04-25 (1), Sat 04-26 make-up day (2),
    // Sun 04-27 weekend, Mon 04-28 (3), Tue 04-29 (4), Wed 04-30 and Thu 05-01 holidays, Fri 05-02 bridge day off,
    // weekend 05-03/04, Mon 05-05 (5).
    let d = clocks()
        .compute("denunciation.forward", day(2025, 4, 24), normal())
        .expect("computes");
    assert_eq!(d.due, day(2025, 5, 5));
    assert_eq!(
        dates(&d.skipped),
        vec![
            day(2025, 4, 27),
            day(2025, 4, 30),
            day(2025, 5, 1),
            day(2025, 5, 2),
            day(2025, 5, 3),
            day(2025, 5, 4)
        ]
    );
}

#[test]
fn several_places_give_a_denunciation_ten_working_days_of_initial_handling() {
    // From Monday 2026-03-02: 7 working days end Wed 03-11; 10 end Mon 03-16.
    let normal_case = clocks()
        .compute("denunciation.initial_handling", day(2026, 3, 2), normal())
        .expect("computes");
    assert_eq!(normal_case.due, day(2026, 3, 11));
    let complex = complexity(Complexity::Complex);
    let d = clocks()
        .compute("denunciation.initial_handling", day(2026, 3, 2), complex)
        .expect("computes");
    assert_eq!((d.count, d.due), (10, day(2026, 3, 16)));
    assert!(
        d.explanation
            .starts_with("10 working days for a complex case from 2026-03-02"),
        "{}",
        d.explanation
    );
}

/// The 2026 swaps (Government Office 12729/VPCP-KGVX of 25/12/2025): Friday 2026-01-02 is off and
/// Saturday 2026-01-10 is worked in its place.
#[test]
fn the_new_year_2026_bridge_day_is_off_and_its_make_up_saturday_is_worked() {
    // From Wednesday 2025-12-31, 7 working days (denunciation.initial_handling): Thu 01-01 New Year, Fri 01-02
    // bridge day, weekend 01-03/04; Mon 01-05 (1) .. Fri 01-09 (5); Sat 01-10 make-up day (6); Sun 01-11
    // weekend; Mon 01-12 (7).
    let d = clocks()
        .compute("denunciation.initial_handling", day(2025, 12, 31), normal())
        .expect("computes");
    assert_eq!(d.due, day(2026, 1, 12));
    assert_eq!(
        dates(&d.skipped),
        vec![
            day(2026, 1, 1),
            day(2026, 1, 2),
            day(2026, 1, 3),
            day(2026, 1, 4),
            day(2026, 1, 11)
        ]
    );
    assert!(
        d.skipped[1].reason.contains("2026-01-10"),
        "{:?}",
        d.skipped[1]
    );
}

/// Monday 2026-08-31 is off, swapped with Saturday 2026-08-22 (approved 13/10/2025).
#[test]
fn the_national_day_2026_bridge_day_is_off_and_its_make_up_saturday_is_worked() {
    // From Thursday 2026-08-20, 5 working days (denunciation.forward): Fri 08-21 (1), Sat 08-22 make-up (2),
    // Sun 08-23 weekend, Mon 08-24 (3), Tue 08-25 (4), Wed 08-26 (5).
    let before = clocks()
        .compute("denunciation.forward", day(2026, 8, 20), normal())
        .expect("computes");
    assert_eq!(before.due, day(2026, 8, 26));
    assert_eq!(dates(&before.skipped), vec![day(2026, 8, 23)]);
    // From Thursday 2026-08-27, 3 working days (complaint.decision.send): Fri 08-28 (1); Sat 08-29 to Wed 09-02
    // off (weekend, bridge day, National Day); Thu 09-03 (2), Fri 09-04 (3).
    let across = clocks()
        .compute("complaint.decision.send", day(2026, 8, 27), normal())
        .expect("computes");
    assert_eq!(across.due, day(2026, 9, 4));
    assert_eq!(
        dates(&across.skipped),
        range(day(2026, 8, 29), day(2026, 9, 2))
    );
}
