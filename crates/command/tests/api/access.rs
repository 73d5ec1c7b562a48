//! The generated access matrix: every endpoint × role × agency, the expected answer derived from the policy,
//! asserted through HTTP; plus the invariants of the law the policy must keep whatever its wording.
//!
//! Allowed commands carry a stale `If-Match`, so they answer 412 (or 400 for an incomplete body) and record
//! nothing: the same cases serve the whole matrix.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use command::access::{AccessPolicy, CaseAgencies, Principal, Resource, Role, Scope};
use command::http::{ApiToken, ExtraRoutes, HttpConfig, TokenList};
use domain::{AgencyCode, CaseId, Command};
use secrecy::SecretString;
use serde_json::{Value, json};

use crate::complaint;
use crate::helpers::{TOKEN, TestApp, officer_roles, spawn_app_custom};

const OWN: &str = "UBND-HN.HOAN-KIEM";
const SUPERIOR: &str = "UBND-HN";
const INSPECTORATE: &str = "TT-HN";
const DESTINATION: &str = "UBND-HN.SOC-SON";
const OTHER: &str = "UBND-HCM.SAI-GON";
const SCOPES: [&str; 6] = [OWN, SUPERIOR, INSPECTORATE, DESTINATION, OTHER, "*"];

/// One request of the matrix.
#[derive(Debug, Clone)]
struct Call {
    action: String,
    method: &'static str,
    path: String,
    body: Option<Value>,
    resource: Resource,
}

struct Principals {
    tokens: Vec<(String, Principal)>,
}

fn principals() -> Principals {
    let mut tokens = Vec::new();
    for role in Role::ALL {
        for scope in SCOPES {
            let actor = format!("{role}@{scope}");
            let principal = Principal {
                actor: actor.clone(),
                roles: vec![role],
                scope: Scope::parse(scope).expect("scope"),
                credential: command::access::Credential::StaticToken,
            };
            tokens.push((format!("matrix-token-{role}-{scope}-0123456789"), principal));
        }
    }
    Principals { tokens }
}

fn token_list(p: &Principals) -> TokenList {
    let mut list: Vec<ApiToken> = p
        .tokens
        .iter()
        .map(|(secret, pr)| {
            ApiToken::from_secret(
                pr.actor.clone(),
                &SecretString::from(secret.clone()),
                pr.roles.clone(),
                pr.scope.clone(),
            )
        })
        .collect();
    list.push(ApiToken::from_secret(
        "setup",
        &SecretString::from(TOKEN.to_owned()),
        officer_roles(),
        Scope::All,
    ));
    TokenList::new(&list)
}

/// Stand-ins for the read models' routes (crates/projection), which this crate cannot depend on: the
/// authorization layer in front of them is what is tested.
fn read_model_stubs() -> ExtraRoutes {
    let ok = || async { axum::Json(json!({"stub": true})) };
    ExtraRoutes {
        routes: Router::new()
            .route("/api/v1/cases", get(ok))
            .route("/api/v1/stats", get(ok))
            .route("/api/v1/watchlist", get(ok))
            .route("/api/v1/petitions/{id}/timeline", get(ok)),
        ..ExtraRoutes::default()
    }
}

async fn agencies_of(app: &TestApp, case: &str) -> CaseAgencies {
    let view: Value = app
        .get(&format!("/api/v1/petitions/{case}"))
        .await
        .json()
        .await
        .expect("case json");
    let code = |field: &str| {
        view["state"][field]
            .as_str()
            .map(|s| AgencyCode::parse(s).expect("agency code"))
    };
    let current = code("current_agency").expect("current agency");
    CaseAgencies {
        case_id: CaseId::parse(case).expect("case id"),
        receiving: code("receiving_agency").unwrap_or_else(|| current.clone()),
        competent: code("competent_agency").unwrap_or_else(|| current.clone()),
        destination: code("forwarded_to").unwrap_or_else(|| current.clone()),
        current,
    }
}

