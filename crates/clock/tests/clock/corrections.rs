//! Corrections of published rule versions (ADR 0004): an erroneous version is never edited; a new
//! version with `corrects = <version>` takes its place for the same validity period, and the corrected
//! version stays in the file so the deadlines that name it remain explainable.

use clock::{ClockError, Rulebook, SuspensionMode, Unit};

use crate::support::{clocks, day, normal};

/// A rule version as TOML, with optional extra lines (e.g. `corrects = 1`).
fn rule(id: &str, version: u32, from: &str, until: Option<&str>, extra: &str) -> String {
    let until = until
        .map(|u| format!("effective_until = {u}\n"))
        .unwrap_or_default();
    format!(
        "[[rule]]\nid = \"{id}\"\nversion = {version}\ntitle = \"t\"\nlimit = {}\nunit = \"working_days\"\n\
         basis = \"b\"\neffective_from = {from}\n{until}verified = true\n{extra}",
        10 + version
    )
}

fn book(rules: &[String]) -> Result<Rulebook, ClockError> {
    Rulebook::from_toml_str(&format!(
        "version = \"test\"\njurisdiction = \"VN\"\n{}",
        rules.concat()
    ))
}

const REASON: &str = "correction = \"v1 misread the article\"\n";

#[test]
fn a_correction_takes_the_place_of_the_version_it_corrects() {
    let book = book(&[
        rule("x", 1, "2026-07-01", None, ""),
        rule(
            "x",
            2,
            "2026-07-01",
            None,
            &format!("corrects = 1\n{REASON}"),
        ),
    ])
    .expect("a correction may share the validity of the version it corrects");
    let on = day(2026, 8, 1);
    assert_eq!(book.rule("x", on).map(|r| r.version), Ok(2));
    // The corrected version is still there, for the deadlines that name it.
    assert_eq!(book.rule_version("x", 1).map(|r| r.limit), Ok(11));
}

#[test]
fn a_correction_of_a_correction_is_selected() {
    let book = book(&[
        rule("x", 1, "2026-07-01", None, ""),
        rule(
            "x",
            2,
            "2026-07-01",
            None,
            &format!("corrects = 1\n{REASON}"),
        ),
        rule(
            "x",
            3,
            "2026-07-01",
            None,
            &format!("corrects = 2\n{REASON}"),
        ),
    ])
    .expect("valid");
    assert_eq!(book.rule("x", day(2026, 8, 1)).map(|r| r.version), Ok(3));
}

#[test]
fn inconsistent_corrections_are_refused() {
    let refused = |rules: &[String], why: &str| match book(rules) {
        Err(ClockError::InvalidData(m)) => assert!(m.contains(why), "{why}: {m}"),
        other => panic!("{why}: expected a refusal, got {other:?}"),
    };
    refused(
        &[
            rule("x", 1, "2026-07-01", None, ""),
            rule(
                "x",
                2,
                "2026-07-01",
                None,
                &format!("corrects = 7\n{REASON}"),
            ),
        ],
        "corrects v7, which does not exist",
    );
    refused(
        &[
            rule("x", 1, "2026-07-01", None, ""),
            rule(
                "x",
                2,
                "2026-08-01",
                None,
                &format!("corrects = 1\n{REASON}"),
            ),
        ],
        "must have the validity of v1",
    );
    refused(
        &[
            rule("x", 1, "2026-07-01", None, ""),
            rule("x", 2, "2026-07-01", None, "corrects = 1\n"),
        ],
        "must say why",
    );
    refused(
        &[
            rule("x", 1, "2026-07-01", None, ""),
            rule(
                "x",
                2,
                "2026-07-01",
                None,
                &format!("corrects = 1\n{REASON}"),
            ),
            rule(
                "x",
                3,
                "2026-07-01",
                None,
                &format!("corrects = 1\n{REASON}"),
            ),
        ],
        "corrected twice",
    );
    refused(
        &[
            rule("x", 2, "2026-07-01", None, ""),
            rule(
                "x",
                1,
                "2026-07-01",
                None,
                &format!("corrects = 2\n{REASON}"),
            ),
        ],
        "a later version",
    );
    // Without `corrects`, two versions in force on the same day still overlap.
    refused(
        &[
            rule("x", 1, "2026-07-01", None, ""),
            rule("x", 2, "2026-07-01", None, ""),
        ],
        "overlap",
    );
}

/// Decree 124/2020 art. 28b(2) as amended by Decree 155/2026 art. 12: after a suspension the period
/// "continues to be counted" from the decision to continue, so suspended time is not counted.
#[test]
fn a_complaint_suspended_from_2026_07_01_pauses_its_clock() {
    let clocks = clocks();
    for id in ["complaint.decision.first", "complaint.decision.second"] {
        let d = clocks
            .compute(id, day(2026, 7, 6), normal())
            .expect("computes");
        assert_eq!(d.rule_version, 3, "{id}: the correction of v2");
        assert!(d.explanation.contains("corrects v2"), "{}", d.explanation);
        assert_eq!(
            clocks.suspension_mode(&d, day(2026, 7, 15)),
            Ok(SuspensionMode::Pause),
            "{id}"
        );
        // v2 stays as published, and a deadline computed under it pauses when suspended from now on,
        // because the version in force on the suspension date is the correction.
        let v2 = clocks
            .rulebook
            .rule_version(id, 2)
            .expect("v2 is kept for the deadlines that name it");
        assert_eq!(v2.on_suspension, Some(SuspensionMode::Restart));
        let old = clocks
            .compute_with_version(id, 2, day(2026, 7, 6), normal())
            .expect("computes");
        assert_eq!(
            clocks.suspension_mode(&old, day(2026, 7, 15)),
            Ok(SuspensionMode::Pause)
        );
    }
}

#[test]
fn complaint_acceptance_names_its_basis_for_both_instances() {
    let accept = clocks()
        .compute("complaint.accept", day(2026, 7, 1), normal())
        .expect("computes");
    assert_eq!((accept.rule_version, accept.count), (3, 7));
    assert_eq!(accept.unit, Unit::WorkingDays);
    assert_eq!(
        accept.basis,
        "LKN arts. 27, 36; Decree 124/2020 art. 16(1) as amended by Decree 155/2026 art. 10"
    );
    assert!(!accept.verified);
}

/// LKN art. 41: the second-instance decision is sent within 7 days (calendar days, rolled forward).
#[test]
fn a_second_instance_decision_is_sent_within_7_days() {
    let clocks = clocks();
    // Issued Monday 2026-08-03: + 7 days = Monday 2026-08-10.
    let send = clocks
        .compute("complaint.decision.second.send", day(2026, 8, 3), normal())
        .expect("the rule exists");
    assert_eq!(
        (send.unit, send.count, send.due),
        (Unit::CalendarDays, 7, day(2026, 8, 10))
    );
    assert_eq!(send.basis, "LKN art. 41");
}
