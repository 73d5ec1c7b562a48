//! What the read models keep per case, folded event by event: the domain's own `CaseState` (so the case
//! list shows exactly what the command side decides on) plus the facts the statistics count, split into
//! handling *episodes* — one per agency that held the case (first receipt, arrival after forwarding,
//! appeal or re-denunciation to a superior) — because the official forms count per agency.

use chrono::{DateTime, NaiveDate, Utc};
use domain::{
    CaseState, DeadlineKey, DeadlineStatus, Event, Instance, Level, Outcome, PetitionKind,
};
use serde::{Deserialize, Serialize};

/// How an episode's petition was resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Resolution {
    Decision,
    Withdrawal,
}

impl Resolution {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Decision => "decision",
            Self::Withdrawal => "withdrawal",
        }
    }
}

/// One agency's handling of the case: the facts the XLD/KQGQ forms count.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Episode {
    pub agency: String,
    pub kind: Option<PetitionKind>,
    pub level: Option<Level>,
    pub instance: Instance,
    pub received_on: NaiveDate,
    /// Classified (not filed without processing).
    pub eligible: bool,
    pub within_competence: Option<bool>,
    pub guided_on: Option<NaiveDate>,
    pub forwarded_on: Option<NaiveDate>,
    pub forwarded_on_time: Option<bool>,
    pub filed_on: Option<NaiveDate>,
    pub refused_on: Option<NaiveDate>,
    pub accepted_on: Option<NaiveDate>,
    pub resolved_on: Option<NaiveDate>,
    pub resolved_by: Option<Resolution>,
    pub outcome: Option<Outcome>,
    /// Resolved within the decision deadline; `None` when no deadline applied.
    pub on_time: Option<bool>,
    /// When the agency's handling ended (resolved, forwarded, guided, filed, refused, terminated, closed).
    pub ended_on: Option<NaiveDate>,
}

impl Episode {
    fn new(
        agency: String,
        state: &CaseState,
        level: Option<Level>,
        instance: Instance,
        on: NaiveDate,
    ) -> Self {
        Episode {
            agency,
            kind: state.kind,
            level,
            instance,
            received_on: on,
            eligible: false,
            within_competence: None,
            guided_on: None,
            forwarded_on: None,
            forwarded_on_time: None,
            filed_on: None,
            refused_on: None,
            accepted_on: None,
            resolved_on: None,
            resolved_by: None,
            outcome: None,
            on_time: None,
            ended_on: None,
        }
    }

    fn end(&mut self, on: NaiveDate) {
        if self.ended_on.is_none() {
            self.ended_on = Some(on);
        }
    }
}

/// Everything the read models derive their rows from, for one case. Stored as JSON as the case's snapshot
/// (the domain's own `CaseState` included); a snapshot of another shape fails to decode and the case is
/// refolded from the store.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseFold {
    pub state: CaseState,
    pub episodes: Vec<Episode>,
    pub last_event_at: Option<DateTime<Utc>>,
    /// The level of the agency that first received the petition.
    pub received_level: Option<Level>,
    /// The level of the agency that accepted it at first instance.
    pub competent_level: Option<Level>,
    pub effective_on: Option<NaiveDate>,
    /// The petitioner kept going (appeal, re-denunciation, lawsuit) after a decision took effect.
    pub continued_after_effect: bool,
}

impl CaseFold {
    /// Applies one event; `recorded_at` is when the store recorded it.
    pub fn apply(&mut self, event: &Event, recorded_at: DateTime<Utc>) {
        let on = event.occurred_on();
        self.apply_episode(event, on);
        if self.effective_on.is_some()
            && matches!(
                event,
                Event::AppealLodged(_) | Event::ReDenunciationLodged(_) | Event::LawsuitNoted(_)
            )
        {
            self.continued_after_effect = true;
        }
        match event {
            Event::PetitionReceived(e) => self.received_level = Some(e.level),
            Event::PetitionAccepted(e) if e.instance == Instance::First => {
                self.competent_level = self.state.level
            }
            Event::DecisionTookEffect(_) => self.effective_on = Some(on),
            _ => {}
        }
        self.state.apply(event);
        self.last_event_at = Some(recorded_at);
    }

