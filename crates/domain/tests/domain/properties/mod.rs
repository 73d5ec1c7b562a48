//! Properties: whatever officers send, in whatever order and on whatever dates, the recorded history never
//! breaks the law, and replaying it from storage rebuilds exactly the state the officers saw.

mod law;
mod strategies;

use chrono::{Days, NaiveDate};
use domain::{CaseId, CaseState, Command, DecideContext, Event, decide};
use proptest::prelude::*;

use crate::given_when_then::{agencies, clocks, date};
use crate::stored::round_trip;
use law::Law;
use strategies::{Script, Step, script, suited_command};

/// What a run recorded: the events, the incremental state, and facts the invariants need.
struct Run {
    events: Vec<Event>,
    state: CaseState,
}

fn run(script: &Script) -> Result<Run, TestCaseError> {
    let case_id = CaseId::from_uuid(uuid::Uuid::from_u128(7));
    let mut state = CaseState::default();
    let mut events = Vec::new();
    let mut day = script.start;
    let mut law = Law::default();
    for Step {
        gap,
        in_future,
        command,
        suited,
        seed,
    } in &script.steps
    {
        day = day + Days::new(*gap);
        let suited = if *suited {
            suited_command(&state, *seed)
        } else {
            None
        };
        let mut command = suited.unwrap_or_else(|| command.clone());
        if let Command::Receive(r) = &mut command {
            // The generator drew "days before receipt"; turn it into a date now.
            // Kept within the shipped calendars (2025 on): the limitation period ends in the learning year or after.
            r.decision_date_learned = r.decision_date_learned.map(|d| {
                (day - Days::new((d - NaiveDate::MIN).num_days().unsigned_abs()))
                    .max(date("2025-01-01"))
            });
        }
        let today = if *in_future { day - Days::new(1) } else { day };
        let ctx = DecideContext {
            case_id,
            step_date: day,
            today,
            clocks: clocks(),
            agencies: agencies(),
            related: None,
        };
        match decide(&state, &command, &ctx) {
            Ok(new) => {
                prop_assert!(
                    !state.status.is_final(),
                    "{} was allowed on a {} case",
                    command.name(),
                    state.status
                );
                prop_assert!(!*in_future, "a step dated after today was allowed");
                for event in &new {
                    law.check_event(&state, event)?;
                    state.apply(event);
                    law.check_state(&state, events.len() + 1)?;
                    events.push(event.clone());
                }
                // Whatever the watcher finds overdue, it can record.
                for key in state.overdue_deadlines(day) {
                    let missed = Command::RecordDeadlineMissed(domain::RecordDeadlineMissed {
                        deadline: key,
                    });
                    let ctx = DecideContext {
                        case_id,
                        step_date: day,
                        today: day,
                        clocks: clocks(),
                        agencies: agencies(),
                        related: None,
                    };
                    prop_assert!(
                        decide(&state, &missed, &ctx).is_ok(),
                        "{key} is overdue but cannot be recorded"
                    );
                }
            }
            Err(e) => {
                // Only the end of the loaded calendars may stop the clock; everything else is the caller's fault.
                prop_assert!(
                    e.is_client_error() || day > date("2027-08-01"),
                    "server error on {day}: {e}"
                );
            }
        }
    }
    Ok(Run { events, state })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn random_command_sequences_never_break_the_law(script in script()) {
        run(&script)?;
    }

    #[test]
    fn folding_stored_events_rebuilds_the_same_state(script in script()) {
        let run = run(&script)?;
        let replayed: Vec<Event> = run.events.iter().map(round_trip).collect();
        prop_assert_eq!(&replayed, &run.events);
        prop_assert_eq!(CaseState::fold(&replayed), run.state);
    }

    /// The read models keep `CaseState` as JSON: it must come back equal, field for field, minus the
    /// petitioners, which are never serialized (personal data never reaches a read model).
    #[test]
    fn the_state_round_trips_through_serde(script in script()) {
        let run = run(&script)?;
        let without_personal: Vec<Event> = run.events.iter().cloned().map(|mut e| {
            if let Event::PetitionReceived(r) = &mut e {
                r.petitioners = None;
            }
            e
        }).collect();
        let state = CaseState::fold(&without_personal);
        let json = serde_json::to_value(&state).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let decoded: CaseState = serde_json::from_value(json.clone())
            .map_err(|e| TestCaseError::fail(format!("{e}: {json}")))?;
        prop_assert_eq!(&decoded, &state);
        // And the full state (with petitioners) serializes to exactly the same public JSON.
        prop_assert_eq!(serde_json::to_value(&run.state).ok(), Some(json));
        prop_assert!(decoded.petitioners().is_none());
    }
}

#[test]
fn a_state_with_an_unknown_field_is_refused() {
    let mut json = serde_json::to_value(CaseState::default()).expect("serializes");
    json["a_field_from_another_build"] = serde_json::json!(1);
    assert!(serde_json::from_value::<CaseState>(json).is_err());
}
