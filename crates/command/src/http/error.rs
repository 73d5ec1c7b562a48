//! The one HTTP error type: every failure leaves as RFC 9457 `application/problem+json` with a stable `type`.
//!
//! Client errors explain themselves; server errors are logged in full and answered with a generic detail,
//! so nothing internal (SQL, paths, stack) reaches a caller.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use store::StoreError;

use crate::ServiceError;

/// Prefix of every problem type URI; a tag URI is stable and needs no web server behind it.
pub const PROBLEM_TYPE_PREFIX: &str = "tag:petition-ledger,2026:problem/";

/// The problem document (RFC 9457).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub problem_type: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// The legal provision that refuses the request, when a rule of law does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub legal_basis: Option<String>,
    /// The case version the server holds, on version conflicts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_version: Option<u64>,
    /// The permission (policy action) the caller lacks, on 403.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub permission: Option<String>,
}

/// Everything a handler can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    Service(#[from] ServiceError),
    /// The request itself is unusable (bad JSON, bad header, bad path segment).
    #[error("{detail}")]
    BadRequest { code: &'static str, detail: String },
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("missing or invalid bearer token")]
    Unauthorized,
    /// The access policy does not grant `permission` to the caller for this resource (403).
    #[error("{detail}")]
    Forbidden { permission: String, detail: String },
    #[error("{0}")]
    NotFound(String),
    /// Anything unexpected; logged, never detailed to the caller.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        Self::BadRequest {
            code,
            detail: detail.into(),
        }
    }

    fn problem(&self) -> (StatusCode, Problem) {
        let p = |status: StatusCode, code: &str, title: &str, detail: String| Problem {
            problem_type: format!("{PROBLEM_TYPE_PREFIX}{code}"),
            title: title.to_owned(),
            status: status.as_u16(),
            detail,
            legal_basis: None,
            current_version: None,
            permission: None,
        };
        match self {
            ApiError::Service(ServiceError::Domain(e)) => {
                let status = if e.is_client_error() {
                    StatusCode::UNPROCESSABLE_ENTITY
                } else {
                    StatusCode::INTERNAL_SERVER_ERROR
                };
                if status.is_server_error() {
                    tracing::error!(error = %e, "domain reported a server-side failure");
                    return (
                        status,
                        p(
                            status,
                            "internal",
                            "Internal error",
                            "the server could not evaluate the rule; the incident was logged"
                                .into(),
                        ),
                    );
                }
                let mut problem = p(status, e.code(), "The command is refused", e.to_string());
                problem.legal_basis = e.legal_basis().map(str::to_owned);
                (status, problem)
            }
            ApiError::Service(ServiceError::NotFound(id)) => (
                StatusCode::NOT_FOUND,
                p(
                    StatusCode::NOT_FOUND,
                    "case-not-found",
                    "No such case",
                    format!("case {id} does not exist"),
                ),
            ),
            ApiError::Service(e @ ServiceError::VersionMismatch { actual, .. }) => {
                let mut problem = p(
                    StatusCode::PRECONDITION_FAILED,
                    "version-mismatch",
                    "The case has changed",
                    e.to_string(),
                );
                problem.current_version = Some(*actual);
                (StatusCode::PRECONDITION_FAILED, problem)
            }
            ApiError::Service(e @ ServiceError::Contended(_)) => (
                StatusCode::CONFLICT,
                p(
                    StatusCode::CONFLICT,
                    "contended",
                    "Concurrent changes",
                    e.to_string(),
                ),
            ),
            ApiError::Service(ServiceError::Store(StoreError::IdempotencyKeyReused { .. })) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                p(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "idempotency-key-reused",
                    "Idempotency key reused",
                    "this Idempotency-Key was already used for a different request; use a new key"
                        .into(),
                ),
            ),
            ApiError::Service(ServiceError::Store(StoreError::Invalid(detail))) => (
                StatusCode::BAD_REQUEST,
                p(
                    StatusCode::BAD_REQUEST,
                    "invalid-input",
                    "Invalid input",
                    detail.clone(),
                ),
            ),
            ApiError::Service(ServiceError::Store(StoreError::Conflict { actual, .. })) => {
                let mut problem = p(
                    StatusCode::CONFLICT,
                    "conflict",
                    "Concurrent change",
                    "another change was recorded first; reload and retry".into(),
                );
                problem.current_version = Some(*actual);
                (StatusCode::CONFLICT, problem)
            }
            ApiError::Service(ServiceError::Store(e @ StoreError::Unavailable(_))) => {
                tracing::error!(error = %e, "event store unavailable");
                let s = StatusCode::SERVICE_UNAVAILABLE;
                (
                    s,
                    p(
                        s,
                        "store-unavailable",
                        "Storage unavailable",
                        "the event store is unavailable; nothing was recorded, retry later".into(),
                    ),
                )
            }
            ApiError::Service(e) => {
                tracing::error!(error = %e, "command failed on the server side");
                let s = StatusCode::INTERNAL_SERVER_ERROR;
                (
                    s,
                    p(
                        s,
                        "internal",
                        "Internal error",
                        "the request failed on the server; the incident was logged".into(),
                    ),
                )
            }
            ApiError::BadRequest { code, detail } => (
                StatusCode::BAD_REQUEST,
                p(StatusCode::BAD_REQUEST, code, "Bad request", detail.clone()),
            ),
            ApiError::PayloadTooLarge(d) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                p(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "payload-too-large",
                    "Payload too large",
                    d.clone(),
                ),
            ),
            ApiError::UnsupportedMediaType(d) => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                p(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "unsupported-media-type",
                    "Unsupported media type",
                    d.clone(),
                ),
            ),
            ApiError::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                p(
                    StatusCode::UNAUTHORIZED,
                    "unauthorized",
                    "Unauthorized",
                    "send `Authorization: Bearer <token>`".into(),
                ),
            ),
            ApiError::Forbidden { permission, detail } => {
                let mut problem = p(
                    StatusCode::FORBIDDEN,
                    "forbidden",
                    "Forbidden",
                    detail.clone(),
                );
                problem.permission = Some(permission.clone());
                (StatusCode::FORBIDDEN, problem)
            }
            ApiError::NotFound(d) => (
                StatusCode::NOT_FOUND,
                p(StatusCode::NOT_FOUND, "not-found", "Not found", d.clone()),
            ),
            ApiError::Internal(e) => {
                tracing::error!(error = ?e, "internal error");
                let s = StatusCode::INTERNAL_SERVER_ERROR;
                (
                    s,
                    p(
                        s,
                        "internal",
                        "Internal error",
                        "the request failed on the server; the incident was logged".into(),
                    ),
                )
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, problem) = self.problem();
        let mut response = (status, axum::Json(problem)).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}
