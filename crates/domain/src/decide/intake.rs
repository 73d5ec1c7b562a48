//! Intake and triage (tiếp nhận, xử lý đơn): receiving, classifying, forwarding, guiding and filing.

use clock::{Complexity, Variant};

use super::Step;
use crate::event::{
    DeadlineChanges, ForwardedPetitionReceived, PetitionClassified, PetitionFiled,
    PetitionForwarded, PetitionGuided, PetitionReceived,
};
use crate::person::GROUP_THRESHOLD;
use crate::{
    Channel, Classify, DeadlineKey, DeadlineStatus, DomainError, Event, FileWithoutProcessing,
    Forward, Guide, PetitionKind, Receive, Status,
};

/// The triage rule for a kind: denunciations have their own initial-handling period (LTC art. 24(1)).
fn handling_rule(kind: PetitionKind) -> &'static str {
    match kind {
        PetitionKind::Denunciation => "denunciation.initial_handling",
        _ => "petition.handling",
    }
}

pub(super) fn receive(step: &Step, c: &Receive) -> Result<Event, DomainError> {
    let on = step.on();
    // A legacy code names its kind, which must be the petition's; a current one names none (ADR 0016).
    if c.tracking_code.kind().is_some_and(|k| k != c.kind) {
        return Err(DomainError::InvalidInput(format!(
            "tracking code `{}` does not start with `{}`, the code of a {}",
            c.tracking_code,
            c.kind.code(),
            c.kind
        )));
    }
    let agency = step.agency(&c.receiving_agency)?;
    c.petitioners.validate(c.signatory_count)?;
    if c.decision_date_learned.is_some_and(|d| d > on) {
        return Err(DomainError::InvalidInput(
            "the contested decision cannot be learned of after receipt".to_owned(),
        ));
    }
    // The supported dates are the years 1900 to 9999 (ADR 0005), in bodies as in parameters.
    if c.decision_date_learned
        .is_some_and(|d| chrono::Datelike::year(&d) < 1900)
    {
        return Err(DomainError::InvalidInput(
            "decision_date_learned must be in the years 1900 to 9999".to_owned(),
        ));
    }
    if c.kind != PetitionKind::Complaint
        && (!c.contested.is_default() || !c.limitation_obstacles.is_empty())
    {
        return Err(DomainError::InvalidInput(
            "contested and limitation_obstacles apply to complaints only".to_owned(),
        ));
    }
    crate::limitation::validate(&c.limitation_obstacles, c.decision_date_learned, on)?;
    if c.related_case == Some(step.ctx.case_id) {
        return Err(DomainError::InvalidInput(
            "a case cannot repeat itself".to_owned(),
        ));
    }
    let referrer = c
        .referrer
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_owned);
    if referrer.as_ref().is_some_and(|r| r.chars().count() > 300) {
        return Err(DomainError::InvalidInput(
            "the referrer's name is at most 300 characters".to_owned(),
        ));
    }
    if c.channel == Channel::Referral && referrer.is_none() {
        return Err(DomainError::InvalidInput(
            "a referred petition names its referrer".to_owned(),
        ));
    }

    let variant = Variant {
        remote: agency.remote,
        ..Variant::default()
    };
    let mut deadlines = DeadlineChanges::default();
    deadlines.started.insert(
        DeadlineKey::Handling,
        step.compute(handling_rule(c.kind), on, variant)?,
    );
    match c.channel {
        Channel::InPerson => {
            deadlines.started.insert(
                DeadlineKey::Reply,
                step.compute("reception.reply", on, variant)?,
            );
        }
        Channel::Referral => {
            deadlines.started.insert(
                DeadlineKey::ReferralReply,
                step.compute("referral.reply", on, variant)?,
            );
        }
        Channel::Mail | Channel::Online => {}
    }
    Ok(PetitionReceived {
        occurred_on: on,
        case_id: step.ctx.case_id,
        tracking_code: c.tracking_code.clone(),
        kind: c.kind,
        channel: c.channel,
        receiving_agency: agency.code.clone(),
        level: agency.level,
        remote: agency.remote,
        subject: c.subject.clone(),
        content: c.content.clone(),
        signatory_count: c.signatory_count,
        is_group: c.signatory_count >= GROUP_THRESHOLD,
        identity_protected: c.kind == PetitionKind::Denunciation,
        related_case: c.related_case,
        decision_date_learned: c.decision_date_learned,
        contested: c.contested,
        limitation_obstacles: c.limitation_obstacles.clone(),
        referrer,
        petitioners: Some(c.petitioners.clone()),
        deadlines,
    }
    .into())
}

