//! Events: the immutable facts of a case, and their stored form (type name, schema version, a non-personal
//! payload and a separate personal part).

mod types;

use std::collections::BTreeMap;

use chrono::NaiveDate;
use clock::Deadline;
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use types::{
    AcceptanceRefused, AppealLodged, CaseClosed, CaseResumed, CaseSuspended, CaseTerminated,
    ConclusionPublished, DeadlineCorrected, DeadlineExtended, DeadlineMissed, DecisionExecuted,
    DecisionIssued, DecisionTookEffect, DialogueHeld, FindingRecorded, ForwardedPetitionReceived,
    LawsuitNoted, NoticeSent, PetitionAccepted, PetitionClassified, PetitionFiled,
    PetitionForwarded, PetitionGuided, PetitionReceived, PetitionWithdrawn, ReDenunciationLodged,
    VerificationStarted,
};

use crate::{DeadlineKey, DeadlineStatus, DecodeError, Petitioners, upcast};

/// What one step did to the case's clocks: deadlines started (or replaced by an adjusted version) and
/// deadlines closed (met, late, missed or cancelled). `apply` copies these; it never computes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DeadlineChanges {
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub started: BTreeMap<DeadlineKey, Deadline>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub closed: BTreeMap<DeadlineKey, DeadlineStatus>,
}

impl DeadlineChanges {
    pub fn is_empty(&self) -> bool {
        self.started.is_empty() && self.closed.is_empty()
    }
}

/// An event as the store keeps it. `payload` is a JSON object free of personal data; `personal` holds
/// the personal part (only `petition.received` has one), to be encrypted by the store.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredEvent {
    pub event_type: &'static str,
    pub schema_version: u16,
    pub payload: Value,
    pub personal: Option<Value>,
}

/// The personal part of `petition.received`.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReceivedPersonal {
    petitioners: Petitioners,
}

/// Declares the event enum with each variant's stable type name, so naming, encoding and decoding can
/// never disagree.
macro_rules! events {
    ($($variant:ident => $name:literal),* $(,)?) => {
        /// Every fact a case can record.
        #[derive(Debug, Clone, PartialEq)]
        pub enum Event {
            $($variant($variant),)*
        }

        impl Event {
            /// Every event type name, in lifecycle order.
            pub const TYPES: &'static [&'static str] = &[$($name),*];

            /// The stable dotted type name stored with the event. Never rename one.
            pub fn event_type(&self) -> &'static str {
                match self {
                    $(Self::$variant(_) => $name,)*
                }
            }

            /// The date the step happened.
            pub fn occurred_on(&self) -> NaiveDate {
                match self {
                    $(Self::$variant(e) => e.occurred_on,)*
                }
            }

            /// The deadlines the step started or closed.
            pub fn deadlines(&self) -> &DeadlineChanges {
                match self {
                    $(Self::$variant(e) => &e.deadlines,)*
                }
            }

            fn payload(&self) -> Result<Value, serde_json::Error> {
                match self {
                    $(Self::$variant(e) => serde_json::to_value(e),)*
                }
            }

            fn decode_payload(event_type: &str, payload: Value) -> Option<Result<Event, serde_json::Error>> {
                match event_type {
                    $($name => Some(serde_json::from_value::<$variant>(payload).map(Self::$variant)),)*
                    _ => None,
                }
            }
        }

        $(impl From<$variant> for Event {
            fn from(e: $variant) -> Self {
                Self::$variant(e)
            }
        })*
    };
}

events! {
    PetitionReceived => "petition.received",
    PetitionClassified => "petition.classified",
    PetitionForwarded => "petition.forwarded",
    ForwardedPetitionReceived => "petition.forwarded_received",
    PetitionGuided => "petition.guided",
    PetitionFiled => "petition.filed",
    PetitionAccepted => "petition.accepted",
    AcceptanceRefused => "petition.acceptance_refused",
    VerificationStarted => "verification.started",
    FindingRecorded => "verification.finding_recorded",
    DialogueHeld => "dialogue.held",
    DeadlineExtended => "deadline.extended",
    CaseSuspended => "case.suspended",
    CaseResumed => "case.resumed",
    DecisionIssued => "decision.issued",
    NoticeSent => "notice.sent",
    AppealLodged => "appeal.lodged",
    ReDenunciationLodged => "re_denunciation.lodged",
    LawsuitNoted => "lawsuit.noted",
    PetitionWithdrawn => "petition.withdrawn",
    CaseTerminated => "case.terminated",
    DecisionTookEffect => "decision.took_effect",
    DecisionExecuted => "decision.executed",
    CaseClosed => "case.closed",
    DeadlineMissed => "deadline.missed",
    ConclusionPublished => "conclusion.published",
    DeadlineCorrected => "deadline.corrected",
}

impl Event {
    /// The schema version this build writes for the event's type.
    pub fn schema_version(&self) -> u16 {
        upcast::current_version(self.event_type())
    }

    /// Splits the event into its stored form: the personal data goes to `personal`, never to `payload`.
    pub fn to_stored(&self) -> StoredEvent {
        // Serializing these types cannot fail: every map key is a unit enum variant (a string) and no
        // field has a fallible `Serialize`. An empty object is the defensive answer if that ever changed,
        // and the round-trip tests would then fail loudly.
        let payload = self
            .payload()
            .unwrap_or_else(|_| Value::Object(Default::default()));
        let personal = match self {
            Self::PetitionReceived(PetitionReceived {
                petitioners: Some(p),
                ..
            }) => serde_json::to_value(ReceivedPersonal {
                petitioners: p.clone(),
            })
            .ok(),
            _ => None,
        };
        StoredEvent {
            event_type: self.event_type(),
            schema_version: self.schema_version(),
            payload,
            personal,
        }
    }

    /// Rebuilds an event from its stored form, upcasting older schema versions first. A missing personal
    /// part (erased by destroying its key) decodes as `petitioners: None`.
    pub fn from_stored(
        event_type: &str,
        schema_version: u16,
        payload: &Value,
        personal: Option<&Value>,
    ) -> Result<Event, DecodeError> {
        if !payload.is_object() {
            return Err(DecodeError::InvalidPayload {
                event_type: event_type.to_owned(),
                message: "the payload is not a JSON object".to_owned(),
            });
        }
        let (payload, personal) = upcast::upcast(
            event_type,
            schema_version,
            payload.clone(),
            personal.cloned(),
        )?;
        let mut event = Self::decode_payload(event_type, payload)
            .ok_or_else(|| DecodeError::UnknownEventType(event_type.to_owned()))?
            .map_err(|e| DecodeError::InvalidPayload {
                event_type: event_type.to_owned(),
                message: e.to_string(),
            })?;
        if let (Self::PetitionReceived(received), Some(personal)) = (&mut event, personal) {
            let part: ReceivedPersonal =
                serde_json::from_value(personal).map_err(|e| DecodeError::InvalidPersonal {
                    event_type: event_type.to_owned(),
                    message: e.to_string(),
                })?;
            received.petitioners = Some(part.petitioners);
        }
        Ok(event)
    }
}
