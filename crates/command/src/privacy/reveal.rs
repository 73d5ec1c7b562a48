//! Revealing a denouncer's identity (LTC art. 47, ADR 0016): only through this one path, only after the reveal
//! is recorded as a `denouncer.revealed` event (who, when, why, via which endpoint, whose identity) in the case's
//! `privacy-<case id>` stream. A reveal that cannot be recorded returns nothing.
//!
//! The record holds no personal data: the denouncers are named by their position (`denouncer-0`), and the reason
//! is checked like every other free text of the API.

use domain::{CaseId, CaseState, PetitionKind};
use serde_json::{Value, json};
use store::{CommandMeta, EventStore, ExpectedVersion, NewEvent, RecordedEvent, StoreError};
use uuid::Uuid;

use super::privacy_stream_of;
use crate::http::extract::FingerprintKey;
use crate::personal::denouncer;

/// The type of the event that records a reveal.
pub const REVEALED_EVENT: &str = "denouncer.revealed";

/// Longest reason accepted, in characters.
pub const MAX_REASON_CHARS: usize = 500;

/// Who asks to see a denouncer's identity, and why.
#[derive(Debug, Clone)]
pub struct RevealRequest {
    pub case_id: CaseId,
    /// Why the identity is needed (the ruling, the request of a competent authority). Required; names no one.
    pub reason: String,
    /// The endpoint the reveal came through, e.g. `POST /api/v1/petitions/{id}/denouncer/reveal`.
    pub endpoint: String,
    pub actor: String,
    pub correlation_id: Uuid,
}

/// A recorded reveal and what it revealed.
#[derive(Debug, Clone)]
pub struct Revealed {
    /// The `denouncer.revealed` event, recorded before anything was returned.
    pub recorded: RecordedEvent,
    /// The denouncers' identities (the petitioners of the case, as received).
    pub identity: Value,
}

/// Why nothing was revealed (and nothing recorded).
#[derive(Debug, thiserror::Error)]
pub enum RevealError {
    #[error("case {0} not found")]
    NotFound(CaseId),
    /// Only a denunciation has a protected denouncer.
    #[error(
        "case {0} is not a denunciation: it has no protected denouncer; nothing was revealed or recorded"
    )]
    NotADenunciation(CaseId),
    /// The identity was erased (or never given: an anonymous denunciation).
    #[error(
        "the denouncer's identity in case {0} is erased or was never given; nothing was revealed or recorded"
    )]
    NoIdentity(CaseId),
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the case's events do not decode: {0}")]
    Decode(String),
}

/// Checks a reveal's reason with the domain's text hygiene (trimmed, NFC, no controls or invisible characters)
/// and a length of 1 to [`MAX_REASON_CHARS`] characters.
pub fn check_reason(reason: &str) -> Result<String, RevealError> {
    let required = || {
        RevealError::Invalid(format!(
            "`reason` is required: say why the identity is needed in 1 to {MAX_REASON_CHARS} characters \
             (a ruling, a competent authority's request), naming no one"
        ))
    };
    let text = domain::Text::parse(reason).map_err(|e| {
        if reason.trim().is_empty() {
            required()
        } else {
            RevealError::Invalid(format!("`reason`: {e}"))
        }
    })?;
    if text.as_str().chars().count() > MAX_REASON_CHARS {
        return Err(required());
    }
    Ok(text.as_str().to_owned())
}

/// Records the reveal in `store` (which must open personal data: the sealed store), then returns the identity.
pub async fn reveal(
    store: &dyn EventStore,
    fingerprints: &FingerprintKey,
    request: RevealRequest,
) -> Result<Revealed, RevealError> {
    let reason = check_reason(&request.reason)?;
    let recorded = store
        .read_stream(&feed::case::stream_of(request.case_id))
        .await?;
    if recorded.is_empty() {
        return Err(RevealError::NotFound(request.case_id));
    }
    let events = feed::case::decode_all(&recorded, feed::case::Personal::Include)
        .map_err(|e| RevealError::Decode(e.to_string()))?;
    let state = CaseState::fold(&events);
    if state.kind != Some(PetitionKind::Denunciation) && !state.identity_protected {
        return Err(RevealError::NotADenunciation(request.case_id));
    }
    let Some(petitioners) = state
        .petitioners()
        .filter(|p| !p.signatories.is_empty())
        .filter(|p| {
            !p.signatories
                .iter()
                .all(|s| s.full_name.to_string() == crate::personal::ERASED_NAME)
        })
    else {
        return Err(RevealError::NoIdentity(request.case_id));
    };
    let identity = serde_json::to_value(petitioners)
        .map_err(|e| RevealError::Decode(format!("the petitioners do not serialize: {e}")))?;
    let persons: Vec<String> = (0..petitioners.signatories.len()).map(denouncer).collect();
    let payload = json!({
        "case_id": Uuid::from(request.case_id),
        "persons": persons,
        "reason": reason,
        "endpoint": request.endpoint,
    });
    let stream = privacy_stream_of(request.case_id);
    let meta = CommandMeta {
        command_id: Uuid::now_v7(),
        fingerprint: Some(fingerprints.fingerprint(
            "REVEAL",
            stream.as_str(),
            None,
            payload.to_string().as_bytes(),
        )),
        actor: request.actor,
        correlation_id: request.correlation_id,
        causation_id: None,
        rulebook_version: None,
    };
    let event = NewEvent {
        event_id: Uuid::now_v7(),
        event_type: REVEALED_EVENT.into(),
        schema_version: 1,
        payload,
        personal: None,
    };
    let appended = store
        .append(&stream, ExpectedVersion::Any, vec![event], &meta)
        .await?;
    let recorded = appended
        .events
        .into_iter()
        .next()
        .ok_or_else(|| StoreError::Corrupt("an append returned no event".into()))?;
    tracing::info!(case_id = %request.case_id, "denouncer identity revealed; the reveal is recorded");
    Ok(Revealed { recorded, identity })
}