pub(super) fn classify(step: &Step, c: &Classify) -> Result<Event, DomainError> {
    if step.status() != Status::Received {
        return Err(step.illegal(
            "a petition is classified once, when it is received or arrives after forwarding",
        ));
    }
    let state = step.state;
    let current = step.current_agency()?.clone();
    let kind = c.kind.unwrap_or(step.kind());
    let competent_agency = if c.within_competence {
        if c.competent_agency.as_ref().is_some_and(|a| *a != current) {
            return Err(DomainError::InvalidInput(format!(
                "within competence, the competent agency is `{current}` itself"
            )));
        }
        Some(current.clone())
    } else {
        match &c.competent_agency {
            Some(a) if *a == current => {
                return Err(DomainError::InvalidInput(
                    "outside competence, the competent agency is another agency".to_owned(),
                ));
            }
            Some(a) => Some(step.agency(a)?.code.clone()),
            None => None,
        }
    };
    let arrived_on = state.arrived_on.unwrap_or(step.on());
    let variant = Variant {
        remote: state.remote,
        ..Variant::default()
    };
    let mut deadlines = DeadlineChanges::default();
    // Verifying a denunciation in several places allows the longer initial handling (LTC art. 24(1)).
    let several_places = kind == PetitionKind::Denunciation && c.complexity.several_places;
    // A deadline already recorded as missed keeps that record.
    let handling_open = step
        .tracked(DeadlineKey::Handling)
        .is_none_or(|t| t.status == DeadlineStatus::Open);
    if handling_open && (Some(kind) != state.kind || several_places) {
        // A corrected kind changes the triage rule; either way it still counts from the arrival.
        let handling_variant = if several_places {
            Variant {
                complexity: Complexity::Complex,
                ..variant
            }
        } else {
            variant
        };
        deadlines.started.insert(
            DeadlineKey::Handling,
            step.compute(handling_rule(kind), arrived_on, handling_variant)?,
        );
    }
    match (kind, c.within_competence) {
        (PetitionKind::Complaint, true) => {
            deadlines.started.insert(
                DeadlineKey::Accept,
                step.compute("complaint.accept", arrived_on, variant)?,
            );
        }
        (PetitionKind::Denunciation, false) => {
            deadlines.started.insert(
                DeadlineKey::Forward,
                step.compute("denunciation.forward", arrived_on, variant)?,
            );
        }
        _ => {}
    }
    Ok(PetitionClassified {
        occurred_on: step.on(),
        kind,
        within_competence: c.within_competence,
        competent_agency,
        criteria: c.complexity,
        complexity: c.complexity.complexity(),
        // Once a denouncer, always protected: a later correction of the kind must not expose them.
        identity_protected: state.identity_protected || kind == PetitionKind::Denunciation,
        deadlines,
    }
    .into())
}

pub(super) fn forward(step: &Step, c: &Forward) -> Result<Event, DomainError> {
    if step.status() != Status::OutsideCompetence {
        return Err(
            step.illegal("only a petition classified outside the agency's competence is forwarded")
        );
    }
    let from = step.current_agency()?.clone();
    if c.to_agency == from {
        return Err(DomainError::ForwardToSameAgency(from));
    }
    let to = step.agency(&c.to_agency)?;
    // Forwarding timeliness is measured against the forwarding deadline (denunciations, LTC art. 24(2)),
    // else against the triage deadline.
    let measured = step
        .tracked(DeadlineKey::Forward)
        .or_else(|| step.tracked(DeadlineKey::Handling));
    let on_time = measured
        .filter(|t| t.status.is_pending())
        .map(|t| step.on() <= t.deadline.due);
    let mut deadlines = DeadlineChanges::default();
    step.complete(&mut deadlines, DeadlineKey::Forward);
    step.complete(&mut deadlines, DeadlineKey::Handling);
    // Forwarding is one of the answers the desk owes a citizen received in person (LTCD art. 28(1)).
    step.complete(&mut deadlines, DeadlineKey::Reply);
    Ok(PetitionForwarded {
        occurred_on: step.on(),
        from_agency: from,
        to_agency: to.code.clone(),
        reason: c.reason.clone(),
        on_time,
        deadlines,
    }
    .into())
}

