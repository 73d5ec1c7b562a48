//! Bad input gets a clear problem document and records nothing.

use command::http::HttpConfig;
use serde_json::{Value, json};

use crate::complaint;
use crate::helpers::{TOKEN, spawn_app, spawn_app_with};

const PROBLEM: &str = "tag:petition-ledger,2026:problem/";

async fn problem(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert_eq!(
        content_type, "application/problem+json",
        "errors are problem documents (status {status})"
    );
    (status, response.json().await.expect("problem json"))
}

async fn event_count(app: &crate::helpers::TestApp, case: &str) -> usize {
    app.events(case).await.len()
}

#[tokio::test]
async fn a_request_without_a_valid_token_is_unauthorized() {
    let app = spawn_app().await;
    let none = app
        .client
        .post(app.url("/api/v1/petitions"))
        .json(&complaint())
        .send()
        .await
        .expect("request");
    assert_eq!(none.headers()["www-authenticate"], "Bearer");
    let (status, body) = problem(none).await;
    assert_eq!(
        (status, body["type"].as_str()),
        (401, Some(&*format!("{PROBLEM}unauthorized")))
    );
    let wrong = app
        .client
        .get(app.url("/api/v1/petitions/00000000-0000-0000-0000-000000000000"))
        .bearer_auth("nope")
        .send()
        .await;
    assert_eq!(wrong.expect("request").status(), 401);
}

#[tokio::test]
async fn malformed_json_is_a_bad_request() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(app.url("/api/v1/petitions"))
        .bearer_auth(TOKEN)
        .header("content-type", "application/json")
        .body("{\"kind\": \"complaint\",")
        .send()
        .await
        .expect("request");
    let (status, body) = problem(response).await;
    assert_eq!(status, 400);
    assert_eq!(body["type"], format!("{PROBLEM}malformed-json"));
}

