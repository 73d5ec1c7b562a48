//! The HTTP command API (axum): routing, authentication, limits, tracing and the OpenAPI document.

pub mod auth;
pub mod authorize;
pub mod error;
pub mod extract;
mod health;
pub mod oidc;
pub mod openapi;
pub mod petitions;
pub mod tokens;
pub mod views;

use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRef, Request};
use axum::http::HeaderValue;
use axum::middleware;
use tower_http::trace::TraceLayer;

use crate::CaseService;
use crate::access::AccessPolicy;
pub use auth::{ApiToken, TokenList};

/// Default maximum request body: a petition's text fits comfortably; attachments do not travel here.
pub const DEFAULT_BODY_LIMIT_BYTES: usize = 256 * 1024;

/// Shared state of every handler.
#[derive(Debug, Clone)]
pub struct AppState {
    pub service: CaseService,
    pub tokens: TokenList,
    /// Who may do what (rules/access/policy.cedar); every protected request is judged by it.
    pub policy: AccessPolicy,
}

impl FromRef<AppState> for TokenList {
    fn from_ref(state: &AppState) -> TokenList {
        state.tokens.clone()
    }
}

/// HTTP settings the router needs.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    pub body_limit_bytes: usize,
    pub request_timeout: Duration,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            body_limit_bytes: DEFAULT_BODY_LIMIT_BYTES,
            request_timeout: Duration::from_secs(30),
        }
    }
}

/// More authenticated endpoints served beside the command API (the read models), with their OpenAPI paths.
#[derive(Default)]
pub struct ExtraRoutes {
    /// Routes with their state applied; they get the same bearer auth, limits, tracing and correlation ids.
    pub routes: Router,
    /// Routes served without authentication (e.g. the petitioners' lookup by tracking code).
    pub public: Router,
    /// Merged into `/api/v1/openapi.json`.
    pub doc: Option<utoipa::openapi::OpenApi>,
}

impl std::fmt::Debug for ExtraRoutes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExtraRoutes")
            .field("has_doc", &self.doc.is_some())
            .finish_non_exhaustive()
    }
}

/// The whole API: public health and OpenAPI routes, and the authenticated petition routes.
pub fn router(state: AppState, config: &HttpConfig) -> Router {
    router_with(state, config, ExtraRoutes::default())
}

/// The API plus `extra` authenticated routes.
pub fn router_with(state: AppState, config: &HttpConfig, extra: ExtraRoutes) -> Router {
    let auth = middleware::from_fn_with_state(state.tokens.clone(), auth::require_bearer);
    let authorize = middleware::from_fn_with_state(state.clone(), authorize::authorize);
    // Layers run outside in: authentication first, then the policy, then the handler.
    let protected = petitions::router()
        .with_state(state.clone())
        .merge(extra.routes)
        .route_layer(authorize)
        .route_layer(auth);
    Router::new()
        .merge(health::router())
        .with_state(state)
        .merge(openapi::router(extra.doc))
        .merge(extra.public)
        .merge(protected)
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(config.body_limit_bytes))
        .layer(middleware::from_fn(correlation))
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &Request| {
                tracing::info_span!(
                    "http",
                    method = %request.method(),
                    path = %request.uri().path(),
                    correlation_id = tracing::field::Empty,
                    actor = tracing::field::Empty,
                )
            }),
        )
}

async fn not_found() -> error::ApiError {
    error::ApiError::NotFound("no such endpoint; see /api/v1/openapi.json".into())
}

/// Makes sure every request has a correlation id, records it on the span and echoes it in the response.
async fn correlation(mut request: Request, next: middleware::Next) -> axum::response::Response {
    let id = match extract::correlation_id(request.headers()) {
        Ok(id) => id,
        Err(e) => return axum::response::IntoResponse::into_response(e),
    };
    if let Ok(v) = HeaderValue::from_str(&id.to_string()) {
        request
            .headers_mut()
            .insert(extract::CORRELATION_HEADER, v.clone());
        tracing::Span::current().record("correlation_id", tracing::field::display(id));
        let mut response = next.run(request).await;
        response
            .headers_mut()
            .insert(extract::CORRELATION_HEADER, v);
        response
    } else {
        next.run(request).await
    }
}

/// Serves the API until `shutdown` completes, then drains in-flight requests.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}
