//! Bearer-token authentication against a static token list from settings.
//!
//! Each token has a name, which becomes the `actor` of every event recorded with it. Roles and agency
//! scopes come later; today a valid token may call every endpoint except the public ones.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

use super::error::ApiError;

/// One accepted token and the actor it stands for.
#[derive(Debug, Clone)]
pub struct ApiToken {
    pub actor: String,
    pub token: SecretString,
}

/// The authenticated caller, available to handlers as an extension.
#[derive(Debug, Clone)]
pub struct Actor(pub String);

/// The token list, kept as SHA-256 digests so comparisons do not leak a token's prefix through timing.
#[derive(Debug, Clone, Default)]
pub struct TokenList {
    digests: Arc<Vec<([u8; 32], String)>>,
}

impl TokenList {
    pub fn new(tokens: &[ApiToken]) -> Self {
        let digests = tokens
            .iter()
            .map(|t| (digest(t.token.expose_secret()), t.actor.clone()))
            .collect();
        Self {
            digests: Arc::new(digests),
        }
    }

    fn actor_for(&self, presented: &str) -> Option<&str> {
        let d = digest(presented);
        self.digests
            .iter()
            .find(|(known, _)| *known == d)
            .map(|(_, actor)| actor.as_str())
    }
}

fn digest(s: &str) -> [u8; 32] {
    Sha256::digest(s.as_bytes()).into()
}

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
    let actor = tokens
        .actor_for(presented)
        .ok_or(ApiError::Unauthorized)?
        .to_owned();
    tracing::Span::current().record("actor", actor.as_str());
    request.extensions_mut().insert(Actor(actor));
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
