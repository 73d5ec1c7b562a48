//! The policy refuses to load when it does not type-check, and the agency graph gives `in` its meaning.

use std::sync::Arc;

use domain::{AgencyCode, CaseId, StaticAgencyDirectory};

use super::*;

fn directory() -> Arc<dyn AgencyDirectory> {
    Arc::new(StaticAgencyDirectory::embedded())
}

fn code(s: &str) -> AgencyCode {
    AgencyCode::parse(s).expect("agency code")
}

fn officer(role: Role, scope: &str) -> Principal {
    Principal {
        actor: format!("{role}@{scope}"),
        roles: vec![role],
        scope: Scope::parse(scope).expect("scope"),
        credential: Credential::StaticToken,
    }
}

fn case_at(agency: &str) -> Resource {
    Resource::Case(CaseAgencies::all_at(
        CaseId::from(uuid::Uuid::nil()),
        code(agency),
    ))
}

#[test]
fn the_shipped_policy_validates_against_its_schema() {
    let policy = AccessPolicy::embedded(directory()).expect("valid");
    assert!(
        policy
            .actions()
            .contains(&"record-deadline-missed".to_owned())
    );
    assert!(!policy.actions().iter().any(|a| a.ends_with("-step")));
}

#[test]
fn a_policy_naming_an_attribute_the_schema_lacks_is_refused() {
    let bad = r#"permit (principal, action == Action::"accept", resource) when { resource.curent == principal.agency };"#;
    let err = AccessPolicy::from_sources(bad, EMBEDDED_SCHEMA, directory()).expect_err("invalid");
    assert!(matches!(err, AccessPolicyError::Invalid(_)), "{err}");
}

#[test]
fn a_policy_naming_an_unknown_action_is_refused() {
    let bad = r#"permit (principal, action == Action::"decide-everything", resource);"#;
    let err = AccessPolicy::from_sources(bad, EMBEDDED_SCHEMA, directory()).expect_err("invalid");
    assert!(matches!(err, AccessPolicyError::Invalid(_)), "{err}");
}

#[test]
fn a_policy_that_does_not_parse_is_refused() {
    let err =
        AccessPolicy::from_sources("permit (", EMBEDDED_SCHEMA, directory()).expect_err("invalid");
    assert!(matches!(err, AccessPolicyError::Policy(_)), "{err}");
}

#[test]
fn a_handling_officer_reaches_the_communes_below_but_not_the_province_above() {
    let policy = AccessPolicy::embedded(directory()).expect("valid");
    let province = officer(Role::HandlingOfficer, "UBND-HN");
    let commune = officer(Role::HandlingOfficer, "UBND-HN.HOAN-KIEM");
    assert!(
        policy
            .decide(&province, "accept", &case_at("UBND-HN.HOAN-KIEM"))
            .allowed
    );
    assert!(
        policy
            .decide(&commune, "accept", &case_at("UBND-HN.HOAN-KIEM"))
            .allowed
    );
    assert!(
        !policy
            .decide(&commune, "accept", &case_at("UBND-HN"))
            .allowed
    );
    assert!(
        !policy
            .decide(&province, "accept", &case_at("UBND-HCM.SAI-GON"))
            .allowed
    );
}

#[test]
fn an_inspectorate_watches_its_jurisdiction_and_the_government_inspectorate_watches_all_of_them() {
    let policy = AccessPolicy::embedded(directory()).expect("valid");
    let hanoi = officer(Role::Inspectorate, "TT-HN");
    let government = officer(Role::Inspectorate, "TTCP");
    assert!(
        policy
            .decide(&hanoi, "read-case", &case_at("UBND-HN.SOC-SON"))
            .allowed
    );
    assert!(
        !policy
            .decide(&hanoi, "read-case", &case_at("UBND-HCM.SAI-GON"))
            .allowed
    );
    assert!(
        policy
            .decide(&government, "read-case", &case_at("UBND-HCM.SAI-GON"))
            .allowed
    );
    assert!(
        policy
            .decide(&government, "read-case", &case_at("BO-TC"))
            .allowed
    );
    let watchlist = Resource::Agency(Some(code("UBND-HN")));
    assert!(policy.decide(&hanoi, "read-watchlist", &watchlist).allowed);
    assert!(!policy.decide(&hanoi, "accept", &case_at("UBND-HN")).allowed);
}

#[test]
fn a_principal_without_an_agency_is_allowed_nothing_scoped() {
    let policy = AccessPolicy::embedded(directory()).expect("valid");
    let mut nobody = officer(Role::HandlingOfficer, "UBND-HN");
    nobody.scope = Scope::Nowhere;
    assert!(
        !policy
            .decide(&nobody, "accept", &case_at("UBND-HN"))
            .allowed
    );
    assert!(
        !policy
            .decide(&nobody, "list-cases", &Resource::Agency(None))
            .allowed
    );
}

#[test]
fn an_unknown_action_is_denied_not_an_error() {
    let policy = AccessPolicy::embedded(directory()).expect("valid");
    let everyone = Principal {
        roles: Role::ALL.to_vec(),
        ..officer(Role::System, "*")
    };
    assert!(
        !policy
            .decide(&everyone, "drop-table", &case_at("UBND-HN"))
            .allowed
    );
    // A read model action with a case resource does not type-check: denied.
    assert!(
        !policy
            .decide(&everyone, "list-cases", &case_at("UBND-HN"))
            .allowed
    );
}
