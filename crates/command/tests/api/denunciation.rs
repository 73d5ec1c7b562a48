//! Denunciations (LTC art. 47, ADR 0016) on a sealed store: the denouncer sealed under a key of their own, revealed
//! only to `reveal-denouncer` holders through the audited endpoint (one event per reveal, none per refusal), and
//! the audit trail readable by auditors. The withheld subject and content: `denunciation_content.rs`. The withheld text: `denunciation_content.rs`.

use std::sync::Arc;

use command::access::{AccessPolicy, CaseAgencies, Credential, Principal, Resource, Role, Scope};
use command::http::{ApiToken, TokenList};
use domain::{AgencyCode, CaseId};
use secrecy::SecretString;
use serde_json::{Value, json};
use store::privacy::Envelope;

use crate::complaint;
use crate::helpers::{TOKEN, officer_roles, problem};
use crate::privacy::{SealedApp, spawn_sealed_app_with};

pub(crate) const OWN: &str = "UBND-HN.HOAN-KIEM";
const SCOPES: [&str; 5] = [OWN, "UBND-HN", "TT-HN", "UBND-HCM.SAI-GON", "*"];
pub(crate) const DENOUNCER: [&str; 3] = ["Lê Thị Tố", "0987654321", "079188001122"];
pub(crate) const SUBJECT: &str = "Bribery in land allocation";
pub(crate) const CONTENT: &str =
    "An official of the ward demanded money to sign the land allocation file.";

pub(crate) fn denunciation() -> Value {
    json!({
        "kind": "denunciation",
        "channel": "in_person",
        "receiving_agency": OWN,
        "subject": SUBJECT,
        "content": CONTENT,
        "petitioners": { "signatories": [ {
            "full_name": DENOUNCER[0],
            "address": "5 Lò Sũ, Hoàn Kiếm, Hà Nội",
            "phone": DENOUNCER[1],
            "national_id": DENOUNCER[2]
        } ] },
        "signatory_count": 1
    })
}

pub(crate) fn secret(role: Role, scope: &str) -> String {
    format!("denunciation-{role}-{scope}-0123456789")
}

pub(crate) fn principals() -> Vec<Principal> {
    Role::ALL
        .into_iter()
        .flat_map(|role| {
            SCOPES.into_iter().map(move |scope| Principal {
                actor: format!("{role}@{scope}"),
                roles: vec![role],
                scope: Scope::parse(scope).expect("scope"),
                credential: Credential::StaticToken,
            })
        })
        .collect()
}

