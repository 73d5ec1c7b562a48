//! Resolution (giải quyết): verification, findings, dialogue, the decision and the notices the law requires.

use clock::Variant;

use super::Step;
use crate::event::{
    ConclusionPublished, DeadlineChanges, DecisionIssued, DialogueHeld, FindingRecorded,
    NoticeSent, VerificationStarted,
};
use crate::{
    DeadlineKey, DeadlineStatus, DomainError, Event, HoldDialogue, Instance, IssueDecision,
    PetitionKind, RecordFinding, RecordNoticeSent, RecordPublication, StartVerification, Status,
};

pub(super) const RESOLVING: &str = "the case must be accepted and not suspended";
pub(super) const KINDS_WITH_RESOLUTION: &[PetitionKind] =
    &[PetitionKind::Complaint, PetitionKind::Denunciation];

pub(super) fn resolving(step: &Step) -> bool {
    matches!(step.status(), Status::Accepted | Status::UnderVerification)
}

pub(super) fn start_verification(step: &Step, c: &StartVerification) -> Result<Event, DomainError> {
    step.require_kind(KINDS_WITH_RESOLUTION)?;
    if step.status() != Status::Accepted {
        return Err(step.illegal("verification starts once, after acceptance"));
    }
    Ok(VerificationStarted {
        occurred_on: step.on(),
        assigned_unit: c.assigned_unit.clone(),
        deadlines: DeadlineChanges::default(),
    }
    .into())
}

pub(super) fn record_finding(step: &Step, c: &RecordFinding) -> Result<Event, DomainError> {
    if step.status() != Status::UnderVerification {
        return Err(step.illegal("findings are recorded during verification"));
    }
    Ok(FindingRecorded {
        occurred_on: step.on(),
        summary: c.summary.clone(),
        deadlines: DeadlineChanges::default(),
    }
    .into())
}

pub(super) fn hold_dialogue(step: &Step, c: &HoldDialogue) -> Result<Event, DomainError> {
    step.require_kind(&[PetitionKind::Complaint])?;
    if !resolving(step) {
        return Err(step.illegal(RESOLVING));
    }
    let on = step.on();
    if let Some(notified_on) = c.notified_on {
        if notified_on > on {
            return Err(DomainError::InvalidInput(format!(
                "the dialogue of {on} cannot be notified after it ({notified_on})"
            )));
        }
        if chrono::Datelike::year(&notified_on) < 1900 {
            return Err(DomainError::InvalidInput(
                "notified_on must be in the years 1900 to 9999".to_owned(),
            ));
        }
    }
    let mut deadlines = DeadlineChanges::default();
    let rule = "complaint.dialogue.notice";
    let clocks = step.ctx.clocks;
    if clocks
        .rulebook
        .rules
        .iter()
        .any(|r| r.id == rule && r.is_in_force_on(on))
    {
        // From 2026-07-01 the parties are notified at least 5 days before the dialogue (Decree 155/2026):
        // the notice is judged by its recorded date; without one it stays open, already past due, until
        // `record-notice-sent dialogue_notice` records it (late).
        let notice = clocks.compute_before(rule, on, Variant::default())?;
        if let Some(notified_on) = c.notified_on {
            let status = if notified_on <= notice.due {
                DeadlineStatus::Met { on: notified_on }
            } else {
                DeadlineStatus::Late { on: notified_on }
            };
            deadlines.closed.insert(DeadlineKey::DialogueNotice, status);
        }
        deadlines
            .started
            .insert(DeadlineKey::DialogueNotice, notice);
    }
    Ok(DialogueHeld {
        occurred_on: on,
        summary: c.summary.clone(),
        notified_on: c.notified_on,
        deadlines,
    }
    .into())
}

