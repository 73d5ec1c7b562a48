//! The rulebook: the shipped file covers every clock of the domain, versions are selected by date,
//! and inconsistent files are refused at load time.

use clock::{ClockError, Rulebook, SuspensionMode, Unit};

use crate::support::{day, rules_dir};

/// A minimal valid rule, to be varied by each validation test.
fn rule(id: &str, version: u32, from: &str, until: Option<&str>) -> String {
    let until = until
        .map(|u| format!("effective_until = {u}\n"))
        .unwrap_or_default();
    format!(
        "[[rule]]\nid = \"{id}\"\nversion = {version}\ntitle = \"t\"\nlimit = 10\nunit = \"working_days\"\n\
         basis = \"b\"\neffective_from = {from}\n{until}verified = true\n"
    )
}

fn book(rules: &[String]) -> String {
    format!(
        "version = \"test\"\njurisdiction = \"VN\"\n{}",
        rules.concat()
    )
}

#[test]
fn the_shipped_rulebook_covers_every_clock_of_the_domain() {
    let book = Rulebook::embedded();
    assert_eq!(book.version, "vn-2026.07.2");
    assert_eq!(book.jurisdiction, "VN");
    let on = day(2026, 7, 1);
    let expected = [
        ("reception.reply", 10, Unit::WorkingDays),
        ("petition.handling", 10, Unit::WorkingDays),
        ("complaint.accept", 7, Unit::WorkingDays),
        ("complaint.limitation", 90, Unit::CalendarDays),
        ("complaint.decision.first", 30, Unit::CalendarDays),
        ("complaint.decision.send", 3, Unit::WorkingDays),
        ("complaint.appeal.window", 30, Unit::CalendarDays),
        ("complaint.decision.second", 45, Unit::CalendarDays),
        ("complaint.decision.effect", 30, Unit::CalendarDays),
        ("complaint.decision.second.send", 7, Unit::CalendarDays),
        ("denunciation.initial_handling", 7, Unit::WorkingDays),
        ("denunciation.forward", 5, Unit::WorkingDays),
        ("denunciation.accept.notify", 5, Unit::WorkingDays),
        ("denunciation.resolution", 30, Unit::CalendarDays),
        ("denunciation.resolution.extension", 30, Unit::CalendarDays),
        ("denunciation.conclusion.send", 5, Unit::WorkingDays),
        ("denunciation.conclusion.act", 7, Unit::WorkingDays),
        ("denunciation.conclusion.publish", 7, Unit::WorkingDays),
        ("denunciation.redenunciation.review", 20, Unit::CalendarDays),
        ("referral.reply", 20, Unit::CalendarDays),
        // Added with the 2026 decrees and for LKN art. 48 (issue 11 item 7).
        ("complaint.disciplinary.limitation", 15, Unit::CalendarDays),
        ("complaint.suspension.send", 3, Unit::WorkingDays),
        ("complaint.continuation.send", 3, Unit::WorkingDays),
        ("reception.refusal.notify", 3, Unit::WorkingDays),
        ("complaint.dialogue.notice", 5, Unit::CalendarDays),
    ];
    for (id, limit, unit) in expected {
        let rule = book.rule(id, on).unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!((rule.limit, rule.unit), (limit, unit), "{id}");
    }
    assert_eq!(
        book.rules.len(),
        expected.len() + 6,
        "three ids have a second version (the 2026-07-01 changes) and a third correcting it"
    );
}

#[test]
fn unverified_rules_name_their_source() {
    let book = Rulebook::embedded();
    let unverified: Vec<&str> = book
        .rules
        .iter()
        .filter(|r| !r.verified)
        .map(|r| r.id.as_str())
        .collect();
    assert!(unverified.contains(&"complaint.accept") && unverified.contains(&"petition.handling"));
    assert!(
        book.rules
            .iter()
            .filter(|r| !r.verified)
            .all(|r| r.source.is_some())
    );
}

#[test]
fn the_version_is_selected_by_the_date_of_the_triggering_step() {
    let book = Rulebook::embedded();
    let before = book
        .rule("complaint.accept", day(2026, 6, 30))
        .map(|r| (r.version, r.limit));
    let after = book
        .rule("complaint.accept", day(2026, 7, 1))
        .map(|r| (r.version, r.limit));
    assert_eq!(before, Ok((1, 10)));
    // v3 corrects v2 (same validity, same limit, the basis read from the decree).
    assert_eq!(after, Ok((3, 7)));
    let first = book
        .rule("complaint.decision.first", day(2026, 6, 30))
        .map(|r| r.on_suspension);
    assert_eq!(first, Ok(Some(SuspensionMode::Pause)));
    assert_eq!(
        book.rule_version("complaint.accept", 1).map(|r| r.limit),
        Ok(10)
    );
}

