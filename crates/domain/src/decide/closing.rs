//! How a case ends (withdrawal, termination, legal effect, execution, closing) and how overdue steps are
//! recorded.

use chrono::Days;
use clock::Recount;

use super::Step;
use crate::event::{
    CaseClosed, CaseTerminated, DeadlineChanges, DeadlineCorrected, DeadlineMissed,
    DecisionExecuted, DecisionTookEffect, PetitionWithdrawn,
};
use crate::{
    Close, CorrectDeadline, DeadlineKey, DeadlineStatus, DomainError, Event, PetitionKind,
    RecordDeadlineMissed, RecordExecution, Status, Terminate, Withdraw,
};

pub(super) fn withdraw(step: &Step, c: &Withdraw) -> Result<Event, DomainError> {
    let pending = matches!(
        step.status(),
        Status::Received
            | Status::Classified
            | Status::OutsideCompetence
            | Status::Forwarded
            | Status::Accepted
            | Status::UnderVerification
            | Status::Suspended
            | Status::Appealed
            | Status::ReDenounced
    );
    if !pending {
        return Err(step.illegal(
            "a petition can be withdrawn only while it awaits handling or resolution (LKN art. 10; LTC art. 33)",
        ));
    }
    let mut deadlines = DeadlineChanges::default();
    step.cancel_remaining(&mut deadlines);
    Ok(PetitionWithdrawn {
        occurred_on: step.on(),
        reason: c.reason.clone(),
        deadlines,
    }
    .into())
}

pub(super) fn terminate(step: &Step, c: &Terminate) -> Result<Event, DomainError> {
    let allowed = matches!(
        step.status(),
        Status::Withdrawn
            | Status::Accepted
            | Status::UnderVerification
            | Status::Suspended
            | Status::InLitigation
    );
    if !allowed {
        return Err(step.illegal(
            "a resolution is terminated after a withdrawal, a lawsuit, or on a legal ground while it is under way \
             (LTC art. 34)",
        ));
    }
    let mut deadlines = DeadlineChanges::default();
    step.cancel_remaining(&mut deadlines);
    Ok(CaseTerminated {
        occurred_on: step.on(),
        reason: c.reason.clone(),
        deadlines,
    }
    .into())
}

pub(super) fn record_effect(step: &Step) -> Result<Event, DomainError> {
    step.require_kind(&[PetitionKind::Complaint])?;
    if step.status() != Status::Decided {
        return Err(step.illegal("only an issued complaint decision, not appealed nor in court, takes effect (LKN art. 44)"));
    }
    let on = step.on();
    let day_after = |t: &crate::TrackedDeadline| {
        t.deadline
            .due
            .checked_add_days(Days::new(1))
            .unwrap_or(t.deadline.due)
    };
    // The decision takes effect once its effect period has passed and no appeal can be lodged any more.
    for key in [DeadlineKey::TakeEffect, DeadlineKey::AppealWindow] {
        if let Some(t) = step
            .tracked(key)
            .filter(|t| t.status == DeadlineStatus::Open && on <= t.deadline.due)
        {
            return Err(DomainError::EffectPeriodRunning {
                earliest: day_after(t),
            });
        }
    }
    let mut deadlines = DeadlineChanges::default();
    step.close_open(
        &mut deadlines,
        DeadlineKey::TakeEffect,
        DeadlineStatus::Met { on },
    );
    step.close_open(
        &mut deadlines,
        DeadlineKey::AppealWindow,
        DeadlineStatus::Cancelled { on },
    );
    Ok(DecisionTookEffect {
        occurred_on: on,
        instance: step.state.instance,
        deadlines,
    }
    .into())
}

pub(super) fn record_execution(step: &Step, c: &RecordExecution) -> Result<Event, DomainError> {
    let kind = step.require_kind(&[PetitionKind::Complaint, PetitionKind::Denunciation])?;
    let ready = match kind {
        PetitionKind::Complaint => step.status() == Status::Effective,
        _ => step.status() == Status::Decided,
    };
    if !ready {
        return Err(step.illegal(
            "a complaint decision is executed once in effect; a denunciation conclusion is acted on once issued",
        ));
    }
    let mut deadlines = DeadlineChanges::default();
    step.complete(&mut deadlines, DeadlineKey::ActOnConclusion);
    Ok(DecisionExecuted {
        occurred_on: step.on(),
        note: c.note.clone(),
        deadlines,
    }
    .into())
}

