//! The facts a case records, one struct per event, named in the past tense.
//!
//! Every event carries the date the step happened (`occurred_on`) and, in `deadlines`, every deadline it
//! started, replaced or closed, exactly as computed then: replaying never recomputes a deadline. A stored
//! event is never reshaped; a change of shape is a new schema version with an upcaster (see `upcast`).

use chrono::NaiveDate;
use clock::{Complexity, SuspensionMode};
use serde::{Deserialize, Serialize};

use super::DeadlineChanges;
use crate::limitation::{Contested, LimitationObstacle};
use crate::{
    AgencyCode, CaseId, Channel, ComplexityCriteria, DeadlineKey, FilingReason, Instance,
    LegalGround, Level, Outcome, PetitionKind, Petitioners, Status, Subject, Text, TrackingCode,
};

/// Attaches the derives and the shared `occurred_on` / `deadlines` fields to every event struct.
macro_rules! event_struct {
    ($(#[$meta:meta])* pub struct $name:ident { $($body:tt)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        pub struct $name {
            /// The local (Vietnamese) date the step happened.
            pub occurred_on: NaiveDate,
            $($body)*
            /// Deadlines this step started, replaced or closed.
            #[serde(default, skip_serializing_if = "DeadlineChanges::is_empty")]
            pub deadlines: DeadlineChanges,
        }
    };
}

event_struct! {
    /// A petition arrived and a case was opened. Its petitioners are personal data, stored apart.
    pub struct PetitionReceived {
        pub case_id: CaseId,
        pub tracking_code: TrackingCode,
        pub kind: PetitionKind,
        pub channel: Channel,
        pub receiving_agency: AgencyCode,
        pub level: Level,
        pub remote: bool,
        pub subject: Subject,
        pub content: Text,
        pub signatory_count: u32,
        /// Five or more signatories: a group (mass) petition, reported and handled with priority.
        pub is_group: bool,
        /// A denunciation: the denouncer's identity must be kept secret (LTC art. 47).
        pub identity_protected: bool,
        pub related_case: Option<CaseId>,
        pub decision_date_learned: Option<NaiveDate>,
        /// Complaints: what is contested (absent: an administrative decision or act).
        #[serde(default, skip_serializing_if = "Contested::is_default")]
        pub contested: Contested,
        /// Complaints: obstacles whose time the limitation period does not count (LKN arts. 9, 48).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub limitation_obstacles: Vec<LimitationObstacle>,
        pub referrer: Option<String>,
        /// Never in the payload: `to_stored` moves it to the personal part; `None` once erased.
        #[serde(skip)]
        pub petitioners: Option<Petitioners>,
    }
}

event_struct! {
    /// The petition was classified: its kind (possibly corrected) and whether the agency is competent.
    pub struct PetitionClassified {
        pub kind: PetitionKind,
        pub within_competence: bool,
        pub competent_agency: Option<AgencyCode>,
        pub criteria: ComplexityCriteria,
        pub complexity: Complexity,
        pub identity_protected: bool,
    }
}

event_struct! {
    /// The petition was sent to another agency. `on_time` says whether forwarding met its deadline.
    pub struct PetitionForwarded {
        pub from_agency: AgencyCode,
        pub to_agency: AgencyCode,
        pub reason: Text,
        pub on_time: Option<bool>,
    }
}

event_struct! {
    /// The forwarded petition arrived at the agency it was sent to; triage starts again there.
    pub struct ForwardedPetitionReceived {
        pub agency: AgencyCode,
        pub level: Level,
        pub remote: bool,
    }
}

event_struct! {
    /// The petitioner was told which agency to address instead.
    pub struct PetitionGuided {
        pub guidance: Text,
    }
}

event_struct! {
    /// The petition was filed without processing.
    pub struct PetitionFiled {
        pub reason: FilingReason,
        pub note: Option<Text>,
    }
}

event_struct! {
    /// The petition was accepted for resolution (thụ lý) at `instance` by `agency`.
    pub struct PetitionAccepted {
        pub instance: Instance,
        pub agency: AgencyCode,
        /// Complaints: the limitation period checked on acceptance (LKN art. 9), kept to explain it.
        pub limitation: Option<clock::Deadline>,
    }
}

event_struct! {
    /// The agency refused to accept the petition, citing a legal ground.
    pub struct AcceptanceRefused {
        pub instance: Instance,
        pub agency: AgencyCode,
        pub legal_ground: LegalGround,
    }
}

event_struct! {
    /// Verification of the facts started.
    pub struct VerificationStarted {
        pub assigned_unit: Option<Text>,
    }
}

