//! Tết: the nine days off around the Lunar New Year are not working days, and every working-day clock
//! started just before them must skip them, name them, and keep that explanation in the event.

use chrono::{Datelike, NaiveDate};
use domain::{Accept, Channel, DeadlineKey, DeadlineStatus, Event, PetitionKind};

use crate::given_when_then::{complaint_at, date, given, receive, within_competence};

/// 2026-02-14 ..= 2026-02-22: the Tết Bính Ngọ block in the shipped 2026 calendar.
fn tet_2026() -> Vec<NaiveDate> {
    (14..=22)
        .filter_map(|d| NaiveDate::from_ymd_opt(2026, 2, d))
        .collect()
}

#[test]
fn a_complaint_received_just_before_tet_has_its_acceptance_clock_skip_every_day_of_tet() {
    // Received and classified on Thursday 2026-02-12, before 2026-07-01: 10 working days (v1).
    // Counting: Fri 02-13 (1); Tết 02-14..02-22 skipped; 02-23..02-27 (2-6); 03-02..03-05 (7-10).
    let case = given()
        .and("2026-02-12", complaint_at("UBND-HN.HOAN-KIEM"))
        .and("2026-02-12", within_competence());
    let accept = &case.state.deadlines[&DeadlineKey::Accept].deadline;
    assert_eq!(
        (accept.rule_id.as_str(), accept.rule_version, accept.count),
        ("complaint.accept", 1, 10)
    );
    assert_eq!(accept.due, date("2026-03-05"));
    for day in tet_2026()
        .into_iter()
        .filter(|d| d.weekday().number_from_monday() <= 5)
    {
        let skipped = accept
            .skipped
            .iter()
            .find(|s| s.date == day)
            .unwrap_or_else(|| panic!("{day} is skipped"));
        assert!(
            skipped.reason.contains("Tết"),
            "{day} is skipped as Tết, not as {:?}",
            skipped.reason
        );
    }
    assert!(
        accept.explanation.contains("Tết"),
        "the explanation names Tết: {}",
        accept.explanation
    );
    assert!(
        accept.explanation.contains("2026-02-14") && accept.explanation.contains("2026-02-22"),
        "{}",
        accept.explanation
    );

    // Accepting on 2026-03-04 is on time: Tết did not count against the agency.
    let (_, case) = case
        .when("2026-03-04", Accept {})
        .then_recorded(&["petition.accepted"]);
    assert_eq!(
        case.state.deadlines[&DeadlineKey::Accept].status,
        DeadlineStatus::Met {
            on: date("2026-03-04")
        }
    );
}

#[test]
fn a_denunciation_accepted_just_before_tet_must_notify_the_denouncer_after_tet() {
    // Accepted Thursday 2026-02-12; 5 working days to notify (LTC art. 29(3)):
    // Fri 02-13 (1); Tết skipped; Mon 02-23 (2), 02-24 (3), 02-25 (4), 02-26 (5).
    let (events, case) = given()
        .and(
            "2026-02-10",
            receive(PetitionKind::Denunciation, Channel::Mail, "UBND-HN"),
        )
        .and("2026-02-11", within_competence())
        .when("2026-02-12", Accept {})
        .then_recorded(&["petition.accepted"]);
    let notify = &case.state.deadlines[&DeadlineKey::NotifyAcceptance].deadline;
    assert_eq!(notify.due, date("2026-02-26"));
    assert!(
        tet_2026()
            .iter()
            .all(|d| notify.skipped.iter().any(|s| s.date == *d)),
        "{:?}",
        notify.skipped
    );

    // The deadline, with its explanation, is stored in the event itself: a replay never recomputes it.
    let Some(Event::PetitionAccepted(accepted)) = events.first() else {
        panic!("accepted: {events:?}")
    };
    let stored = accepted
        .deadlines
        .started
        .get(&DeadlineKey::NotifyAcceptance)
        .expect("stored in the event");
    assert_eq!(stored, notify);
}
