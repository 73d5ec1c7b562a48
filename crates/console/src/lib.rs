//! The inspectorate's web console: server-rendered pages under `/console` over the read models, in
//! Vietnamese by default with an English switch, usable with JavaScript off (there is none).
//!
//! Pages: the overview (KPIs and SVG charts for a period and an agency subtree, with drill-down), the
//! watchlist (filters, severity order, paging, CSV), a case's timeline with every deadline explained and its
//! chain verified, the public petitioner lookup by tracking code, and sign-in. Every answer carries a strict
//! Content-Security-Policy; every template is autoescaped; every form that writes carries a CSRF token.

mod assets;
mod auth;
mod charts;
pub mod demo;
mod i18n;
mod pages;
mod session;
mod tree;
mod web;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware;
use axum::routing::{get, post};
use store::EventStore;

pub use auth::Authenticator;
pub use session::Sessions;

/// Largest form the console accepts (the sign-in form is the biggest): anything larger is refused.
const BODY_LIMIT_BYTES: usize = 16 * 1024;

/// What the console's handlers share. Cheap to clone.
#[derive(Debug, Clone)]
pub struct ConsoleState {
    pub projections: projection::Projections,
    /// The store, for a case's timeline (as of a date) and its chain verification.
    pub store: Arc<dyn EventStore>,
    /// The agency directory, for subtrees, drill-down and names.
    pub agencies: Arc<domain::StaticAgencyDirectory>,
    /// The rulebook, to name each deadline's legal basis.
    pub rulebook: Arc<clock::Rulebook>,
    pub auth: Authenticator,
    pub sessions: Sessions,
    pub(crate) web: Arc<web::Web>,
}

impl ConsoleState {
    pub fn new(
        projections: projection::Projections,
        store: Arc<dyn EventStore>,
        agencies: Arc<domain::StaticAgencyDirectory>,
        rulebook: Arc<clock::Rulebook>,
        auth: Authenticator,
    ) -> Self {
        Self {
            projections,
            store,
            agencies,
            rulebook,
            auth,
            sessions: Sessions::default(),
            web: Arc::new(web::Web::new()),
        }
    }
}

/// Every console route, with full paths (`/console/…`), its security headers and body limit applied. The
/// binary merges it beside the API; it answers HTML, so it stays outside the API's problem+json edge.
pub fn router(state: ConsoleState) -> Router {
    Router::new()
        .route("/console", get(pages::overview::page))
        .route("/console/", get(pages::overview::page))
        .route("/console/watchlist", get(pages::watchlist::page))
        .route("/console/watchlist.csv", get(pages::watchlist::csv))
        .route("/console/cases/{id}", get(pages::case::page))
        .route("/console/track", get(pages::track::page))
        .route(
            "/console/login",
            get(pages::login::form).post(pages::login::submit),
        )
        .route("/console/logout", post(pages::login::logout))
        .route("/console/assets/{name}", get(assets::serve))
        // No fallback: the API router it is merged with has one; unknown console paths answer HTML here.
        .route("/console/{*rest}", get(pages::not_found))
        .layer(DefaultBodyLimit::max(BODY_LIMIT_BYTES))
        .layer(middleware::from_fn(web::security_headers))
        .with_state(state)
}
