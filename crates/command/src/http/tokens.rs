//! Static bearer tokens for the embedded default and for service accounts, kept only as SHA-256 digests.
//!
//! A static token is 32 random bytes or more, so a plain SHA-256 is enough to make a leaked settings file
//! useless (there is no dictionary to try); a slow hash such as argon2 would cost every request its time.
//! Each token names its actor, its roles and the agency they apply to. OpenID Connect tokens (see
//! [`super::oidc`]) are tried when no static token matches.

use std::sync::Arc;

use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

use super::oidc::OidcVerifier;
use crate::access::{Credential, Principal, Role, Scope};

/// One accepted static token: the digest of its secret and the principal it stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    pub actor: String,
    pub roles: Vec<Role>,
    pub scope: Scope,
    digest: [u8; 32],
}

/// Why a token entry of the settings was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenSpecError {
    /// Not four `:`-separated fields. The entry is not echoed: it may be a plaintext token by mistake.
    #[error("a token entry must look like `actor:role[+role…]:agency-or-*:sha256-hex`")]
    Shape,
    #[error("token `{actor}`: {reason}")]
    Invalid { actor: String, reason: String },
}

impl ApiToken {
    /// A token whose secret the server holds (the development token it generated itself, tests).
    pub fn from_secret(
        actor: impl Into<String>,
        secret: &SecretString,
        roles: Vec<Role>,
        scope: Scope,
    ) -> Self {
        Self {
            actor: actor.into(),
            roles,
            scope,
            digest: digest(secret.expose_secret()),
        }
    }

    /// A token known only by the SHA-256 of its secret, as settings keep it.
    pub fn from_sha256_hex(
        actor: impl Into<String>,
        sha256_hex: &str,
        roles: Vec<Role>,
        scope: Scope,
    ) -> Result<Self, TokenSpecError> {
        let actor = actor.into();
        let bytes = hex::decode(sha256_hex.trim()).ok();
        let digest: [u8; 32] =
            bytes
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| TokenSpecError::Invalid {
                    actor: actor.clone(),
                    reason: "the hash must be 64 hexadecimal digits (SHA-256 of the token)".into(),
                })?;
        Ok(Self {
            actor,
            roles,
            scope,
            digest,
        })
    }

    /// Parses `actor:role[+role…]:agency-or-*:sha256-hex`, the form of `PETITION_TOKENS` entries.
    pub fn parse_spec(spec: &str) -> Result<Self, TokenSpecError> {
        let parts: Vec<&str> = spec.trim().split(':').map(str::trim).collect();
        let [actor, roles, scope, hash] = parts.as_slice() else {
            return Err(TokenSpecError::Shape);
        };
        let invalid = |reason: String| TokenSpecError::Invalid {
            actor: (*actor).to_owned(),
            reason,
        };
        if actor.is_empty() {
            return Err(invalid("the actor name is empty".into()));
        }
        let roles = roles
            .split('+')
            .map(|r| r.trim().parse::<Role>().map_err(|e| invalid(e.to_string())))
            .collect::<Result<Vec<_>, _>>()?;
        let scope = Scope::parse(scope).map_err(invalid)?;
        Self::from_sha256_hex(*actor, hash, roles, scope)
    }

    fn principal(&self) -> Principal {
        Principal {
            actor: self.actor.clone(),
            roles: self.roles.clone(),
            scope: self.scope.clone(),
            credential: Credential::StaticToken,
        }
    }
}

/// Hex SHA-256 of a token, as `PETITION_TOKENS` stores it (`printf %s "$TOKEN" | sha256sum`).
pub fn sha256_hex(token: &str) -> String {
    hex::encode(digest(token))
}

fn digest(s: &str) -> [u8; 32] {
    Sha256::digest(s.as_bytes()).into()
}

/// Everything that authenticates a bearer token: the static list and, when configured, the OIDC issuer.
#[derive(Debug, Clone, Default)]
pub struct TokenList {
    tokens: Arc<Vec<ApiToken>>,
    oidc: Option<OidcVerifier>,
}

impl TokenList {
    pub fn new(tokens: &[ApiToken]) -> Self {
        Self {
            tokens: Arc::new(tokens.to_vec()),
            oidc: None,
        }
    }

    /// Also accepts access tokens of this OpenID Connect provider.
    pub fn with_oidc(mut self, verifier: OidcVerifier) -> Self {
        self.oidc = Some(verifier);
        self
    }

    /// The principal a presented token stands for, or `None` (answered 401; the reason is logged).
    pub async fn authenticate(&self, presented: &str) -> Option<Principal> {
        // Comparing digests: equal-length values whose timing reveals nothing about the token.
        let d = digest(presented);
        if let Some(token) = self.tokens.iter().find(|t| t.digest == d) {
            return Some(token.principal());
        }
        let oidc = self.oidc.as_ref()?;
        if presented.split('.').count() != 3 {
            return None;
        }
        match oidc.verify(presented).await {
            Ok(principal) => Some(principal),
            Err(e) => {
                tracing::info!(reason = %e, "bearer token refused");
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HASH: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    #[test]
    fn a_settings_entry_names_actor_roles_scope_and_hash() {
        let t =
            ApiToken::parse_spec(&format!(" watcher:system+auditor:*:{HASH} ")).expect("parses");
        assert_eq!(t.actor, "watcher");
        assert_eq!(t.roles, vec![Role::System, Role::Auditor]);
        assert_eq!(t.scope, Scope::All);
        assert_eq!(hex::encode(t.digest), HASH);
        let t = ApiToken::parse_spec(&format!("desk:intake_officer:ubnd-hn.hoan-kiem:{HASH}"))
            .expect("parses");
        assert_eq!(t.scope.to_string(), "UBND-HN.HOAN-KIEM");
    }

    #[test]
    fn malformed_entries_are_refused_without_echoing_them() {
        let err = ApiToken::parse_spec("desk:plaintext-secret-token").expect_err("refused");
        assert!(!err.to_string().contains("plaintext-secret-token"), "{err}");
        for bad in [
            format!("desk:wizard:*:{HASH}"),
            format!("desk:auditor:not a code:{HASH}"),
            "desk:auditor:*:abc".to_owned(),
            format!(":auditor:*:{HASH}"),
        ] {
            assert!(ApiToken::parse_spec(&bad).is_err(), "{bad}");
        }
    }

    #[tokio::test]
    async fn a_token_authenticates_by_its_digest() {
        let list = TokenList::new(&[ApiToken::from_sha256_hex(
            "svc",
            &sha256_hex("the-secret-token-0123456789abcdef"),
            vec![Role::Auditor],
            Scope::All,
        )
        .expect("hash")]);
        let p = list
            .authenticate("the-secret-token-0123456789abcdef")
            .await
            .expect("known");
        assert_eq!(p.actor, "svc");
        assert_eq!(p.credential, Credential::StaticToken);
        assert!(
            list.authenticate("the-secret-token-0123456789abcdeX")
                .await
                .is_none()
        );
        // Without an OIDC provider a JWT-shaped token is simply unknown.
        assert!(list.authenticate("a.b.c").await.is_none());
    }
}
