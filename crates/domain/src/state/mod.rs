//! The state of one case, as folded from its events: what `decide` needs to judge the next command, and
//! what public views show (minus personal data).

mod apply;

use std::collections::BTreeMap;

use chrono::NaiveDate;
use clock::{Complexity, Deadline};
use serde::{Deserialize, Serialize};

use crate::{
    AgencyCode, CaseId, Channel, DeadlineKey, Instance, Level, Outcome, PetitionKind, Petitioners,
    TrackingCode,
};

/// Where a case stands in its lifecycle (see `docs/domain.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Status {
    /// No event yet.
    #[default]
    New,
    /// Received by the agency now holding it (first receipt, or arrival after forwarding); awaiting triage.
    Received,
    /// Classified within the agency's competence: to be accepted or refused.
    Classified,
    /// Classified outside the agency's competence: to be forwarded, guided or filed.
    OutsideCompetence,
    /// Sent to another agency, not yet recorded as arrived there.
    Forwarded,
    /// The petitioner was told where to go; the case only awaits closing.
    Guided,
    /// Filed without processing; the case only awaits closing.
    Filed,
    /// Acceptance refused with a legal ground; the case only awaits closing.
    Refused,
    /// Accepted for resolution; the decision clock runs.
    Accepted,
    UnderVerification,
    /// Resolution suspended; its clock stands still.
    Suspended,
    /// A decision, conclusion or answer was issued.
    Decided,
    /// A second-instance complaint was lodged; the superior must accept or refuse it.
    Appealed,
    /// A re-denunciation was lodged; the superior reviews the handling.
    ReDenounced,
    /// The complainant went to court; the administrative track stops.
    InLitigation,
    /// The complaint decision took legal effect.
    Effective,
    /// The decision was executed or the conclusion acted on.
    Executed,
    /// The petitioner withdrew; the resolution is to be terminated.
    Withdrawn,
    /// Final: the resolution was terminated.
    Terminated,
    /// Final: the case file is closed.
    Closed,
}

impl Status {
    /// Nothing may happen to a case after it is closed or terminated.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Closed | Self::Terminated)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Received => "received",
            Self::Classified => "classified",
            Self::OutsideCompetence => "outside_competence",
            Self::Forwarded => "forwarded",
            Self::Guided => "guided",
            Self::Filed => "filed",
            Self::Refused => "refused",
            Self::Accepted => "accepted",
            Self::UnderVerification => "under_verification",
            Self::Suspended => "suspended",
            Self::Decided => "decided",
            Self::Appealed => "appealed",
            Self::ReDenounced => "re_denounced",
            Self::InLitigation => "in_litigation",
            Self::Effective => "effective",
            Self::Executed => "executed",
            Self::Withdrawn => "withdrawn",
            Self::Terminated => "terminated",
            Self::Closed => "closed",
        }
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where one deadline stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum DeadlineStatus {
    /// Running.
    Open,
    /// The step was done on `on`, on or before the due date.
    Met { on: NaiveDate },
    /// The step was done on `on`, after the due date.
    Late { on: NaiveDate },
    /// Recorded on `on` as passed with the step undone; becomes `Late` if the step is done afterwards.
    Missed { on: NaiveDate },
    /// No longer relevant since `on` (the case left the agency, was withdrawn, closed, …).
    Cancelled { on: NaiveDate },
}

impl DeadlineStatus {
    /// Still waiting for its step: open, or missed but not yet done.
    pub fn is_pending(self) -> bool {
        matches!(self, Self::Open | Self::Missed { .. })
    }
}

/// A deadline as the case tracks it: the computed deadline (with its explanation) and its status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TrackedDeadline {
    /// The computed deadline: rule id and version, count, due date, skipped days, explanation.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub deadline: Deadline,
    pub status: DeadlineStatus,
    /// The day a miss of this deadline was recorded, kept after the step is done or the deadline is
    /// replaced. A watcher's miss is dated the day it is recorded; a step keyed in later with an earlier
    /// real date (backlog entry) supersedes it: see [`TrackedDeadline::superseded_miss`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missed_on: Option<NaiveDate>,
}

