//! Who is signing in: one function, [`Authenticator::authenticate`], turns a presented bearer token into an
//! actor, by asking the command API's own bearer-auth middleware (`command::http::auth::require_bearer`).
//!
//! The console therefore accepts exactly the tokens the API accepts, compared the way the API compares
//! them (SHA-256 digests), and follows any change to that check without code of its own. When the API
//! grows OIDC and role policies, this is the one place that changes: `authenticate` will return the
//! principal (actor, role, agency scope) instead of a bare actor name, and the OIDC authorization-code flow
//! with PKCE plugs in beside the token form as two routes, `GET /console/login/oidc` (redirect to the
//! provider with `state`, `nonce` and the PKCE challenge kept in a short-lived cookie) and
//! `GET /console/login/callback` (exchange the code, validate the ID token, then
//! [`crate::session::Sessions::create`] exactly as the token form does).

use axum::Router;
use axum::body::Body;
use axum::extract::Extension;
use axum::http::{Request, StatusCode, header};
use axum::middleware;
use axum::routing::get;
use command::http::TokenList;
use command::http::auth::{Actor, require_bearer};
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
        let probe = Router::new()
            .route(
                "/",
                get(|Extension(Actor(actor)): Extension<Actor>| async move { actor }),
            )
            .route_layer(middleware::from_fn_with_state(tokens, require_bearer));
        Self { probe }
    }

    /// The actor a token stands for, or `None` when the API would refuse it.
    pub async fn authenticate(&self, token: &str) -> Option<String> {
        let token = token.trim();
        if token.is_empty() || token.len() > 512 || token.chars().any(char::is_whitespace) {
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
        let body = axum::body::to_bytes(response.into_body(), 1024)
            .await
            .ok()?;
        String::from_utf8(body.to_vec())
            .ok()
            .filter(|a| !a.is_empty())
    }
}
