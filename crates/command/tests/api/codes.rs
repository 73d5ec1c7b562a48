//! Tracking codes in the read models only for the roles that need them (ADR 0016): the authorization layer
//! tells the case list and the watchlist, for every role and agency, what `read-tracking-codes` decides.

use std::sync::Arc;

use axum::routing::get;
use axum::{Extension, Router};
use command::access::{AccessPolicy, CodeVisibility, Credential, Principal, Resource, Role, Scope};
use command::http::{ApiToken, ExtraRoutes, HttpConfig, TokenList};
use domain::AgencyCode;
use secrecy::SecretString;
use serde_json::{Value, json};

use crate::helpers::spawn_app_custom;

const OWN: &str = "UBND-HN.HOAN-KIEM";
const SCOPES: [&str; 5] = [OWN, "UBND-HN", "TT-HN", "UBND-HCM.SAI-GON", "*"];

/// What the read model is told: the extension, or `null` when the layer set none.
async fn echo(codes: Option<Extension<CodeVisibility>>) -> axum::Json<Value> {
    axum::Json(json!({ "visible": codes.map(|Extension(c)| c.visible) }))
}

#[tokio::test]
async fn only_the_desks_and_resolving_officers_of_an_agency_are_shown_its_tracking_codes() {
    let mut principals = Vec::new();
    let mut list = Vec::new();
    for role in Role::ALL {
        for scope in SCOPES {
            let p = Principal {
                actor: format!("{role}@{scope}"),
                roles: vec![role],
                scope: Scope::parse(scope).expect("scope"),
                credential: Credential::StaticToken,
            };
            let secret = format!("codes-{role}-{scope}-0123456789");
            list.push(ApiToken::from_secret(
                p.actor.clone(),
                &SecretString::from(secret.clone()),
                p.roles.clone(),
                p.scope.clone(),
            ));
            principals.push((secret, p));
        }
    }
    let extra = ExtraRoutes {
        routes: Router::new()
            .route("/api/v1/cases", get(echo))
            .route("/api/v1/watchlist", get(echo)),
        ..ExtraRoutes::default()
    };
    let app = spawn_app_custom(HttpConfig::default(), TokenList::new(&list), extra).await;
    let policy = AccessPolicy::embedded(Arc::new(domain::StaticAgencyDirectory::embedded()))
        .expect("policy");
    let own = Resource::Agency(Some(AgencyCode::parse(OWN).expect("code")));
    let mut shown = Vec::new();
    for (secret, p) in &principals {
        for (read, path) in [
            ("list-cases", "/api/v1/cases"),
            ("read-watchlist", "/api/v1/watchlist"),
        ] {
            if !policy.decide(p, read, &own).allowed {
                continue;
            }
            let body: Value = app
                .client
                .get(app.url(&format!("{path}?agency={OWN}")))
                .bearer_auth(secret)
                .send()
                .await
                .expect("request")
                .json()
                .await
                .expect("json");
            let expected = policy.decide(p, "read-tracking-codes", &own).allowed;
            assert_eq!(body["visible"], json!(expected), "{} {path}", p.actor);
            if expected {
                shown.push(p.actor.clone());
            }
        }
    }
    for who in [
        "intake_officer@UBND-HN.HOAN-KIEM",
        "handling_officer@UBND-HN",
        "leader@UBND-HN.HOAN-KIEM",
    ] {
        assert!(
            shown.iter().any(|a| a == who),
            "{who} is not shown codes: {shown:?}"
        );
    }
    assert!(
        !shown
            .iter()
            .any(|a| a.starts_with("auditor@") || a.starts_with("inspectorate@")),
        "auditors and inspectorates are shown codes: {shown:?}"
    );
}
