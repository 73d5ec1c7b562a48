//! Erasure of personal data (ADR 0010): destroy the data keys of a case, or of one person in it, after
//! recording who ordered it, when and why as a `personal_data.erased` event. The events themselves never change,
//! so every hash chain still verifies; reading the case afterwards shows its personal data as erased.
//!
//! Erasures are recorded in the case's own `privacy-<case id>` stream rather than in the case stream: an erasure
//! is an act on the store's keys, not a step of the petition procedure the law's state machine decides.
//! The same stream records every reveal of a denouncer's identity ([`reveal`]), so it is the case's whole
//! personal-data audit trail ([`audit`], ADR 0016).

pub mod audit;
pub mod reveal;

use std::sync::Arc;

use domain::{CaseId, CaseState};
use serde::Serialize;
use serde_json::json;
use store::privacy::SealedStore;
use store::{
    CommandMeta, EventStore, ExpectedVersion, NewEvent, RecordedEvent, StoreError, StreamId,
};
use uuid::Uuid;

use crate::http::extract::FingerprintKey;
use crate::personal::{ERASED_NAME, PETITIONERS};

/// The type of the event that records an erasure.
pub const ERASED_EVENT: &str = "personal_data.erased";

/// The stream that records the erasures of one case.
pub fn privacy_stream_of(case_id: CaseId) -> StreamId {
    let id: Uuid = case_id.into();
    StreamId::parse(format!("privacy-{id}"))
        .unwrap_or_else(|_| unreachable!("a UUID is a valid stream id"))
}

/// What to erase, and who asks and why.
#[derive(Debug, Clone)]
pub struct ErasureRequest {
    pub case_id: CaseId,
    /// One person of the case (`signatory-0`, …); `None` erases everyone's personal data in the case.
    pub person: Option<String>,
    /// Why: the request, the ruling or the retention rule. Must not itself name the person.
    pub reason: String,
    /// The legal basis, e.g. `Decree 13/2023/ND-CP art. 16`.
    pub legal_basis: Option<String>,
    pub actor: String,
    pub correlation_id: Uuid,
}

/// What an erasure did.
#[derive(Debug, Clone)]
pub struct ErasureOutcome {
    /// The `personal_data.erased` event, recorded before any key was destroyed.
    pub recorded: RecordedEvent,
    /// The persons whose data keys were destroyed.
    pub persons: Vec<String>,
    pub keys_destroyed: u64,
}

/// Why an erasure was not carried out.
#[derive(Debug, thiserror::Error)]
pub enum ErasureError {
    /// No case with this id: check the id.
    #[error("case {0} not found")]
    NotFound(CaseId),
    /// The case has no such person (persons are `signatory-<i>`, as listed by the error).
    #[error("case {case_id} has no person `{person}`; its persons are: {known}")]
    NoSuchPerson {
        case_id: CaseId,
        person: String,
        known: String,
    },
    /// The reason is missing or too long: give a short reason that names no one.
    #[error("{0}")]
    Invalid(String),
    /// The store failed; nothing or only the record was written, and running the erasure again is safe.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Erases personal data through the sealed store.
#[derive(Debug, Clone)]
pub struct PrivacyService {
    sealed: Arc<SealedStore>,
    fingerprints: FingerprintKey,
}

impl PrivacyService {
    pub fn new(sealed: Arc<SealedStore>, fingerprints: FingerprintKey) -> Self {
        Self {
            sealed,
            fingerprints,
        }
    }

