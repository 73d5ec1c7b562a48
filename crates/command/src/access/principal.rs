//! Who is asking: the authenticated principal, its roles and the agency its roles apply to.

use std::fmt;
use std::str::FromStr;

use domain::AgencyCode;

/// A role of `rules/access/policy.cedar`. A principal may hold several.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// Reception desk and mail room: receive, classify, forward, guide, file, at their own agency.
    IntakeOfficer,
    /// Resolves the cases of their agency and the agencies below it: accept … close.
    HandlingOfficer,
    /// Signs extensions and decisions for their agency and below.
    Leader,
    /// Reads every case, the watchlist and the statistics in its jurisdiction.
    Inspectorate,
    /// Read-only: histories, as-of views, exports.
    Auditor,
    /// Holds the explicit permission to reveal a denouncer's identity (LTC art. 47), for the cases of their
    /// agency and below, or of their inspectorate's jurisdiction. No other role implies it; every reveal is recorded.
    IdentityCustodian,
    /// The system's own workers (the deadline watcher): the only ones who record their facts.
    System,
}

impl Role {
    pub const ALL: [Role; 7] = [
        Role::IntakeOfficer,
        Role::HandlingOfficer,
        Role::Leader,
        Role::Inspectorate,
        Role::Auditor,
        Role::IdentityCustodian,
        Role::System,
    ];

    /// The role's name in the policy, in settings and in identity-provider claims.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::IntakeOfficer => "intake_officer",
            Role::HandlingOfficer => "handling_officer",
            Role::Leader => "leader",
            Role::Inspectorate => "inspectorate",
            Role::Auditor => "auditor",
            Role::IdentityCustodian => "identity_custodian",
            Role::System => "system",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A role name that the policy does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown role `{0}`; known roles: intake_officer, handling_officer, leader, inspectorate, auditor, identity_custodian, system"
)]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| UnknownRole(s.to_owned()))
    }
}

/// The agency a principal's roles apply to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Scope {
    /// The whole state (`*`): the embedded default's development token, national services.
    All,
    /// One agency: the administrative tree below it, or for an inspectorate its jurisdiction.
    Agency(AgencyCode),
    /// No agency was given (an identity-provider token without the agency claim): nothing scoped is allowed.
    Nowhere,
}

impl Scope {
    /// `*` for the whole state, else an agency code.
    pub fn parse(s: &str) -> Result<Self, String> {
        match s.trim() {
            "*" => Ok(Scope::All),
            code => AgencyCode::from_str(code)
                .map(Scope::Agency)
                .map_err(|e| e.to_string()),
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::All => f.write_str("*"),
            Scope::Agency(code) => write!(f, "{code}"),
            Scope::Nowhere => f.write_str("no agency"),
        }
    }
}

/// How the principal proved who it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// A static token from settings (the embedded default, service accounts).
    StaticToken,
    /// An OpenID Connect access token from this issuer.
    Oidc { issuer: String },
}

/// The authenticated caller, available to handlers and the authorization layer as a request extension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The name recorded as the `actor` of every event written on this principal's behalf.
    pub actor: String,
    pub roles: Vec<Role>,
    pub scope: Scope,
    pub credential: Credential,
}

impl Principal {
    /// "intake_officer, leader at UBND-HN" — for logs and refusals (never a secret).
    pub fn describe(&self) -> String {
        let roles = if self.roles.is_empty() {
            "no role".to_owned()
        } else {
            self.roles
                .iter()
                .map(|r| r.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        format!("{roles} at {}", self.scope)
    }
}
