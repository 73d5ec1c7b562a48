//! The HTTP command API (axum): routing, authentication, limits, tracing and the OpenAPI document.

pub mod auth;
pub mod authorize;
mod contract;
mod edge;
pub mod error;
pub mod extract;
mod health;
mod hygiene;
pub mod oidc;
pub mod openapi;
pub mod personal_data;
pub mod petitions;
pub mod rate_limit;
pub mod server;
pub mod tokens;
pub mod views;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::error_handling::HandleErrorLayer;
use axum::extract::{DefaultBodyLimit, FromRef, Request};
use axum::http::StatusCode;
use axum::middleware;
use tower::ServiceBuilder;
use tower::limit::GlobalConcurrencyLimitLayer;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::timeout::{RequestBodyTimeoutLayer, TimeoutLayer};
use tower_http::trace::TraceLayer;

use crate::CaseService;
use crate::access::AccessPolicy;
pub use auth::{ApiToken, TokenList};
pub use edge::current_correlation_id;

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

/// HTTP settings of the router and the server: the limits every request and connection is held to.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Largest request body (413 beyond).
    pub body_limit_bytes: usize,
    /// Longest time a request may take from its head to its answer, body included (408 beyond).
    pub request_timeout: Duration,
    /// Longest pause while a request body is read (408 beyond): a body shorter than its
    /// `Content-Length` is not waited for forever.
    pub body_timeout: Duration,
    /// Longest time to receive a request head, counted from when the connection waits for one: it cuts
    /// off slow headers and closes idle keep-alive connections (the connection is closed, no answer).
    pub header_read_timeout: Duration,
    /// Requests answered at once across the API (excluding `/health` and `/ready`); beyond it a request
    /// is shed at once with 503 and `Retry-After`.
    pub max_concurrent_requests: usize,
    /// Open client connections; lowered at start to stay below the descriptor limit. At the cap the
    /// oldest connection without a request in progress is closed; with none, the new one is refused.
    pub max_connections: usize,
    /// Lookups per client on the public routes (`/api/v1/track/{code}`, the receipt proof): 429 beyond.
    pub public_rate_limit: rate_limit::RateLimit,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            body_limit_bytes: DEFAULT_BODY_LIMIT_BYTES,
            request_timeout: Duration::from_secs(30),
            body_timeout: Duration::from_secs(10),
            header_read_timeout: Duration::from_secs(10),
            max_concurrent_requests: 256,
            max_connections: 768,
            public_rate_limit: rate_limit::RateLimit::default(),
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
    let calendar_years: Vec<i32> = state
        .service
        .clocks()
        .calendar
        .years
        .keys()
        .copied()
        .collect();
    let auth = middleware::from_fn_with_state(state.tokens.clone(), auth::require_bearer);
    let authorize = middleware::from_fn_with_state(state.clone(), authorize::authorize);
    // Layers run outside in: authentication first, then the policy, then the handler.
    let protected = petitions::router()
        .merge(personal_data::router())
        .with_state(state.clone())
        .merge(extra.routes)
        .route_layer(authorize)
        .route_layer(auth);
    // One semaphore for every API route (a layer per route would give each route its own limit);
    // liveness and readiness stay outside so an overloaded node is not restarted for being busy.
    let permits = Arc::new(tokio::sync::Semaphore::new(
        config.max_concurrent_requests.max(1),
    ));
    let shed = ServiceBuilder::new()
        .layer(HandleErrorLayer::new(edge::shed))
        .load_shed()
        .layer(GlobalConcurrencyLimitLayer::with_semaphore(permits));
    let api = Router::new()
        .merge(openapi::router_for(extra.doc, &calendar_years))
        .merge(rate_limit::limited(extra.public, config.public_rate_limit))
        .merge(protected)
        .layer(shed);
    // Layers run outside-in from the last one added: trace, correlation id, problem net, panics,
    // header hygiene, the request and body timeouts, then the body limit the extractors read.
    Router::new()
        .merge(health::router())
        .with_state(state)
        .merge(api)
        .fallback(edge::not_found)
        .method_not_allowed_fallback(edge::method_not_allowed)
        .layer(DefaultBodyLimit::max(config.body_limit_bytes))
        .layer(RequestBodyTimeoutLayer::new(config.body_timeout))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            config.request_timeout,
        ))
        .layer(middleware::from_fn(hygiene::check_headers))
        .layer(CatchPanicLayer::custom(edge::panic_answer))
        .layer(middleware::from_fn(edge::problems_only))
        .layer(middleware::from_fn(edge::correlation))
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &Request| {
                tracing::info_span!(
                    "http",
                    method = %request.method(),
                    path = %loggable_path(request.uri().path()),
                    correlation_id = tracing::field::Empty,
                    actor = tracing::field::Empty,
                )
            }),
        )
}

/// The path as logs may show it: a tracking code in it (the public lookup and the receipt proof) is replaced
/// by `{code}`, since a code is a credential and logs are read by many (ADR 0016).
pub fn loggable_path(path: &str) -> std::borrow::Cow<'_, str> {
    for prefix in ["/api/v1/track/", "/api/v1/log/receipt/"] {
        if path.len() > prefix.len() && path.starts_with(prefix) {
            return format!("{prefix}{{code}}").into();
        }
    }
    path.into()
}

/// Serves the API with the default limits until `shutdown` completes, then drains in-flight requests.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    server::serve(listener, app, &HttpConfig::default(), shutdown).await
}

/// Serves the API with the connection limits and header-read timeout of `config`.
pub async fn serve_with(
    listener: tokio::net::TcpListener,
    app: Router,
    config: &HttpConfig,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    server::serve(listener, app, config, shutdown).await
}
