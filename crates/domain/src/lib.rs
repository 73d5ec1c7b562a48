//! The petition domain: what a case is, what may happen to it, and the facts it leaves behind.
//!
//! The crate is pure. [`decide`] turns a [`CaseState`] and a [`Command`] into past-tense [`Event`]s or a
//! [`DomainError`] naming the rule broken; [`CaseState::apply`] folds events back into state without ever
//! recomputing a deadline. Everything from outside (the statutory clocks, the agency directory, today's
//! date) arrives through [`DecideContext`], so the same inputs always give the same answer.
//!
//! Personal data lives only in the `personal` part of a [`StoredEvent`], so that it can be encrypted,
//! and later erased, in one place.

mod agency;
mod command;
mod decide;
mod error;
mod event;
mod ids;
mod kinds;
pub mod limitation;
mod person;
mod state;
mod text;
mod tracking;
pub mod upcast;

pub use agency::{Agency, AgencyDirectory, AgencyDirectoryError, StaticAgencyDirectory};
pub use command::{
    Accept, Classify, Close, Command, ComplexityCriteria, CorrectDeadline, Extend,
    FileWithoutProcessing, Forward, Guide, HoldDialogue, IssueDecision, LodgeAppeal,
    LodgeReDenunciation, NoteLawsuit, Receive, ReceiveForwarded, RecordDeadlineMissed,
    RecordDecisionEffect, RecordExecution, RecordFinding, RecordNoticeSent, RecordPublication,
    Refuse, Resume, StartVerification, Suspend, Terminate, Withdraw,
};
pub use decide::{DecideContext, decide};
pub use error::{DecodeError, DomainError};
pub use event::{
    AcceptanceRefused, AppealLodged, CaseClosed, CaseResumed, CaseSuspended, CaseTerminated,
    ConclusionPublished, DeadlineChanges, DeadlineCorrected, DeadlineExtended, DeadlineMissed,
    DecisionExecuted, DecisionIssued, DecisionTookEffect, DialogueHeld, Event, FindingRecorded,
    ForwardedPetitionReceived, LawsuitNoted, NoticeSent, PetitionAccepted, PetitionClassified,
    PetitionFiled, PetitionForwarded, PetitionGuided, PetitionReceived, PetitionWithdrawn,
    ReDenunciationLodged, StoredEvent, VerificationStarted,
};
pub use ids::{AgencyCode, CaseId, LegalGround};
pub use kinds::{Channel, DeadlineKey, FilingReason, Instance, Level, Outcome, PetitionKind};
pub use limitation::{Contested, LimitationObstacle, ObstacleCause};
pub use person::{
    Email, FullName, GROUP_THRESHOLD, Lang, MAX_REPRESENTATIVES, NationalId, Person, Petitioners,
    PhoneNumber,
};
pub use state::{CaseState, DeadlineStatus, DecisionSummary, Status, TrackedDeadline};
pub use text::{Subject, Text, text_pattern};
pub use tracking::TrackingCode;
pub use tracking::{EXAMPLE as TRACKING_CODE_EXAMPLE, RANDOM_BITS as TRACKING_CODE_RANDOM_BITS};

/// Re-exported so callers name clock types through the domain when they build a [`DecideContext`].
pub use clock::{Clocks, Complexity, Deadline, SuspensionMode};
