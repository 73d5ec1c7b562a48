//! What a petitioner may do after (or instead of) a decision: appeal a complaint to the second instance,
//! re-denounce to the superior, or go to court.

use clock::Variant;

use super::Step;
use crate::event::{AppealLodged, DeadlineChanges, LawsuitNoted, ReDenunciationLodged};
use crate::{
    DeadlineKey, DeadlineStatus, DomainError, Event, Instance, LodgeAppeal, LodgeReDenunciation,
    NoteLawsuit, PetitionKind, Status,
};

pub(super) fn lodge_appeal(step: &Step, c: &LodgeAppeal) -> Result<Event, DomainError> {
    step.require_kind(&[PetitionKind::Complaint])?;
    let state = step.state;
    let decided_at_second = state.instance == Instance::Second
        && matches!(step.status(), Status::Decided | Status::Effective);
    if decided_at_second {
        return Err(DomainError::NoFurtherAppeal);
    }
    if state.appeals > 0 {
        return Err(DomainError::AlreadyAppealed);
    }
    let on = step.on();
    let lapsed = match step.status() {
        Status::Decided => {
            if let Some(window) = step
                .tracked(DeadlineKey::AppealWindow)
                .filter(|w| on > w.deadline.due)
            {
                return Err(DomainError::AppealWindowClosed {
                    closed_on: window.deadline.due,
                });
            }
            false
        }
        Status::Accepted | Status::UnderVerification => {
            let Some(decision) = step.lapsed_decision() else {
                return Err(step.illegal(
                    "a second-instance complaint follows the first-instance decision, or the end of its period \
                     without one (LKN art. 33)",
                ));
            };
            // With no decision, the window counts from the last day of the first-instance period.
            let window = step.compute("complaint.appeal.window", decision.due, step.variant())?;
            if on > window.due {
                return Err(DomainError::AppealWindowClosed {
                    closed_on: window.due,
                });
            }
            true
        }
        _ => {
            return Err(step.illegal(
                "a second-instance complaint follows a first-instance decision (LKN art. 33)",
            ));
        }
    };
    let from = step.current_agency()?.clone();
    let superior = step.superior(c.superior.as_ref())?;
    let mut deadlines = DeadlineChanges::default();
    step.close_open(
        &mut deadlines,
        DeadlineKey::AppealWindow,
        DeadlineStatus::Met { on },
    );
    step.close_open(
        &mut deadlines,
        DeadlineKey::TakeEffect,
        DeadlineStatus::Cancelled { on },
    );
    if lapsed {
        step.close_open(
            &mut deadlines,
            DeadlineKey::Decision,
            DeadlineStatus::Missed { on },
        );
    }
    let accept = step.compute(
        "complaint.accept",
        on,
        Variant {
            remote: superior.remote,
            ..Variant::default()
        },
    )?;
    deadlines.started.insert(DeadlineKey::Accept, accept);
    Ok(AppealLodged {
        occurred_on: on,
        grounds: c.grounds.clone(),
        from_agency: from,
        to_agency: superior.code.clone(),
        level: superior.level,
        remote: superior.remote,
        decision_period_lapsed: lapsed,
        deadlines,
    }
    .into())
}

pub(super) fn lodge_re_denunciation(
    step: &Step,
    c: &LodgeReDenunciation,
) -> Result<Event, DomainError> {
    step.require_kind(&[PetitionKind::Denunciation])?;
    let lapsed = match step.status() {
        Status::Decided | Status::Executed => false,
        Status::Accepted | Status::UnderVerification if step.lapsed_decision().is_some() => true,
        Status::ReDenounced => {
            return Err(step.illegal("a re-denunciation is already under review"));
        }
        _ => {
            return Err(step.illegal(
                "a re-denunciation follows a conclusion, or the end of the resolution period without one (LTC art. 37)",
            ));
        }
    };
    let on = step.on();
    let from = step.current_agency()?.clone();
    let superior = step.superior(c.superior.as_ref())?;
    let mut deadlines = DeadlineChanges::default();
    if lapsed {
        step.close_open(
            &mut deadlines,
            DeadlineKey::Decision,
            DeadlineStatus::Missed { on },
        );
    }
    let variant = Variant {
        remote: superior.remote,
        ..Variant::default()
    };
    deadlines.started.insert(
        DeadlineKey::ReviewReDenunciation,
        step.compute("denunciation.redenunciation.review", on, variant)?,
    );
    Ok(ReDenunciationLodged {
        occurred_on: on,
        grounds: c.grounds.clone(),
        from_agency: from,
        to_agency: superior.code.clone(),
        level: superior.level,
        remote: superior.remote,
        resolution_period_lapsed: lapsed,
        deadlines,
    }
    .into())
}

pub(super) fn note_lawsuit(step: &Step, c: &NoteLawsuit) -> Result<Event, DomainError> {
    step.require_kind(&[PetitionKind::Complaint])?;
    let on = step.on();
    let lapsed = match step.status() {
        Status::Decided | Status::Effective => false,
        Status::Accepted | Status::UnderVerification if step.lapsed_decision().is_some() => true,
        _ => {
            return Err(step.illegal(
                "a lawsuit follows a decision, or the end of the decision period without one (LKN art. 7)",
            ));
        }
    };
    let mut deadlines = DeadlineChanges::default();
    // The court now has the matter: the administrative periods stop.
    for key in [DeadlineKey::AppealWindow, DeadlineKey::TakeEffect] {
        step.close_open(&mut deadlines, key, DeadlineStatus::Cancelled { on });
    }
    if lapsed {
        step.close_open(
            &mut deadlines,
            DeadlineKey::Decision,
            DeadlineStatus::Missed { on },
        );
    }
    Ok(LawsuitNoted {
        occurred_on: on,
        court: c.court.clone(),
        note: c.note.clone(),
        deadlines,
    }
    .into())
}
