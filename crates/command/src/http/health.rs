//! Liveness and readiness, public so orchestrators can probe without a token.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;

use super::AppState;
use super::error::ApiError;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/health", get(live))
        .route("/ready", get(ready))
}

/// The process is up.
#[utoipa::path(get, path = "/health", tag = "operations", responses((status = 200, description = "Alive")))]
pub async fn live() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok" }))
}

/// The event store answers. The answer says ready or not and nothing else: no backend, no head of the
/// global order on a public endpoint (operators have `petition bus status` and the private metrics listener).
#[utoipa::path(get, path = "/ready", tag = "operations", responses(
    (status = 200, description = "Ready: `{\"status\": \"ready\"}`"),
    (status = 503, description = "The event store is unavailable", body = super::error::Problem, content_type = "application/problem+json")))]
pub async fn ready(State(app): State<AppState>) -> Result<Json<serde_json::Value>, ApiError> {
    app.service
        .store()
        .head()
        .await
        .map_err(|e| ApiError::from(crate::ServiceError::from(e)))?;
    Ok(Json(json!({ "status": "ready" })))
}
