//! The rules a recorded history must obey, checked after every event.

use domain::{CaseState, DeadlineKey, DeadlineStatus, Event, PetitionKind, Status};
use proptest::prelude::*;

/// The rules a recorded history must obey, checked event by event.
#[derive(Default)]
pub struct Law {
    accepted_in_round: bool,
    decided_in_round: bool,
    acceptances: usize,
    ever_denunciation: bool,
}

impl Law {
    pub fn check_event(&mut self, before: &CaseState, event: &Event) -> Result<(), TestCaseError> {
        let on = event.occurred_on();
        prop_assert!(
            before.last_step_on.is_none_or(|last| on >= last),
            "history out of order"
        );
        let kind = before.kind;
        match event {
            Event::PetitionAccepted(_) => {
                prop_assert_ne!(
                    before.status,
                    Status::Withdrawn,
                    "accepted after withdrawal"
                );
                prop_assert!(!self.accepted_in_round, "accepted twice in one round");
                self.accepted_in_round = true;
                self.acceptances += 1;
            }
            Event::DecisionIssued(_) => {
                prop_assert!(
                    self.accepted_in_round && !self.decided_in_round,
                    "decided without a fresh acceptance"
                );
                prop_assert!(matches!(
                    before.status,
                    Status::Accepted | Status::UnderVerification
                ));
                self.decided_in_round = true;
            }
            Event::AppealLodged(_) => {
                prop_assert_eq!(kind, Some(PetitionKind::Complaint));
                prop_assert_eq!(before.appeals, 0, "appealed twice");
                (self.accepted_in_round, self.decided_in_round) = (false, false);
            }
            Event::ReDenunciationLodged(_) => {
                prop_assert_eq!(kind, Some(PetitionKind::Denunciation));
                (self.accepted_in_round, self.decided_in_round) = (false, false);
            }
            Event::LawsuitNoted(_) | Event::DecisionTookEffect(_) | Event::DialogueHeld(_) => {
                prop_assert_eq!(kind, Some(PetitionKind::Complaint));
            }
            Event::DeadlineMissed(e) => {
                prop_assert!(on > e.due, "missed on {on}, due {}", e.due);
                prop_assert_ne!(before.status, Status::Suspended);
                prop_assert_eq!(
                    before.deadlines.get(&e.deadline).map(|t| t.status),
                    Some(DeadlineStatus::Open)
                );
            }
            _ => {}
        }
        if let Event::DecisionTookEffect(_) = event {
            let effect = before
                .deadlines
                .get(&DeadlineKey::TakeEffect)
                .map(|t| t.deadline.due);
            prop_assert!(
                effect.is_some_and(|due| on > due),
                "took effect before its period passed"
            );
        }
        Ok(())
    }

    pub fn check_state(&mut self, s: &CaseState, events: usize) -> Result<(), TestCaseError> {
        prop_assert_eq!(s.version, events as u64);
        prop_assert_eq!(
            s.is_group,
            s.signatory_count >= 5,
            "group flag without five signatories"
        );
        self.ever_denunciation |= s.kind == Some(PetitionKind::Denunciation);
        prop_assert!(
            !self.ever_denunciation || s.identity_protected,
            "a denouncer lost protection"
        );
        prop_assert!(s.appeals <= 1);
        prop_assert!(s.appeals == 0 || s.kind == Some(PetitionKind::Complaint));
        prop_assert!(s.re_denunciations == 0 || s.kind == Some(PetitionKind::Denunciation));
        prop_assert_eq!(s.suspended_since.is_some(), s.status == Status::Suspended);
        prop_assert!(
            s.decisions.len() <= self.acceptances,
            "more decisions than acceptances"
        );
        if matches!(
            s.status,
            Status::Decided | Status::Effective | Status::Executed
        ) {
            prop_assert!(!s.decisions.is_empty());
        }
        if matches!(
            s.status,
            Status::Accepted | Status::UnderVerification | Status::Suspended | Status::Decided
        ) {
            prop_assert!(s.accepted_on.is_some());
        }
        if s.instance == domain::Instance::Second {
            prop_assert!(s.appeals + s.re_denunciations > 0);
        }
        for (key, t) in &s.deadlines {
            match t.status {
                DeadlineStatus::Met { on } if *key != DeadlineKey::TakeEffect => {
                    prop_assert!(on <= t.deadline.due, "{key} met after its due date")
                }
                DeadlineStatus::Late { on } | DeadlineStatus::Missed { on } => {
                    prop_assert!(
                        on > t.deadline.due,
                        "{key} late or missed before its due date"
                    )
                }
                _ => {}
            }
            if s.status.is_final() {
                prop_assert_ne!(
                    t.status,
                    DeadlineStatus::Open,
                    "{} still runs on a final case",
                    key
                );
            }
        }
        Ok(())
    }
}