event_struct! {
    /// A finding of the verification was recorded.
    pub struct FindingRecorded {
        pub summary: Text,
    }
}

event_struct! {
    /// A dialogue with the complainant took place.
    pub struct DialogueHeld {
        pub summary: Text,
        /// The day the parties were notified of the dialogue, when recorded.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub notified_on: Option<NaiveDate>,
    }
}

event_struct! {
    /// A resolution period was extended; the new deadline is in `deadlines.started`.
    pub struct DeadlineExtended {
        pub deadline: DeadlineKey,
        pub reason: Text,
        pub complexity: Option<Complexity>,
    }
}

event_struct! {
    /// The resolution was suspended; its clock stands still until it resumes.
    pub struct CaseSuspended {
        pub reason: Text,
        /// The status the case returns to when it resumes.
        pub resume_to: Status,
    }
}

event_struct! {
    /// The resolution resumed; the adjusted decision deadline is in `deadlines.started`.
    pub struct CaseResumed {
        pub reason: Text,
        pub suspended_since: NaiveDate,
        pub mode: Option<SuspensionMode>,
        pub resume_to: Status,
    }
}

event_struct! {
    /// A decision (complaint), conclusion (denunciation) or answer (recommendation, feedback) was issued.
    pub struct DecisionIssued {
        pub instance: Instance,
        pub agency: AgencyCode,
        pub outcome: Outcome,
        pub summary: Text,
        pub decision_number: String,
        /// Whether the decision deadline was met; `None` when there was none.
        pub on_time: Option<bool>,
    }
}

event_struct! {
    /// A notice the law requires was sent to the petitioner or the referrer.
    pub struct NoticeSent {
        pub notice: DeadlineKey,
        pub note: Option<Text>,
    }
}

event_struct! {
    /// A denunciation conclusion was made public (LTC art. 40); the denouncer is never named.
    pub struct ConclusionPublished {
        pub medium: Text,
        pub note: Option<Text>,
    }
}

event_struct! {
    /// A second-instance complaint was lodged with the superior agency.
    pub struct AppealLodged {
        pub grounds: Text,
        pub from_agency: AgencyCode,
        pub to_agency: AgencyCode,
        pub level: Level,
        pub remote: bool,
        /// True when lodged because the first-instance period ended without a decision (LKN art. 33).
        pub decision_period_lapsed: bool,
    }
}

event_struct! {
    /// A re-denunciation was lodged with the superior of the handling agency.
    pub struct ReDenunciationLodged {
        pub grounds: Text,
        pub from_agency: AgencyCode,
        pub to_agency: AgencyCode,
        pub level: Level,
        pub remote: bool,
        /// True when lodged because the resolution period ended without a conclusion (LTC art. 37).
        pub resolution_period_lapsed: bool,
    }
}

event_struct! {
    /// The complainant brought the matter to an administrative court.
    pub struct LawsuitNoted {
        pub court: Text,
        pub note: Option<Text>,
    }
}

event_struct! {
    /// The petitioner withdrew the petition.
    pub struct PetitionWithdrawn {
        pub reason: Text,
    }
}

event_struct! {
    /// The resolution was terminated (đình chỉ); the case is over.
    pub struct CaseTerminated {
        pub reason: Text,
    }
}

event_struct! {
    /// The complaint decision took legal effect.
    pub struct DecisionTookEffect {
        pub instance: Instance,
    }
}

event_struct! {
    /// The decision was executed or the conclusion acted on.
    pub struct DecisionExecuted {
        pub note: Option<Text>,
    }
}

event_struct! {
    /// The case file was closed.
    pub struct CaseClosed {
        pub note: Option<Text>,
    }
}

event_struct! {
    /// A deadline passed with its step undone: the case became overdue on `occurred_on`.
    pub struct DeadlineMissed {
        pub deadline: DeadlineKey,
        pub due: NaiveDate,
    }
}

event_struct! {
    /// An open deadline computed with superseded data (a corrected rule version or holiday calendar) was
    /// moved to the date the data loaded on `occurred_on` gives (issue 11 item 4). Not a step of the
    /// case: like a recorded miss it is an observation, and steps may still be dated before it. The
    /// corrected deadline (with its explanation) is in `deadlines.started`.
    pub struct DeadlineCorrected {
        pub deadline: DeadlineKey,
        pub previous_due: NaiveDate,
        pub previous_rule_version: u32,
        pub previous_rulebook_version: String,
        pub due: NaiveDate,
        pub rule_version: u32,
        pub rulebook_version: String,
        /// Why the due date moved, as the clocks say it (rule correction, calendar change).
        pub reason: String,
        /// The operator's explanation of the correction.
        pub explanation: Text,
    }
}
