//! Personal-data endpoints (ADR 0016): the audited reveal of a denouncer's identity, and the personal-data
//! audit of a case for auditors. The authorization layer grants `reveal-denouncer` and
//! `read-personal-data-audit` from the policy before these handlers run.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use domain::{CaseId, CaseState, PetitionKind};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::AppState;
use super::auth::Actor;
use super::error::ApiError;
use super::extract::{JsonBody, Path};
use crate::access::{CaseAgencies, Principal, Resource};
use crate::privacy::audit::{self, AuditEntry};
use crate::privacy::reveal::{self, RevealError, RevealRequest};

/// The reveal endpoint's path template, as recorded in each reveal.
pub const REVEAL_PATH: &str = "/api/v1/petitions/{id}/denouncer/reveal";
/// The audit endpoint's path template.
pub const AUDIT_PATH: &str = "/api/v1/petitions/{id}/personal-data/audit";

pub fn router() -> Router<AppState> {
    Router::new()
        .route(REVEAL_PATH, post(reveal_denouncer))
        .route(AUDIT_PATH, get(personal_data_audit))
}

/// Why the identity is needed.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevealBody {
    /// Required, 1 to 500 characters, naming no one: the ruling, the competent authority's request, the file.
    #[schema(min_length = 1, max_length = 500)]
    pub reason: String,
}

/// A revealed identity, with the event that recorded the reveal.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RevealView {
    pub case_id: Uuid,
    /// The denouncers as received: `signatories` (names, addresses, contacts, ids) and `representatives`.
    #[schema(value_type = Object)]
    pub identity: serde_json::Value,
    /// The `denouncer.revealed` event (in the `privacy-<case id>` stream) recorded before this answer.
    pub recorded: AuditEntry,
}

/// The personal-data audit of one case.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AuditView {
    pub case_id: Uuid,
    /// Every reveal and erasure of the case's personal data, oldest first.
    pub entries: Vec<AuditEntry>,
}

fn case_id(id: &str) -> Result<CaseId, ApiError> {
    id.parse::<CaseId>().map_err(|_| {
        ApiError::bad_request(
            "invalid-case-id",
            format!("`{id}` is not a case id (a UUID)"),
        )
    })
}

/// Reveal a denunciation's denouncer identity (LTC art. 47); the reveal is recorded first, with its reason.
#[utoipa::path(
    post, path = "/api/v1/petitions/{id}/denouncer/reveal", tag = "personal data",
    params(("id" = Uuid, Path, description = "Case id")),
    request_body(content = RevealBody, description = "Why the identity is needed"),
    responses(
        (status = 200, description = "The identity; the reveal is recorded as a `denouncer.revealed` event", body = RevealView),
        (status = 400, description = "Malformed body, or no usable `reason`", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such case", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a denunciation (`not-a-denunciation`), or no identity to reveal (`no-identity`); nothing recorded", body = super::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn reveal_denouncer(
    State(app): State<AppState>,
    Extension(Actor(actor)): Extension<Actor>,
    Path(id): Path<String>,
    body: JsonBody,
) -> Result<Json<RevealView>, ApiError> {
    let case_id = case_id(&id)?;
    let body: RevealBody = serde_json::from_value(body.value)
        .map_err(|e| ApiError::bad_request("invalid-input", e.to_string()))?;
    let request = RevealRequest {
        case_id,
        reason: body.reason,
        endpoint: format!("POST {REVEAL_PATH}"),
        actor,
        correlation_id: super::current_correlation_id().unwrap_or_else(Uuid::now_v7),
    };
    let revealed = reveal::reveal(
        app.service.store().as_ref(),
        app.service.fingerprint_key(),
        request,
    )
    .await
    .map_err(reveal_error)?;
    Ok(Json(RevealView {
        case_id: case_id.into(),
        identity: revealed.identity,
        recorded: AuditEntry::from(&revealed.recorded),
    }))
}

fn reveal_error(e: RevealError) -> ApiError {
    match e {
        RevealError::NotFound(id) => crate::ServiceError::NotFound(id).into(),
        RevealError::Invalid(detail) => ApiError::bad_request("invalid-input", detail),
        e @ RevealError::NotADenunciation(_) => ApiError::Unprocessable {
            code: "not-a-denunciation",
            detail: e.to_string(),
        },
        e @ RevealError::NoIdentity(_) => ApiError::Unprocessable {
            code: "no-identity",
            detail: e.to_string(),
        },
        RevealError::Store(e) => crate::ServiceError::from(e).into(),
        RevealError::Decode(e) => ApiError::Internal(anyhow::anyhow!(e)),
    }
}

/// Who revealed or erased this case's personal data, when, why and via which endpoint (no personal data).
#[utoipa::path(
    get, path = "/api/v1/petitions/{id}/personal-data/audit", tag = "personal data",
    params(("id" = Uuid, Path, description = "Case id")),
    responses(
        (status = 200, description = "The case's personal-data audit trail, oldest first", body = AuditView),
        (status = 400, description = "Not a case id", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such case", body = super::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn personal_data_audit(
    State(app): State<AppState>,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<AuditView>), ApiError> {
    let case_id = case_id(&id)?;
    let store = app.service.store().as_ref();
    let exists = !store
        .read_stream(&crate::service::stream_of(case_id))
        .await
        .map_err(|e| ApiError::from(crate::ServiceError::from(e)))?
        .is_empty();
    if !exists {
        return Err(crate::ServiceError::NotFound(case_id).into());
    }
    let entries = audit::load(store, case_id)
        .await
        .map_err(|e| ApiError::from(crate::ServiceError::from(e)))?;
    Ok((
        StatusCode::OK,
        Json(AuditView {
            case_id: case_id.into(),
            entries,
        }),
    ))
}

/// What a withheld denunciation text reads as.
pub const WITHHELD: &str = "[withheld]";

/// Whether `principal` reads this case's subject and content withheld: the case is a denunciation and the
/// policy does not grant `read-denunciation-content` (only the resolving agency and the inspectorate have it).
/// A history that does not decode is withheld (fail closed).
pub fn withholds_content(
    app: &AppState,
    principal: &Principal,
    case_id: CaseId,
    recorded: &[store::RecordedEvent],
) -> bool {
    let Ok(events) = feed::case::decode_all(recorded, feed::case::Personal::Omit) else {
        return true;
    };
    let state = CaseState::fold(&events);
    if state.kind != Some(PetitionKind::Denunciation) && !state.identity_protected {
        return false;
    }
    let Some(agencies) = CaseAgencies::of(case_id, &state) else {
        return true;
    };
    !app.policy
        .decide(
            principal,
            "read-denunciation-content",
            &Resource::Case(agencies),
        )
        .allowed
}

/// Replaces a payload's `subject` and `content` by [`WITHHELD`].
pub fn withhold(payload: &mut serde_json::Value) {
    for key in ["subject", "content"] {
        if let Some(v) = payload.get_mut(key) {
            *v = serde_json::Value::String(WITHHELD.to_owned());
        }
    }
}
