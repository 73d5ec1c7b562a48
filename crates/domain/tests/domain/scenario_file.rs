//! The format of `rules/scenarios.toml`, the executable legal specification (issue 11 item 5), and the
//! check of one expected deadline. Shared by the two runners: against the domain
//! (`crates/domain/tests/domain/scenarios.rs`) and through the HTTP API on SQLite and PostgreSQL
//! (`crates/command/tests/api/scenarios.rs`, which includes this file by path).

use chrono::NaiveDate;
use clock::{AdjustmentKind, Complexity, Deadline};
use domain::DeadlineStatus;
use serde::Deserialize;
use serde_json::{Value, json};

pub const SCENARIOS: &str = include_str!("../../../../rules/scenarios.toml");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct File {
    pub scenario: Vec<Scenario>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub name: String,
    pub kind: domain::PetitionKind,
    pub channel: String,
    pub agency: String,
    pub step: Vec<Step>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub on: String,
    #[serde(rename = "do")]
    pub action: String,
    #[serde(default)]
    pub body: Option<Value>,
    /// The real current date when it is not the step date (a step keyed in later).
    #[serde(default)]
    pub today: Option<String>,
    /// The step is refused with this error code.
    #[serde(default)]
    pub refused: Option<String>,
    #[serde(default)]
    pub expect: Vec<Expect>,
    /// Deadline keys the case must not track after the step (a clock not in force on the step date).
    #[serde(default)]
    pub absent: Vec<String>,
    /// With `overdue`: the day on which the overdue duties are checked after the step.
    #[serde(default)]
    pub overdue_on: Option<String>,
    /// Exactly the deadline keys overdue on `overdue_on` (the one definition, `CaseState::overdue`).
    #[serde(default)]
    pub overdue: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// A deadline key (`decision`, `accept`, …), or `limitation` for the complaint limitation period
    /// checked at acceptance (kept in the `petition.accepted` event, not tracked).
    pub deadline: String,
    pub rule: String,
    pub version: u32,
    /// `normal` (default), `complex`, `remote`, `remote_complex`.
    #[serde(default)]
    pub variant: Option<String>,
    pub due: String,
    /// `open`, `met`, `late`, `missed`, `cancelled`; not checked for `limitation`.
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub status_on: Option<String>,
    /// The number of extensions the deadline carries (`denunciation.resolution.extension`).
    #[serde(default)]
    pub extensions: Option<usize>,
    /// A suspension (or, for `limitation`, an obstacle) adjusted the deadline this way (`pause`,
    /// `restart`).
    #[serde(default)]
    pub suspension: Option<String>,
}

pub fn file() -> File {
    toml::from_str(SCENARIOS).unwrap_or_else(|e| panic!("rules/scenarios.toml: {e}"))
}

pub fn day(s: &str) -> NaiveDate {
    s.parse()
        .unwrap_or_else(|e| panic!("bad date {s} in rules/scenarios.toml: {e}"))
}

/// Fields a command needs that a scenario does not care about.
pub fn defaults(action: &str) -> Value {
    match action {
        "classify" => json!({ "within_competence": true }),
        "forward" | "extend" | "suspend" | "resume" | "withdraw" | "terminate" => {
            json!({ "reason": "As recorded in the case file." })
        }
        "guide" => json!({ "guidance": "Go to the competent agency." }),
        "issue-decision" => json!({
            "outcome": "rejected",
            "summary": "Decided after verification.",
            "decision_number": "1/QD",
        }),
        "record-finding" | "hold-dialogue" => json!({ "summary": "As recorded in the case file." }),
        "record-publication" => json!({ "medium": "Posted at the office." }),
        "lodge-appeal" | "lodge-re-denunciation" => {
            json!({ "grounds": "The decision misreads the facts." })
        }
        "note-lawsuit" => json!({ "court": "People's Court of Hà Nội" }),
        _ => json!({}),
    }
}

pub fn merge(mut base: Value, over: Option<&Value>) -> Value {
    if let (Some(obj), Some(Value::Object(over))) = (base.as_object_mut(), over) {
        for (k, v) in over {
            obj.insert(k.clone(), v.clone());
        }
    }
    base
}

fn variant_label(d: &Deadline) -> &'static str {
    let complex = d.variant.complexity != Complexity::Normal;
    match (d.variant.remote, complex) {
        (false, false) => "normal",
        (false, true) => "complex",
        (true, false) => "remote",
        (true, true) => "remote_complex",
    }
}

fn status_parts(s: DeadlineStatus) -> (&'static str, Option<NaiveDate>) {
    match s {
        DeadlineStatus::Open => ("open", None),
        DeadlineStatus::Met { on } => ("met", Some(on)),
        DeadlineStatus::Late { on } => ("late", Some(on)),
        DeadlineStatus::Missed { on } => ("missed", Some(on)),
        DeadlineStatus::Cancelled { on } => ("cancelled", Some(on)),
    }
}

/// Checks one expectation against a deadline as recorded (and its status, except for `limitation`).
pub fn check(
    at: &str,
    e: &Expect,
    deadline: &Deadline,
    status: Option<DeadlineStatus>,
) -> Result<(), String> {
    let mut wrong = Vec::new();
    if (deadline.rule_id.as_str(), deadline.rule_version) != (e.rule.as_str(), e.version) {
        wrong.push(format!(
            "rule {} v{} (expected {} v{})",
            deadline.rule_id, deadline.rule_version, e.rule, e.version
        ));
    }
    if deadline.due != day(&e.due) {
        wrong.push(format!("due {} (expected {})", deadline.due, e.due));
    }
    let variant = e.variant.as_deref().unwrap_or("normal");
    if variant_label(deadline) != variant {
        wrong.push(format!(
            "variant {} (expected {variant})",
            variant_label(deadline)
        ));
    }
    if let Some(status) = status {
        let (name, on) = status_parts(status);
        let expected = e.status.as_deref().unwrap_or("open");
        if name != expected {
            wrong.push(format!("status {name} (expected {expected})"));
        }
        if let Some(expected_on) = &e.status_on
            && on != Some(day(expected_on))
        {
            wrong.push(format!("status on {on:?} (expected {expected_on})"));
        }
    }
    let count = |kind: AdjustmentKind| {
        deadline
            .adjustments
            .iter()
            .filter(|a| a.kind == kind)
            .count()
    };
    if let Some(n) = e.extensions
        && count(AdjustmentKind::Extended) != n
    {
        wrong.push(format!(
            "{} extensions (expected {n})",
            count(AdjustmentKind::Extended)
        ));
    }
    match e.suspension.as_deref() {
        None => {}
        Some("pause") if count(AdjustmentKind::Paused) > 0 => {}
        Some("restart") if count(AdjustmentKind::Restarted) > 0 => {}
        Some(mode) => wrong.push(format!("no `{mode}` adjustment")),
    }
    if wrong.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{at}: {}\n  explanation: {}",
            wrong.join("; "),
            deadline.explanation
        ))
    }
}

/// Compares the overdue keys found with those a step expects; `None` when the step expects none.
pub fn check_overdue(at: &str, step: &Step, mut found: Vec<String>) -> Option<String> {
    let mut expected = step.overdue.clone()?;
    expected.sort();
    found.sort();
    (expected != found).then(|| {
        format!(
            "{at}: overdue on {}: {found:?} (expected {expected:?})",
            step.overdue_on.as_deref().unwrap_or(&step.on)
        )
    })
}
