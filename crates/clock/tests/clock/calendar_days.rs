//! Calendar-day periods: the due date is trigger + N, rolled forward when that day is not a working day.

use clock::{Complexity, Unit, Variant};

use crate::support::{clocks, complexity, dates, day, normal};

#[test]
fn a_period_ending_on_a_working_day_is_not_moved() {
    // Monday 2026-03-02 + 30 days = Wednesday 2026-04-01.
    let d = clocks()
        .compute("denunciation.resolution", day(2026, 3, 2), normal())
        .expect("computes");
    assert_eq!(
        (d.unit, d.due, d.rolled_forward_from),
        (Unit::CalendarDays, day(2026, 4, 1), None)
    );
    assert!(d.skipped.is_empty());
    assert_eq!(
        d.explanation,
        "30 calendar days from 2026-03-02 (rule denunciation.resolution v1, LTC arts. 30, 34): due 2026-04-01."
    );
}

#[test]
fn a_period_ending_on_a_sunday_rolls_to_monday() {
    // Friday 2026-03-06 + 30 days = Sunday 2026-04-05, so the period ends on Monday 2026-04-06.
    let d = clocks()
        .compute("complaint.decision.first", day(2026, 3, 6), normal())
        .expect("computes");
    assert_eq!(
        (d.due, d.rolled_forward_from),
        (day(2026, 4, 6), Some(day(2026, 4, 5)))
    );
    assert_eq!(dates(&d.skipped), vec![day(2026, 4, 5)]);
    assert!(
        d.explanation.contains(
            "ending on 2026-04-05, rolled forward over 2026-04-05 (weekend): due 2026-04-06."
        ),
        "{}",
        d.explanation
    );
}

#[test]
fn a_period_ending_on_a_holiday_rolls_past_the_holidays_and_the_weekend() {
    // Tuesday 2026-03-31 + 30 days = Thursday 2026-04-30 (Reunification Day); Fri 05-01 Labour Day;
    // weekend 05-02/03; due Monday 2026-05-04.
    let d = clocks()
        .compute("complaint.decision.first", day(2026, 3, 31), normal())
        .expect("computes");
    assert_eq!(
        (d.due, d.rolled_forward_from),
        (day(2026, 5, 4), Some(day(2026, 4, 30)))
    );
    assert_eq!(
        dates(&d.skipped),
        vec![
            day(2026, 4, 30),
            day(2026, 5, 1),
            day(2026, 5, 2),
            day(2026, 5, 3)
        ]
    );
    assert!(
        d.skipped[0].reason.contains("Reunification Day")
            && d.skipped[1].reason.contains("Labour Day")
    );
}

#[test]
fn a_period_ending_on_a_compensatory_day_off_rolls_to_the_next_day() {
    // Saturday 2026-03-28 + 30 days = Monday 2026-04-27, the day off for Hùng Kings' day (a Sunday); due Tuesday.
    let d = clocks()
        .compute("complaint.decision.first", day(2026, 3, 28), normal())
        .expect("computes");
    assert_eq!(
        (d.due, d.rolled_forward_from),
        (day(2026, 4, 28), Some(day(2026, 4, 27)))
    );
}

#[test]
fn variants_select_the_remote_and_complex_limits() {
    let trigger = day(2026, 3, 2);
    let remote = Variant {
        remote: true,
        complexity: Complexity::Normal,
    };
    let remote_complex = Variant {
        remote: true,
        complexity: Complexity::Complex,
    };
    let cases = [
        ("complaint.decision.first", normal(), 30),
        (
            "complaint.decision.first",
            complexity(Complexity::Complex),
            45,
        ),
        ("complaint.decision.first", remote, 45),
        ("complaint.decision.first", remote_complex, 60),
        (
            "complaint.decision.second",
            complexity(Complexity::ParticularlyComplex),
            60,
        ),
        ("complaint.decision.second", remote_complex, 70),
        ("complaint.appeal.window", remote_complex, 45),
        ("complaint.decision.effect", remote, 45),
        (
            "denunciation.resolution",
            complexity(Complexity::Complex),
            30,
        ),
    ];
    for (id, variant, count) in cases {
        let d = clocks().compute(id, trigger, variant).expect("computes");
        assert_eq!(d.count, count, "{id} {variant:?}");
        assert!(d.due >= trigger + chrono::Days::new(u64::from(count)));
    }
}

#[test]
fn reclassifying_a_complaint_as_complex_recounts_from_the_same_trigger() {
    // Accepted Friday 2026-03-06: 30 days → Sun 04-05 → Mon 04-06. Found complex on 2026-03-20:
    // 45 days → Mon 2026-04-20, a working day.
    let clocks = clocks();
    let d = clocks
        .compute("complaint.decision.first", day(2026, 3, 6), normal())
        .expect("computes");
    let complex = complexity(Complexity::Complex);
    let d2 = clocks
        .with_variant(&d, complex, day(2026, 3, 20))
        .expect("recomputes");
    assert_eq!(
        (d2.count, d2.due, d2.rolled_forward_from, d2.variant),
        (45, day(2026, 4, 20), None, complex)
    );
    assert!(d2.skipped.is_empty());
    assert_eq!(d2.adjustments.len(), 1);
    let adjustment = &d2.adjustments[0];
    assert_eq!(
        (adjustment.previous_due, adjustment.new_due),
        (day(2026, 4, 6), day(2026, 4, 20))
    );
    assert_eq!(adjustment.kind, clock::AdjustmentKind::VariantChanged);
    assert!(d2.explanation.starts_with(&d.explanation));
    assert!(d2.explanation.ends_with(
        "On 2026-03-20 the case was reclassified as complex, so the period became 45 calendar days for a complex case \
         from 2026-03-06 (rule complaint.decision.first v1, LKN art. 28): due 2026-04-20."
    ), "{}", d2.explanation);
}
