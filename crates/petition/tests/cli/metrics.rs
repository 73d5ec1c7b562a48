//! Observability without NATS: `petition serve` on PostgreSQL with `PETITION_METRICS_LISTEN`; the metrics
//! listener shows requests by matched route and status (never an id), append latency, read-model lag that
//! reaches 0, notifier deliveries and watcher passes; the API listener serves no `/metrics`, and `/ready`
//! says ready and nothing else.

use std::time::Duration;

use serde_json::{Value, json};
use uuid::Uuid;

use crate::{Server, receive_with_email, start_server_with};

async fn scrape(server: &Server) -> String {
    let at = server.metrics.as_deref().expect("a metrics listener");
    let response = reqwest::get(format!("{at}/metrics")).await.expect("scrape");
    assert_eq!(response.status(), 200);
    response.text().await.expect("text")
}

/// The sample lines of `name` (exactly that series name) whose labels contain every one of `labels`.
fn samples<'a>(text: &'a str, name: &str, labels: &[&str]) -> Vec<&'a str> {
    text.lines()
        .filter(|l| {
            l.strip_prefix(name)
                .is_some_and(|rest| rest.starts_with('{') || rest.starts_with(' '))
        })
        .filter(|l| labels.iter().all(|label| l.contains(label)))
        .collect()
}

/// The value of the one sample of `name` with `labels`.
fn value(text: &str, name: &str, labels: &[&str]) -> Option<f64> {
    samples(text, name, labels)
        .first()
        .and_then(|l| l.rsplit_once(' '))
        .and_then(|(_, v)| v.parse().ok())
}

