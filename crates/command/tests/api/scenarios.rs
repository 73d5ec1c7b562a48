//! The executable legal specification through the real HTTP API, on SQLite and on PostgreSQL: every
//! scenario of `rules/scenarios.toml` is driven step by step as an officer would (`POST` with
//! `occurred_on`, the service's "today" moved to the step's day), and after each step the case view
//! (`GET /api/v1/petitions/{id}`, its deadlines and overdue flags) and the event list must show the due
//! dates, statuses, absent clocks and overdue duties the file states. The domain runs the same file
//! directly (`crates/domain/tests/domain/scenarios.rs`); this proves the server, the store and the
//! views do not change a date on the way.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use clock::Deadline;
use command::http::{AppState, HttpConfig};
use command::{CaseService, TimeSource};
use domain::{DeadlineStatus, TrackedDeadline};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{TestApp, admin_url, problem_type, test_tokens, with_database};
use crate::scenario_file::{Scenario, Step, check, check_overdue, day, defaults, file, merge};

/// A "now" the test moves to each step's day (10:00 in Vietnam).
#[derive(Debug, Default)]
struct StepTime(Mutex<Option<DateTime<Utc>>>);

impl StepTime {
    fn set(&self, on: NaiveDate) {
        let instant = Utc.from_utc_datetime(&on.and_hms_opt(3, 0, 0).unwrap_or_default());
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(instant);
    }
}

impl TimeSource for StepTime {
    fn now(&self) -> DateTime<Utc> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .unwrap_or_else(Utc::now)
    }
}

enum Backend {
    Sqlite,
    Postgres,
}

/// A server on `backend` whose "now" is `time`; returns it and what to remove afterwards.
async fn spawn(backend: &Backend, time: Arc<StepTime>) -> (TestApp, Option<std::path::PathBuf>) {
    let (url, database, dir) = match backend {
        Backend::Sqlite => {
            let dir =
                std::env::temp_dir().join(format!("api-scenarios-{}", Uuid::new_v4().simple()));
            std::fs::create_dir_all(&dir).expect("temp dir");
            let path = dir.join("petition.db").display().to_string();
            (format!("sqlite://{path}?mode=rwc"), path, Some(dir))
        }
        Backend::Postgres => {
            let admin = admin_url();
            let database = format!("api_{}", Uuid::new_v4().simple());
            let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&admin)
                .await
                .unwrap_or_else(|e| panic!("PostgreSQL is unreachable at {admin} ({e})"));
            sqlx::query(&format!("CREATE DATABASE {database}"))
                .execute(&mut conn)
                .await
                .expect("create test database");
            (with_database(&admin, &database), database, None)
        }
    };
    let store = crate::helpers::connect_store(&url).await;
    let agencies: Arc<dyn domain::AgencyDirectory> =
        Arc::new(domain::StaticAgencyDirectory::embedded());
    let service = CaseService::new(
        store.clone(),
        Arc::new(clock::Clocks::embedded()),
        agencies.clone(),
        time,
    );
    let policy =
        command::access::AccessPolicy::embedded(agencies).expect("the shipped access policy");
    let app = command::http::router(
        AppState {
            service,
            tokens: test_tokens(),
            policy,
        },
        &HttpConfig::default(),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(command::http::serve(listener, app, std::future::pending()));
    let app = TestApp {
        addr,
        base: format!("http://{addr}"),
        client: reqwest::Client::new(),
        database,
        database_url: url,
        store,
    };
    (app, dir)
}

/// The `receive` body of a scenario: a neutral petition of its kind, channel and agency.
fn receive_body(s: &Scenario, step: &Step) -> Value {
    let mut base = json!({
        "kind": s.kind,
        "channel": s.channel,
        "receiving_agency": s.agency,
        "subject": "A petition of the legal specification",
        "content": "The petitioner asks the agency to review the matter described in the file.",
        "petitioners": { "signatories": [ {
            "full_name": "Nguyễn Văn An",
            "address": "12 Hàng Bạc, Hoàn Kiếm, Hà Nội"
        } ] },
        "signatory_count": 1
    });
    if s.channel == "referral" {
        base["referrer"] = json!("Báo Nhân Dân");
    }
    merge(base, step.body.as_ref())
}

/// Posts one step; `Ok(case id)` when it was recorded, `Err(problem type)` when refused.
async fn post_step(
    app: &TestApp,
    s: &Scenario,
    case: Option<&str>,
    step: &Step,
) -> Result<String, (u16, String)> {
    let (path, body) = match case {
        None => (
            format!("/api/v1/petitions?occurred_on={}", step.on),
            receive_body(s, step),
        ),
        Some(id) => (
            format!(
                "/api/v1/petitions/{id}/{}?occurred_on={}",
                step.action, step.on
            ),
            merge(defaults(&step.action), step.body.as_ref()),
        ),
    };
    let response = app.post(&path, &body).await;
    let status = response.status().as_u16();
    let json: Value = response.json().await.expect("json answer");
    if (200..300).contains(&status) {
        Ok(json["case_id"].as_str().unwrap_or_default().to_owned())
    } else {
        Err((status, json["type"].as_str().unwrap_or_default().to_owned()))
    }
}

