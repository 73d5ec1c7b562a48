//! The read-side handlers: parse the query, ask the read model, answer JSON (or CSV where offered).

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use chrono::{DateTime, Utc};
use command::access::CodeVisibility;
use command::http::error::{ApiError, Problem};
use serde::Deserialize;
use utoipa::IntoParams;

use super::{ProjectionState, api_error, csv};
use crate::query::cases::{CasePage, CaseQuery};
use crate::query::limits::{self, MAX_TIMELINE_LIMIT};
use crate::query::stats::{Format, StatsQuery, StatsReport};
use crate::query::timeline::{Timeline, TimelinePage, timeline_page};
use crate::query::watchlist::{Watchlist, WatchlistQuery};

fn today() -> chrono::NaiveDate {
    command::local_date(Utc::now())
}

fn query<T>(q: Result<Query<T>, QueryRejection>) -> Result<T, ApiError> {
    q.map(|Query(t)| t)
        .map_err(|e| ApiError::bad_request("invalid-query", e.body_text()))
}

fn wants_csv(format: Option<Format>) -> bool {
    format == Some(Format::Csv)
}

#[utoipa::path(
    get, path = "/api/v1/cases", tag = "read models",
    params(CaseQuery),
    responses(
        (status = 200, description = "A page of the case list", body = CasePage),
        (status = 400, description = "Bad parameters", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn list_cases(
    State(s): State<ProjectionState>,
    codes: Option<Extension<CodeVisibility>>,
    q: Result<Query<CaseQuery>, QueryRejection>,
) -> Result<Json<CasePage>, ApiError> {
    let q = query(q)?;
    let hidden = codes.is_some_and(|Extension(c)| !c.visible);
    if hidden && q.tracking_code.is_some() {
        return Err(ApiError::Forbidden {
            permission: "read-tracking-codes".into(),
            detail:
                "filtering by tracking code needs the permission `read-tracking-codes` (ADR 0016)"
                    .into(),
        });
    }
    let mut page = s
        .projections
        .list_cases(&q, today())
        .await
        .map_err(api_error)?;
    if hidden {
        // A tracking code is the citizen's credential: shown only to roles that deal with citizens.
        page.items
            .iter_mut()
            .for_each(|row| row.tracking_code = None);
    }
    Ok(Json(page))
}

#[utoipa::path(
    get, path = "/api/v1/stats", tag = "read models",
    params(StatsQuery),
    responses(
        (status = 200, description = "Statistics by agency × period × kind (JSON, or CSV with `format=csv`)", content(
            (StatsReport = "application/json"), (String = "text/csv"))),
        (status = 400, description = "Bad parameters", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn stats(
    State(s): State<ProjectionState>,
    q: Result<Query<StatsQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let q = query(q)?;
    let csv = wants_csv(q.format);
    let report = s
        .projections
        .stats(&s.store, &q, today())
        .await
        .map_err(api_error)?;
    Ok(if csv {
        csv::response(csv::stats(&report.rows), "statistics.csv")
    } else {
        Json(report).into_response()
    })
}

#[utoipa::path(
    get, path = "/api/v1/watchlist", tag = "read models",
    params(WatchlistQuery),
    responses(
        (status = 200, description = "The inspectorate watchlist, most severe first (JSON, or CSV with `format=csv`)",
            content(
            (Watchlist = "application/json"), (String = "text/csv"))),
        (status = 400, description = "Bad parameters", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn watchlist(
    State(s): State<ProjectionState>,
    codes: Option<Extension<CodeVisibility>>,
    q: Result<Query<WatchlistQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let q = query(q)?;
    let csv = wants_csv(q.format);
    let mut list = s
        .projections
        .watchlist(&q, today())
        .await
        .map_err(api_error)?;
    if codes.is_some_and(|Extension(c)| !c.visible) {
        list.items.iter_mut().for_each(|e| e.tracking_code = None);
    }
    Ok(if csv {
        csv::response(csv::watchlist(&list.items), "watchlist.csv")
    } else {
        Json(list).into_response()
    })
}

/// Parameters of the timeline.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TimelineQuery {
    /// Show the case as it stood at this instant (RFC 3339): only events recorded by then. Years 1900
    /// to 9999.
    pub as_of: Option<DateTime<Utc>>,
    /// The first version (1-based) whose event is listed (default 1).
    #[param(minimum = 1)]
    pub from_version: Option<u64>,
    /// How many events to list (default and maximum 1000); `next_from_version` continues.
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}

#[utoipa::path(
    get, path = "/api/v1/petitions/{id}/timeline", tag = "read models",
    params(("id" = uuid::Uuid, Path, description = "Case id"), TimelineQuery),
    responses(
        (status = 200, description = "Every event with actor, times, hashes and deadline explanations", body = Timeline),
        (status = 400, description = "Bad parameters", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such case (at that instant)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn timeline(
    State(s): State<ProjectionState>,
    Path(id): Path<String>,
    q: Result<Query<TimelineQuery>, QueryRejection>,
) -> Result<Json<Timeline>, ApiError> {
    let q = query(q)?;
    let case_id: uuid::Uuid = id.parse().map_err(|_| {
        ApiError::bad_request("invalid-case-id", format!("`{id}` is not a case id"))
    })?;
    let as_of = limits::instant("as_of", q.as_of).map_err(api_error)?;
    let page = TimelinePage {
        from_version: limits::bounded("from_version", q.from_version, 1, 1, u64::MAX)
            .map_err(api_error)?,
        limit: limits::bounded("limit", q.limit, MAX_TIMELINE_LIMIT, 1, MAX_TIMELINE_LIMIT)
            .map_err(api_error)? as usize,
    };
    match timeline_page(&s.store, case_id, as_of, page)
        .await
        .map_err(api_error)?
    {
        Some(t) => Ok(Json(t)),
        None => Err(ApiError::NotFound(format!(
            "case {case_id} does not exist{}",
            if q.as_of.is_some() {
                " at that instant"
            } else {
                ""
            }
        ))),
    }
}
