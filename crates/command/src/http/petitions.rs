//! The petition endpoints: receive a petition, apply a lifecycle command, read a case and its events.

use std::str::FromStr;

use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use chrono::{DateTime, NaiveDate, Utc};
use domain::{CaseId, CaseState, Command, TrackingCode};
use serde::Deserialize;
use uuid::Uuid;

use super::AppState;
use super::auth::Actor;
use super::error::ApiError;
use super::extract::{CommandHeaders, JsonBody};
use super::views::{CaseView, CommandResponse, DeadlineView, EventView};
use crate::{CommandOutcome, CommandRequest, RequestMeta, decode_events, local_date};

/// Namespace deriving a new case's id from its command id, so a retried `receive` lands on the same case.
const CASE_ID_NAMESPACE: Uuid = Uuid::from_u128(0x0c2d_8e4f_a1b3_4c5d_8e9f_a0b1_c2d3_e4f5);

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/petitions", post(receive))
        .route("/api/v1/petitions/{id}", get(get_case))
        .route("/api/v1/petitions/{id}/events", get(get_events))
        .route("/api/v1/petitions/{id}/{action}", post(act))
}

/// Query parameters of a command.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct StepQuery {
    /// The local date the step happened, when it is recorded after the fact (default: today in Vietnam).
    pub occurred_on: Option<NaiveDate>,
}

/// Query parameters of reads.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AsOfQuery {
    /// Show the case as it stood at this instant (RFC 3339), from the events recorded until then.
    pub as_of: Option<DateTime<Utc>>,
}

