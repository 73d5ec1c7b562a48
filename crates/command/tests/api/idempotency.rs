//! Retrying a command with its Idempotency-Key never records the same fact twice.

use serde_json::{Value, json};

use crate::complaint;
use crate::helpers::{TOKEN, spawn_app};

async fn post_with_key(
    app: &crate::helpers::TestApp,
    path: &str,
    key: &str,
    body: &Value,
) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .bearer_auth(TOKEN)
        .header("Idempotency-Key", key)
        .json(body)
        .send()
        .await
        .expect("request")
}

#[tokio::test]
async fn retrying_a_receive_returns_the_same_case_and_records_it_once() {
    let app = spawn_app().await;
    let path = "/api/v1/petitions?occurred_on=2026-09-01";
    let first = post_with_key(&app, path, "desk-7-0001", &complaint()).await;
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.expect("json");
    let retry = post_with_key(&app, path, "desk-7-0001", &complaint()).await;
    assert_eq!(retry.status(), 200, "a replay is not a new creation");
    let retry: Value = retry.json().await.expect("json");
    assert_eq!(retry["case_id"], first["case_id"]);
    assert_eq!(retry["tracking_code"], first["tracking_code"]);
    assert_eq!(retry["replayed"], true);
    assert_eq!(
        retry["events"][0]["event_id"],
        first["events"][0]["event_id"]
    );
    let case = first["case_id"].as_str().expect("case id");
    let events = app.events(case).await;
    assert_eq!(events.len(), 1, "the petition is recorded once");
}

#[tokio::test]
async fn retrying_a_lifecycle_command_after_it_succeeded_returns_the_first_result() {
    let app = spawn_app().await;
    let (case, _) = app.receive_on("2026-09-01", &complaint()).await;
    let path = format!("/api/v1/petitions/{case}/classify?occurred_on=2026-09-02");
    let body = json!({ "within_competence": true });
    let first: Value = post_with_key(&app, &path, "k-classify", &body)
        .await
        .json()
        .await
        .expect("json");
    let again = post_with_key(&app, &path, "k-classify", &body).await;
    assert_eq!(again.status(), 200);
    let again: Value = again.json().await.expect("json");
    assert_eq!(again["replayed"], true);
    assert_eq!(again["version"], first["version"]);
    let events = app.events(&case).await;
    assert_eq!(events.len(), 2);
}

#[tokio::test]
async fn the_same_key_with_a_different_request_is_refused() {
    let app = spawn_app().await;
    let (case, _) = app.receive_on("2026-09-01", &complaint()).await;
    let path = format!("/api/v1/petitions/{case}/classify?occurred_on=2026-09-02");
    let first = post_with_key(&app, &path, "k-1", &json!({ "within_competence": true })).await;
    assert_eq!(first.status(), 200);
    let other = post_with_key(
        &app,
        &path,
        "k-1",
        &json!({ "within_competence": false, "competent_agency": "UBND-HCM" }),
    )
    .await;
    assert_eq!(other.status(), 422);
    let problem: Value = other.json().await.expect("json");
    assert_eq!(
        problem["type"],
        "tag:petition-ledger,2026:problem/idempotency-key-reused"
    );
}

#[tokio::test]
async fn concurrent_retries_of_one_command_record_it_once() {
    let app = spawn_app().await;
    let (case, _) = app.receive_on("2026-09-01", &complaint()).await;
    let path = format!("/api/v1/petitions/{case}/classify?occurred_on=2026-09-02");
    let body = json!({ "within_competence": true });
    let attempts = (0..8).map(|_| post_with_key(&app, &path, "k-burst", &body));
    let responses = futures::future::join_all(attempts).await;
    for r in responses {
        assert_eq!(r.status(), 200, "every retry answers with the one result");
    }
    let events = app.events(&case).await;
    assert_eq!(events.len(), 2, "classified exactly once");
}
