//! Serde for a stored `CaseState`. The domain's state serializes (its public view) but does not
//! deserialize, so this mirror reads that JSON back. `deny_unknown_fields` turns a new domain field into a
//! decode error (the snapshot is then refused and the read model must be rebuilt, by bumping its
//! `VERSION`) instead of silently dropping the field.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use domain::{
    AgencyCode, CaseId, CaseState, Channel, Complexity, DeadlineKey, DecisionSummary, Instance,
    Level, PetitionKind, Status, TrackedDeadline, TrackingCode,
};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub fn serialize<S: Serializer>(state: &CaseState, s: S) -> Result<S::Ok, S::Error> {
    state.serialize(s)
}

pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<CaseState, D::Error> {
    Mirror::deserialize(d).map(Mirror::into_state)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Mirror {
    version: u64,
    case_id: Option<CaseId>,
    tracking_code: Option<TrackingCode>,
    kind: Option<PetitionKind>,
    channel: Option<Channel>,
    status: Status,
    instance: Instance,
    receiving_agency: Option<AgencyCode>,
    competent_agency: Option<AgencyCode>,
    current_agency: Option<AgencyCode>,
    forwarded_to: Option<AgencyCode>,
    level: Option<Level>,
    remote: bool,
    within_competence: Option<bool>,
    signatory_count: u32,
    is_group: bool,
    identity_protected: bool,
    related_case: Option<CaseId>,
    decision_date_learned: Option<NaiveDate>,
    // Added with the limitation obstacles (issue 11 item 7); absent from older snapshots.
    #[serde(default)]
    contested: domain::Contested,
    #[serde(default)]
    limitation_obstacles: Vec<domain::LimitationObstacle>,
    referrer: Option<String>,
    complexity: Complexity,
    received_on: Option<NaiveDate>,
    arrived_on: Option<NaiveDate>,
    accepted_on: Option<NaiveDate>,
    deadlines: BTreeMap<DeadlineKey, TrackedDeadline>,
    appeals: u32,
    re_denunciations: u32,
    extensions: u32,
    forwards: u32,
    guided_once: bool,
    last_step_on: Option<NaiveDate>,
    decisions: Vec<DecisionSummary>,
    suspended_since: Option<NaiveDate>,
    resume_to: Option<Status>,
}

impl Mirror {
    /// The petitioners are not in the snapshot (personal data never reaches a read model), so they stay
    /// `None`, which is what the default state holds.
    fn into_state(self) -> CaseState {
        let mut s = CaseState::default();
        s.version = self.version;
        s.case_id = self.case_id;
        s.tracking_code = self.tracking_code;
        s.kind = self.kind;
        s.channel = self.channel;
        s.status = self.status;
        s.instance = self.instance;
        s.receiving_agency = self.receiving_agency;
        s.competent_agency = self.competent_agency;
        s.current_agency = self.current_agency;
        s.forwarded_to = self.forwarded_to;
        s.level = self.level;
        s.remote = self.remote;
        s.within_competence = self.within_competence;
        s.signatory_count = self.signatory_count;
        s.is_group = self.is_group;
        s.identity_protected = self.identity_protected;
        s.related_case = self.related_case;
        s.decision_date_learned = self.decision_date_learned;
        s.contested = self.contested;
        s.limitation_obstacles = self.limitation_obstacles;
        s.referrer = self.referrer;
        s.complexity = self.complexity;
        s.received_on = self.received_on;
        s.arrived_on = self.arrived_on;
        s.accepted_on = self.accepted_on;
        s.deadlines = self.deadlines;
        s.appeals = self.appeals;
        s.re_denunciations = self.re_denunciations;
        s.extensions = self.extensions;
        s.forwards = self.forwards;
        s.guided_once = self.guided_once;
        s.last_step_on = self.last_step_on;
        s.decisions = self.decisions;
        s.suspended_since = self.suspended_since;
        s.resume_to = self.resume_to;
        s
    }
}

#[cfg(test)]
mod tests {
    use domain::{Contested, LimitationObstacle, ObstacleCause, Text};

    use super::*;

    #[test]
    fn a_snapshot_keeps_the_limitation_facts_and_older_snapshots_still_read() {
        let mut state = CaseState::default();
        state.contested = Contested::DisciplinaryDecision;
        state.limitation_obstacles = vec![LimitationObstacle {
            from: NaiveDate::from_ymd_opt(2026, 8, 3).unwrap_or_default(),
            to: NaiveDate::from_ymd_opt(2026, 8, 12).unwrap_or_default(),
            cause: ObstacleCause::Illness,
            evidence: Text::parse("Giấy ra viện số 15/BV").expect("text"),
        }];
        let mut json = serde_json::to_value(&state).expect("serializes");
        let back = deserialize(&json).expect("reads back");
        assert_eq!(back, state);
        // A snapshot written before the fields existed.
        if let Some(map) = json.as_object_mut() {
            map.remove("contested");
            map.remove("limitation_obstacles");
        }
        let old = deserialize(&json).expect("an older snapshot reads");
        assert_eq!(old.contested, Contested::AdministrativeDecision);
        assert!(old.limitation_obstacles.is_empty());
    }
}
