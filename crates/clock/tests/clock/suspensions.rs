//! Suspensions: a denunciation's clock pauses, a complaint's clock restarts from 2026-07-01.

use clock::{AdjustmentKind, ClockError, SuspensionMode};

use crate::support::{clocks, dates, day, normal};

#[test]
fn a_paused_denunciation_does_not_count_the_suspended_days() {
    let clocks = clocks();
    // Accepted Monday 2026-03-02: due Wednesday 2026-04-01.
    let d = clocks
        .compute("denunciation.resolution", day(2026, 3, 2), normal())
        .expect("computes");
    assert_eq!(
        clocks.suspension_mode(&d, day(2026, 3, 10)),
        Ok(SuspensionMode::Pause)
    );
    // Suspended 2026-03-10, resumed 2026-03-20: 10 days do not count. 04-01 + 10 = Saturday 2026-04-11,
    // rolled over the weekend to Monday 2026-04-13.
    let paused = clocks
        .pause(&d, day(2026, 3, 10), day(2026, 3, 20))
        .expect("pauses");
    assert_eq!(
        (paused.due, paused.rolled_forward_from),
        (day(2026, 4, 13), Some(day(2026, 4, 11)))
    );
    assert_eq!(
        dates(&paused.skipped),
        vec![day(2026, 4, 11), day(2026, 4, 12)]
    );
    assert_eq!(paused.trigger_date, d.trigger_date);
    let adjustment = &paused.adjustments[0];
    assert_eq!(
        (adjustment.kind, adjustment.on, adjustment.previous_due),
        (AdjustmentKind::Paused, day(2026, 3, 20), day(2026, 4, 1))
    );
    assert!(paused.explanation.ends_with(
        "The clock was suspended from 2026-03-10 until 2026-03-20 and those 10 calendar days do not count, so the \
         period ends on 2026-04-11 instead of 2026-04-01, rolled forward over 2026-04-11 and 2026-04-12 (weekend): due 2026-04-13."
    ), "{}", paused.explanation);
}

#[test]
fn a_pause_shifts_the_nominal_end_so_a_roll_forward_is_not_counted_twice() {
    let clocks = clocks();
    // Friday 2026-03-06 + 30 days = Sunday 04-05, due Monday 04-06. A one-day pause moves the nominal end to
    // Monday 04-06, which is a working day: the due date stays 04-06 and the Sunday is no longer skipped.
    let d = clocks
        .compute("complaint.decision.first", day(2026, 3, 6), normal())
        .expect("computes");
    let paused = clocks
        .pause(&d, day(2026, 3, 10), day(2026, 3, 11))
        .expect("pauses");
    assert_eq!(
        (paused.due, paused.rolled_forward_from),
        (day(2026, 4, 6), None)
    );
    assert!(paused.skipped.is_empty());
}

#[test]
fn a_paused_working_day_period_moves_by_the_working_days_lost() {
    let clocks = clocks();
    // Monday 2026-03-02, v1, 10 working days: due Monday 2026-03-16.
    let d = clocks
        .compute("complaint.accept", day(2026, 3, 2), normal())
        .expect("computes");
    assert_eq!(d.due, day(2026, 3, 16));
    // Suspended Wednesday 03-04 until Monday 03-09: 03-04, 03-05, 03-06 are lost (3 working days).
    // 03-16 + 3 working days = Thursday 2026-03-19.
    let paused = clocks
        .pause(&d, day(2026, 3, 4), day(2026, 3, 9))
        .expect("pauses");
    assert_eq!(paused.due, day(2026, 3, 19));
    // A suspension over a weekend only loses no working day.
    let weekend = clocks
        .pause(&d, day(2026, 3, 7), day(2026, 3, 9))
        .expect("pauses");
    assert_eq!(weekend.due, d.due);
    assert!(
        weekend
            .explanation
            .ends_with("which took no working day, so the due date stays 2026-03-16.")
    );
}

#[test]
fn a_suspension_cannot_end_before_it_starts() {
    let clocks = clocks();
    let d = clocks
        .compute("denunciation.resolution", day(2026, 3, 2), normal())
        .expect("computes");
    assert!(matches!(
        clocks.pause(&d, day(2026, 3, 20), day(2026, 3, 10)),
        Err(ClockError::InvalidData(_))
    ));
}