    fn apply_episode(&mut self, event: &Event, on: NaiveDate) {
        let state = &self.state;
        match event {
            Event::PetitionReceived(e) => {
                let mut ep = Episode::new(
                    e.receiving_agency.to_string(),
                    state,
                    Some(e.level),
                    Instance::First,
                    on,
                );
                ep.kind = Some(e.kind);
                self.episodes.push(ep);
                return;
            }
            Event::ForwardedPetitionReceived(e) => {
                let ep = Episode::new(
                    e.agency.to_string(),
                    state,
                    Some(e.level),
                    state.instance,
                    on,
                );
                self.episodes.push(ep);
                return;
            }
            Event::AppealLodged(e) => {
                self.push_superior(e.to_agency.to_string(), e.level, on);
                return;
            }
            Event::ReDenunciationLodged(e) => {
                self.push_superior(e.to_agency.to_string(), e.level, on);
                return;
            }
            _ => {}
        }
        let decision_on_time = decision_on_time(state, on);
        let Some(ep) = self.episodes.last_mut() else {
            return;
        };
        match event {
            Event::PetitionClassified(e) => {
                ep.kind = Some(e.kind);
                ep.eligible = true;
                ep.within_competence = Some(e.within_competence);
            }
            Event::PetitionForwarded(e) => {
                ep.forwarded_on = Some(on);
                ep.forwarded_on_time = e.on_time;
                ep.end(on);
            }
            Event::PetitionGuided(_) => {
                ep.guided_on = Some(on);
                ep.end(on);
            }
            Event::PetitionFiled(_) => {
                ep.filed_on = Some(on);
                ep.eligible = false;
                ep.end(on);
            }
            Event::AcceptanceRefused(_) => {
                ep.refused_on = Some(on);
                ep.end(on);
            }
            Event::PetitionAccepted(_) => ep.accepted_on = Some(on),
            Event::DecisionIssued(e) if ep.resolved_on.is_none() => {
                ep.resolved_on = Some(on);
                ep.resolved_by = Some(Resolution::Decision);
                ep.outcome = Some(e.outcome);
                ep.on_time = e.on_time;
                ep.instance = e.instance;
                ep.end(on);
            }
            Event::PetitionWithdrawn(_) if ep.ended_on.is_none() => {
                // A withdrawal resolves a petition the agency was competent for (form KQGQ "rút đơn").
                if ep.within_competence == Some(true) {
                    ep.resolved_on = Some(on);
                    ep.resolved_by = Some(Resolution::Withdrawal);
                    ep.on_time = decision_on_time;
                }
                ep.end(on);
            }
            Event::CaseTerminated(_) | Event::CaseClosed(_) => ep.end(on),
            _ => {}
        }
    }

    /// An appeal or re-denunciation opens a second-instance episode at the superior, competent by law.
    fn push_superior(&mut self, agency: String, level: Level, on: NaiveDate) {
        let mut ep = Episode::new(agency, &self.state, Some(level), Instance::Second, on);
        ep.eligible = true;
        ep.within_competence = Some(true);
        self.episodes.push(ep);
    }

    /// Whether the case is still open (not closed or terminated).
    pub fn is_open(&self) -> bool {
        !self.state.status.is_final()
    }

    /// The earliest due date among the duties still waiting for their step; `None` when nothing is due.
    /// The domain's one definition ([`CaseState::pending_due`]): a suspended case's open clocks stand
    /// still, a recorded miss stays pending until the step is done, nothing is due on a case that is over.
    pub fn pending_due(&self) -> Option<NaiveDate> {
        self.state.pending_due()
    }
}

impl feed::case::Fold for CaseFold {
    fn apply(&mut self, recorded: &store::RecordedEvent, event: &Event) {
        CaseFold::apply(self, event, recorded.recorded_at);
    }
}

/// At a withdrawal: was the decision deadline (if any) still kept? Judged by the withdrawal's real date,
/// so a withdrawal keyed in after the watcher recorded a miss, but dated on or before the due date
/// (backlog entry), counts as on time: the miss is superseded.
fn decision_on_time(state: &CaseState, on: NaiveDate) -> Option<bool> {
    let tracked = state.deadline(DeadlineKey::Decision)?;
    Some(match tracked.status {
        DeadlineStatus::Late { .. } => false,
        _ => on <= tracked.deadline.due,
    })
}