#[test]
fn a_step_before_the_law_existed_has_no_rule_in_force() {
    let book = Rulebook::embedded();
    let err = book.rule("denunciation.resolution", day(2018, 12, 31));
    assert_eq!(
        err,
        Err(ClockError::RuleNotInForce {
            rule_id: "denunciation.resolution".into(),
            on: day(2018, 12, 31)
        })
    );
}

#[test]
fn an_unknown_rule_id_or_version_is_reported_as_unknown() {
    let book = Rulebook::embedded();
    assert_eq!(
        book.rule("no.such.rule", day(2026, 1, 1)),
        Err(ClockError::UnknownRule("no.such.rule".into()))
    );
    assert!(matches!(
        book.rule_version("complaint.accept", 9),
        Err(ClockError::UnknownRule(_))
    ));
}

#[test]
fn validation_rejects_overlapping_versions_of_one_rule() {
    let text = book(&[
        rule("a", 1, "2020-01-01", Some("2026-07-02")),
        rule("a", 2, "2026-07-01", None),
    ]);
    assert!(
        matches!(Rulebook::from_toml_str(&text), Err(ClockError::InvalidData(m)) if m.contains("overlap"))
    );
    let open_ended = book(&[
        rule("a", 1, "2020-01-01", None),
        rule("a", 2, "2026-07-01", None),
    ]);
    assert!(matches!(
        Rulebook::from_toml_str(&open_ended),
        Err(ClockError::InvalidData(_))
    ));
    let adjacent = book(&[
        rule("a", 1, "2020-01-01", Some("2026-07-01")),
        rule("a", 2, "2026-07-01", None),
    ]);
    assert!(Rulebook::from_toml_str(&adjacent).is_ok());
}

#[test]
fn validation_rejects_unknown_fields() {
    let text =
        book(
            &[rule("a", 1, "2020-01-01", None).replace("limit = 10", "limit = 10\nlimt_days = 3")],
        );
    assert!(
        matches!(Rulebook::from_toml_str(&text), Err(ClockError::InvalidData(m)) if m.contains("limt_days"))
    );
    let top = format!(
        "colour = \"red\"\n{}",
        book(&[rule("a", 1, "2020-01-01", None)])
    );
    assert!(matches!(
        Rulebook::from_toml_str(&top),
        Err(ClockError::InvalidData(_))
    ));
}

#[test]
fn validation_rejects_duplicate_versions_zero_limits_and_unsourced_unverified_rules() {
    let duplicate = book(&[
        rule("a", 1, "2020-01-01", Some("2021-01-01")),
        rule("a", 1, "2022-01-01", None),
    ]);
    assert!(
        matches!(Rulebook::from_toml_str(&duplicate), Err(ClockError::InvalidData(m)) if m.contains("twice"))
    );
    let zero = book(&[rule("a", 1, "2020-01-01", None).replace("limit = 10", "limit = 0")]);
    assert!(
        matches!(Rulebook::from_toml_str(&zero), Err(ClockError::InvalidData(m)) if m.contains("greater than 0"))
    );
    let zero_variant = book(&[rule("a", 1, "2020-01-01", None)
        .replace("limit = 10", "limit = 10\nvariants = { complex = 0 }")]);
    assert!(Rulebook::from_toml_str(&zero_variant).is_err());
    let unsourced =
        book(&[rule("a", 1, "2020-01-01", None).replace("verified = true", "verified = false")]);
    assert!(
        matches!(Rulebook::from_toml_str(&unsourced), Err(ClockError::InvalidData(m)) if m.contains("source"))
    );
    let backwards = book(&[rule("a", 1, "2020-01-01", Some("2019-01-01"))]);
    assert!(Rulebook::from_toml_str(&backwards).is_err());
}

#[test]
fn dates_may_be_written_as_toml_dates_or_as_strings_but_not_with_a_time() {
    let quoted = book(&[rule("a", 1, "\"2020-01-01\"", Some("\"2021-01-01\""))]);
    let parsed = Rulebook::from_toml_str(&quoted).map(|b| b.rules[0].effective_until);
    assert_eq!(parsed, Ok(Some(day(2021, 1, 1))));
    let timed = book(&[rule("a", 1, "2020-01-01T08:00:00", None)]);
    assert!(Rulebook::from_toml_str(&timed).is_err());
}

#[test]
fn the_rulebook_file_on_disk_is_the_embedded_one() {
    assert_eq!(
        Rulebook::load(&rules_dir().join("rulebook.toml")),
        Ok(Rulebook::embedded())
    );
    assert!(matches!(
        Rulebook::load(&rules_dir().join("missing.toml")),
        Err(ClockError::InvalidData(_))
    ));
}
