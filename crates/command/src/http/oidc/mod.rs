//! OpenID Connect bearer tokens: JWT access tokens verified against the provider's published keys.
//!
//! The provider's keys are found through its discovery document (`/.well-known/openid-configuration`,
//! whose `issuer` must be the configured one) and its JWKS, cached and refreshed every `max_key_age`; a
//! token signed with a key id the cache does not know triggers one refetch (key rotation), but never more
//! often than `min_refresh_interval`, so a flood of forged key ids cannot hammer the provider. A token is
//! accepted when its signature verifies (RS256 or ES256 only; never `none` or a symmetric algorithm), and its
//! issuer, audience, expiry and not-before hold within a small leeway. Roles and the agency come from
//! configurable claims.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use serde_json::Value;
use tokio::sync::{Mutex, RwLock};

use crate::access::Principal;

mod claims;
mod settings;
pub use settings::OidcSettings;

/// Why a token was refused (logged; the caller only sees 401).
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    #[error("settings: {0}")]
    Settings(String),
    #[error("malformed token: {0}")]
    Malformed(String),
    #[error("algorithm {0:?} is not accepted")]
    Algorithm(Algorithm),
    #[error("no published key has id {0:?}")]
    UnknownKey(Option<String>),
    #[error("the provider could not be reached: {0}")]
    Provider(String),
    #[error("invalid token: {0}")]
    Invalid(String),
    #[error("claim `{0}` is missing or not a string")]
    Claim(String),
}

/// Verifies access tokens of one provider. Cheap to clone; the key cache is shared.
#[derive(Debug, Clone)]
pub struct OidcVerifier {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    settings: OidcSettings,
    algorithms: Vec<Algorithm>,
    http: reqwest::Client,
    keys: RwLock<KeyCache>,
    /// Serialises fetches, so concurrent requests with a new key id cause one fetch, not many.
    fetching: Mutex<()>,
    fetches: AtomicU64,
}

#[derive(Default)]
struct KeyCache {
    jwks_uri: Option<String>,
    /// By key id; keys published without an id are under `None`.
    keys: HashMap<Option<String>, PublishedKey>,
    fetched_at: Option<Instant>,
}

