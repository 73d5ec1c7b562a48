//! The executable legal specification (issue 11 item 5): `rules/scenarios.toml` lists dated steps and
//! the due dates and statuses the law gives them, each worked out by hand in a comment. This module runs
//! every scenario against the domain with the shipped rulebook, calendars and agencies, and checks that
//! every rule of the rulebook (every uncorrected version, every variant, every suspension mode and
//! extension rule) is covered by at least one expectation.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use clock::{AdjustmentKind, Complexity, Deadline, SuspensionMode};
use domain::{Command, DeadlineKey, DeadlineStatus, Event, PetitionKind, TrackingCode};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::given_when_then::{Case, clocks, complaint_at, given};

const SCENARIOS: &str = include_str!("../../../../rules/scenarios.toml");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    scenario: Vec<Scenario>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Scenario {
    name: String,
    kind: PetitionKind,
    channel: String,
    agency: String,
    step: Vec<Step>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Step {
    on: String,
    #[serde(rename = "do")]
    action: String,
    #[serde(default)]
    body: Option<Value>,
    /// The real current date when it is not the step date (a step keyed in later).
    #[serde(default)]
    today: Option<String>,
    /// The step is refused with this error code.
    #[serde(default)]
    refused: Option<String>,
    #[serde(default)]
    expect: Vec<Expect>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    /// A deadline key (`decision`, `accept`, …), or `limitation` for the complaint limitation period
    /// checked at acceptance (kept in the `petition.accepted` event, not tracked).
    deadline: String,
    rule: String,
    version: u32,
    /// `normal` (default), `complex`, `remote`, `remote_complex`.
    #[serde(default)]
    variant: Option<String>,
    due: String,
    /// `open`, `met`, `late`, `missed`, `cancelled`; not checked for `limitation`.
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    status_on: Option<String>,
    /// The number of extensions the deadline carries (`denunciation.resolution.extension`).
    #[serde(default)]
    extensions: Option<usize>,
    /// A suspension adjusted the deadline this way (`pause` or `restart`).
    #[serde(default)]
    suspension: Option<String>,
}

fn file() -> File {
    toml::from_str(SCENARIOS).unwrap_or_else(|e| panic!("rules/scenarios.toml: {e}"))
}

fn day(s: &str) -> NaiveDate {
    s.parse()
        .unwrap_or_else(|e| panic!("bad date {s} in rules/scenarios.toml: {e}"))
}

/// Fields a command needs that a scenario does not care about.
fn defaults(action: &str) -> Value {
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

fn merge(mut base: Value, over: Option<&Value>) -> Value {
    if let (Some(obj), Some(Value::Object(over))) = (base.as_object_mut(), over) {
        for (k, v) in over {
            obj.insert(k.clone(), v.clone());
        }
    }
    base
}

fn command(s: &Scenario, step: &Step) -> Command {
    if step.action == "receive" {
        let mut r = complaint_at(&s.agency);
        r.kind = s.kind;
        r.channel = serde_json::from_value(Value::String(s.channel.clone()))
            .unwrap_or_else(|e| panic!("{}: channel: {e}", s.name));
        r.tracking_code = TrackingCode::generate(s.kind, 2026, [1, 2, 3, 4, 5, 6, 7, 8]);
        r.referrer = (s.channel == "referral").then(|| "Báo Nhân Dân".to_owned());
        let base = serde_json::to_value(&r).expect("serializes");
        return Command::from_action("receive", merge(base, step.body.as_ref()))
            .unwrap_or_else(|e| panic!("{}: receive: {e}", s.name));
    }
    Command::from_action(
        &step.action,
        merge(defaults(&step.action), step.body.as_ref()),
    )
    .unwrap_or_else(|e| panic!("{}: {} on {}: {e}", s.name, step.action, step.on))
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

fn check(s: &Scenario, step: &Step, case: &Case, e: &Expect) -> Result<(), String> {
    let at = format!(
        "{} / {} on {} / {}",
        s.name, step.action, step.on, e.deadline
    );
    let (deadline, status) = if e.deadline == "limitation" {
        let d = case
            .events
            .iter()
            .rev()
            .find_map(|ev| match ev {
                Event::PetitionAccepted(a) => a.limitation.clone(),
                _ => None,
            })
            .ok_or_else(|| format!("{at}: no limitation period was checked"))?;
        (d, None)
    } else {
        let key: DeadlineKey = serde_json::from_value(Value::String(e.deadline.clone()))
            .map_err(|err| format!("{at}: {err}"))?;
        let t = case
            .state
            .deadline(key)
            .ok_or_else(|| format!("{at}: no such deadline"))?;
        (t.deadline.clone(), Some(t.status))
    };
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
    if variant_label(&deadline) != variant {
        wrong.push(format!(
            "variant {} (expected {variant})",
            variant_label(&deadline)
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

#[test]
fn every_scenario_of_the_legal_specification_holds_in_the_domain() {
    let file = file();
    let mut failures = Vec::new();
    for s in &file.scenario {
        let mut case = given();
        for step in &s.step {
            case.today = step.today.as_deref().map(day);
            let result = case.try_step(&step.on, command(s, step));
            match (&result, &step.refused) {
                (Ok(_), None) => {}
                (Err(e), Some(code)) if e.code() == code => {}
                (Ok(_), Some(code)) => failures.push(format!(
                    "{} / {} on {}: expected `{code}`, but it was allowed",
                    s.name, step.action, step.on
                )),
                (Err(e), _) => {
                    failures.push(format!(
                        "{} / {} on {}: refused: {e}",
                        s.name, step.action, step.on
                    ));
                    break;
                }
            }
            for e in &step.expect {
                if let Err(f) = check(s, step, &case, e) {
                    failures.push(f);
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failure(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_rule_version_variant_suspension_mode_and_extension_rule_has_a_scenario() {
    let file = file();
    let expects: Vec<&Expect> = file
        .scenario
        .iter()
        .flat_map(|s| &s.step)
        .flat_map(|st| &st.expect)
        .collect();
    let covered: BTreeSet<(String, u32, String)> = expects
        .iter()
        .map(|e| {
            (
                e.rule.clone(),
                e.version,
                e.variant.clone().unwrap_or_else(|| "normal".to_owned()),
            )
        })
        .collect();
    let has = |id: &str, v: u32, variant: &str| covered.contains(&(id.into(), v, variant.into()));
    let rules = &clocks().rulebook.rules;
    let mut missing = Vec::new();
    for r in rules {
        // A corrected version is never selected for a new step (ADR 0004); its correction is covered.
        if rules
            .iter()
            .any(|c| c.id == r.id && c.corrects == Some(r.version))
        {
            continue;
        }
        // The extension rule never produces a deadline of its own: it adjusts the resolution period.
        if r.max_extensions.is_some() {
            if !expects.iter().any(|e| e.extensions.unwrap_or(0) > 0) {
                missing.push(format!("{} v{}: no extended deadline", r.id, r.version));
            }
            continue;
        }
        if !covered
            .iter()
            .any(|(id, v, _)| *id == r.id && *v == r.version)
        {
            missing.push(format!("{} v{}", r.id, r.version));
        }
        for (label, limit) in [
            ("complex", r.variants.complex),
            ("remote", r.variants.remote),
            ("remote_complex", r.variants.remote_complex),
        ] {
            if limit.is_some() && !has(&r.id, r.version, label) {
                missing.push(format!("{} v{} variant {label}", r.id, r.version));
            }
        }
        if let Some(mode) = r.on_suspension {
            let mode = match mode {
                SuspensionMode::Pause => "pause",
                SuspensionMode::Restart => "restart",
            };
            if !expects.iter().any(|e| {
                e.rule == r.id && e.version == r.version && e.suspension.as_deref() == Some(mode)
            }) {
                missing.push(format!("{} v{}: suspension ({mode})", r.id, r.version));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "rules without a scenario in rules/scenarios.toml:\n{}",
        missing.join("\n")
    );
}
