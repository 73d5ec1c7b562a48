//! A hostile-input suite (issue 10, item 8): a few hundred malformed, oversized, ambiguous or hostile requests
//! against a real server, on PostgreSQL and on SQLite. Each must be refused with a 4xx `application/problem+json`, the server
//! must stay up, and nothing may be recorded.

use reqwest::Method;
use serde_json::{Value, json};

use crate::complaint;
use crate::helpers::{Backend, TOKEN, TestApp, spawn_app_on};

/// One request: method, path and query, extra headers, raw body (with a JSON content type when present).
struct Probe {
    what: String,
    method: Method,
    path: String,
    headers: Vec<(&'static str, String)>,
    body: Option<Vec<u8>>,
    auth: bool,
}

fn post(what: impl Into<String>, path: impl Into<String>, body: impl Into<Vec<u8>>) -> Probe {
    Probe {
        what: what.into(),
        method: Method::POST,
        path: path.into(),
        headers: Vec::new(),
        body: Some(body.into()),
        auth: true,
    }
}

fn get(what: impl Into<String>, path: impl Into<String>) -> Probe {
    Probe {
        what: what.into(),
        method: Method::GET,
        path: path.into(),
        headers: Vec::new(),
        body: None,
        auth: true,
    }
}

/// Bodies no command accepts.
fn malformed_bodies() -> Vec<(&'static str, Vec<u8>)> {
    let deep = format!("{}{}", "[".repeat(300), "]".repeat(300));
    vec![
        ("truncated object", b"{".to_vec()),
        ("truncated member", br#"{"reason":"#.to_vec()),
        ("array", b"[]".to_vec()),
        ("null", b"null".to_vec()),
        ("string", br#""text""#.to_vec()),
        ("number", b"123".to_vec()),
        ("unknown field", br#"{"no_such_field": 1}"#.to_vec()),
        ("300 levels of nesting", deep.into_bytes()),
        (
            "invalid UTF-8",
            vec![b'{', b'"', 0xff, 0xfe, b'"', b':', b'1', b'}'],
        ),
        ("trailing garbage", br#"{} trailing"#.to_vec()),
        ("NaN literal", br#"{"a": NaN}"#.to_vec()),
    ]
}

/// A valid receive body with one field replaced.
fn receive_with(pointer: &str, value: Value) -> Vec<u8> {
    let mut body = complaint();
    *body.pointer_mut(pointer).expect("the field exists") = value;
    serde_json::to_vec(&body).expect("json")
}

fn probes(case: &str) -> Vec<Probe> {
    let mut out = Vec::new();
    // Every command endpoint, every malformed body.
    let mut paths = vec!["/api/v1/petitions".to_owned()];
    for (action, _, _) in command::http::openapi::LIFECYCLE_ACTIONS {
        paths.push(format!("/api/v1/petitions/{case}/{action}"));
    }
    for path in &paths {
        for (what, body) in malformed_bodies() {
            out.push(post(format!("{what} to {path}"), path.clone(), body));
        }
    }
    // Hostile values in an otherwise valid receive.
    let hostile: Vec<(&str, &str, Value)> = vec![
        (
            "bidi override in the subject",
            "/subject",
            json!("Đất \u{202E}gnort"),
        ),
        (
            "bidi isolate in the content",
            "/content",
            json!("\u{2066}hidden\u{2069}"),
        ),
        ("NUL in the subject", "/subject", json!("a\u{0}b")),
        (
            "C1 control in a name",
            "/petitioners/signatories/0/full_name",
            json!("A\u{85}n"),
        ),
        (
            "zero-width-only name",
            "/petitioners/signatories/0/full_name",
            json!("\u{200B}\u{200B}"),
        ),
        (
            "Cyrillic look-alike in a name",
            "/petitioners/signatories/0/full_name",
            json!("Nguyễn Vаn An"),
        ),
        (
            "line break in a name",
            "/petitioners/signatories/0/full_name",
            json!("An\nB"),
        ),
        (
            "200,000-character address",
            "/petitioners/signatories/0/address",
            json!("x".repeat(200_000)),
        ),
        ("overlong subject", "/subject", json!("s".repeat(301))),
        ("blank content", "/content", json!("   ")),
        ("unknown agency", "/receiving_agency", json!("UBND-NOWHERE")),
        ("unknown kind", "/kind", json!("bogus")),
        ("unknown channel", "/channel", json!("pigeon")),
        ("zero signatories", "/signatory_count", json!(0)),
        ("negative signatories", "/signatory_count", json!(-1)),
        ("huge signatory count", "/signatory_count", json!(1e30)),
        ("petitioners as a string", "/petitioners", json!("everyone")),
        (
            "bad e-mail",
            "/petitioners/signatories/0/email",
            json!("not an address"),
        ),
        ("bad phone", "/petitioners/signatories/0/phone", json!("12")),
        (
            "date before 1900",
            "/decision_date_learned",
            json!("0001-01-01"),
        ),
        (
            "date with a 6-digit year",
            "/decision_date_learned",
            json!("+262142-12-31"),
        ),
        ("subject as a number", "/subject", json!(5)),
    ];
    for (what, pointer, value) in hostile {
        out.push(post(
            what,
            "/api/v1/petitions",
            receive_with(pointer, value),
        ));
    }
    let mut related = complaint();
    related["related_case"] = json!("01900000-0000-7000-8000-00000000dead");
    out.push(post(
        "related_case naming no case",
        "/api/v1/petitions",
        serde_json::to_vec(&related).expect("json"),
    ));
    let mut tracking = complaint();
    tracking["tracking_code"] = json!("KN-2026-AAAAA-AAAAA-A");
    out.push(post(
        "a tracking code chosen by the caller",
        "/api/v1/petitions",
        serde_json::to_vec(&tracking).expect("json"),
    ));
    // Step dates and instants out of range or unparsable.
    for (what, query) in [
        ("occurred_on garbage", "occurred_on=yesterday"),
        (
            "occurred_on outside the calendars",
            "occurred_on=2020-05-05",
        ),
        (
            "occurred_on with a 6-digit year",
            "occurred_on=%2B262142-12-31",
        ),
        ("occurred_on in the future", "occurred_on=2099-01-01"),
        (
            "occurred_on twice",
            "occurred_on=2026-01-05&occurred_on=2026-01-06",
        ),
    ] {
        out.push(post(
            what,
            format!("/api/v1/petitions/{case}/accept?{query}"),
            b"{}".to_vec(),
        ));
    }
    for (what, path) in [
        (
            "as_of overflow",
            format!("/api/v1/petitions/{case}?as_of=%2B262142-12-31T23:59:59Z"),
        ),
        (
            "as_of garbage",
            format!("/api/v1/petitions/{case}?as_of=soon"),
        ),
        (
            "events limit 0",
            format!("/api/v1/petitions/{case}/events?limit=0"),
        ),
        (
            "events limit 5000",
            format!("/api/v1/petitions/{case}/events?limit=5000"),
        ),
        (
            "case id not a uuid",
            "/api/v1/petitions/not-a-uuid".to_owned(),
        ),
        ("case id with a NUL", "/api/v1/petitions/%00".to_owned()),
        (
            "unknown case",
            "/api/v1/petitions/01900000-0000-7000-8000-00000000beef".to_owned(),
        ),
        (
            "path traversal",
            "/api/v1/petitions/..%2F..%2Fetc%2Fpasswd".to_owned(),
        ),
        ("unknown route", "/api/v1/nothing-here".to_owned()),
    ] {
        out.push(get(what, path));
    }
    out.push(post(
        "unknown action",
        format!("/api/v1/petitions/{case}/teleport"),
        b"{}".to_vec(),
    ));
    // Method not allowed.
    out.push(Probe {
        method: Method::DELETE,
        ..get("DELETE a case", format!("/api/v1/petitions/{case}"))
    });
    out.push(Probe {
        method: Method::PUT,
        ..post("PUT a petition", "/api/v1/petitions", b"{}".to_vec())
    });
    // Ambiguous or unsupported headers, and authentication.
    let valid = serde_json::to_vec(&complaint()).expect("json");
    let with = |what: &str, headers: Vec<(&'static str, String)>| Probe {
        headers,
        ..post(what, "/api/v1/petitions", valid.clone())
    };
    out.push(with(
        "two Idempotency-Keys",
        vec![
            ("idempotency-key", "a".into()),
            ("idempotency-key", "b".into()),
        ],
    ));
    out.push(with(
        "Content-Encoding gzip",
        vec![("content-encoding", "gzip".into())],
    ));
    out.push(with(
        "text/plain body",
        vec![("content-type", "text/plain".into())],
    ));
    out.push(with(
        "X-Correlation-Id garbage",
        vec![("x-correlation-id", "zzz".into())],
    ));
    out.push(Probe {
        headers: vec![("if-match", "\"0\"".into())],
        ..post(
            "stale If-Match",
            format!("/api/v1/petitions/{case}/classify"),
            br#"{"within_competence": true}"#.to_vec(),
        )
    });
    out.push(Probe {
        headers: vec![("if-match", "garbage".into())],
        ..post(
            "If-Match garbage",
            format!("/api/v1/petitions/{case}/classify"),
            br#"{"within_competence": true}"#.to_vec(),
        )
    });
    out.push(Probe {
        auth: false,
        ..post("no token", "/api/v1/petitions", valid.clone())
    });
    out.push(Probe {
        auth: false,
        headers: vec![(
            "authorization",
            "Bearer wrong-token-0123456789abcdef".into(),
        )],
        ..post("wrong token", "/api/v1/petitions", valid.clone())
    });
    out.push(Probe {
        auth: false,
        headers: vec![("authorization", format!("Basic {TOKEN}"))],
        ..post("Basic scheme", "/api/v1/petitions", valid.clone())
    });
    out.push(Probe {
        headers: vec![("authorization", format!("Bearer {TOKEN}"))],
        ..post(
            "two Authorization headers",
            "/api/v1/petitions",
            valid.clone(),
        )
    });
    out.push(post(
        "body over the limit",
        "/api/v1/petitions",
        receive_with("/content", json!("c".repeat(300_000))),
    ));
    // Read-side queries.
    for (what, query) in [
        ("stats to overflow", "/api/v1/stats?to=%2B262142-12-31"),
        (
            "stats of eight thousand years",
            "/api/v1/stats?period=month&from=0001-01-01&to=9999-12-31",
        ),
        ("stats unknown period", "/api/v1/stats?period=fortnight"),
        ("cases status NUL", "/api/v1/cases?status=%00"),
        ("cases unknown status", "/api/v1/cases?status=lost"),
        ("cases per_page 0", "/api/v1/cases?per_page=0"),
        ("cases per_page 501", "/api/v1/cases?per_page=501"),
        ("cases page 0", "/api/v1/cases?page=0"),
        ("watchlist unknown format", "/api/v1/watchlist?format=exe"),
        (
            "track a mistyped code",
            "/api/v1/track/KN-2026-AAAAA-AAAAA-A",
        ),
    ] {
        out.push(get(what, query));
    }
    out
}

async fn send(app: &TestApp, probe: &Probe) -> reqwest::Response {
    let mut request = app
        .client
        .request(probe.method.clone(), app.url(&probe.path));
    if probe.auth {
        request = request.bearer_auth(TOKEN);
    }
    let has_content_type = probe.headers.iter().any(|(n, _)| *n == "content-type");
    if probe.body.is_some() && !has_content_type {
        request = request.header("content-type", "application/json");
    }
    for (name, value) in &probe.headers {
        request = request.header(*name, value);
    }
    if let Some(body) = &probe.body {
        request = request.body(body.clone());
    }
    request
        .send()
        .await
        .unwrap_or_else(|e| panic!("{}: no answer ({e})", probe.what))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgres_hundreds_of_hostile_requests_are_refused_with_problems_and_record_nothing() {
    refused_and_nothing_recorded(spawn_app_on(Backend::Postgres).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_sqlite_hundreds_of_hostile_requests_are_refused_with_problems_and_record_nothing() {
    refused_and_nothing_recorded(spawn_app_on(Backend::Sqlite).await).await;
}

async fn refused_and_nothing_recorded(app: TestApp) {
    let seeded = app.post("/api/v1/petitions", &complaint()).await;
    assert_eq!(seeded.status(), 201, "the seed case is received");
    let case = seeded.json::<Value>().await.expect("json")["case_id"]
        .as_str()
        .expect("case id")
        .to_owned();
    let before = app.recorded().await;
    let probes = probes(&case);
    assert!(probes.len() >= 300, "{} probes", probes.len());
    let mut wrong = Vec::new();
    for (i, probe) in probes.iter().enumerate() {
        let response = send(&app, probe).await;
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        if !(400..500).contains(&status) || content_type != "application/problem+json" {
            let body = response.text().await.unwrap_or_default();
            wrong.push(format!(
                "{}: {status} {content_type} {}",
                probe.what,
                &body[..body.len().min(200)]
            ));
        }
        if i % 25 == 0 {
            let health = app.client.get(app.url("/health")).send().await;
            assert!(
                health.is_ok_and(|h| h.status() == 200),
                "the server answers /health after {}",
                probe.what
            );
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} not refused as problems:\n{}",
        wrong.len(),
        probes.len(),
        wrong.join("\n")
    );
    assert_eq!(app.recorded().await, before, "nothing was recorded");
}
