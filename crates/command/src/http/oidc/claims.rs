//! From verified claims to a principal: the actor, the roles the policy knows, and the agency scope.

use serde_json::Value;

use super::{OidcError, OidcSettings};
use crate::access::{Credential, Principal, Role, Scope};

pub(super) fn principal(
    s: &OidcSettings,
    claims: &serde_json::Map<String, Value>,
) -> Result<Principal, OidcError> {
    let actor = claim(claims, &s.actor_claim)
        .and_then(Value::as_str)
        .filter(|a| !a.is_empty())
        .ok_or_else(|| OidcError::Claim(s.actor_claim.clone()))?;
    let mut roles: Vec<Role> = match claim(claims, &s.roles_claim) {
        Some(Value::String(one)) => one
            .split_whitespace()
            .filter_map(|r| r.parse().ok())
            .collect(),
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(Value::as_str)
            .filter_map(|r| r.parse().ok())
            .collect(),
        _ => Vec::new(),
    };
    roles.sort();
    roles.dedup();
    let scope = match claim(claims, &s.agency_claim).and_then(Value::as_str) {
        Some(agency) => Scope::parse(agency).unwrap_or_else(|reason| {
            tracing::warn!(agency, %reason, "token names an invalid agency; no scope");
            Scope::Nowhere
        }),
        None => Scope::Nowhere,
    };
    Ok(Principal {
        actor: format!("oidc:{actor}"),
        roles,
        scope,
        credential: Credential::Oidc {
            issuer: s.issuer.clone(),
        },
    })
}

/// A claim by exact name, else by dotted path into nested objects.
fn claim<'a>(claims: &'a serde_json::Map<String, Value>, name: &str) -> Option<&'a Value> {
    if let Some(v) = claims.get(name) {
        return Some(v);
    }
    let mut parts = name.split('.');
    let mut current = claims.get(parts.next()?)?;
    for part in parts {
        current = current.get(part)?;
    }
    Some(current)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn claims(v: Value) -> serde_json::Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn roles_and_agency_come_from_the_configured_claims_nested_or_not() {
        let mut s = OidcSettings::new("https://id.example", "urn:api");
        s.roles_claim = "realm_access.roles".into();
        s.actor_claim = "preferred_username".into();
        let p = principal(
            &s,
            &claims(json!({
                "sub": "f3a1", "preferred_username": "nguyen.van.a",
                "realm_access": {"roles": ["offline_access", "leader", "handling_officer", "leader"]},
                "agency": "ubnd-hn"
            })),
        )
        .expect("principal");
        assert_eq!(p.actor, "oidc:nguyen.van.a");
        assert_eq!(p.roles, vec![Role::HandlingOfficer, Role::Leader]);
        assert_eq!(p.scope.to_string(), "UBND-HN");
    }

    #[test]
    fn a_token_without_an_agency_has_no_scope_and_one_without_a_subject_is_refused() {
        let s = OidcSettings::new("https://id.example", "urn:api");
        let p = principal(&s, &claims(json!({"sub": "x", "roles": "auditor system"}))).expect("ok");
        assert_eq!(p.scope, Scope::Nowhere);
        assert_eq!(p.roles, vec![Role::Auditor, Role::System]);
        let p = principal(&s, &claims(json!({"sub": "x", "agency": "no such code!"}))).expect("ok");
        assert_eq!(p.scope, Scope::Nowhere);
        assert!(principal(&s, &claims(json!({"roles": ["auditor"]}))).is_err());
    }
}
