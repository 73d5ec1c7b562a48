//! The one HTTP error type: every failure leaves as RFC 9457 `application/problem+json` with a stable `type`.
//!
//! Client errors explain themselves; server errors are logged in full and answered with a generic detail,
//! so nothing internal (SQL, paths, stack) reaches a caller.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use store::StoreError;
use uuid::Uuid;

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
    /// The request's correlation id (`X-Correlation-Id`), so a report can be matched with the server's log.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<Uuid>,
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
    /// The request is well-formed but cannot be processed as sent (422), e.g. a step dated in a year
    /// whose holiday calendar is not loaded.
    #[error("{detail}")]
    Unprocessable { code: &'static str, detail: String },
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// The body is in a content coding the server does not decode (anything but `identity`).
    #[error("{0}")]
    UnsupportedEncoding(String),
    #[error("missing or invalid bearer token")]
    Unauthorized,
    /// The access policy does not grant `permission` to the caller for this resource (403).
    #[error("{detail}")]
    Forbidden { permission: String, detail: String },
    #[error("{0}")]
    NotFound(String),
    /// The path exists but not with this method; `Allow` says which methods it has.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// A precondition (`If-Match`) does not hold; nothing was recorded.
    #[error("{0}")]
    PreconditionFailed(String),
    /// The client did not send the request (or its body) in time.
    #[error("{0}")]
    RequestTimeout(String),
    /// Too many requests in flight: shed without being started; retry after `Retry-After` seconds.
    #[error("the server is at its concurrency limit")]
    Overloaded,
    /// One client asked too often (the public tracking lookup); retry after `Retry-After` seconds.
    #[error("too many requests from this client")]
    TooManyRequests { retry_after_secs: u64 },
    /// A handler panicked; the panic was logged and the connection kept.
    #[error("a handler panicked")]
    Panicked,
    /// An error answer produced below the API (axum, tower, hyper), re-expressed as a problem.
    #[error("{detail}")]
    Status { status: StatusCode, detail: String },
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
            correlation_id: None,
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
            ApiError::Unprocessable { code, detail } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                p(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    code,
                    "The request cannot be processed",
                    detail.clone(),
                ),
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
            ApiError::UnsupportedEncoding(d) => {
                let s = StatusCode::UNSUPPORTED_MEDIA_TYPE;
                (
                    s,
                    p(
                        s,
                        "unsupported-content-encoding",
                        "Unsupported content encoding",
                        d.clone(),
                    ),
                )
            }
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
            ApiError::MethodNotAllowed => {
                let s = StatusCode::METHOD_NOT_ALLOWED;
                (
                    s,
                    p(
                        s,
                        "method-not-allowed",
                        "Method not allowed",
                        "this endpoint does not accept this method; `Allow` lists the ones it does"
                            .into(),
                    ),
                )
            }
            ApiError::PreconditionFailed(d) => {
                let s = StatusCode::PRECONDITION_FAILED;
                (
                    s,
                    p(s, "precondition-failed", "Precondition failed", d.clone()),
                )
            }
            ApiError::RequestTimeout(d) => {
                let s = StatusCode::REQUEST_TIMEOUT;
                (s, p(s, "request-timeout", "Request timeout", d.clone()))
            }
            ApiError::Overloaded => {
                let s = StatusCode::SERVICE_UNAVAILABLE;
                (
                    s,
                    p(
                        s,
                        "overloaded",
                        "Server busy",
                        "too many requests are in progress; nothing was done, retry after the `Retry-After` delay"
                            .into(),
                    ),
                )
            }
            ApiError::TooManyRequests { retry_after_secs } => {
                let s = StatusCode::TOO_MANY_REQUESTS;
                (
                    s,
                    p(
                        s,
                        "too-many-requests",
                        "Too many requests",
                        format!(
                            "too many lookups from this client; wait {retry_after_secs} s (`Retry-After`) / \
                             quá nhiều lượt tra cứu, vui lòng thử lại sau {retry_after_secs} giây"
                        ),
                    ),
                )
            }
            ApiError::Panicked => {
                let s = StatusCode::INTERNAL_SERVER_ERROR;
                (
                    s,
                    p(
                        s,
                        "internal",
                        "Internal error",
                        "the request failed on the server; the incident was logged with its correlation id"
                            .into(),
                    ),
                )
            }
            ApiError::Status { status, detail } => {
                let (code, title) = status_code_and_title(*status);
                if status.is_server_error() {
                    tracing::error!(%status, detail = %detail, "error answer from below the API");
                    let generic =
                        "the request failed on the server; the incident was logged".into();
                    (*status, p(*status, code, title, generic))
                } else {
                    (*status, p(*status, code, title, detail.clone()))
                }
            }
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

/// The problem code and title of an HTTP status, for error answers that do not come from a handler.
pub fn status_code_and_title(status: StatusCode) -> (&'static str, &'static str) {
    match status.as_u16() {
        400 => ("bad-request", "Bad request"),
        401 => ("unauthorized", "Unauthorized"),
        403 => ("forbidden", "Forbidden"),
        404 => ("not-found", "Not found"),
        405 => ("method-not-allowed", "Method not allowed"),
        406 => ("not-acceptable", "Not acceptable"),
        408 => ("request-timeout", "Request timeout"),
        409 => ("conflict", "Conflict"),
        411 => ("length-required", "Length required"),
        412 => ("precondition-failed", "Precondition failed"),
        413 => ("payload-too-large", "Payload too large"),
        414 => ("uri-too-long", "URI too long"),
        415 => ("unsupported-media-type", "Unsupported media type"),
        422 => ("unprocessable", "Unprocessable request"),
        429 => ("too-many-requests", "Too many requests"),
        431 => ("headers-too-large", "Request headers too large"),
        503 => ("unavailable", "Service unavailable"),
        504 => ("timeout", "Timeout"),
        s if s >= 500 => ("internal", "Internal error"),
        _ => ("bad-request", "Bad request"),
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, mut problem) = self.problem();
        problem.correlation_id = super::edge::current_correlation_id();
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
        if matches!(self, ApiError::Overloaded) {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        if let ApiError::TooManyRequests { retry_after_secs } = &self
            && let Ok(v) = HeaderValue::from_str(&retry_after_secs.max(&1).to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
        if matches!(self, ApiError::UnsupportedEncoding(_)) {
            // RFC 9110 §15.5.16: say which content codings would have been accepted.
            response.headers_mut().insert(
                header::ACCEPT_ENCODING,
                HeaderValue::from_static("identity"),
            );
        }
        response
    }
}