#[test]
fn a_restarted_complaint_counts_the_full_period_again_from_the_resumption() {
    let clocks = clocks();
    // v2 (since corrected by v3) restarted the clock; it stays in the rulebook so the deadlines restarted
    // under it stay explainable, and `restart` still reproduces them.
    // Accepted Monday 2026-07-06 (v2): + 30 days = Wednesday 2026-08-05.
    let d = clocks
        .compute_with_version("complaint.decision.first", 2, day(2026, 7, 6), normal())
        .expect("computes");
    assert_eq!((d.rule_version, d.due), (2, day(2026, 8, 5)));
    assert_eq!(
        clocks
            .rulebook
            .rule_version("complaint.decision.first", 2)
            .map(|r| r.on_suspension),
        Ok(Some(SuspensionMode::Restart))
    );
    // Resumed Monday 2026-07-20: + 30 days = Wednesday 2026-08-19. A pause of the same suspension would
    // only have moved the due date by 5 days, to Monday 2026-08-10.
    let restarted = clocks.restart(&d, day(2026, 7, 20)).expect("restarts");
    assert_eq!(
        (restarted.due, restarted.trigger_date, restarted.count),
        (day(2026, 8, 19), day(2026, 7, 20), 30)
    );
    let paused = clocks
        .pause(&d, day(2026, 7, 15), day(2026, 7, 20))
        .expect("pauses");
    assert_eq!(paused.due, day(2026, 8, 10));
    let adjustment = &restarted.adjustments[0];
    assert_eq!(
        (adjustment.kind, adjustment.previous_due, adjustment.new_due),
        (AdjustmentKind::Restarted, day(2026, 8, 5), day(2026, 8, 19))
    );
    assert!(restarted.explanation.ends_with(
        "On 2026-07-20 the clock resumed after a suspension and the period restarted in full: 30 calendar days from \
         2026-07-20 (rule complaint.decision.first v2, LKN art. 28; Decree 155/2026, unverified): due 2026-08-19."
    ), "{}", restarted.explanation);
}

#[test]
fn the_suspension_mode_of_a_complaint_stays_pause_across_2026_07_01() {
    let clocks = clocks();
    // A first-instance complaint accepted under v1 (pause): suspended on 06-30 it pauses; suspended on or after
    // 07-01 the rule then in force (v3, correcting v2's restart) pauses it too.
    let d = clocks
        .compute("complaint.decision.first", day(2026, 6, 15), normal())
        .expect("computes");
    assert_eq!(d.rule_version, 1);
    assert_eq!(
        clocks.suspension_mode(&d, day(2026, 6, 30)),
        Ok(SuspensionMode::Pause)
    );
    assert_eq!(
        clocks.suspension_mode(&d, day(2026, 7, 1)),
        Ok(SuspensionMode::Pause)
    );
    let second = clocks
        .compute("complaint.decision.second", day(2026, 6, 15), normal())
        .expect("computes");
    assert_eq!(
        clocks.suspension_mode(&second, day(2026, 7, 1)),
        Ok(SuspensionMode::Pause)
    );
    // A rule without `on_suspension` pauses by default.
    let accept = clocks
        .compute("complaint.accept", day(2026, 6, 15), normal())
        .expect("computes");
    assert_eq!(
        clocks.suspension_mode(&accept, day(2026, 7, 1)),
        Ok(SuspensionMode::Pause)
    );
}

#[test]
fn a_restart_keeps_the_rule_version_the_case_was_accepted_under() {
    let clocks = clocks();
    // Accepted 2026-06-15 under v1; restarted on 2026-07-20 with v1's 30 days: Wednesday 2026-08-19.
    let d = clocks
        .compute("complaint.decision.first", day(2026, 6, 15), normal())
        .expect("computes");
    let restarted = clocks.restart(&d, day(2026, 7, 20)).expect("restarts");
    assert_eq!(
        (restarted.rule_version, restarted.due),
        (1, day(2026, 8, 19))
    );
}
