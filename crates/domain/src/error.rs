//! The domain's typed failures. Each refusal names the rule broken so officers see *why*, and carries a
//! stable slug the HTTP layer uses as the problem `type`.

use chrono::NaiveDate;
use clock::ClockError;

use crate::{AgencyCode, DeadlineKey, PetitionKind, Status};

/// Why a command was refused. Unless a variant says otherwise, retrying the same command is pointless:
/// the caller must change the command or the case must move on first (HTTP 409 for state conflicts,
/// 422 for a broken rule, 400 for malformed input).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DomainError {
    /// The command is not one of the steps the law allows from the case's current status.
    #[error("`{command}` is not allowed while the case is {status}: {rule}")]
    IllegalTransition {
        command: &'static str,
        status: Status,
        rule: &'static str,
    },
    /// The case has no events yet; only `receive` can start it (HTTP 404).
    #[error("the case does not exist; only `receive` can start a case")]
    CaseNotFound,
    /// `receive` was sent to a case that already has events (HTTP 409).
    #[error("the case already exists")]
    CaseAlreadyExists,
    /// The agency code is not in the directory (HTTP 422).
    #[error("agency `{0}` is not in the agency directory")]
    UnknownAgency(AgencyCode),
    /// A petition cannot be forwarded to the agency that already holds it.
    #[error("the petition is already held by `{0}`; forward it to another agency")]
    ForwardToSameAgency(AgencyCode),
    /// The agency has no superior in the directory and the command named none.
    #[error(
        "agency `{0}` has no superior in the directory; name the agency that takes the case next"
    )]
    NoSuperiorAgency(AgencyCode),
    /// The complainant's window to lodge a second-instance complaint has ended.
    #[error("the window to appeal closed on {closed_on}")]
    AppealWindowClosed { closed_on: NaiveDate },
    /// A second-instance complaint was already lodged: one appeal per level.
    #[error("a second-instance complaint was already lodged for this case")]
    AlreadyAppealed,
    /// A second-instance decision cannot be appealed administratively; the complainant may sue instead.
    #[error("a second-instance decision cannot be appealed; the complainant may bring a lawsuit")]
    NoFurtherAppeal,
    /// The complaint came in after the 90-day limitation period: it must be refused with a legal ground.
    #[error(
        "the limitation period for this complaint ended on {ended_on} (decision learned on {learned_on}, \
         the recorded obstacles not counted) but it was received on {received_on}; refuse it with a legal \
         ground (LKN art. 11(3)). Time an obstacle kept the complainant from filing (illness, natural \
         disaster, …) is not counted when it is recorded with the petition in `limitation_obstacles`"
    )]
    LimitationPeriodExpired {
        learned_on: NaiveDate,
        ended_on: NaiveDate,
        received_on: NaiveDate,
    },
    /// The petitioner was already guided once for this content; a repeat is filed, not guided again.
    #[error("the petitioner was already guided for this content; file the petition instead")]
    GuidedAlready,
    /// The extension is not allowed (already extended, not complex, too late, or no rule allows it).
    #[error("extension not allowed: {0}")]
    ExtensionNotAllowed(String),
    /// The decision cannot take effect yet: the appeal window or the effect period is still running.
    #[error("the decision cannot take effect before {earliest}")]
    EffectPeriodRunning { earliest: NaiveDate },
    /// The step is dated after today (local Vietnamese date).
    #[error("the step date {step_date} is after today ({today})")]
    StepDateInFuture {
        step_date: NaiveDate,
        today: NaiveDate,
    },
    /// The step is dated before the case's previous step; history is recorded in order.
    #[error("the step date {step_date} is before the previous step of the case ({previous})")]
    StepDateBeforePreviousStep {
        step_date: NaiveDate,
        previous: NaiveDate,
    },
    /// The command belongs to another kind of petition's procedure.
    #[error("`{command}` does not apply to a {kind}")]
    NotApplicableToKind {
        command: &'static str,
        kind: PetitionKind,
    },
    /// The deadline cannot be recorded as missed (not tracked, not open, not yet due, or case suspended).
    #[error("deadline `{deadline}` cannot be recorded as missed: {reason}")]
    DeadlineNotMissed {
        deadline: DeadlineKey,
        reason: &'static str,
    },
    /// No notice of that kind is waiting to be sent.
    #[error("no `{notice}` notice is waiting to be sent")]
    NoNoticePending { notice: DeadlineKey },
    /// The command's data is malformed (HTTP 400); the message says which field and why.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// The URL names no known action (HTTP 404).
    #[error("unknown action `{0}`")]
    UnknownAction(String),
    /// A deadline could not be computed: a calendar year or a rule version is missing from the data.
    /// A server-side condition (HTTP 503): the operator must load the data, then the command can be retried.
    #[error("the statutory clock is unavailable: {0}")]
    ClockUnavailable(ClockError),
}

