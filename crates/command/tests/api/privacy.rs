//! Personal data through the API on a sealed store: unreadable in the database, keyed request fingerprints,
//! erasure of a case or of one signatory, and chains that still verify.

use std::sync::Arc;

use command::http::{AppState, HttpConfig};
use command::personal::PetitionerParts;
use command::privacy::{ErasureRequest, PrivacyService};
use command::{CaseService, FixedTime};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use store::EventStore;
use store::privacy::{FileKeyProvider, SealedStore};
use uuid::Uuid;

use crate::complaint;
use crate::helpers::{TOKEN, admin_url, today_instant, with_database};

const NATIONAL_ID: &str = "001099012345";
const SECRETS: [&str; 5] = [
    "Nguyễn Văn An",
    "12 Hàng Bạc",
    "0912345678",
    "an.nguyen@example.vn",
    NATIONAL_ID,
];

pub(crate) struct SealedApp {
    pub(crate) base: String,
    pub(crate) client: reqwest::Client,
    pub(crate) sealed: Arc<SealedStore>,
    pub(crate) privacy: PrivacyService,
    pub(crate) raw: PgPool,
    pub(crate) database: String,
}

async fn spawn_sealed_app() -> SealedApp {
    spawn_sealed_app_with(crate::helpers::test_tokens()).await
}

/// A server on a sealed store (its own database and key file), with these tokens.
pub(crate) async fn spawn_sealed_app_with(tokens: command::http::TokenList) -> SealedApp {
    let admin = admin_url();
    let database = format!("api_privacy_{}", Uuid::new_v4().simple());
    let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&admin)
        .await
        .expect("PostgreSQL");
    sqlx::query(&format!("CREATE DATABASE {database}"))
        .execute(&mut conn)
        .await
        .expect("create test database");
    let url = with_database(&admin, &database);
    let connected = store::connect_with_keys(&url, 4).await.expect("connect");
    let key_file = std::env::temp_dir()
        .join(format!("petition-api-keys-{}", Uuid::new_v4()))
        .join("keys.json");
    let provider = FileKeyProvider::load_or_create(&key_file).expect("key file");
    let fingerprints =
        command::http::extract::FingerprintKey::new(provider.fingerprint_secret()).expect("secret");
    let sealed = Arc::new(
        SealedStore::new(connected.events, connected.keys, Arc::new(provider))
            .with_parts(Arc::new(PetitionerParts)),
    );
    let agencies: Arc<dyn domain::AgencyDirectory> =
        Arc::new(domain::StaticAgencyDirectory::embedded());
    let service = CaseService::new(
        sealed.clone(),
        Arc::new(clock::Clocks::embedded()),
        agencies.clone(),
        Arc::new(FixedTime(today_instant())),
    )
    .with_fingerprint_key(fingerprints.clone());
    let policy =
        command::access::AccessPolicy::embedded(agencies).expect("the shipped access policy");
    let app = command::http::router(
        AppState {
            service,
            tokens,
            policy,
        },
        &HttpConfig::default(),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(command::http::serve(listener, app, std::future::pending()));
    SealedApp {
        base: format!("http://{addr}"),
        client: reqwest::Client::new(),
        privacy: PrivacyService::new(sealed.clone(), fingerprints),
        sealed,
        raw: PgPool::connect(&url).await.expect("raw pool"),
        database,
    }
}

impl SealedApp {
    async fn receive(&self, body: &Value, key: &str) -> (u16, Value) {
        let response = self
            .client
            .post(format!(
                "{}/api/v1/petitions?occurred_on=2026-09-15",
                self.base
            ))
            .bearer_auth(TOKEN)
            .header("Idempotency-Key", key)
            .json(body)
            .send()
            .await
            .expect("request");
        let status = response.status().as_u16();
        (status, response.json().await.expect("json"))
    }

