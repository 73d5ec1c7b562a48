//! The executable legal specification (issue 11 item 5): `rules/scenarios.toml` lists dated steps and
//! the due dates and statuses the law gives them, each worked out by hand in a comment. This module runs
//! every scenario against the domain with the shipped rulebook, calendars and agencies, and checks that
//! every rule of the rulebook (every uncorrected version, every variant, every suspension mode and
//! extension rule) is covered by at least one expectation.

use std::collections::BTreeSet;

use clock::{Deadline, SuspensionMode};
use domain::{Command, DeadlineKey, DeadlineStatus, Event, TrackingCode};
use serde_json::Value;

use crate::given_when_then::{Case, clocks, complaint_at, given};
use crate::scenario_file::{
    Expect, Scenario, Step, check, check_overdue, day, defaults, file, merge,
};

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

/// The deadline an expectation names, as the case holds it after the step, with its status (none for
/// the limitation period, kept in the latest `petition.accepted` event).
fn found(case: &Case, e: &Expect, at: &str) -> Result<(Deadline, Option<DeadlineStatus>), String> {
    if e.deadline == "limitation" {
        let d = case
            .events
            .iter()
            .rev()
            .find_map(|ev| match ev {
                Event::PetitionAccepted(a) => a.limitation.clone(),
                _ => None,
            })
            .ok_or_else(|| format!("{at}: no limitation period was checked"))?;
        return Ok((d, None));
    }
    let key: DeadlineKey = serde_json::from_value(Value::String(e.deadline.clone()))
        .map_err(|err| format!("{at}: {err}"))?;
    let t = case
        .state
        .deadline(key)
        .ok_or_else(|| format!("{at}: no such deadline"))?;
    Ok((t.deadline.clone(), Some(t.status)))
}

/// The checks after a step: expected deadlines, absent ones, and the overdue duties on a day.
fn after_step(s: &Scenario, step: &Step, case: &Case, failures: &mut Vec<String>) {
    let at = format!("{} / {} on {}", s.name, step.action, step.on);
    for e in &step.expect {
        let at = format!("{at} / {}", e.deadline);
        if let Err(f) = found(case, e, &at).and_then(|(d, st)| check(&at, e, &d, st)) {
            failures.push(f);
        }
    }
    for key in &step.absent {
        if case.state.deadlines.keys().any(|k| k.as_str() == key) {
            failures.push(format!("{at}: `{key}` is tracked but should not be"));
        }
    }
    let on = day(step.overdue_on.as_deref().unwrap_or(&step.on));
    let overdue = case
        .state
        .overdue(on)
        .into_iter()
        .map(|(k, _)| k.as_str().to_owned())
        .collect();
    failures.extend(check_overdue(&at, step, overdue));
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
            after_step(s, step, &case, &mut failures);
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
