//! Header hygiene: ambiguous or unsupported headers are refused before anything is recorded, `If-Match: *`
//! follows RFC 9110, and the bearer scheme is read the way RFC 9110 writes it.

use axum::http::{HeaderMap, HeaderValue};
use serde_json::json;
use uuid::Uuid;

use crate::complaint;
use crate::helpers::{TOKEN, TestApp, problem, problem_type, spawn_app};

/// Sends a POST with the test token and `headers` (appended, so a name can repeat).
async fn post_with(
    app: &TestApp,
    path: &str,
    headers: &[(&'static str, &str)],
) -> reqwest::Response {
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        map.append(*name, HeaderValue::from_str(value).expect("header value"));
    }
    app.client
        .post(app.url(path))
        .bearer_auth(TOKEN)
        .headers(map)
        .json(&json!({ "within_competence": true }))
        .send()
        .await
        .expect("request")
}

#[tokio::test]
async fn two_idempotency_keys_or_two_if_match_are_refused_and_record_nothing() {
    let app = spawn_app().await;
    let (case, _) = app.receive_on("2026-09-01", &complaint()).await;
    let before = app.recorded().await;
    let path = format!("/api/v1/petitions/{case}/classify?occurred_on=2026-09-02");
    for headers in [
        [("idempotency-key", "a"), ("idempotency-key", "b")],
        [("if-match", "\"1\""), ("if-match", "\"2\"")],
        [("if-match", "\"1\""), ("if-match", "\"1\"")],
    ] {
        let (status, body) = problem(post_with(&app, &path, &headers).await).await;
        assert_eq!(
            (status, body["type"].as_str()),
            (400, Some(&*problem_type("duplicate-header"))),
            "{headers:?}: {body}"
        );
    }
    let (status, _) = problem(post_with(&app, &path, &[("if-match", "\"1\", \"2\"")]).await).await;
    assert_eq!(status, 400, "a list of versions is ambiguous too");
    assert_eq!(app.recorded().await, before, "nothing was recorded");
}

#[tokio::test]
async fn two_authorization_headers_are_refused_even_when_one_is_valid() {
    let app = spawn_app().await;
    let before = app.recorded().await;
    let mut map = HeaderMap::new();
    map.append("authorization", HeaderValue::from_static("Bearer nope"));
    map.append(
        "authorization",
        HeaderValue::from_str(&format!("Bearer {TOKEN}")).expect("value"),
    );
    let response = app
        .client
        .post(app.url("/api/v1/petitions?occurred_on=2026-09-01"))
        .headers(map)
        .json(&complaint())
        .send()
        .await
        .expect("request");
    let (status, body) = problem(response).await;
    assert_eq!(
        (status, body["type"].as_str()),
        (400, Some(&*problem_type("duplicate-header")))
    );
    assert_eq!(app.recorded().await, before);
}

#[tokio::test]
async fn a_compressed_body_is_refused_with_415_and_accept_encoding() {
    let app = spawn_app().await;
    let before = app.recorded().await;
    for coding in ["gzip", "br", "identity, gzip", "x-unknown"] {
        let response = app
            .client
            .post(app.url("/api/v1/petitions?occurred_on=2026-09-01"))
            .bearer_auth(TOKEN)
            .header("content-encoding", coding)
            .json(&complaint())
            .send()
            .await
            .expect("request");
        assert_eq!(response.headers()["accept-encoding"], "identity");
        let (status, body) = problem(response).await;
        assert_eq!(
            (status, body["type"].as_str()),
            (415, Some(&*problem_type("unsupported-content-encoding"))),
            "{coding}"
        );
    }
    assert_eq!(app.recorded().await, before);
    let identity = app
        .client
        .post(app.url("/api/v1/petitions?occurred_on=2026-09-01"))
        .bearer_auth(TOKEN)
        .header("content-encoding", "identity")
        .json(&complaint())
        .send()
        .await
        .expect("request");
    assert_eq!(identity.status(), 201, "identity is no coding at all");
}

#[tokio::test]
async fn if_match_star_matches_an_existing_case_and_fails_on_a_missing_one() {
    let app = spawn_app().await;
    let (case, _) = app.receive_on("2026-09-01", &complaint()).await;
    let ok = post_with(
        &app,
        &format!("/api/v1/petitions/{case}/classify?occurred_on=2026-09-02"),
        &[("if-match", "*")],
    )
    .await;
    assert_eq!(ok.status(), 200, "{:?}", ok.text().await);

    let before = app.recorded().await;
    let missing = Uuid::now_v7();
    let (status, body) = problem(
        post_with(
            &app,
            &format!("/api/v1/petitions/{missing}/classify?occurred_on=2026-09-02"),
            &[("if-match", "*")],
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, body["type"].as_str()),
        (412, Some(&*problem_type("precondition-failed")))
    );
    let receive = app
        .client
        .post(app.url("/api/v1/petitions?occurred_on=2026-09-01"))
        .bearer_auth(TOKEN)
        .header("if-match", "*")
        .json(&complaint())
        .send()
        .await
        .expect("request");
    let (status, _) = problem(receive).await;
    assert_eq!(status, 412, "a new petition has no current representation");
    assert_eq!(app.recorded().await, before, "nothing was recorded");
}

#[tokio::test]
async fn the_bearer_scheme_is_case_insensitive_and_tolerates_tabs_and_spaces() {
    let app = spawn_app().await;
    let (case, _) = app.receive_on("2026-09-01", &complaint()).await;
    for value in [
        format!("BEARER {TOKEN}"),
        format!("bearer {TOKEN}"),
        format!("Bearer\t{TOKEN}"),
        format!("Bearer   {TOKEN}"),
        format!("bEaReR \t {TOKEN}"),
    ] {
        let response = app
            .client
            .get(app.url(&format!("/api/v1/petitions/{case}")))
            .header("authorization", &value)
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 200, "{value:?}");
    }
    for value in [
        format!("Basic {TOKEN}"),
        format!("Bearer{TOKEN}"),
        "Bearer".into(),
    ] {
        let response = app
            .client
            .get(app.url(&format!("/api/v1/petitions/{case}")))
            .header("authorization", &value)
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 401, "{value:?}");
    }
}