    async fn case(&self, id: &str) -> Value {
        self.client
            .get(format!("{}/api/v1/petitions/{id}", self.base))
            .bearer_auth(TOKEN)
            .send()
            .await
            .expect("request")
            .json()
            .await
            .expect("json")
    }

    /// Drops the test database (after closing this app's own pool).
    pub(crate) async fn drop_database(self) {
        self.raw.close().await;
        let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&admin_url())
            .await
            .expect("admin");
        let _ = sqlx::query(&format!("DROP DATABASE {} WITH (FORCE)", self.database))
            .execute(&mut conn)
            .await;
    }

    /// Every row of every table, as text, that contains `needle`.
    pub(crate) async fn raw_occurrences(&self, needle: &str) -> Vec<String> {
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
        )
        .fetch_all(&self.raw)
        .await
        .expect("tables");
        let mut found = Vec::new();
        for table in tables {
            let rows: Vec<String> =
                sqlx::query_scalar(&format!("SELECT t::text FROM \"{table}\" t"))
                    .fetch_all(&self.raw)
                    .await
                    .expect("scan");
            found.extend(
                rows.into_iter()
                    .filter(|r| r.contains(needle))
                    .map(|r| format!("{table}: {r}")),
            );
        }
        found
    }

    async fn assert_no_secret_in_the_database(&self) {
        for secret in SECRETS {
            let found = self.raw_occurrences(secret).await;
            assert!(
                found.is_empty(),
                "`{secret}` is readable in the database: {found:?}"
            );
        }
    }

    pub(crate) async fn erase(
        &self,
        case: &str,
        person: Option<&str>,
    ) -> command::privacy::ErasureOutcome {
        self.privacy
            .erase(ErasureRequest {
                case_id: case.parse().expect("case id"),
                person: person.map(str::to_owned),
                reason: "the petitioner's request under the data-protection decree".into(),
                legal_basis: Some("Decree 13/2023/ND-CP art. 16".into()),
                actor: "privacy-officer".into(),
                correlation_id: Uuid::now_v7(),
            })
            .await
            .expect("erase")
    }
}

fn with_national_id(mut body: Value) -> Value {
    body["petitioners"]["signatories"][0]["national_id"] = json!(NATIONAL_ID);
    body
}

fn case_stream(case: &str) -> store::StreamId {
    store::StreamId::for_case(case.parse().expect("uuid"))
}

#[tokio::test]
async fn personal_data_sent_to_the_api_is_not_readable_in_the_database_and_fingerprints_are_keyed()
{
    let app = spawn_sealed_app().await;
    let body = with_national_id(complaint());
    let (status, first) = app.receive(&body, "privacy-1").await;
    assert_eq!(status, 201, "{first}");
    app.assert_no_secret_in_the_database().await;

    // The same request with the same key is still recognised as a retry ...
    let (status, again) = app.receive(&body, "privacy-1").await;
    assert_eq!(
        (status, again["replayed"].as_bool()),
        (200, Some(true)),
        "{again}"
    );
    assert_eq!(again["case_id"], first["case_id"]);

    // ... and what is stored to recognise it is no digest anyone could recompute from a guessed body.
    let prints: Vec<Option<String>> = sqlx::query_scalar("SELECT fingerprint FROM commands")
        .fetch_all(&app.raw)
        .await
        .expect("fingerprints");
    let print = prints[0].clone().expect("a fingerprint");
    let hex = print
        .strip_prefix("hmac-sha256:")
        .expect("a keyed fingerprint");
    let raw_body = serde_json::to_vec(&body).expect("body");
    assert_ne!(hex, hex::encode(Sha256::digest(&raw_body)));

    // The service, reading through the sealed store, still has the petitioner to decide with.
    let events = app
        .sealed
        .read_stream(&case_stream(first["case_id"].as_str().expect("id")))
        .await
        .expect("read");
    let personal = events[0].personal.as_ref().expect("opened");
    assert_eq!(
        personal["petitioners"]["signatories"][0]["national_id"],
        NATIONAL_ID
    );
    let view = app.case(first["case_id"].as_str().expect("id")).await;
    assert_eq!(view["personal_data"]["status"], "present", "{view}");
}

