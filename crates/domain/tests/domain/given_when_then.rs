//! The test harness: a case built from past commands (given), one new command (when), and what the law
//! says about it (then). Everything runs against the shipped rulebook, calendars and agency directory.

use std::sync::OnceLock;

use chrono::NaiveDate;
use domain::{
    AgencyCode, CaseId, CaseState, Channel, Classify, Clocks, Command, ComplexityCriteria,
    DecideContext, DomainError, Event, FullName, IssueDecision, Outcome, Person, PetitionKind,
    Petitioners, Receive, StaticAgencyDirectory, Subject, Text, TrackingCode, decide,
};

pub fn clocks() -> &'static Clocks {
    static CLOCKS: OnceLock<Clocks> = OnceLock::new();
    CLOCKS.get_or_init(Clocks::embedded)
}

pub fn agencies() -> &'static StaticAgencyDirectory {
    static AGENCIES: OnceLock<StaticAgencyDirectory> = OnceLock::new();
    AGENCIES.get_or_init(StaticAgencyDirectory::embedded)
}

pub fn date(s: &str) -> NaiveDate {
    s.parse()
        .unwrap_or_else(|e| panic!("bad test date {s}: {e}"))
}

pub fn agency(s: &str) -> AgencyCode {
    AgencyCode::parse(s).expect("valid agency code")
}

pub fn text(s: &str) -> Text {
    Text::parse(s).expect("valid text")
}

pub fn person(name: &str) -> Person {
    Person {
        full_name: FullName::parse(name).expect("valid name"),
        address: Some("12 Hàng Bài, Hoàn Kiếm, Hà Nội".to_owned()),
        phone: Some("0912345678".parse().expect("valid phone")),
        email: Some("citizen@example.vn".parse().expect("valid email")),
        national_id: Some("001099012345".parse().expect("valid id")),
        preferred_language: None,
    }
}

/// A petition of `kind` received through `channel` at `agency`, signed by one person.
pub fn receive(kind: PetitionKind, channel: Channel, at: &str) -> Receive {
    Receive {
        kind,
        channel,
        receiving_agency: agency(at),
        subject: Subject::parse("Land recovery compensation in Hoàn Kiếm").expect("valid subject"),
        content: text(
            "The compensation decided for the recovered plot is below the land price table.",
        ),
        petitioners: Petitioners {
            signatories: vec![person("Nguyễn Văn An")],
            representatives: vec![],
        },
        signatory_count: 1,
        related_case: None,
        decision_date_learned: None,
        contested: Default::default(),
        limitation_obstacles: Vec::new(),
        tracking_code: TrackingCode::generate(kind, 2026, [9, 8, 7, 6, 5, 4, 3, 2]),
        referrer: (channel == Channel::Referral).then(|| "Báo Nhân Dân".to_owned()),
    }
}

pub fn complaint_at(at: &str) -> Receive {
    receive(PetitionKind::Complaint, Channel::InPerson, at)
}

pub fn within_competence() -> Classify {
    Classify {
        kind: None,
        within_competence: true,
        competent_agency: None,
        complexity: ComplexityCriteria::default(),
    }
}

pub fn outside_competence(competent: Option<&str>) -> Classify {
    Classify {
        kind: None,
        within_competence: false,
        competent_agency: competent.map(agency),
        complexity: ComplexityCriteria::default(),
    }
}

pub fn decision(outcome: Outcome, number: &str) -> IssueDecision {
    IssueDecision {
        outcome,
        summary: text("The contested decision is upheld in part."),
        decision_number: number.to_owned(),
    }
}

/// One case under test: its events so far and the state folded from them.
#[derive(Debug, Clone)]
pub struct Case {
    pub id: CaseId,
    pub events: Vec<Event>,
    pub state: CaseState,
    /// The real current date; defaults to the step date.
    pub today: Option<NaiveDate>,
    /// The earlier case this one repeats (`related_case`), as the service would load it.
    pub related: Option<CaseState>,
}

impl Default for Case {
    fn default() -> Self {
        Case {
            id: CaseId::from_uuid(uuid::Uuid::from_u128(
                0x0190_0000_0000_7000_8000_0000_0000_0001,
            )),
            events: vec![],
            state: CaseState::default(),
            today: None,
            related: None,
        }
    }
}

/// Starts a case with no history.
pub fn given() -> Case {
    Case::default()
}

impl Case {
    /// Decides `command` on `on`; records and applies the events when it is allowed.
    pub fn try_step(
        &mut self,
        on: &str,
        command: impl Into<Command>,
    ) -> Result<Vec<Event>, DomainError> {
        let on = date(on);
        let ctx = DecideContext {
            case_id: self.id,
            step_date: on,
            today: self.today.unwrap_or(on),
            clocks: clocks(),
            agencies: agencies(),
            related: self.related.as_ref(),
        };
        let events = decide(&self.state, &command.into(), &ctx)?;
        for event in &events {
            self.state.apply(event);
        }
        self.events.extend(events.iter().cloned());
        Ok(events)
    }

    /// A past step that must have been allowed.
    pub fn and(mut self, on: &str, command: impl Into<Command>) -> Self {
        let command = command.into();
        if let Err(e) = self.try_step(on, command.clone()) {
            panic!("given step `{}` on {on} was refused: {e}", command.name());
        }
        self
    }

    /// The step under test.
    pub fn when(mut self, on: &str, command: impl Into<Command>) -> Then {
        let before = self.state.clone();
        let result = self.try_step(on, command);
        Then {
            case: self,
            before,
            result,
        }
    }
}

/// What the law said about the step under test.
#[derive(Debug)]
pub struct Then {
    pub case: Case,
    pub before: CaseState,
    pub result: Result<Vec<Event>, DomainError>,
}

impl Then {
    /// The step was refused with the error of that code; the case is unchanged.
    pub fn then_refused(self, code: &str) -> DomainError {
        match self.result {
            Ok(events) => panic!(
                "expected `{code}`, but the step recorded {:?}",
                types(&events)
            ),
            Err(e) => {
                assert_eq!(e.code(), code, "refused for another reason: {e}");
                assert_eq!(
                    self.case.state, self.before,
                    "a refused step changed the case"
                );
                e
            }
        }
    }

    /// The step recorded events of exactly these types; returns them and the case after them.
    pub fn then_recorded(self, expected: &[&str]) -> (Vec<Event>, Case) {
        match self.result {
            Err(e) => panic!("expected {expected:?}, but the step was refused: {e}"),
            Ok(events) => {
                assert_eq!(types(&events), expected);
                (events, self.case)
            }
        }
    }
}

pub fn types(events: &[Event]) -> Vec<&'static str> {
    events.iter().map(Event::event_type).collect()
}
