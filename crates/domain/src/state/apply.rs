//! Folding events into state. `apply` is total: it never fails and never computes a deadline; it copies
//! what each event carries, so a replay years later rebuilds exactly the state the officers saw.

use super::{CaseState, DecisionSummary, Status, TrackedDeadline};
use crate::event::{DeadlineChanges, Event};
use crate::{DeadlineStatus, Instance};

impl CaseState {
    /// Folds a case's events, in order, from the empty state.
    pub fn fold<'a>(events: impl IntoIterator<Item = &'a Event>) -> CaseState {
        let mut state = CaseState::default();
        for event in events {
            state.apply(event);
        }
        state
    }

    /// Applies one event. Bumps `version` by one.
    pub fn apply(&mut self, event: &Event) {
        self.version += 1;
        // A watcher's record of a miss is an observation dated the day it is made, not a step of the case:
        // a step that happened earlier can still be recorded after it, with its real date (backlog entry).
        if !matches!(
            event,
            Event::DeadlineMissed(_) | Event::DeadlineCorrected(_)
        ) {
            self.last_step_on = Some(event.occurred_on());
        }
        match event {
            Event::PetitionReceived(e) => {
                self.case_id = Some(e.case_id);
                self.tracking_code = Some(e.tracking_code.clone());
                self.kind = Some(e.kind);
                self.channel = Some(e.channel);
                self.status = Status::Received;
                self.receiving_agency = Some(e.receiving_agency.clone());
                self.current_agency = Some(e.receiving_agency.clone());
                self.level = Some(e.level);
                self.remote = e.remote;
                self.signatory_count = e.signatory_count;
                self.is_group = e.is_group;
                self.identity_protected = e.identity_protected;
                self.related_case = e.related_case;
                self.decision_date_learned = e.decision_date_learned;
                self.contested = e.contested;
                self.limitation_obstacles
                    .clone_from(&e.limitation_obstacles);
                self.referrer.clone_from(&e.referrer);
                self.received_on = Some(e.occurred_on);
                self.arrived_on = Some(e.occurred_on);
                self.petitioners.clone_from(&e.petitioners);
            }
            Event::PetitionClassified(e) => {
                self.kind = Some(e.kind);
                self.within_competence = Some(e.within_competence);
                self.competent_agency.clone_from(&e.competent_agency);
                self.complexity = e.complexity;
                self.identity_protected = e.identity_protected;
                self.status = if e.within_competence {
                    Status::Classified
                } else {
                    Status::OutsideCompetence
                };
            }
            Event::PetitionForwarded(e) => {
                self.forwarded_to = Some(e.to_agency.clone());
                self.forwards += 1;
                self.status = Status::Forwarded;
            }
            Event::ForwardedPetitionReceived(e) => {
                self.current_agency = Some(e.agency.clone());
                self.forwarded_to = None;
                self.level = Some(e.level);
                self.remote = e.remote;
                self.within_competence = None;
                self.competent_agency = None;
                self.arrived_on = Some(e.occurred_on);
                self.status = Status::Received;
            }
            Event::PetitionGuided(_) => {
                self.guided_once = true;
                self.status = Status::Guided;
            }
            Event::PetitionFiled(_) => self.status = Status::Filed,
            Event::PetitionAccepted(e) => {
                self.instance = e.instance;
                self.competent_agency = Some(e.agency.clone());
                self.accepted_on = Some(e.occurred_on);
                self.status = Status::Accepted;
            }
            Event::AcceptanceRefused(_) => self.status = Status::Refused,
            Event::VerificationStarted(_) => self.status = Status::UnderVerification,
            Event::FindingRecorded(_)
            | Event::DialogueHeld(_)
            | Event::NoticeSent(_)
            | Event::ConclusionPublished(_)
            | Event::DeadlineMissed(_)
            | Event::DeadlineCorrected(_) => {}
            Event::DeadlineExtended(e) => {
                self.extensions += 1;
                if let Some(c) = e.complexity {
                    self.complexity = c;
                }
            }
            Event::CaseSuspended(e) => {
                self.suspended_since = Some(e.occurred_on);
                self.resume_to = Some(e.resume_to);
                self.status = Status::Suspended;
            }
            Event::CaseResumed(e) => {
                self.suspended_since = None;
                self.resume_to = None;
                self.status = e.resume_to;
            }
            Event::DecisionIssued(e) => {
                self.decisions.push(DecisionSummary {
                    instance: e.instance,
                    agency: e.agency.clone(),
                    outcome: e.outcome,
                    decision_number: e.decision_number.clone(),
                    issued_on: e.occurred_on,
                    on_time: e.on_time,
                });
                self.status = Status::Decided;
            }
            Event::AppealLodged(e) => {
                self.appeals += 1;
                self.instance = Instance::Second;
                self.move_to(&e.to_agency, e.level, e.remote);
                self.status = Status::Appealed;
            }
            Event::ReDenunciationLodged(e) => {
                self.re_denunciations += 1;
                self.instance = Instance::Second;
                self.move_to(&e.to_agency, e.level, e.remote);
                self.status = Status::ReDenounced;
            }
            Event::LawsuitNoted(_) => self.status = Status::InLitigation,
            Event::PetitionWithdrawn(_) => self.leave_suspension(Status::Withdrawn),
            Event::CaseTerminated(_) => self.leave_suspension(Status::Terminated),
            Event::DecisionTookEffect(_) => self.status = Status::Effective,
            Event::DecisionExecuted(_) => self.status = Status::Executed,
            Event::CaseClosed(_) => self.status = Status::Closed,
        }
        self.apply_deadlines(event.deadlines());
    }

    fn move_to(&mut self, agency: &crate::AgencyCode, level: crate::Level, remote: bool) {
        self.current_agency = Some(agency.clone());
        self.competent_agency = Some(agency.clone());
        self.level = Some(level);
        self.remote = remote;
    }

    /// Withdrawal and termination end a suspension too.
    fn leave_suspension(&mut self, status: Status) {
        self.suspended_since = None;
        self.resume_to = None;
        self.status = status;
    }

    fn apply_deadlines(&mut self, changes: &DeadlineChanges) {
        for (key, deadline) in &changes.started {
            // A replaced deadline (extended, paused, restarted) keeps running: it is open again. Replacing
            // a deadline recorded as missed (by a backdated adjustment) keeps the day of that miss.
            let missed_on = self.deadlines.get(key).and_then(|t| match t.status {
                DeadlineStatus::Missed { on } => Some(on),
                DeadlineStatus::Open => t.missed_on,
                _ => None,
            });
            self.deadlines.insert(
                *key,
                TrackedDeadline {
                    deadline: deadline.clone(),
                    status: DeadlineStatus::Open,
                    missed_on,
                },
            );
        }
        for (key, status) in &changes.closed {
            if let Some(tracked) = self.deadlines.get_mut(key) {
                if let DeadlineStatus::Missed { on } = tracked.status {
                    tracked.missed_on = Some(on);
                }
                tracked.status = *status;
            }
        }
    }
}