/// Scrapes until `done` holds (the sampled gauges refresh every few seconds); the last scrape.
async fn scrape_until(server: &Server, done: impl Fn(&str) -> bool) -> String {
    let mut last = String::new();
    for _ in 0..60 {
        last = scrape(server).await;
        if done(&last) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    last
}

#[tokio::test]
async fn the_metrics_listener_shows_routes_statuses_appends_lag_and_no_ids() {
    let database = testkit::db::PgDatabase::fresh("cli_metrics").await;
    let url = database.url.clone();
    let dir =
        std::env::temp_dir().join(format!("petition-cli-metrics-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let server = start_server_with(
        &dir,
        &[
            ("PETITION_DATABASE_URL", url.as_str()),
            ("PETITION_METRICS_LISTEN", "127.0.0.1:0"),
        ],
    );
    let client = reqwest::Client::new();

    // Requests on several routes and statuses; their ids must never become label values.
    let case = receive_with_email(&server, "binh@example.vn").await;
    let view = client
        .get(format!("{}/api/v1/petitions/{case}", server.base))
        .bearer_auth(&server.token)
        .send()
        .await
        .expect("view");
    assert_eq!(view.status(), 200);
    let view: Value = view.json().await.expect("json");
    let tracking = view["tracking_code"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let unknown = Uuid::new_v4();
    let missing = client
        .get(format!("{}/api/v1/petitions/{unknown}", server.base))
        .bearer_auth(&server.token)
        .send()
        .await
        .expect("unknown case");
    assert_eq!(missing.status(), 404);
    let unauthenticated = client
        .get(format!("{}/api/v1/petitions/{case}", server.base))
        .send()
        .await
        .expect("no token");
    assert_eq!(unauthenticated.status(), 401);
    let nowhere = client
        .get(format!("{}/no/such/{unknown}", server.base))
        .send()
        .await
        .expect("no route");
    assert_eq!(nowhere.status(), 404);

    // `/ready` says ready and nothing else.
    let ready = client
        .get(format!("{}/ready", server.base))
        .send()
        .await
        .expect("ready");
    assert_eq!(ready.status(), 200);
    let ready: Value = ready.json().await.expect("json");
    assert_eq!(ready, json!({ "status": "ready" }), "no backend or head");

    // The API listener does not serve `/metrics`, with or without a token.
    for token in [None, Some(server.token.as_str())] {
        let mut request = client.get(format!("{}/metrics", server.base));
        if let Some(t) = token {
            request = request.bearer_auth(t);
        }
        let response = request.send().await.expect("metrics on the API");
        assert_eq!(response.status(), 404, "token {:?}", token.is_some());
        assert!(
            !response
                .text()
                .await
                .unwrap_or_default()
                .contains("petition_"),
            "no metrics on the API listener"
        );
    }

    let text = scrape_until(&server, |t| {
        ["case_list", "statistics"].iter().all(|m| {
            value(
                t,
                "petition_read_model_lag_events",
                &[&format!("model=\"{m}\"")],
            ) == Some(0.0)
        }) && !samples(t, "petition_notifier_deliveries", &["status=\"logged\""]).is_empty()
            && !samples(t, "petition_watcher_passes_total", &[]).is_empty()
    })
    .await;

    // Requests by matched route template, method and status.
    // `unmatched`: the unknown path and the two `/metrics` attempts on the API listener.
    for (method, route, status, count) in [
        ("POST", "/api/v1/petitions", "201", 1.0),
        ("GET", "/api/v1/petitions/{id}", "200", 1.0),
        ("GET", "/api/v1/petitions/{id}", "404", 1.0),
        ("GET", "/api/v1/petitions/{id}", "401", 1.0),
        ("GET", "unmatched", "404", 3.0),
        ("GET", "/ready", "200", 1.0),
    ] {
        let labels = [
            format!("method=\"{method}\""),
            format!("route=\"{route}\""),
            format!("status=\"{status}\""),
        ];
        let labels: Vec<&str> = labels.iter().map(String::as_str).collect();
        assert_eq!(
            value(&text, "petition_http_requests_total", &labels),
            Some(count),
            "{method} {route} {status} counted:\n{text}"
        );
        let mut bucket = labels.clone();
        bucket.push("le=\"+Inf\"");
        assert_eq!(
            value(
                &text,
                "petition_http_request_duration_seconds_bucket",
                &bucket
            ),
            Some(count),
            "{method} {route} {status} in the latency histogram:\n{text}"
        );
        assert!(
            value(&text, "petition_http_request_duration_seconds_sum", &labels).is_some(),
            "{text}"
        );
    }
    // The scrapes themselves are on the metrics listener and not counted as API requests.
    assert!(
        samples(
            &text,
            "petition_http_requests_total",
            &["route=\"/metrics\""]
        )
        .is_empty()
    );
    assert!(
        text.contains("# HELP petition_http_requests_total"),
        "help text: {text}"
    );
    assert!(text.contains("# TYPE petition_http_request_duration_seconds histogram"));

    // No ids in any label.
    for id in [case.as_str(), &unknown.to_string(), tracking.as_str()] {
        if !id.is_empty() {
            assert!(!text.contains(id), "{id} appears in the metrics:\n{text}");
        }
    }

    // Append latency, the oldest open append, lag per model, notifier and watcher.
    assert!(
        value(
            &text,
            "petition_store_append_duration_seconds_bucket",
            &["outcome=\"appended\"", "le=\"+Inf\""]
        )
        .is_some_and(|n| n >= 1.0),
        "the receive's append timed:\n{text}"
    );
    assert!(text.contains("# TYPE petition_store_append_duration_seconds histogram"));
    assert!(
        value(&text, "petition_store_oldest_open_append_seconds", &[])
            .is_some_and(|age| age >= 0.0),
        "{text}"
    );
    for model in ["case_list", "statistics"] {
        assert_eq!(
            value(
                &text,
                "petition_read_model_lag_events",
                &[&format!("model=\"{model}\"")]
            ),
            Some(0.0),
            "{model} caught up:\n{text}"
        );
    }
    assert!(
        value(
            &text,
            "petition_notifier_deliveries",
            &["channel=\"email\"", "status=\"logged\""]
        )
        .is_some_and(|n| n >= 1.0),
        "no SMTP: the petitioner's e-mail is logged:\n{text}"
    );
    assert_eq!(
        value(
            &text,
            "petition_notifier_deliveries",
            &["channel=\"email\"", "status=\"dead\""]
        ),
        Some(0.0),
        "{text}"
    );
    assert!(
        value(
            &text,
            "petition_watcher_passes_total",
            &["outcome=\"completed\""]
        )
        .is_some_and(|n| n >= 1.0),
        "{text}"
    );
    assert!(
        value(
            &text,
            "petition_watcher_misses_total",
            &["result=\"recorded\""]
        )
        .is_some(),
        "{text}"
    );

    drop(server);
    drop(database);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn without_a_metrics_listener_nothing_serves_metrics() {
    let dir = std::env::temp_dir().join(format!(
        "petition-cli-nometrics-{}",
        Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let server = start_server_with(&dir, &[]);
    assert!(server.metrics.is_none(), "no metrics listener by default");
    let response = reqwest::Client::new()
        .get(format!("{}/metrics", server.base))
        .bearer_auth(&server.token)
        .send()
        .await
        .expect("metrics on the API");
    assert_eq!(response.status(), 404);
    assert_eq!(
        response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/problem+json")
    );
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Commands in `serve` go through group commit by default: the metrics count every one of them, in no
/// more transactions than commands; with `PETITION_STORE__GROUP_COMMIT=false` no group commit runs.
#[tokio::test]
async fn serve_group_commits_its_appends_by_default_and_not_when_switched_off() {
    for (enabled, env) in [
        (true, vec![("PETITION_METRICS_LISTEN", "127.0.0.1:0")]),
        (
            false,
            vec![
                ("PETITION_METRICS_LISTEN", "127.0.0.1:0"),
                ("PETITION_STORE__GROUP_COMMIT", "false"),
            ],
        ),
    ] {
        let dir = std::env::temp_dir().join(format!(
            "petition-cli-groupcommit-{}",
            Uuid::new_v4().simple()
        ));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let server = start_server_with(&dir, &env);
        let commands = 24;
        let cases = receive_concurrently(&server, commands).await;
        assert_eq!(cases.len(), commands, "every receive answered 201");
        let client = reqwest::Client::new();
        for case in &cases {
            let view = client
                .get(format!("{}/api/v1/petitions/{case}", server.base))
                .bearer_auth(&server.token)
                .send()
                .await
                .expect("view");
            assert_eq!(view.status(), 200, "case {case} stored");
        }
        let name = "petition_store_group_commit_commands_total";
        if enabled {
            let text = scrape_until(&server, |t| {
                value(t, name, &[]).is_some_and(|v| v >= commands as f64)
            })
            .await;
            assert_eq!(value(&text, name, &[]), Some(commands as f64), "{text}");
            let transactions = value(&text, "petition_store_group_commit_transactions_total", &[])
                .unwrap_or_default();
            assert!(
                (1.0..=commands as f64).contains(&transactions),
                "{transactions} transactions for {commands} commands"
            );
        } else {
            // The sampler has run at least once when the lag gauge shows up.
            let text = scrape_until(&server, |t| {
                !samples(t, "petition_read_model_lag_events", &[]).is_empty()
            })
            .await;
            assert!(samples(&text, name, &[]).is_empty(), "{text}");
        }
        drop(server);
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// Receives `n` complaints concurrently; the case ids of the answers.
async fn receive_concurrently(server: &Server, n: usize) -> Vec<String> {
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..n {
        let base = server.base.clone();
        let token = server.token.clone();
        tasks.spawn(async move {
            let response = reqwest::Client::new()
                .post(format!("{base}/api/v1/petitions?occurred_on=2026-02-12"))
                .bearer_auth(token)
                .json(&json!({
                    "kind": "complaint", "channel": "in_person", "receiving_agency": "UBND-HN.HOAN-KIEM",
                    "subject": format!("Complaint {i}"), "content": "Contests the compensation.",
                    "petitioners": { "signatories": [ { "full_name": "Trần Thị Bình" } ] },
                    "signatory_count": 1, "decision_date_learned": "2026-01-20"
                }))
                .send()
                .await
                .expect("receive");
            if response.status() != 201 {
                return None;
            }
            let body: Value = response.json().await.ok()?;
            body["case_id"].as_str().map(str::to_owned)
        });
    }
    let mut cases = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        if let Ok(Some(case)) = joined {
            cases.push(case);
        }
    }
    cases
}
