//! The petition endpoints: receive a petition, apply a lifecycle command, read a case and its events.

use std::str::FromStr;

use axum::extract::{OriginalUri, State};
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
use super::extract::{CommandHeaders, JsonBody, Path, Query};
use super::views::{CaseView, CommandResponse, DeadlineView, EventView};
use crate::{
    CommandOutcome, CommandRequest, RequestMeta, ServiceError, check_opt_date, check_opt_instant,
    local_date,
};

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
#[into_params(parameter_in = Query)]
pub struct StepQuery {
    /// The local date the step happened, when it is recorded after the fact (default: today in Vietnam).
    /// Years 1900 to 9999 (400 `date-out-of-range` otherwise); a year whose holiday calendar is not
    /// loaded is refused with 422 `calendar-year-missing`.
    pub occurred_on: Option<NaiveDate>,
}

impl StepQuery {
    /// The step date, refused when outside the supported years.
    fn checked(&self) -> Result<Option<NaiveDate>, ApiError> {
        Ok(check_opt_date("occurred_on", self.occurred_on)?)
    }
}

/// Query parameters of reads.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AsOfQuery {
    /// Show the case as it stood at this instant (RFC 3339), from the events recorded until then.
    /// Years 1900 to 9999, in UTC and in Vietnam's time (400 `date-out-of-range` otherwise).
    pub as_of: Option<DateTime<Utc>>,
}

impl AsOfQuery {
    /// The instant, refused when outside the supported years.
    fn checked(&self) -> Result<Option<DateTime<Utc>>, ApiError> {
        Ok(check_opt_instant("as_of", self.as_of)?)
    }
}

/// Largest page of `GET /api/v1/petitions/{id}/events`, and its default.
pub const MAX_EVENTS_LIMIT: u32 = 1_000;

