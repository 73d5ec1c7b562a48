//! The edge holds against slow, idle and stalled clients, sheds load, and answers panics: tested with
//! real TCP clients against the real server.

use std::time::{Duration, Instant};

use axum::routing::get;
use command::http::{ExtraRoutes, HttpConfig};
use uuid::Uuid;

use crate::helpers::{
    TOKEN, TestApp, problem, problem_type, spawn_app_until, spawn_app_with, spawn_app_with_routes,
    test_tokens,
};
use crate::raw::{closed_within, connect, read_half_response, read_response, send};

fn quick() -> HttpConfig {
    HttpConfig {
        body_timeout: Duration::from_secs(1),
        request_timeout: Duration::from_secs(3),
        header_read_timeout: Duration::from_secs(1),
        ..HttpConfig::default()
    }
}

/// The head of a receive whose body is `length` bytes long.
fn receive_head(length: usize) -> String {
    format!(
        "POST /api/v1/petitions?occurred_on=2026-09-01 HTTP/1.1\r\nHost: test\r\n\
         Authorization: Bearer {TOKEN}\r\nContent-Type: application/json\r\n\
         Content-Length: {length}\r\n\r\n"
    )
}

async fn health_answers_within(app: &TestApp, limit: Duration) -> bool {
    let client = reqwest::Client::new();
    let started = Instant::now();
    let answered = tokio::time::timeout(limit, client.get(app.url("/health")).send()).await;
    matches!(answered, Ok(Ok(r)) if r.status() == 200) && started.elapsed() < limit
}

#[tokio::test]
async fn a_body_shorter_than_its_content_length_is_answered_408_within_the_body_timeout() {
    let app = spawn_app_with(quick()).await;
    let before = app.recorded().await;
    let mut stream = connect(app.addr).await;
    send(&mut stream, &receive_head(500)).await;
    send(&mut stream, "{\"kind\": \"complaint\",").await;
    let started = Instant::now();
    let response = tokio::time::timeout(Duration::from_secs(5), read_response(&mut stream))
        .await
        .expect("answered, not held forever")
        .expect("an answer, not a closed connection");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(response.status, 408, "{response:?}");
    assert_eq!(
        response.header("content-type").as_deref(),
        Some("application/problem+json")
    );
    assert_eq!(response.json()["type"], problem_type("request-timeout"));
    assert_eq!(app.recorded().await, before, "nothing was recorded");
}

#[tokio::test]
async fn a_body_trickled_byte_by_byte_is_cut_off_by_the_request_timeout() {
    let app = spawn_app_with(quick()).await;
    let before = app.recorded().await;
    let mut stream = connect(app.addr).await;
    send(&mut stream, &receive_head(1000)).await;
    let started = Instant::now();
    let (mut reader, mut writer) = stream.into_split();
    // A byte every 400 ms never trips the 1 s body timeout; the 3 s request timeout must.
    let trickle = tokio::spawn(async move {
        use tokio::io::AsyncWriteExt;
        for _ in 0..100 {
            if writer.write_all(b" ").await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(400)).await;
        }
    });
    let response = tokio::time::timeout(Duration::from_secs(6), read_half_response(&mut reader))
        .await
        .expect("answered while still trickling")
        .expect("an answer");
    trickle.abort();
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(2900) && elapsed < Duration::from_secs(5),
        "answered after {elapsed:?}"
    );
    assert_eq!(response.status, 408, "{response:?}");
    assert_eq!(
        response.header("content-type").as_deref(),
        Some("application/problem+json")
    );
    assert_eq!(response.json()["type"], problem_type("request-timeout"));
    assert_eq!(app.recorded().await, before, "nothing was recorded");
}

#[tokio::test]
async fn headers_sent_slowly_are_cut_off_after_the_header_read_timeout() {
    let app = spawn_app_with(quick()).await;
    let mut stream = connect(app.addr).await;
    let started = Instant::now();
    send(&mut stream, "GET /health HTTP/1.1\r\nHost: test\r\n").await;
    let mut cut_off = false;
    for i in 0..20 {
        tokio::time::sleep(Duration::from_millis(250)).await;
        use tokio::io::AsyncWriteExt;
        if stream
            .write_all(format!("X-Slow-{i}: 1\r\n").as_bytes())
            .await
            .is_err()
        {
            cut_off = true;
            break;
        }
        if closed_within(&mut stream, Duration::from_millis(10)).await {
            cut_off = true;
            break;
        }
    }
    assert!(cut_off, "the connection was closed");
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(900) && elapsed < Duration::from_secs(3),
        "cut off after {elapsed:?}"
    );
    assert!(health_answers_within(&app, Duration::from_secs(1)).await);
}

#[tokio::test]
async fn a_silent_connection_and_an_idle_keep_alive_connection_are_closed() {
    let app = spawn_app_with(quick()).await;
    let mut silent = connect(app.addr).await;
    let mut kept = connect(app.addr).await;
    send(&mut kept, "GET /health HTTP/1.1\r\nHost: test\r\n\r\n").await;
    let answer = read_response(&mut kept).await.expect("answer");
    assert_eq!(answer.status, 200);
    assert!(closed_within(&mut silent, Duration::from_secs(3)).await);
    assert!(closed_within(&mut kept, Duration::from_secs(3)).await);
}

