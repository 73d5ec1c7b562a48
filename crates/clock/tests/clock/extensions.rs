//! Extensions of a denunciation's resolution: once when complex, twice when particularly complex, never otherwise.

use clock::{AdjustmentKind, ClockError, Complexity, Deadline};

use crate::support::{clocks, complexity, dates, day};

const EXTENSION: &str = "denunciation.resolution.extension";

/// A denunciation accepted on Monday 2026-08-03: + 30 days = Wednesday 2026-09-02 (National Day),
/// rolled to Thursday 2026-09-03.
fn accepted(c: Complexity) -> Deadline {
    clocks()
        .compute("denunciation.resolution", day(2026, 8, 3), complexity(c))
        .expect("computes")
}

#[test]
fn the_resolution_period_of_a_denunciation_rolls_past_national_day() {
    let d = accepted(Complexity::Normal);
    assert_eq!(
        (d.due, d.rolled_forward_from),
        (day(2026, 9, 3), Some(day(2026, 9, 2)))
    );
}

#[test]
fn a_complex_denunciation_may_be_extended_once() {
    let clocks = clocks();
    let d = accepted(Complexity::Complex);
    // 2026-09-03 + 30 days = Saturday 2026-10-03, rolled over the weekend to Monday 2026-10-05.
    let once = clocks
        .extend(&d, EXTENSION, day(2026, 8, 25), 0)
        .expect("the first extension is allowed");
    assert_eq!(
        (once.due, once.rolled_forward_from),
        (day(2026, 10, 5), Some(day(2026, 10, 3)))
    );
    assert_eq!(
        dates(&once.skipped),
        vec![day(2026, 9, 2), day(2026, 10, 3), day(2026, 10, 4)]
    );
    let adjustment = &once.adjustments[0];
    assert_eq!(adjustment.kind, AdjustmentKind::Extended);
    assert_eq!(
        (adjustment.rule_id.as_deref(), adjustment.rule_version),
        (Some(EXTENSION), Some(1))
    );
    assert_eq!(
        (adjustment.previous_due, adjustment.new_due, adjustment.on),
        (day(2026, 9, 3), day(2026, 10, 5), day(2026, 8, 25))
    );
    assert!(once.explanation.ends_with(
        "On 2026-08-25 the deadline was extended (extension 1 of 1 allowed for a complex case) by 30 calendar days \
         counted from the due date 2026-09-03 (rule denunciation.resolution.extension v1, LTC art. 30), ending on \
         2026-10-03, rolled forward over 2026-10-03 and 2026-10-04 (weekend): due 2026-10-05."
    ), "{}", once.explanation);
    let twice = clocks.extend(&once, EXTENSION, day(2026, 9, 30), 1);
    assert!(matches!(twice, Err(ClockError::ExtensionNotAllowed(_))));
}

#[test]
fn a_particularly_complex_denunciation_may_be_extended_twice() {
    let clocks = clocks();
    let d = accepted(Complexity::ParticularlyComplex);
    let once = clocks
        .extend(&d, EXTENSION, day(2026, 8, 25), 0)
        .expect("the first extension is allowed");
    // 2026-10-05 + 30 days = Wednesday 2026-11-04, a working day: 90 days of resolution in all, plus the rolls.
    let twice = clocks
        .extend(&once, EXTENSION, day(2026, 9, 30), 1)
        .expect("the second extension is allowed");
    assert_eq!(
        (twice.due, twice.rolled_forward_from),
        (day(2026, 11, 4), None)
    );
    assert_eq!(twice.adjustments.len(), 2);
    let thrice = clocks.extend(&twice, EXTENSION, day(2026, 11, 1), 2);
    assert!(matches!(thrice, Err(ClockError::ExtensionNotAllowed(_))));
}

#[test]
fn a_denunciation_that_is_not_complex_cannot_be_extended() {
    let refused = clocks().extend(
        &accepted(Complexity::Normal),
        EXTENSION,
        day(2026, 8, 25),
        0,
    );
    assert!(
        matches!(refused, Err(ClockError::ExtensionNotAllowed(m)) if m.contains("normal case may be extended 0 time"))
    );
}

#[test]
fn a_rule_without_an_extension_limit_cannot_extend_anything() {
    let refused = clocks().extend(
        &accepted(Complexity::Complex),
        "denunciation.resolution",
        day(2026, 8, 25),
        0,
    );
    assert!(
        matches!(refused, Err(ClockError::ExtensionNotAllowed(m)) if m.contains("not an extension rule"))
    );
}
