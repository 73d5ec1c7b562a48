//! Who is signing in: one function, [`Authenticator::authenticate`], turns a presented bearer token into the
//! principal (actor, roles, agency scope), by asking the command API's own bearer-auth middleware
//! (`command::http::auth::require_bearer`).
//!
//! The console therefore accepts exactly the tokens the API accepts — static tokens compared by SHA-256
//! digest, OpenID Connect access tokens checked against the provider's keys — and follows any change to
//! that check without code of its own. The token form posts a static token here; the OpenID Connect
//! authorization-code flow ([`crate::oidc`]) hands the access token it obtained to the same function.

use axum::Router;
use axum::body::Body;
use axum::extract::Extension;
use axum::http::{Request, StatusCode, header};
use axum::middleware;
use axum::routing::get;
use command::access::Principal;
use command::http::TokenList;
use command::http::auth::require_bearer;
use tower::ServiceExt;

/// Authenticates bearer tokens against the API's token list.
#[derive(Clone)]
pub struct Authenticator {
    probe: Router,
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticator").finish_non_exhaustive()
    }
}

impl Authenticator {
    pub fn new(tokens: TokenList) -> Self {
        // The middleware puts the principal in the request; the probe hands it back in the response's
        // extensions.
        let probe = Router::new()
            .route(
                "/",
                get(|Extension(p): Extension<Principal>| async move { Extension(p) }),
            )
            .route_layer(middleware::from_fn_with_state(tokens, require_bearer));
        Self { probe }
    }

    /// The principal a token stands for, or `None` when the API would refuse it.
    pub async fn authenticate(&self, token: &str) -> Option<Principal> {
        let token = token.trim();
        if token.is_empty() || token.len() > 8192 || token.chars().any(char::is_whitespace) {
            return None;
        }
        let request = Request::get("/")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::empty())
            .ok()?;
        let response = self.probe.clone().oneshot(request).await.ok()?;
        if response.status() != StatusCode::OK {
            return None;
        }
        response
            .extensions()
            .get::<Principal>()
            .cloned()
            .filter(|p| !p.actor.is_empty())
    }
}
