//! Commands from the outside world: action names, strict JSON bodies, and the errors callers branch on.

use domain::{Command, DomainError};
use serde_json::{Value, json};

/// A valid JSON body for each action.
fn sample_body(action: &str) -> Value {
    match action {
        "receive" => json!({
            "kind": "complaint", "channel": "in_person", "receiving_agency": "UBND-HN",
            "subject": "Land compensation", "content": "The compensation is too low.",
            "petitioners": { "signatories": [{ "full_name": "Nguyễn Văn An", "phone": "0912 345 678" }] },
            "signatory_count": 1,
            "tracking_code": domain::TrackingCode::generate(domain::PetitionKind::Complaint, 2026, [1; 8]).to_string()
        }),
        "classify" => {
            json!({ "within_competence": true, "complexity": { "several_places": true } })
        }
        "forward" => json!({ "to_agency": "ubnd-hn", "reason": "Competent agency." }),
        "guide" => json!({ "guidance": "Go to the province." }),
        "file" => json!({ "reason": "duplicate" }),
        "refuse" => json!({ "legal_ground": "LKN art. 11" }),
        "start-verification" => json!({ "assigned_unit": "Thanh tra tỉnh" }),
        "record-finding" | "hold-dialogue" => json!({ "summary": "Noted." }),
        "extend" => json!({ "reason": "Complex.", "complexity": "particularly_complex" }),
        "suspend" | "resume" | "withdraw" | "terminate" => json!({ "reason": "Because." }),
        "issue-decision" => {
            json!({ "outcome": "partly_upheld", "summary": "Partly.", "decision_number": "1/QĐ" })
        }
        "record-notice-sent" => json!({ "notice": "send_decision" }),
        "record-publication" => json!({ "medium": "Posted at the agency's head office." }),
        "lodge-appeal" => json!({ "grounds": "Wrong.", "superior": "BO-NNMT" }),
        "lodge-re-denunciation" => json!({ "grounds": "Wrong." }),
        "note-lawsuit" => json!({ "court": "TAND Hà Nội" }),
        "record-deadline-missed" => json!({ "deadline": "decision" }),
        "correct-deadline" => {
            json!({ "deadline": "decision", "explanation": "A day off announced late." })
        }
        // Commands without fields accept an empty object, or no body at all.
        _ => Value::Null,
    }
}

#[test]
fn every_action_parses_from_json_and_keeps_its_name() {
    for action in Command::ACTIONS.iter().copied().chain(["receive"]) {
        let command = Command::from_action(action, sample_body(action))
            .unwrap_or_else(|e| panic!("`{action}` does not parse: {e}"));
        assert_eq!(command.name(), action);
    }
}

#[test]
fn the_actions_list_every_command_but_receive() {
    assert_eq!(Command::ACTIONS.len(), 26);
    assert!(!Command::ACTIONS.contains(&"receive"));
    for action in [
        "classify",
        "forward",
        "receive-forwarded",
        "file",
        "accept",
        "issue-decision",
        "close",
    ] {
        assert!(Command::ACTIONS.contains(&action), "{action} is missing");
    }
}

#[test]
fn an_unknown_action_is_refused() {
    let err = Command::from_action("approve", json!({})).expect_err("unknown");
    assert_eq!(err, DomainError::UnknownAction("approve".to_owned()));
    assert_eq!(err.code(), "unknown-action");
}

#[test]
fn a_body_with_unknown_fields_is_refused() {
    let err =
        Command::from_action("accept", json!({ "instance": "second" })).expect_err("unknown field");
    assert_eq!(err.code(), "invalid-input");
    assert!(err.to_string().contains("unknown field"), "{err}");
}

#[test]
fn a_malformed_field_is_refused_with_the_reason() {
    let err =
        Command::from_action("refuse", json!({ "legal_ground": "  " })).expect_err("empty ground");
    assert!(
        err.to_string().contains("legal ground must not be empty"),
        "{err}"
    );
    let err = Command::from_action("forward", json!({ "to_agency": "Ủy ban", "reason": "x" }))
        .expect_err("bad code");
    assert_eq!(err.code(), "invalid-input");
}

#[test]
fn commands_serialize_as_action_and_body() {
    let command = Command::from_action("guide", json!({ "guidance": "Go to the province." }))
        .expect("parses");
    let value = serde_json::to_value(&command).expect("serializes");
    assert_eq!(
        value,
        json!({ "action": "guide", "body": { "guidance": "Go to the province." } })
    );
    assert_eq!(
        serde_json::from_value::<Command>(value).expect("deserializes"),
        command
    );
}

#[test]
fn errors_name_their_rule_and_who_is_at_fault() {
    let clock = DomainError::from(clock::ClockError::CalendarYearMissing(2031));
    assert_eq!(
        (clock.code(), clock.is_client_error()),
        ("clock-unavailable", false)
    );
    let extension = DomainError::from(clock::ClockError::ExtensionNotAllowed("max".to_owned()));
    assert_eq!(
        (extension.code(), extension.is_client_error()),
        ("extension-not-allowed", true)
    );
    assert_eq!(
        DomainError::AlreadyAppealed.legal_basis(),
        Some("LKN art. 7")
    );
    assert_eq!(DomainError::GuidedAlready.code(), "guided-already");
    let illegal = DomainError::IllegalTransition {
        command: "accept",
        status: domain::Status::Closed,
        rule: "the rule",
    };
    assert_eq!(
        illegal.to_string(),
        "`accept` is not allowed while the case is closed: the rule"
    );
}
