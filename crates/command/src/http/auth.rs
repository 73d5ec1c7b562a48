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
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .ok_or(ApiError::Unauthorized)?;
    let actor = tokens
        .actor_for(presented)
        .ok_or(ApiError::Unauthorized)?
        .to_owned();
    tracing::Span::current().record("actor", actor.as_str());
    request.extensions_mut().insert(Actor(actor));
    Ok(next.run(request).await)
}