impl TrackedDeadline {
    /// The day of a recorded miss that no longer stands, because the step (or an adjustment of the
    /// period, such as a suspension) happened before that day. The `deadline.missed` event stays in the
    /// history; views show it as superseded and judge the deadline by its status (met or late by the
    /// step's real date).
    pub fn superseded_miss(&self) -> Option<NaiveDate> {
        let missed_on = self.missed_on?;
        let superseded = match self.status {
            // Replaced after the miss by a period adjusted with an earlier date (suspension, extension).
            DeadlineStatus::Open => true,
            DeadlineStatus::Met { on }
            | DeadlineStatus::Late { on }
            | DeadlineStatus::Cancelled { on } => on < missed_on,
            // Missed again after such a replacement: the earlier miss is superseded, the new one stands.
            DeadlineStatus::Missed { on } => on != missed_on,
        };
        superseded.then_some(missed_on)
    }
}

/// One decision, conclusion or answer issued in the case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DecisionSummary {
    pub instance: Instance,
    pub agency: AgencyCode,
    pub outcome: Outcome,
    pub decision_number: String,
    pub issued_on: NaiveDate,
    /// Whether it met the decision deadline; `None` when there was none (recommendations, feedback).
    pub on_time: Option<bool>,
}

/// Everything `decide` needs about a case, folded from its events by [`CaseState::apply`].
///
/// Serializing it gives the public view: the petitioners are never serialized; read them through
/// [`CaseState::petitioners`] where the caller's role allows. It deserializes back to the same state minus
/// the petitioners (the read models keep it as their snapshot); an unknown field is refused, so a snapshot
/// of another shape is refolded from the store rather than read wrongly.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CaseState {
    /// Number of events applied; the stream version the next append expects.
    pub version: u64,
    pub case_id: Option<CaseId>,
    pub tracking_code: Option<TrackingCode>,
    pub kind: Option<PetitionKind>,
    pub channel: Option<Channel>,
    pub status: Status,
    pub instance: Instance,
    pub receiving_agency: Option<AgencyCode>,
    /// The agency found competent (set by classification, appeal or re-denunciation).
    pub competent_agency: Option<AgencyCode>,
    /// The agency that holds the case now.
    pub current_agency: Option<AgencyCode>,
    /// The agency a forwarded petition is on its way to.
    pub forwarded_to: Option<AgencyCode>,
    /// The level of the current agency.
    pub level: Option<Level>,
    /// Whether the current agency is in a remote area (selects the longer complaint periods).
    pub remote: bool,
    pub within_competence: Option<bool>,
    pub signatory_count: u32,
    pub is_group: bool,
    pub identity_protected: bool,
    pub related_case: Option<CaseId>,
    pub decision_date_learned: Option<NaiveDate>,
    /// Complaints: what is contested; selects the limitation period (LKN arts. 9, 48). Defaulted so that a
    /// snapshot written before the field existed still reads.
    #[serde(default)]
    pub contested: crate::Contested,
    /// Complaints: obstacles not counted in the limitation period, as recorded with the petition.
    #[serde(default)]
    pub limitation_obstacles: Vec<crate::LimitationObstacle>,
    pub referrer: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "normal"))]
    pub complexity: Complexity,
    /// The first receipt of the petition.
    pub received_on: Option<NaiveDate>,
    /// The arrival at the current agency (the first receipt, or the arrival after forwarding).
    pub arrived_on: Option<NaiveDate>,
    /// The latest acceptance (first instance, second instance or re-handling).
    pub accepted_on: Option<NaiveDate>,
    pub deadlines: BTreeMap<DeadlineKey, TrackedDeadline>,
    pub appeals: u32,
    pub re_denunciations: u32,
    pub extensions: u32,
    pub forwards: u32,
    pub guided_once: bool,
    pub last_step_on: Option<NaiveDate>,
    pub decisions: Vec<DecisionSummary>,
    pub suspended_since: Option<NaiveDate>,
    /// The status a suspended case returns to.
    pub resume_to: Option<Status>,
    #[serde(skip)]
    petitioners: Option<Petitioners>,
}