/// The case view now, and the deadlines its folded state tracks.
async fn case_view(app: &TestApp, id: &str) -> (Value, BTreeMap<String, TrackedDeadline>) {
    let view: Value = app
        .get(&format!("/api/v1/petitions/{id}"))
        .await
        .json()
        .await
        .expect("case view");
    let tracked = serde_json::from_value(view["state"]["deadlines"].clone())
        .unwrap_or_else(|e| panic!("state.deadlines of {view}: {e}"));
    (view, tracked)
}

/// The limitation period kept by the latest `petition.accepted` event.
async fn limitation(app: &TestApp, id: &str) -> Option<Deadline> {
    app.events(id)
        .await
        .iter()
        .rev()
        .find(|e| e["event_type"] == "petition.accepted")
        .and_then(|e| serde_json::from_value(e["payload"]["limitation"].clone()).ok())
}

async fn after_step(
    app: &TestApp,
    time: &StepTime,
    at: &str,
    id: &str,
    step: &Step,
    failures: &mut Vec<String>,
) {
    let (_, tracked) = case_view(app, id).await;
    for e in &step.expect {
        let at = format!("{at} / {}", e.deadline);
        let found: Result<(Deadline, Option<DeadlineStatus>), String> =
            if e.deadline == "limitation" {
                limitation(app, id)
                    .await
                    .map(|d| (d, None))
                    .ok_or_else(|| format!("{at}: no limitation period was checked"))
            } else {
                tracked
                    .get(&e.deadline)
                    .map(|t| (t.deadline.clone(), Some(t.status)))
                    .ok_or_else(|| format!("{at}: no such deadline"))
            };
        if let Err(f) = found.and_then(|(d, st)| check(&at, e, &d, st)) {
            failures.push(f);
        }
    }
    for key in &step.absent {
        if tracked.contains_key(key) {
            failures.push(format!("{at}: `{key}` is tracked but should not be"));
        }
    }
    if step.overdue.is_some() {
        let on = day(step.overdue_on.as_deref().unwrap_or(&step.on));
        time.set(on);
        let (view, _) = case_view(app, id).await;
        let overdue = view["deadlines"]
            .as_array()
            .map(|ds| {
                ds.iter()
                    .filter(|d| d["overdue"] == true)
                    .filter_map(|d| d["key"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        failures.extend(check_overdue(at, step, overdue));
    }
}

async fn every_scenario_holds_through_the_api(backend: Backend) {
    let time = Arc::new(StepTime::default());
    let (app, dir) = spawn(&backend, time.clone()).await;
    let mut failures = Vec::new();
    let scenarios = file().scenario;
    for s in &scenarios {
        let mut case: Option<String> = None;
        for step in &s.step {
            let at = format!("{} / {} on {}", s.name, step.action, step.on);
            time.set(day(step.today.as_deref().unwrap_or(&step.on)));
            match (
                post_step(&app, s, case.as_deref(), step).await,
                &step.refused,
            ) {
                (Ok(id), None) => {
                    case.get_or_insert(id);
                }
                (Err((status, kind)), Some(code)) if kind == problem_type(code) => {
                    assert!((400..500).contains(&status), "{at}: refused with {status}");
                }
                (Ok(_), Some(code)) => {
                    failures.push(format!("{at}: expected `{code}`, but it was allowed"));
                }
                (Err((status, kind)), _) => {
                    failures.push(format!("{at}: refused with {status} {kind}"));
                    break;
                }
            }
            if let Some(id) = &case {
                after_step(&app, &time, &at, id, step, &mut failures).await;
            }
        }
    }
    if let Some(dir) = dir {
        let _ = std::fs::remove_dir_all(dir);
    } else {
        app.drop_database().await;
    }
    assert!(
        failures.is_empty(),
        "{} failure(s) in {} scenarios:\n{}",
        failures.len(),
        scenarios.len(),
        failures.join("\n")
    );
}

#[tokio::test]
async fn every_scenario_of_the_legal_specification_holds_through_the_api_on_sqlite() {
    every_scenario_holds_through_the_api(Backend::Sqlite).await;
}

#[tokio::test]
async fn every_scenario_of_the_legal_specification_holds_through_the_api_on_postgres() {
    every_scenario_holds_through_the_api(Backend::Postgres).await;
}

/// The fields the limitation and dialogue rules read are part of the published contract, and every
/// schema they refer to is defined.
#[tokio::test]
async fn the_openapi_document_defines_the_limitation_and_dialogue_notice_fields() {
    let app = crate::helpers::spawn_app().await;
    let doc: Value = app
        .client
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    let schemas = &doc["components"]["schemas"];
    for (schema, field) in [
        ("Receive", "contested"),
        ("Receive", "limitation_obstacles"),
        ("HoldDialogue", "notified_on"),
        ("LimitationObstacle", "evidence"),
    ] {
        assert!(
            schemas[schema]["properties"].get(field).is_some(),
            "{schema}.{field} is documented"
        );
    }
    let mut refs = Vec::new();
    collect_refs(&doc, &mut refs);
    for r in refs {
        let name = r.trim_start_matches("#/components/schemas/");
        assert!(schemas.get(name).is_some(), "{r} is defined");
    }
    assert!(
        schemas["DeadlineKey"]
            .to_string()
            .contains("dialogue_notice"),
        "the new deadline keys are listed"
    );
    app.drop_database().await;
}

fn collect_refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v.as_str()) {
                    ("$ref", Some(r)) => out.push(r.to_owned()),
                    _ => collect_refs(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}