/// Query parameters of the event list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// Only the events recorded until this instant (RFC 3339). Years 1900 to 9999, in UTC and in
    /// Vietnam's time (400 `date-out-of-range` otherwise).
    pub as_of: Option<DateTime<Utc>>,
    /// The first version (1-based) listed (default 1).
    #[param(minimum = 1)]
    pub from_version: Option<u64>,
    /// How many events to list (default and maximum 1000); a `Link: <…>; rel="next"` header continues.
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
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
        (status = 400, description = "Malformed body, or `occurred_on` outside the supported years (`date-out-of-range`)", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Refused by a rule, or dated where no holiday calendar is loaded (`calendar-year-missing`)", body = super::error::Problem, content_type = "application/problem+json"),
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
    let occurred_on = step.checked()?;
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
    let _kind: domain::PetitionKind = serde_json::from_value(kind_hint.unwrap_or_default())
        .map_err(|e| ApiError::bad_request("invalid-input", format!("`kind`: {e}")))?;
    let year = chrono::Datelike::year(&occurred_on.unwrap_or_else(|| app.service.today()));
    // 80 random bits from the OS-seeded CSPRNG; the code names no kind (ADR 0016).
    let code = TrackingCode::issue(year, rand::random::<[u8; 10]>());
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
        step_date: occurred_on,
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
    let outcome = execute(&app, request).await?;
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
    let occurred_on = step.checked()?;
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
        step_date: occurred_on,
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
    let outcome = execute(&app, request).await?;
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
        (status = 400, description = "Bad parameters (`date-out-of-range`)", body = super::error::Problem, content_type = "application/problem+json"),
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
    let as_of = q.checked()?;
    let state = crate::service::load_case(app.service.store().as_ref(), case_id, horizon(as_of))
        .await?
        .ok_or(ServiceError::NotFound(case_id))?
        .state;
    let as_of = as_of.map_or_else(|| app.service.today(), local_date);
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

/// Every recorded event of a case, in order, with metadata and hashes (never personal data). A denunciation's
/// `subject` and `content` read `[withheld]` unless the caller holds `read-denunciation-content`.
#[utoipa::path(
    get, path = "/api/v1/petitions/{id}/events", tag = "petitions",
    params(("id" = Uuid, Path, description = "Case id"), EventsQuery),
    responses(
        (status = 200, description = "The events (one page; `Link: <…>; rel=\"next\"` when more follow)", body = [EventView]),
        (status = 400, description = "Bad parameters", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such case", body = super::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn get_events(
    State(app): State<AppState>,
    Extension(principal): Extension<crate::access::Principal>,
    Path(id): Path<String>,
    Query(q): Query<EventsQuery>,
) -> Result<(HeaderMap, Json<Vec<EventView>>), ApiError> {
    let case_id = parse_case_id(&id)?;
    let as_of = check_opt_instant("as_of", q.as_of)?;
    let from_version = q.from_version.unwrap_or(1);
    let limit = q.limit.unwrap_or(MAX_EVENTS_LIMIT);
    if from_version == 0 || !(1..=MAX_EVENTS_LIMIT).contains(&limit) {
        return Err(ApiError::bad_request(
            "query-limit-exceeded",
            format!("`from_version` must be at least 1 and `limit` 1 to {MAX_EVENTS_LIMIT}"),
        ));
    }
    let recorded = read(&app, case_id, as_of).await?;
    let withheld = super::personal_data::withholds_content(&app, &principal, case_id, &recorded);
    let page: Vec<EventView> = recorded
        .iter()
        .filter(|e| e.version >= from_version)
        .take(limit as usize)
        .map(|e| {
            let mut view = EventView::from(e);
            if withheld {
                super::personal_data::withhold(&mut view.payload);
            }
            view
        })
        .collect();
    let mut headers = HeaderMap::new();
    let last = recorded.last().map_or(0, |e| e.version);
    if let Some(next) = page
        .last()
        .map(|e| e.version)
        .filter(|v| *v < last)
        .and_then(|v| v.checked_add(1))
    {
        let as_of = as_of.map_or(String::new(), |t| {
            format!(
                "&as_of={}",
                t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
            )
        });
        let link = format!(
            "</api/v1/petitions/{case_id}/events?from_version={next}&limit={limit}{as_of}>; rel=\"next\""
        );
        if let Ok(v) = HeaderValue::from_str(&link) {
            headers.insert(header::LINK, v);
        }
    }
    Ok((headers, Json(page)))
}

/// Runs a command. A step the loaded rules cannot date is the caller's to fix (422): a step dated in a
/// year without a holiday calendar is refused before anything is read, and a deadline running into such
/// a year, or a date no version of a rule covers, is refused when the domain meets it.
async fn execute(app: &AppState, request: CommandRequest) -> Result<CommandOutcome, ApiError> {
    if let Some(on) = request.step_date {
        check_calendar(app, chrono::Datelike::year(&on))?;
    }
    app.service.execute(request).await.map_err(|e| match e {
        ServiceError::Domain(domain::DomainError::ClockUnavailable(
            clock::ClockError::CalendarYearMissing(year),
        )) => calendar_year_missing(app, year),
        ServiceError::Domain(domain::DomainError::ClockUnavailable(
            e @ clock::ClockError::RuleNotInForce { .. },
        )) => ApiError::Unprocessable {
            code: RULE_NOT_IN_FORCE,
            detail: format!("{e}; nothing was recorded"),
        },
        other => other.into(),
    })
}

fn check_calendar(app: &AppState, year: i32) -> Result<(), ApiError> {
    if app.service.clocks().calendar.years.contains_key(&year) {
        Ok(())
    } else {
        Err(calendar_year_missing(app, year))
    }
}

fn calendar_year_missing(app: &AppState, year: i32) -> ApiError {
    let loaded: Vec<String> = app
        .service
        .clocks()
        .calendar
        .years
        .keys()
        .map(i32::to_string)
        .collect();
    ApiError::Unprocessable {
        code: CALENDAR_YEAR_MISSING,
        detail: format!(
            "no holiday calendar is loaded for {year}, so working days in {year} cannot be counted; \
             nothing was recorded (calendars loaded: {})",
            loaded.join(", ")
        ),
    }
}

/// The problem type of a step dated on a day no version of a statutory rule covers (HTTP 422).
pub const RULE_NOT_IN_FORCE: &str = "rule-not-in-force";

/// The problem type of a step the loaded holiday calendars cannot count (HTTP 422).
pub const CALENDAR_YEAR_MISSING: &str = "calendar-year-missing";

async fn read(
    app: &AppState,
    case_id: CaseId,
    as_of: Option<DateTime<Utc>>,
) -> Result<Vec<store::RecordedEvent>, ApiError> {
    let stream = crate::service::stream_of(case_id);
    let recorded = feed::case::read(app.service.store().as_ref(), &stream, horizon(as_of))
        .await
        .map_err(|e| ApiError::from(crate::ServiceError::from(e)))?;
    if recorded.is_empty() {
        return Err(crate::ServiceError::NotFound(case_id).into());
    }
    Ok(recorded)
}

/// Now, or as of the instant a view asks for.
fn horizon(as_of: Option<DateTime<Utc>>) -> feed::case::Horizon {
    as_of.map_or(feed::case::Horizon::Now, feed::case::Horizon::AsOf)
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
            let d = &tracked.deadline;
            // The one definition of "overdue" (a duty, paused while suspended, a recorded miss stays
            // overdue until done) lives in the domain.
            let days_overdue = state.days_overdue(*key, as_of);
            DeadlineView {
                key: serde_json::to_value(key)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                due: d.due,
                status: serde_json::to_value(tracked.status).unwrap_or_default(),
                overdue: days_overdue.is_some(),
                days_overdue: days_overdue.unwrap_or(0),
                superseded_miss: tracked.superseded_miss(),
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