impl From<ClockError> for DomainError {
    fn from(e: ClockError) -> Self {
        match e {
            ClockError::ExtensionNotAllowed(why) => Self::ExtensionNotAllowed(why),
            other => Self::ClockUnavailable(other),
        }
    }
}

impl DomainError {
    /// A stable kebab-case slug naming the kind of refusal (the HTTP problem `type`).
    pub fn code(&self) -> &'static str {
        match self {
            Self::IllegalTransition { .. } => "illegal-transition",
            Self::CaseNotFound => "case-not-found",
            Self::CaseAlreadyExists => "case-already-exists",
            Self::UnknownAgency(_) => "unknown-agency",
            Self::ForwardToSameAgency(_) => "forward-to-same-agency",
            Self::NoSuperiorAgency(_) => "no-superior-agency",
            Self::AppealWindowClosed { .. } => "appeal-window-closed",
            Self::AlreadyAppealed => "already-appealed",
            Self::NoFurtherAppeal => "no-further-appeal",
            Self::LimitationPeriodExpired { .. } => "limitation-period-expired",
            Self::GuidedAlready => "guided-already",
            Self::ExtensionNotAllowed(_) => "extension-not-allowed",
            Self::EffectPeriodRunning { .. } => "effect-period-running",
            Self::StepDateInFuture { .. } => "step-date-in-future",
            Self::StepDateBeforePreviousStep { .. } => "step-date-before-previous-step",
            Self::NotApplicableToKind { .. } => "not-applicable-to-kind",
            Self::DeadlineNotMissed { .. } => "deadline-not-missed",
            Self::NoNoticePending { .. } => "no-notice-pending",
            Self::InvalidInput(_) => "invalid-input",
            Self::UnknownAction(_) => "unknown-action",
            Self::ClockUnavailable(_) => "clock-unavailable",
        }
    }

    /// The provision the refusal rests on, when there is one.
    pub fn legal_basis(&self) -> Option<&'static str> {
        match self {
            Self::AppealWindowClosed { .. } => Some("LKN art. 33"),
            Self::AlreadyAppealed | Self::NoFurtherAppeal => Some("LKN art. 7"),
            Self::NoSuperiorAgency(_) => Some("LKN art. 7; LTC art. 37"),
            Self::LimitationPeriodExpired { .. } => Some("LKN arts. 9, 48"),
            Self::GuidedAlready => Some("Circular 05/2021/TT-TTCP"),
            Self::ExtensionNotAllowed(_) => Some("LKN arts. 28, 37; LTC art. 30"),
            Self::EffectPeriodRunning { .. } => Some("LKN art. 44"),
            _ => None,
        }
    }

    /// True when the caller sent something the law or the data refuses (4xx); false when the server's
    /// own data (rulebook, calendar) is at fault (5xx).
    pub fn is_client_error(&self) -> bool {
        !matches!(self, Self::ClockUnavailable(_))
    }
}

/// Why a stored event could not be turned back into an [`crate::Event`]. Always a data or deployment
/// problem (an older binary reading newer events, a corrupted row): report it, never guess.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("unknown event type `{0}`")]
    UnknownEventType(String),
    #[error("event type `{event_type}` has no schema version {version} known to this build")]
    UnsupportedSchemaVersion { event_type: String, version: u16 },
    #[error("event `{event_type}` has an invalid payload: {message}")]
    InvalidPayload { event_type: String, message: String },
    #[error("event `{event_type}` has an invalid personal part: {message}")]
    InvalidPersonal { event_type: String, message: String },
}
