//! The steps that move a running decision clock: extensions for complex cases, and suspensions that
//! pause or restart it, as the rulebook in force says.

use clock::{AdjustmentKind, Deadline, SuspensionMode, Variant};

use super::Step;
use super::resolution::{KINDS_WITH_RESOLUTION, RESOLVING, resolving};
use crate::event::{CaseResumed, CaseSuspended, DeadlineChanges, DeadlineExtended};
use crate::{
    Complexity, DeadlineKey, DeadlineStatus, DomainError, Event, Extend, PetitionKind, Resume,
    Status, Suspend,
};

pub(super) fn extend(step: &Step, c: &Extend) -> Result<Event, DomainError> {
    let kind = step.require_kind(KINDS_WITH_RESOLUTION)?;
    if !resolving(step) {
        return Err(step.illegal(RESOLVING));
    }
    let on = step.on();
    // A period recorded as missed can still be extended by a step dated before its end (backlog entry).
    let current = step
        .tracked(DeadlineKey::Decision)
        .filter(|t| t.status.is_pending())
        .ok_or_else(|| {
            DomainError::ExtensionNotAllowed("there is no running decision period".to_owned())
        })?;
    let d = &current.deadline;
    if on > d.due {
        return Err(DomainError::ExtensionNotAllowed(format!(
            "the period already ended on {}",
            d.due
        )));
    }
    let clocks = step.ctx.clocks;
    let (extended, complexity) = match kind {
        PetitionKind::Complaint => {
            // A complaint is "extended" by counting it as complex from the start: 30 → 45 days, etc.
            let target = c.complexity.unwrap_or(Complexity::Complex);
            if target == Complexity::Normal {
                return Err(DomainError::ExtensionNotAllowed(
                    "a complaint is extended only when it is complex".to_owned(),
                ));
            }
            if d.variant.complexity != Complexity::Normal {
                return Err(DomainError::ExtensionNotAllowed(
                    "the period already counts as complex; a complaint period is extended once"
                        .to_owned(),
                ));
            }
            (reclassify(step, d, target)?, target)
        }
        _ => {
            // A denunciation gets +30 days once when complex, twice when particularly complex (LTC art. 30);
            // a complexity found now is recorded on the deadline first so the clock knows the maximum.
            let target = c.complexity.unwrap_or(d.variant.complexity);
            let base = if target == d.variant.complexity {
                d.clone()
            } else {
                reclassify(step, d, target)?
            };
            let so_far = d
                .adjustments
                .iter()
                .filter(|a| a.kind == AdjustmentKind::Extended)
                .count();
            let so_far = u32::try_from(so_far).unwrap_or(u32::MAX);
            (
                clocks.extend(&base, "denunciation.resolution.extension", on, so_far)?,
                target,
            )
        }
    };
    let mut deadlines = DeadlineChanges::default();
    deadlines.started.insert(DeadlineKey::Decision, extended);
    Ok(DeadlineExtended {
        occurred_on: on,
        deadline: DeadlineKey::Decision,
        reason: c.reason.clone(),
        complexity: Some(complexity),
        deadlines,
    }
    .into())
}

/// The deadline recounted under another complexity.
///
/// `Clocks::with_variant` recounts from the trigger date, which is exact only while no pause or extension
/// has moved the due date since the period (re)started. Otherwise, when the new complexity does not change
/// the rule's limit (the denunciation resolution period has no complex variant), only the label changes;
/// when it would, the change is refused rather than silently dropping the earlier adjustments.
fn reclassify(step: &Step, d: &Deadline, complexity: Complexity) -> Result<Deadline, DomainError> {
    let clocks = step.ctx.clocks;
    let variant = Variant {
        complexity,
        ..d.variant
    };
    let since_start = d
        .adjustments
        .iter()
        .rev()
        .take_while(|a| a.kind != AdjustmentKind::Restarted);
    if since_start
        .clone()
        .all(|a| a.kind == AdjustmentKind::VariantChanged)
    {
        return Ok(clocks.with_variant(d, variant, step.on())?);
    }
    let rule = clocks.rulebook.rule_version(&d.rule_id, d.rule_version)?;
    if rule.limit_for(variant) == rule.limit_for(d.variant) {
        return Ok(Deadline {
            variant,
            ..d.clone()
        });
    }
    Err(DomainError::ExtensionNotAllowed(
        "the period was already paused or extended, so its complexity can no longer change its length".to_owned(),
    ))
}

pub(super) fn suspend(step: &Step, c: &Suspend) -> Result<Event, DomainError> {
    step.require_kind(KINDS_WITH_RESOLUTION)?;
    if step.status() == Status::Suspended {
        return Err(step.illegal("the case is already suspended"));
    }
    if !resolving(step) {
        return Err(step.illegal("only a case under resolution can be suspended"));
    }
    let mut deadlines = DeadlineChanges::default();
    if step.kind() == PetitionKind::Complaint {
        // From 2026-07-01 the suspension decision is sent within 3 working days (Decree 155/2026).
        step.start_if_in_force(
            &mut deadlines,
            DeadlineKey::SendSuspension,
            "complaint.suspension.send",
        )?;
    }
    Ok(CaseSuspended {
        occurred_on: step.on(),
        reason: c.reason.clone(),
        resume_to: step.status(),
        deadlines,
    }
    .into())
}

pub(super) fn resume(step: &Step, c: &Resume) -> Result<Event, DomainError> {
    let (Status::Suspended, Some(since)) = (step.status(), step.state.suspended_since) else {
        return Err(step.illegal("only a suspended case can resume"));
    };
    let on = step.on();
    let mut deadlines = DeadlineChanges::default();
    let mut mode = None;
    // Only a running decision period is adjusted; one already recorded as missed stays missed, unless the
    // suspension started on or before its due date (a suspension keyed in after the watcher recorded the
    // miss: the clock was in fact paused before it ran out, and the miss is superseded).
    if let Some(t) = step.tracked(DeadlineKey::Decision).filter(|t| {
        t.status == DeadlineStatus::Open
            || (matches!(t.status, DeadlineStatus::Missed { .. }) && since <= t.deadline.due)
    }) {
        let clocks = step.ctx.clocks;
        let m = clocks.suspension_mode(&t.deadline, since)?;
        let adjusted = match m {
            SuspensionMode::Pause => clocks.pause(&t.deadline, since, on)?,
            SuspensionMode::Restart => clocks.restart(&t.deadline, on)?,
        };
        deadlines.started.insert(DeadlineKey::Decision, adjusted);
        mode = Some(m);
    }
    if step.kind() == PetitionKind::Complaint {
        // From 2026-07-01 the decision to continue is sent within 3 working days (Decree 155/2026).
        step.start_if_in_force(
            &mut deadlines,
            DeadlineKey::SendContinuation,
            "complaint.continuation.send",
        )?;
    }
    Ok(CaseResumed {
        occurred_on: on,
        reason: c.reason.clone(),
        suspended_since: since,
        mode,
        resume_to: step.state.resume_to.unwrap_or(Status::Accepted),
        deadlines,
    }
    .into())
}