/// Record a newly received petition; returns its case id and tracking code.
#[utoipa::path(
    post, path = "/api/v1/petitions", tag = "petitions",
    params(StepQuery,
        ("Idempotency-Key" = Option<String>, Header, description = "Retrying with the same key never records the petition twice"),
        ("X-Correlation-Id" = Option<Uuid>, Header, description = "Flows into event metadata; generated when absent")),
    request_body(content = domain::Receive, description = "The petition; `tracking_code` is assigned by the server and must be omitted"),
    responses(
        (status = 201, description = "Recorded", body = CommandResponse),
        (status = 400, description = "Malformed body", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Refused by a rule", body = super::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn receive(
    State(app): State<AppState>,
    Extension(Actor(actor)): Extension<Actor>,
    headers: CommandHeaders,
    Query(step): Query<StepQuery>,
    OriginalUri(uri): OriginalUri,
    body: JsonBody,
) -> Result<(StatusCode, HeaderMap, Json<CommandResponse>), ApiError> {
    let mut value = body.value;
    let Some(object) = value.as_object_mut() else {
        return Err(ApiError::bad_request(
            "malformed-json",
            "the body must be a JSON object",
        ));
    };
    if object.contains_key("tracking_code") {
        return Err(ApiError::bad_request(
            "invalid-input",
            "`tracking_code` is assigned by the server; omit it",
        ));
    }
    let command_id = headers.command_id(&actor);
    let case_id = match headers.idempotency_key {
        Some(_) => Uuid::new_v5(&CASE_ID_NAMESPACE, command_id.as_bytes()),
        None => Uuid::now_v7(),
    };
    let kind_hint = object.get("kind").cloned();
    let kind = serde_json::from_value(kind_hint.unwrap_or_default())
        .map_err(|e| ApiError::bad_request("invalid-input", format!("`kind`: {e}")))?;
    let year = chrono::Datelike::year(&step.occurred_on.unwrap_or_else(|| app.service.today()));
    let code = TrackingCode::generate(kind, year, rand::random::<[u8; 8]>());
    object.insert(
        "tracking_code".into(),
        serde_json::Value::String(code.to_string()),
    );
    let receive: domain::Receive = serde_json::from_value(value)
        .map_err(|e| ApiError::bad_request("invalid-input", e.to_string()))?;

    let request = CommandRequest {
        case_id: CaseId::from(case_id),
        command: Command::Receive(receive),
        expected_version: headers.if_match,
        step_date: step.occurred_on,
        meta: RequestMeta {
            retryable: headers.idempotency_key.is_some(),
            command_id,
            fingerprint: Some(app.service.fingerprint_key().fingerprint(
                "POST",
                uri.path(),
                uri.query(),
                &body.raw,
            )),
            actor,
            correlation_id: headers.correlation_id,
            causation_id: headers.causation_id,
        },
    };
    let outcome = app.service.execute(request).await?;
    let tracking_code = outcome
        .events
        .first()
        .and_then(|e| e.payload.get("tracking_code"))
        .and_then(|v| v.as_str())
        .map(str::to_owned);
    let mut response_headers = version_headers(&outcome);
    if let Ok(location) = HeaderValue::from_str(&format!("/api/v1/petitions/{}", outcome.case_id)) {
        response_headers.insert(header::LOCATION, location);
    }
    let status = if outcome.replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((
        status,
        response_headers,
        Json(command_response(&outcome, tracking_code)),
    ))
}

/// Apply one lifecycle command (`accept`, `issue-decision`, `lodge-appeal`, …) to a case.
pub async fn act(
    State(app): State<AppState>,
    Extension(Actor(actor)): Extension<Actor>,
    Path((id, action)): Path<(String, String)>,
    headers: CommandHeaders,
    Query(step): Query<StepQuery>,
    OriginalUri(uri): OriginalUri,
    body: JsonBody,
) -> Result<(HeaderMap, Json<CommandResponse>), ApiError> {
    let case_id = parse_case_id(&id)?;
    if action == "receive" || !Command::ACTIONS.contains(&action.as_str()) {
        return Err(ApiError::NotFound(format!(
            "unknown action `{action}`; known actions: {}",
            Command::ACTIONS.join(", ")
        )));
    }
    let command = Command::from_action(&action, body.value)
        .map_err(|e| ApiError::bad_request("invalid-input", e.to_string()))?;
    let request = CommandRequest {
        case_id,
        command,
        expected_version: headers.if_match,
        step_date: step.occurred_on,
        meta: RequestMeta {
            retryable: headers.idempotency_key.is_some(),
            command_id: headers.command_id(&actor),
            fingerprint: Some(app.service.fingerprint_key().fingerprint(
                "POST",
                uri.path(),
                uri.query(),
                &body.raw,
            )),
            actor,
            correlation_id: headers.correlation_id,
            causation_id: headers.causation_id,
        },
    };
    let outcome = app.service.execute(request).await?;
    Ok((
        version_headers(&outcome),
        Json(command_response(&outcome, None)),
    ))
}

/// A case's current state (or as of an instant), with every deadline explained.
#[utoipa::path(
    get, path = "/api/v1/petitions/{id}", tag = "petitions",
    params(("id" = Uuid, Path, description = "Case id"), AsOfQuery),
    responses(
        (status = 200, description = "The case", body = CaseView),
        (status = 404, description = "No such case", body = super::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn get_case(
    State(app): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<AsOfQuery>,
) -> Result<(HeaderMap, Json<CaseView>), ApiError> {
    let case_id = parse_case_id(&id)?;
    let recorded = read(&app, case_id, q.as_of).await?;
    let state = CaseState::fold(&decode_events(&recorded).map_err(ApiError::from)?);
    let as_of = local_date(q.as_of.unwrap_or_else(Utc::now));
    let mut headers = HeaderMap::new();
    if let Ok(etag) = HeaderValue::from_str(&format!("\"{}\"", state.version)) {
        headers.insert(header::ETAG, etag);
    }
    let mut view = case_view(case_id, &state, as_of);
    view.personal_data =
        crate::privacy::PersonalDataView::load(app.service.store().as_ref(), case_id, &state)
            .await
            .map_err(|e| ApiError::from(crate::ServiceError::from(e)))?;
    Ok((headers, Json(view)))
}

/// Every recorded event of a case, in order, with metadata and hashes (never personal data).
#[utoipa::path(
    get, path = "/api/v1/petitions/{id}/events", tag = "petitions",
    params(("id" = Uuid, Path, description = "Case id"), AsOfQuery),
    responses(
        (status = 200, description = "The events", body = [EventView]),
        (status = 404, description = "No such case", body = super::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn get_events(
    State(app): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<AsOfQuery>,
) -> Result<Json<Vec<EventView>>, ApiError> {
    let case_id = parse_case_id(&id)?;
    let recorded = read(&app, case_id, q.as_of).await?;
    Ok(Json(recorded.iter().map(EventView::from).collect()))
}

async fn read(
    app: &AppState,
    case_id: CaseId,
    as_of: Option<DateTime<Utc>>,
) -> Result<Vec<store::RecordedEvent>, ApiError> {
    let stream = crate::service::stream_of(case_id);
    let store = app.service.store();
    let recorded = match as_of {
        Some(t) => store.read_stream_as_of(&stream, t).await,
        None => store.read_stream(&stream).await,
    }
    .map_err(|e| ApiError::from(crate::ServiceError::from(e)))?;
    if recorded.is_empty() {
        return Err(crate::ServiceError::NotFound(case_id).into());
    }
    Ok(recorded)
}

fn parse_case_id(id: &str) -> Result<CaseId, ApiError> {
    CaseId::from_str(id).map_err(|_| {
        ApiError::bad_request(
            "invalid-case-id",
            format!("`{id}` is not a case id (a UUID)"),
        )
    })
}

fn version_headers(outcome: &CommandOutcome) -> HeaderMap {
    let mut headers = HeaderMap::new();
    if let Ok(etag) = HeaderValue::from_str(&format!("\"{}\"", outcome.version)) {
        headers.insert(header::ETAG, etag);
    }
    headers
}

fn command_response(outcome: &CommandOutcome, tracking_code: Option<String>) -> CommandResponse {
    CommandResponse {
        case_id: outcome.case_id.into(),
        tracking_code,
        version: outcome.version,
        replayed: outcome.replayed,
        events: outcome.events.iter().map(EventView::from).collect(),
    }
}

/// Builds the public view of a case: personal data is skipped by the state's serializer.
pub fn case_view(case_id: CaseId, state: &CaseState, as_of: NaiveDate) -> CaseView {
    let deadlines = state
        .deadlines
        .iter()
        .map(|(key, tracked)| {
            let open = matches!(tracked.status, domain::DeadlineStatus::Open);
            let d = &tracked.deadline;
            DeadlineView {
                key: serde_json::to_value(key)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                due: d.due,
                status: serde_json::to_value(tracked.status).unwrap_or_default(),
                overdue: open && d.is_overdue_on(as_of),
                days_overdue: if open { d.days_overdue(as_of) } else { 0 },
                rule_id: d.rule_id.clone(),
                rule_version: d.rule_version,
                basis: d.basis.clone(),
                verified: d.verified,
                explanation: d.explanation.clone(),
            }
        })
        .collect();
    CaseView {
        case_id: case_id.into(),
        version: state.version,
        as_of,
        deadlines,
        state: serde_json::to_value(state).unwrap_or_default(),
        personal_data: crate::privacy::PersonalDataView::new(state, &[]),
    }
}