fn calls(cases: &[(String, CaseAgencies)]) -> Vec<Call> {
    let mut calls = vec![Call {
        action: "receive".into(),
        method: "POST",
        path: "/api/v1/petitions".into(),
        body: Some(complaint()),
        resource: Resource::Agency(Some(AgencyCode::parse(OWN).expect("code"))),
    }];
    for (id, agencies) in cases {
        for action in Command::ACTIONS.iter().filter(|a| **a != "receive") {
            calls.push(Call {
                action: (*action).to_owned(),
                method: "POST",
                path: format!("/api/v1/petitions/{id}/{action}"),
                body: Some(json!({})),
                resource: Resource::Case(agencies.clone()),
            });
        }
        calls.push(Call {
            action: "reveal-denouncer".into(),
            method: "POST",
            path: format!("/api/v1/petitions/{id}/denouncer/reveal"),
            body: Some(json!({"reason": "the access matrix"})),
            resource: Resource::Case(agencies.clone()),
        });
        for (action, suffix) in [
            ("read-case", ""),
            ("read-events", "/events"),
            ("read-timeline", "/timeline"),
            ("read-personal-data-audit", "/personal-data/audit"),
        ] {
            calls.push(Call {
                action: action.into(),
                method: "GET",
                path: format!("/api/v1/petitions/{id}{suffix}"),
                body: None,
                resource: Resource::Case(agencies.clone()),
            });
        }
    }
    for (action, path) in [
        ("list-cases", "/api/v1/cases"),
        ("read-stats", "/api/v1/stats"),
        ("read-watchlist", "/api/v1/watchlist"),
    ] {
        for filter in [Some(OWN), None] {
            calls.push(Call {
                action: action.into(),
                method: "GET",
                path: match filter {
                    Some(a) => format!("{path}?agency={a}"),
                    None => path.into(),
                },
                body: None,
                resource: Resource::Agency(filter.map(|a| AgencyCode::parse(a).expect("code"))),
            });
        }
    }
    calls
}

async fn send(app: &TestApp, secret: &str, call: &Call) -> (u16, Value) {
    let request = match call.method {
        "POST" => app
            .client
            .post(app.url(&call.path))
            .header("If-Match", "\"999\"")
            .json(call.body.as_ref().unwrap_or(&json!({}))),
        _ => app.client.get(app.url(&call.path)),
    };
    let response = request.bearer_auth(secret).send().await.expect("request");
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    if status == 403 {
        assert_eq!(content_type, "application/problem+json");
    }
    (status, body)
}