    /// Records the erasure, then destroys the keys. If destroying fails after the record, running the same
    /// erasure again finishes it (and records that second order too).
    #[tracing::instrument(skip_all, fields(case_id = %request.case_id, person = request.person.as_deref()))]
    pub async fn erase(&self, request: ErasureRequest) -> Result<ErasureOutcome, ErasureError> {
        let reason = request.reason.trim();
        if reason.is_empty() || reason.chars().count() > 500 {
            return Err(ErasureError::Invalid(
                "give a reason of 1 to 500 characters".into(),
            ));
        }
        let stream = crate::service::stream_of(request.case_id);
        // The envelopes name every person of the case; nothing needs to be decrypted for that.
        let stored = self.sealed.sealed_only().read_stream(&stream).await?;
        if stored.is_empty() {
            return Err(ErasureError::NotFound(request.case_id));
        }
        let mut known = Vec::new();
        for event in &stored {
            if let Some(envelope) = event
                .personal
                .as_ref()
                .map(store::privacy::Envelope::from_stored)
                .transpose()?
                .flatten()
            {
                known.extend(envelope.parts.into_iter().map(|p| p.person));
            }
        }
        known.sort();
        known.dedup();
        let persons = match &request.person {
            Some(person) if person == PETITIONERS || !known.contains(person) => {
                return Err(ErasureError::NoSuchPerson {
                    case_id: request.case_id,
                    person: person.clone(),
                    known: known
                        .iter()
                        .filter(|p| *p != PETITIONERS)
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            }
            Some(person) => vec![person.clone()],
            None => known,
        };
        let payload = json!({
            "case_id": Uuid::from(request.case_id),
            "scope": if request.person.is_some() { "person" } else { "case" },
            "persons": persons,
            "reason": reason,
            "legal_basis": request.legal_basis,
        });
        let body = payload.to_string();
        let meta = CommandMeta {
            command_id: Uuid::now_v7(),
            fingerprint: Some(self.fingerprints.fingerprint(
                "ERASE",
                stream.as_str(),
                None,
                body.as_bytes(),
            )),
            actor: request.actor,
            correlation_id: request.correlation_id,
            causation_id: None,
            rulebook_version: None,
        };
        let event = NewEvent {
            event_id: Uuid::now_v7(),
            event_type: ERASED_EVENT.into(),
            schema_version: 1,
            payload,
            personal: None,
        };
        let appended = self
            .sealed
            .append(
                &privacy_stream_of(request.case_id),
                ExpectedVersion::Any,
                vec![event],
                &meta,
            )
            .await?;
        let keys_destroyed = self
            .sealed
            .erase(&stream, request.person.as_deref())
            .await?;
        tracing::info!(keys_destroyed, "personal data erased");
        let recorded = appended
            .events
            .into_iter()
            .next()
            .ok_or_else(|| StoreError::Corrupt("an append returned no event".into()))?;
        Ok(ErasureOutcome {
            recorded,
            persons,
            keys_destroyed,
        })
    }
}

/// Whether a case's personal data is readable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PersonalDataStatus {
    /// The case never had personal data (an anonymous petition).
    None,
    /// Recorded and readable by those allowed to.
    Present,
    /// Some persons' data was erased; the others' is readable.
    PartlyErased,
    /// Erased: no one's personal data in this case can be read any more.
    Erased,
}

/// One recorded erasure, as views show it (no personal data in it).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ErasureView {
    pub recorded_at: chrono::DateTime<chrono::Utc>,
    pub actor: String,
    #[schema(value_type = Object)]
    pub order: serde_json::Value,
}

/// The personal-data section of a case view.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PersonalDataView {
    pub status: PersonalDataStatus,
    pub erasures: Vec<ErasureView>,
}

impl PersonalDataView {
    /// From the folded state (read through the sealed store) and the case's erasure records.
    pub fn new(state: &CaseState, erasures: &[RecordedEvent]) -> Self {
        let erasures: Vec<ErasureView> = erasures
            .iter()
            .filter(|e| e.event_type == ERASED_EVENT)
            .map(|e| ErasureView {
                recorded_at: e.recorded_at,
                actor: e.metadata.actor.clone(),
                order: e.payload.clone(),
            })
            .collect();
        let placeholders = state.petitioners().is_some_and(|p| {
            p.signatories
                .iter()
                .any(|s| s.full_name.to_string() == ERASED_NAME)
        });
        let status = match (
            state.petitioners().is_some(),
            erasures.is_empty() && !placeholders,
        ) {
            (true, true) => PersonalDataStatus::Present,
            (true, false) => PersonalDataStatus::PartlyErased,
            (false, false) => PersonalDataStatus::Erased,
            (false, true) => PersonalDataStatus::None,
        };
        Self { status, erasures }
    }

    /// Reads the erasure records of `case_id` from `store`.
    pub async fn load(
        store: &dyn EventStore,
        case_id: CaseId,
        state: &CaseState,
    ) -> Result<Self, StoreError> {
        let erasures = store.read_stream(&privacy_stream_of(case_id)).await?;
        Ok(Self::new(state, &erasures))
    }
}
