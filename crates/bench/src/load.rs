//! The load generator: `connections` keep-alive HTTP/1.1 connections (hyper), each sending one request
//! after the other for a while, every request receiving a new complaint (`POST /api/v1/petitions`).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use serde_json::json;

use crate::stats::percentile;

/// One request may take this long before it counts as failed.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Where the load goes.
#[derive(Debug, Clone)]
pub struct Target {
    pub addr: SocketAddr,
    /// A bearer token, when the service asks for one.
    pub token: Option<String>,
}

/// What one load run recorded.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// Requests answered 2xx.
    pub ok: u64,
    /// Requests answered otherwise, timed out or lost with their connection.
    pub failed: u64,
    /// The first failure, for the report.
    pub first_failure: Option<String>,
    /// From the start to the last answer.
    pub elapsed: Duration,
    /// Latencies of the answered requests, in milliseconds, ascending.
    pub latencies_ms: Vec<f64>,
}

impl Outcome {
    /// Answered requests per second.
    pub fn rate(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// The `p`-th percentile latency in milliseconds.
    pub fn latency(&self, p: f64) -> f64 {
        percentile(&self.latencies_ms, p)
    }
}

/// The body of a new complaint, numbered `n` (so every request records a different petition).
pub fn complaint(n: u64) -> Vec<u8> {
    let learned = chrono::Utc::now().date_naive() - chrono::Days::new(3);
    let body = json!({
        "kind": "complaint",
        "channel": "in_person",
        "receiving_agency": "UBND-HN.HOAN-KIEM",
        "subject": format!("Compensation for recovered land {n}"),
        "content": "The petitioner contests the compensation decided for the recovery of a residential plot.",
        "petitioners": { "signatories": [ {
            "full_name": "Nguyễn Văn An",
            "address": "12 Hàng Bạc, Hoàn Kiếm, Hà Nội",
            "email": format!("an{n}@example.vn")
        } ] },
        "signatory_count": 1,
        "decision_date_learned": learned.to_string()
    });
    serde_json::to_vec(&body).unwrap_or_default()
}

type Sender = hyper::client::conn::http1::SendRequest<Full<Bytes>>;

async fn connect(addr: SocketAddr) -> anyhow::Result<Sender> {
    let stream = tokio::net::TcpStream::connect(addr)
        .await
        .with_context(|| format!("connecting to {addr}"))?;
    stream.set_nodelay(true)?;
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(sender)
}

async fn send(
    sender: &mut Sender,
    target: &Target,
    method: &str,
    path: &str,
    body: Vec<u8>,
) -> anyhow::Result<(u16, Bytes)> {
    let mut request = hyper::Request::builder()
        .method(method)
        .uri(path)
        .header("host", target.addr.to_string())
        .header("content-type", "application/json");
    if let Some(token) = &target.token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let request = request.body(Full::new(Bytes::from(body)))?;
    sender.ready().await?;
    let response = tokio::time::timeout(REQUEST_TIMEOUT, async {
        let response = sender.send_request(request).await?;
        let status = response.status().as_u16();
        let body = response.into_body().collect().await?.to_bytes();
        anyhow::Ok((status, body))
    })
    .await
    .map_err(|_| anyhow::anyhow!("no answer within {REQUEST_TIMEOUT:?}"))??;
    Ok(response)
}

/// One request on a connection of its own (readiness probes): the status and the body.
pub async fn get(addr: SocketAddr, path: &str) -> anyhow::Result<(u16, String)> {
    let target = Target { addr, token: None };
    let mut sender = connect(addr).await?;
    let (status, body) = send(&mut sender, &target, "GET", path, Vec::new()).await?;
    Ok((status, String::from_utf8_lossy(&body).into_owned()))
}

/// Runs the load for `duration` over `connections` connections; `numbers` numbers the complaints
/// (shared between runs, so no two requests of a bench carry the same one).
pub async fn run(
    target: &Target,
    connections: usize,
    duration: Duration,
    numbers: &Arc<AtomicU64>,
) -> anyhow::Result<Outcome> {
    let started = Instant::now();
    let deadline = started + duration;
    let workers: Vec<_> = (0..connections)
        .map(|_| tokio::spawn(worker(target.clone(), deadline, numbers.clone())))
        .collect();
    let mut outcome = Outcome::default();
    for w in workers {
        let part = w.await.context("a load worker panicked")?;
        outcome.ok += part.ok;
        outcome.failed += part.failed;
        outcome.first_failure = outcome.first_failure.or(part.first_failure);
        outcome.latencies_ms.extend(part.latencies_ms);
    }
    outcome.elapsed = started.elapsed();
    outcome.latencies_ms.sort_by(f64::total_cmp);
    Ok(outcome)
}

async fn worker(target: Target, deadline: Instant, numbers: Arc<AtomicU64>) -> Outcome {
    let mut outcome = Outcome::default();
    let mut sender: Option<Sender> = None;
    let fail = |outcome: &mut Outcome, why: String| {
        outcome.failed += 1;
        outcome.first_failure.get_or_insert(why);
    };
    while Instant::now() < deadline {
        let mut current = match sender.take() {
            Some(s) => s,
            None => match connect(target.addr).await {
                Ok(s) => s,
                Err(e) => {
                    fail(&mut outcome, format!("{e:#}"));
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let body = complaint(numbers.fetch_add(1, Ordering::Relaxed));
        let sent = Instant::now();
        match send(&mut current, &target, "POST", "/api/v1/petitions", body).await {
            Ok((status, answer)) => {
                let ms = sent.elapsed().as_secs_f64() * 1000.0;
                if (200..300).contains(&status) {
                    outcome.ok += 1;
                    outcome.latencies_ms.push(ms);
                } else {
                    let answer = String::from_utf8_lossy(&answer);
                    fail(&mut outcome, format!("HTTP {status}: {answer}"));
                }
                sender = Some(current);
            }
            Err(e) => fail(&mut outcome, format!("{e:#}")),
        }
    }
    outcome
}
