//! The settings of one trusted OpenID Connect provider, with their defaults.

use serde::Deserialize;

/// How the server trusts one OpenID Connect provider (`[oidc]` in `petition.toml`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OidcSettings {
    /// The issuer identifier, exactly as the provider writes it in `iss`.
    pub issuer: String,
    /// Accepted audiences (`aud`): the identifier this API is registered under at the provider.
    pub audience: Vec<String>,
    /// The claim holding the roles (a string or a list); a dotted path such as `realm_access.roles`
    /// reaches into nested objects. Names that are not roles of the policy are ignored.
    #[serde(default = "default_roles_claim")]
    pub roles_claim: String,
    /// The claim holding the agency code the roles apply to (`*` for the whole state).
    #[serde(default = "default_agency_claim")]
    pub agency_claim: String,
    /// The claim naming the person; recorded as `oidc:<value>` in every event's `actor`.
    #[serde(default = "default_actor_claim")]
    pub actor_claim: String,
    /// Signature algorithms accepted: `RS256`, `ES256` (default both).
    #[serde(default = "default_algorithms")]
    pub algorithms: Vec<String>,
    /// Clock skew tolerated on `exp` and `nbf`, in seconds.
    #[serde(default = "default_leeway")]
    pub leeway_seconds: u64,
    /// The least time between two JWKS fetches caused by unknown key ids, in seconds.
    #[serde(default = "default_min_refresh")]
    pub min_refresh_seconds: u64,
    /// Keys are refetched at least this often, in seconds.
    #[serde(default = "default_max_key_age")]
    pub max_key_age_seconds: u64,
    /// The discovery document, when not at `<issuer>/.well-known/openid-configuration`.
    #[serde(default)]
    pub discovery_url: Option<String>,
}

fn default_roles_claim() -> String {
    "roles".into()
}
fn default_agency_claim() -> String {
    "agency".into()
}
fn default_actor_claim() -> String {
    "sub".into()
}
fn default_algorithms() -> Vec<String> {
    vec!["RS256".into(), "ES256".into()]
}
fn default_leeway() -> u64 {
    30
}
fn default_min_refresh() -> u64 {
    60
}
fn default_max_key_age() -> u64 {
    3600
}

impl OidcSettings {
    /// Settings with every default, for an issuer and one audience.
    pub fn new(issuer: impl Into<String>, audience: impl Into<String>) -> Self {
        Self {
            issuer: issuer.into(),
            audience: vec![audience.into()],
            roles_claim: default_roles_claim(),
            agency_claim: default_agency_claim(),
            actor_claim: default_actor_claim(),
            algorithms: default_algorithms(),
            leeway_seconds: default_leeway(),
            min_refresh_seconds: default_min_refresh(),
            max_key_age_seconds: default_max_key_age(),
            discovery_url: None,
        }
    }
}
