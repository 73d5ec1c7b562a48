//! Realistic event histories built with the real `domain::decide`, the shipped rulebook and agency
//! directory, either as in-memory recorded events (fast, for big scenarios) or appended to a store.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use domain::{
    Accept, AgencyCode, CaseId, CaseState, Channel, Classify, Clocks, Command, ComplexityCriteria,
    DecideContext, Event, FullName, IssueDecision, Outcome, Person, PetitionKind, Petitioners,
    Receive, StaticAgencyDirectory, Subject, Text, TrackingCode, decide,
};
use store::{
    CommandMeta, EventMetadata, EventStore, ExpectedVersion, NewEvent, RecordedEvent, StreamId,
};
use uuid::Uuid;

pub fn clocks() -> &'static Clocks {
    static C: OnceLock<Clocks> = OnceLock::new();
    C.get_or_init(Clocks::embedded)
}

pub fn agencies() -> &'static StaticAgencyDirectory {
    static A: OnceLock<StaticAgencyDirectory> = OnceLock::new();
    A.get_or_init(StaticAgencyDirectory::embedded)
}

pub fn date(s: &str) -> NaiveDate {
    s.parse().expect("valid test date")
}

pub fn text(s: &str) -> Text {
    Text::parse(s).expect("valid text")
}

pub fn agency(s: &str) -> AgencyCode {
    AgencyCode::parse(s).expect("valid agency")
}

pub fn receive(kind: PetitionKind, at: &str, signatories: u32, n: u64) -> Command {
    let person = Person {
        full_name: FullName::parse("Nguyễn Văn An").expect("name"),
        address: None,
        phone: None,
        email: None,
        national_id: None,
        preferred_language: None,
    };
    // A group petition (5+ signatories) names its representatives.
    let representatives = if signatories >= domain::GROUP_THRESHOLD {
        vec![0]
    } else {
        vec![]
    };
    Command::Receive(Receive {
        kind,
        channel: Channel::Mail,
        receiving_agency: agency(at),
        subject: Subject::parse("Land recovery compensation").expect("subject"),
        content: text(
            "The compensation decided for the recovered plot is below the land price table.",
        ),
        petitioners: Petitioners {
            signatories: vec![person],
            representatives,
        },
        signatory_count: signatories,
        related_case: None,
        decision_date_learned: None,
        contested: Default::default(),
        limitation_obstacles: Vec::new(),
        tracking_code: TrackingCode::generate(kind, 2026, n.to_be_bytes()),
        referrer: None,
    })
}

pub fn classify(within: bool) -> Command {
    Command::Classify(Classify {
        kind: None,
        within_competence: within,
        competent_agency: None,
        complexity: ComplexityCriteria::default(),
    })
}

pub fn accept() -> Command {
    Command::Accept(Accept {})
}

pub fn decide_with(outcome: Outcome) -> Command {
    Command::IssueDecision(IssueDecision {
        outcome,
        summary: text("Decided after verification."),
        decision_number: "15/QD-UBND".into(),
    })
}

/// A growing history of many cases, in global order.
#[derive(Debug, Default)]
pub struct History {
    pub events: Vec<RecordedEvent>,
    states: HashMap<CaseId, CaseState>,
    hashes: HashMap<CaseId, String>,
    next: u64,
}

impl History {
    pub fn new() -> Self {
        Self::default()
    }

    /// Opens a case; returns its id.
    pub fn receive(&mut self, kind: PetitionKind, at: &str, on: &str, signatories: u32) -> CaseId {
        self.next += 1;
        let id = CaseId::from_uuid(Uuid::from_u128(
            0x0190_0000_0000_7000_8000_0000_0000_0000 + u128::from(self.next),
        ));
        let cmd = receive(kind, at, signatories, self.next);
        self.step(id, on, cmd);
        id
    }

    /// Decides `cmd` on the case; panics if the law refuses it (a test history must be legal).
    pub fn step(&mut self, id: CaseId, on: &str, cmd: Command) -> Vec<Event> {
        self.try_step(id, on, cmd.clone())
            .unwrap_or_else(|e| panic!("step {} on {on} refused: {e}", cmd.name()))
    }

    pub fn try_step(
        &mut self,
        id: CaseId,
        on: &str,
        cmd: Command,
    ) -> Result<Vec<Event>, domain::DomainError> {
        let on = date(on);
        let state = self.states.entry(id).or_default();
        let ctx = DecideContext {
            case_id: id,
            step_date: on,
            today: on,
            clocks: clocks(),
            agencies: agencies(),
            related: None,
        };
        let events = decide(state, &cmd, &ctx)?;
        for e in &events {
            state.apply(e);
            let stored = e.to_stored();
            let position = i64::try_from(self.events.len()).expect("fits") + 1;
            let prev = self
                .hashes
                .get(&id)
                .cloned()
                .unwrap_or_else(|| "0".repeat(64));
            let hash = format!("{position:064x}");
            self.hashes.insert(id, hash.clone());
            self.events.push(RecordedEvent {
                event_id: Uuid::now_v7(),
                stream_id: StreamId::for_case(id.into()),
                version: state.version,
                global_position: position,
                transaction_id: 0,
                recorded_at: noon(on),
                event_type: stored.event_type.to_owned(),
                schema_version: stored.schema_version,
                payload: stored.payload,
                personal: None,
                metadata: EventMetadata {
                    command_id: Uuid::now_v7(),
                    actor: "officer".into(),
                    correlation_id: Uuid::now_v7(),
                    causation_id: None,
                    rulebook_version: Some(clocks().rulebook.version.clone()),
                },
                prev_hash: prev,
                hash,
            });
        }
        Ok(events)
    }

    pub fn state(&self, id: CaseId) -> &CaseState {
        &self.states[&id]
    }

    /// Appends every event not yet appended, one append per run of consecutive events of a case.
    pub async fn append_to(&self, store: &Arc<dyn EventStore>, from: usize) {
        let mut i = from;
        while i < self.events.len() {
            let first = &self.events[i];
            let mut j = i + 1;
            while j < self.events.len() && self.events[j].stream_id == first.stream_id {
                j += 1;
            }
            let expected = if first.version == 1 {
                ExpectedVersion::NoStream
            } else {
                ExpectedVersion::Exact(first.version - 1)
            };
            let batch = self.events[i..j]
                .iter()
                .map(|e| NewEvent {
                    event_id: e.event_id,
                    event_type: e.event_type.clone(),
                    schema_version: e.schema_version,
                    payload: e.payload.clone(),
                    personal: None,
                })
                .collect();
            let meta = CommandMeta {
                command_id: Uuid::now_v7(),
                fingerprint: None,
                actor: "officer".into(),
                correlation_id: Uuid::now_v7(),
                causation_id: None,
                rulebook_version: None,
            };
            store
                .append(&first.stream_id, expected, batch, &meta)
                .await
                .expect("append");
            i = j;
        }
    }
}

/// Noon in Vietnam on a local date.
pub fn noon(on: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&on.and_hms_opt(5, 0, 0).expect("valid time"))
}
