//! Every error is a problem document: fallbacks, extractor rejections, limits and media types.

use axum::routing::get;
use command::http::{ExtraRoutes, HttpConfig};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use tokio::io::AsyncWriteExt;

use crate::complaint;
use crate::helpers::{
    TOKEN, problem, problem_type, spawn_app, spawn_app_with, spawn_app_with_routes,
};
use crate::raw::{connect, read_response, send};

#[tokio::test]
async fn an_unknown_path_is_a_404_problem() {
    let app = spawn_app().await;
    let (status, body) = problem(app.get("/api/v1/nothing-here").await).await;
    assert_eq!(
        (status, body["type"].as_str()),
        (404, Some(&*problem_type("not-found")))
    );
}

#[tokio::test]
async fn a_wrong_method_is_a_405_problem_with_allow() {
    let app = spawn_app().await;
    let before = app.recorded().await;
    let response = app
        .client
        .delete(app.url("/api/v1/petitions"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("request");
    let allow = response.headers()["allow"]
        .to_str()
        .unwrap_or_default()
        .to_owned();
    assert!(allow.contains("POST"), "Allow: {allow}");
    let (status, body) = problem(response).await;
    assert_eq!(
        (status, body["type"].as_str()),
        (405, Some(&*problem_type("method-not-allowed")))
    );
    let (status, _) = problem(
        app.client
            .put(app.url("/health"))
            .send()
            .await
            .expect("request"),
    )
    .await;
    assert_eq!(status, 405);
    assert_eq!(app.recorded().await, before);
}

#[tokio::test]
async fn an_unknown_or_malformed_query_parameter_is_a_400_problem() {
    let app = spawn_app().await;
    let (case, _) = app.receive_on("2026-09-01", &complaint()).await;
    for query in ["colour=red", "as_of=yesterday"] {
        let (status, body) =
            problem(app.get(&format!("/api/v1/petitions/{case}?{query}")).await).await;
        assert_eq!(
            (status, body["type"].as_str()),
            (400, Some(&*problem_type("invalid-query"))),
            "{query}: {body}"
        );
    }
    let before = app.recorded().await;
    let (status, body) = problem(
        app.post(
            &format!("/api/v1/petitions/{case}/accept?occurred_on=2026-02-30"),
            &json!({}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, body["type"].as_str()),
        (400, Some(&*problem_type("invalid-query")))
    );
    assert_eq!(app.recorded().await, before, "nothing was recorded");
}

#[tokio::test]
async fn a_path_segment_that_is_not_utf8_is_a_400_problem() {
    let app = spawn_app().await;
    let (status, body) = problem(app.get("/api/v1/petitions/%FF%FE").await).await;
    assert_eq!(
        (status, body["type"].as_str()),
        (400, Some(&*problem_type("invalid-path")))
    );
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Page {
    limit: u32,
}

async fn plain_axum(
    _q: axum::extract::Query<Page>,
    _p: axum::extract::Path<u32>,
    _b: axum::Json<Page>,
) -> &'static str {
    "ok"
}

#[tokio::test]
async fn axum_text_rejections_of_routes_beside_the_api_become_problems() {
    let extra = ExtraRoutes {
        public: axum::Router::new().route("/api/v1/test/plain/{n}", get(plain_axum)),
        ..ExtraRoutes::default()
    };
    let app = spawn_app_with_routes(HttpConfig::default(), extra).await;
    let cases = [
        (
            "/api/v1/test/plain/1?limit=x",
            "application/json",
            "{\"limit\": 1}",
            400,
        ),
        (
            "/api/v1/test/plain/x?limit=1",
            "application/json",
            "{\"limit\": 1}",
            400,
        ),
        (
            "/api/v1/test/plain/1?limit=1",
            "text/plain",
            "{\"limit\": 1}",
            415,
        ),
        (
            "/api/v1/test/plain/1?limit=1",
            "application/json",
            "{\"limit\":",
            400,
        ),
        (
            "/api/v1/test/plain/1?limit=1",
            "application/json",
            "{\"limit\": -1}",
            422,
        ),
    ];
    for (path, content_type, body, expected) in cases {
        let response = app
            .client
            .get(app.url(path))
            .bearer_auth(TOKEN)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .expect("request");
        let (status, problem) = problem(response).await;
        assert_eq!(status, expected, "{path} {content_type} {body}: {problem}");
        assert!(
            !problem["detail"].as_str().unwrap_or_default().is_empty(),
            "axum's text is kept as the detail: {problem}"
        );
    }
}

#[tokio::test]
async fn a_body_that_is_not_json_is_a_415_problem_and_records_nothing() {
    let app = spawn_app().await;
    let before = app.recorded().await;
    let response = app
        .client
        .post(app.url("/api/v1/petitions?occurred_on=2026-09-01"))
        .bearer_auth(TOKEN)
        .header("content-type", "text/plain")
        .body(complaint().to_string())
        .send()
        .await
        .expect("request");
    let (status, body) = problem(response).await;
    assert_eq!(
        (status, body["type"].as_str()),
        (415, Some(&*problem_type("unsupported-media-type")))
    );
    assert_eq!(app.recorded().await, before);
}

#[tokio::test]
async fn a_chunked_body_beyond_the_limit_is_a_413_problem_and_records_nothing() {
    let app = spawn_app_with(HttpConfig {
        body_limit_bytes: 4096,
        ..HttpConfig::default()
    })
    .await;
    let before = app.recorded().await;
    let mut body = complaint();
    body["content"] = json!("x".repeat(10_000));
    let mut stream = connect(app.addr).await;
    send(
        &mut stream,
        &format!(
            "POST /api/v1/petitions?occurred_on=2026-09-01 HTTP/1.1\r\nHost: test\r\n\
             Authorization: Bearer {TOKEN}\r\nContent-Type: application/json\r\n\
             Transfer-Encoding: chunked\r\n\r\n"
        ),
    )
    .await;
    for chunk in body.to_string().into_bytes().chunks(1000) {
        let text = String::from_utf8_lossy(chunk);
        if stream
            .write_all(format!("{:x}\r\n{text}\r\n", chunk.len()).as_bytes())
            .await
            .is_err()
        {
            break;
        }
    }
    let _ = stream.write_all(b"0\r\n\r\n").await;
    let response = read_response(&mut stream).await.expect("an answer");
    assert_eq!(
        response.header("content-type").as_deref(),
        Some("application/problem+json")
    );
    let (status, problem) = (response.status, response.json());
    assert_eq!(
        (status, problem["type"].as_str()),
        (413, Some(&*problem_type("payload-too-large")))
    );
    assert_eq!(app.recorded().await, before);
}

#[tokio::test]
async fn a_malformed_correlation_or_causation_header_is_a_400_problem() {
    let app = spawn_app().await;
    let before = app.recorded().await;
    for (name, value) in [("x-correlation-id", "not-a-uuid"), ("x-causation-id", "42")] {
        let response = app
            .client
            .post(app.url("/api/v1/petitions?occurred_on=2026-09-01"))
            .bearer_auth(TOKEN)
            .header(name, value)
            .json(&complaint())
            .send()
            .await
            .expect("request");
        let (status, body) = problem(response).await;
        assert_eq!(
            (status, body["type"].as_str()),
            (400, Some(&*problem_type("invalid-header"))),
            "{name}"
        );
    }
    let missing = Uuid::now_v7();
    let (status, body) = problem(app.get(&format!("/api/v1/petitions/{missing}")).await).await;
    assert_eq!(status, 404);
    assert!(
        body["correlation_id"].is_string(),
        "problems name their correlation id: {body}"
    );
    assert_eq!(app.recorded().await, before);
}