impl CaseState {
    /// The petitioners' personal data, when known and not erased. Never part of the serialized state:
    /// the caller decides who may see it (a denouncer's identity is protected, LTC art. 47).
    pub fn petitioners(&self) -> Option<&Petitioners> {
        self.petitioners.as_ref()
    }

    /// Whether a case exists (at least one event).
    pub fn exists(&self) -> bool {
        self.version > 0
    }

    /// A tracked deadline by key.
    pub fn deadline(&self, key: DeadlineKey) -> Option<&TrackedDeadline> {
        self.deadlines.get(&key)
    }

    /// Whether the deadline under `key` is a duty still waiting for its step, the only kind of deadline
    /// that can be overdue:
    /// - a duty of the agency: never a period running for the petitioner (the appeal window, the effect
    ///   period; see [`DeadlineKey::is_obligation`]);
    /// - still pending: open, or recorded as missed and not done since (a recorded miss stays overdue
    ///   until the step is done: it then becomes late, or met when the step is backdated before the due
    ///   date);
    /// - not paused: while the case is suspended its open clocks stand still (they are replaced on
    ///   resumption), but a deadline already recorded as missed stays missed; the notice of the
    ///   suspension itself runs ([`DeadlineKey::pauses_while_suspended`]);
    /// - of a case that is not over (closed or terminated).
    pub fn is_pending_duty(&self, key: DeadlineKey) -> bool {
        let Some(t) = self.deadlines.get(&key) else {
            return false;
        };
        let paused = self.status == Status::Suspended
            && t.status == DeadlineStatus::Open
            && key.pauses_while_suspended();
        key.is_obligation() && t.status.is_pending() && !paused && !self.status.is_final()
    }

    /// THE definition of "overdue", which every view calls (case view, replay, case list, watchlist,
    /// statistics, tracking, notifier): the calendar days by which the duty under `key` is past its due
    /// date on `today`, or `None` when it is not overdue. A step is overdue from the day after its due
    /// date, so `Some(n)` always has `n >= 1`. See [`CaseState::is_pending_duty`] for which deadlines count.
    pub fn days_overdue(&self, key: DeadlineKey, today: NaiveDate) -> Option<i64> {
        if !self.is_pending_duty(key) {
            return None;
        }
        let due = self.deadlines.get(&key)?.deadline.due;
        let days = (today - due).num_days();
        (days > 0).then_some(days)
    }

    /// Whether the duty under `key` is overdue on `today` (see [`CaseState::days_overdue`]).
    pub fn is_overdue(&self, key: DeadlineKey, today: NaiveDate) -> bool {
        self.days_overdue(key, today).is_some()
    }

    /// Every overdue duty on `today` with its days overdue, in key order.
    pub fn overdue(&self, today: NaiveDate) -> Vec<(DeadlineKey, i64)> {
        self.deadlines
            .keys()
            .filter_map(|&key| self.days_overdue(key, today).map(|days| (key, days)))
            .collect()
    }

    /// The earliest due date among the pending duties (overdue or not); `None` when nothing is due.
    /// The case is overdue on `today` exactly when this date is before `today`.
    pub fn pending_due(&self) -> Option<NaiveDate> {
        self.deadlines
            .iter()
            .filter(|(key, _)| self.is_pending_duty(**key))
            .map(|(_, t)| t.deadline.due)
            .min()
    }

    /// The deadlines the watcher should record as missed on `today`: the overdue duties not yet recorded
    /// as missed. Empty while the case is suspended (its clocks stand still) or over.
    pub fn overdue_deadlines(&self, today: NaiveDate) -> Vec<DeadlineKey> {
        self.overdue(today)
            .into_iter()
            .filter(|(key, _)| {
                self.deadlines
                    .get(key)
                    .is_some_and(|t| t.status == DeadlineStatus::Open)
            })
            .map(|(key, _)| key)
            .collect()
    }

    /// The latest decision issued, if any.
    pub fn last_decision(&self) -> Option<&DecisionSummary> {
        self.decisions.last()
    }
}
