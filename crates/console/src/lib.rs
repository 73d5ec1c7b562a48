//! The inspectorate's web console: server-rendered pages under `/console` over the read models, in
//! Vietnamese by default with an English switch, usable with JavaScript off (there is none).
//!
//! Pages: the overview (KPIs and SVG charts for a period and an agency subtree, with drill-down), the
//! watchlist (filters, severity order, paging, CSV), a case's timeline with every deadline explained and its
//! chain verified, the public petitioner lookup by tracking code, and sign-in. Every answer carries a strict
//! Content-Security-Policy; every template is autoescaped; every form that writes carries a CSRF token.

mod access;
mod assets;
mod auth;
mod charts;
pub mod demo;
mod i18n;
mod i18n_access;
pub mod oidc;
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
pub use oidc::{ConsoleSettings, OidcLogin, OidcLoginSettings};
pub use session::Sessions;

/// The audit bundle of one case, as `petition audit export --case` writes it (events, signed checkpoints,
/// inclusion proofs). The binary provides it when the transparency log is on; the console cannot build one
/// itself (it does not depend on the log).
pub type ExportFuture =
    std::pin::Pin<Box<dyn std::future::Future<Output = anyhow::Result<serde_json::Value>> + Send>>;
#[derive(Clone)]
pub struct Exporter(pub Arc<dyn Fn(uuid::Uuid) -> ExportFuture + Send + Sync>);

impl std::fmt::Debug for Exporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Exporter")
    }
}

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
    /// The API's access policy: the console shows only what it lets the signed-in principal read.
    pub policy: command::access::AccessPolicy,
    /// The OpenID Connect sign-in, when an identity provider is configured.
    pub oidc: Option<OidcLogin>,
    /// The case audit bundle, when the transparency log is on.
    pub exporter: Option<Exporter>,
    /// The console is reached over https (a configured `https://` public origin): cookies are `Secure`
    /// whatever the request says.
    pub https_origin: bool,
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
        // The shipped policy is part of the binary: one that does not load is a bug every test catches.
        let policy = command::access::AccessPolicy::embedded(agencies.clone())
            .unwrap_or_else(|e| panic!("the embedded access policy does not load: {e}"));
        Self {
            projections,
            store,
            agencies,
            rulebook,
            auth,
            sessions: Sessions::default(),
            policy,
            oidc: None,
            exporter: None,
            https_origin: false,
            web: Arc::new(web::Web::new()),
        }
    }

    /// Judges with this policy (the API's, when the operator loaded their own).
    pub fn with_policy(mut self, policy: command::access::AccessPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Offers the OpenID Connect sign-in; an `https://` redirect address makes every cookie `Secure`.
    pub fn with_oidc(mut self, login: OidcLogin) -> Self {
        self.https_origin |= login.redirect_is_https();
        self.oidc = Some(login);
        self
    }

    /// Makes every cookie `Secure` (the console is served behind an https origin).
    pub fn with_https_origin(mut self, https: bool) -> Self {
        self.https_origin |= https;
        self
    }

    /// Offers the case audit bundle for download on the auditor page.
    pub fn with_exporter(mut self, exporter: Exporter) -> Self {
        self.exporter = Some(exporter);
        self
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
        .route("/console/login/oidc", get(oidc::start))
        .route("/console/login/callback", get(oidc::callback))
        .route("/console/audit", get(pages::audit::page))
        .route("/console/audit/{id}/export.json", get(pages::audit::export))
        .route("/console/assets/{name}", get(assets::serve))
        // No fallback: the API router it is merged with has one; unknown console paths answer HTML here.
        .route("/console/{*rest}", get(pages::not_found))
        .layer(DefaultBodyLimit::max(BODY_LIMIT_BYTES))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            web::security_headers,
        ))
        .with_state(state)
}
