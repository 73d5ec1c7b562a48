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
    // The period nominally ended on 2026-09-02 (rolled to 09-03); + 30 days = Friday 2026-10-02, a working
    // day: 60 days from acceptance. National Day is now inside the period, so nothing is skipped.
    let once = clocks
        .extend(&d, EXTENSION, day(2026, 8, 25), 0)
        .expect("the first extension is allowed");
    assert_eq!(
        (once.due, once.rolled_forward_from),
        (day(2026, 10, 2), None)
    );
    assert!(dates(&once.skipped).is_empty(), "{:?}", once.skipped);
    let adjustment = &once.adjustments[0];
    assert_eq!(adjustment.kind, AdjustmentKind::Extended);
    assert_eq!(
        (adjustment.rule_id.as_deref(), adjustment.rule_version),
        (Some(EXTENSION), Some(1))
    );
    assert_eq!(
        (adjustment.previous_due, adjustment.new_due, adjustment.on),
        (day(2026, 9, 3), day(2026, 10, 2), day(2026, 8, 25))
    );
    assert!(once.explanation.ends_with(
        "On 2026-08-25 the deadline was extended (extension 1 of 1 allowed for a complex case) by 30 calendar days \
         counted from the end of the period, 2026-09-02 (the due date 2026-09-03 had rolled forward from it) \
         (rule denunciation.resolution.extension v1, LTC art. 30): due 2026-10-02."
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
    // 2026-10-02 + 30 days = Sunday 2026-11-01, 90 days from acceptance, rolled once to Monday 2026-11-02.
    let twice = clocks
        .extend(&once, EXTENSION, day(2026, 9, 30), 1)
        .expect("the second extension is allowed");
    assert_eq!(
        (twice.due, twice.rolled_forward_from),
        (day(2026, 11, 2), Some(day(2026, 11, 1)))
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

/// An extension lengthens the period counted from acceptance: the roll-forward applies once, at the
/// final end, never to an intermediate end (LTC art. 30: at most 30 + 30 + 30 = 90 days from acceptance).
#[test]
fn extensions_count_from_acceptance_not_from_a_rolled_forward_due_date() {
    let clocks = clocks();
    // Accepted Monday 2026-03-02, particularly complex: + 30 = Wednesday 2026-04-01 (a working day);
    // + 60 = Friday 2026-05-01 (Labour Day), which rolled to Monday 2026-05-04; + 90 = Sunday 2026-05-31,
    // rolled to Monday 2026-06-01. Counting the second extension from the rolled 05-04 gave 06-03 (93 days).
    let d = clocks
        .compute(
            "denunciation.resolution",
            day(2026, 3, 2),
            complexity(Complexity::ParticularlyComplex),
        )
        .expect("computes");
    assert_eq!(d.due, day(2026, 4, 1));
    let once = clocks
        .extend(&d, EXTENSION, day(2026, 3, 20), 0)
        .expect("the first extension is allowed");
    assert_eq!(
        (once.due, once.rolled_forward_from),
        (day(2026, 5, 4), Some(day(2026, 5, 1)))
    );
    let twice = clocks
        .extend(&once, EXTENSION, day(2026, 4, 20), 1)
        .expect("the second extension is allowed");
    assert_eq!(
        (twice.due, twice.rolled_forward_from),
        (day(2026, 6, 1), Some(day(2026, 5, 31)))
    );
    // The days 05-01 to 05-03 the first end had rolled over are now inside the counted period.
    assert_eq!(dates(&twice.skipped), vec![day(2026, 5, 31)]);
    assert!(
        twice.explanation.ends_with(
            "On 2026-04-20 the deadline was extended (extension 2 of 2 allowed for a particularly complex case) by \
             30 calendar days counted from the end of the period, 2026-05-01 (the due date 2026-05-04 had rolled \
             forward from it) (rule denunciation.resolution.extension v1, LTC art. 30), ending on 2026-05-31, \
             rolled forward over 2026-05-31 (weekend): due 2026-06-01."
        ),
        "{}",
        twice.explanation
    );
}

#[test]
fn one_extension_of_a_period_that_ended_on_a_sunday_counts_from_the_sunday() {
    let clocks = clocks();
    // Accepted Friday 2026-03-06, complex: + 30 = Sunday 2026-04-05, rolled to Monday 2026-04-06;
    // + 60 = Tuesday 2026-05-05 (not 05-06, which is 30 days after the rolled due date).
    let d = clocks
        .compute(
            "denunciation.resolution",
            day(2026, 3, 6),
            complexity(Complexity::Complex),
        )
        .expect("computes");
    assert_eq!(
        (d.due, d.rolled_forward_from),
        (day(2026, 4, 6), Some(day(2026, 4, 5)))
    );
    let once = clocks
        .extend(&d, EXTENSION, day(2026, 3, 30), 0)
        .expect("the extension is allowed");
    assert_eq!(
        (once.due, once.rolled_forward_from),
        (day(2026, 5, 5), None)
    );
    assert_eq!(once.adjustments[0].previous_due, day(2026, 4, 6));
    assert!(dates(&once.skipped).is_empty(), "{:?}", once.skipped);
}