#[tokio::test]
async fn every_endpoint_answers_for_every_role_and_agency_what_the_policy_decides() {
    let people = principals();
    let app = spawn_app_custom(
        HttpConfig::default(),
        token_list(&people),
        read_model_stubs(),
    )
    .await;
    let policy = AccessPolicy::embedded(Arc::new(domain::StaticAgencyDirectory::embedded()))
        .expect("policy");

    // Case A stays where it was received; case B is on its way to another commune of the province.
    let (a, _) = app.receive_on("2026-09-14", &complaint()).await;
    let (b, _) = app.receive_on("2026-09-14", &complaint()).await;
    app.act_ok(
        &b,
        "classify",
        "2026-09-14",
        &json!({"within_competence": false, "competent_agency": DESTINATION}),
    )
    .await;
    app.act_ok(
        &b,
        "forward",
        "2026-09-15",
        &json!({"to_agency": DESTINATION, "reason": "The land lies in Sóc Sơn."}),
    )
    .await;
    let cases = vec![
        (a.clone(), agencies_of(&app, &a).await),
        (b.clone(), agencies_of(&app, &b).await),
    ];
    assert_eq!(cases[1].1.destination.as_str(), DESTINATION);
    let calls = calls(&cases);

    // Every action of the policy's vocabulary is exercised.
    let exercised: std::collections::BTreeSet<&str> =
        calls.iter().map(|c| c.action.as_str()).collect();
    // `read-denunciation-content` and `read-tracking-codes` filter an answer rather than refuse it:
    // tests/api/denunciation.rs and tests/api/codes.rs assert them for every role and agency.
    for action in policy
        .actions()
        .into_iter()
        .filter(|a| a != "read-denunciation-content" && a != "read-tracking-codes")
    {
        assert!(
            exercised.contains(action.as_str()),
            "the matrix never calls `{action}`"
        );
    }

    let mut table: BTreeMap<(String, String, String), bool> = BTreeMap::new();
    let mut mismatches = Vec::new();
    for (secret, principal) in &people.tokens {
        for call in &calls {
            let expected = policy
                .decide(principal, &call.action, &call.resource)
                .allowed;
            let (status, body) = send(&app, secret, call).await;
            let ok = if expected {
                status != 403 && status != 401 && status < 500
            } else {
                status == 403 && body["permission"] == call.action.as_str()
            };
            if !ok {
                mismatches.push(format!(
                    "{} {} {} by {}: expected {}, got {status} {body}",
                    call.method,
                    call.path,
                    call.action,
                    principal.actor,
                    if expected { "allowed" } else { "403" }
                ));
            }
            let case = match &call.resource {
                Resource::Case(c) if c.case_id.to_string() == b => "B",
                Resource::Case(_) => "A",
                Resource::Agency(Some(_)) => "own agency",
                Resource::Agency(None) => "everywhere",
            };
            let key = (
                principal.actor.clone(),
                call.action.clone(),
                case.to_owned(),
            );
            table.insert(key, expected);
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );

    // Nothing was recorded by the matrix itself: only the setup's four events.
    assert_eq!(app.events(&a).await.len(), 1);
    assert_eq!(app.events(&b).await.len(), 3);

    assert_invariants(&table);
}

/// What the law requires of any policy, checked on the decisions the matrix derived.
fn assert_invariants(table: &BTreeMap<(String, String, String), bool>) {
    let allowed = |actor: &str, action: &str, case: &str| {
        *table
            .get(&(actor.to_owned(), action.to_owned(), case.to_owned()))
            .unwrap_or_else(|| panic!("no decision for {actor} {action} {case}"))
    };
    let commands: Vec<&str> = Command::ACTIONS
        .iter()
        .copied()
        .filter(|a| *a != "receive")
        .collect();
    for role in Role::ALL {
        for scope in SCOPES {
            let actor = format!("{role}@{scope}");
            // Only system principals record the watcher's facts.
            assert_eq!(
                allowed(&actor, "record-deadline-missed", "A"),
                role == Role::System,
                "{actor} record-deadline-missed"
            );
            // Only an explicit custodian may reveal a denouncer; no other role implies it.
            if role != Role::IdentityCustodian {
                assert!(
                    !allowed(&actor, "reveal-denouncer", "A"),
                    "{actor} may reveal a denouncer"
                );
            }
            // Read-only roles never change a case.
            if matches!(role, Role::Auditor | Role::Inspectorate) {
                for c in &commands {
                    assert!(!allowed(&actor, c, "A"), "{actor} may {c}");
                }
                assert!(
                    !allowed(&actor, "receive", "own agency"),
                    "{actor} may receive"
                );
            }
            // Another province's officers can neither read nor act on these cases.
            if scope == OTHER && role != Role::System {
                for action in
                    commands
                        .iter()
                        .copied()
                        .chain(["read-case", "read-events", "read-timeline"])
                {
                    assert!(
                        !allowed(&actor, action, "A"),
                        "{actor} may {action} on a Hà Nội case"
                    );
                }
            }
        }
    }
    let at = |role: Role, scope: &str| format!("{role}@{scope}");
    // The desk that received it triages; it does not resolve.
    assert!(allowed(&at(Role::IntakeOfficer, OWN), "classify", "A"));
    assert!(!allowed(&at(Role::IntakeOfficer, OWN), "accept", "A"));
    assert!(!allowed(
        &at(Role::IntakeOfficer, OWN),
        "issue-decision",
        "A"
    ));
    // The desk of the destination records the arrival, the sender's does not.
    assert!(allowed(
        &at(Role::IntakeOfficer, DESTINATION),
        "receive-forwarded",
        "B"
    ));
    assert!(!allowed(
        &at(Role::IntakeOfficer, OWN),
        "receive-forwarded",
        "B"
    ));
    // Handling officers resolve at their agency and below; leaders sign.
    assert!(allowed(&at(Role::HandlingOfficer, SUPERIOR), "accept", "A"));
    assert!(!allowed(
        &at(Role::HandlingOfficer, OWN),
        "issue-decision",
        "A"
    ));
    assert!(allowed(&at(Role::Leader, OWN), "issue-decision", "A"));
    assert!(allowed(&at(Role::Leader, SUPERIOR), "extend", "A"));
    assert!(!allowed(&at(Role::Leader, OWN), "accept", "A"));
    // A commune's officers do not reach their superior's or a sibling's cases.
    assert!(!allowed(
        &at(Role::HandlingOfficer, DESTINATION),
        "accept",
        "A"
    ));
    // The city's inspectorate reads its jurisdiction, the watchlist included.
    assert!(allowed(
        &at(Role::Inspectorate, INSPECTORATE),
        "read-events",
        "A"
    ));
    assert!(allowed(
        &at(Role::Inspectorate, INSPECTORATE),
        "read-watchlist",
        "own agency"
    ));
    assert!(!allowed(&at(Role::Inspectorate, OTHER), "read-case", "A"));
    // Auditors read histories.
    assert!(allowed(&at(Role::Auditor, "*"), "read-timeline", "A"));
    assert!(allowed(&at(Role::Auditor, SUPERIOR), "read-events", "A"));
    // Unfiltered read models are for whole-state principals only.
    assert!(!allowed(
        &at(Role::HandlingOfficer, SUPERIOR),
        "list-cases",
        "everywhere"
    ));
    assert!(allowed(&at(Role::Auditor, "*"), "list-cases", "everywhere"));
    // The custodian of the agency and of its inspectorate may reveal; another province's may not.
    assert!(allowed(
        &at(Role::IdentityCustodian, OWN),
        "reveal-denouncer",
        "A"
    ));
    assert!(allowed(
        &at(Role::IdentityCustodian, INSPECTORATE),
        "reveal-denouncer",
        "A"
    ));
    assert!(!allowed(
        &at(Role::IdentityCustodian, OTHER),
        "reveal-denouncer",
        "A"
    ));
    // Auditors read the personal-data audit in their scope, not elsewhere.
    assert!(allowed(
        &at(Role::Auditor, SUPERIOR),
        "read-personal-data-audit",
        "A"
    ));
    assert!(!allowed(
        &at(Role::Auditor, OTHER),
        "read-personal-data-audit",
        "A"
    ));
}

#[tokio::test]
async fn a_denial_is_a_problem_document_naming_the_missing_permission() {
    let people = principals();
    let app = spawn_app_custom(
        HttpConfig::default(),
        token_list(&people),
        read_model_stubs(),
    )
    .await;
    let (case, _) = app.receive_on("2026-09-14", &complaint()).await;
    let (secret, _) = people
        .tokens
        .iter()
        .find(|(_, p)| {
            p.roles == [Role::IntakeOfficer] && p.scope == Scope::parse(OWN).expect("scope")
        })
        .expect("intake officer");
    let response = app
        .client
        .post(app.url(&format!("/api/v1/petitions/{case}/accept")))
        .bearer_auth(secret)
        .json(&json!({}))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 403);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let problem: Value = response.json().await.expect("json");
    assert_eq!(
        problem["type"],
        "tag:petition-ledger,2026:problem/forbidden"
    );
    assert_eq!(problem["status"], 403);
    assert_eq!(problem["permission"], "accept");
    let detail = problem["detail"].as_str().expect("detail");
    assert!(
        detail.contains("`accept`") && detail.contains("intake_officer"),
        "{detail}"
    );
    // Nothing was recorded.
    assert_eq!(app.events(&case).await.len(), 1);

    // An unknown case answers 403 to whoever could never act on any case, 404 to whoever could.
    let unknown = uuid::Uuid::now_v7();
    let auditor = &people
        .tokens
        .iter()
        .find(|(_, p)| p.roles == [Role::Auditor])
        .expect("auditor")
        .0;
    let response = app
        .client
        .post(app.url(&format!("/api/v1/petitions/{unknown}/accept")))
        .bearer_auth(auditor)
        .json(&json!({}))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 403);
    let response = app
        .client
        .post(app.url(&format!("/api/v1/petitions/{unknown}/accept")))
        .bearer_auth(TOKEN)
        .json(&json!({}))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 404);
}

