//! The read side's HTTP API: case list, statistics, watchlist (JSON or CSV) and the audit timeline.
//! The router carries its state but no authentication: the binary wraps it with the bearer-auth layer,
//! and merges [`ApiDoc`] into the main OpenAPI document.

mod csv;
mod routes;
pub mod track;

use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use command::http::error::ApiError;
use store::EventStore;
use utoipa::OpenApi;

use crate::{ProjectionError, Projections};

pub use routes::TimelineQuery;

/// What the read-side handlers share.
#[derive(Debug, Clone)]
pub struct ProjectionState {
    pub projections: Projections,
    /// The store, for the audit timeline and as-of views, which are computed from the events themselves.
    pub store: Arc<dyn EventStore>,
}

/// `GET /api/v1/track/{code}`: public, for petitioners (serve it without the bearer-auth layer).
pub fn public_router(state: ProjectionState) -> Router {
    Router::new()
        .route("/api/v1/track/{code}", get(track::track))
        .with_state(state)
}

/// `GET /api/v1/cases`, `/api/v1/stats`, `/api/v1/watchlist`, `/api/v1/petitions/{id}/timeline`.
pub fn router(state: ProjectionState) -> Router {
    Router::new()
        .route("/api/v1/cases", get(routes::list_cases))
        .route("/api/v1/stats", get(routes::stats))
        .route("/api/v1/watchlist", get(routes::watchlist))
        .route("/api/v1/petitions/{id}/timeline", get(routes::timeline))
        .with_state(state)
}

#[derive(Debug, OpenApi)]
#[openapi(
    paths(routes::list_cases, routes::stats, routes::watchlist, routes::timeline, track::track),
    components(schemas(
        crate::query::cases::CasePage, crate::query::cases::CaseRow, crate::query::cases::DeadlineRow,
        crate::query::cases::CaseSort, crate::query::cases::SortOrder,
        crate::query::stats::StatsReport, crate::query::stats::StatsRow, crate::query::stats::Granularity,
        crate::query::watchlist::Watchlist, crate::query::watchlist::WatchlistEntry,
        crate::query::timeline::Timeline, crate::query::timeline::TimelineEntry, crate::query::timeline::DeadlineNote,
        track::TrackView, track::Label,
    )),
    tags(
        (name = "read models", description = "Case list, statistics, inspectorate watchlist and audit timeline"),
        (name = "petitioners", description = "Public lookup by tracking code")
    )
)]
pub struct ApiDoc;

/// Maps read-side failures to problem documents: bad parameters are the caller's, the rest is logged.
pub(crate) fn api_error(e: ProjectionError) -> ApiError {
    match e {
        ProjectionError::Config(detail) => ApiError::bad_request("invalid-query", detail),
        ProjectionError::BadQuery { code, detail } => ApiError::bad_request(code, detail),
        other => ApiError::Internal(anyhow::Error::new(other)),
    }
}