pub(crate) fn tokens() -> TokenList {
    let mut list: Vec<ApiToken> = principals()
        .into_iter()
        .map(|p| {
            ApiToken::from_secret(
                p.actor.clone(),
                &SecretString::from(secret(p.roles[0], &p.scope.to_string())),
                p.roles,
                p.scope,
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

pub(crate) fn policy() -> AccessPolicy {
    AccessPolicy::embedded(Arc::new(domain::StaticAgencyDirectory::embedded())).expect("policy")
}

pub(crate) fn token_of(p: &Principal) -> String {
    secret(p.roles[0], &p.scope.to_string())
}

pub(crate) fn at_own(case: &str) -> Resource {
    Resource::Case(CaseAgencies::all_at(
        CaseId::parse(case).expect("case id"),
        AgencyCode::parse(OWN).expect("code"),
    ))
}

async fn reveal(app: &SealedApp, token: &str, case: &str, body: &Value) -> reqwest::Response {
    app.client
        .post(format!(
            "{}/api/v1/petitions/{case}/denouncer/reveal",
            app.base
        ))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .expect("request")
}

pub(crate) async fn get(app: &SealedApp, token: &str, path: &str) -> reqwest::Response {
    app.client
        .get(format!("{}{path}", app.base))
        .bearer_auth(token)
        .send()
        .await
        .expect("request")
}

async fn privacy_events(app: &SealedApp, case: &str) -> Vec<store::RecordedEvent> {
    let stream = command::privacy::privacy_stream_of(CaseId::parse(case).expect("case id"));
    app.sealed
        .sealed_only()
        .read_stream(&stream)
        .await
        .expect("privacy stream")
}

async fn all_events(app: &SealedApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(&app.raw)
        .await
        .expect("count")
}

pub(crate) async fn receive(app: &SealedApp, body: &Value) -> String {
    let response = app
        .client
        .post(format!(
            "{}/api/v1/petitions?occurred_on=2026-09-15",
            app.base
        ))
        .bearer_auth(TOKEN)
        .json(body)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 201);
    let json: Value = response.json().await.expect("json");
    json["case_id"].as_str().expect("case id").to_owned()
}

#[tokio::test]
async fn only_reveal_denouncer_holders_see_the_identity_and_every_reveal_is_one_recorded_event() {
    let app = spawn_sealed_app_with(tokens()).await;
    let policy = policy();
    let case = receive(&app, &denunciation()).await;
    let complaint_case = receive(&app, &complaint()).await;
    let before = all_events(&app).await;

    // The denouncer is sealed under a key of their own, apart from the case's other personal data.
    let stored = app
        .sealed
        .sealed_only()
        .read_stream(&store::StreamId::for_case(case.parse().expect("uuid")))
        .await
        .expect("stream");
    let envelope = Envelope::from_stored(stored[0].personal.as_ref().expect("personal"))
        .expect("envelope")
        .expect("sealed");
    let persons: Vec<&str> = envelope.parts.iter().map(|p| p.person.as_str()).collect();
    assert_eq!(persons, ["petitioners", "denouncer-0"]);
    assert_ne!(envelope.parts[0].key_id, envelope.parts[1].key_id);

    // Everyone without the permission: 403 naming it, and nothing recorded.
    let reason = json!({"reason": "Ruling 12/2026 of the provincial court requests the denouncer's testimony"});
    let mut allowed = Vec::new();
    for p in principals() {
        let may = policy
            .decide(&p, "reveal-denouncer", &at_own(&case))
            .allowed;
        if may {
            allowed.push(p);
            continue;
        }
        let (status, body) = problem(reveal(&app, &token_of(&p), &case, &reason).await).await;
        assert_eq!(
            (status, body["permission"].as_str()),
            (403, Some("reveal-denouncer")),
            "{}",
            p.actor
        );
    }
    let holders: Vec<&str> = allowed.iter().map(|p| p.actor.as_str()).collect();
    assert!(
        holders.iter().all(|a| a.starts_with("identity_custodian@")),
        "{holders:?}"
    );
    assert!(holders.contains(&"identity_custodian@UBND-HN.HOAN-KIEM"));
    assert!(holders.contains(&"identity_custodian@TT-HN"));
    assert!(!holders.contains(&"identity_custodian@UBND-HCM.SAI-GON"));
    assert!(privacy_events(&app, &case).await.is_empty());
    assert_eq!(all_events(&app).await, before);

    // A holder must say why; a complaint has no protected denouncer. Neither records anything.
    let custodian = secret(Role::IdentityCustodian, OWN);
    for body in [
        json!({}),
        json!({"reason": "   "}),
        json!({"reason": "x", "extra": 1}),
    ] {
        let (status, _) = problem(reveal(&app, &custodian, &case, &body).await).await;
        assert_eq!(status, 400, "{body}");
    }
    let (status, body) = problem(reveal(&app, &custodian, &complaint_case, &reason).await).await;
    assert_eq!(
        (status, body["type"].as_str()),
        (
            422,
            Some("tag:petition-ledger,2026:problem/not-a-denunciation")
        )
    );
    assert_eq!(all_events(&app).await, before);

    // With the permission and a reason: the identity, and exactly one event saying who, when, why and how.
    let response = reveal(&app, &custodian, &case, &reason).await;
    assert_eq!(response.status(), 200);
    let revealed: Value = response.json().await.expect("json");
    assert_eq!(
        revealed["identity"]["signatories"][0]["full_name"],
        DENOUNCER[0]
    );
    assert_eq!(
        revealed["identity"]["signatories"][0]["national_id"],
        DENOUNCER[2]
    );
    let recorded = privacy_events(&app, &case).await;
    assert_eq!(recorded.len(), 1);
    assert_eq!(all_events(&app).await, before + 1);
    let event = &recorded[0];
    assert_eq!(event.event_type, "denouncer.revealed");
    assert_eq!(event.metadata.actor, "identity_custodian@UBND-HN.HOAN-KIEM");
    assert_eq!(event.payload["reason"], reason["reason"]);
    assert_eq!(event.payload["persons"], json!(["denouncer-0"]));
    assert_eq!(
        event.payload["endpoint"],
        "POST /api/v1/petitions/{id}/denouncer/reveal"
    );
    assert!(event.personal.is_none());
    assert_eq!(revealed["recorded"]["hash"], event.hash.as_str());

    // The auditor reads the trail (no identity in it); officers without the permission do not.
    let auditor = secret(Role::Auditor, "*");
    let trail: Value = get(
        &app,
        &auditor,
        &format!("/api/v1/petitions/{case}/personal-data/audit"),
    )
    .await
    .json()
    .await
    .expect("json");
    assert_eq!(
        trail["entries"][0]["actor"],
        "identity_custodian@UBND-HN.HOAN-KIEM"
    );
    assert_eq!(trail["entries"][0]["reason"], reason["reason"]);
    for secret_value in DENOUNCER {
        assert!(!trail.to_string().contains(secret_value));
    }
    let handler = secret(Role::HandlingOfficer, OWN);
    let (status, body) = problem(
        get(
            &app,
            &handler,
            &format!("/api/v1/petitions/{case}/personal-data/audit"),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, body["permission"].as_str()),
        (403, Some("read-personal-data-audit"))
    );

    // Once the denouncer is erased there is nothing to reveal, and a refused reveal records nothing.
    let erased = app.erase(&case, Some("denouncer-0")).await;
    assert_eq!(erased.keys_destroyed, 1);
    let (status, body) = problem(reveal(&app, &custodian, &case, &reason).await).await;
    assert_eq!(
        (status, body["type"].as_str()),
        (422, Some("tag:petition-ledger,2026:problem/no-identity"))
    );
    let trail: Vec<String> = privacy_events(&app, &case)
        .await
        .into_iter()
        .map(|e| e.event_type)
        .collect();
    assert_eq!(trail, ["denouncer.revealed", "personal_data.erased"]);

    // Nothing in the database holds the identity in plaintext, the reveal's record included.
    for secret_value in DENOUNCER {
        let found = app.raw_occurrences(secret_value).await;
        assert!(
            found.is_empty(),
            "`{secret_value}` is readable in the database: {found:?}"
        );
    }
    app.drop_database().await;
}