#[tokio::test]
async fn an_unknown_field_is_refused_and_names_the_field() {
    let app = spawn_app().await;
    let mut body = complaint();
    body["priority"] = json!("urgent");
    let (status, problem) = problem(app.post("/api/v1/petitions", &body).await).await;
    assert_eq!(status, 400);
    assert_eq!(problem["type"], format!("{PROBLEM}invalid-input"));
    assert!(
        problem["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("priority"),
        "{problem}"
    );
}

#[tokio::test]
async fn a_client_supplied_tracking_code_is_refused() {
    let app = spawn_app().await;
    let mut body = complaint();
    body["tracking_code"] = json!("KN-2026-AAAAA-AAAAA-A");
    let (status, _) = problem(app.post("/api/v1/petitions", &body).await).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn an_oversized_payload_is_refused_with_413() {
    let app = spawn_app_with(HttpConfig {
        body_limit_bytes: 4096,
        ..HttpConfig::default()
    })
    .await;
    let mut body = complaint();
    body["content"] = json!("x".repeat(10_000));
    let (status, problem) = problem(app.post("/api/v1/petitions", &body).await).await;
    assert_eq!(status, 413);
    assert_eq!(problem["type"], format!("{PROBLEM}payload-too-large"));
}

#[tokio::test]
async fn an_unknown_agency_is_refused_by_the_domain() {
    let app = spawn_app().await;
    let mut body = complaint();
    body["receiving_agency"] = json!("UBND-XX");
    let (status, problem) = problem(
        app.post("/api/v1/petitions?occurred_on=2026-09-01", &body)
            .await,
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(problem["type"], format!("{PROBLEM}unknown-agency"));
}

#[tokio::test]
async fn deciding_a_case_never_accepted_is_an_illegal_transition_and_records_nothing() {
    let app = spawn_app().await;
    let (case, _) = app.receive_on("2026-09-01", &complaint()).await;
    let response = app
        .post(
            &format!("/api/v1/petitions/{case}/issue-decision?occurred_on=2026-09-02"),
            &json!({ "outcome": "upheld", "summary": "…", "decision_number": "1/QĐ" }),
        )
        .await;
    let (status, problem) = problem(response).await;
    assert_eq!(status, 422);
    assert_eq!(problem["type"], format!("{PROBLEM}illegal-transition"));
    assert!(!problem["detail"].as_str().unwrap_or_default().is_empty());
    assert_eq!(event_count(&app, &case).await, 1, "nothing was recorded");
}

#[tokio::test]
async fn an_appeal_after_the_window_is_refused_with_its_legal_basis() {
    let app = spawn_app().await;
    let mut body = complaint();
    body["decision_date_learned"] = json!("2026-06-20");
    let (case, _) = app.receive_on("2026-07-01", &body).await;
    app.act_ok(
        &case,
        "classify",
        "2026-07-02",
        &json!({ "within_competence": true }),
    )
    .await;
    app.act_ok(&case, "accept", "2026-07-03", &json!({})).await;
    app.act_ok(
        &case,
        "issue-decision",
        "2026-07-20",
        &json!({ "outcome": "rejected", "summary": "…", "decision_number": "9/QĐ" }),
    )
    .await;
    let response = app
        .post(
            &format!("/api/v1/petitions/{case}/lodge-appeal?occurred_on=2026-09-14"),
            &json!({ "grounds": "late" }),
        )
        .await;
    let (status, problem) = problem(response).await;
    assert_eq!(status, 422);
    assert_eq!(problem["type"], format!("{PROBLEM}appeal-window-closed"));
    assert_eq!(problem["legal_basis"], "LKN art. 33");
}

#[tokio::test]
async fn a_step_dated_in_the_future_is_refused() {
    let app = spawn_app().await;
    let (status, problem) = problem(
        app.post("/api/v1/petitions?occurred_on=2026-12-01", &complaint())
            .await,
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(problem["type"], format!("{PROBLEM}step-date-in-future"));
}

#[tokio::test]
async fn unknown_cases_actions_and_ids_are_clear_errors() {
    let app = spawn_app().await;
    let (case, _) = app.receive_on("2026-09-01", &complaint()).await;
    let (status, _) = problem(
        app.post(&format!("/api/v1/petitions/{case}/approve"), &json!({}))
            .await,
    )
    .await;
    assert_eq!(status, 404, "unknown action");
    let missing = uuid::Uuid::now_v7();
    let (status, p) = problem(
        app.post(&format!("/api/v1/petitions/{missing}/accept"), &json!({}))
            .await,
    )
    .await;
    assert_eq!(
        (status, p["type"].as_str()),
        (404, Some(&*format!("{PROBLEM}case-not-found")))
    );
    let (status, p) = problem(app.get("/api/v1/petitions/not-a-uuid").await).await;
    assert_eq!(
        (status, p["type"].as_str()),
        (400, Some(&*format!("{PROBLEM}invalid-case-id")))
    );
}

#[tokio::test]
async fn a_stale_if_match_version_is_a_precondition_failure_with_the_current_version() {
    let app = spawn_app().await;
    let (case, _) = app.receive_on("2026-09-01", &complaint()).await;
    app.act_ok(
        &case,
        "classify",
        "2026-09-02",
        &json!({ "within_competence": true }),
    )
    .await;
    let response = app
        .client
        .post(app.url(&format!(
            "/api/v1/petitions/{case}/accept?occurred_on=2026-09-03"
        )))
        .bearer_auth(TOKEN)
        .header("If-Match", "\"1\"")
        .send()
        .await
        .expect("request");
    let (status, problem) = problem(response).await;
    assert_eq!(status, 412);
    assert_eq!(problem["type"], format!("{PROBLEM}version-mismatch"));
    assert_eq!(problem["current_version"], 2);
    assert_eq!(event_count(&app, &case).await, 2);

    let ok = app
        .client
        .post(app.url(&format!(
            "/api/v1/petitions/{case}/accept?occurred_on=2026-09-03"
        )))
        .bearer_auth(TOKEN)
        .header("If-Match", "\"2\"")
        .send()
        .await
        .expect("request");
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.headers()["etag"], "\"3\"");
}