#[tokio::test]
async fn an_erased_case_reads_as_erased_and_every_chain_still_verifies() {
    let app = spawn_sealed_app().await;
    let (status, received) = app
        .receive(&with_national_id(complaint()), "privacy-2")
        .await;
    assert_eq!(status, 201, "{received}");
    let case = received["case_id"].as_str().expect("id").to_owned();

    let erased = app.erase(&case, None).await;
    assert_eq!(
        erased.keys_destroyed, 2,
        "the petitioners part and signatory-0"
    );
    assert!(!erased.recorded.payload.to_string().contains("Nguyễn"));

    let view = app.case(&case).await;
    assert_eq!(view["personal_data"]["status"], "erased", "{view}");
    assert_eq!(
        view["personal_data"]["erasures"][0]["actor"],
        "privacy-officer"
    );
    let events = app
        .sealed
        .read_stream(&case_stream(&case))
        .await
        .expect("read");
    assert!(events.iter().all(|e| e.personal.is_none()));
    app.assert_no_secret_in_the_database().await;
    assert!(
        app.sealed
            .verify_stream(&case_stream(&case))
            .await
            .expect("verify")
            .is_intact()
    );
    let privacy = command::privacy::privacy_stream_of(case.parse().expect("id"));
    assert!(
        app.sealed
            .verify_stream(&privacy)
            .await
            .expect("verify")
            .is_intact()
    );

    // The case goes on: the procedure does not need the erased identity to continue.
    let response = app
        .client
        .post(format!(
            "{}/api/v1/petitions/{case}/classify?occurred_on=2026-09-15",
            app.base
        ))
        .bearer_auth(TOKEN)
        .json(&json!({ "within_competence": true }))
        .send()
        .await
        .expect("request");
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    assert_eq!(status, 200, "{text}");
    assert!(!text.contains("cannot be decoded"), "{text}");
}

#[tokio::test]
async fn erasing_one_signatory_leaves_the_other_signatories_readable() {
    let app = spawn_sealed_app().await;
    let mut body = complaint();
    body["petitioners"]["signatories"]
        .as_array_mut()
        .expect("list")
        .push(json!({"full_name": "Phạm Thị Second", "phone": "0933333333"}));
    body["signatory_count"] = json!(2);
    let (status, received) = app.receive(&body, "privacy-3").await;
    assert_eq!(status, 201, "{received}");
    let case = received["case_id"].as_str().expect("id").to_owned();

    let erased = app.erase(&case, Some("signatory-0")).await;
    assert_eq!(
        (erased.keys_destroyed, erased.persons.clone()),
        (1, vec!["signatory-0".to_owned()])
    );
    let view = app.case(&case).await;
    assert_eq!(view["personal_data"]["status"], "partly_erased", "{view}");
    let events = app
        .sealed
        .read_stream(&case_stream(&case))
        .await
        .expect("read");
    let signatories = &events[0].personal.as_ref().expect("opened")["petitioners"]["signatories"];
    assert_eq!(
        signatories[0],
        json!({"full_name": command::personal::ERASED_NAME})
    );
    assert_eq!(signatories[1]["full_name"], "Phạm Thị Second");
    assert!(
        app.sealed
            .verify_stream(&case_stream(&case))
            .await
            .expect("verify")
            .is_intact()
    );
    // An unknown person is refused and names the persons the case has.
    let refused = app
        .privacy
        .erase(ErasureRequest {
            case_id: case.parse().expect("id"),
            person: Some("signatory-7".into()),
            reason: "test".into(),
            legal_basis: None,
            actor: "privacy-officer".into(),
            correlation_id: Uuid::now_v7(),
        })
        .await;
    let message = refused.expect_err("refused").to_string();
    assert!(
        message.contains("signatory-1") && !message.contains("petitioners,"),
        "{message}"
    );
}