pub(super) fn close(step: &Step, c: &Close) -> Result<Event, DomainError> {
    let mut deadlines = DeadlineChanges::default();
    match step.status() {
        Status::Guided
        | Status::Filed
        | Status::Refused
        | Status::Effective
        | Status::Executed
        | Status::InLitigation => {}
        Status::Decided if step.kind() != PetitionKind::Complaint => {}
        Status::Decided => {
            return Err(step.illegal(
                "a complaint decision must take effect, be appealed or go to court before the case closes (LKN art. 44)",
            ));
        }
        // The superior found the handling lawful and does not re-handle it (LTC art. 37).
        Status::ReDenounced => step.complete(&mut deadlines, DeadlineKey::ReviewReDenunciation),
        Status::Withdrawn => {
            return Err(step.illegal("a withdrawn petition is terminated, not closed"));
        }
        _ => {
            return Err(step.illegal(
                "a case closes once it is guided, filed, refused, settled after its decision, or in court",
            ));
        }
    }
    step.cancel_remaining(&mut deadlines);
    Ok(CaseClosed {
        occurred_on: step.on(),
        note: c.note.clone(),
        deadlines,
    }
    .into())
}

/// Records the open deadline under `c.deadline` as the data loaded now counts it (issue 11 item 4).
/// Refused when it is not open (a met, late, missed or cancelled deadline stays as it was judged) or
/// when the recount gives the same due date, so `petition rules apply` can run any number of times.
pub(super) fn correct_deadline(step: &Step, c: &CorrectDeadline) -> Result<Event, DomainError> {
    let nothing = |why: String| {
        Err(DomainError::InvalidInput(format!(
            "nothing to correct on `{}`: {why}",
            c.deadline
        )))
    };
    let Some(tracked) = step.tracked(c.deadline) else {
        return nothing("the case has no such deadline".to_owned());
    };
    if tracked.status != DeadlineStatus::Open {
        return nothing("it is no longer open".to_owned());
    }
    let old = &tracked.deadline;
    let (corrected, reason) = match step.ctx.clocks.recount(old)? {
        Recount::Moved { deadline, reason } => (deadline, reason),
        Recount::Unchanged => return nothing(format!("it is still due on {}", old.due)),
        Recount::Manual(why) => return nothing(why),
    };
    let mut deadlines = DeadlineChanges::default();
    deadlines.started.insert(c.deadline, corrected.clone());
    Ok(DeadlineCorrected {
        occurred_on: step.on(),
        deadline: c.deadline,
        previous_due: old.due,
        previous_rule_version: old.rule_version,
        previous_rulebook_version: old.rulebook_version.clone(),
        due: corrected.due,
        rule_version: corrected.rule_version,
        rulebook_version: corrected.rulebook_version.clone(),
        reason,
        explanation: c.explanation.clone(),
        deadlines,
    }
    .into())
}

pub(super) fn record_deadline_missed(
    step: &Step,
    c: &RecordDeadlineMissed,
) -> Result<Event, DomainError> {
    let refuse = |reason| {
        Err(DomainError::DeadlineNotMissed {
            deadline: c.deadline,
            reason,
        })
    };
    let Some(tracked) = step.tracked(c.deadline) else {
        return refuse("the case has no such deadline");
    };
    if !c.deadline.is_obligation() {
        return refuse("it is a period running for the petitioner, not a duty of the agency");
    }
    if step.status() == Status::Suspended {
        return refuse("the case is suspended: its clocks stand still");
    }
    if tracked.status != DeadlineStatus::Open {
        return refuse("it is no longer open (met, late, cancelled or already recorded as missed)");
    }
    let on = step.on();
    if on <= tracked.deadline.due {
        return refuse("it is not overdue yet: a step is overdue from the day after its due date");
    }
    let mut deadlines = DeadlineChanges::default();
    deadlines
        .closed
        .insert(c.deadline, DeadlineStatus::Missed { on });
    Ok(DeadlineMissed {
        occurred_on: on,
        deadline: c.deadline,
        due: tracked.deadline.due,
        deadlines,
    }
    .into())
}
