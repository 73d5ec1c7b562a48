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
        .and_then(bearer_token)
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

/// The token of `Authorization: Bearer <token>`. The scheme is case-insensitive and may be followed by
/// any run of spaces and tabs (RFC 9110 §11.1, §11.4); a token68 has no whitespace inside.
fn bearer_token(value: &str) -> Option<&str> {
    const WS: [char; 2] = [' ', '\t'];
    let (scheme, rest) = value.trim_matches(WS).split_once(WS)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let token = rest.trim_start_matches(WS);
    (!token.is_empty() && !token.contains(WS)).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::bearer_token;

    #[test]
    fn the_scheme_is_case_insensitive_and_tolerates_tabs_and_spaces() {
        for header in [
            "Bearer abc",
            "bearer abc",
            "BEARER abc",
            "BeArEr\tabc",
            "Bearer    abc",
            "Bearer \t abc  ",
        ] {
            assert_eq!(bearer_token(header), Some("abc"), "{header:?}");
        }
    }

    #[test]
    fn other_schemes_and_malformed_values_yield_no_token() {
        for header in [
            "Basic abc",
            "Bearer",
            "Bearer ",
            "Bearerabc",
            "Bearer a b",
            "abc",
        ] {
            assert_eq!(bearer_token(header), None, "{header:?}");
        }
    }
}