#[tokio::test]
async fn many_idle_connections_do_not_stop_health_from_answering() {
    // A long header timeout, so the cap (not the timeout) is what makes room.
    let app = spawn_app_with(HttpConfig {
        max_connections: 40,
        header_read_timeout: Duration::from_secs(60),
        ..HttpConfig::default()
    })
    .await;
    let mut idle = Vec::new();
    for _ in 0..200 {
        idle.push(connect(app.addr).await);
    }
    // Half of them start a request and never finish its head.
    for stream in idle.iter_mut().skip(100) {
        send(stream, "GET /health HTTP/1.1\r\nHost: te").await;
    }
    for _ in 0..5 {
        assert!(
            health_answers_within(&app, Duration::from_secs(1)).await,
            "/health answers within a second beside 200 idle and slow connections"
        );
    }
    assert!(
        closed_within(&mut idle[0], Duration::from_secs(1)).await,
        "the oldest idle connection was closed to make room"
    );
    let authenticated = reqwest::Client::new()
        .get(app.url(&format!("/api/v1/petitions/{}", Uuid::now_v7())))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("request");
    assert_eq!(authenticated.status(), 404, "the API answers too");
}

#[tokio::test]
async fn beyond_the_concurrency_limit_requests_are_shed_with_503_and_retry_after() {
    let app = spawn_app_with(HttpConfig {
        max_concurrent_requests: 1,
        body_timeout: Duration::from_secs(5),
        ..HttpConfig::default()
    })
    .await;
    let before = app.recorded().await;
    // This request holds the only permit while its body is awaited.
    let mut holder = connect(app.addr).await;
    send(&mut holder, &receive_head(400)).await;
    send(&mut holder, "{").await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    let shed = app
        .post(
            "/api/v1/petitions?occurred_on=2026-09-01",
            &crate::complaint(),
        )
        .await;
    assert_eq!(shed.headers()["retry-after"], "1");
    let (status, body) = problem(shed).await;
    assert_eq!(
        (status, body["type"].as_str()),
        (503, Some(&*problem_type("overloaded")))
    );
    let read = app
        .get(&format!("/api/v1/petitions/{}", Uuid::now_v7()))
        .await;
    assert_eq!(read.status(), 503);
    assert!(
        health_answers_within(&app, Duration::from_secs(1)).await,
        "liveness is not shed"
    );
    drop(holder);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let after = app
        .get(&format!("/api/v1/petitions/{}", Uuid::now_v7()))
        .await;
    assert_eq!(
        after.status(),
        404,
        "the permit is back once the holder is gone"
    );
    assert_eq!(app.recorded().await, before, "nothing was recorded");
}

async fn panics() -> &'static str {
    panic!("a handler bug")
}

#[tokio::test]
async fn a_panicking_handler_is_answered_500_with_the_correlation_id_and_the_server_lives_on() {
    let extra = ExtraRoutes {
        // Public: the access policy has no permission for a test route (unknown routes are refused, 403).
        public: axum::Router::new().route("/api/v1/test/panic", get(panics)),
        ..ExtraRoutes::default()
    };
    let app = spawn_app_with_routes(HttpConfig::default(), extra).await;
    let correlation = Uuid::now_v7();
    let response = app
        .client
        .get(app.url("/api/v1/test/panic"))
        .bearer_auth(TOKEN)
        .header("x-correlation-id", correlation.to_string())
        .send()
        .await
        .expect("an answer, not a dropped connection");
    assert_eq!(
        response.headers()["x-correlation-id"],
        correlation.to_string().as_str()
    );
    let (status, body) = problem(response).await;
    assert_eq!(status, 500);
    assert_eq!(body["type"], problem_type("internal"));
    assert_eq!(body["correlation_id"], correlation.to_string());
    assert!(
        !body["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("handler bug"),
        "the panic message stays in the log: {body}"
    );
    assert!(health_answers_within(&app, Duration::from_secs(1)).await);
}

async fn slow() -> &'static str {
    tokio::time::sleep(Duration::from_millis(800)).await;
    "done"
}

#[tokio::test]
async fn on_shutdown_a_request_in_progress_is_answered_and_idle_connections_are_closed() {
    let extra = ExtraRoutes {
        public: axum::Router::new().route("/api/v1/test/slow", get(slow)),
        ..ExtraRoutes::default()
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let (app, server) = spawn_app_until(HttpConfig::default(), test_tokens(), extra, async move {
        let _ = stopped.await;
    })
    .await;
    let mut idle = connect(app.addr).await;
    let request = app.get("/api/v1/test/slow");
    let stopper = async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let _ = stop.send(());
    };
    let (response, ()) = tokio::join!(request, stopper);
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.expect("body"), "done");
    assert!(closed_within(&mut idle, Duration::from_secs(1)).await);
    let drained = tokio::time::timeout(Duration::from_secs(2), server)
        .await
        .expect("the server drained and returned");
    assert!(matches!(drained, Ok(Ok(()))), "{drained:?}");
    assert!(
        tokio::net::TcpStream::connect(app.addr).await.is_err(),
        "no longer listening"
    );
}