pub(super) fn receive_forwarded(step: &Step) -> Result<Event, DomainError> {
    let Some(target) = step
        .state
        .forwarded_to
        .as_ref()
        .filter(|_| step.status() == Status::Forwarded)
    else {
        return Err(step.illegal("only a forwarded petition can be recorded as arrived"));
    };
    let agency = step.agency(target)?;
    let variant = Variant {
        remote: agency.remote,
        ..Variant::default()
    };
    let mut deadlines = DeadlineChanges::default();
    // The competent agency's triage clock starts on arrival there.
    deadlines.started.insert(
        DeadlineKey::Handling,
        step.compute(handling_rule(step.kind()), step.on(), variant)?,
    );
    Ok(ForwardedPetitionReceived {
        occurred_on: step.on(),
        agency: agency.code.clone(),
        level: agency.level,
        remote: agency.remote,
        deadlines,
    }
    .into())
}

pub(super) fn guide(step: &Step, c: &Guide) -> Result<Event, DomainError> {
    if step.state.guided_once {
        return Err(DomainError::GuidedAlready);
    }
    // Once per content: a repeat petition whose earlier case was guided is filed, not guided again.
    if let Some(related) = step.ctx.related {
        if related.case_id.is_none() || related.case_id != step.state.related_case {
            return Err(DomainError::InvalidInput(format!(
                "the related case supplied ({}) is not the case this petition repeats ({})",
                related.case_id.map(|id| id.to_string()).unwrap_or_default(),
                step.state
                    .related_case
                    .map(|id| id.to_string())
                    .unwrap_or_else(|| "none".to_owned())
            )));
        }
        if related.guided_once {
            return Err(DomainError::GuidedAlready);
        }
    }
    if step.status() != Status::OutsideCompetence {
        return Err(step.illegal(
            "the petitioner is guided only when the petition is outside the agency's competence",
        ));
    }
    if step.kind() == PetitionKind::Denunciation && step.state.channel != Some(Channel::InPerson) {
        return Err(step.illegal(
            "a denunciation outside competence that was not made in person must be forwarded (LTC art. 24(2))",
        ));
    }
    let mut deadlines = DeadlineChanges::default();
    step.complete(&mut deadlines, DeadlineKey::Handling);
    // Guiding the citizen answers them (LTCD art. 28(1)): the reply clock closes.
    step.complete(&mut deadlines, DeadlineKey::Reply);
    step.close_open(
        &mut deadlines,
        DeadlineKey::Forward,
        DeadlineStatus::Cancelled { on: step.on() },
    );
    Ok(PetitionGuided {
        occurred_on: step.on(),
        guidance: c.guidance.clone(),
        deadlines,
    }
    .into())
}

pub(super) fn file(step: &Step, c: &FileWithoutProcessing) -> Result<Event, DomainError> {
    if !matches!(
        step.status(),
        Status::Received | Status::Classified | Status::OutsideCompetence
    ) {
        return Err(step.illegal("a petition is filed without processing only during triage"));
    }
    let mut deadlines = DeadlineChanges::default();
    step.complete(&mut deadlines, DeadlineKey::Handling);
    for key in [DeadlineKey::Accept, DeadlineKey::Forward] {
        step.close_open(
            &mut deadlines,
            key,
            DeadlineStatus::Cancelled { on: step.on() },
        );
    }
    Ok(PetitionFiled {
        occurred_on: step.on(),
        reason: c.reason,
        note: c.note.clone(),
        deadlines,
    }
    .into())
}