pub(super) fn issue_decision(step: &Step, c: &IssueDecision) -> Result<Event, DomainError> {
    match step.status() {
        Status::Accepted | Status::UnderVerification => {}
        Status::Suspended => return Err(step.illegal("resume a suspended case before deciding it")),
        _ => {
            return Err(step.illegal(
                "only an accepted case can be decided (LKN arts. 27-31; LTC arts. 29-35)",
            ));
        }
    }
    let number = crate::text::bounded("decision number", &c.decision_number, 100)?;
    let number = number.as_str();
    let on = step.on();
    let state = step.state;
    let mut deadlines = DeadlineChanges::default();
    step.complete(&mut deadlines, DeadlineKey::Decision);
    let on_time = deadlines
        .closed
        .get(&DeadlineKey::Decision)
        .map(|s| matches!(s, DeadlineStatus::Met { .. }));
    let remote = Variant {
        remote: state.remote,
        ..Variant::default()
    };
    match step.kind() {
        PetitionKind::Complaint => {
            // The first-instance decision is sent within 3 working days (LKN art. 32), the second-instance
            // one within 7 days (LKN art. 41).
            let send = match state.instance {
                Instance::First => "complaint.decision.send",
                Instance::Second => "complaint.decision.second.send",
            };
            deadlines
                .started
                .insert(DeadlineKey::SendDecision, step.compute(send, on, remote)?);
            deadlines.started.insert(
                DeadlineKey::TakeEffect,
                step.compute("complaint.decision.effect", on, remote)?,
            );
            if state.instance == Instance::First {
                // Counted from the issue date; it restarts from the day the decision is recorded as sent.
                deadlines.started.insert(
                    DeadlineKey::AppealWindow,
                    step.compute("complaint.appeal.window", on, remote)?,
                );
            }
        }
        PetitionKind::Denunciation => {
            deadlines.started.insert(
                DeadlineKey::SendDecision,
                step.compute("denunciation.conclusion.send", on, remote)?,
            );
            deadlines.started.insert(
                DeadlineKey::ActOnConclusion,
                step.compute("denunciation.conclusion.act", on, remote)?,
            );
            deadlines.started.insert(
                DeadlineKey::PublishConclusion,
                step.compute("denunciation.conclusion.publish", on, remote)?,
            );
        }
        PetitionKind::Recommendation | PetitionKind::Feedback => {}
    }
    Ok(DecisionIssued {
        occurred_on: on,
        instance: state.instance,
        agency: step.current_agency()?.clone(),
        outcome: c.outcome,
        summary: c.summary.clone(),
        decision_number: number.to_owned(),
        on_time,
        deadlines,
    }
    .into())
}

pub(super) fn notice_sent(step: &Step, c: &RecordNoticeSent) -> Result<Event, DomainError> {
    if !c.notice.is_notice() {
        return Err(DomainError::InvalidInput(format!(
            "`{}` is not a notice; use one of reply, referral_reply, notify_acceptance, send_decision, \
             send_suspension, send_continuation, notify_refusal, dialogue_notice",
            c.notice
        )));
    }
    if !step
        .tracked(c.notice)
        .is_some_and(|t| t.status.is_pending())
    {
        return Err(DomainError::NoNoticePending { notice: c.notice });
    }
    let on = step.on();
    let mut deadlines = DeadlineChanges::default();
    step.complete(&mut deadlines, c.notice);
    let window = step
        .tracked(DeadlineKey::AppealWindow)
        .filter(|t| t.status == DeadlineStatus::Open);
    if let (DeadlineKey::SendDecision, Some(window)) = (c.notice, window) {
        // The complainant has 30 (remote: 45) days from *receiving* the decision (LKN art. 33): count
        // again from the day it was sent, never shortening the window already granted.
        let resent = step.compute("complaint.appeal.window", on, window.deadline.variant)?;
        if resent.due > window.deadline.due {
            deadlines.started.insert(DeadlineKey::AppealWindow, resent);
        }
    }
    Ok(NoticeSent {
        occurred_on: on,
        notice: c.notice,
        note: c.note.clone(),
        deadlines,
    }
    .into())
}

/// Records that a denunciation conclusion was made public (LTC art. 40): allowed once, while its
/// publication deadline is pending (open, or recorded as missed and still undone).
pub(super) fn record_publication(step: &Step, c: &RecordPublication) -> Result<Event, DomainError> {
    step.require_kind(&[PetitionKind::Denunciation])?;
    if !step
        .tracked(DeadlineKey::PublishConclusion)
        .is_some_and(|t| t.status.is_pending())
    {
        return Err(step.illegal(
            "a denunciation conclusion is published once, after it is issued (LTC art. 40)",
        ));
    }
    let mut deadlines = DeadlineChanges::default();
    step.complete(&mut deadlines, DeadlineKey::PublishConclusion);
    Ok(ConclusionPublished {
        occurred_on: step.on(),
        medium: c.medium.clone(),
        note: c.note.clone(),
        deadlines,
    }
    .into())
}
