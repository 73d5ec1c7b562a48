//! Bearer-token authentication: static tokens from settings ([`super::tokens`]) and OpenID Connect access
//! tokens ([`super::oidc`]).
//!
//! The principal's name becomes the `actor` of every event recorded with it; its roles and agency are
//! judged by the authorization layer ([`super::authorize`]).

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;

use super::error::ApiError;

pub use super::tokens::{ApiToken, TokenList};

/// The authenticated caller's actor name, available to handlers as an extension (the full
/// [`crate::access::Principal`] is beside it, for the authorization layer).
#[derive(Debug, Clone)]
pub struct Actor(pub String);

/// Rejects requests without a known bearer token; records the actor for the handlers.
pub async fn require_bearer(
    State(tokens): State<TokenList>,
    mut request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .ok_or(ApiError::Unauthorized)?;
    let principal = tokens
        .authenticate(presented)
        .await
        .ok_or(ApiError::Unauthorized)?;
    tracing::Span::current().record("actor", principal.actor.as_str());
    request
        .extensions_mut()
        .insert(Actor(principal.actor.clone()));
    request.extensions_mut().insert(principal);
    Ok(next.run(request).await)
}
