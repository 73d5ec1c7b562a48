//! Corrections as recorded facts (issue 11 item 4): an open deadline computed with superseded data moves,
//! through `correct-deadline`, to the date the data loaded now gives; a deadline already judged stays as
//! it was; a second correction finds nothing to do.

use chrono::NaiveDate;
use domain::{
    CaseId, CaseState, Clocks, Command, CorrectDeadline, DeadlineKey, DeadlineStatus,
    DecideContext, DomainError, Event, PetitionKind, decide,
};

use crate::given_when_then::{agencies, date, decision, receive, text, within_competence};

const HOLIDAYS_2026: &str = include_str!("../../../../rules/holidays/vn-2026.toml");
const HOLIDAYS_2025: &str = include_str!("../../../../rules/holidays/vn-2025.toml");
const HOLIDAYS_2027: &str = include_str!("../../../../rules/holidays/vn-2027.toml");

/// The clocks as they stood before Government Office document 12729/VPCP-KGVX of 25/12/2025 announced
/// the swap: Friday 2026-01-02 a working day, Saturday 2026-01-10 a weekend day.
fn before_the_swap() -> Clocks {
    let mut lines = Vec::new();
    let mut skip = 0;
    for line in HOLIDAYS_2026.lines() {
        if skip > 0 {
            skip -= 1;
            continue;
        }
        if line == "[[holiday]]" || line == "[[working_day]]" {
            lines.push(line.to_owned());
            continue;
        }
        if line == "date = 2026-01-02" || line == "date = 2026-01-10" {
            // Drop the header just pushed and the name that follows.
            lines.pop();
            skip = 1;
            continue;
        }
        lines.push(line.to_owned());
    }
    let old = lines.join("\n");
    assert!(!old.contains("2026-01-02\n") && !old.contains("date = 2026-01-10"));
    let calendar = clock::HolidayCalendar::from_toml_strs(&[HOLIDAYS_2025, &old, HOLIDAYS_2027])
        .expect("valid");
    Clocks::new(clock::Rulebook::embedded(), calendar)
}

struct Case {
    id: CaseId,
    state: CaseState,
}

impl Case {
    fn new(n: u128) -> Self {
        Case {
            id: CaseId::from_uuid(uuid::Uuid::from_u128(
                0x0190_0000_0000_7000_8000_0000_0000_0100 + n,
            )),
            state: CaseState::default(),
        }
    }

    fn step(
        &mut self,
        clocks: &Clocks,
        on: &str,
        command: impl Into<Command>,
    ) -> Result<Vec<Event>, DomainError> {
        let on: NaiveDate = date(on);
        let ctx = DecideContext {
            case_id: self.id,
            step_date: on,
            today: on,
            clocks,
            agencies: agencies(),
            related: None,
        };
        let events = decide(&self.state, &command.into(), &ctx)?;
        for e in &events {
            self.state.apply(e);
        }
        Ok(events)
    }

    fn due(&self, key: DeadlineKey) -> NaiveDate {
        self.state.deadline(key).expect("tracked").deadline.due
    }
}

fn correct(key: DeadlineKey) -> CorrectDeadline {
    CorrectDeadline {
        deadline: key,
        explanation: text(
            "Friday 2026-01-02 announced as a day off on 25/12/2025 (12729/VPCP-KGVX).",
        ),
    }
}

#[test]
fn a_swap_day_announced_late_moves_open_deadlines_and_leaves_met_ones_alone() {
    let old = before_the_swap();
    let new = Clocks::embedded();

    // Accepted Wed 2025-12-03: 30 days → Fri 2026-01-02, a working day before the swap was announced.
    let mut open = Case::new(1);
    let mut met = Case::new(2);
    for case in [&mut open, &mut met] {
        let r = receive(
            PetitionKind::Denunciation,
            domain::Channel::Mail,
            "UBND-HN.HOAN-KIEM",
        );
        case.step(&old, "2025-12-03", r).expect("received");
        case.step(&old, "2025-12-03", within_competence())
            .expect("classified");
        case.step(&old, "2025-12-03", domain::Accept {})
            .expect("accepted");
        assert_eq!(case.due(DeadlineKey::Decision), date("2026-01-02"));
    }
    met.step(
        &old,
        "2025-12-20",
        decision(domain::Outcome::Rejected, "7/KL"),
    )
    .expect("concluded");
    // Triage of a petition received Mon 2025-12-29: 10 working days → Tue 2026-01-13 under both
    // calendars (Dec 30, 31; Jan 2, 5-9, 12, 13 before; Dec 30, 31; Jan 5-9, Sat 10, 12, 13 after).
    let mut unchanged = Case::new(3);
    let r = receive(
        PetitionKind::Complaint,
        domain::Channel::Mail,
        "UBND-HN.HOAN-KIEM",
    );
    unchanged.step(&old, "2025-12-29", r).expect("received");
    assert_eq!(unchanged.due(DeadlineKey::Handling), date("2026-01-13"));

    // After the announcement the open conclusion period ends on Fri 01-02, now a day off: rolled over the
    // weekend to Mon 2026-01-05.
    let events = open
        .step(&new, "2025-12-26", correct(DeadlineKey::Decision))
        .expect("corrected");
    let Some(Event::DeadlineCorrected(e)) = events.first() else {
        panic!("expected deadline.corrected, got {events:?}");
    };
    assert_eq!(
        (e.previous_due, e.due),
        (date("2026-01-02"), date("2026-01-05"))
    );
    assert_eq!(e.rulebook_version, new.rulebook.version);
    assert!(e.reason.contains("holiday calendar"), "{}", e.reason);
    assert_eq!(open.due(DeadlineKey::Decision), date("2026-01-05"));
    let tracked = open.state.deadline(DeadlineKey::Decision).expect("tracked");
    assert_eq!(tracked.status, DeadlineStatus::Open);
    assert!(
        tracked.deadline.explanation.contains("Recounted"),
        "{}",
        tracked.deadline.explanation
    );
    // The correction is an observation, not a step: a step dated before it can still be keyed in.
    open.step(
        &new,
        "2025-12-24",
        domain::StartVerification {
            assigned_unit: None,
        },
    )
    .expect("a step dated before the correction is accepted");

    // Idempotent: a second pass finds nothing to correct.
    let again = open
        .step(&new, "2025-12-26", correct(DeadlineKey::Decision))
        .expect_err("nothing to correct");
    assert_eq!(again.code(), "invalid-input");
    // A met deadline keeps the date it was judged by.
    met.step(&new, "2025-12-26", correct(DeadlineKey::Decision))
        .expect_err("no longer open");
    assert!(matches!(
        met.state
            .deadline(DeadlineKey::Decision)
            .expect("tracked")
            .status,
        DeadlineStatus::Met { .. }
    ));
    assert_eq!(met.due(DeadlineKey::Decision), date("2026-01-02"));
    // A period the swap does not move is left alone.
    unchanged
        .step(&new, "2025-12-26", correct(DeadlineKey::Handling))
        .expect_err("unchanged");
    assert_eq!(unchanged.due(DeadlineKey::Handling), date("2026-01-13"));
}
