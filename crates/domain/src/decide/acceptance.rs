//! Acceptance (thụ lý) or refusal, at first instance or at the superior after an appeal or re-denunciation.

use clock::Variant;

use super::Step;
use crate::event::{AcceptanceRefused, DeadlineChanges, PetitionAccepted};
use crate::{DeadlineKey, DomainError, Event, Instance, PetitionKind, Refuse, Status};

const ACCEPT_RULE: &str = "a petition is accepted or refused after it is classified within competence, \
                           or by the superior after an appeal or a re-denunciation";
const WITHDRAWN_RULE: &str =
    "a withdrawn petition cannot be accepted or refused: terminate it (LKN art. 10; LTC art. 33)";

/// The instance a petition would be accepted at, if it may be accepted now.
fn acceptable_instance(step: &Step) -> Result<Instance, DomainError> {
    match step.status() {
        Status::Classified => Ok(step.state.instance),
        Status::Appealed | Status::ReDenounced => Ok(Instance::Second),
        Status::Withdrawn => Err(step.illegal(WITHDRAWN_RULE)),
        _ => Err(step.illegal(ACCEPT_RULE)),
    }
}

/// Closes the triage deadlines an acceptance or a refusal answers, and the in-person reply: accepting or
/// refusing is the answer the desk owes the citizen (LTCD art. 28(1)).
fn answered(step: &Step) -> DeadlineChanges {
    let mut deadlines = DeadlineChanges::default();
    for key in [
        DeadlineKey::Reply,
        DeadlineKey::Handling,
        DeadlineKey::Accept,
        DeadlineKey::ReviewReDenunciation,
    ] {
        step.complete(&mut deadlines, key);
    }
    deadlines
}

pub(super) fn accept(step: &Step) -> Result<Event, DomainError> {
    let instance = acceptable_instance(step)?;
    let state = step.state;
    let on = step.on();
    let kind = step.kind();
    let mut limitation = None;
    if let (PetitionKind::Complaint, Instance::First, Some(learned_on)) =
        (kind, instance, state.decision_date_learned)
    {
        // The complaint must have been lodged within 90 days of learning of the decision (LKN art. 9), or
        // 15 days of receiving a disciplinary decision (art. 48), not counting the recorded obstacles.
        let period = crate::limitation::period(
            step.ctx.clocks,
            state.contested,
            learned_on,
            &state.limitation_obstacles,
        )?;
        let received_on = state.received_on.unwrap_or(on);
        if received_on > period.due {
            return Err(DomainError::LimitationPeriodExpired {
                learned_on,
                ended_on: period.due,
                received_on,
            });
        }
        limitation = Some(period);
    }
    let mut deadlines = answered(step);
    match kind {
        PetitionKind::Complaint => {
            let rule = match instance {
                Instance::First => "complaint.decision.first",
                Instance::Second => "complaint.decision.second",
            };
            deadlines.started.insert(
                DeadlineKey::Decision,
                step.compute(rule, on, step.variant())?,
            );
        }
        PetitionKind::Denunciation => {
            deadlines.started.insert(
                DeadlineKey::Decision,
                step.compute("denunciation.resolution", on, step.variant())?,
            );
            let notify = step.compute(
                "denunciation.accept.notify",
                on,
                Variant {
                    remote: state.remote,
                    ..Variant::default()
                },
            )?;
            deadlines
                .started
                .insert(DeadlineKey::NotifyAcceptance, notify);
        }
        // The law sets no resolution period for recommendations and feedback; only triage is timed.
        PetitionKind::Recommendation | PetitionKind::Feedback => {}
    }
    Ok(PetitionAccepted {
        occurred_on: on,
        instance,
        agency: step.current_agency()?.clone(),
        limitation,
        deadlines,
    }
    .into())
}

pub(super) fn refuse(step: &Step, c: &Refuse) -> Result<Event, DomainError> {
    let instance = acceptable_instance(step)?;
    let mut deadlines = answered(step);
    // From 2026-07-01 the refusal is notified in writing within 3 working days (Decree 154/2026).
    step.start_if_in_force(
        &mut deadlines,
        DeadlineKey::NotifyRefusal,
        "reception.refusal.notify",
    )?;
    Ok(AcceptanceRefused {
        occurred_on: step.on(),
        instance,
        agency: step.current_agency()?.clone(),
        legal_ground: c.legal_ground.clone(),
        deadlines,
    }
    .into())
}
