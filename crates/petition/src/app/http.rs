//! The HTTP side of the app: who may call (static tokens, OpenID Connect, or the embedded default's
//! development token), the access policy, and one router merging the command API, the read models, the
//! transparency log's public routes and the web console.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use command::CaseService;
use command::http::{ApiToken, AppState, HttpConfig, TokenList};
use secrecy::SecretString;

use crate::app::wire::Log;
use crate::settings::Settings;

/// Everything the router is made of.
pub(crate) struct Parts<'a> {
    pub settings: &'a Settings,
    pub service: CaseService,
    pub store: Arc<dyn store::EventStore>,
    pub projections: projection::Projections,
    pub directory: Arc<domain::StaticAgencyDirectory>,
    pub rulebook: Arc<clock::Rulebook>,
    pub log: Option<&'a Log>,
}

/// The HTTP limits of the API listener.
pub(crate) fn config(settings: &Settings) -> HttpConfig {
    HttpConfig {
        body_limit_bytes: settings.body_limit_bytes,
        ..HttpConfig::default()
    }
}

/// The whole public router, with the metrics middleware outermost (it sees every matched route).
pub(crate) fn router(parts: Parts<'_>) -> anyhow::Result<axum::Router> {
    let settings = parts.settings;
    let agencies: Arc<dyn domain::AgencyDirectory> = parts.directory.clone();
    let policy = match &settings.access_policy {
        Some(path) => command::access::AccessPolicy::load(path, agencies)
            .with_context(|| format!("loading the access policy {}", path.display()))?,
        None => command::access::AccessPolicy::embedded(agencies)
            .context("the shipped access policy")?,
    };
    let state = AppState {
        service: parts.service,
        tokens: tokens(settings)?,
        policy,
    };
    let read_state = || projection::http::ProjectionState {
        projections: parts.projections.clone(),
        store: parts.store.clone(),
    };
    let read_side = command::http::ExtraRoutes {
        routes: projection::http::router(read_state()),
        public: projection::http::public_router(read_state())
            .merge(parts.log.map(Log::routes).unwrap_or_default()),
        doc: Some(<projection::http::ApiDoc as utoipa::OpenApi>::openapi()),
    };
    // The web console answers HTML under /console, beside (not inside) the API's problem+json edge.
    let console = console::ConsoleState::new(
        parts.projections.clone(),
        parts.store.clone(),
        parts.directory,
        parts.rulebook,
        console::Authenticator::new(state.tokens.clone()),
    );
    let console = crate::app::console::configure(
        console,
        settings,
        state.policy.clone(),
        parts.log,
        parts.store.clone(),
    )?;
    Ok(
        command::http::router_with(state, &config(settings), read_side)
            .merge(console::router(console))
            .layer(axum::middleware::from_fn(crate::observe::track_http)),
    )
}

/// The static tokens, the OpenID Connect provider, or — with neither — the development token.
fn tokens(settings: &Settings) -> anyhow::Result<TokenList> {
    let mut tokens = match settings.api_tokens()? {
        Some(tokens) => TokenList::new(&tokens),
        None if settings.oidc.is_some() => TokenList::new(&[]),
        None => TokenList::new(&[development_token(&settings.data_dir)?]),
    };
    if let Some(oidc) = &settings.oidc {
        let verifier =
            command::http::oidc::OidcVerifier::new(oidc.clone()).context("the [oidc] settings")?;
        tracing::info!(
            issuer = verifier.issuer(),
            "accepting OpenID Connect access tokens"
        );
        tokens = tokens.with_oidc(verifier);
    }
    Ok(tokens)
}

/// The embedded default needs no settings: a random token is created once, kept in the data directory
/// (readable only by its owner) and printed so the operator can use it right away. It holds every officer
/// role for the whole state (not `system`: only the server's own workers record their facts).
fn development_token(data_dir: &Path) -> anyhow::Result<ApiToken> {
    let path = data_dir.join("dev-token");
    let token = match std::fs::read_to_string(&path) {
        Ok(t) if t.trim().len() >= 16 => t.trim().to_owned(),
        _ => {
            std::fs::create_dir_all(data_dir)?;
            let t = hex::encode(rand::random::<[u8; 24]>());
            write_private(&path, &t).with_context(|| format!("writing {}", path.display()))?;
            t
        }
    };
    eprintln!(
        "No PETITION_TOKENS set: development token (actor `dev`), also in {}:\n  {token}",
        path.display()
    );
    use command::access::{Role, Scope};
    Ok(ApiToken::from_secret(
        "dev",
        &SecretString::from(token),
        Role::ALL
            .into_iter()
            .filter(|r| *r != Role::System)
            .collect(),
        Scope::All,
    ))
}

#[cfg(unix)]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(contents.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    std::fs::write(path, contents)
}