impl std::fmt::Debug for KeyCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyCache")
            .field("jwks_uri", &self.jwks_uri)
            .field("kids", &self.keys.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

#[derive(Clone)]
struct PublishedKey {
    key: DecodingKey,
    /// The `alg` the provider bound the key to, if it did.
    alg: Option<String>,
}

#[derive(Deserialize)]
struct Discovery {
    issuer: String,
    jwks_uri: String,
}

impl OidcVerifier {
    pub fn new(settings: OidcSettings) -> Result<Self, OidcError> {
        let algorithms = settings
            .algorithms
            .iter()
            .map(|a| match Algorithm::from_str(a) {
                Ok(alg @ (Algorithm::RS256 | Algorithm::ES256)) => Ok(alg),
                _ => Err(OidcError::Settings(format!(
                    "algorithm `{a}` is not supported; use RS256 or ES256"
                ))),
            })
            .collect::<Result<Vec<_>, _>>()?;
        if algorithms.is_empty() || settings.audience.is_empty() || settings.issuer.is_empty() {
            return Err(OidcError::Settings(
                "issuer, audience and algorithms must not be empty".into(),
            ));
        }
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| OidcError::Settings(e.to_string()))?;
        Ok(Self {
            inner: Arc::new(Inner {
                settings,
                algorithms,
                http,
                keys: RwLock::new(KeyCache::default()),
                fetching: Mutex::new(()),
                fetches: AtomicU64::new(0),
            }),
        })
    }

    /// The issuer this verifier trusts.
    pub fn issuer(&self) -> &str {
        &self.inner.settings.issuer
    }

    /// How many times the JWKS was fetched (observability, and the tests of the refetch limit).
    pub fn jwks_fetches(&self) -> u64 {
        self.inner.fetches.load(Ordering::Relaxed)
    }

    /// Verifies `token` and returns the principal its claims describe.
    pub async fn verify(&self, token: &str) -> Result<Principal, OidcError> {
        let header =
            jsonwebtoken::decode_header(token).map_err(|e| OidcError::Malformed(e.to_string()))?;
        if !self.inner.algorithms.contains(&header.alg) {
            return Err(OidcError::Algorithm(header.alg));
        }
        let published = self.key_for(header.kid.clone()).await?;
        if let Some(bound) = &published.alg
            && Algorithm::from_str(bound).ok() != Some(header.alg)
        {
            return Err(OidcError::Algorithm(header.alg));
        }
        let s = &self.inner.settings;
        let mut validation = Validation::new(header.alg);
        validation.set_issuer(&[&s.issuer]);
        validation.set_audience(&s.audience);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        validation.leeway = s.leeway_seconds;
        validation.validate_nbf = true;
        let data = jsonwebtoken::decode::<serde_json::Map<String, Value>>(
            token,
            &published.key,
            &validation,
        )
        .map_err(|e| OidcError::Invalid(e.to_string()))?;
        claims::principal(&self.inner.settings, &data.claims)
    }

    /// The key with this id: from the cache when fresh, else after a (rate-limited) refetch.
    async fn key_for(&self, kid: Option<String>) -> Result<PublishedKey, OidcError> {
        let max_age = Duration::from_secs(self.inner.settings.max_key_age_seconds);
        let min_refresh = Duration::from_secs(self.inner.settings.min_refresh_seconds);
        {
            let cache = self.inner.keys.read().await;
            let fresh = cache.fetched_at.is_some_and(|t| t.elapsed() < max_age);
            if fresh && let Some(k) = cache.keys.get(&kid) {
                return Ok(k.clone());
            }
        }
        let _one_fetch = self.inner.fetching.lock().await;
        // Another request may have refetched while this one waited.
        let (fresh, recent, cached) = {
            let cache = self.inner.keys.read().await;
            (
                cache.fetched_at.is_some_and(|t| t.elapsed() < max_age),
                cache.fetched_at.is_some_and(|t| t.elapsed() < min_refresh),
                cache.keys.get(&kid).cloned(),
            )
        };
        match cached {
            Some(k) if fresh => return Ok(k),
            None if recent => return Err(OidcError::UnknownKey(kid)),
            _ => {}
        }
        match self.refetch().await {
            Ok(()) => {}
            // The provider is down: keys it published before still verify the tokens it signed with them.
            Err(e) => {
                tracing::warn!(error = %e, issuer = %self.inner.settings.issuer, "cannot refresh the provider's keys");
                return cached.ok_or(e);
            }
        }
        let cache = self.inner.keys.read().await;
        cache
            .keys
            .get(&kid)
            .cloned()
            .ok_or(OidcError::UnknownKey(kid))
    }

    async fn refetch(&self) -> Result<(), OidcError> {
        let jwks_uri = match self.inner.keys.read().await.jwks_uri.clone() {
            Some(uri) => uri,
            None => self.discover().await?,
        };
        self.inner.fetches.fetch_add(1, Ordering::Relaxed);
        let jwks: Value = self.get_json(&jwks_uri).await?;
        let mut keys = HashMap::new();
        for raw in jwks
            .get("keys")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some((kid, key)) = published_key(raw) {
                keys.insert(kid, key);
            }
        }
        tracing::info!(issuer = %self.inner.settings.issuer, keys = keys.len(), "provider keys fetched");
        let mut cache = self.inner.keys.write().await;
        cache.jwks_uri = Some(jwks_uri);
        cache.keys = keys;
        cache.fetched_at = Some(Instant::now());
        Ok(())
    }

    async fn discover(&self) -> Result<String, OidcError> {
        let s = &self.inner.settings;
        let url = s.discovery_url.clone().unwrap_or_else(|| {
            format!(
                "{}/.well-known/openid-configuration",
                s.issuer.trim_end_matches('/')
            )
        });
        let doc: Discovery = serde_json::from_value(self.get_json(&url).await?)
            .map_err(|e| OidcError::Provider(format!("discovery document: {e}")))?;
        // OpenID Connect Discovery 1.0 §4.3: the document must be the configured issuer's own.
        if doc.issuer != s.issuer {
            return Err(OidcError::Provider(format!(
                "the discovery document names issuer `{}`, not `{}`",
                doc.issuer, s.issuer
            )));
        }
        Ok(doc.jwks_uri)
    }

    async fn get_json(&self, url: &str) -> Result<Value, OidcError> {
        let response = self
            .inner
            .http
            .get(url)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| OidcError::Provider(format!("GET {url}: {e}")))?;
        response
            .json()
            .await
            .map_err(|e| OidcError::Provider(format!("GET {url}: {e}")))
    }
}

/// One signing key of a JWKS; keys for encryption, symmetric keys and unknown kinds are skipped.
fn published_key(raw: &Value) -> Option<(Option<String>, PublishedKey)> {
    if raw
        .get("use")
        .and_then(Value::as_str)
        .is_some_and(|u| u != "sig")
    {
        return None;
    }
    if !matches!(raw.get("kty").and_then(Value::as_str), Some("RSA" | "EC")) {
        return None;
    }
    let jwk: Jwk = serde_json::from_value(raw.clone()).ok()?;
    let key = DecodingKey::from_jwk(&jwk).ok()?;
    let kid = raw.get("kid").and_then(Value::as_str).map(str::to_owned);
    let alg = raw.get("alg").and_then(Value::as_str).map(str::to_owned);
    Some((kid, PublishedKey { key, alg }))
}