#[tokio::test]
async fn every_documented_endpoint_has_a_permission() {
    let app = spawn_app_custom(
        HttpConfig::default(),
        token_list(&principals()),
        read_model_stubs(),
    )
    .await;
    let doc: Value = app
        .client
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .expect("openapi")
        .json()
        .await
        .expect("json");
    let paths = doc["paths"].as_object().expect("paths");
    assert!(!paths.is_empty());
    for (path, item) in paths {
        for (method, op) in item.as_object().expect("path item") {
            if op.get("security").is_none() {
                continue;
            }
            let method: axum::http::Method = method.to_uppercase().parse().expect("method");
            let (template, params) = template_of(path);
            let target = command::http::authorize::target(&method, &template, &params, None);
            assert!(
                op["responses"].get("403").is_some() && op["responses"].get("401").is_some(),
                "{method} {path} does not document its 401 and 403 answers"
            );
            assert!(
                !matches!(
                    target,
                    command::http::authorize::Target::Unmapped
                        | command::http::authorize::Target::HandlerRefuses
                ),
                "{method} {path} has no permission in the authorization layer"
            );
        }
    }
}

/// `/api/v1/petitions/{id}/accept` → the router's template and its parameters.
fn template_of(path: &str) -> (String, Vec<(String, String)>) {
    let mut params = vec![("id".to_owned(), uuid::Uuid::nil().to_string())];
    if let Some(rest) = path.strip_prefix("/api/v1/petitions/{id}/")
        && Command::ACTIONS.contains(&rest)
    {
        params.push(("action".to_owned(), rest.to_owned()));
        return ("/api/v1/petitions/{id}/{action}".to_owned(), params);
    }
    (path.to_owned(), params)
}
