//! Time not counted because of an obstacle (LKN art. 9) and periods counted back from an event (the
//! dialogue notice, Decree 155/2026), each checked against dates worked out by hand.

use clock::{AdjustmentKind, ClockError, Recount};

use crate::support::{clocks, day, normal};

#[test]
fn an_obstacle_moves_the_nominal_end_by_its_days_inclusive_then_rolls() {
    let c = clocks();
    // 90 days from Mon 2026-01-05: Sun 04-05, rolled to Mon 04-06.
    let d = c
        .compute("complaint.limitation", day(2026, 1, 5), normal())
        .expect("limitation");
    assert_eq!(d.due, day(2026, 4, 6));
    // Ill from 02-02 to 02-07 inclusive: 6 days added to the nominal end, Sun 04-05 → Sat 04-11,
    // rolled to Mon 04-13 (not 04-06 + 6 = Sun 04-12).
    let moved = c
        .exclude(&d, day(2026, 2, 2), day(2026, 2, 7), "illness")
        .expect("excluded");
    assert_eq!(moved.due, day(2026, 4, 13));
    assert_eq!(moved.adjustments.len(), 1);
    assert_eq!(moved.adjustments[0].kind, AdjustmentKind::Paused);
    assert!(
        moved.explanation.contains("(illness)"),
        "{}",
        moved.explanation
    );
}

#[test]
fn a_one_day_obstacle_counts_one_day() {
    let c = clocks();
    // 15 days from Mon 2026-07-13: Tue 07-28; one day not counted → Wed 07-29.
    let d = c
        .compute(
            "complaint.disciplinary.limitation",
            day(2026, 7, 13),
            normal(),
        )
        .expect("limitation");
    let moved = c
        .exclude(&d, day(2026, 7, 20), day(2026, 7, 20), "illness")
        .expect("excluded");
    assert_eq!((d.due, moved.due), (day(2026, 7, 28), day(2026, 7, 29)));
}

#[test]
fn an_obstacle_ending_before_it_starts_is_refused() {
    let c = clocks();
    let d = c
        .compute("complaint.limitation", day(2026, 1, 5), normal())
        .expect("limitation");
    let err = c
        .exclude(&d, day(2026, 2, 7), day(2026, 2, 2), "illness")
        .expect_err("refused");
    assert!(matches!(err, ClockError::InvalidData(_)), "{err}");
}

#[test]
fn a_notice_at_least_five_days_before_is_counted_back_without_rolling() {
    let c = clocks();
    // Dialogue on Thu 2026-08-13: notify by Sat 08-08, a non-working day that does not move.
    let d = c
        .compute_before("complaint.dialogue.notice", day(2026, 8, 13), normal())
        .expect("notice");
    assert_eq!(d.due, day(2026, 8, 8));
    assert!(d.is_counted_before());
    assert!(d.skipped.is_empty() && d.rolled_forward_from.is_none());
    // A period counted forward is not.
    let forward = c
        .compute("complaint.limitation", day(2026, 1, 5), normal())
        .expect("limitation");
    assert!(!forward.is_counted_before());
}

#[test]
fn a_backward_period_is_never_recounted_forward() {
    let c = clocks();
    let d = c
        .compute_before("complaint.dialogue.notice", day(2026, 8, 13), normal())
        .expect("notice");
    assert!(matches!(c.recount(&d), Ok(Recount::Manual(_))));
}

#[test]
fn a_working_day_rule_cannot_be_counted_back() {
    let err = clocks()
        .compute_before("complaint.suspension.send", day(2026, 8, 13), normal())
        .expect_err("refused");
    assert!(matches!(err, ClockError::InvalidData(_)), "{err}");
}

#[test]
fn the_2026_clocks_are_not_in_force_before_2026_07_01() {
    for id in [
        "complaint.suspension.send",
        "complaint.continuation.send",
        "reception.refusal.notify",
        "complaint.dialogue.notice",
    ] {
        assert!(
            clocks().compute(id, day(2026, 6, 30), normal()).is_err(),
            "{id}"
        );
        assert!(
            clocks().compute(id, day(2026, 7, 1), normal()).is_ok(),
            "{id}"
        );
    }
}
