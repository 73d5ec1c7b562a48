//! The request-level edge: correlation ids, panics, load shedding, and the net that turns every error
//! answer produced below the API (axum rejections, tower-http timeouts, 405s) into a problem document.

use std::any::Any;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, Response, StatusCode, header};
use axum::middleware::Next;
use axum::response::IntoResponse;
use tower::BoxError;
use uuid::Uuid;

use super::error::ApiError;
use super::extract;

tokio::task_local! {
    /// The correlation id of the request being answered, so problems (and panics) can name it.
    static CORRELATION_ID: Uuid;
}

/// The correlation id of the request this task is answering, if it runs inside the correlation layer.
pub fn current_correlation_id() -> Option<Uuid> {
    CORRELATION_ID.try_with(|id| *id).ok()
}

/// Makes sure every request has a correlation id, records it on the span and echoes it in the response.
pub async fn correlation(mut request: Request, next: Next) -> axum::response::Response {
    let id = match extract::correlation_id(request.headers()) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    let Ok(value) = HeaderValue::from_str(&id.to_string()) else {
        return next.run(request).await;
    };
    request
        .headers_mut()
        .insert(extract::CORRELATION_HEADER, value.clone());
    tracing::Span::current().record("correlation_id", tracing::field::display(id));
    let mut response = CORRELATION_ID.scope(id, next.run(request)).await;
    response
        .headers_mut()
        .insert(extract::CORRELATION_HEADER, value);
    response
}

/// The largest error body read back to be re-expressed as a problem's detail; longer ones are dropped.
const MAX_BARE_ERROR_BODY: usize = 4 * 1024;

/// Error answers that are not problem documents yet (axum's text/plain rejections, the empty 408 of the
/// timeout layer, …) are rewritten as problems; the status and headers such as `Allow` are kept.
pub async fn problems_only(request: Request, next: Next) -> axum::response::Response {
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) || is_problem(&response) {
        return response;
    }
    let (parts, body) = response.into_parts();
    let is_text = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("text/plain"));
    let text = match is_text {
        true => axum::body::to_bytes(body, MAX_BARE_ERROR_BODY)
            .await
            .ok()
            .map(|b| String::from_utf8_lossy(&b).trim().to_owned())
            .filter(|t| !t.is_empty()),
        false => None,
    };
    let detail = text.unwrap_or_else(|| default_detail(status).to_owned());
    let error = match status {
        StatusCode::METHOD_NOT_ALLOWED => ApiError::MethodNotAllowed,
        _ => ApiError::Status { status, detail },
    };
    let mut problem = error.into_response();
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            problem.headers_mut().insert(name.clone(), value.clone());
        }
    }
    problem
}

fn is_problem(response: &axum::response::Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes() == b"application/problem+json")
}

fn default_detail(status: StatusCode) -> &'static str {
    match status {
        StatusCode::REQUEST_TIMEOUT => {
            "the request was not completed in time; nothing was recorded"
        }
        StatusCode::PAYLOAD_TOO_LARGE => "the body exceeds the server's limit",
        StatusCode::NOT_FOUND => "no such endpoint; see /api/v1/openapi.json",
        _ => "the request cannot be served as sent",
    }
}

/// The fallback of paths no route serves.
pub async fn not_found() -> ApiError {
    ApiError::NotFound("no such endpoint; see /api/v1/openapi.json".into())
}

/// The fallback of routes that exist with other methods (axum adds `Allow`).
pub async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

/// Answers a panic in a handler: logged with the correlation id, answered as a 500 problem document.
pub fn panic_answer(panic: Box<dyn Any + Send + 'static>) -> Response<Body> {
    let message = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("(no message)");
    tracing::error!(
        panic = message,
        correlation_id = ?current_correlation_id(),
        "a handler panicked; answered 500"
    );
    ApiError::Panicked.into_response()
}

/// Errors of the load-shedding stack: `Overloaded` becomes 503 with `Retry-After`.
pub async fn shed(error: BoxError) -> ApiError {
    if error.is::<tower::load_shed::error::Overloaded>() {
        tracing::warn!("at the concurrency limit: request shed with 503");
        ApiError::Overloaded
    } else {
        ApiError::Internal(anyhow::anyhow!("load-shedding layer failed: {error}"))
    }
}
